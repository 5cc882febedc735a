// The dispatcher: the bounded job queue, executors, cancellation and failures.
#include <catch2/catch.hpp>

#include "json_builders.h"
#include "mcp_supa/mcp/audit.h"
#include "mcp_supa/ipc/audit_wire.h"
#include "mcp_supa/tools/tools.h"

#include "mcp_supa/ipc/dispatcher.h"

using namespace mcp_supa;
using test_support::sql_result;
using Json = nlohmann::json;

TEST_CASE("the dispatcher queues, bounds, assigns and fails jobs", "[dispatcher]")
{
	std::vector<std::pair<int, std::string>> sent;
	std::vector<pid_t> signalled;
	ipc::Dispatcher d(
	    1,
	    [&](int e, const std::string &p) {
		    sent.emplace_back(e, p);
		    return true;
	    },
	    [&](pid_t pid) { signalled.push_back(pid); });
	std::vector<Json> results;
	auto done = [&](const Json &r) { results.push_back(r); };
	uint64_t a = d.submit({{"sql", "a"}}, done); // queued: no executor yet
	uint64_t b = d.submit({{"sql", "b"}}, done); // queue full -> busy
	REQUIRE(results.size() == 1);
	CHECK(results[0]["error"]["sqlstate"] == "53300");
	(void)b;
	int e1 = d.add_executor(111);
	REQUIRE(sent.size() == 1);
	CHECK(Json::parse(sent[0].second)["id"] == std::to_string(a));
	CHECK(d.idle_executors() == 0);
	d.cancel(a);
	CHECK(signalled == std::vector<pid_t>{111});
	d.on_result(e1, {{"ok", true}, {"tag", "A"}});
	CHECK(results.back()["tag"] == "A");
	CHECK(d.idle_executors() == 1);
	d.submit({{"sql", "c"}}, done);
	d.remove_executor(e1); // dies while running c
	CHECK(results.back()["error"]["sqlstate"] == "57P01");
	uint64_t q = d.submit({{"sql", "d"}}, done); // queued again, no executor
	d.cancel(q);
	CHECK(results.back()["error"]["sqlstate"] == "57014");
	CHECK(d.queued() == 0);
}

TEST_CASE("an executor result with a mistyped member becomes an error result",
          "[limits][dispatcher]")
{
	// Found by fuzz_executor_result: "truncated":1 made value("truncated", false) throw.
	Json r = ipc::Dispatcher::read_frame(
	    std::string(R"({"type":"result","id":"8","ok":true,"truncated":1,"columns":[]})") + '\0' +
	    "[]");
	CHECK(r["ok"] == false);
	CHECK(r["type"] == "result");
	CHECK(r["id"] == "8");
	CHECK(r["error"]["sqlstate"] == "XX000");
	CHECK_THAT(r["error"]["message"].get<std::string>(), Catch::Contains("truncated"));
	CHECK(tools::sql_result_text(r, "t").empty());
	CHECK(tools::shape_result("execute_sql", Json::object(), r, "t")["isError"] == true);
	for (const char *bad :
	     {R"({"type":"result","ok":"yes"})", R"({"type":"result","row_count":1.5})",
	      R"({"type":"result","ok":false,"error":"x"})",
	      R"({"type":"result","ok":false,"error":{"message":7}})",
	      R"({"type":"result","ok":false,"error":{"position":"3"}})", R"({"type":7,"ok":true})"})
		CHECK(ipc::Dispatcher::read_frame(bad)["error"]["sqlstate"] == "XX000");
	CHECK(ipc::Dispatcher::read_frame(R"({"type":"result","ok":true,"row_count":2})")["ok"] ==
	      true);
	// What the executor sends for an SQL error: nulls for the fields PostgreSQL left empty.
	Json sql_error = ipc::Dispatcher::read_frame(
	    R"({"type":"result","id":null,"ok":false,"refused":false,"error":{"sqlstate":"42601",)"
	    R"("message":null,"detail":null,"hint":null,"position":null,"context":null}})");
	CHECK(sql_error["error"]["sqlstate"] == "42601");
	Json shaped = tools::shape_result("execute_sql", Json::object(), sql_error, "t");
	CHECK(shaped["_meta"]["mcp_supa"]["error"]["sqlstate"] == "42601");
	CHECK_FALSE(shaped.contains("structuredContent")); // error results carry none (issue 13)
	CHECK_THAT(shaped["content"][0]["text"].get<std::string>(), Catch::Contains("unknown error"));
}

