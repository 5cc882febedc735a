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

} // namespace mcp_supa::mcp
