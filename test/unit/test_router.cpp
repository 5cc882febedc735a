// HTTP routing and the gateway's own response bodies.
#include <catch2/catch.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "mcp_supa/listen.h"
#include "mcp_supa/router.h"

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

TEST_CASE("listen addresses map to lws interfaces", "[listen]")
{
	CHECK(lws_interface_for("*").empty());
	CHECK(lws_interface_for("localhost") == "127.0.0.1");
	CHECK(lws_interface_for("::1") == "::1");
}

TEST_CASE("probe_bind explains a busy port", "[listen]")
{
	// Bind an ephemeral port ourselves, then probing the same port must fail with a reason.
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	sockaddr_in sin{};
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, reinterpret_cast<sockaddr *>(&sin), sizeof(sin)) == 0);
	REQUIRE(listen(fd, 1) == 0);
	socklen_t len = sizeof(sin);
	getsockname(fd, reinterpret_cast<sockaddr *>(&sin), &len);
	int port = ntohs(sin.sin_port);
	CHECK_THAT(probe_bind("127.0.0.1", port), Catch::Contains("in use"));
	close(fd);
	CHECK(probe_bind("127.0.0.1", port).empty());
}
