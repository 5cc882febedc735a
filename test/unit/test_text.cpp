// common/text and common/clock: trimming, comma lists, hex, the monotonic clock.
#include <catch2/catch.hpp>

#include "mcp_supa/common/clock.h"
#include "mcp_supa/common/text.h"

using namespace mcp_supa::common;

TEST_CASE("trim drops ASCII white space at both ends only", "[text]")
{
	CHECK(trim("  a b \t") == "a b");
	CHECK(trim("\r\n\f\va\v") == "a");
	CHECK(trim("   ").empty());
	CHECK(trim("").empty());
	CHECK(trim("x") == "x");
	CHECK(trim("\xc2\xa0x") == "\xc2\xa0x"); // a UTF-8 no-break space is not ASCII blank
}

TEST_CASE("split_list trims items and drops empty ones", "[text]")
{
	CHECK(split_list("a, b ,,c , ") == std::vector<std::string>{"a", "b", "c"});
	CHECK(split_list("").empty());
	CHECK(split_list(" , ,").empty());
	CHECK(split_list("one") == std::vector<std::string>{"one"});
	CHECK(split_list("a;b; c", ';') == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("split_raw keeps every item as it is, empty ones included", "[text]")
{
	auto items = split_raw(" a,,b ");
	REQUIRE(items.size() == 3);
	CHECK(items[0] == " a");
	CHECK(items[1].empty());
	CHECK(items[2] == "b ");
	CHECK(split_raw("").size() == 1);
	CHECK(split_raw(",").size() == 2);
}

TEST_CASE("hex_encode writes two lowercase digits a byte", "[text]")
{
	const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
	CHECK(hex_encode(bytes, sizeof(bytes)) == "000fa5ff");
	CHECK(hex_encode(bytes, 0).empty());
	CHECK(hex_encode("AZ", 2) == "415a");
}

TEST_CASE("monotonic_ms never goes backwards", "[clock]")
{
	int64_t a = monotonic_ms();
	int64_t b = monotonic_ms();
	CHECK(a > 0);
	CHECK(b >= a);
}

TEST_CASE("ascii_lower lowercases ASCII letters only", "[text]")
{
	CHECK(ascii_lower("Application/JSON; Q=0.9") == "application/json; q=0.9");
	CHECK(ascii_lower("\xc3\x84X") == "\xc3\x84x"); // UTF-8 bytes stay as they are
	CHECK(ascii_lower("").empty());
}
