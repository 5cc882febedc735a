// JWKS parsing and asymmetric JWT verification: keys generated here with OpenSSL and exported as
// JWKs, tokens signed here, RFC 7515 A.2/A.3 and RFC 8037 A.4 vectors, tampering, key and
// algorithm confusion, kid selection, audience, hostile documents.
#include <catch2/catch.hpp>

#include "mcp_supa/auth/base64url.h"
#include "mcp_supa/auth/jwks.h"
#include "mcp_supa/auth/jwt.h"

#include <memory>
#include <string>
#include <vector>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

using namespace mcp_supa::auth;
using nlohmann::json;

namespace
{

const std::string kSecret = "super-secret-jwt-token-with-at-least-32-characters-long";
const std::int64_t kNow = 1700000000;

// ---- keys, JWKs and a test-only signer ------------------------------------------------------

// Generates a key pair, failing the test when OpenSSL cannot.
EvpPkeyPtr generate(EVP_PKEY *made)
{
	REQUIRE(made);
	return EvpPkeyPtr(made);
}

// Keys generated once per run: RSA key generation is slow, under valgrind above all.
EVP_PKEY *rsa_key()
{
	static EvpPkeyPtr k = generate(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t(2048)));
	return k.get();
}
// A second RSA key, for signatures by the wrong key of the right kind.
EVP_PKEY *other_rsa_key()
{
	static EvpPkeyPtr k = generate(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t(2048)));
	return k.get();
}
// A P-256 key.
EVP_PKEY *ec_key()
{
	static EvpPkeyPtr k = generate(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
	return k.get();
}
// Another P-256 key.
EVP_PKEY *other_ec_key()
{
	static EvpPkeyPtr k = generate(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
	return k.get();
}
// An Ed25519 key.
EVP_PKEY *ed_key()
{
	static EvpPkeyPtr k = generate(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
	return k.get();
}
// Another Ed25519 key.
EVP_PKEY *other_ed_key()
{
	static EvpPkeyPtr k = generate(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
	return k.get();
}

std::string b64(const std::string &bytes)
{
	return base64url_encode(bytes);
}

// Reads a BIGNUM parameter of a key as big-endian bytes, left-padded to pad bytes if pad > 0.
std::string bn_param(EVP_PKEY *k, const char *name, int pad = 0)
{
	BIGNUM *bn = nullptr;
	REQUIRE(EVP_PKEY_get_bn_param(k, name, &bn) == 1);
	std::string out(std::size_t(pad > 0 ? pad : BN_num_bytes(bn)), '\0');
	auto *p = reinterpret_cast<unsigned char *>(out.data());
	int n = pad > 0 ? BN_bn2binpad(bn, p, pad) : BN_bn2bin(bn, p);
	BN_free(bn);
	REQUIRE(n == int(out.size()));
	return out;
}

// Exports the public part of a key as a JWK (RFC 7518 §6 / RFC 8037 §2).
json public_jwk(EVP_PKEY *k, const std::string &kid = "", const std::string &alg = "")
{
	json j;
	if (EVP_PKEY_is_a(k, "RSA")) {
		j = {{"kty", "RSA"},
		     {"n", b64(bn_param(k, OSSL_PKEY_PARAM_RSA_N))},
		     {"e", b64(bn_param(k, OSSL_PKEY_PARAM_RSA_E))}};
	} else if (EVP_PKEY_is_a(k, "EC")) {
		j = {{"kty", "EC"},
		     {"crv", "P-256"},
		     {"x", b64(bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, 32))},
		     {"y", b64(bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
	} else {
		unsigned char raw[32];
		std::size_t len = sizeof(raw);
		REQUIRE(EVP_PKEY_get_raw_public_key(k, raw, &len) == 1);
		REQUIRE(len == 32);
		j = {{"kty", "OKP"},
		     {"crv", "Ed25519"},
		     {"x", b64(std::string(reinterpret_cast<char *>(raw), len))}};
	}
	if (!kid.empty())
		j["kid"] = kid;
	if (!alg.empty())
		j["alg"] = alg;
	return j;
}

// A JWKS document holding keys.
std::string jwks_doc(const std::vector<json> &keys)
{
	return json({{"keys", keys}}).dump();
}

// Converts an OpenSSL DER ECDSA signature to JOSE's r||s, each 32 bytes.
std::string der_to_jose(const std::string &der)
{
	const auto *p = reinterpret_cast<const unsigned char *>(der.data());
	ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, long(der.size()));
	REQUIRE(sig);
	const BIGNUM *r = nullptr, *s = nullptr;
	ECDSA_SIG_get0(sig, &r, &s);
	std::string out(64, '\0');
	auto *o = reinterpret_cast<unsigned char *>(out.data());
	bool ok = BN_bn2binpad(r, o, 32) == 32 && BN_bn2binpad(s, o + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	REQUIRE(ok);
	return out;
}

// Converts JOSE's r||s back to DER, as an attacker replaying an OpenSSL signature would send it.
std::string jose_to_der(const std::string &jose)
{
	REQUIRE(jose.size() == 64);
	ECDSA_SIG *sig = ECDSA_SIG_new();
	const auto *p = reinterpret_cast<const unsigned char *>(jose.data());
	REQUIRE(ECDSA_SIG_set0(sig, BN_bin2bn(p, 32, nullptr), BN_bin2bn(p + 32, 32, nullptr)) == 1);
	unsigned char *der = nullptr;
	int len = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	REQUIRE(len > 0);
	std::string out(reinterpret_cast<char *>(der), std::size_t(len));
	OPENSSL_free(der);
	return out;
}

// Frees an EVP_MD_CTX; a unique_ptr deleter.
struct MdCtxFree {
	void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};

// Signs input with a private key the way alg (RS256, PS256, ES256, EdDSA) asks, in JOSE form.
std::string raw_sign(EVP_PKEY *k, const std::string &alg, const std::string &input)
{
	std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
	EVP_PKEY_CTX *pctx = nullptr;
	const EVP_MD *md = alg == "EdDSA" ? nullptr : EVP_sha256();
	REQUIRE(EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, k) == 1);
	if (alg == "PS256") {
		REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
		REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1);
	}
	const auto *in = reinterpret_cast<const unsigned char *>(input.data());
	std::size_t len = 0;
	REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) == 1);
	std::string sig(len, '\0');
	REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(sig.data()), &len, in,
	                       input.size()) == 1);
	sig.resize(len);
	return alg == "ES256" ? der_to_jose(sig) : sig;
}

