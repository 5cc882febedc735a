// JSON the unit tests share: deep nesting for the limit tests, an executor result.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace test_support
{

// n opening brackets, then inner, then n closing ones.
inline std::string nest(std::size_t n, const std::string &inner = "", char open = '[',
                        char close = ']')
{
	return std::string(n, open) + inner + std::string(n, close);
}

// n arrays nested in each other as a JSON value ("[[...]]").
inline std::string deep_array(std::size_t n)
{
	return nest(n);
}

// An executor result as the gateway holds it: header fields and the unparsed rows.
inline nlohmann::json sql_result(const std::string &rows_json)
{
	using Json = nlohmann::json;
	return {{"ok", true},
	        {"command", "SELECT"},
	        {"row_count", 2},
	        {"truncated", true},
	        {"bytes", rows_json.size()},
	        {"columns", Json::array({{{"name", "id"}, {"type", "integer"}},
	                                 {{"name", "note"}, {"type", "text"}}})},
	        {"rows_json", rows_json}};
}

} // namespace test_support
