// JWKS parsing (see include/mcp_supa/jwks.h).
#include "mcp_supa/auth/jwks.h"

#include "mcp_supa/auth/base64url.h"
#include "mcp_supa/auth/jwt.h"

#include <nlohmann/json.hpp>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

namespace mcp_supa::auth
{

namespace
{

using json = nlohmann::json;

// RSA moduli outside this range are refused: under 2048 bits is breakable or near it (RFC 7518
// §3.3 forbids it), over 8192 only makes each verification slower for no real gain.
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
// Bytes of an uncompressed P-256 coordinate and of an Ed25519 public key.
constexpr std::size_t kP256Bytes = 32;
constexpr std::size_t kEd25519Bytes = 32;
// At most this many skip reasons are repeated in the error of a set with no usable key.
constexpr std::size_t kMaxReasonsInError = 5;

// Frees an OSSL_PARAM_BLD; a unique_ptr deleter.
struct ParamBldFree {
	void operator()(OSSL_PARAM_BLD *b) const { OSSL_PARAM_BLD_free(b); }
};
// Frees an OSSL_PARAM array; a unique_ptr deleter.
struct ParamFree {
	void operator()(OSSL_PARAM *p) const { OSSL_PARAM_free(p); }
};
// Frees an EVP_PKEY_CTX; a unique_ptr deleter.
struct PkeyCtxFree {
	void operator()(EVP_PKEY_CTX *c) const { EVP_PKEY_CTX_free(c); }
};
// Frees a BIGNUM; a unique_ptr deleter.
struct BnFree {
	void operator()(BIGNUM *b) const { BN_free(b); }
};
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

// Keeps OpenSSL's per-thread error queue as it was: a refused key must not leave errors behind
// for the TLS code on this thread to take for its own.
struct ErrMark {
	ErrMark() { ERR_set_mark(); }
	~ErrMark() { ERR_pop_to_mark(); }
	ErrMark(const ErrMark &) = delete;
	ErrMark &operator=(const ErrMark &) = delete;
};

// Quotes a document string for a message: JSON-escaped, so control bytes cannot forge log lines,
// and cut to 64 bytes, so a huge kid cannot flood them.
std::string quote_for_log(const std::string &s)
{
	constexpr std::size_t kMax = 64;
	json j = s.size() > kMax ? s.substr(0, kMax) + "..." : s;
	return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Reads an optional string member into out (left empty when absent); false when present but
// not a string.
bool optional_string(const json &k, const char *name, std::string &out)
{
	auto it = k.find(name);
	if (it == k.end())
		return true;
	if (!it->is_string())
		return false;
	out = it->get<std::string>();
	return true;
}

// Decodes a base64url member that must be present; false when absent, not a string or not
// base64url.
bool b64_member(const json &k, const char *name, std::string &out)
{
	auto it = k.find(name);
	return it != k.end() && it->is_string() &&
	       base64url_decode(it->get_ref<const std::string &>(), out);
}

// Drops leading zero bytes of a big-endian integer: RFC 7518 asks encoders for none, but a
// stray one changes nothing and some encoders add it.
std::string_view strip_zeros(std::string_view s)
{
	while (!s.empty() && s.front() == '\0')
		s.remove_prefix(1);
	return s;
}

// Builds a public EVP_PKEY of OpenSSL key type `type` from the parameters in bld; null on
// failure (for EC, a point that is not on the curve fails here already).
EvpPkeyPtr pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
	std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
	    EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
	EVP_PKEY *raw = nullptr;
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
	    EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
		return nullptr;
	return EvpPkeyPtr(raw);
}

// Runs OpenSSL's own public-key validation (for EC: on the curve, not the point at infinity).
bool public_check(EVP_PKEY *pkey)
{
	std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
	    EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
	return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

// Builds an RSA key from "n" and "e"; null with why set. OpenSSL's public check is not used:
// it refuses e < 65537, which RFC 7518 allows, and runs a primality test that costs seconds on
// the largest moduli; the checks here are the ones that matter for verification.
EvpPkeyPtr rsa_key(const json &k, std::string &why)
{
	std::string n_bytes, e_bytes;
	if (!b64_member(k, "n", n_bytes) || !b64_member(k, "e", e_bytes)) {
		why = "RSA key without base64url \"n\" and \"e\"";
		return nullptr;
	}
	std::string_view n = strip_zeros(n_bytes), e = strip_zeros(e_bytes);
	if (n.size() * 8 < std::size_t(kMinRsaBits) - 7 || n.size() * 8 > std::size_t(kMaxRsaBits)) {
		why = "RSA modulus of " + std::to_string(n.size()) + " bytes (2048 to 8192 bits accepted)";
		return nullptr;
	}
	if ((n.back() & 1) == 0 || e.empty() || e.size() > 8 || (e.back() & 1) == 0 ||
	    (e.size() == 1 && static_cast<unsigned char>(e[0]) < 3)) {
		why = "RSA modulus or exponent is not a valid odd number";
		return nullptr;
	}
	const auto *np = reinterpret_cast<const unsigned char *>(n.data());
	const auto *ep = reinterpret_cast<const unsigned char *>(e.data());
	BnPtr bn_n(BN_bin2bn(np, int(n.size()), nullptr)), bn_e(BN_bin2bn(ep, int(e.size()), nullptr));
	ParamBldPtr bld(OSSL_PARAM_BLD_new());
	EvpPkeyPtr pkey;
	if (bn_n && bn_e && bld &&
	    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) &&
	    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
		pkey = pkey_from_params("RSA", bld.get());
	if (!pkey) {
		why = "RSA parameters refused by OpenSSL";
		return nullptr;
	}
	int bits = EVP_PKEY_get_bits(pkey.get());
	if (bits < kMinRsaBits || bits > kMaxRsaBits) {
		why = "RSA key of " + std::to_string(bits) + " bits (2048 to 8192 accepted)";
		return nullptr;
	}
	return pkey;
}

// Builds a P-256 key from "x" and "y" and checks the point is on the curve; null with why set.
EvpPkeyPtr ec_p256_key(const json &k, std::string &why)
{
	std::string x, y;
	if (!b64_member(k, "x", x) || !b64_member(k, "y", y) || x.size() != kP256Bytes ||
	    y.size() != kP256Bytes) {
		why = "P-256 key without 32-byte base64url \"x\" and \"y\"";
		return nullptr;
	}
	const std::string point = '\x04' + x + y; // SEC 1 uncompressed form
	ParamBldPtr bld(OSSL_PARAM_BLD_new());
	EvpPkeyPtr pkey;
	if (bld &&
	    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
	                                     point.size()))
		pkey = pkey_from_params("EC", bld.get());
	// fromdata already refuses a point off the curve; the public check says so explicitly and
	// also covers the point at infinity and the subgroup.
	if (!pkey || !public_check(pkey.get())) {
		why = "EC point is not on P-256";
		return nullptr;
	}
	return pkey;
}

// Builds an Ed25519 key from "x"; null with why set.
EvpPkeyPtr ed25519_key(const json &k, std::string &why)
{
	std::string x;
	if (!b64_member(k, "x", x) || x.size() != kEd25519Bytes) {
		why = "Ed25519 key without 32-byte base64url \"x\"";
		return nullptr;
	}
	ParamBldPtr bld(OSSL_PARAM_BLD_new());
	EvpPkeyPtr pkey;
	if (bld &&
	    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, x.data(), x.size()))
		pkey = pkey_from_params("ED25519", bld.get());
	if (!pkey || !public_check(pkey.get())) {
		why = "Ed25519 public key refused by OpenSSL";
		return nullptr;
	}
	return pkey;
}

// Checks "use" and "key_ops": the key must be meant for verifying signatures; why set if not.
bool meant_for_signatures(const json &k, std::string &why)
{
	std::string use;
	if (!optional_string(k, "use", use)) {
		why = "\"use\" is not a string";
		return false;
	}
	if (k.contains("use") && use != "sig") {
		why = "\"use\" is " + quote_for_log(use) + ", not \"sig\"";
		return false;
	}
	auto ops = k.find("key_ops");
	if (ops == k.end())
		return true;
	if (ops->is_array())
		for (const auto &op : *ops)
			if (op == "verify")
				return true;
	why = "\"key_ops\" does not hold \"verify\"";
	return false;
}

// Parses one JWK into out; false with why set when it is not a key we can use.
bool parse_key(const json &k, Jwk &out, std::string &why)
{
	if (!k.is_object()) {
		why = "not a JSON object";
		return false;
	}
	std::string kty, crv;
	if (!optional_string(k, "kid", out.kid) || !optional_string(k, "alg", out.alg) ||
	    !optional_string(k, "kty", kty) || !optional_string(k, "crv", crv)) {
		why = "\"kid\", \"alg\", \"kty\" or \"crv\" is not a string";
		return false;
	}
	if (kty == "RSA")
		out.type = JwkType::Rsa;
	else if (kty == "EC" && crv == "P-256")
		out.type = JwkType::EcP256;
	else if (kty == "OKP" && crv == "Ed25519")
		out.type = JwkType::Ed25519;
	else {
		why = kty == "EC" || kty == "OKP" ? "unsupported " + kty + " curve " + quote_for_log(crv)
		                                  : "unsupported kty " + quote_for_log(kty);
		return false;
	}
	if (!meant_for_signatures(k, why))
		return false;
	if (k.contains("alg") && !alg_uses_key_type(out.alg, out.type)) {
		why = "\"alg\" " + quote_for_log(out.alg) + " does not fit kty " + quote_for_log(kty);
		return false;
	}
	ErrMark mark;
	EvpPkeyPtr pkey = out.type == JwkType::Rsa      ? rsa_key(k, why)
	                  : out.type == JwkType::EcP256 ? ec_p256_key(k, why)
	                                                : ed25519_key(k, why);
	if (!pkey)
		return false;
	out.pkey = std::shared_ptr<EVP_PKEY>(std::move(pkey));
	return true;
}

// Joins the first few skip reasons for an error message.
std::string some_reasons(const std::vector<std::string> &reasons)
{
	std::string out;
	for (std::size_t i = 0; i < reasons.size() && i < kMaxReasonsInError; i++)
		out += (i ? "; " : "") + reasons[i];
	if (reasons.size() > kMaxReasonsInError)
		out += "; and " + std::to_string(reasons.size() - kMaxReasonsInError) + " more";
	return out;
}

} // namespace

