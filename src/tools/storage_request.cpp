// Requests to and answers from the Supabase Storage REST API (include/mcp_supa/tools/storage.h).
#include "mcp_supa/tools/storage.h"

#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "mcp_supa/auth/jwt_signer.h"

namespace mcp_supa::tools
{

bool valid_bucket(std::string_view bucket, std::string &error)
{
	bool ok =
	    !bucket.empty() && bucket.size() <= kMaxBucketBytes && bucket != "." && bucket != "..";
	for (char c : bucket)
		ok =
		    ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
	if (!ok)
		error = "a bucket name is 1 to " + std::to_string(kMaxBucketBytes) +
		        " letters, digits, '-', '_' or '.'";
	return ok;
}

bool valid_object_path(std::string_view path, std::string &error)
{
	if (path.empty() || path.size() > kMaxObjectPathBytes) {
		error = "an object path is 1 to " + std::to_string(kMaxObjectPathBytes) + " bytes";
		return false;
	}
	for (char c : path)
		if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
			error = "an object path holds no control characters";
			return false;
		}
	std::size_t start = 0;
	for (;;) {
		std::size_t end = path.find('/', start);
		std::string_view segment = path.substr(
		    start, end == std::string_view::npos ? std::string_view::npos : end - start);
		if (segment.empty() || segment == "." || segment == "..") {
			error = "an object path has no empty, \".\" or \"..\" segment (and no leading, "
			        "trailing or doubled '/')";
			return false;
		}
		if (end == std::string_view::npos)
			return true;
		start = end + 1;
	}
}

std::string encode_path(std::string_view path)
{
	static const char hex[] = "0123456789ABCDEF";
	std::string out;
	out.reserve(path.size());
	for (char ch : path) {
		auto c = static_cast<unsigned char>(ch);
		if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/')
			out += ch;
		else {
			out += '%';
			out += hex[c >> 4];
			out += hex[c & 15];
		}
	}
	return out;
}

std::string storage_route_url(const std::string &base, const std::string &route)
{
	std::string b = base;
	while (!b.empty() && b.back() == '/')
		b.pop_back();
	return b + route;
}

bool add_storage_identity(const HttpCallInputs &in,
                          std::vector<std::pair<std::string, std::string>> &headers,
                          std::string &error)
{
	const auth::Principal &p = in.principal;
	if (p.auth_method == "jwt" && !in.bearer_token.empty())
		headers.emplace_back("authorization", "Bearer " + in.bearer_token);
	else if (p.auth_method == "api_key") {
		if (in.jwt_secret.empty()) {
			error = "the Storage tools need a JWT: Supabase Storage decides by the caller's JWT, "
			        "and this server cannot mint one for an API-key caller because "
			        "mcp_supa.jwt_secret is not set. Call with a Supabase access token "
			        "(Authorization: Bearer <JWT>) instead, or ask the operator to set "
			        "mcp_supa.jwt_secret.";
			return false;
		}
		headers.emplace_back("authorization",
		                     "Bearer " + auth::mint_call_token(p, in.jwt_secret, in.now_unix));
	}
	if (!in.storage_api_key.empty())
		headers.emplace_back("apikey", in.storage_api_key);
	return true;
}

namespace
{

// A statusCode member as a number: real Storage sends a string ("403"), some versions a number.
int status_code_of(const nlohmann::json &body)
{
	auto it = body.find("statusCode");
	if (it == body.end())
		return 0;
	if (it->is_number_integer())
		return it->get<int>();
	if (it->is_string()) {
		const std::string &s = it->get_ref<const std::string &>();
		if (!s.empty() && s.size() <= 3 && s.find_first_not_of("0123456789") == std::string::npos)
			return std::atoi(s.c_str());
	}
	return 0;
}

} // namespace

std::optional<StorageError> storage_error(const HttpReply &reply)
{
	// Only small bodies can be error documents: never parse a downloaded object.
	nlohmann::json body;
	if (reply.body.size() <= 64 * 1024 && !reply.body.empty() && reply.body[0] == '{')
		body = nlohmann::json::parse(reply.body, nullptr, false);
	int code = body.is_object() ? status_code_of(body) : 0;
	if (reply.status < 400 && code < 400)
		return std::nullopt;
	StorageError e;
	e.status = code >= 400 ? code : reply.status;
	if (body.is_object()) {
		auto text = [&](const char *k) {
			auto it = body.find(k);
			return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
		};
		e.error = text("error");
		e.message = text("message");
	}
	if (e.message.empty())
		e.message = reply.body.size() <= 512 && !body.is_object() ? reply.body : "no message";
	return e;
}

std::string transport_failure_text(const HttpReply &reply, const HttpCallInputs &in)
{
	if (reply.unavailable)
		return "Supabase Storage is unavailable: " + reply.error;
	if (reply.too_large)
		return "the object is " +
		       (reply.content_length >= 0 ? std::to_string(reply.content_length) + " bytes"
		                                  : std::string("larger than that")) +
		       ", over mcp_supa.storage_max_bytes (" + std::to_string(in.max_bytes) +
		       " bytes); use create_signed_url to hand out a download link instead";
	if (reply.timed_out)
		return "Supabase Storage did not answer within mcp_supa.storage_timeout (" +
		       std::to_string(in.timeout_ms) + " ms)";
	if (!reply.error.empty())
		return "could not reach Supabase Storage at " + in.storage_url + ": " + reply.error +
		       (reply.attempts > 1 ? " (tried " + std::to_string(reply.attempts) + " times)"
		                           : std::string());
	return "";
}

} // namespace mcp_supa::tools
