// base64url and JWT verification: RFC vectors, tokens made by Node, tampering, algorithm
// confusion, time claims, audience, hostile shapes and sizes. Asymmetric tokens and JWKS:
// test_jwks.cpp.
#include <catch2/catch.hpp>

#include "json_builders.h"

#include "mcp_supa/auth/base64url.h"
#include "mcp_supa/auth/jwt.h"

#include <ctime>
#include <iterator>
#include <set>
#include <utility>

#include <openssl/evp.h>
#include <openssl/hmac.h>

using test_support::deep_array;
using test_support::nest;
using namespace mcp_supa::auth;
using nlohmann::json;

namespace
{

// The secret of Supabase's self-hosting example, used by the Node-made vectors below.
const std::string kSecret = "super-secret-jwt-token-with-at-least-32-characters-long";

// HMACs data with an OpenSSL digest, independently of the code under test.
std::string raw_hmac(const EVP_MD *md, const std::string &key, const std::string &data)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	const auto *bytes = reinterpret_cast<const unsigned char *>(data.data());
	REQUIRE(HMAC(md, key.data(), int(key.size()), bytes, data.size(), mac, &len));
	return std::string(reinterpret_cast<const char *>(mac), len);
}

// Builds a token from raw header and payload bytes, signed so only the content is at fault.
std::string make_token(const std::string &header, const std::string &payload,
                       const std::string &secret = kSecret, const EVP_MD *md = EVP_sha256())
{
	std::string input = base64url_encode(header) + "." + base64url_encode(payload);
	return input + "." + base64url_encode(raw_hmac(md, secret, input));
}

// Signs already-encoded segments as they are, even when they are not valid base64url.
std::string sign_segments(const std::string &input, const std::string &secret = kSecret)
{
	return input + "." + base64url_encode(raw_hmac(EVP_sha256(), secret, input));
}

const std::string kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

// Verifies a token that must be refused and returns why.
JwtError refusal(const std::string &token, std::int64_t now = 1700000000,
                 const std::string &secret = kSecret, int leeway = 30)
{
	JwtVerifier v(secret, leeway);
	JwtError err = JwtError::Malformed;
	auto r = v.verify(token, now, err);
	CHECK_FALSE(r.has_value());
	return err;
}

// Verifies a token that must be accepted and returns its claims.
json accepted(const std::string &token, std::int64_t now = 1700000000,
              const std::string &secret = kSecret, int leeway = 30)
{
	JwtVerifier v(secret, leeway);
	JwtError err = JwtError::Malformed;
	auto r = v.verify(token, now, err);
	INFO("refused with: " << jwt_error_message(err));
	REQUIRE(r.has_value());
	return r->claims;
}

// Replaces the character at i with a different base64url character.
std::string flip_char(std::string s, std::size_t i)
{
	s[i] = s[i] == 'A' ? 'B' : 'A';
	return s;
}

} // namespace

// ---- base64url ------------------------------------------------------------------------------

