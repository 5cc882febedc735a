// JSON Web Key Sets (RFC 7517) of public signing keys, as newer Supabase projects publish at
// /auth/v1/.well-known/jwks.json: RSA, EC P-256 and Ed25519 keys held as OpenSSL EVP_PKEYs for
// JwtVerifier's RS256, PS256, ES256 and EdDSA tokens. Pure C++ + OpenSSL 3.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

namespace mcp_supa::auth
{

// A JWKS document larger than this is refused before parsing: real sets hold a few keys in a few
// KiB, and the limit bounds what a misbehaving key endpoint can make us parse.
constexpr std::size_t kMaxJwksBytes = 1024 * 1024;
// A "keys" array longer than this is refused: it bounds key-building work and kid lookups.
constexpr std::size_t kMaxJwksKeys = 100;

// The kinds of key we verify with; a JWK of any other kty or crv is skipped.
enum class JwkType {
	Rsa,    // kty "RSA", 2048 to 8192 bits: RS256, PS256
	EcP256, // kty "EC", crv "P-256", point checked on the curve: ES256
	Ed25519 // kty "OKP", crv "Ed25519": EdDSA
};

// Frees an EVP_PKEY; the deleter of EvpPkeyPtr.
struct EvpPkeyFree {
	void operator()(EVP_PKEY *pkey) const noexcept;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// One usable public key of a set.
struct Jwk {
	JwkType type = JwkType::Rsa;
	std::string kid; // empty when the JWK has none
	std::string alg; // empty when the JWK has none; otherwise the only alg it may verify
	// Public key only; shared so copies of a set (and of verifiers holding it) stay cheap and
	// the key lives as long as any holder. EVP_PKEY is safe for concurrent verification.
	std::shared_ptr<EVP_PKEY> pkey;
};

class Jwks
{
public:
	// Parses a JWKS document ({"keys":[...]}). Returns null with error set (one line, for the
	// log) when the document is over kMaxJwksBytes, not strict JSON (syntax, invalid UTF-8,
	// duplicate member names, deep nesting), not an object with a "keys" array, has more than
	// kMaxJwksKeys keys, or has no usable key. A key that cannot be used is skipped and noted
	// in skipped(): another kty or crv, "use" other than "sig", "key_ops" without "verify",
	// "alg" not one we verify with its type, bad parameters, RSA outside 2048..8192 bits or
	// with an even modulus or exponent, an EC point not on P-256. Never throws.
	static std::shared_ptr<const Jwks> parse(std::string_view document,
	                                         std::string &error) noexcept;

	// The usable keys, in document order.
	const std::vector<Jwk> &keys() const { return keys_; }
	// Why each skipped key was skipped, e.g. `key 2 (kid "k2"): unsupported kty "oct"`.
	const std::vector<std::string> &skipped() const { return skipped_; }

private:
	std::vector<Jwk> keys_;
	std::vector<std::string> skipped_;

	Jwks() = default;
	// The body of parse(), which may throw (std::bad_alloc); parse() catches.
	static std::shared_ptr<const Jwks> parse_unguarded(std::string_view document,
	                                                   std::string &error);
};

} // namespace mcp_supa::auth
