// Fetching the JWKS from mcp_supa.jwks_url with the libwebsockets HTTP client, inside the
// gateway's one event loop: never blocking a request on the network.
#include <cstring>
#include <libwebsockets.h>

#include "mcp_supa/common/log.h"
#include "mcp_supa/net/http_server.h"
#include "mcp_supa/auth/jwks.h"
#include "mcp_supa/net/internal.h"

namespace mcp_supa::net
{

using common::log;
using common::LogLevel;

namespace
{

constexpr int64_t kPeriodicRefreshMs = 10 * 60 * 1000;
constexpr int64_t kUnknownKidRefreshMs = 60 * 1000;

} // namespace

void HttpServer::fetch_jwks(const char *why)
{
	const std::string &url = core_->cfg.jwks_url;
	if (url.empty() || jwks_fetching_)
		return;
	std::string copy = url;
	const char *prot = nullptr, *address = nullptr, *path = nullptr;
	int port = 0;
	if (lws_parse_uri(&copy[0], &prot, &address, &port, &path)) {
		log(LogLevel::Warning, "cannot parse mcp_supa.jwks_url \"%s\"", url.c_str());
		return;
	}
	bool tls = strcmp(prot, "https") == 0;
	jwks_path_ = std::string("/") + path;
	jwks_host_ = address;
	lws_client_connect_info info;
	memset(&info, 0, sizeof(info));
	info.context = ctx_;
	info.vhost = first_vhost_;
	info.address = jwks_host_.c_str();
	info.port = port;
	info.path = jwks_path_.c_str();
	info.host = jwks_host_.c_str();
	info.origin = jwks_host_.c_str();
	info.method = "GET";
	info.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
	info.protocol = "mcp-jwks-client";
	info.local_protocol_name = "mcp-jwks-client";
	info.alpn = "http/1.1";
	jwks_body_.clear();
	jwks_fetching_ = true;
	jwks_last_fetch_ms_ = DispatcherSink::now_ms();
	log(LogLevel::Debug, "fetching JWKS from %s (%s)", url.c_str(), why);
	if (!lws_client_connect_via_info(&info)) {
		jwks_fetching_ = false;
		jwks_failed("could not start the request");
	}
}

void HttpServer::jwks_failed(const std::string &why)
{
	if (!jwks_failing_)
		log(LogLevel::Warning, "could not fetch the JWKS from %s: %s", core_->cfg.jwks_url.c_str(),
		    why.c_str());
	jwks_failing_ = true;
}

void HttpServer::jwks_maybe_refresh(bool unknown_key)
{
	if (core_->cfg.jwks_url.empty())
		return;
	int64_t since = DispatcherSink::now_ms() - jwks_last_fetch_ms_;
	if (jwks_last_fetch_ms_ == 0 || since >= kPeriodicRefreshMs)
		fetch_jwks("periodic");
	else if (unknown_key && since >= kUnknownKidRefreshMs)
		fetch_jwks("a token named an unknown kid");
}

int HttpServer::on_jwks_client(lws *wsi, int reason, void *in, std::size_t len)
{
	switch (reason) {
		case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
			jwks_fetching_ = false;
			jwks_failed(in ? std::string(static_cast<const char *>(in), len) : "connection failed");
			return 0;
		case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
			jwks_status_ = int(lws_http_client_http_response(wsi));
			return 0;
		case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
			if (jwks_body_.size() + len > auth::kMaxJwksBytes) {
				jwks_body_too_large_ = true;
				return -1;
			}
			jwks_body_.append(static_cast<const char *>(in), len);
			return 0;
		case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
			char buffer[LWS_PRE + 4096];
			char *px = buffer + LWS_PRE;
			int lenx = sizeof(buffer) - LWS_PRE;
			return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
		}
		case LWS_CALLBACK_COMPLETED_CLIENT_HTTP: {
			jwks_fetching_ = false;
			if (jwks_status_ != 200) {
				jwks_failed("HTTP status " + std::to_string(jwks_status_));
				return 0;
			}
			std::string why;
			auto jwks = auth::Jwks::parse(jwks_body_, why);
			if (!jwks) {
				jwks_failed(why);
				return 0;
			}
			std::size_t n = jwks->keys().size();
			core_->authenticator.set_fetched_jwks(std::move(jwks));
			if (jwks_failing_ || !jwks_loaded_once_)
				log(LogLevel::Log, "loaded %zu signing keys from %s", n,
				    core_->cfg.jwks_url.c_str());
			jwks_failing_ = false;
			jwks_loaded_once_ = true;
			return 0;
		}
		case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
			if (jwks_fetching_) {
				jwks_fetching_ = false;
				jwks_failed(jwks_body_too_large_ ? "the document is larger than 1 MiB"
				                                 : "the connection closed early");
			}
			jwks_body_too_large_ = false;
			return 0;
		default:
			return 0;
	}
}

} // namespace mcp_supa::net
