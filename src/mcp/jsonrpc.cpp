// JSON-RPC 2.0 validation and response builders.
#include "mcp_supa/mcp/jsonrpc.h"

namespace mcp_supa::mcp
{

namespace
{

// MCP ids are strings or integers; null, floats, booleans and containers are invalid.
bool valid_id(const Json &id)
{
	return id.is_string() || id.is_number_integer();
}

Message invalid(std::string why, Json id = nullptr)
{
	Message m;
	m.kind = MessageKind::Invalid;
	m.error = std::move(why);
	m.id = valid_id(id) ? std::move(id) : Json(nullptr);
	return m;
}

} // namespace

Message classify_message(const Json &j)
{
	if (!j.is_object())
		return invalid("a JSON-RPC message must be an object");
	Json id = j.contains("id") ? j["id"] : Json(nullptr);
	auto v = j.find("jsonrpc");
	if (v == j.end() || !v->is_string() || v->get<std::string>() != "2.0")
		return invalid("\"jsonrpc\" must be \"2.0\"", id);
	if (j.contains("id") && !valid_id(j["id"]))
		return invalid("\"id\" must be a string or an integer");
	auto method = j.find("method");
	if (method != j.end()) {
		if (!method->is_string() || method->get<std::string>().empty())
			return invalid("\"method\" must be a non-empty string", id);
		auto params = j.find("params");
		if (params != j.end() && !params->is_object())
			return invalid("\"params\" must be an object", id);
		Message m;
		m.kind = j.contains("id") ? MessageKind::Request : MessageKind::Notification;
		m.id = id;
		m.method = method->get<std::string>();
		m.params = params != j.end() ? *params : Json(nullptr);
		return m;
	}
	if (j.contains("id") && (j.contains("result") != j.contains("error"))) {
		Message m;
		m.kind = MessageKind::Response;
		m.id = id;
		return m;
	}
	return invalid("not a request, notification or response", id);
}

Json make_result(const Json &id, Json result)
{
	return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

Json make_error(const Json &id, int code, const std::string &message, Json data)
{
	Json err = {{"code", code}, {"message", message}};
	if (!data.is_null())
		err["data"] = std::move(data);
	return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}};
}

Json make_result_text(const Json &id, const std::string &result_text)
{
	std::string out;
	out.reserve(result_text.size() + 64);
	out += "{\"jsonrpc\":\"2.0\",\"id\":";
	out += id.dump(-1, ' ', false, Json::error_handler_t::replace);
	out += ",\"result\":";
	out += result_text;
	out += '}';
	return Json(std::move(out));
}

std::string serialize_message(const Json &message)
{
	if (message.is_string())
		return message.get_ref<const std::string &>();
	return message.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace mcp_supa::mcp
