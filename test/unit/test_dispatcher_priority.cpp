// Bookkeeping jobs (audit batches, the API-key refresh) never wait behind calls and never
// expire with them (issue 12 finding 6).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mcp_supa/ipc/dispatcher.h"

using namespace mcp_supa;
using Json = nlohmann::json;

TEST_CASE("audit batches and the API-key refresh go first and never expire", "[dispatcher]")
{
	std::vector<std::string> sent;
	ipc::Dispatcher d(
	    100,
	    [&](int, const std::string &p) {
		    sent.push_back(p);
		    return true;
	    },
	    [](pid_t) {});
	std::vector<std::string> finished;
	auto done_as = [&](std::string name) {
		return [&finished, name](const Json &r) {
			finished.push_back(name + (r.value("ok", false) ? ":ok" : ":failed"));
		};
	};
	int ex = d.add_executor(4242);
	d.submit({{"sql", "slow"}}, done_as("slow"), 0);
	d.submit({{"sql", "b"}}, done_as("b"), 0);
	d.submit({{"sql", "c"}}, done_as("c"), 0);
	d.submit_audit("records", done_as("audit"), 0);
	d.submit({{"kind", "api_keys"}}, done_as("keys"), 0, true);
	REQUIRE(sent.size() == 1);

	// The calls time out in the queue; the bookkeeping stays.
	CHECK(d.expire_queued(60000, 30000) == 2);
	CHECK(finished == std::vector<std::string>{"b:failed", "c:failed"});

	// The executor frees up: the audit batch runs next, then the key refresh.
	d.on_result(ex, Json{{"type", "result"}, {"ok", true}});
	REQUIRE(sent.size() == 2);
	CHECK(sent[1].find("\"kind\":\"audit\"") != std::string::npos);
	d.on_result(ex, Json{{"type", "result"}, {"ok", true}});
	REQUIRE(sent.size() == 3);
	CHECK(sent[2].find("api_keys") != std::string::npos);

	// With calls queued again, a new audit batch still goes before them.
	d.submit({{"sql", "d"}}, done_as("d"), 70000);
	d.submit_audit("more", done_as("audit2"), 70000);
	d.on_result(ex, Json{{"type", "result"}, {"ok", true}});
	REQUIRE(sent.size() == 4);
	CHECK(sent[3].find("\"kind\":\"audit\"") != std::string::npos);
}

TEST_CASE("a cancel the job catches is named for termination once its grace is over",
          "[dispatcher]")
{
	std::vector<pid_t> interrupted;
	ipc::Dispatcher d(
	    100, [](int, const std::string &) { return true; },
	    [&](pid_t pid) { interrupted.push_back(pid); });
	int e1 = d.add_executor(101);
	int e2 = d.add_executor(202);
	uint64_t stubborn = d.submit(
	    {{"sql", "loop"}}, [](const Json &) {}, 0);
	uint64_t polite = d.submit(
	    {{"sql", "sleep"}}, [](const Json &) {}, 0);
	d.cancel(stubborn, 1000);
	d.cancel(polite, 1000);
	CHECK(interrupted == std::vector<pid_t>{101, 202});
	CHECK(d.overdue_cancels(2500, 2000).empty()); // still within the grace
	d.on_result(e2, {{"ok", false}});             // the polite one stopped
	CHECK(d.overdue_cancels(3000, 2000) == std::vector<pid_t>{101});
	CHECK(d.overdue_cancels(9000, 2000).empty()); // named once
	d.remove_executor(e1);
	CHECK(d.running() == 0);
}
