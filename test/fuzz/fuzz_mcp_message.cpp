// libFuzzer target: bytes as one HTTP POST body or WebSocket message, through the transports'
// shared limit check and parse (parse_client_json) into McpServer, with a fake executor that
// answers every job (rows, an SQL error, or destructive SQL held back for confirmation).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "mcp_supa/common/json_limits.h"
#include "mcp_supa/ipc/job_wire.h"
#include "mcp_supa/mcp/audit.h"
#include "mcp_supa/mcp/jsonrpc.h"
#include "mcp_supa/mcp/server.h"
#include "mcp_supa/mcp/session.h"

using namespace mcp_supa;
using mcp::Json;

namespace
{

// Keeps jobs until the harness answers them, as the executor pool would later.
struct AnsweringSink : mcp::JobSink {
	std::vector<std::function<void(const Json &)>> pending;
	uint64_t submitted = 0;
	uint64_t submit(Json job, std::function<void(const Json &)> done) override
	{
		(void)job.dump(); // what the dispatcher would send
		pending.push_back(std::move(done));
		return ++submitted;
	}
	void cancel(uint64_t) override {}
};

// The executor's answer number i: rows, an SQL error, or a held-back destructive statement.
Json executor_result(std::size_t i)
{
	switch (i % 3) {
		case 0:
			return {{"ok", true},
			        {"command", "SELECT"},
			        {"rows_json", R"([{"x":1,"j":{"k":[1,2,{"a":null}]}}])"},
			        {"columns_json", R"([{"name":"x","type":"integer"}])"},
			        {"row_count", 1},
			        {"truncated", false}};
		case 1:
			return {
			    {"ok", false},
			    {"error", {{"sqlstate", "42601"}, {"message", "syntax error"}, {"position", 3}}}};
		default:
			return {{"ok", false},
			        {"error",
			         {{"sqlstate", ipc::wire::kNeedsConfirmationSqlstate},
			          {"message", "held"},
			          {"detail", "DROP TABLE t"}}}};
	}
}

// Answers every job, including jobs submitted while answering (bounded); which answer comes
// first depends on seed, so inputs can choose it.
void drain(AnsweringSink &sink, std::size_t seed)
{
	for (std::size_t i = 0; i < 64 && !sink.pending.empty(); i++) {
		auto done = std::move(sink.pending.front());
		sink.pending.erase(sink.pending.begin());
		done(executor_result(seed + i));
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	auto reply = [](Json r) { (void)mcp::serialize_message(r); };
	common::ClientJson checked = common::parse_client_json(text);
	if (!checked.ok()) {
		reply(mcp::make_error(nullptr, checked.code, checked.error));
		return 0;
	}
	GatewayConfig cfg;
	AnsweringSink sink;
	mcp::McpServer server(cfg, sink);
	server.set_audit([](audit::Record r) { (void)audit::encode(r); });
	mcp::Session session;
	session.id = "fuzz";
	mcp::CallContext ctx;
	ctx.principal.role = "authenticated";
	ctx.principal.subject = "u1";
	ctx.principal.auth_method = "jwt";
	ctx.principal.claims = {{"role", "authenticated"}, {"sub", "u1"}};
	if (size % 2) // a WebSocket can ask the client (elicitation); Streamable HTTP here cannot
		ctx.send_to_client = [](Json m) { (void)mcp::serialize_message(m); };
	server.handle({{"jsonrpc", "2.0"},
	               {"id", 0},
	               {"method", "initialize"},
	               {"params",
	                {{"protocolVersion", "2025-03-26"},
	                 {"capabilities", {{"elicitation", Json::object()}}}}}},
	              session, ctx, reply);
	auto handle_input = [&] {
		if (!checked.value.is_array())
			return server.handle(checked.value, session, ctx, reply);
		for (const auto &message : checked.value)
			server.handle(message, session, ctx, reply);
	};
	handle_input();
	drain(sink, size);
	// The input may also answer an elicitation ("mcp_supa-elicit-1"): hand it in again now
	// that one may be pending.
	handle_input();
	drain(sink, size);
	server.cancel_session(session.id);
	server.expire_elicitations();
	return 0;
}
