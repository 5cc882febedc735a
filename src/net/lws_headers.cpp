// Request headers as lws holds them, copied into strings while the request is being read,
// and the one reused write buffer of the gateway's single thread.
#include <algorithm>
#include <cstring>
#include <libwebsockets.h>

#include "mcp_supa/common/text.h"
#include "mcp_supa/net/internal.h"

namespace mcp_supa::net
{

using nlohmann::json;

std::string token_header(lws *wsi, int token)
{
	auto t = static_cast<lws_token_indexes>(token);
	int n = lws_hdr_total_length(wsi, t);
	if (n <= 0 || n > 16384)
		return "";
	std::string s(std::size_t(n) + 1, '\0');
	if (lws_hdr_copy(wsi, &s[0], n + 1, t) < 0)
		return "";
	s.resize(std::size_t(n));
	return s;
}

std::vector<std::string> header_list(const std::string &list)
{
	return common::split_list(list);
}

std::string custom_header(lws *wsi, const char *name)
{
	int nlen = int(strlen(name));
	int n = lws_hdr_custom_length(wsi, name, nlen);
	if (n <= 0 || n > 16384)
		return "";
	std::string s(std::size_t(n) + 1, '\0');
	if (lws_hdr_custom_copy(wsi, &s[0], n + 1, name, nlen) < 0)
		return "";
	s.resize(std::size_t(n));
	return s;
}

unsigned char *write_scratch(std::size_t n)
{
	constexpr std::size_t kUsual = 64 * 1024, kKeep = 1024 * 1024;
	static std::vector<unsigned char> buf;
	// Grown for a large message, given back at the next ordinary one.
	if (buf.size() < n || (buf.size() > kKeep && n <= kUsual))
		std::vector<unsigned char>(std::max(n, kUsual)).swap(buf);
	return buf.data();
}

RequestHeaders read_headers(lws *wsi)
{
	RequestHeaders h;
	h.authorization = token_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	h.apikey = custom_header(wsi, "apikey:");
	h.origin = token_header(wsi, WSI_TOKEN_ORIGIN);
	h.host = token_header(wsi, WSI_TOKEN_HOST);
	h.accept = token_header(wsi, WSI_TOKEN_HTTP_ACCEPT);
	h.content_type = token_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	h.content_length = token_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	h.session_id = custom_header(wsi, "mcp-session-id:");
	h.protocol_version = custom_header(wsi, "mcp-protocol-version:");
	h.user_agent = token_header(wsi, WSI_TOKEN_HTTP_USER_AGENT);
	h.subprotocols = token_header(wsi, WSI_TOKEN_PROTOCOL);
	char peer[64] = {0};
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	h.peer = peer;
	// An IPv4 client on a dual-stack socket reads as ::ffff:a.b.c.d; audit and rate limits
	// want the plain address.
	if (h.peer.rfind("::ffff:", 0) == 0 && h.peer.find('.') != std::string::npos)
		h.peer = h.peer.substr(7);
	return h;
}

json request_info(const RequestHeaders &h, const char *method)
{
	json headers = json::object();
	if (!h.user_agent.empty())
		headers["user-agent"] = h.user_agent;
	if (!h.origin.empty())
		headers["origin"] = h.origin;
	return {{"method", method}, {"path", "/mcp"}, {"headers", headers}, {"client_address", h.peer}};
}

} // namespace mcp_supa::net
