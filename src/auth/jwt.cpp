// JWT verification (see include/mcp_supa/jwt.h).
#include "mcp_supa/auth/jwt.h"

#include "mcp_supa/auth/base64url.h"
#include "mcp_supa/common/json_limits.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <unordered_set>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

namespace mcp_supa::auth
{

namespace
{

using json = nlohmann::json;

// Deeper JSON than this is refused: real claims nest two or three levels, and later code
// that walks or dumps the claims recursively must not be handed thousands of levels.
constexpr int kMaxJsonDepth = 64;

// The kind of key an algorithm needs: the HMAC secret, or a JWKS key of one type.
enum class KeyFamily { Hmac, Rsa, Ec, Okp };

struct AlgSpec {
	const char *name;
	KeyFamily family;
	const EVP_MD *(*digest)(); // null for EdDSA, which hashes inside the signature scheme
	bool pss;                  // RSA: RSASSA-PSS (salt as long as the hash) not PKCS #1 v1.5
};

// The allowlist: an "alg" not listed here is refused, "none" above all.
// clang-format off
const AlgSpec kAlgs[] = {
    {"HS256", KeyFamily::Hmac, EVP_sha256, false},
    {"HS384", KeyFamily::Hmac, EVP_sha384, false},
    {"HS512", KeyFamily::Hmac, EVP_sha512, false},
    {"RS256", KeyFamily::Rsa,  EVP_sha256, false},
    {"PS256", KeyFamily::Rsa,  EVP_sha256, true},
    {"ES256", KeyFamily::Ec,   EVP_sha256, false},
    {"EdDSA", KeyFamily::Okp,  nullptr,    false},
};
// clang-format on

// Bytes of each of r and s in an ES256 signature, and of a P-256 coordinate.
constexpr std::size_t kP256Bytes = 32;
// RSA keys below this size are refused, here and at JWKS parse (RFC 7518 §3.3 requires it).
constexpr int kMinRsaBits = 2048;

// Looks an "alg" value up in the allowlist; null when it is not there. Case-sensitive, as
// RFC 7515 §4.1.1 requires.
const AlgSpec *find_alg(std::string_view name)
{
	for (const auto &a : kAlgs)
		if (name == a.name)
			return &a;
	return nullptr;
}

// The JWK type an asymmetric family's keys have; false for Hmac, which has none.
bool family_key_type(KeyFamily f, JwkType &t)
{
	switch (f) {
		case KeyFamily::Rsa:
			t = JwkType::Rsa;
			return true;
		case KeyFamily::Ec:
			t = JwkType::EcP256;
			return true;
		case KeyFamily::Okp:
			t = JwkType::Ed25519;
			return true;
		case KeyFamily::Hmac:
			break;
	}
	return false;
}

// True when key may verify spec's tokens: its type is the family's and its "alg", if set, is
// spec's. This is what keeps an RS256-only key from ever judging an ES256 or PS256 token.
bool key_fits(const AlgSpec &spec, const Jwk &key)
{
	JwkType t = JwkType::Rsa;
	return family_key_type(spec.family, t) && key.type == t &&
	       (key.alg.empty() || key.alg == spec.name);
}

// True when the EVP_PKEY itself is of the family's kind, whatever its Jwk says: a hand-built
// Jwk passed to verify_jws_signature() must not smuggle in a small RSA key or another curve.
bool pkey_fits(KeyFamily f, EVP_PKEY *pkey)
{
	switch (f) {
		case KeyFamily::Rsa:
			return EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= kMinRsaBits;
		case KeyFamily::Ec: {
			char group[32];
			std::size_t len = 0;
			return EVP_PKEY_is_a(pkey, "EC") &&
			       EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len) == 1 &&
			       std::strcmp(group, "prime256v1") == 0;
		}
		case KeyFamily::Okp:
			return EVP_PKEY_is_a(pkey, "ED25519");
		case KeyFamily::Hmac:
			break;
	}
	return false;
}

// Keeps OpenSSL's per-thread error queue as it was: a refused token must not leave errors
// behind for the TLS code on this thread to take for its own.
struct ErrMark {
	ErrMark() { ERR_set_mark(); }
	~ErrMark() { ERR_pop_to_mark(); }
	ErrMark(const ErrMark &) = delete;
	ErrMark &operator=(const ErrMark &) = delete;
};

// Frees an EVP_MD_CTX; a unique_ptr deleter.
struct MdCtxFree {
	void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};
// Frees an ECDSA_SIG; a unique_ptr deleter.
struct EcdsaSigFree {
	void operator()(ECDSA_SIG *s) const { ECDSA_SIG_free(s); }
};

// Re-encodes a JOSE ECDSA signature (r||s, each n bytes big-endian, RFC 7518 §3.4) as the DER
// SEQUENCE OpenSSL verifies; empty when it is not exactly 2n bytes, so a DER signature or a
// padded one never gets through.
std::string jose_to_der(std::string_view sig, std::size_t n)
{
	if (sig.size() != 2 * n)
		return {};
	std::unique_ptr<ECDSA_SIG, EcdsaSigFree> es(ECDSA_SIG_new());
	const auto *p = reinterpret_cast<const unsigned char *>(sig.data());
	BIGNUM *r = BN_bin2bn(p, int(n), nullptr);
	BIGNUM *s = BN_bin2bn(p + n, int(n), nullptr);
	if (!es || !r || !s || ECDSA_SIG_set0(es.get(), r, s) != 1) {
		BN_free(r);
		BN_free(s);
		return {};
	}
	int len = i2d_ECDSA_SIG(es.get(), nullptr);
	if (len <= 0)
		return {};
	std::string der(std::size_t(len), '\0');
	auto *out = reinterpret_cast<unsigned char *>(der.data());
	if (i2d_ECDSA_SIG(es.get(), &out) != len)
		return {};
	return der;
}

// Checks sig over input with pkey by spec's scheme via EVP_DigestVerify; false on any failure.
bool evp_verify(const AlgSpec &spec, EVP_PKEY *pkey, std::string_view input, std::string_view sig)
{
	ErrMark mark;
	if (!pkey_fits(spec.family, pkey))
		return false;
	std::string der;
	if (spec.family == KeyFamily::Ec) {
		der = jose_to_der(sig, kP256Bytes);
		if (der.empty())
			return false;
		sig = der;
	}
	std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
	EVP_PKEY_CTX *pctx = nullptr; // owned by ctx
	const EVP_MD *md = spec.digest ? spec.digest() : nullptr;
	if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey) != 1)
		return false;
	if (spec.pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	                 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		return false;
	return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(sig.data()),
	                        sig.size(), reinterpret_cast<const unsigned char *>(input.data()),
	                        input.size()) == 1;
}

