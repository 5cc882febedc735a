// Request authentication (see include/mcp_supa/authenticator.h).
#include "mcp_supa/auth/authenticator.h"
#include "mcp_supa/common/text.h"

#include "mcp_supa/auth/jwks.h"

#include <algorithm>
#include <cmath>
#include <openssl/sha.h>

namespace mcp_supa::auth
{

namespace
{

// Case-insensitive "Bearer " prefix test.
bool starts_with_bearer(const std::string &s)
{
	static const char kBearer[] = "bearer ";
	if (s.size() < sizeof(kBearer) - 1)
		return false;
	for (std::size_t i = 0; i < sizeof(kBearer) - 1; i++)
		if (std::tolower(static_cast<unsigned char>(s[i])) != kBearer[i])
			return false;
	return true;
}

// Lowercase hex SHA-256 of a string (how create_api_key stores a secret).
std::string sha256_hex(const std::string &s)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SHA256(reinterpret_cast<const unsigned char *>(s.data()), s.size(), digest);
	return common::hex_encode(digest, sizeof(digest));
}

// Reads a list of tool and family names (a JSON array of strings, at most kMaxToolNames);
// false when it is something else.
bool read_tool_names(const nlohmann::json &v, std::vector<std::string> &out)
{
	constexpr std::size_t kMaxToolNames = 100;
	if (!v.is_array() || v.size() > kMaxToolNames)
		return false;
	out.clear();
	for (const auto &name : v) {
		if (!name.is_string() || name.get_ref<const std::string &>().size() > 63)
			return false;
		out.push_back(name.get<std::string>());
	}
	return true;
}

} // namespace

std::string pick_token(const std::string &authorization, const std::string &apikey)
{
	if (starts_with_bearer(authorization))
		return std::string(common::trim(authorization.substr(7)));
	if (!authorization.empty())
		return authorization; // not Bearer: let verification refuse it clearly
	return std::string(common::trim(apikey));
}

void Authenticator::configure(const AuthSettings &settings)
{
	settings_ = settings;
	if (!settings_.fetches_jwks)
		fetched_jwks_.reset();
	rebuild_verifier();
}

void Authenticator::set_fetched_jwks(std::shared_ptr<const Jwks> jwks)
{
	fetched_jwks_ = std::move(jwks);
	rebuild_verifier();
}

void Authenticator::rebuild_verifier()
{
	jwt_cache_.clear();
	JwtVerifier v(settings_.jwt_secret, kLeewaySeconds);
	if (fetched_jwks_)
		v.set_jwks(fetched_jwks_);
	else if (!settings_.jwks.empty()) {
		std::string why;
		if (auto jwks = Jwks::parse(settings_.jwks, why))
			v.set_jwks(std::move(jwks));
	}
	v.set_audience(settings_.jwt_audience);
	verifier_ = std::move(v);
}

bool Authenticator::role_allowed(const std::string &role) const
{
	return std::find(settings_.allowed_roles.begin(), settings_.allowed_roles.end(), role) !=
	       settings_.allowed_roles.end();
}

void Authenticator::set_api_keys(const nlohmann::json &keys)
{
	std::unordered_map<std::string, ApiKey> fresh;
	if (keys.is_array())
		for (const auto &k : keys) {
			if (!k.is_object() || !k.contains("hash") || !k["hash"].is_string())
				continue;
			ApiKey key;
			key.name = k.value("name", "");
			key.role = k.value("role", "");
			key.claims = k.contains("claims") && k["claims"].is_object() ? k["claims"]
			                                                             : nlohmann::json::object();
			key.read_only = k.value("read_only", false);
			// A key whose tools cannot be read gets none (fail closed).
			if (k.contains("tools") && !k["tools"].is_null()) {
				key.tools_limited = true;
				if (!read_tool_names(k["tools"], key.tools))
					key.tools.clear();
			}
			key.expires_at = k.contains("expires_at") && k["expires_at"].is_number()
			                     ? k["expires_at"].get<double>()
			                     : 0;
			fresh[k["hash"].get<std::string>()] = std::move(key);
		}
	keys_ = std::move(fresh);
	keys_loaded_ = true;
}

