// The executor's JSON reader: it must accept what nlohmann accepts, refuse what it refuses,
// and give back each member's exact text and decoded strings.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <random>

#include "mcp_supa/ipc/json_reader.h"
#include "mcp_supa/common/json_text.h"

using namespace mcp_supa;
using namespace mcp_supa::ipc;
using Json = nlohmann::json;

namespace
{

// A random JSON value of at most `depth` levels, with strings from a small hostile alphabet.
Json random_json(std::mt19937 &rng, int depth)
{
	static const char *const pieces[] = {"a",
	                                     "\"",
	                                     "\\",
	                                     "/",
	                                     "\n",
	                                     "\t",
	                                     "\x01",
	                                     "\x1f",
	                                     " ",
	                                     "\xc3\xa9",
	                                     "\xe2\x82\xac",
	                                     "\xf0\x9f\x98\x80",
	                                     "\x7f",
	                                     "{}",
	                                     "[",
	                                     ":",
	                                     ","};
	auto pick = [&](int n) { return int(rng() % unsigned(n)); };
	auto text = [&] {
		std::string s;
		for (int i = pick(6); i > 0; i--)
			s += pieces[pick(int(std::size(pieces)))];
		return s;
	};
	switch (depth <= 0 ? pick(5) : pick(7)) {
		case 0:
			return nullptr;
		case 1:
			return pick(2) == 1;
		case 2:
			return pick(2) ? Json(int64_t(rng()) - int64_t(rng())) : Json(double(rng()) / 7.0);
		case 3:
		case 4:
			return text();
		case 5: {
			Json a = Json::array();
			for (int i = pick(4); i > 0; i--)
				a.push_back(random_json(rng, depth - 1));
			return a;
		}
		default: {
			Json o = Json::object();
			for (int i = pick(4); i > 0; i--)
				o[text()] = random_json(rng, depth - 1);
			return o;
		}
	}
}

// True when our reader refuses text, which nlohmann refuses too (or reads as no object).
bool both_refuse(const std::string &text)
{
	JsonMembers m;
	std::string error;
	bool ours = json_object_members(text, m, error);
	Json theirs = Json::parse(text, nullptr, false);
	INFO(text << " -> " << error);
	CHECK((theirs.is_discarded() || !theirs.is_object()));
	return !ours && !error.empty();
}

} // namespace

TEST_CASE("json_object_members agrees with nlohmann on random objects", "[json_reader]")
{
	std::mt19937 rng(20261125);
	for (int round = 0; round < 2000; round++) {
		Json o = Json::object();
		for (int i = int(rng() % 6); i > 0; i--)
			o["k" + std::to_string(i) + (i % 2 ? "\xc3\xa9\"\\" : "")] = random_json(rng, 3);
		// Both compact and pretty text, and with unicode escapes for everything non-ASCII.
		for (const std::string &text :
		     {o.dump(), o.dump(2), o.dump(-1, ' ', true), "\n\t " + o.dump(1, '\t') + " \r\n"}) {
			JsonMembers m;
			std::string error;
			REQUIRE(json_object_members(text, m, error));
			REQUIRE(m.size() == o.size());
			for (const auto &[key, span] : m) {
				REQUIRE(o.contains(key));
				INFO(key << ": " << span.text);
				Json value = Json::parse(span.text);
				CHECK(value == o[key]);
				if (span.kind == JsonSpan::String)
					CHECK(json_string_value(span.text) == o[key].get<std::string>());
				CHECK((span.kind == JsonSpan::Object) == o[key].is_object());
				CHECK((span.kind == JsonSpan::Array) == o[key].is_array());
				CHECK((span.kind == JsonSpan::Number) == o[key].is_number());
				CHECK((span.kind == JsonSpan::Bool) == o[key].is_boolean());
				CHECK((span.kind == JsonSpan::Null) == o[key].is_null());
			}
		}
	}
}

