// The supervisor -> gateway configuration frame: parsing, validation, round trip.
#include <catch2/catch.hpp>

#include "mcp_supa/config/gateway_config.h"

using namespace mcp_supa;

TEST_CASE("listen_addresses accepts *, localhost and numeric IPs", "[config]")
{
	auto v = parse_listen_addresses(" 127.0.0.1 , ::1,localhost,*");
	REQUIRE(v.size() == 4);
	CHECK(v[0] == "127.0.0.1");
	CHECK(v[1] == "::1");
	CHECK(v[2] == "localhost");
	CHECK(v[3] == "*");
}

TEST_CASE("listen_addresses refuses names, garbage and empty lists", "[config]")
{
	CHECK_THROWS_WITH(parse_listen_addresses("example.com"), Catch::Contains("example.com"));
	CHECK_THROWS_AS(parse_listen_addresses("127.0.0.256"), ConfigError);
	CHECK_THROWS_AS(parse_listen_addresses(""), ConfigError);
	CHECK_THROWS_AS(parse_listen_addresses(" , "), ConfigError);
	std::string many;
	for (int i = 0; i < 17; i++)
		many += "127.0.0." + std::to_string(i + 1) + ",";
	CHECK_THROWS_AS(parse_listen_addresses(many), ConfigError);
}

TEST_CASE("a config survives serialize and parse", "[config]")
{
	GatewayConfig c;
	c.listen_addresses = {"127.0.0.1", "::1"};
	c.port = 9999;
	c.database = "app";
	c.workers = 7;
	c.jwt_secret = std::string(40, 's');
	c.version = "9.9.9";
	GatewayConfig d = parse_gateway_config(serialize_gateway_config(c));
	CHECK(d.listen_addresses == c.listen_addresses);
	CHECK(d.port == 9999);
	CHECK(d.database == "app");
	CHECK(d.workers == 7);
	CHECK(d.jwt_secret == c.jwt_secret);
	CHECK(d.version == "9.9.9");
	CHECK(same_listeners(c, d));
	d.port = 1;
	CHECK_FALSE(same_listeners(c, d));
}

TEST_CASE("absent members keep their defaults", "[config]")
{
	GatewayConfig d = parse_gateway_config("{}");
	CHECK(d.port == 8432);
	CHECK(d.listen_addresses == std::vector<std::string>{"127.0.0.1"});
	CHECK(d.jwt_secret.empty());
}

TEST_CASE("bad config frames fail with a message naming the problem", "[config]")
{
	CHECK_THROWS_WITH(parse_gateway_config("{"), Catch::Contains("not valid JSON"));
	CHECK_THROWS_WITH(parse_gateway_config("[1]"), Catch::Contains("JSON object"));
	CHECK_THROWS_WITH(parse_gateway_config(R"({"port":"80"})"), Catch::Contains("port"));
	CHECK_THROWS_WITH(parse_gateway_config(R"({"port":0})"), Catch::Contains("outside"));
	CHECK_THROWS_WITH(parse_gateway_config(R"({"port":65536})"), Catch::Contains("outside"));
	CHECK_THROWS_WITH(parse_gateway_config(R"({"workers":1.5})"), Catch::Contains("workers"));
	CHECK_THROWS_AS(parse_gateway_config(R"({"database":5})"), ConfigError);
	CHECK_THROWS_AS(parse_gateway_config(R"({"listen_addresses":"nowhere"})"), ConfigError);
	CHECK_THROWS_AS(parse_gateway_config("{\"jwt_secret\":\"" + std::string(5000, 'k') + "\"}"),
	                ConfigError);
	// Invalid UTF-8 is malformed JSON, not a crash.
	CHECK_THROWS_AS(parse_gateway_config("{\"database\":\"\xff\"}"), ConfigError);
}