// Builds a compact JWS from raw header and payload text, signed with k.
std::string sign_jws(EVP_PKEY *k, const std::string &alg, const std::string &header,
                     const std::string &payload)
{
	std::string input = b64(header) + "." + b64(payload);
	return input + "." + b64(raw_sign(k, alg, input));
}

// Builds a JWT for claims with header {"alg","typ","kid"} (no kid when kid is empty).
std::string sign_jwt(EVP_PKEY *k, const std::string &alg, const std::string &kid,
                     const json &claims)
{
	json header = {{"alg", alg}, {"typ", "JWT"}};
	if (!kid.empty())
		header["kid"] = kid;
	return sign_jws(k, alg, header.dump(), claims.dump());
}

const json kClaims = {
    {"role", "authenticated"}, {"sub", "u1"}, {"aud", "authenticated"}, {"exp", kNow + 3600}};

// ---- parsing and verifying helpers ----------------------------------------------------------

// Parses a document that must parse.
std::shared_ptr<const Jwks> parse_ok(const std::string &doc)
{
	std::string error;
	auto set = Jwks::parse(doc, error);
	INFO(error);
	REQUIRE(set);
	return set;
}

// Parses a document that must be refused, and returns the error.
std::string parse_error(const std::string &doc)
{
	std::string error;
	auto set = Jwks::parse(doc, error);
	CHECK_FALSE(set);
	CHECK_FALSE(error.empty());
	return error;
}

// The set most tests use: one key of each type, with kids and no alg.
std::shared_ptr<const Jwks> standard_jwks()
{
	return parse_ok(jwks_doc({public_jwk(rsa_key(), "rsa-1"), public_jwk(ec_key(), "ec-1"),
	                          public_jwk(ed_key(), "ed-1")}));
}

// A verifier with the HMAC secret and the given set.
JwtVerifier verifier(std::shared_ptr<const Jwks> set, const std::string &secret = kSecret)
{
	JwtVerifier v(secret);
	v.set_jwks(std::move(set));
	return v;
}

// Verifies a token that must be refused and returns why.
JwtError refused(const JwtVerifier &v, const std::string &token, std::int64_t now = kNow)
{
	JwtError err = JwtError::Malformed;
	auto r = v.verify(token, now, err);
	CHECK_FALSE(r.has_value());
	return err;
}

// Verifies a token that must be accepted and returns it.
VerifiedJwt accepted(const JwtVerifier &v, const std::string &token, std::int64_t now = kNow)
{
	JwtError err = JwtError::Malformed;
	auto r = v.verify(token, now, err);
	INFO("refused with: " << jwt_error_message(err));
	REQUIRE(r.has_value());
	return *r;
}

// Replaces the character at i with a different base64url character.
std::string flip_char(std::string s, std::size_t i)
{
	s[i] = s[i] == 'A' ? 'B' : 'A';
	return s;
}

// Replaces a token's signature segment with the base64url of sig.
std::string with_signature(const std::string &token, const std::string &sig)
{
	return token.substr(0, token.rfind('.') + 1) + b64(sig);
}

// The decoded signature of a token.
std::string signature_of(const std::string &token)
{
	std::string sig;
	REQUIRE(base64url_decode(token.substr(token.rfind('.') + 1), sig));
	return sig;
}

struct Case {
	const char *alg;
	EVP_PKEY *(*key)();
	EVP_PKEY *(*other)();
	const char *kid;
};
// Each asymmetric algorithm with the key of the standard set that verifies it.
const Case kCases[] = {
    {"RS256", rsa_key, other_rsa_key, "rsa-1"},
    {"PS256", rsa_key, other_rsa_key, "rsa-1"},
    {"ES256", ec_key, other_ec_key, "ec-1"},
    {"EdDSA", ed_key, other_ed_key, "ed-1"},
};

// A JWK of the RFC vectors' keys, and their payload: {"iss":"joe",...,"exp":1300819380,...}.
const json kRfc7515RsaJwk = {
    {"kty", "RSA"},
    {"n",
     "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0B"
     "m4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z"
     "5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7a"
     "GhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"},
    {"e", "AQAB"}};
const char *const kRfc7515A2 =
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
    "fQ."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W"
    "2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkS"
    "jtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnv"
    "Wh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const json kRfc7515EcJwk = {{"kty", "EC"},
                            {"crv", "P-256"},
                            {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                            {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}};
const char *const kRfc7515A3 =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
    "fQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
const json kRfc7515Claims = {
    {"iss", "joe"}, {"exp", 1300819380}, {"http://example.com/is_root", true}};
