// JWT (compact JWS) verification for Supabase access tokens. Pure C++ + OpenSSL 3.
// The verifier dispatches on the header's "alg" to a key family: HS256/384/512 use the HMAC
// secret (Supabase's legacy JWT secret), RS256/PS256/ES256/EdDSA use a key of a JWKS (newer
// projects' asymmetric signing keys). A token is never checked with a key of another family.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "mcp_supa/auth/jwks.h"

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
	TooLarge,
	UnknownKey, // an asymmetric token's "kid" names no key of the JWKS
	BadAudience // an audience is required and the token's "aud" does not hold it
};

// Short human text for an error, e.g. "token expired"; never null.
const char *jwt_error_message(JwtError e);

// True when fetching the JWKS again might turn the refusal into an acceptance: the token names a
// key id the current set lacks, as happens right after the project rotates in a new key. Only
// UnknownKey qualifies; the caller rate-limits refreshes (a forged kid costs us one fetch).
bool needs_jwks_refresh(JwtError e);

// True when alg is an asymmetric algorithm verify() accepts with a key of type t: RS256 and PS256
// with Rsa, ES256 with EcP256, EdDSA with Ed25519. Case-sensitive.
bool alg_uses_key_type(std::string_view alg, JwkType t);

// Checks one JWS signature (the bytes, not base64url) over signing_input with one key: alg must
// be one alg_uses_key_type() accepts for key.type, allowed by key.alg when that is set, and the
// EVP_PKEY must be of the right kind (RSA >= 2048 bits, P-256, Ed25519). ES256 signatures are
// JOSE's 64-byte r||s, any other length fails. The layer under verify(), public for JWS whose
// payload is not a JWT (RFC test vectors). Never throws.
bool verify_jws_signature(const Jwk &key, std::string_view alg, std::string_view signing_input,
                          std::string_view signature) noexcept;

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
	// header object whose "alg" is HS256, HS384, HS512, RS256, PS256, ES256 or EdDSA (anything
	// else, "none" included, is UnsupportedAlg) and whose "kid", if any, is a string, a
	// signature check over "header.payload", a payload object, now < exp + leeway,
	// now >= nbf - leeway when those claims are present ("iat" is not checked), and the
	// audience when one is set. Returns the token on success; otherwise nullopt with err set.
	// Never throws.
	//
	// HS* tokens are checked (constant time) with the HMAC secret only, never a JWKS key;
	// NoKey when the secret is empty. Asymmetric tokens are checked with a JWKS key only, never
	// the secret: the key whose "kid" equals the header's and whose type and "alg" fit the
	// token's alg; without a header kid, the only key of the set that fits. NoKey when no JWKS
	// is set, the kid's key does not fit the alg, or without a kid no key or several fit;
	// UnknownKey when the set has no key with the header's kid (see needs_jwks_refresh).
	std::optional<VerifiedJwt> verify(std::string_view token, std::int64_t now_unix,
	                                  JwtError &err) const noexcept;

	int leeway_seconds() const { return leeway_; }

	// Sets the public keys for asymmetric tokens (null: none, the default). Like every setter
	// here, not safe while another thread calls verify() on this object: to rotate keys, build
	// a new verifier and swap it in whole.
	void set_jwks(std::shared_ptr<const Jwks> jwks) { jwks_ = std::move(jwks); }
	const std::shared_ptr<const Jwks> &jwks() const { return jwks_; }

	// Requires the token's "aud" (a string, or an array of them) to hold audience, else
	// BadAudience, a missing or other-typed "aud" included. Empty (the default): not checked.
	void set_audience(std::string audience) { audience_ = std::move(audience); }
	const std::string &audience() const { return audience_; }

private:
	std::string hs_secret_;
	int leeway_;
	std::shared_ptr<const Jwks> jwks_;
	std::string audience_;

	// Checks sig against signing_input with the key that alg and the header's kid name; false
	// with err set.
	bool check_signature(const nlohmann::json &header, const std::string &alg,
	                     std::string_view signing_input, std::string_view sig, JwtError &err) const;
	// The body of verify(), which may throw (std::bad_alloc); verify() catches.
	std::optional<VerifiedJwt> verify_unguarded(std::string_view token, std::int64_t now_unix,
	                                            JwtError &err) const;
};

// Signs claims with HS256 (for tests and tools): base64url(header).base64url(payload).
// base64url(HMAC), header {"alg":"HS256","typ":"JWT"}. Throws nlohmann::json::type_error when
// claims hold a string that is not valid UTF-8.
std::string sign_hs256(const nlohmann::json &claims, std::string_view secret);

namespace detail
{
// Parses untrusted JSON without exceptions into out; false on invalid JSON or UTF-8, a NUL
// byte, duplicate member names in one object, or nesting deeper than 64. Shared with jwks.cpp.
bool parse_json_strict(std::string_view text, nlohmann::json &out);
} // namespace detail

} // namespace mcp_supa::auth
