// Fetching the JWKS from mcp_supa.jwks_url (include/mcp_supa/net/jwks_client.h), inside the
// gateway's one event loop: never blocking a request on the network.
#include "mcp_supa/net/jwks_client.h"

#include "mcp_supa/auth/jwks.h"
#include "mcp_supa/common/log.h"
#include "mcp_supa/core/gateway_core.h"
#include "mcp_supa/net/http_client.h"
#include "mcp_supa/net/upstream_client.h"

namespace mcp_supa::net
{

using common::log;
using common::LogLevel;

void JwksFetcher::maybe_refresh(bool unknown_key)
{
	if (const char *why = core_.jwks_due(core_.clock(), unknown_key))
		fetch(why);
}

void JwksFetcher::fetch(const char *why)
{
	const std::string &url = core_.cfg.jwks_url;
	if (url.empty() || fetching_)
		return;
	if (!HttpClient::valid_url(url)) {
		log(LogLevel::Warning, "cannot parse mcp_supa.jwks_url \"%s\"", url.c_str());
		return;
	}
	tools::HttpRequestSpec request;
	request.upstream = "jwks";
	request.url = url;
	request.idempotent = true;
	request.max_response_bytes = auth::kMaxJwksBytes;
	request.timeout_ms = kTimeoutMs;
	fetching_ = true;
	core_.jwks_fetch_started(core_.clock());
	log(LogLevel::Debug, "fetching JWKS from %s (%s)", url.c_str(), why);
	client_.send(std::move(request), [this](tools::HttpReply r) { fetched(r); });
}

void JwksFetcher::fetched(const tools::HttpReply &r)
{
	fetching_ = false;
	if (!r.error.empty()) {
		failed(r.too_large ? "the document is larger than 1 MiB" : r.error);
		return;
	}
	if (r.status != 200) {
		failed("HTTP status " + std::to_string(r.status));
		return;
	}
	std::string why;
	auto jwks = auth::Jwks::parse(r.body, why);
	if (!jwks) {
		failed(why);
		return;
	}
	std::size_t n = jwks->keys().size();
	core_.authenticator.set_fetched_jwks(std::move(jwks));
	if (failing_ || !loaded_once_)
		log(LogLevel::Log, "loaded %zu signing keys from %s", n, core_.cfg.jwks_url.c_str());
	failing_ = false;
	loaded_once_ = true;
}

void JwksFetcher::failed(const std::string &why)
{
	if (!failing_)
		log(LogLevel::Warning, "could not fetch the JWKS from %s: %s", core_.cfg.jwks_url.c_str(),
		    why.c_str());
	failing_ = true;
}

} // namespace mcp_supa::net
