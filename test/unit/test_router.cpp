// HTTP routing and the gateway's own response bodies.
#include <catch2/catch.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "mcp_supa/net/listen.h"
#include "mcp_supa/net/router.h"

using namespace mcp_supa::net;

TEST_CASE("GET and HEAD /health reach the health route", "[router]")
{
	CHECK(route_request("GET", "/health").route == Route::Health);
	CHECK(route_request("HEAD", "/health").route == Route::Health);
	CHECK(route_request("GET", "/health?verbose=1").route == Route::Health);
}

TEST_CASE("other methods on /health are 405 with an Allow list", "[router]")
{
	auto m = route_request("POST", "/health");
	CHECK(m.route == Route::MethodNotAllowed);
	REQUIRE(m.allow != nullptr);
	CHECK(std::string(m.allow) == "GET, HEAD");
}

TEST_CASE("unknown paths are 404", "[router]")
{
	CHECK(route_request("GET", "/").route == Route::NotFound);
	CHECK(route_request("GET", "/healthz").route == Route::NotFound);
	CHECK(route_request("GET", "/HEALTH").route == Route::NotFound);
	CHECK(route_request("GET", "").route == Route::NotFound);
}

TEST_CASE("the health body is JSON with version and uptime", "[router]")
{
	auto j = nlohmann::json::parse(health_body("1.2.3", 12.34567));
	CHECK(j["status"] == "ok");
	CHECK(j["version"] == "1.2.3");
	CHECK(j["uptime_seconds"].get<double>() == Approx(12.345));
}

TEST_CASE("error bodies carry the status and an escaped message", "[router]")
{
	auto j = nlohmann::json::parse(error_body(404, "no \"such\" path"));
	CHECK(j["error"]["status"] == 404);
	CHECK(j["error"]["message"] == "no \"such\" path");
}

TEST_CASE("listen entries name the exact addresses bound", "[listen]")
{
	CHECK(bind_addresses("*") == std::vector<std::string>{"0.0.0.0", "::"});
	CHECK(bind_addresses("localhost") == std::vector<std::string>{"127.0.0.1", "::1"});
	CHECK(bind_addresses("::1") == std::vector<std::string>{"::1"});
	CHECK(bind_addresses("127.0.0.1") == std::vector<std::string>{"127.0.0.1"});
}

// The family and address a socket is bound to, as the kernel reports it.
static std::pair<int, std::string> bound_address(int fd)
{
	sockaddr_storage ss{};
	socklen_t len = sizeof(ss);
	getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len);
	char buf[INET6_ADDRSTRLEN] = {0};
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in &>(ss).sin_addr, buf, sizeof(buf));
	else
		inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6 &>(ss).sin6_addr, buf, sizeof(buf));
	return {ss.ss_family, buf};
}

TEST_CASE("an IPv4 listen address is an IPv4 socket, IPv6 ones are v6-only", "[listen]")
{
	Listener v4 = open_listener("127.0.0.1", 0);
	REQUIRE(v4.fd >= 0);
	CHECK(bound_address(v4.fd) == std::make_pair(int(AF_INET), std::string("127.0.0.1")));
	close(v4.fd);
	Listener v6 = open_listener("::1", 0);
	if (v6.fd >= 0) { // a host without IPv6 cannot run this half
		CHECK(bound_address(v6.fd) == std::make_pair(int(AF_INET6), std::string("::1")));
		int only = 0;
		socklen_t len = sizeof(only);
		getsockopt(v6.fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, &len);
		CHECK(only == 1);
		close(v6.fd);
	}
	CHECK(open_listener("example.com", 0).error == "not a numeric address");
}

TEST_CASE("open_listeners explains a busy port and closes what it opened", "[listen]")
{
	Listener busy = open_listener("127.0.0.1", 0);
	REQUIRE(busy.fd >= 0);
	sockaddr_in sin{};
	socklen_t len = sizeof(sin);
	getsockname(busy.fd, reinterpret_cast<sockaddr *>(&sin), &len);
	int port = ntohs(sin.sin_port);
	std::vector<Listener> out;
	std::string why;
	CHECK_FALSE(open_listeners({"127.0.0.1"}, port, out, why));
	CHECK_THAT(why, Catch::Contains("in use"));
	CHECK(out.empty());
	close(busy.fd);
	CHECK(open_listeners({"127.0.0.1"}, port, out, why));
	REQUIRE(out.size() == 1);
	close(out[0].fd);
}

TEST_CASE("ambiguous body framing is named", "[router]")
{
	CHECK(framing_problem({}, false).empty());
	CHECK(framing_problem({"12"}, false).empty());
	CHECK(framing_problem({"0"}, false).empty());
	CHECK_THAT(framing_problem({"2", "2"}, false), Catch::Contains("more than one"));
	CHECK_THAT(framing_problem({"2", "40"}, false), Catch::Contains("more than one"));
	CHECK_THAT(framing_problem({"2"}, true), Catch::Contains("Transfer-Encoding"));
	for (const char *bad : {"+2", "-1", " 2", "2a", "0x10", "", "1234567890123456789"})
		CHECK_THAT(framing_problem({bad}, false), Catch::Contains("decimal"));
	CHECK(framing_problem({}, true).empty()); // chunked alone: refused later with 411
}

TEST_CASE("header_safe keeps header values on one line and inside their quotes", "[router]")
{
	CHECK(header_safe("role \"x\" is not allowed") == "role ?x? is not allowed");
	CHECK(header_safe("a\r\nSet-Cookie: s=1") == "a??Set-Cookie: s=1");
	CHECK(header_safe("tab\there\\") == "tab?here?");
	CHECK(header_safe("caf\xc3\xa9") == "caf??");
	CHECK(header_safe(std::string(500, 'a')).size() == 200);
}

TEST_CASE("Accept headers are matched with wildcards and parameters", "[router]")
{
	CHECK(accepts("application/json, text/event-stream", "text/event-stream"));
	CHECK(accepts("*/*", "application/json"));
	CHECK(accepts("text/*;q=0.5", "text/event-stream"));
	CHECK_FALSE(accepts("text/html", "application/json"));
	CHECK_FALSE(accepts("", "application/json"));
	CHECK(accepts("Application/JSON; charset=utf-8", "application/json"));
}

TEST_CASE("the OAuth protected-resource metadata has its route, GET and HEAD only", "[router]")
{
	CHECK(route_request("GET", "/.well-known/oauth-protected-resource").route ==
	      Route::ProtectedResource);
	CHECK(route_request("GET", "/.well-known/oauth-protected-resource/mcp").route ==
	      Route::ProtectedResource);
	CHECK(route_request("HEAD", "/.well-known/oauth-protected-resource?x=1").route ==
	      Route::ProtectedResource);
	CHECK(route_request("POST", "/.well-known/oauth-protected-resource").route ==
	      Route::MethodNotAllowed);
	CHECK(route_request("GET", "/.well-known/oauth-protected-resources").route == Route::NotFound);
	CHECK(route_request("GET", "/.well-known/oauth-authorization-server").route == Route::NotFound);
}