const json kRfc8037Jwk = {
    {"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
const char *const kRfc8037PrivateD = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const char *const kRfc8037A4 =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

} // namespace

// ---- JWKS parsing ---------------------------------------------------------------------------

TEST_CASE("a JWKS of RSA, P-256 and Ed25519 public keys exported from OpenSSL parses", "[jwks]")
{
	auto set = parse_ok(jwks_doc({public_jwk(rsa_key(), "rsa-1", "RS256"),
	                              public_jwk(ec_key(), "ec-1", "ES256"), public_jwk(ed_key())}));
	REQUIRE(set->keys().size() == 3);
	CHECK(set->skipped().empty());
	CHECK(set->keys()[0].type == JwkType::Rsa);
	CHECK(set->keys()[0].kid == "rsa-1");
	CHECK(set->keys()[0].alg == "RS256");
	CHECK(set->keys()[1].type == JwkType::EcP256);
	CHECK(set->keys()[1].alg == "ES256");
	CHECK(set->keys()[2].type == JwkType::Ed25519);
	CHECK(set->keys()[2].kid.empty());
	CHECK(set->keys()[2].alg.empty());
	for (const Jwk &k : set->keys())
		CHECK(k.pkey);
	// The keys are the generated ones: their public halves compare equal.
	CHECK(EVP_PKEY_eq(set->keys()[0].pkey.get(), rsa_key()) == 1);
	CHECK(EVP_PKEY_eq(set->keys()[1].pkey.get(), ec_key()) == 1);
	CHECK(EVP_PKEY_eq(set->keys()[2].pkey.get(), ed_key()) == 1);
}

TEST_CASE("a Supabase-shaped JWKS with key_ops, ext and use parses", "[jwks]")
{
	json k = public_jwk(ec_key(), "b81269f1-21d8-4f2e-b719-c2240a840d90", "ES256");
	k["use"] = "sig";
	k["key_ops"] = {"verify"};
	k["ext"] = true;
	auto set = parse_ok(jwks_doc({k}));
	REQUIRE(set->keys().size() == 1);
	auto v = verifier(set);
	std::string token =
	    sign_jwt(ec_key(), "ES256", "b81269f1-21d8-4f2e-b719-c2240a840d90", kClaims);
	CHECK(accepted(v, token).claims == kClaims);
}

TEST_CASE("keys of other types, curves, uses or algs are skipped and noted", "[jwks]")
{
	json enc = public_jwk(rsa_key(), "enc-key");
	enc["use"] = "enc";
	json encrypt_only = public_jwk(rsa_key(), "ops-key");
	encrypt_only["key_ops"] = {"encrypt", "wrapKey"};
	json oaep = public_jwk(rsa_key(), "oaep-key", "RSA-OAEP");
	json ec_as_rs = public_jwk(ec_key(), "ec-rs", "RS256");
	json rsa_as_es = public_jwk(rsa_key(), "rsa-es", "ES256");
	json hs = public_jwk(rsa_key(), "rsa-hs", "HS256");
	const std::vector<json> keys = {
	    {{"kty", "oct"}, {"k", b64(kSecret)}, {"kid", "hmac"}},
	    {{"kty", "EC"}, {"crv", "P-384"}, {"x", "AAAA"}, {"y", "AAAA"}},
	    {{"kty", "OKP"}, {"crv", "X25519"}, {"x", "AAAA"}},
	    {{"kty", "OKP"}, {"crv", "Ed448"}, {"x", "AAAA"}},
	    {{"n", "AQAB"}},
	    "not a key",
	    enc,
	    encrypt_only,
	    oaep,
	    ec_as_rs,
	    rsa_as_es,
	    hs,
	    public_jwk(ed_key(), "good"),
	};
	auto set = parse_ok(jwks_doc(keys));
	REQUIRE(set->keys().size() == 1);
	CHECK(set->keys()[0].kid == "good");
	const auto &why = set->skipped();
	REQUIRE(why.size() == keys.size() - 1);
	CHECK(why[0] == R"(key 0 (kid "hmac"): unsupported kty "oct")");
	CHECK(why[1] == R"(key 1: unsupported EC curve "P-384")");
	CHECK(why[2] == R"(key 2: unsupported OKP curve "X25519")");
	CHECK(why[3] == R"(key 3: unsupported OKP curve "Ed448")");
	CHECK(why[4] == R"(key 4: unsupported kty "")");
	CHECK(why[5] == "key 5: not a JSON object");
	CHECK(why[6] == R"(key 6 (kid "enc-key"): "use" is "enc", not "sig")");
	CHECK(why[7] == R"(key 7 (kid "ops-key"): "key_ops" does not hold "verify")");
	CHECK(why[8] == R"(key 8 (kid "oaep-key"): "alg" "RSA-OAEP" does not fit kty "RSA")");
	CHECK(why[9] == R"(key 9 (kid "ec-rs"): "alg" "RS256" does not fit kty "EC")");
	CHECK(why[10] == R"(key 10 (kid "rsa-es"): "alg" "ES256" does not fit kty "RSA")");
	CHECK(why[11] == R"(key 11 (kid "rsa-hs"): "alg" "HS256" does not fit kty "RSA")");

	// A skipped key is not there to verify with: its kid is unknown.
	auto v = verifier(set);
	CHECK(refused(v, sign_jwt(rsa_key(), "RS256", "enc-key", kClaims)) == JwtError::UnknownKey);
	CHECK(refused(v, sign_jwt(ec_key(), "ES256", "ec-rs", kClaims)) == JwtError::UnknownKey);
}

TEST_CASE("a document without a usable key is an error that says why", "[jwks]")
{
	json enc = public_jwk(ec_key(), "e1");
	enc["use"] = "enc";
	std::string error = parse_error(jwks_doc({enc}));
	CHECK(error ==
	      R"(JWKS document has no usable key: key 0 (kid "e1"): "use" is "enc", not "sig")");
	CHECK(parse_error(R"({"keys":[]})") == "JWKS document has no keys");
	// Many reasons are cut to a few.
	std::vector<json> octs(8, {{"kty", "oct"}});
	error = parse_error(jwks_doc(octs));
	CHECK(error.find(R"(key 4: unsupported kty "oct"; and 3 more)") != std::string::npos);
	CHECK(error.find("key 5") == std::string::npos);
}

TEST_CASE("malformed JWKS documents are refused with clear errors", "[jwks]")
{
	const std::string not_json =
	    "JWKS document is not valid JSON (or has duplicate names or deep nesting)";
	const std::string no_keys = R"(JWKS document is not an object with a "keys" array)";
	CHECK(parse_error("") == not_json);
	CHECK(parse_error("<html>502 Bad Gateway</html>") == not_json);
	CHECK(parse_error(R"({"keys":[)") == not_json);
	CHECK(parse_error("{\"keys\":[]}\xff") == not_json);
	CHECK(parse_error(std::string("{\"keys\":[]}\0", 12)) == not_json);
	CHECK(parse_error(R"({"keys":[],"keys":[]})") == not_json);
	CHECK(parse_error("{\"keys\":[" + std::string(70, '[') + std::string(70, ']') + "]}") ==
	      not_json);
	CHECK(parse_error("{}") == no_keys);
	CHECK(parse_error("[]") == no_keys);
	CHECK(parse_error("null") == no_keys);
	CHECK(parse_error(R"({"keys":{}})") == no_keys);
	CHECK(parse_error(R"({"keys":"none"})") == no_keys);
	CHECK(parse_error(jwks_doc({public_jwk(ec_key())}).substr(1)) == not_json);
}

TEST_CASE("a JWKS is bounded to 100 keys and 1 MiB", "[jwks]")
{
	std::vector<json> keys;
	for (int i = 0; i < 100; i++)
		keys.push_back(public_jwk(ed_key(), "k" + std::to_string(i)));
	auto set = parse_ok(jwks_doc(keys));
	CHECK(set->keys().size() == 100);
	CHECK(accepted(verifier(set), sign_jwt(ed_key(), "EdDSA", "k99", kClaims)).claims == kClaims);

	keys.push_back(public_jwk(ed_key(), "k100"));
	CHECK(parse_error(jwks_doc(keys)) == "JWKS document has 101 keys, at most 100");

	// Exactly 1 MiB is judged on its merits; one byte more is not read at all.
	json doc = {{"keys", {public_jwk(ed_key(), "k")}}, {"pad", ""}};
	std::size_t base = doc.dump().size();
	doc["pad"] = std::string(kMaxJwksBytes - base, 'x');
	REQUIRE(doc.dump().size() == kMaxJwksBytes);
	parse_ok(doc.dump());
	doc["pad"] = std::string(kMaxJwksBytes - base + 1, 'x');
	CHECK(parse_error(doc.dump()) == "JWKS document too large: 1048577 bytes, at most 1048576");
	CHECK(parse_error(std::string(2 * 1024 * 1024, ' ')) ==
	      "JWKS document too large: 2097152 bytes, at most 1048576");
}

TEST_CASE("an EC point that is not on P-256 is rejected at parse", "[jwks]")
{
	json good = public_jwk(ec_key(), "ec");
	std::string y;
	REQUIRE(base64url_decode(good["y"].get<std::string>(), y));
	y[31] = char(y[31] ^ 1);
	json off = good;
	off["y"] = b64(y);
	off["kid"] = "off";
	CHECK(parse_error(jwks_doc({off})) ==
	      R"(JWKS document has no usable key: key 0 (kid "off"): EC point is not on P-256)");
	// Beside a good key it is skipped, and tokens naming it are not verified with it.
	auto set = parse_ok(jwks_doc({off, good}));
	REQUIRE(set->keys().size() == 1);
	CHECK(set->skipped().size() == 1);
	CHECK(refused(verifier(set), sign_jwt(ec_key(), "ES256", "off", kClaims)) ==
	      JwtError::UnknownKey);
	// The point at "infinity" (all zeros) and the RFC key's x with a y off the curve.
	json zero = {{"kty", "EC"},
	             {"crv", "P-256"},
	             {"x", b64(std::string(32, '\0'))},
	             {"y", b64(std::string(32, '\0'))}};
	CHECK(parse_error(jwks_doc({zero})).find("EC point is not on P-256") != std::string::npos);
	json rfc_off = kRfc7515EcJwk;
	rfc_off["y"] = rfc_off["x"];
	CHECK(parse_error(jwks_doc({rfc_off})).find("EC point is not on P-256") != std::string::npos);
	// Coordinates must be exactly 32 bytes of base64url.
	const std::string bad_size = "P-256 key without 32-byte base64url \"x\" and \"y\"";
	for (const std::string &x : {b64(std::string(31, '\1')), b64(std::string(33, '\1')),
	                             std::string("not base64!"), good["x"].get<std::string>() + "=="}) {
		json k = good;
		k["x"] = x;
		INFO(x);
		CHECK(parse_error(jwks_doc({k})).find(bad_size) != std::string::npos);
	}
	json no_y = good;
	no_y.erase("y");
	CHECK(parse_error(jwks_doc({no_y})).find(bad_size) != std::string::npos);
}

TEST_CASE("RSA keys must be 2048 to 8192 bits with odd n and e", "[jwks]")
{
	EvpPkeyPtr small(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t(1024)));
	REQUIRE(small);
	CHECK(parse_error(jwks_doc({public_jwk(small.get(), "small")}))
	          .find("RSA modulus of 128 bytes (2048 to 8192 bits accepted)") != std::string::npos);

	json good = public_jwk(rsa_key(), "rsa");
	std::string n;
	REQUIRE(base64url_decode(good["n"].get<std::string>(), n));
	json k = good;
	k["e"] = b64("\x01\x00\x00");
	CHECK(parse_error(jwks_doc({k})).find("RSA modulus or exponent is not a valid odd number") !=
	      std::string::npos);
	k["e"] = b64("\x01");
	CHECK(parse_error(jwks_doc({k})).find("not a valid odd number") != std::string::npos);
	k["e"] = b64(std::string(9, '\x01'));
	CHECK(parse_error(jwks_doc({k})).find("not a valid odd number") != std::string::npos);
	k = good;
	n.back() = char(n.back() ^ 1);
	k["n"] = b64(n);
	CHECK(parse_error(jwks_doc({k})).find("not a valid odd number") != std::string::npos);
	k = good;
	k["n"] = b64(std::string(1025, '\x01'));
	CHECK(parse_error(jwks_doc({k})).find("RSA modulus of 1025 bytes") != std::string::npos);
	k.erase("n");
	CHECK(parse_error(jwks_doc({k})).find(R"(RSA key without base64url "n" and "e")") !=
	      std::string::npos);

	// A leading zero byte on n (a common encoder quirk) is tolerated and changes nothing.
	REQUIRE(base64url_decode(good["n"].get<std::string>(), n));
	k = good;
	k["n"] = b64(std::string(1, '\0') + n);
	auto set = parse_ok(jwks_doc({k}));
	CHECK(accepted(verifier(set), sign_jwt(rsa_key(), "RS256", "rsa", kClaims)).claims == kClaims);
}