// Picks the JWKS key for an asymmetric token: the first key whose kid is the header's and that
// fits spec, or without a header kid the only key that fits. Null with err set: UnknownKey when
// no key has the header's kid (a refresh may bring it), else NoKey.
const Jwk *select_key(const Jwks *jwks, const AlgSpec &spec, const json &header, JwtError &err)
{
	err = JwtError::NoKey;
	if (!jwks)
		return nullptr;
	auto kid_it = header.find("kid"); // a string: check_header saw to that
	const std::string *kid =
	    kid_it == header.end() ? nullptr : &kid_it->get_ref<const std::string &>();
	const Jwk *only = nullptr;
	bool kid_known = false;
	for (const Jwk &key : jwks->keys()) {
		if (kid) {
			if (key.kid.empty() || key.kid != *kid)
				continue;
			kid_known = true;
			if (key_fits(spec, key))
				return &key;
		} else if (key_fits(spec, key)) {
			// Several candidates and no kid to choose: refuse rather than try each, which
			// would multiply the work a forged token costs.
			if (only)
				return nullptr;
			only = &key;
		}
	}
	if (kid && !kid_known)
		err = JwtError::UnknownKey;
	return only;
}

// Applies the required audience, if any: "aud" must be it or an array holding it.
bool check_audience(const json &claims, const std::string &want, JwtError &err)
{
	if (want.empty())
		return true;
	auto it = claims.find("aud");
	bool ok = false;
	if (it != claims.end() && it->is_string())
		ok = it->get_ref<const std::string &>() == want;
	else if (it != claims.end() && it->is_array())
		for (const auto &a : *it)
			ok = ok || (a.is_string() && a.get_ref<const std::string &>() == want);
	if (!ok)
		err = JwtError::BadAudience;
	return ok;
}