TEST_CASE("json_object_members refuses what is not one valid JSON object", "[json_reader]")
{
	for (const char *text : {"",
	                         " ",
	                         "[]",
	                         "\"a\"",
	                         "1",
	                         "null",
	                         "{",
	                         "}",
	                         "{\"a\"}",
	                         "{\"a\":}",
	                         "{\"a\":1,}",
	                         "{,\"a\":1}",
	                         "{a:1}",
	                         "{'a':1}",
	                         "{\"a\":1}{}",
	                         "{\"a\":1} x",
	                         "{\"a\":01}",
	                         "{\"a\":-}",
	                         "{\"a\":1.}",
	                         "{\"a\":.5}",
	                         "{\"a\":1e}",
	                         "{\"a\":+1}",
	                         "{\"a\":tru}",
	                         "{\"a\":nul}",
	                         "{\"a\":True}",
	                         "{\"a\":\"\\x\"}",
	                         "{\"a\":\"\\u12\"}",
	                         "{\"a\":\"\\u12G4\"}",
	                         "{\"a\":\"\\ud800\"}",
	                         "{\"a\":\"\\udc00\"}",
	                         "{\"a\":\"\\ud800\\u0041\"}",
	                         "{\"a\":\"tab\there\"}",
	                         "{\"a\":\"\x01\"}",
	                         "{\"a\":\"unterminated}",
	                         "{\"a\":\"\xc3\x28\"}",
	                         "{\"a\":\"\xed\xa0\x80\"}",
	                         "{\"a\":\"\xff\"}",
	                         "{\"a\":[1,2}",
	                         "{\"a\":[1,]}",
	                         "{\"a\":{\"b\":1]}",
	                         "{\"a\" 1}"})
		CHECK(both_refuse(text));
	JsonMembers m;
	std::string error;
	std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
	CHECK_FALSE(json_object_members(deep, m, error));
	CHECK(error.find("nested too deeply") != std::string::npos);
	std::string just_enough =
	    "{\"a\":" + std::string(kJsonMaxDepth - 1, '[') + std::string(kJsonMaxDepth - 1, ']') + "}";
	CHECK(json_object_members(just_enough, m, error));
	CHECK_FALSE(json_object_members(std::string("{\"a\":1\0}", 8), m, error));
}

TEST_CASE("json_string_value decodes every escape", "[json_reader]")
{
	JsonMembers m;
	std::string error;
	REQUIRE(json_object_members(
	    R"({"s":"\"\\\/\b\f\n\r\t\u0000\u00e9\u20AC\ud83d\ude00 plain","k\u00e9y":true})", m,
	    error));
	REQUIRE(m.size() == 2);
	CHECK(json_string_value(m[0].second.text) ==
	      std::string("\"\\/\b\f\n\r\t\0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 plain", 24));
	CHECK(m[1].first == "k\xc3\xa9y");
	CHECK(m[1].second.text == "true");
}

TEST_CASE("json_member finds the last of repeated keys; arrays split into elements",
          "[json_reader]")
{
	JsonMembers m;
	std::string error;
	REQUIRE(json_object_members(R"({"a":1,"b":{"x":[1,2]},"a":"two"})", m, error));
	REQUIRE(json_member(m, "a") != nullptr);
	CHECK(json_member(m, "a")->text == "\"two\"");
	CHECK(json_member(m, "b")->text == R"({"x":[1,2]})");
	CHECK(json_member(m, "c") == nullptr);
	std::vector<JsonSpan> elements;
	REQUIRE(json_array_elements(R"([ "x" , null, 5e-1, {"k": [ ]}, [] ])", elements, error));
	REQUIRE(elements.size() == 5);
	CHECK(elements[0].kind == JsonSpan::String);
	CHECK(elements[1].kind == JsonSpan::Null);
	CHECK(elements[2].text == "5e-1");
	CHECK(elements[3].text == R"({"k": [ ]})");
	CHECK(elements[4].kind == JsonSpan::Array);
	CHECK_FALSE(json_array_elements("{}", elements, error));
	CHECK_FALSE(json_array_elements("[1 2]", elements, error));
}