TEST_CASE("an Ed25519 key must be 32 bytes", "[jwks]")
{
	json k = public_jwk(ed_key(), "ed");
	k["x"] = b64(std::string(31, '\1'));
	CHECK(parse_error(jwks_doc({k})).find(R"(Ed25519 key without 32-byte base64url "x")") !=
	      std::string::npos);
	k["x"] = 42;
	CHECK(parse_error(jwks_doc({k})).find(R"(Ed25519 key without 32-byte base64url "x")") !=
	      std::string::npos);
	k = public_jwk(ed_key(), "ed");
	k["kid"] = 7;
	CHECK(parse_error(jwks_doc({k})).find(R"("kid", "alg", "kty" or "crv" is not a string)") !=
	      std::string::npos);
}

TEST_CASE("a skip reason quotes a hostile kid safely and briefly", "[jwks]")
{
	json k = {{"kty", "oct"}, {"kid", "line\nbreak\"" + std::string(200, 'k')}};
	auto set = parse_ok(jwks_doc({k, public_jwk(ed_key())}));
	REQUIRE(set->skipped().size() == 1);
	const std::string &why = set->skipped()[0];
	CHECK(why.find('\n') == std::string::npos);
	CHECK(why.find(R"(line\nbreak\")") != std::string::npos);
	CHECK(why.size() < 150);
}