AuthResult Authenticator::authenticate_key(const std::string &token, int64_t now_unix) const
{
	AuthResult r;
	std::string hash = sha256_hex(token);
	auto it = keys_.find(hash);
	if (it == keys_.end()) {
		r.error = keys_loaded_ ? "invalid API key" : "API keys are not loaded yet; retry shortly";
		return r;
	}
	const ApiKey &k = it->second;
	if (k.expires_at > 0 && double(now_unix) >= k.expires_at) {
		r.error = "API key expired";
		return r;
	}
	r.ok = true;
	r.principal.subject = k.name;
	r.principal.role = k.role;
	r.principal.auth_method = "api_key";
	r.principal.read_only = k.read_only;
	r.principal.api_key_hash = hash;
	r.principal.tools_limited = k.tools_limited;
	r.principal.tools = k.tools;
	r.principal.claims = k.claims;
	// Like a JWT's: what auth.role() and auth.jwt() see. A sub in the claims makes the key act
	// as that user; the principal (audit, sessions) stays the key's name.
	r.principal.claims["role"] = k.role;
	r.principal.claims["mcp_key"] = k.name;
	return r;
}

AuthResult Authenticator::authenticate(const std::string &token, int64_t now_unix) const
{
	if (token.rfind(kApiKeyPrefix, 0) == 0)
		return authenticate_key(token, now_unix);
	AuthResult r;
	if (token.empty()) {
		if (!settings_.allow_anonymous || !role_allowed("anon")) {
			r.error = "authentication required: send Authorization: Bearer <Supabase JWT>";
			return r;
		}
		r.ok = true;
		r.principal.role = "anon";
		r.principal.auth_method = "anonymous";
		r.principal.claims = {{"role", "anon"}};
		return r;
	}
	auto hit = jwt_cache_.find(token);
	if (hit != jwt_cache_.end()) {
		if (now_unix >= hit->second.valid_from && now_unix < hit->second.valid_until) {
			r.ok = true;
			r.principal = hit->second.principal;
			return r;
		}
		jwt_cache_.erase(hit); // expired (or not yet valid): verify again, and say why
	}
	r = authenticate_jwt(token, now_unix);
	if (r.ok && token.size() <= kJwtCacheMaxTokenBytes) {
		const auto &claims = r.principal.claims;
		auto exp = claims.find("exp");
		auto nbf = claims.find("nbf");
		// Comparisons in doubles first: a NumericDate may be huge, negative or fractional.
		int64_t until = now_unix + kJwtCacheSeconds;
		if (exp != claims.end() && exp->is_number() &&
		    exp->get<double>() + kLeewaySeconds < double(until))
			until = int64_t(exp->get<double>()) + kLeewaySeconds;
		int64_t from = 0;
		if (nbf != claims.end() && nbf->is_number() && nbf->get<double>() - kLeewaySeconds > 0)
			from = int64_t(std::ceil(nbf->get<double>())) - kLeewaySeconds;
		// Bounded: when full, start over rather than track recency on every request.
		if (jwt_cache_.size() >= kJwtCacheEntries)
			jwt_cache_.clear();
		jwt_cache_.emplace(token, CachedJwt{r.principal, from, until});
	}
	return r;
}

AuthResult Authenticator::authenticate_jwt(const std::string &token, int64_t now_unix) const
{
	AuthResult r;
	JwtError err;
	auto jwt = verifier_.verify(token, now_unix, err);
	if (!jwt) {
		r.unknown_key = needs_jwks_refresh(err);
		r.error = std::string("invalid token: ") + jwt_error_message(err);
		return r;
	}
	const auto &claims = jwt->claims;
	auto role = claims.find("role");
	if (role == claims.end() || !role->is_string() || role->get<std::string>().empty()) {
		r.error = "invalid token: no role claim";
		return r;
	}
	if (!role_allowed(role->get<std::string>())) {
		r.error =
		    "role \"" + role->get<std::string>() + "\" is not allowed (mcp_supa.allowed_roles)";
		return r;
	}
	r.ok = true;
	r.principal.role = role->get<std::string>();
	auto sub = claims.find("sub");
	if (sub != claims.end() && sub->is_string())
		r.principal.subject = sub->get<std::string>();
	auto scope = claims.find(kToolsClaim);
	if (scope != claims.end()) {
		if (!read_tool_names(*scope, r.principal.tools)) {
			r.ok = false;
			r.error = std::string("invalid token: ") + kToolsClaim +
			          " must be an array of at most 100 tool or tool family names";
			return r;
		}
		r.principal.tools_limited = true;
	}
	r.principal.auth_method = "jwt";
	r.principal.claims = claims;
	return r;
}

} // namespace mcp_supa::auth
