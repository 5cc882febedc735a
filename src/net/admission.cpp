// The lws side of admission (the decisions are core::Admission's): the client address behind
// trusted proxies, and a request's admission with the JWKS refresh an unknown kid asks for.
#include <libwebsockets.h>

#include "mcp_supa/net/gateway_loop.h"
#include "mcp_supa/net/internal.h"
#include "mcp_supa/net/jwks_client.h"

namespace mcp_supa::net
{

void resolve_client_address(lws *wsi, RequestHeaders &h,
                            const std::vector<auth::AddressRange> &trusted)
{
	if (trusted.empty() || !auth::address_in(trusted, h.peer))
		return; // headers from anyone else are never believed
	h.peer = auth::client_address(h.peer, token_header(wsi, WSI_TOKEN_X_FORWARDED_FOR),
	                              custom_header(wsi, "forwarded:"), trusted);
}

core::Decision admit_request(GatewayLoop &loop, const RequestHeaders &h, const std::string &token)
{
	core::Decision d = loop.core().admit(h.peer, token);
	if (d.status == 401 && d.auth.unknown_key)
		loop.jwks().maybe_refresh(true);
	return d;
}

} // namespace mcp_supa::net