// Computes HMAC(digest, key, data); empty on failure, which callers treat as a mismatch.
std::string hmac(const EVP_MD *digest, std::string_view key, std::string_view data)
{
	if (key.size() > INT_MAX)
		return {};
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	const auto *bytes = reinterpret_cast<const unsigned char *>(data.data());
	if (!HMAC(digest, key.data(), int(key.size()), bytes, data.size(), mac, &len))
		return {};
	return std::string(reinterpret_cast<const char *>(mac), len);
}

// Splits a compact JWS at its two dots; false unless there are exactly three segments.
bool split_token(std::string_view token, std::string_view (&parts)[3])
{
	std::size_t d1 = token.find('.');
	if (d1 == std::string_view::npos)
		return false;
	std::size_t d2 = token.find('.', d1 + 1);
	if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
		return false;
	parts[0] = token.substr(0, d1);
	parts[1] = token.substr(d1 + 1, d2 - d1 - 1);
	parts[2] = token.substr(d2 + 1);
	return true;
}

} // namespace

// Refuses duplicate member names (a second "alg" or "role" must not mean one thing here and
// another to a different parser) and deep nesting.
bool detail::parse_json_strict(std::string_view text, json &out)
{
	// nlohmann's lexer takes a NUL byte for the end of input and would ignore what follows;
	// valid JSON never holds a raw NUL, so refuse it outright.
	if (text.find('\0') != std::string_view::npos)
		return false;
	// Too deep: refused before nlohmann builds a tree at all.
	if (!common::json_depth_within(text, kMaxJsonDepth))
		return false;
	std::vector<std::unordered_set<std::string>> keys; // member names of each open object
	int depth = 0;
	bool bad = false;
	auto cb = [&](int, json::parse_event_t ev, json &parsed) {
		switch (ev) {
			case json::parse_event_t::object_start:
				keys.emplace_back();
				[[fallthrough]];
			case json::parse_event_t::array_start:
				if (++depth > kMaxJsonDepth)
					bad = true;
				break;
			case json::parse_event_t::object_end:
				if (!keys.empty())
					keys.pop_back();
				[[fallthrough]];
			case json::parse_event_t::array_end:
				depth--;
				break;
			case json::parse_event_t::key:
				if (keys.empty())
					break;
				if (!keys.back().insert(parsed.get<std::string>()).second)
					bad = true;
				break;
			default:
				break;
		}
		return true;
	};
	out = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
	return !bad && !out.is_discarded();
}