// ---- asymmetric verification ----------------------------------------------------------------

TEST_CASE("RS256, PS256, ES256 and EdDSA tokens signed here verify", "[jwks]")
{
	auto v = verifier(standard_jwks());
	for (const Case &c : kCases) {
		INFO(c.alg);
		std::string token = sign_jwt(c.key(), c.alg, c.kid, kClaims);
		VerifiedJwt jwt = accepted(v, token);
		CHECK(jwt.claims == kClaims);
		CHECK(jwt.header == json({{"alg", c.alg}, {"typ", "JWT"}, {"kid", c.kid}}));
		// Without the HMAC secret as well: asymmetric tokens never need it.
		CHECK(accepted(verifier(standard_jwks(), ""), token).claims == kClaims);
		// Time claims apply as to HS256 tokens.
		CHECK(refused(v, token, kNow + 3600 + 30) == JwtError::Expired);
		std::string early = sign_jwt(c.key(), c.alg, c.kid, {{"nbf", kNow + 60}});
		CHECK(refused(v, early) == JwtError::NotYetValid);
	}
}

TEST_CASE("tampered asymmetric tokens are refused as BadSignature", "[jwks]")
{
	auto v = verifier(standard_jwks());
	for (const Case &c : kCases) {
		INFO(c.alg);
		std::string token = sign_jwt(c.key(), c.alg, c.kid, kClaims);
		std::size_t d1 = token.find('.'), d2 = token.rfind('.');
		// Payload: a flipped character, and claims swapped in from another signed token.
		CHECK(refused(v, flip_char(token, d1 + 5)) == JwtError::BadSignature);
		std::string other = sign_jwt(c.key(), c.alg, c.kid, {{"role", "service_role"}});
		std::string forged = token.substr(0, d1) +
		                     other.substr(other.find('.'), other.rfind('.') - other.find('.')) +
		                     token.substr(d2);
		CHECK(refused(v, forged) == JwtError::BadSignature);
		// Header: same members, other bytes (nlohmann writes them sorted; this is not).
		std::string header =
		    std::string(R"({"typ":"JWT","kid":")") + c.kid + R"(","alg":")" + c.alg + R"("})";
		CHECK(refused(v, b64(header) + token.substr(d1)) == JwtError::BadSignature);
		// Signature: flipped, truncated, extended, empty, another token's.
		CHECK(refused(v, flip_char(token, d2 + 3)) == JwtError::BadSignature);
		std::string sig = signature_of(token);
		CHECK(refused(v, with_signature(token, sig.substr(0, sig.size() - 1))) ==
		      JwtError::BadSignature);
		CHECK(refused(v, with_signature(token, sig + '\0')) == JwtError::BadSignature);
		CHECK(refused(v, token.substr(0, d2 + 1)) == JwtError::BadSignature);
		CHECK(refused(v, with_signature(token, signature_of(other))) == JwtError::BadSignature);
		// The right kid and kind of key, but signed by another key.
		CHECK(refused(v, sign_jwt(c.other(), c.alg, c.kid, kClaims)) == JwtError::BadSignature);
	}
}

TEST_CASE("RS256 and PS256 signatures are not interchangeable", "[jwks]")
{
	auto v = verifier(standard_jwks());
	std::string rs = sign_jwt(rsa_key(), "RS256", "rsa-1", kClaims);
	std::string ps = sign_jwt(rsa_key(), "PS256", "rsa-1", kClaims);
	std::size_t d = rs.rfind('.');
	std::string ps_header = b64(json({{"alg", "PS256"}, {"typ", "JWT"}, {"kid", "rsa-1"}}).dump());
	// A PKCS #1 v1.5 signature under a PS256 header, and a PSS one under RS256.
	CHECK(refused(v, ps_header + rs.substr(rs.find('.'))) == JwtError::BadSignature);
	CHECK(refused(v, rs.substr(0, d + 1) + ps.substr(ps.rfind('.') + 1)) == JwtError::BadSignature);
}

TEST_CASE("an unknown kid is UnknownKey, which asks for a JWKS refresh", "[jwks]")
{
	auto v = verifier(standard_jwks());
	for (const Case &c : kCases) {
		INFO(c.alg);
		CHECK(refused(v, sign_jwt(c.key(), c.alg, "rotated-in", kClaims)) == JwtError::UnknownKey);
	}
	// kid "" names no key either: keys without a kid are not matched by it.
	json header = {{"alg", "ES256"}, {"kid", ""}};
	CHECK(refused(v, sign_jws(ec_key(), "ES256", header.dump(), kClaims.dump())) ==
	      JwtError::UnknownKey);
	CHECK(needs_jwks_refresh(JwtError::UnknownKey));
	for (JwtError e : {JwtError::Malformed, JwtError::BadSignature, JwtError::NoKey,
	                   JwtError::UnsupportedAlg, JwtError::Expired, JwtError::BadAudience})
		CHECK_FALSE(needs_jwks_refresh(e));
	// After a "refresh" that brings the key, the same token verifies.
	auto refreshed = verifier(parse_ok(jwks_doc({public_jwk(ec_key(), "rotated-in")})));
	accepted(refreshed, sign_jwt(ec_key(), "ES256", "rotated-in", kClaims));
}

TEST_CASE("without a JWKS, asymmetric tokens are NoKey whatever the HMAC secret", "[jwks]")
{
	// Documented choice: the alg is one we support, but no key is configured for it (as for an
	// HS256 token without a secret); needs_jwks_refresh(NoKey) is false.
	JwtVerifier v(kSecret);
	for (const Case &c : kCases) {
		INFO(c.alg);
		CHECK(refused(v, sign_jwt(c.key(), c.alg, c.kid, kClaims)) == JwtError::NoKey);
		CHECK(refused(v, sign_jwt(c.key(), c.alg, "", kClaims)) == JwtError::NoKey);
	}
}

TEST_CASE("without a kid, the only key that fits the alg is used", "[jwks]")
{
	auto v = verifier(standard_jwks());
	for (const Case &c : kCases) {
		INFO(c.alg);
		CHECK(accepted(v, sign_jwt(c.key(), c.alg, "", kClaims)).claims == kClaims);
	}
	// Two RSA keys and no kid to choose: refused, not tried in turn.
	auto two = verifier(
	    parse_ok(jwks_doc({public_jwk(rsa_key(), "a"), public_jwk(other_rsa_key(), "b")})));
	CHECK(refused(two, sign_jwt(rsa_key(), "RS256", "", kClaims)) == JwtError::NoKey);
	CHECK(accepted(two, sign_jwt(other_rsa_key(), "RS256", "b", kClaims)).claims == kClaims);
	// Two RSA keys, but only one allows PS256.
	auto pinned = verifier(parse_ok(jwks_doc(
	    {public_jwk(rsa_key(), "a", "RS256"), public_jwk(other_rsa_key(), "b", "PS256")})));
	CHECK(accepted(pinned, sign_jwt(other_rsa_key(), "PS256", "", kClaims)).claims == kClaims);
	CHECK(accepted(pinned, sign_jwt(rsa_key(), "RS256", "", kClaims)).claims == kClaims);
	// No key of the family at all.
	auto ec_only = verifier(parse_ok(jwks_doc({public_jwk(ec_key(), "ec")})));
	CHECK(refused(ec_only, sign_jwt(rsa_key(), "RS256", "", kClaims)) == JwtError::NoKey);
	CHECK(refused(ec_only, sign_jwt(ed_key(), "EdDSA", "", kClaims)) == JwtError::NoKey);
}

TEST_CASE("a JWK's alg restricts the tokens it verifies", "[jwks]")
{
	auto v = verifier(parse_ok(jwks_doc(
	    {public_jwk(rsa_key(), "rs-only", "RS256"), public_jwk(rsa_key(), "ps-only", "PS256")})));
	CHECK(accepted(v, sign_jwt(rsa_key(), "RS256", "rs-only", kClaims)).claims == kClaims);
	CHECK(accepted(v, sign_jwt(rsa_key(), "PS256", "ps-only", kClaims)).claims == kClaims);
	CHECK(refused(v, sign_jwt(rsa_key(), "PS256", "rs-only", kClaims)) == JwtError::NoKey);
	CHECK(refused(v, sign_jwt(rsa_key(), "RS256", "ps-only", kClaims)) == JwtError::NoKey);

	// The lower layer enforces it too, on a Jwk built by hand that parse() would have refused.
	std::string input = b64(R"({"alg":"ES256"})") + "." + b64("{}");
	std::string sig = raw_sign(ec_key(), "ES256", input);
	auto shared_ec = std::shared_ptr<EVP_PKEY>(EVP_PKEY_dup(ec_key()), EVP_PKEY_free);
	REQUIRE(shared_ec);
	Jwk ec{JwkType::EcP256, "ec", "", shared_ec};
	CHECK(verify_jws_signature(ec, "ES256", input, sig));
	ec.alg = "RS256";
	CHECK_FALSE(verify_jws_signature(ec, "ES256", input, sig));
	ec.alg = "ES256";
	CHECK(verify_jws_signature(ec, "ES256", input, sig));
	CHECK_FALSE(verify_jws_signature(ec, "ES384", input, sig));
	CHECK_FALSE(verify_jws_signature(ec, "HS256", input, sig));
	CHECK_FALSE(verify_jws_signature(ec, "none", input, sig));
	// A Jwk whose type lies about its EVP_PKEY, or with no key at all.
	Jwk liar{JwkType::Rsa, "x", "", shared_ec};
	CHECK_FALSE(verify_jws_signature(liar, "RS256", input, sig));
	Jwk empty{JwkType::EcP256, "x", "", nullptr};
	CHECK_FALSE(verify_jws_signature(empty, "ES256", input, sig));
	// A hand-made Jwk cannot bring in an RSA key under 2048 bits either.
	EVP_PKEY *small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t(1024));
	REQUIRE(small);
	Jwk weak{JwkType::Rsa, "w", "", std::shared_ptr<EVP_PKEY>(small, EVP_PKEY_free)};
	std::string rs_input = b64(R"({"alg":"RS256"})") + "." + b64("{}");
	CHECK_FALSE(verify_jws_signature(weak, "RS256", rs_input, raw_sign(small, "RS256", rs_input)));
}