void EvpPkeyFree::operator()(EVP_PKEY *pkey) const noexcept
{
	EVP_PKEY_free(pkey);
}

std::shared_ptr<const Jwks> Jwks::parse(std::string_view document, std::string &error) noexcept
{
	try {
		return parse_unguarded(document, error);
	} catch (...) {
		// Only allocation can throw here.
		error = "JWKS: out of memory while parsing";
		return nullptr;
	}
}

std::shared_ptr<const Jwks> Jwks::parse_unguarded(std::string_view document, std::string &error)
{
	if (document.size() > kMaxJwksBytes) {
		error = "JWKS document too large: " + std::to_string(document.size()) + " bytes, at most " +
		        std::to_string(kMaxJwksBytes);
		return nullptr;
	}
	json doc;
	if (!detail::parse_json_strict(document, doc)) {
		error = "JWKS document is not valid JSON (or has duplicate names or deep nesting)";
		return nullptr;
	}
	auto keys = doc.is_object() ? doc.find("keys") : doc.end();
	if (!doc.is_object() || keys == doc.end() || !keys->is_array()) {
		error = "JWKS document is not an object with a \"keys\" array";
		return nullptr;
	}
	if (keys->size() > kMaxJwksKeys) {
		error = "JWKS document has " + std::to_string(keys->size()) + " keys, at most " +
		        std::to_string(kMaxJwksKeys);
		return nullptr;
	}
	std::shared_ptr<Jwks> set(new Jwks);
	for (std::size_t i = 0; i < keys->size(); i++) {
		Jwk key;
		std::string why;
		if (parse_key((*keys)[i], key, why)) {
			set->keys_.push_back(std::move(key));
			continue;
		}
		std::string where = "key " + std::to_string(i);
		if (!key.kid.empty())
			where += " (kid " + quote_for_log(key.kid) + ")";
		set->skipped_.push_back(where + ": " + why);
	}
	if (set->keys_.empty()) {
		error = keys->empty() ? "JWKS document has no keys"
		                      : "JWKS document has no usable key: " + some_reasons(set->skipped_);
		return nullptr;
	}
	return set;
}

} // namespace mcp_supa::auth
