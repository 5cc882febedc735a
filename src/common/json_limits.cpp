// Depth and batch limits on JSON text before it is parsed (see include/mcp_supa/json_limits.h).
#include "mcp_supa/common/json_limits.h"

namespace mcp_supa::common
{

namespace
{

// The index just past the string whose opening quote is at i (text.size() if unterminated).
std::size_t skip_string(std::string_view text, std::size_t i)
{
	for (i++; i < text.size(); i++) {
		if (text[i] == '\\')
			i++; // the escaped character, whatever it is
		else if (text[i] == '"')
			return i + 1;
	}
	return text.size();
}

// True for the whitespace JSON allows between tokens.
bool json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

JsonShape scan_json_shape(std::string_view text, int max_depth, std::size_t max_elements)
{
	JsonShape shape;
	std::size_t i = 0;
	while (i < text.size() && json_space(text[i]))
		i++;
	shape.array = i < text.size() && text[i] == '[';
	int depth = 0;
	bool empty_top = true; // no element seen yet in the top-level array
	while (i < text.size()) {
		char c = text[i];
		if (c == '"') {
			empty_top = empty_top && depth != 1;
			i = skip_string(text, i);
			continue;
		}
		if (c == '[' || c == '{') {
			empty_top = empty_top && depth != 1;
			if (++depth > shape.depth)
				shape.depth = depth;
			if (depth > max_depth) {
				shape.too_deep = true;
				break;
			}
		} else if (c == ']' || c == '}') {
			if (depth > 0)
				depth--;
		} else if (c == ',' && depth == 1 && shape.array) {
			shape.elements++;
		} else if (!json_space(c))
			empty_top = empty_top && depth != 1;
		i++;
	}
	// n commas separate n + 1 elements (in valid JSON; the parser refuses the rest).
	if (shape.array && !empty_top)
		shape.elements++;
	if (shape.array && shape.elements > max_elements)
		shape.too_long = true;
	return shape;
}

ClientJson parse_client_json(std::string_view text)
{
	ClientJson out;
	JsonShape shape = scan_json_shape(text, kMaxMessageDepth, kMaxBatchLength);
	if (shape.too_deep) {
		out.value = nlohmann::json(nlohmann::json::value_t::discarded);
		out.code = -32700;
		out.status = 400;
		out.error =
		    "parse error: JSON nested deeper than " + std::to_string(kMaxMessageDepth) + " levels";
		return out;
	}
	if (shape.too_long) {
		out.value = nlohmann::json(nlohmann::json::value_t::discarded);
		out.code = -32600;
		out.status = 413;
		out.error =
		    "a JSON-RPC batch may hold at most " + std::to_string(kMaxBatchLength) + " messages";
		return out;
	}
	out.value = nlohmann::json::parse(text, nullptr, false);
	if (out.value.is_discarded()) {
		out.code = -32700;
		out.status = 400;
		out.error = "parse error: not valid JSON";
	}
	return out;
}

bool json_depth_within(std::string_view text, int max_depth)
{
	return !scan_json_shape(text, max_depth, std::size_t(-1)).too_deep;
}

} // namespace mcp_supa::common
