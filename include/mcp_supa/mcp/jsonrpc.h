// JSON-RPC 2.0 message classification and response builders (MCP's wire format).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mcp_supa::mcp
{

using Json = nlohmann::json;

namespace rpc_error
{
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kInternalError = -32603;
constexpr int kServerBusy = -32000;
} // namespace rpc_error

enum class MessageKind { Request, Notification, Response, Invalid };

struct Message {
	MessageKind kind = MessageKind::Invalid;
	Json id;            // request or response id (string or integer), null otherwise
	std::string method; // requests and notifications
	Json params;        // object, or null when absent
	std::string error;  // why it is Invalid
};

// Classifies one parsed JSON value as a JSON-RPC message, validating its shape.
Message classify_message(const Json &j);

Json make_result(const Json &id, Json result);
Json make_error(const Json &id, int code, const std::string &message, Json data = nullptr);
// A response whose result is already serialized JSON text (the hot path of execute_sql). It
// is returned as a JSON string holding the whole serialized response: transports send a
// string message as it is (serialize_message), and no response is ever a string otherwise.
Json make_result_text(const Json &id, const std::string &result_text);
// The text of a message to send: a serialized response as it is, anything else dumped
// (invalid UTF-8 replaced).
std::string serialize_message(const Json &message);

} // namespace mcp_supa::mcp
