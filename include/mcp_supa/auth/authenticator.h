// Who a request is: credentials from headers verified into a Principal, or a refusal with the
// HTTP status and message to answer.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "mcp_supa/auth/jwks.h"
#include "mcp_supa/auth/jwt.h"
#include "mcp_supa/auth/principal.h"

namespace mcp_supa::auth
{

struct AuthResult {
	bool ok = false;
	bool unknown_key = false; // a JWT named a kid the JWKS lacks: worth refreshing it
	std::string error;        // when !ok: a short reason, safe to show the client
	auth::Principal principal;
};

// The settings authentication uses (the config layer fills them from mcp_supa.*).
struct AuthSettings {
	std::string jwt_secret;    // HS256 key, or empty
	std::string jwks;          // inline JWKS document, or empty
	std::string jwt_audience;  // required "aud", or empty
	bool fetches_jwks = false; // a JWKS URL is set: keys arrive through set_fetched_jwks
	std::vector<std::string> allowed_roles;
	bool allow_anonymous = false;
};

// The token a request carries: "Authorization: Bearer X" wins over Supabase's "apikey: X".
std::string pick_token(const std::string &authorization, const std::string &apikey);

class Authenticator
{
public:
	explicit Authenticator(const AuthSettings &settings) { configure(settings); }
	// Takes new settings (secret, allowed roles, anonymous access).
	void configure(const AuthSettings &settings);
	// Verifies a token (empty: no credentials) at time now.
	AuthResult authenticate(const std::string &token, int64_t now_unix) const;
	// Takes the JWKS fetched from mcp_supa.jwks_url (preferred over the inline one).
	void set_fetched_jwks(std::shared_ptr<const Jwks> jwks);
	// Replaces the known API keys with the executors' list (hash, name, role, claims, ...).
	void set_api_keys(const nlohmann::json &keys);

	// API key secrets start with this; anything else is taken for a JWT.
	static constexpr const char *kApiKeyPrefix = "mcps_";
	// The optional JWT claim that limits a caller to some tools and tool families (an array
	// of names, as an API key's tools).
	static constexpr const char *kToolsClaim = "mcp_tools";
	// Verified JWTs are remembered (Streamable HTTP sends the same token with every request)
	// for at most this long, never past their exp, and forgotten whenever the secret, the
	// keys or the allowed roles change.
	// Memory stays bounded (about 8 MB at worst): at most kJwtCacheEntries tokens, each at
	// most kJwtCacheMaxTokenBytes (longer ones are verified every time).
	static constexpr int64_t kJwtCacheSeconds = 60;
	static constexpr std::size_t kJwtCacheEntries = 1024;
	static constexpr std::size_t kJwtCacheMaxTokenBytes = 2048;
	static constexpr int kLeewaySeconds = 30;
	std::size_t cached_jwts() const { return jwt_cache_.size(); }

private:
	struct ApiKey {
		std::string name, role;
		nlohmann::json claims;
		bool read_only = false;
		double expires_at = 0; // unix seconds; 0: never
		bool tools_limited = false;
		std::vector<std::string> tools;
	};
	std::unordered_map<std::string, ApiKey> keys_; // sha256 hex -> key
	bool keys_loaded_ = false;

	AuthResult authenticate_key(const std::string &token, int64_t now_unix) const;
	AuthResult authenticate_jwt(const std::string &token, int64_t now_unix) const;
	struct CachedJwt {
		auth::Principal principal;
		int64_t valid_from;  // nbf - leeway (or 0)
		int64_t valid_until; // min(exp + leeway, verified + kJwtCacheSeconds)
	};
	mutable std::unordered_map<std::string, CachedJwt> jwt_cache_;

	JwtVerifier verifier_{""};
	AuthSettings settings_;
	std::shared_ptr<const Jwks> fetched_jwks_;

	// Builds a new verifier from the settings and the fetched keys, replacing the old whole.
	void rebuild_verifier();
	bool role_allowed(const std::string &role) const;
};

} // namespace mcp_supa::auth
