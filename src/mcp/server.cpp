// MCP methods (see include/mcp_supa/mcp/server.h). Tools are entries of the tool registry
// (include/mcp_supa/tools/registry.h): nothing here names one.
#include "mcp_supa/mcp/server.h"

#include <chrono>
#include <ctime>

#include "mcp_supa/common/random.h"
#include "mcp_supa/ipc/job_wire.h"
#include "mcp_supa/mcp/audit.h"
#include "mcp_supa/tools/registry.h"
#include "mcp_supa/tools/results.h"
#include "mcp_supa/tools/scope.h"

namespace mcp_supa::mcp
{

namespace wire = ipc::wire;

const char *const kProtocolVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05",
                                         nullptr};

namespace
{

constexpr std::size_t kToolsPageSize = 50;

// The argument that carries a confirmation token, for every confirmable tool.
constexpr const char kConfirmArgument[] = "confirm";

const char *const kLogLevels[] = {"debug", "info",     "notice", "warning",
                                  "error", "critical", "alert",  "emergency"};

} // namespace

bool supported_protocol_version(const std::string &v)
{
	for (int i = 0; kProtocolVersions[i]; i++)
		if (v == kProtocolVersions[i])
			return true;
	return false;
}

std::string negotiate_protocol_version(const std::string &requested)
{
	return supported_protocol_version(requested) ? requested : kProtocolVersions[0];
}

