// common/json_text: UTF-8 checks and JSON string escaping on the hot path.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "mcp_supa/common/json_text.h"

using namespace mcp_supa;
using Json = nlohmann::json;

TEST_CASE("valid_utf8 accepts well-formed UTF-8 only", "[json_text]")
{
	CHECK(common::valid_utf8(""));
	CHECK(common::valid_utf8("plain ascii"));
	CHECK(common::valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	CHECK(common::valid_utf8("\xf4\x8f\xbf\xbf")); // U+10FFFF
	for (const char *bad :
	     {"\x80", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xf0\x80\x80\x80",
	      "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xc3", "\xe2\x82", "abc\xff", "\xc3\x28"})
		CHECK_FALSE(common::valid_utf8(bad));
}

TEST_CASE("append_json_string escapes what JSON needs and round-trips", "[json_text]")
{
	std::string all;
	for (int c = 1; c < 128; c++)
		all += char(c);
	all += "caf\xc3\xa9 \xf0\x9f\x98\x80 \"quoted\" back\\slash";
	for (const std::string &s : {std::string(), std::string("x"), all, std::string("\n\t\r\b\f")}) {
		std::string out;
		common::append_json_string(out, s);
		CHECK(Json::parse(out).get<std::string>() == s);
	}
	std::string out;
	common::append_json_string(out, std::string("a\x01\"", 3));
	CHECK(out == "\"a\\u0001\\\"\"");
}