TEST_CASE("a kid naming a key of another type is NoKey, never a cross-type check", "[jwks]")
{
	auto v = verifier(standard_jwks());
	CHECK(refused(v, sign_jwt(ec_key(), "ES256", "rsa-1", kClaims)) == JwtError::NoKey);
	CHECK(refused(v, sign_jwt(rsa_key(), "RS256", "ec-1", kClaims)) == JwtError::NoKey);
	CHECK(refused(v, sign_jwt(ed_key(), "EdDSA", "ec-1", kClaims)) == JwtError::NoKey);
	CHECK(refused(v, sign_jwt(ec_key(), "ES256", "ed-1", kClaims)) == JwtError::NoKey);
	// Keys of different types may share a kid (RFC 7517 §4.5); the alg picks among them.
	auto shared = verifier(parse_ok(jwks_doc(
	    {public_jwk(rsa_key(), "k"), public_jwk(ec_key(), "k"), public_jwk(ed_key(), "k")})));
	for (const Case &c : kCases) {
		INFO(c.alg);
		CHECK(accepted(shared, sign_jwt(c.key(), c.alg, "k", kClaims)).claims == kClaims);
	}
}

TEST_CASE("HS256 signed with the public key's bytes (key confusion) is refused", "[jwks]")
{
	auto set = standard_jwks();
	// The RSA public key as PEM and DER SubjectPublicKeyInfo, as its JWK, and as raw n.
	std::vector<std::string> public_bytes;
	BIO *bio = BIO_new(BIO_s_mem());
	REQUIRE(PEM_write_bio_PUBKEY(bio, rsa_key()) == 1);
	char *pem = nullptr;
	long pem_len = BIO_get_mem_data(bio, &pem);
	public_bytes.emplace_back(pem, std::size_t(pem_len));
	BIO_free(bio);
	unsigned char *der = nullptr;
	int der_len = i2d_PUBKEY(rsa_key(), &der);
	REQUIRE(der_len > 0);
	public_bytes.emplace_back(reinterpret_cast<char *>(der), std::size_t(der_len));
	OPENSSL_free(der);
	public_bytes.push_back(public_jwk(rsa_key(), "rsa-1").dump());
	public_bytes.push_back(jwks_doc({public_jwk(rsa_key(), "rsa-1")}));
	public_bytes.push_back(bn_param(rsa_key(), OSSL_PKEY_PARAM_RSA_N));

	for (const std::string &key_bytes : public_bytes) {
		for (const char *kid : {"", "rsa-1"}) {
			json header = {{"alg", "HS256"}, {"typ", "JWT"}};
			if (*kid)
				header["kid"] = kid;
			std::string input = b64(header.dump()) + "." + b64(kClaims.dump());
			unsigned char mac[32];
			unsigned int len = 0;
			REQUIRE(HMAC(EVP_sha256(), key_bytes.data(), int(key_bytes.size()),
			             reinterpret_cast<const unsigned char *>(input.data()), input.size(), mac,
			             &len));
			std::string token = input + "." + b64(std::string(reinterpret_cast<char *>(mac), len));
			CHECK(refused(verifier(set, kSecret), token) == JwtError::BadSignature);
			CHECK(refused(verifier(set, ""), token) == JwtError::NoKey);
		}
	}
	// The reverse: an "RS256" token whose signature is an HMAC with the secret.
	std::string input = b64(R"({"alg":"RS256","kid":"rsa-1"})") + "." + b64(kClaims.dump());
	unsigned char mac[32];
	unsigned int len = 0;
	REQUIRE(HMAC(EVP_sha256(), kSecret.data(), int(kSecret.size()),
	             reinterpret_cast<const unsigned char *>(input.data()), input.size(), mac, &len));
	std::string token = input + "." + b64(std::string(reinterpret_cast<char *>(mac), len));
	CHECK(refused(verifier(set, kSecret), token) == JwtError::BadSignature);
	CHECK(refused(JwtVerifier(kSecret), token) == JwtError::NoKey);
}