namespace
{

// Parses a decoded segment that must be a JSON object.
bool parse_object(std::string_view text, json &out, JwtError &err)
{
	if (!detail::parse_json_strict(text, out)) {
		err = JwtError::BadJson;
		return false;
	}
	if (!out.is_object()) {
		err = JwtError::Malformed;
		return false;
	}
	return true;
}

// True when s equals "JWT" ignoring ASCII case (not the locale's idea of case).
bool is_jwt_typ(const std::string &s)
{
	static const char kUpper[] = "JWT";
	if (s.size() != 3)
		return false;
	for (std::size_t i = 0; i < 3; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = char(c - 'a' + 'A');
		if (c != kUpper[i])
			return false;
	}
	return true;
}

// Checks the JOSE header's shape and returns its "alg"; false with err set.
bool check_header(const json &header, std::string &alg, JwtError &err)
{
	auto it = header.find("alg");
	if (it == header.end() || !it->is_string()) {
		err = JwtError::Malformed;
		return false;
	}
	alg = it->get<std::string>();
	if (!find_alg(alg)) {
		err = JwtError::UnsupportedAlg;
		return false;
	}
	auto kid = header.find("kid");
	if (kid != header.end() && !kid->is_string()) {
		err = JwtError::Malformed;
		return false;
	}
	auto typ = header.find("typ");
	if (typ != header.end() && (!typ->is_string() || !is_jwt_typ(typ->get<std::string>()))) {
		err = JwtError::Malformed;
		return false;
	}
	// "crit" names extensions the verifier must understand (RFC 7515 §4.1.11); we know none,
	// and honouring e.g. "b64": false silently would change what the signature covers.
	if (header.contains("crit")) {
		err = JwtError::Malformed;
		return false;
	}
	return true;
}

// Reads a NumericDate claim; false (Malformed) when present but not a finite number.
bool numeric_claim(const json &claims, const char *name, std::optional<double> &out, JwtError &err)
{
	auto it = claims.find(name);
	if (it == claims.end())
		return true;
	if (!it->is_number() || !std::isfinite(it->get<double>())) {
		err = JwtError::Malformed;
		return false;
	}
	out = it->get<double>();
	return true;
}

// Applies exp and nbf with leeway; doubles, because NumericDate may be fractional and an
// integer exp + leeway could overflow.
bool check_times(const json &claims, std::int64_t now_unix, int leeway, JwtError &err)
{
	std::optional<double> exp, nbf;
	if (!numeric_claim(claims, "exp", exp, err) || !numeric_claim(claims, "nbf", nbf, err))
		return false;
	double now = double(now_unix);
	if (exp && !(now - leeway < *exp)) {
		err = JwtError::Expired;
		return false;
	}
	if (nbf && !(now + leeway >= *nbf)) {
		err = JwtError::NotYetValid;
		return false;
	}
	return true;
}

} // namespace

const char *jwt_error_message(JwtError e)
{
	switch (e) {
		case JwtError::Malformed:
			return "malformed token";
		case JwtError::BadBase64:
			return "token is not valid base64url";
		case JwtError::BadJson:
			return "token header or payload is not valid JSON";
		case JwtError::UnsupportedAlg:
			return "unsupported token algorithm";
		case JwtError::BadSignature:
			return "invalid token signature";
		case JwtError::Expired:
			return "token expired";
		case JwtError::NotYetValid:
			return "token not yet valid";
		case JwtError::NoKey:
			return "no key configured to verify this token";
		case JwtError::TooLarge:
			return "token too large";
		case JwtError::UnknownKey:
			return "token signing key (kid) not found";
		case JwtError::BadAudience:
			return "token audience not accepted";
	}
	return "invalid token";
}

bool needs_jwks_refresh(JwtError e)
{
	return e == JwtError::UnknownKey;
}

bool alg_uses_key_type(std::string_view alg, JwkType t)
{
	const AlgSpec *spec = find_alg(alg);
	JwkType want = JwkType::Rsa;
	return spec && family_key_type(spec->family, want) && want == t;
}

bool verify_jws_signature(const Jwk &key, std::string_view alg, std::string_view signing_input,
                          std::string_view signature) noexcept
{
	try {
		const AlgSpec *spec = find_alg(alg);
		return spec && key.pkey && key_fits(*spec, key) &&
		       evp_verify(*spec, key.pkey.get(), signing_input, signature);
	} catch (...) {
		// Only allocation can throw here; a refusal is the safe answer.
		return false;
	}
}

JwtVerifier::JwtVerifier(std::string hs_secret, int leeway_seconds)
    : hs_secret_(std::move(hs_secret)), leeway_(leeway_seconds < 0 ? 0 : leeway_seconds)
{
}

