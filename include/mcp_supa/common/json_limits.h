// Limits on JSON text from outside (clients, executor results), checked by one scan of the
// text before any nlohmann tree is built: nlohmann parses iteratively, but copying, dumping and
// comparing a tree recurse once per level, so a deeply nested value would overflow the stack.
// A leaf like json_text: it includes nothing of the project, so every layer may use it.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mcp_supa::common
{

// The deepest nesting a client message may have, counting the message itself as level 1:
// {"params":{"arguments":{...}}} is 3 levels. No MCP method needs more.
constexpr int kMaxMessageDepth = 64;
// The most messages one JSON-RPC batch (an HTTP POST of an array) may hold.
constexpr std::size_t kMaxBatchLength = 100;
// The deepest nesting of rows from an executor (jsonb values, EXPLAIN plans) that is turned
// into a tree; deeper results are refused as a tool error.
constexpr int kMaxResultDepth = 512;

// What one scan found. Scanning stops early once a limit is passed, so depth and elements
// are exact only up to one past their limit.
struct JsonShape {
	int depth = 0;            // deepest nesting of arrays and objects
	bool array = false;       // the text starts with '[' (after whitespace)
	std::size_t elements = 0; // for a top-level array: how many elements it has
	bool too_deep = false;    // depth passed max_depth
	bool too_long = false;    // elements passed max_elements
};

// Scans text once, without recursion and without building anything: strings (and their
// escapes) are skipped, brackets counted. It does not validate the JSON; the parser does.
JsonShape scan_json_shape(std::string_view text, int max_depth, std::size_t max_elements);

// A client message (an HTTP POST body or a WebSocket message) checked and parsed.
struct ClientJson {
	nlohmann::json value;  // the parsed text; discarded when refused
	int code = 0;          // when refused: -32700 (malformed, too deep) or -32600 (batch)
	unsigned status = 200; // when refused: the HTTP status, 400 or 413
	std::string error;     // when refused: the message for the client
	bool ok() const { return code == 0; }
};

// Checks the limits above, then parses. Both transports take every message through here.
ClientJson parse_client_json(std::string_view text);

// True when text nests no deeper than max_depth (rows from executors before they are parsed).
bool json_depth_within(std::string_view text, int max_depth);

} // namespace mcp_supa::common