TEST_CASE("ES256 signatures must be JOSE's 64-byte r||s", "[jwks]")
{
	auto v = verifier(standard_jwks());
	std::string token = sign_jwt(ec_key(), "ES256", "ec-1", kClaims);
	std::string sig = signature_of(token);
	REQUIRE(sig.size() == 64);
	accepted(v, token);
	// The same signature in OpenSSL's DER form is refused, as are near-miss lengths.
	std::string der = jose_to_der(sig);
	CHECK(refused(v, with_signature(token, der)) == JwtError::BadSignature);
	CHECK(refused(v, with_signature(token, sig.substr(0, 63))) == JwtError::BadSignature);
	CHECK(refused(v, with_signature(token, sig + '\0')) == JwtError::BadSignature);
	CHECK(refused(v, with_signature(token, '\0' + sig)) == JwtError::BadSignature);
	CHECK(refused(v, with_signature(token, sig + sig)) == JwtError::BadSignature);
	CHECK(refused(v, with_signature(token, std::string(64, '\0'))) == JwtError::BadSignature);
	CHECK(refused(v, with_signature(token, std::string(64, '\xff'))) == JwtError::BadSignature);
	// r and s swapped.
	CHECK(refused(v, with_signature(token, sig.substr(32) + sig.substr(0, 32))) ==
	      JwtError::BadSignature);
}

TEST_CASE("a key embedded in the token header is never used", "[jwks]")
{
	// The attacker signs with their own key and offers it in "jwk" (RFC 7515 §4.1.3).
	auto v = verifier(parse_ok(jwks_doc({public_jwk(rsa_key(), "rsa-1")})));
	for (const char *kid : {"", "rsa-1"}) {
		json header = {{"alg", "RS256"}, {"jwk", public_jwk(other_rsa_key())}};
		header["jku"] = "https://attacker.example/jwks.json";
		if (*kid)
			header["kid"] = kid;
		std::string token = sign_jws(other_rsa_key(), "RS256", header.dump(), kClaims.dump());
		CHECK(refused(v, token) == JwtError::BadSignature);
	}
}

TEST_CASE("a kid that is not a string is Malformed", "[jwks]")
{
	auto v = verifier(standard_jwks());
	for (const json &kid : {json(1), json(nullptr), json::array({"ec-1"}), json::object()}) {
		INFO(kid.dump());
		json header = {{"alg", "ES256"}, {"kid", kid}};
		CHECK(refused(v, sign_jws(ec_key(), "ES256", header.dump(), kClaims.dump())) ==
		      JwtError::Malformed);
	}
}

TEST_CASE("the audience of asymmetric tokens is checked when one is set", "[jwks]")
{
	auto v = verifier(standard_jwks());
	v.set_audience("authenticated");
	CHECK(v.audience() == "authenticated");
	std::string token = sign_jwt(ec_key(), "ES256", "ec-1", kClaims);
	accepted(v, token);
	json other = kClaims;
	other["aud"] = "anon";
	CHECK(refused(v, sign_jwt(ec_key(), "ES256", "ec-1", other)) == JwtError::BadAudience);
	other["aud"] = json::array({"x", "authenticated"});
	accepted(v, sign_jwt(ed_key(), "EdDSA", "ed-1", other));
	// A refusal for the audience comes only after the signature: a forged token stays BadSignature.
	other["aud"] = "anon";
	std::string forged = sign_jwt(other_ec_key(), "ES256", "ec-1", other);
	CHECK(refused(v, forged) == JwtError::BadSignature);
}

