// JWT (compact JWS) verification for Supabase access tokens. Pure C++ + OpenSSL 3.
// Only HMAC keys (HS256/384/512) exist so far; the verifier dispatches on the header's "alg"
// to a key family, so RS256/ES256/EdDSA keys from a JWKS slot in beside the HMAC secret.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcp_supa::auth
{

// Tokens longer than this are refused before any decoding: real Supabase tokens are well
// under 2 KiB, and the limit bounds the work an unauthenticated request can cause.
constexpr std::size_t kMaxJwtBytes = 16 * 1024;

// Why a token was refused. Malformed covers well-formed JSON of the wrong shape (a payload
// that is not an object, "exp" that is not a number, a missing "alg", "typ" not JWT, any
// "crit"); BadJson covers bytes that are not JSON at all (syntax, invalid UTF-8, duplicate
// member names, nesting deeper than 64).
enum class JwtError {
	Malformed,
	BadBase64,
	BadJson,
	UnsupportedAlg,
	BadSignature,
	Expired,
	NotYetValid,
	NoKey,
	TooLarge
};

// Short human text for an error, e.g. "token expired"; never null.
const char *jwt_error_message(JwtError e);

struct VerifiedJwt {
	nlohmann::json header; // a JSON object holding at least "alg"
	nlohmann::json claims; // a JSON object
};

class JwtVerifier
{
public:
	// hs_secret: the HS256/384/512 key bytes (Supabase uses the JWT secret string as raw bytes);
	// empty means no HMAC key (HS tokens fail with NoKey). leeway_seconds applies to exp and
	// nbf; a negative value counts as 0.
	explicit JwtVerifier(std::string hs_secret, int leeway_seconds = 30);
	~JwtVerifier();
	JwtVerifier(const JwtVerifier &) = default;
	JwtVerifier &operator=(const JwtVerifier &) = default;

	// Verifies a compact JWS at time now_unix: three base64url segments without padding, a
	// header object whose "alg" is HS256, HS384 or HS512 (anything else, "none" included, is
	// UnsupportedAlg), a constant-time HMAC check over "header.payload", a payload object, and
	// now < exp + leeway, now >= nbf - leeway when those claims are present ("iat" is not
	// checked). Returns the token on success; otherwise nullopt with err set. Never throws.
	std::optional<VerifiedJwt> verify(std::string_view token, std::int64_t now_unix,
	                                  JwtError &err) const noexcept;

	int leeway_seconds() const { return leeway_; }

private:
	std::string hs_secret_;
	int leeway_;

	// Checks sig against signing_input with the key that alg names; false with err set.
	bool check_signature(const std::string &alg, std::string_view signing_input,
	                     std::string_view sig, JwtError &err) const;
	// The body of verify(), which may throw (std::bad_alloc); verify() catches.
	std::optional<VerifiedJwt> verify_unguarded(std::string_view token, std::int64_t now_unix,
	                                            JwtError &err) const;
};

// Signs claims with HS256 (for tests and tools): base64url(header).base64url(payload).
// base64url(HMAC), header {"alg":"HS256","typ":"JWT"}. Throws nlohmann::json::type_error when
// claims hold a string that is not valid UTF-8.
std::string sign_hs256(const nlohmann::json &claims, std::string_view secret);

} // namespace mcp_supa::auth
