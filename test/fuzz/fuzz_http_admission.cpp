// libFuzzer target: the pure checks the gateway runs on request headers before any body is
// read: routing, Accept, admission (Origin and Host, the rates, the token and its
// verification, the ban), the MCP-Protocol-Version, body framing, the header-safe text of an
// error. Input: newline-separated header values, in the order of the fields below.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mcp_supa/auth/authenticator.h"
#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/core/admission.h"
#include "mcp_supa/mcp/server.h"
#include "mcp_supa/net/router.h"

using namespace mcp_supa;

namespace
{

// The input cut at newlines into at most n fields (missing ones are empty).
std::vector<std::string> fields(std::string_view text, std::size_t n)
{
	std::vector<std::string> out;
	while (out.size() + 1 < n) {
		auto nl = text.find('\n');
		if (nl == std::string_view::npos)
			break;
		out.emplace_back(text.substr(0, nl));
		text.remove_prefix(nl + 1);
	}
	out.emplace_back(text);
	out.resize(n);
	return out;
}

// An authenticator with an HS256 secret, anonymous access on or off.
auth::Authenticator &authenticator(bool anonymous)
{
	static auto make = [](bool anon) {
		GatewayConfig cfg;
		cfg.jwt_secret = "fuzz-secret-fuzz-secret-fuzz-secret-32";
		cfg.allow_anonymous = anon;
		return auth::Authenticator(auth_settings(cfg));
	};
	static auth::Authenticator strict = make(false), open = make(true);
	return anonymous ? open : strict;
}

// Admission with small limits (so rates and bans are reached), over one authenticator.
core::Admission &admission(bool anonymous)
{
	static auth::RateLimiter per_address(auth::parse_rate("20/s"), 64),
	    per_principal(auth::parse_rate("20/s"), 64);
	static auth::AuthFailureTracker failures(auth::parse_rate("5/s"), 2000, 64);
	static core::Admission strict(authenticator(false), per_address, per_principal, failures),
	    open(authenticator(true), per_address, per_principal, failures);
	return anonymous ? open : strict;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	auto f = fields(text, 9);
	const std::string &method = f[0], &path = f[1], &accept = f[2], &origin = f[3], &host = f[4],
	                  &authorization = f[5], &apikey = f[6], &version = f[7], &origins = f[8];
	(void)net::route_request(method, path);
	(void)net::accepts(accept, "application/json");
	(void)net::accepts(accept, "text/event-stream");
	core::RequestHeaders h;
	h.origin = origin;
	h.host = host;
	h.authorization = authorization;
	h.apikey = apikey;
	h.peer = f[0];
	GatewayConfig cfg;
	(void)core::check_origin_and_host(h, cfg);
	try {
		cfg.allowed_origins = parse_origin_list(origins);
		(void)core::check_origin_and_host(h, cfg);
	} catch (const ConfigError &) {
		// an invalid mcp_supa.allowed_origins is refused when the setting is read
	}
	(void)mcp::supported_protocol_version(version);
	std::string token = auth::pick_token(h.authorization, h.apikey);
	int64_t now_ms = int64_t(size) * 37; // moves forward and back: rates and bans both ways
	core::Decision d = admission(size % 2).admit(h.peer, token, now_ms, 1700000000);
	if (d.admitted() != d.auth.ok || (d.status == 401 && !d.audit))
		__builtin_trap();
	if (d.admitted()) {
		(void)d.auth.principal.claims.dump();
		(void)admission(size % 2).request_rate(d.auth.principal, h.peer, now_ms);
	}
	const auth::AuthResult &result = d.auth;
	(void)d.message();
	// Body framing: the Content-Length values as fields 0-1, a Transfer-Encoding when odd.
	(void)net::framing_problem({f[0], f[1]}, size % 2);
	(void)net::framing_problem({f[2]}, false);
	// What may reach a header from a token's error: one line, quotes kept out.
	std::string safe = net::header_safe(result.error.empty() ? text : result.error);
	for (char ch : safe)
		if (static_cast<unsigned char>(ch) < 0x20 || ch == '"' || ch == '\\')
			__builtin_trap();
	return 0;
}
