// Fetching the JWKS from mcp_supa.jwks_url with the gateway's HTTP client (retries and the
// "jwks" circuit breaker included), when the core's schedule says it is due; the keys go to
// the authenticator.
#pragma once

#include <cstdint>
#include <string>

#include "mcp_supa/tools/http_request.h"

namespace mcp_supa
{
struct GatewayCore;
}

namespace mcp_supa::net
{

class UpstreamClient;

class JwksFetcher
{
public:
	JwksFetcher(GatewayCore &core, UpstreamClient &client) : core_(core), client_(client) {}

	// Fetches the JWKS when GatewayCore::jwks_due says so (unknown_key: a token named a kid
	// the keys lack).
	void maybe_refresh(bool unknown_key);
	// The longest one fetch attempt may take.
	static constexpr int64_t kTimeoutMs = 30000;
	// Starts a fetch now unless one runs; why goes to the debug log.
	void fetch(const char *why);

private:
	GatewayCore &core_;
	UpstreamClient &client_;
	bool fetching_ = false;
	bool failing_ = false;
	bool loaded_once_ = false;

	void fetched(const tools::HttpReply &r);
	void failed(const std::string &why);
};

} // namespace mcp_supa::net
