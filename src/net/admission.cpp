// Who a request comes from and whether it is let in: the client address behind trusted
// proxies, the per-address rate, authentication and the failure ban (which only meets failed
// credentials), and the HTTP answer to a refused WebSocket upgrade.
#include <cstring>
#include <ctime>
#include <libwebsockets.h>

#include "mcp_supa/common/log.h"
#include "mcp_supa/net/http_server.h"
#include "mcp_supa/net/router.h"
#include "mcp_supa/net/internal.h"

namespace mcp_supa::net
{

using common::log;
using common::LogLevel;

namespace
{

// True when a Sec-WebSocket-Protocol list offers "mcp".
bool offers_mcp(const std::string &list)
{
	for (const auto &item : header_list(list))
		if (item == "mcp")
			return true;
	return false;
}

} // namespace

void resolve_client_address(lws *wsi, RequestHeaders &h,
                            const std::vector<auth::AddressRange> &trusted)
{
	if (trusted.empty() || !auth::address_in(trusted, h.peer))
		return; // headers from anyone else are never believed
	h.peer = auth::client_address(h.peer, token_header(wsi, WSI_TOKEN_X_FORWARDED_FOR),
	                              custom_header(wsi, "forwarded:"), trusted);
}

HttpServer::Admission HttpServer::admit(const RequestHeaders &h, const std::string &token)
{
	Admission a;
	int64_t now = DispatcherSink::now_ms();
	if (int64_t wait = core_->per_address.acquire(h.peer, now)) {
		audit_refusal("rate_limited", h.peer, nullptr, "client address over its rate");
		a.status = 429;
		a.retry_ms = wait;
		return a;
	}
	a.auth = core_->authenticator.authenticate(token, int64_t(time(nullptr)));
	if (a.auth.ok)
		return a; // a ban stops guessing, not users: valid credentials are served
	if (int64_t ban = core_->auth_failures.banned_for(h.peer, now)) {
		// Not audited per request: the ban was logged once.
		a.status = 429;
		a.retry_ms = ban;
		a.setting = "mcp_supa.auth_fail_limit";
		return a;
	}
	note_auth_failure(h.peer);
	audit_refusal("auth_failed", h.peer, nullptr, a.auth.error);
	if (a.auth.unknown_key)
		jwks_maybe_refresh(true);
	a.status = 401;
	return a;
}

std::string HttpServer::too_many_message(int64_t wait_ms, const char *setting)
{
	std::string secs = std::to_string((wait_ms + 999) / 1000);
	if (setting && std::strcmp(setting, "mcp_supa.auth_fail_limit") == 0)
		return "too many failed authentications from this address (mcp_supa.auth_fail_limit); "
		       "valid credentials are still served; retry after " +
		       secs + " s";
	return "too many requests (mcp_supa.rate_limit); retry after " + secs + " s";
}

int HttpServer::ws_confirm_upgrade(lws *wsi)
{
	const GatewayConfig &cfg = core_->cfg;
	RequestHeaders h = read_headers(wsi);
	resolve_client_address(wsi, h, core_->trusted_proxies);
	char uri[256] = {0};
	lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
	std::string path = uri;
	path = path.substr(0, path.find('?'));
	unsigned status = 0;
	std::string why, extra;
	int64_t retry_ms = 0;
	if (path != "/mcp" && path != "/ws") {
		status = 404;
		why = "not found: WebSocket MCP is served at /mcp";
	} else if (!(why = check_origin_and_host(h, cfg)).empty())
		status = 403;
	else if (!offers_mcp(h.subprotocols)) {
		status = 400;
		why = "a WebSocket upgrade must offer the subprotocol \"mcp\"";
	} else {
		Admission a = admit(h, ws_token(wsi, h));
		status = a.status;
		retry_ms = a.retry_ms;
		why = a.status == 429 ? too_many_message(a.retry_ms, a.setting) : a.auth.error;
	}
	if (status == 0)
		return 0; // the upgrade goes on to ws_filter
	log(LogLevel::Debug, "refused WebSocket upgrade from %s: %u %s", h.peer.c_str(), status,
	    why.c_str());
	return write_refusal(wsi, status, error_body(int(status), why), retry_ms) ? -1 : 1;
}

bool HttpServer::write_refusal(lws *wsi, unsigned status, const std::string &body, int64_t retry_ms)
{
	constexpr std::size_t kRoom = 1024;
	unsigned char *start = write_scratch(LWS_PRE + kRoom + body.size()) + LWS_PRE;
	unsigned char *p = start, *end = start + kRoom - 1;
	auto add = [&](const char *name, const std::string &value) {
		return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char *>(name),
		                                   reinterpret_cast<const unsigned char *>(value.data()),
		                                   int(value.size()), &p, end);
	};
	if (lws_add_http_common_headers(wsi, status, "application/json", body.size(), &p, end) ||
	    add("cache-control:", "no-store") ||
	    (status == 401 && add("www-authenticate:", "Bearer realm=\"mcp_supa\"")) ||
	    (retry_ms > 0 && add("retry-after:", std::to_string((retry_ms + 999) / 1000))) ||
	    lws_finalize_http_header(wsi, &p, end))
		return true;
	memcpy(p, body.data(), body.size());
	std::size_t n = std::size_t(p - start) + body.size();
	return lws_write(wsi, start, n, LWS_WRITE_HTTP_FINAL) != int(n);
}

} // namespace mcp_supa::net