TEST_CASE("base64url encodes the RFC 4648 §10 vectors without padding", "[base64url]")
{
	CHECK(base64url_encode("") == "");
	CHECK(base64url_encode("f") == "Zg");
	CHECK(base64url_encode("fo") == "Zm8");
	CHECK(base64url_encode("foo") == "Zm9v");
	CHECK(base64url_encode("foob") == "Zm9vYg");
	CHECK(base64url_encode("fooba") == "Zm9vYmE");
	CHECK(base64url_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64url decodes the RFC 4648 §10 vectors, padded or not", "[base64url]")
{
	const std::pair<const char *, const char *> vectors[] = {
	    {"", ""},
	    {"Zg", "f"},
	    {"Zg==", "f"},
	    {"Zm8", "fo"},
	    {"Zm8=", "fo"},
	    {"Zm9v", "foo"},
	    {"Zm9vYg", "foob"},
	    {"Zm9vYg==", "foob"},
	    {"Zm9vYmE", "fooba"},
	    {"Zm9vYmE=", "fooba"},
	    {"Zm9vYmFy", "foobar"},
	};
	for (const auto &[text, bytes] : vectors) {
		std::string out;
		INFO(text);
		REQUIRE(base64url_decode(text, out));
		CHECK(out == bytes);
	}
}

TEST_CASE("base64url uses - and _ and refuses the standard alphabet's + and /", "[base64url]")
{
	CHECK(base64url_encode("\xfb\xff") == "-_8");
	std::string out;
	REQUIRE(base64url_decode("-_8", out));
	CHECK(out == "\xfb\xff");
	CHECK_FALSE(base64url_decode("+/8", out));
	CHECK_FALSE(base64url_decode("+_8", out));
}

TEST_CASE("base64url refuses bad lengths, padding, characters and unused bits", "[base64url]")
{
	const char *bad[] = {
	    "Z",           // remainder 1 can encode no whole byte
	    "Zm9vY",       // same, after a full quantum
	    "Zg=",         // padding that does not complete the quantum
	    "Zg===",       // too much padding
	    "Zm8==",       // two '=' after three characters
	    "=",           // padding alone
	    "====",        // padding alone, full quantum
	    "Zg==Zg==",    // padding in the middle
	    "Zm9v=",       // padding after a complete quantum
	    "Zh",          // "f" with non-zero unused bits
	    "Zm9=",        // "fo" with non-zero unused bits
	    "Zm 9v",       // blank
	    "Zm9v\n",      // newline
	    "Zm.v",        // the JWS separator
	    "Zm9\xc3\xa9", // non-ASCII
	};
	for (const char *text : bad) {
		std::string out;
		INFO(text);
		CHECK_FALSE(base64url_decode(text, out));
	}
	std::string out;
	CHECK_FALSE(base64url_decode(std::string_view("Zm\0v", 4), out));
}

TEST_CASE("every byte value round-trips through base64url at every length", "[base64url]")
{
	std::string bytes;
	for (int i = 0; i < 256; i++)
		bytes.push_back(char(i));
	for (std::size_t len = 0; len <= bytes.size(); len++) {
		std::string in = bytes.substr(bytes.size() - len), out;
		std::string text = base64url_encode(in);
		CHECK(text.size() % 4 != 1);
		CHECK(text.find('=') == std::string::npos);
		REQUIRE(base64url_decode(text, out));
		CHECK(out == in);
	}
}

// ---- known-good tokens ----------------------------------------------------------------------

TEST_CASE("the RFC 7515 A.1 HS256 example verifies", "[jwt]")
{
	std::string key;
	REQUIRE(base64url_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4h"
	                         "cgUuTwjAzZr1Z9CAow",
	                         key));
	const std::string token =
	    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
	    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
	    "cnVlfQ."
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	JwtVerifier v(key);
	JwtError err = JwtError::Malformed;
	auto r = v.verify(token, 1300819370, err);
	REQUIRE(r.has_value());
	CHECK(r->header == json({{"typ", "JWT"}, {"alg", "HS256"}}));
	CHECK(r->claims ==
	      json({{"iss", "joe"}, {"exp", 1300819380}, {"http://example.com/is_root", true}}));

	// Its exp lies in 2011: today it is expired.
	CHECK_FALSE(v.verify(token, std::int64_t(std::time(nullptr)), err).has_value());
	CHECK(err == JwtError::Expired);
}

// Made outside C++ with Node 20: crypto.createHmac(h, kSecret) over base64url(JSON.stringify
// ({alg, typ: 'JWT'})) + '.' + base64url(JSON.stringify(claims)); iat 1700000000, exp 1700003600.
const char *const kNodeHs256 =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImF1dGhlbnRpY2F0ZWQiLCJzdWIiOiIwYjllNWY0Yy0zYTFlLTRj"
    "NTctOWQwYS0yZjFjOGU3YjZhNTUiLCJlbWFpbCI6ImFuYUBleGFtcGxlLmNvbSIsImlhdCI6MTcwMDAwMDAwMCwiZXhw"
    "IjoxNzAwMDAzNjAwfQ."
    "0c2SpsBCwY36nfdOm-it89lsemn5pU9Cx-J_5I_KE68";
const char *const kNodeHs384 =
    "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImF1dGhlbnRpY2F0ZWQiLCJzdWIiOiIwYjllNWY0Yy0zYTFlLTRj"
    "NTctOWQwYS0yZjFjOGU3YjZhNTUiLCJlbWFpbCI6ImFuYUBleGFtcGxlLmNvbSIsImlhdCI6MTcwMDAwMDAwMCwiZXhw"
    "IjoxNzAwMDAzNjAwfQ."
    "FpbNfscfCL1_REFN-GtIe2rUVO-1nNXMHvyrfyF7FiEggUGAY2Aste8MxvMvjbja";
const char *const kNodeHs512 =
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImF1dGhlbnRpY2F0ZWQiLCJzdWIiOiIwYjllNWY0Yy0zYTFlLTRj"
    "NTctOWQwYS0yZjFjOGU3YjZhNTUiLCJlbWFpbCI6ImFuYUBleGFtcGxlLmNvbSIsImlhdCI6MTcwMDAwMDAwMCwiZXhw"
    "IjoxNzAwMDAzNjAwfQ."
    "sUgTjelte8tjERTu-1MhwdHSqXq32r1SqZDneqKnYnDHYrTvZ1oaSeyuY_3pq0ZJm08Akk3r0H4S2yUT1eDP0A";

TEST_CASE("HS256, HS384 and HS512 tokens made by Node verify", "[jwt]")
{
	for (const char *token : {kNodeHs256, kNodeHs384, kNodeHs512}) {
		INFO(token);
		json claims = accepted(token, 1700000100);
		CHECK(claims.at("role") == "authenticated");
		CHECK(claims.at("sub") == "0b9e5f4c-3a1e-4c57-9d0a-2f1c8e7b6a55");
		CHECK(claims.at("email") == "ana@example.com");
		CHECK(refusal(token, 1700000100, "another-secret-of-at-least-32-characters") ==
		      JwtError::BadSignature);
		CHECK(refusal(token, 1700003600 + 31) == JwtError::Expired);
	}
}

TEST_CASE("HS384 and HS512 tokens built with OpenSSL verify", "[jwt]")
{
	const std::string payload = R"({"role":"service_role","exp":1700003600})";
	CHECK(accepted(make_token(R"({"alg":"HS384"})", payload, kSecret, EVP_sha384())).at("role") ==
	      "service_role");
	CHECK(accepted(make_token(R"({"alg":"HS512"})", payload, kSecret, EVP_sha512())).at("role") ==
	      "service_role");
	// The digest must match the header: an HS512 MAC under an HS384 header is refused.
	CHECK(refusal(make_token(R"({"alg":"HS384"})", payload, kSecret, EVP_sha512())) ==
	      JwtError::BadSignature);
}

TEST_CASE("a token from sign_hs256 round-trips", "[jwt]")
{
	json claims = {{"role", "authenticated"},
	               {"sub", "u1"},
	               {"exp", 1700003600},
	               {"app_metadata", {{"provider", "email"}}},
	               {"name", "Zoë"}};
	std::string token = sign_hs256(claims, kSecret);
	CHECK(token.find('=') == std::string::npos);
	JwtVerifier v(kSecret);
	JwtError err = JwtError::Malformed;
	auto r = v.verify(token, 1700000000, err);
	REQUIRE(r.has_value());
	CHECK(r->claims == claims);
	CHECK(r->header == json({{"alg", "HS256"}, {"typ", "JWT"}}));
	// The same signer, checked by independent HMAC code.
	CHECK(token == make_token(kHs256Header, claims.dump()));
}

// ---- signatures -----------------------------------------------------------------------------

TEST_CASE("tampered, truncated or foreign signatures are refused", "[jwt]")
{
	std::string token = sign_hs256({{"role", "authenticated"}, {"exp", 1700003600}}, kSecret);
	std::size_t d1 = token.find('.'), d2 = token.rfind('.');

	SECTION("tampered payload")
	{
		CHECK(refusal(flip_char(token, d1 + 5)) == JwtError::BadSignature);
		// A payload swapped in whole from another validly encoded token.
		std::string other = sign_hs256({{"role", "service_role"}, {"exp", 1700003600}}, "x");
		std::size_t o1 = other.find('.'), o2 = other.rfind('.');
		std::string forged = token.substr(0, d1) + other.substr(o1, o2 - o1) + token.substr(d2);
		CHECK(refusal(forged) == JwtError::BadSignature);
	}
	SECTION("tampered header")
	{
		std::string forged = base64url_encode(R"({"alg":"HS256" ,"typ":"JWT"})") + token.substr(d1);
		CHECK(refusal(forged) == JwtError::BadSignature);
	}
	SECTION("tampered signature")
	{
		CHECK(refusal(flip_char(token, d2 + 3)) == JwtError::BadSignature);
	}
	SECTION("truncated or extended signature")
	{
		std::string sig;
		REQUIRE(base64url_decode(token.substr(d2 + 1), sig));
		std::string head = token.substr(0, d2 + 1);
		CHECK(refusal(head + base64url_encode(sig.substr(0, 16))) == JwtError::BadSignature);
		CHECK(refusal(head + base64url_encode(sig.substr(0, 31))) == JwtError::BadSignature);
		CHECK(refusal(head + base64url_encode(sig + "x")) == JwtError::BadSignature);
		CHECK(refusal(head) == JwtError::BadSignature);
	}
	SECTION("wrong secret")
	{
		CHECK(refusal(token, 1700000000, kSecret + "x") == JwtError::BadSignature);
		CHECK(refusal(token, 1700000000, kSecret.substr(1)) == JwtError::BadSignature);
	}
	SECTION("no secret configured")
	{
		CHECK(refusal(token, 1700000000, "") == JwtError::NoKey);
	}
}

// ---- algorithms -----------------------------------------------------------------------------

TEST_CASE("alg none is refused with or without a signature", "[jwt]")
{
	const std::string payload = R"({"role":"service_role"})";
	std::string unsigned_token =
	    base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + base64url_encode(payload) + ".";
	CHECK(refusal(unsigned_token) == JwtError::UnsupportedAlg);
	std::string none_signed = make_token(R"({"alg":"none","typ":"JWT"})", payload);
	CHECK(refusal(none_signed) == JwtError::UnsupportedAlg);
	for (const char *alg : {"None", "NONE", "hs256", "HS256 ", "", "HS1", "HS"}) {
		INFO(alg);
		std::string token = make_token(json({{"alg", alg}}).dump(), payload);
		CHECK(refusal(token) == JwtError::UnsupportedAlg);
	}
	CHECK(refusal(make_token(std::string(R"({"alg":"HS256\u0000"})"), payload)) ==
	      JwtError::UnsupportedAlg);
}

TEST_CASE("asymmetric headers over an HMAC of the secret are refused (alg confusion)", "[jwt]")
{
	const std::string payload = R"({"role":"service_role"})";
	// Supported algs, but only ever checked with a JWKS key, and none is set: NoKey (see
	// test_jwks.cpp for the same tokens with a JWKS, BadSignature).
	for (const char *alg : {"RS256", "ES256", "PS256", "EdDSA"}) {
		INFO(alg);
		std::string token = make_token(json({{"alg", alg}, {"typ", "JWT"}}).dump(), payload);
		CHECK(refusal(token) == JwtError::NoKey);
	}
	for (const char *alg :
	     {"RS384", "RS512", "PS384", "ES384", "ES512", "Ed25519", "ES256K", "rs256", "EDDSA"}) {
		INFO(alg);
		std::string token = make_token(json({{"alg", alg}, {"typ", "JWT"}}).dump(), payload);
		CHECK(refusal(token) == JwtError::UnsupportedAlg);
	}
}

TEST_CASE("alg_uses_key_type names the key type of each asymmetric alg", "[jwt]")
{
	CHECK(alg_uses_key_type("RS256", JwkType::Rsa));
	CHECK(alg_uses_key_type("PS256", JwkType::Rsa));
	CHECK(alg_uses_key_type("ES256", JwkType::EcP256));
	CHECK(alg_uses_key_type("EdDSA", JwkType::Ed25519));
	CHECK_FALSE(alg_uses_key_type("ES256", JwkType::Rsa));
	CHECK_FALSE(alg_uses_key_type("RS256", JwkType::EcP256));
	CHECK_FALSE(alg_uses_key_type("EdDSA", JwkType::EcP256));
	for (JwkType t : {JwkType::Rsa, JwkType::EcP256, JwkType::Ed25519})
		for (const char *alg : {"HS256", "HS384", "HS512", "none", "", "RS384", "Ed25519"})
			CHECK_FALSE(alg_uses_key_type(alg, t));
}

TEST_CASE("the header must be an object with a string alg, typ JWT and no crit", "[jwt]")
{
	const std::string payload = R"({"role":"anon"})";
	CHECK(refusal(make_token(R"({"typ":"JWT"})", payload)) == JwtError::Malformed);
	CHECK(refusal(make_token(R"({"alg":256})", payload)) == JwtError::Malformed);
	CHECK(refusal(make_token(R"(["HS256"])", payload)) == JwtError::Malformed);
	CHECK(refusal(make_token(R"("HS256")", payload)) == JwtError::Malformed);
	CHECK(refusal(make_token(R"({"alg":"HS256","typ":"at+jwt"})", payload)) == JwtError::Malformed);
	CHECK(refusal(make_token(R"({"alg":"HS256","typ":1})", payload)) == JwtError::Malformed);
	CHECK(refusal(make_token(R"({"alg":"HS256","crit":["b64"],"b64":false})", payload)) ==
	      JwtError::Malformed);
	CHECK(accepted(make_token(R"({"alg":"HS256","typ":"jwt"})", payload)).at("role") == "anon");
	CHECK(accepted(make_token(R"({"alg":"HS256","kid":"k1"})", payload)).at("role") == "anon");
	CHECK(refusal(make_token(R"({"alg":"HS256","kid":1})", payload)) == JwtError::Malformed);
	CHECK(refusal(make_token(R"({"alg":"HS256","kid":null})", payload)) == JwtError::Malformed);
}

// ---- audience -------------------------------------------------------------------------------

TEST_CASE("a set audience must be the aud string or in the aud array", "[jwt]")
{
	JwtVerifier v(kSecret);
	CHECK(v.audience().empty());
	JwtError err = JwtError::Malformed;
	// Unset: aud is not looked at, whatever it holds.
	for (const json &aud : {json("anything"), json(42), json::array()})
		CHECK(v.verify(sign_hs256({{"aud", aud}}, kSecret), 1700000000, err).has_value());
	CHECK(v.verify(sign_hs256({{"role", "anon"}}, kSecret), 1700000000, err).has_value());

	v.set_audience("authenticated");
	const json good[] = {json("authenticated"), json::array({"authenticated"}),
	                     json::array({"other", "authenticated"}),
	                     json::array({1, nullptr, "authenticated"})};
	for (const json &aud : good) {
		INFO(aud.dump());
		CHECK(v.verify(sign_hs256({{"aud", aud}}, kSecret), 1700000000, err).has_value());
	}
	const json bad[] = {json("anon"),
	                    json("Authenticated"),
	                    json("authenticated "),
	                    json(""),
	                    json::array(),
	                    json::array({"anon"}),
	                    json::array({json::array({"authenticated"})}),
	                    json({{"authenticated", true}}),
	                    json(nullptr),
	                    json(1),
	                    json(true)};
	for (const json &aud : bad) {
		INFO(aud.dump());
		err = JwtError::Malformed;
		CHECK_FALSE(v.verify(sign_hs256({{"aud", aud}}, kSecret), 1700000000, err).has_value());
		CHECK(err == JwtError::BadAudience);
	}
	err = JwtError::Malformed;
	CHECK_FALSE(v.verify(sign_hs256({{"role", "anon"}}, kSecret), 1700000000, err).has_value());
	CHECK(err == JwtError::BadAudience);
	// Time claims are judged first: an expired token with the wrong audience is Expired.
	CHECK_FALSE(
	    v.verify(sign_hs256({{"aud", "anon"}, {"exp", 1}}, kSecret), 1700000000, err).has_value());
	CHECK(err == JwtError::Expired);
	// Copies keep the audience; an empty one switches the check off again.
	JwtVerifier copy = v;
	CHECK(copy.audience() == "authenticated");
	copy.set_audience("");
	CHECK(copy.verify(sign_hs256({{"aud", "anon"}}, kSecret), 1700000000, err).has_value());
}

// ---- time claims ----------------------------------------------------------------------------

TEST_CASE("exp is enforced with leeway", "[jwt]")
{
	const std::int64_t exp = 1700003600;
	std::string token = sign_hs256({{"exp", exp}}, kSecret);
	accepted(token, exp - 1);
	accepted(token, exp);      // within the 30 s leeway
	accepted(token, exp + 29); // still within it
	CHECK(refusal(token, exp + 30) == JwtError::Expired);
	CHECK(refusal(token, exp + 3600) == JwtError::Expired);
	// Without leeway the boundary is exp itself.
	accepted(token, exp - 1, kSecret, 0);
	CHECK(refusal(token, exp, kSecret, 0) == JwtError::Expired);
	// A negative leeway counts as none rather than shortening the token's life.
	CHECK(JwtVerifier(kSecret, -100).leeway_seconds() == 0);
	accepted(token, exp - 1, kSecret, -100);
}

TEST_CASE("nbf is enforced with leeway", "[jwt]")
{
	const std::int64_t now = 1700000000;
	CHECK(refusal(sign_hs256({{"nbf", now + 60}}, kSecret), now) == JwtError::NotYetValid);
	CHECK(refusal(sign_hs256({{"nbf", now + 31}}, kSecret), now) == JwtError::NotYetValid);
	accepted(sign_hs256({{"nbf", now + 30}}, kSecret), now);
	accepted(sign_hs256({{"nbf", now}}, kSecret), now);
	accepted(sign_hs256({{"nbf", now - 3600}}, kSecret), now);
	std::string soon = sign_hs256({{"nbf", now + 1}}, kSecret);
	CHECK(refusal(soon, now, kSecret, 0) == JwtError::NotYetValid);
}

TEST_CASE("time claims must be finite numbers; iat is not checked", "[jwt]")
{
	const std::int64_t now = 1700000000;
	// Documented choice: a time claim of the wrong JSON type is Malformed, not BadJson.
	CHECK(refusal(sign_hs256({{"exp", "1700003600"}}, kSecret), now) == JwtError::Malformed);
	CHECK(refusal(sign_hs256({{"exp", true}}, kSecret), now) == JwtError::Malformed);
	CHECK(refusal(sign_hs256({{"exp", nullptr}}, kSecret), now) == JwtError::Malformed);
	CHECK(refusal(sign_hs256({{"nbf", json::array({now})}}, kSecret), now) == JwtError::Malformed);
	// nlohmann refuses a number out of double range while parsing, hence BadJson.
	CHECK(refusal(make_token(kHs256Header, R"({"exp":1e999})"), now) == JwtError::BadJson);
	// Fractional NumericDates are legal (RFC 7519 §2).
	accepted(sign_hs256({{"exp", 1700003600.5}}, kSecret), now);
	CHECK(refusal(sign_hs256({{"exp", 1699999969.5}}, kSecret), now) == JwtError::Expired);
	// Huge and negative values do not overflow.
	accepted(make_token(kHs256Header, R"({"exp":18446744073709551615})"), now);
	accepted(make_token(kHs256Header, R"({"exp":9223372036854775807})"), now);
	CHECK(refusal(make_token(kHs256Header, R"({"exp":-9223372036854775808})"), now) ==
	      JwtError::Expired);
	CHECK(refusal(make_token(kHs256Header, R"({"nbf":1e300})"), now) == JwtError::NotYetValid);
	accepted(sign_hs256({{"iat", now + 86400}}, kSecret), now);
	accepted(sign_hs256({{"iat", "whenever"}}, kSecret), now);
}

// ---- structure and encoding -----------------------------------------------------------------

TEST_CASE("a token must have exactly three segments", "[jwt]")
{
	std::string token = sign_hs256({{"role", "anon"}}, kSecret);
	std::size_t d2 = token.rfind('.');
	CHECK(refusal(token.substr(0, d2)) == JwtError::Malformed);
	CHECK(refusal(token + ".") == JwtError::Malformed);
	CHECK(refusal(token + "." + token.substr(d2 + 1)) == JwtError::Malformed);
	CHECK(refusal("") == JwtError::Malformed);
	CHECK(refusal("abc") == JwtError::Malformed);
	CHECK(refusal("..") == JwtError::Malformed);
	CHECK(refusal("." + token.substr(token.find('.') + 1)) == JwtError::Malformed);
}

TEST_CASE("characters outside base64url, and padding, are refused", "[jwt]")
{
	std::string token = sign_hs256({{"role", "anon"}}, kSecret);
	std::size_t d1 = token.find('.');
	std::string h = token.substr(0, d1);
	std::string b = token.substr(d1 + 1, token.rfind('.') - d1 - 1);
	CHECK(refusal("+" + token.substr(1)) == JwtError::BadBase64);
	CHECK(refusal(token.substr(0, d1 + 3) + "/" + token.substr(d1 + 4)) == JwtError::BadBase64);
	CHECK(refusal(token + "*") == JwtError::BadBase64);
	CHECK(refusal(" " + token) == JwtError::BadBase64);
	// Signed over the bad text itself, so only the encoding is at fault.
	std::string bang = sign_segments(h + "." + b.substr(0, 4) + "!" + b.substr(5));
	CHECK(refusal(bang) == JwtError::BadBase64);
	CHECK(refusal(sign_segments(h + "." + b + "\xc3\xa9")) == JwtError::BadBase64);
	// Standard-base64 padding, even when correct, is not JWS.
	std::string padded = base64url_encode(R"({"alg":"HS256" })");
	REQUIRE(padded.size() % 4 == 2);
	padded += "==";
	std::string out;
	REQUIRE(base64url_decode(padded, out));
	CHECK(refusal(sign_segments(padded + "." + b)) == JwtError::BadBase64);
	// A respelled signature (same bytes, non-zero unused bits in the last character) is refused.
	const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	std::string respelled = token;
	respelled.back() = alphabet[alphabet.find(token.back()) | 1];
	CHECK(refusal(respelled) == JwtError::BadBase64);
}

TEST_CASE("a payload that is JSON but not an object is Malformed", "[jwt]")
{
	CHECK(refusal(make_token(kHs256Header, R"([{"role":"service_role"}])")) == JwtError::Malformed);
	CHECK(refusal(make_token(kHs256Header, R"("service_role")")) == JwtError::Malformed);
	CHECK(refusal(make_token(kHs256Header, "42")) == JwtError::Malformed);
	CHECK(refusal(make_token(kHs256Header, "null")) == JwtError::Malformed);
}

TEST_CASE("a payload or header that is not JSON is BadJson", "[jwt]")
{
	CHECK(refusal(make_token(kHs256Header, "{\"sub\":\"\xff\"}")) == JwtError::BadJson);
	CHECK(refusal(make_token(kHs256Header, "{\"sub\":\"\xc0\xaf\"}")) == JwtError::BadJson);
	CHECK(refusal(make_token(kHs256Header, "{\"sub\":\"\xed\xa0\x80\"}")) == JwtError::BadJson);
	CHECK(refusal(make_token(kHs256Header, R"({"role":)")) == JwtError::BadJson);
	CHECK(refusal(make_token(kHs256Header, R"({"role":"anon"} x)")) == JwtError::BadJson);
	CHECK(refusal(make_token(kHs256Header, std::string("{}\0", 3))) == JwtError::BadJson);
	std::string after_nul("{}\0{\"role\":1", 12);
	CHECK(refusal(make_token(kHs256Header, after_nul)) == JwtError::BadJson);
	CHECK(refusal(make_token(kHs256Header, std::string("{\"a\":\"\0\"}", 9))) == JwtError::BadJson);
	CHECK(refusal(make_token(kHs256Header, "")) == JwtError::Malformed); // empty segment
	CHECK(refusal(make_token("{\"alg\":\"HS256\"", "{}")) == JwtError::BadJson);
	CHECK(refusal(make_token("\xff", "{}")) == JwtError::BadJson);
}

TEST_CASE("duplicate member names and deep nesting are BadJson", "[jwt]")
{
	CHECK(refusal(make_token(kHs256Header, R"({"role":"anon","role":"service_role"})")) ==
	      JwtError::BadJson);
	CHECK(refusal(make_token(kHs256Header, R"({"a":{"x":1,"x":2}})")) == JwtError::BadJson);
	CHECK(refusal(make_token(R"({"alg":"none","alg":"HS256"})", "{}")) == JwtError::BadJson);
	// The same name in sibling or nested objects is fine.
	accepted(make_token(kHs256Header, R"({"a":{"x":1},"b":{"x":2},"x":[{"x":3},{"x":4}]})"));
	std::string deep = std::string(64 - 1, '[') + std::string(64 - 1, ']');
	accepted(make_token(kHs256Header, R"({"d":)" + deep + "}"));
	std::string deeper = std::string(64, '[') + std::string(64, ']');
	CHECK(refusal(make_token(kHs256Header, R"({"d":)" + deeper + "}")) == JwtError::BadJson);
}

TEST_CASE("tokens over 16 KiB are refused before decoding", "[jwt]")
{
	std::string big = sign_hs256({{"pad", std::string(17 * 1024, 'x')}}, kSecret);
	REQUIRE(big.size() > kMaxJwtBytes);
	CHECK(refusal(big) == JwtError::TooLarge);
	CHECK(refusal(std::string(17 * 1024, '.')) == JwtError::TooLarge);
	// At the limit itself a token is judged on its merits.
	CHECK(refusal(std::string(kMaxJwtBytes, 'x')) == JwtError::Malformed);
	CHECK(refusal(std::string(kMaxJwtBytes + 1, 'x')) == JwtError::TooLarge);
	std::string near_limit;
	for (std::size_t n = kMaxJwtBytes * 3 / 4 - 100;; n++) {
		std::string t = sign_hs256({{"pad", std::string(n, 'x')}}, kSecret);
		if (t.size() > kMaxJwtBytes)
			break;
		near_limit = t;
	}
	REQUIRE(near_limit.size() + 3 >= kMaxJwtBytes);
	accepted(near_limit);
}

// ---- errors ---------------------------------------------------------------------------------

TEST_CASE("every error has a short distinct message", "[jwt]")
{
	const JwtError all[] = {JwtError::Malformed,      JwtError::BadBase64,    JwtError::BadJson,
	                        JwtError::UnsupportedAlg, JwtError::BadSignature, JwtError::Expired,
	                        JwtError::NotYetValid,    JwtError::NoKey,        JwtError::TooLarge,
	                        JwtError::UnknownKey,     JwtError::BadAudience};
	std::set<std::string> seen;
	for (JwtError e : all) {
		std::string m = jwt_error_message(e);
		CHECK_FALSE(m.empty());
		CHECK(m.size() < 60);
		seen.insert(m);
	}
	CHECK(seen.size() == std::size(all));
	CHECK(std::string(jwt_error_message(JwtError::Expired)) == "token expired");
	for (JwtError e : all)
		CHECK(needs_jwks_refresh(e) == (e == JwtError::UnknownKey));
	JwtError err = JwtError::Malformed;
	static_assert(noexcept(std::declval<const JwtVerifier &>().verify("", 0, err)),
	              "verify() must not throw");
}

TEST_CASE("the JWT and JWKS parser refuses deep documents, finds duplicates in wide ones",
          "[limits][jwt]")
{
	json out;
	CHECK_FALSE(detail::parse_json_strict(deep_array(300000), out));
	CHECK_FALSE(detail::parse_json_strict(nest(300000, "", '{', '}'), out));
	std::string wide = "{";
	for (int i = 0; i < 50000; i++)
		wide += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
	CHECK(detail::parse_json_strict(wide + "}", out));
	CHECK(out.size() == 50000);
	CHECK_FALSE(detail::parse_json_strict(wide + ",\"k7\":2}", out));
}
