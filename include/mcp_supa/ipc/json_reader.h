// A small JSON reader for the executor's job messages: it checks the whole text and splits an
// object into its members without building a tree. Parsing each job into an nlohmann tree,
// and dumping its claims and headers back to text, was a fifth of an executor's time per
// call (docs/performance.md).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcp_supa::ipc
{

// One JSON value as its kind and its exact text (a string keeps its quotes).
struct JsonSpan {
	enum Kind { Null, Bool, Number, String, Object, Array } kind = Null;
	std::string_view text;
};

using JsonMembers = std::vector<std::pair<std::string, JsonSpan>>;

// No deeper nesting is accepted (nlohmann's default allows more, but no job needs it).
constexpr int kJsonMaxDepth = 64;

// Splits a JSON object into its members, in order, keys decoded. False, with error set, when
// text is not exactly one valid JSON object (strings must be valid UTF-8).
bool json_object_members(std::string_view text, JsonMembers &out, std::string &error);

// Splits a JSON array into its elements. Same rules as json_object_members.
bool json_array_elements(std::string_view text, std::vector<JsonSpan> &out, std::string &error);

// Decodes a String span (quotes included) into UTF-8. Only valid spans from the functions
// above may be given.
std::string json_string_value(std::string_view literal);

// The member named key (the last one when repeated), or nullptr.
const JsonSpan *json_member(const JsonMembers &members, std::string_view key);

} // namespace mcp_supa::ipc