namespace
{

// True when the executor held the SQL back because it is destructive (SQLSTATE MC001).
bool needs_confirmation(const Json &r)
{
	return !r.value(wire::kOk, false) && r.contains(wire::kError) && r[wire::kError].is_object() &&
	       r[wire::kError].value(wire::kSqlstate, "") == wire::kNeedsConfirmationSqlstate;
}

// The value a confirmation token of a confirmable tool's call is bound to: its confirm
// argument, or the tool and all its arguments but the token (kConfirmAllArguments).
std::string confirm_subject(const tools::ToolEntry &tool, const Json &args)
{
	if (tool.confirm_argument != tools::kConfirmAllArguments)
		return args.value(tool.confirm_argument, "");
	Json rest = args;
	rest.erase(kConfirmArgument);
	return tool.name + " " + rest.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// How the confirmation text names what must stay the same.
std::string confirm_what(const tools::ToolEntry &tool)
{
	return tool.confirm_argument == tools::kConfirmAllArguments ? "arguments"
	                                                            : tool.confirm_argument;
}

} // namespace

Json McpServer::confirmation_result(const tools::ToolEntry &tool, const Json &r,
                                    const std::string &principal_key, const Json &args) const
{
	std::string token = confirmations_.issue(principal_key, confirm_subject(tool, args),
	                                         int64_t(std::time(nullptr)));
	std::string statements = r[wire::kError].value(wire::kDetail, "");
	std::string text = "Nothing was run. This SQL holds destructive statements:\n" + statements +
	                   "\n\nAsk the user whether to run it. To run it, call " + tool.name +
	                   " again with the same " + confirm_what(tool) + " and \"" + kConfirmArgument +
	                   "\": \"" + token + "\" (valid " +
	                   std::to_string(ConfirmationTokens::kTtlSeconds / 60) +
	                   " minutes, for this exact SQL only).";
	// Not structuredContent, which must match the tool's outputSchema (docs/tools.md).
	return {{"content", {{{"type", "text"}, {"text", text}}}},
	        {"_meta",
	         {{"mcp_supa",
	           {{"confirmation_required", true},
	            {"confirm", token},
	            {"statements", statements},
	            {"expires_in_seconds", ConfirmationTokens::kTtlSeconds}}}}},
	        {"isError", true}};
}

Json McpServer::initialize(const Message &m, Session &session)
{
	const Json &p = m.params;
	if (!p.is_object() || !p.contains("protocolVersion") || !p["protocolVersion"].is_string())
		return make_error(m.id, rpc_error::kInvalidParams,
		                  "initialize needs a protocolVersion string");
	session.protocol_version = negotiate_protocol_version(p["protocolVersion"].get<std::string>());
	session.client_info = p.value("clientInfo", Json::object());
	session.client_capabilities = p.value("capabilities", Json::object());
	Json result = {
	    {"protocolVersion", session.protocol_version},
	    {"capabilities", {{"tools", {{"listChanged", false}}}, {"logging", Json::object()}}},
	    {"serverInfo",
	     {{"name", "mcp_supa"},
	      {"title", "Supabase database (mcp_supa)"},
	      {"version", cfg_->version}}},
	    {"instructions", tools::server_instructions()}};
	return make_result(m.id, std::move(result));
}

namespace
{

// One tools/list result as JSON text: the definitions from start, nextCursor when more remain.
std::string tools_page_text(const Json &all, std::size_t start)
{
	Json page = Json::array();
	for (std::size_t i = start; i < all.size() && page.size() < kToolsPageSize; i++)
		page.push_back(all[i]);
	Json result = {{"tools", page}};
	if (start + page.size() < all.size())
		result["nextCursor"] = std::to_string(start + page.size());
	return result.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace

// The definitions of the tools a caller may use, in tools/list order.
Json McpServer::visible_definitions(const Principal &caller) const
{
	Json out = Json::array();
	for (const tools::ToolEntry &t : tools::registry().entries())
		if (tools::tool_refusal(t, cfg_->features, caller).empty())
			out.push_back(t.definition);
	return out;
}

Json McpServer::tools_list(const Message &m, const Principal &caller)
{
	// Every tool: the cached pages; a scope or mcp_supa.features: a list of its own.
	bool every = tools::every_tool(cfg_->features, caller);
	Json scoped = every ? Json() : visible_definitions(caller);
	const Json &all = every ? tools::registry().definitions() : scoped;
	std::size_t start = 0;
	if (m.params.is_object() && m.params.contains("cursor")) {
		const Json &c = m.params["cursor"];
		if (!c.is_string())
			return make_error(m.id, rpc_error::kInvalidParams, "cursor must be a string");
		try {
			std::size_t pos = 0;
			start = std::stoul(c.get<std::string>(), &pos);
			if (pos != c.get<std::string>().size() || start > all.size())
				throw std::invalid_argument("cursor");
		} catch (const std::exception &) {
			return make_error(m.id, rpc_error::kInvalidParams, "invalid cursor");
		}
	}
	if (!every)
		return make_result_text(m.id, tools_page_text(all, start));
	auto cached = tools_pages_.find(start);
	if (cached == tools_pages_.end())
		cached = tools_pages_.emplace(start, tools_page_text(all, start)).first;
	return make_result_text(m.id, cached->second);
}

std::shared_ptr<McpServer::PendingCall> McpServer::pending_call(const Json &id,
                                                                const tools::ToolEntry *tool,
                                                                Json args, Reply reply,
                                                                audit::Record record, bool auditing)
{
	auto call = std::make_shared<PendingCall>();
	call->id = id;
	call->tool = tool;
	call->args = std::move(args);
	call->reply = std::move(reply);
	call->record = std::move(record);
	call->auditing = auditing;
	call->started = std::chrono::steady_clock::now();
	return call;
}

void McpServer::tools_call(const Message &m, Session &session, const CallContext &ctx, Reply reply)
{
	const Json &p = m.params;
	if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) {
		reply(make_error(m.id, rpc_error::kInvalidParams, "tools/call needs a tool name"));
		return;
	}
	const std::string &name = p["name"].get_ref<const std::string &>();
	const tools::ToolEntry *tool = tools::registry().find(name);
	if (!tool) {
		reply(make_error(m.id, rpc_error::kInvalidParams, "unknown tool: " + name));
		return;
	}
	Json args =
	    p.contains("arguments") && !p["arguments"].is_null() ? p["arguments"] : Json::object();
	std::string error;
	// The audit record is built only when someone will write it.
	bool auditing = audit_ && cfg_->audit;
	audit::Record record;
	if (auditing) {
		auto client = ctx.request_info.find("client_address");
		record = audit::base_record(&ctx.principal,
		                            client != ctx.request_info.end() && client->is_string()
		                                ? client->get<std::string>()
		                                : std::string(),
		                            session.id);
		record.request_id = m.id.is_string() ? m.id.get<std::string>() : m.id.dump();
		record.tool = name;
		record.arguments = audit::audit_arguments(args);
	}
	std::string refusal = tools::tool_refusal(*tool, cfg_->features, ctx.principal);
	if (!refusal.empty()) {
		if (auditing) {
			record.status = "refused";
			record.message = refusal;
			audit_(std::move(record));
		}
		reply(make_error(m.id, rpc_error::kInvalidParams, refusal));
		return;
	}
	if (tool->backend == tools::Backend::Http) {
		http_call(pending_call(m.id, tool, std::move(args), std::move(reply), std::move(record),
		                       auditing),
		          ctx);
		return;
	}
	tools::CallLimits limits{cfg_->read_only || ctx.principal.read_only, cfg_->max_request_bytes};
	auto job = tools::build_job(*tool, args, limits, error);
	if (!job) {
		if (auditing) {
			record.status = "invalid";
			record.message = error;
			audit_(std::move(record));
		}
		reply(make_result(m.id, tools::tool_error("invalid arguments for " + name + ": " + error)));
		return;
	}
	if (tool->confirmable) {
		(*job)[wire::kAllowedStatements] = cfg_->allowed_statements;
		(*job)[wire::kConfirmDestructive] = cfg_->confirm_destructive;
		if (args.contains(kConfirmArgument)) {
			int64_t now = int64_t(std::time(nullptr));
			if (!confirmations_.verify(args.value(kConfirmArgument, ""), ctx.principal.key(),
			                           confirm_subject(*tool, args), now)) {
				reply(make_result(
				    m.id, tools::tool_error("the confirmation token is invalid or expired, or was "
				                            "issued for other SQL or another caller; run the query "
				                            "without confirm to get a new one")));
				return;
			}
			(*job)[wire::kDestructiveConfirmed] = true;
		}
	}
	(*job)[wire::kRole] = ctx.principal.role;
	if (!ctx.principal.api_key_hash.empty())
		(*job)[wire::kApiKeyHash] = ctx.principal.api_key_hash;
	(*job)[wire::kClaims] = ctx.principal.claims;
	(*job)[wire::kRequest] = ctx.request_info;
	(*job)[wire::kTimeoutMs] = cfg_->statement_timeout_ms;
	(*job)[wire::kMaxRows] = cfg_->max_rows;
	(*job)[wire::kMaxBytes] = cfg_->max_result_bytes;
	// One shared state per call: the callbacks below hold a pointer, not copies of it all.
	auto call =
	    pending_call(m.id, tool, std::move(args), std::move(reply), std::move(record), auditing);
	call->key = std::make_pair(session.id, m.id.dump());
	call->principal_key = ctx.principal.key();
	call->can_elicit = ctx.send_to_client && session.client_capabilities.is_object() &&
	                   session.client_capabilities.contains("elicitation");
	if (call->can_elicit) {
		call->send = ctx.send_to_client;
		// Only a call that may be asked about needs its job again.
		if (cfg_->confirm_destructive)
			call->job = *job;
	}
	switch (tool->backend) {
		case tools::Backend::Executor:
			submit_job(std::move(*job), call->key,
			           [this, call](const Json &r) { call_result(call, r); });
			return;
		case tools::Backend::Http:
			break; // answered above
	}
}

void McpServer::http_call(const std::shared_ptr<PendingCall> &call, const CallContext &ctx)
{
	auto in = std::make_shared<tools::HttpCallInputs>();
	in->storage_url = cfg_->storage_url;
	in->storage_api_key = cfg_->storage_api_key;
	in->jwt_secret = cfg_->jwt_secret;
	in->max_bytes = std::size_t(cfg_->storage_max_bytes);
	in->timeout_ms = cfg_->storage_timeout_ms;
	in->read_only = cfg_->read_only || ctx.principal.read_only;
	in->principal = ctx.principal;
	in->bearer_token = ctx.bearer_token;
	in->now_unix = int64_t(std::time(nullptr));
	std::string error;
	auto request = http_ ? tools::build_http(*call->tool, call->args, *in, error) : std::nullopt;
	if (!request) {
		tools::HttpReply refused;
		refused.error = http_ ? error : "this server has no HTTP backend for " + call->tool->name;
		if (call->auditing) {
			call->record.status = "invalid";
			call->record.message = refused.error;
			audit_(std::move(call->record));
			call->auditing = false;
		}
		call->reply(make_result(call->id, tools::tool_error(refused.error)));
		return;
	}
	http_->send(std::move(*request),
	            [this, call, in](tools::HttpReply reply) { finish_http_call(*call, *in, reply); });
}

void McpServer::finish_http_call(PendingCall &call, const tools::HttpCallInputs &in,
                                 tools::HttpReply &reply)
{
	int64_t bytes = int64_t(reply.body.size());
	Json result = tools::shape_http_result(*call.tool, call.args, in, reply, common::random_hex(8));
	if (call.auditing) {
		bool failed = result.value("isError", false);
		Json outcome = {{wire::kOk, !failed}, {"bytes", bytes}};
		if (failed)
			outcome[wire::kError] = {{wire::kMessage, tools::http_error_summary(result)}};
		audit_outcome(call, outcome);
	}
	call.reply(make_result(call.id, std::move(result)));
}

void McpServer::call_result(const std::shared_ptr<PendingCall> &call, const Json &r)
{
	if (!(call->tool->confirmable && needs_confirmation(r))) {
		finish_call(*call, r);
		return;
	}
	if (!call->can_elicit) {
		// Held back, nothing ran: audited as refused (SQLSTATE MC001); the confirmed call that
		// may follow is a call of its own.
		audit_outcome(*call, r, "refused");
		call->reply(make_result(
		    call->id, confirmation_result(*call->tool, r, call->principal_key, call->args)));
		return;
	}
	// The client can ask its human: do that instead of handing out a token.
	std::string statements = r[wire::kError].value(wire::kDetail, "");
	elicit_confirmation(call->key.first, call->send, statements, [this, call, r](bool accepted) {
		if (!accepted) {
			audit_outcome(*call, r, "refused", "the user declined or did not answer in time");
			call->reply(make_result(
			    call->id, tools::tool_error(
			                  "The user declined or did not answer in time: nothing was run.")));
			return;
		}
		call->job[wire::kDestructiveConfirmed] = true;
		submit_job(call->job, call->key,
		           [this, call](const Json &again) { finish_call(*call, again); });
	});
}

void McpServer::audit_outcome(PendingCall &call, const Json &r, const char *status,
                              const char *message)
{
	if (!call.auditing)
		return;
	audit::add_outcome(call.record, r);
	if (status)
		call.record.status = status;
	if (message)
		call.record.message = message;
	call.record.duration_ms =
	    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - call.started)
	        .count();
	audit_(std::move(call.record));
	call.auditing = false;
}

void McpServer::finish_call(PendingCall &call, const Json &r)
{
	audit_outcome(call, r);
	std::string tag = common::random_hex(8);
	if (call.tool->fast_shape) {
		std::string text = call.tool->fast_shape(r, tag);
		if (!text.empty()) {
			call.reply(make_result_text(call.id, text));
			return;
		}
	}
	call.reply(make_result(call.id, tools::shape_result(*call.tool, call.args, r, tag)));
}

void McpServer::submit_job(Json job, const std::pair<std::string, std::string> &key, Outcome done)
{
	// The job may finish synchronously (queue full): register before submitting, erase after.
	in_flight_[key] = 0;
	uint64_t handle =
	    sink_.submit(std::move(job), [this, key, done = std::move(done)](const Json &r) {
		    in_flight_.erase(key);
		    done(r);
	    });
	auto it = in_flight_.find(key);
	if (it != in_flight_.end())
		it->second = handle;
}

void McpServer::elicit_confirmation(const std::string &session_id,
                                    const std::function<void(Json)> &send,
                                    const std::string &statements,
                                    std::function<void(bool)> decided)
{
	Json rid = "mcp_supa-elicit-" + std::to_string(next_elicitation_++);
	auto deadline =
	    std::chrono::steady_clock::now() + std::chrono::milliseconds(kElicitationTimeoutMs);
	elicitations_[{session_id, rid.dump()}].deadline = deadline;
	elicitations_[{session_id, rid.dump()}].answered = [decided](const Json &response) {
		const Json &result = response.contains("result") ? response["result"] : Json::object();
		bool accepted = result.is_object() && result.value("action", "") == "accept" &&
		                result.contains("content") && result["content"].is_object() &&
		                result["content"].value("confirm", false) == true;
		decided(accepted);
	};
	Json schema = {{"type", "object"},
	               {"properties",
	                {{"confirm",
	                  {{"type", "boolean"},
	                   {"title", "Run these statements"},
	                   {"description", "They change or remove data or schema."}}}}},
	               {"required", {"confirm"}}};
	send({{"jsonrpc", "2.0"},
	      {"id", rid},
	      {"method", "elicitation/create"},
	      {"params",
	       {{"message", "An AI assistant wants to run destructive SQL on your database:\n" +
	                        statements + "\nRun it?"},
	        {"requestedSchema", schema}}}});
}

void McpServer::cancelled(const Message &m, Session &session)
{
	if (!m.params.is_object() || !m.params.contains("requestId"))
		return;
	auto it = in_flight_.find({session.id, m.params["requestId"].dump()});
	if (it != in_flight_.end() && it->second != 0)
		sink_.cancel(it->second);
}

void McpServer::expire_elicitations()
{
	auto now = std::chrono::steady_clock::now();
	std::vector<std::function<void(const Json &)>> late;
	for (auto it = elicitations_.begin(); it != elicitations_.end();)
		if (it->second.deadline <= now) {
			late.push_back(std::move(it->second.answered));
			it = elicitations_.erase(it);
		} else
			++it;
	for (auto &answered : late)
		answered(Json::object()); // no answer counts as no
}

void McpServer::cancel_session(const std::string &session_id)
{
	for (auto it = elicitations_.begin(); it != elicitations_.end();)
		it = it->first.first == session_id ? elicitations_.erase(it) : std::next(it);
	std::vector<uint64_t> handles;
	for (const auto &[key, handle] : in_flight_)
		if (key.first == session_id && handle != 0)
			handles.push_back(handle);
	for (uint64_t h : handles)
		sink_.cancel(h);
}

void McpServer::handle(const Json &message, Session &session, const CallContext &ctx, Reply reply)
{
	Message m = classify_message(message);
	switch (m.kind) {
		case MessageKind::Invalid:
			reply(make_error(m.id, rpc_error::kInvalidRequest, m.error));
			return;
		case MessageKind::Response: {
			// The answer to one of our elicitation/create requests; others are ignored.
			auto it = elicitations_.find({session.id, m.id.dump()});
			if (it != elicitations_.end()) {
				auto continuation = std::move(it->second.answered);
				elicitations_.erase(it);
				continuation(message);
			}
			return;
		}
		case MessageKind::Notification:
			if (m.method == "notifications/initialized")
				session.initialized = true;
			else if (m.method == "notifications/cancelled")
				cancelled(m, session);
			return;
		case MessageKind::Request:
			break;
	}
	if (m.method == "initialize") {
		reply(initialize(m, session));
		return;
	}
	if (m.method == "ping") {
		reply(make_result(m.id, Json::object()));
		return;
	}
	if (session.protocol_version.empty()) {
		reply(make_error(m.id, rpc_error::kInvalidRequest, "the session is not initialized"));
		return;
	}
	if (m.method == "tools/list")
		reply(tools_list(m, ctx.principal));
	else if (m.method == "tools/call")
		tools_call(m, session, ctx, reply);
	else if (m.method == "logging/setLevel") {
		std::string level = m.params.is_object() ? m.params.value("level", "") : "";
		for (const char *l : kLogLevels)
			if (level == l) {
				session.log_level = level;
				reply(make_result(m.id, Json::object()));
				return;
			}
		reply(make_error(m.id, rpc_error::kInvalidParams, "unknown log level"));
	} else
		reply(make_error(m.id, rpc_error::kMethodNotFound, "method not found: " + m.method));
}

} // namespace mcp_supa::mcp