TEST_CASE("executor frames are read without a tree of their columns or rows", "[dispatcher]")
{
	std::string header =
	    R"({"type":"result","id":"17","ok":true,"command":"SELECT","statements":1,)"
	    R"("row_count":2,"truncated":true,"bytes":61,"duration_ms":0.125,)"
	    R"("columns":[{"name":"id","type":"integer"},{"name":"note","type":"text"}]})";
	std::string rows = R"([{"id":1,"note":"caf\u00e9 \"x\"\n"},{"id":2,"note":null}])";
	Json r = ipc::Dispatcher::read_frame(header + std::string(1, '\0') + rows);
	REQUIRE(r.is_object());
	CHECK(r["id"] == "17");
	CHECK(r["ok"] == true);
	CHECK(r["row_count"] == 2);
	CHECK(r["row_count"].is_number_integer());
	CHECK(r["duration_ms"] == 0.125);
	CHECK(r["rows_json"] == rows);
	CHECK_FALSE(r.contains("columns"));
	CHECK(tools::result_columns(r) == sql_result(rows)["columns"]);
	// The CallToolResult is the same as from a fully parsed frame.
	Json full = sql_result(rows);
	CHECK(Json::parse(tools::sql_result_text(r, "t"))["structuredContent"] ==
	      Json::parse(tools::sql_result_text(full, "t"))["structuredContent"]);
	CHECK(tools::shape_result("execute_sql", Json::object(), r, "t")["structuredContent"] ==
	      tools::shape_result("execute_sql", Json::object(), full, "t")["structuredContent"]);
	// An error result and a hello keep their objects; no NUL means no rows_json.
	Json e = ipc::Dispatcher::read_frame(
	    R"({"type":"result","id":"3","ok":false,"error":{"sqlstate":"42601","position":8}})");
	CHECK(e["error"]["sqlstate"] == "42601");
	CHECK(e["error"]["position"] == 8);
	CHECK_FALSE(e.contains("rows_json"));
	CHECK(ipc::Dispatcher::read_frame(R"({"type":"hello","pid":4242,"worker":0})")["pid"] == 4242);
	CHECK(ipc::Dispatcher::read_frame(R"({"n":-9223372036854775808,"big":1e400})")["n"] ==
	      INT64_MIN);
	// Invalid headers are refused whatever follows the NUL byte.
	for (const std::string &bad :
	     {std::string("{\"type\":\"result\""), std::string("[1]"), std::string("{\"a\":\"\xff\"}"),
	      std::string("\0[]", 3), std::string("{} {}")})
		CHECK(ipc::Dispatcher::read_frame(bad).is_discarded());
}

TEST_CASE("audit batches become a JSON header, a NUL byte and the records", "[dispatcher]")
{
	std::vector<std::string> sent;
	ipc::Dispatcher d(
	    0,
	    [&](int, const std::string &p) {
		    sent.push_back(p);
		    return true;
	    },
	    [](pid_t) {});
	d.add_executor(1);
	bool ok = false;
	// Exempt from the queue bound (0 here): the records must not be lost.
	d.submit_audit("RECORDS\x01\x02", [&](const Json &r) { ok = r.value("ok", false); });
	REQUIRE(sent.size() == 1);
	std::size_t nul = sent[0].find('\0');
	REQUIRE(nul != std::string::npos);
	Json head = Json::parse(sent[0].substr(0, nul));
	CHECK(head["kind"] == "audit");
	CHECK(head["type"] == "job");
	CHECK(sent[0].substr(nul + 1) == "RECORDS\x01\x02");
	d.on_result(1, {{"ok", true}});
	CHECK(ok);
}
