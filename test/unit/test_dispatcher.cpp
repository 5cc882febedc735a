// The dispatcher: the bounded job queue, executors, cancellation and failures.
#include <catch2/catch.hpp>

#include "mcp_supa/ipc/dispatcher.h"

using namespace mcp_supa;
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