TEST_CASE("verifier copies share the key set, which outlives its other holders", "[jwks]")
{
	auto set = standard_jwks();
	std::string token = sign_jwt(ed_key(), "EdDSA", "ed-1", kClaims);
	JwtVerifier a(kSecret);
	a.set_jwks(set);
	CHECK(a.jwks() == set);
	JwtVerifier b = a;
	set.reset();
	CHECK(b.jwks().use_count() == 2);
	a.set_jwks(nullptr);
	CHECK(refused(a, token) == JwtError::NoKey);
	accepted(b, token);
	// Swapping in a whole new verifier, as the gateway does after a refresh.
	JwtVerifier c(kSecret);
	c.set_jwks(parse_ok(jwks_doc({public_jwk(other_ed_key(), "ed-1")})));
	b = c;
	CHECK(refused(b, token) == JwtError::BadSignature);
	accepted(b, sign_jwt(other_ed_key(), "EdDSA", "ed-1", kClaims));
}

TEST_CASE("refused tokens and keys leave OpenSSL's error queue as it was", "[jwks]")
{
	// TLS code on the same thread reads this queue; stale entries would be taken for its own.
	ERR_clear_error();
	auto v = verifier(standard_jwks());
	for (const Case &c : kCases) {
		std::string token = sign_jwt(c.key(), c.alg, c.kid, kClaims);
		refused(v, flip_char(token, token.rfind('.') + 3));
		refused(v, with_signature(token, "short"));
	}
	json off = kRfc7515EcJwk;
	off["y"] = off["x"];
	parse_error(jwks_doc({off}));
	CHECK(ERR_peek_error() == 0);
	// Errors already queued are left in place.
	ERR_raise(ERR_LIB_USER, 42);
	refused(v, with_signature(sign_jwt(ec_key(), "ES256", "ec-1", kClaims), std::string(64, '\1')));
	parse_error(jwks_doc({off}));
	CHECK(ERR_GET_REASON(ERR_peek_last_error()) == 42);
	ERR_clear_error();
}

// ---- fixed vectors --------------------------------------------------------------------------

TEST_CASE("the RFC 7515 A.2 RS256 example verifies", "[jwks]")
{
	auto v = verifier(parse_ok(jwks_doc({kRfc7515RsaJwk})));
	VerifiedJwt jwt = accepted(v, kRfc7515A2, 1300819370);
	CHECK(jwt.header == json({{"alg", "RS256"}}));
	CHECK(jwt.claims == kRfc7515Claims);
	CHECK(refused(v, kRfc7515A2, 1300819380 + 30) == JwtError::Expired);
	CHECK(refused(v, flip_char(kRfc7515A2, std::string(kRfc7515A2).rfind('.') + 10), 1300819370) ==
	      JwtError::BadSignature);
	// One byte short of the modulus size is refused before any arithmetic.
	std::string sig = signature_of(kRfc7515A2);
	CHECK(sig.size() == 256);
	CHECK(refused(v, with_signature(kRfc7515A2, sig.substr(1)), 1300819370) ==
	      JwtError::BadSignature);
}

TEST_CASE("the RFC 7515 A.3 ES256 example verifies, and not in DER form", "[jwks]")
{
	auto v = verifier(parse_ok(jwks_doc({kRfc7515EcJwk})));
	VerifiedJwt jwt = accepted(v, kRfc7515A3, 1300819370);
	CHECK(jwt.header == json({{"alg", "ES256"}}));
	CHECK(jwt.claims == kRfc7515Claims);
	std::string sig = signature_of(kRfc7515A3);
	CHECK(refused(v, with_signature(kRfc7515A3, jose_to_der(sig)), 1300819370) ==
	      JwtError::BadSignature);
	sig[40] = char(sig[40] ^ 0x10);
	CHECK(refused(v, with_signature(kRfc7515A3, sig), 1300819370) == JwtError::BadSignature);
	// The A.3 key verifies neither the A.2 token nor an RS256 header over its own signature.
	CHECK(refused(v, kRfc7515A2, 1300819370) == JwtError::NoKey);
}

TEST_CASE("the RFC 8037 A.4 Ed25519 example verifies at the signature layer", "[jwks]")
{
	// Its payload is the text "Example of Ed25519 signing", not JSON, so verify() cannot accept
	// it as a JWT. Two checks instead: verify_jws_signature() on the exact signing input, and
	// verify() getting past the signature to refuse the payload as BadJson (a bad signature
	// would have been BadSignature first, as the tampered copy shows).
	auto set = parse_ok(jwks_doc({kRfc8037Jwk}));
	REQUIRE(set->keys().size() == 1);
	const std::string jws = kRfc8037A4;
	std::size_t d2 = jws.rfind('.');
	std::string input = jws.substr(0, d2), sig = signature_of(jws), payload;
	REQUIRE(base64url_decode(input.substr(input.find('.') + 1), payload));
	CHECK(payload == "Example of Ed25519 signing");
	CHECK(verify_jws_signature(set->keys()[0], "EdDSA", input, sig));
	CHECK_FALSE(verify_jws_signature(set->keys()[0], "EdDSA", input + "x", sig));
	CHECK_FALSE(verify_jws_signature(set->keys()[0], "ES256", input, sig));
	auto v = verifier(set);
	CHECK(refused(v, jws) == JwtError::BadJson);
	CHECK(refused(v, flip_char(jws, d2 + 5)) == JwtError::BadSignature);

	// Ed25519 is deterministic: the RFC's private key reproduces the signature byte for byte.
	std::string d;
	REQUIRE(base64url_decode(kRfc8037PrivateD, d));
	EvpPkeyPtr priv(EVP_PKEY_new_raw_private_key(
	    EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char *>(d.data()), d.size()));
	REQUIRE(priv);
	CHECK(raw_sign(priv.get(), "EdDSA", input) == sig);
	CHECK(public_jwk(priv.get()) == kRfc8037Jwk);
	// And a JWT signed with it verifies in full.
	CHECK(accepted(v, sign_jwt(priv.get(), "EdDSA", "", kClaims)).claims == kClaims);
}