// Wipes the secret so it does not linger in freed heap memory.
JwtVerifier::~JwtVerifier()
{
	OPENSSL_cleanse(hs_secret_.data(), hs_secret_.size());
}

bool JwtVerifier::check_signature(const json &header, const std::string &alg,
                                  std::string_view signing_input, std::string_view sig,
                                  JwtError &err) const
{
	const AlgSpec *spec = find_alg(alg);
	if (!spec) {
		err = JwtError::UnsupportedAlg;
		return false;
	}
	switch (spec->family) {
		case KeyFamily::Hmac: {
			if (hs_secret_.empty()) {
				err = JwtError::NoKey;
				return false;
			}
			std::string mac = hmac(spec->digest(), hs_secret_, signing_input);
			// The length is public (it follows from alg); only the bytes need constant time.
			if (mac.empty() || sig.size() != mac.size() ||
			    CRYPTO_memcmp(sig.data(), mac.data(), mac.size()) != 0) {
				err = JwtError::BadSignature;
				return false;
			}
			return true;
		}
		case KeyFamily::Rsa:
		case KeyFamily::Ec:
		case KeyFamily::Okp: {
			// Only JWKS keys, never the HMAC secret: the classic confusion attack signs an
			// HS256 token with the public key's bytes, or an RS256 token "with" the secret.
			const Jwk *key = select_key(jwks_.get(), *spec, header, err);
			if (!key)
				return false;
			if (!evp_verify(*spec, key->pkey.get(), signing_input, sig)) {
				err = JwtError::BadSignature;
				return false;
			}
			return true;
		}
	}
	err = JwtError::UnsupportedAlg;
	return false;
}

std::optional<VerifiedJwt> JwtVerifier::verify_unguarded(std::string_view token,
                                                         std::int64_t now_unix, JwtError &err) const
{
	if (token.size() > kMaxJwtBytes) {
		err = JwtError::TooLarge;
		return std::nullopt;
	}
	std::string_view parts[3];
	if (!split_token(token, parts) || parts[0].empty() || parts[1].empty()) {
		err = JwtError::Malformed;
		return std::nullopt;
	}
	// JWS segments carry no '=' padding (RFC 7515 §2), so one token has one spelling.
	std::string bytes[3];
	for (int i = 0; i < 3; i++) {
		if (parts[i].find('=') != std::string_view::npos || !base64url_decode(parts[i], bytes[i])) {
			err = JwtError::BadBase64;
			return std::nullopt;
		}
	}
	VerifiedJwt out;
	std::string alg;
	if (!parse_object(bytes[0], out.header, err) || !check_header(out.header, alg, err))
		return std::nullopt;
	// The signature is checked before the payload is parsed, so unauthenticated bytes reach
	// the JSON parser only as the small header.
	std::string_view signing_input = token.substr(0, parts[0].size() + 1 + parts[1].size());
	if (!check_signature(out.header, alg, signing_input, bytes[2], err))
		return std::nullopt;
	if (!parse_object(bytes[1], out.claims, err))
		return std::nullopt;
	if (!check_times(out.claims, now_unix, leeway_, err))
		return std::nullopt;
	if (!check_audience(out.claims, audience_, err))
		return std::nullopt;
	return out;
}

std::optional<VerifiedJwt> JwtVerifier::verify(std::string_view token, std::int64_t now_unix,
                                               JwtError &err) const noexcept
{
	try {
		return verify_unguarded(token, now_unix, err);
	} catch (...) {
		// Only allocation can throw here; a refusal is the safe answer.
		err = JwtError::Malformed;
		return std::nullopt;
	}
}

std::string sign_hs256(const nlohmann::json &claims, std::string_view secret)
{
	const json header = {{"alg", "HS256"}, {"typ", "JWT"}};
	std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
	std::string mac = hmac(EVP_sha256(), secret, input);
	return input + "." + base64url_encode(mac);
}

} // namespace mcp_supa::auth
