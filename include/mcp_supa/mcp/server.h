// The MCP method layer, independent of the transport: lifecycle, ping, tools/list,
// tools/call (routed through the tool registry to each tool's backend), logging/setLevel and
// cancellation.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "mcp_supa/mcp/audit.h"
#include "mcp_supa/mcp/confirmation.h"
#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/mcp/jsonrpc.h"
#include "mcp_supa/mcp/session.h"
#include "mcp_supa/tools/registry.h"

namespace mcp_supa::mcp
{

// Protocol revisions, newest first.
extern const char *const kProtocolVersions[];
// True when the revision is one the server speaks.
bool supported_protocol_version(const std::string &v);
// The revision the server answers an initialize that asked for requested.
std::string negotiate_protocol_version(const std::string &requested);

// Where tool calls go: the executor pool (ipc::Dispatcher in the gateway, a fake in tests).
class JobSink
{
public:
	virtual ~JobSink() = default;
	// Submits a job; done runs exactly once, now or later. Returns a handle for cancel().
	virtual uint64_t submit(Json job, std::function<void(const Json &result)> done) = 0;
	virtual void cancel(uint64_t handle) = 0;
};

// Where the Http backend's requests go: the gateway's outbound HTTP client with its retries
// and circuit breakers (net::UpstreamClient), a fake in tests.
class HttpSink
{
public:
	virtual ~HttpSink() = default;
	// Sends a request; done runs exactly once, always later (from the event loop).
	virtual void send(tools::HttpRequestSpec request,
	                  std::function<void(tools::HttpReply reply)> done) = 0;
};

// What the transport knows about the request that carried a message.
struct CallContext {
	Principal principal;
	Json request_info = Json::object(); // method, path, headers for request.* settings
	// Sends a server-to-client request on this connection (WebSocket); null where the
	// transport cannot (Streamable HTTP answers with JSON, not SSE).
	std::function<void(Json)> send_to_client;
	// A JWT caller's token as presented: the Http backend forwards it (Storage decides by it).
	std::string bearer_token;
};

class McpServer
{
public:
	using Reply = std::function<void(Json response)>;

	McpServer(const GatewayConfig &cfg, JobSink &sink) : cfg_(&cfg), sink_(sink) {}
	void set_config(const GatewayConfig &cfg) { cfg_ = &cfg; }
	// Where tools of the Http backend send their requests (null: they answer 0A000).
	void set_http(HttpSink *sink) { http_ = sink; }
	// Receives one audit record per tools/call, whatever its outcome.
	void set_audit(std::function<void(audit::Record record)> audit) { audit_ = std::move(audit); }

	// Handles one message. A request gets exactly one reply (maybe later); a notification or
	// response gets none. An invalid message gets an error reply when it has an id.
	void handle(const Json &message, Session &session, const CallContext &ctx, Reply reply);
	// Cancels every call still running for a session (its connection closed).
	void cancel_session(const std::string &session_id);
	std::size_t in_flight() const { return in_flight_.size(); }
	// Answers elicitations the client left unanswered for kElicitationTimeoutMs as declined.
	void expire_elicitations();
	static constexpr int64_t kElicitationTimeoutMs = 5 * 60 * 1000;

private:
	const GatewayConfig *cfg_;
	JobSink &sink_;
	HttpSink *http_ = nullptr;
	std::function<void(audit::Record)> audit_;
	ConfirmationTokens confirmations_;
	// Server-to-client requests awaiting their response: (session id, JSON id) -> continuation
	struct Elicitation {
		std::chrono::steady_clock::time_point deadline;
		std::function<void(const Json &)> answered;
	};
	std::map<std::pair<std::string, std::string>, Elicitation> elicitations_;
	uint64_t next_elicitation_ = 1;
	// tools/list pages as JSON text by first index: the definitions never change while the
	// gateway runs, and serializing their schemas was most of a tools/list.
	std::map<std::size_t, std::string> tools_pages_;

	// A tools/call between its submission and its reply.
	struct PendingCall {
		Json id;
		const tools::ToolEntry *tool = nullptr; // in the process-wide registry
		Json args;
		Reply reply;
		audit::Record record;
		bool auditing = false;
		std::chrono::steady_clock::time_point started;
		std::pair<std::string, std::string> key; // (session id, JSON-encoded request id)
		std::string principal_key;
		bool can_elicit = false;
		std::function<void(Json)> send; // to the client, for elicitation
		Json job;                       // kept only when the call may need confirming
	};
	// A call's shared state, its clock started now.
	std::shared_ptr<PendingCall> pending_call(const Json &id, const tools::ToolEntry *tool,
	                                          Json args, Reply reply, audit::Record record,
	                                          bool auditing);
	// The executor answered a call: reply, or first ask for a confirmation.
	void call_result(const std::shared_ptr<PendingCall> &call, const Json &r);
	// Writes the call's audit record (once) from an executor result; status and message, when
	// given, override what the result says.
	void audit_outcome(PendingCall &call, const Json &r, const char *status = nullptr,
	                   const char *message = nullptr);
	// Audits the outcome and sends the CallToolResult.
	void finish_call(PendingCall &call, const Json &r);

	using Outcome = std::function<void(const Json &result)>;
	// Submits a tool job and registers it for cancellation; done gets the executor result.
	void submit_job(Json job, const std::pair<std::string, std::string> &key, Outcome done);
	// Asks the human through elicitation/create whether to run held-back destructive SQL.
	void elicit_confirmation(const std::string &session_id, const std::function<void(Json)> &send,
	                         const std::string &statements, std::function<void(bool)> decided);
	// (session id, JSON-encoded request id) -> job handle
	std::map<std::pair<std::string, std::string>, uint64_t> in_flight_;

	Json initialize(const Message &m, Session &session);
	// The answer to destructive SQL held back by the executor: what it would do, and a token.
	Json confirmation_result(const tools::ToolEntry &tool, const Json &result,
	                         const std::string &principal_key, const Json &args) const;
	Json tools_list(const Message &m, const Principal &caller);
	Json visible_definitions(const Principal &caller) const;
	void tools_call(const Message &m, Session &session, const CallContext &ctx, Reply reply);
	// A tools/call of an Http-backend tool: build the request, send it, shape the answer.
	void http_call(const std::shared_ptr<PendingCall> &call, const CallContext &ctx);
	// Audits an Http call's outcome and sends its CallToolResult.
	void finish_http_call(PendingCall &call, const tools::HttpCallInputs &in,
	                      tools::HttpReply &reply);
	void cancelled(const Message &m, Session &session);
};

} // namespace mcp_supa::mcp
