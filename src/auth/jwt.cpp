// JWT verification (see include/mcp_supa/jwt.h).
#include "mcp_supa/jwt.h"

#include "mcp_supa/base64url.h"

#include <climits>
#include <cmath>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace mcp_supa::auth
{

namespace
{

using json = nlohmann::json;

// Deeper JSON than this is refused: real claims nest two or three levels, and later code
// that walks or dumps the claims recursively must not be handed thousands of levels.
constexpr int kMaxJsonDepth = 64;

// The kind of key an algorithm needs; RSA, EC and OKP (EdDSA) join Hmac with JWKS support.
enum class KeyFamily { Hmac };

struct AlgSpec {
	const char *name;
	KeyFamily family;
	const EVP_MD *(*digest)();
};

// The allowlist: an "alg" not listed here is refused, "none" above all.
const AlgSpec kAlgs[] = {
    {"HS256", KeyFamily::Hmac, EVP_sha256},
    {"HS384", KeyFamily::Hmac, EVP_sha384},
    {"HS512", KeyFamily::Hmac, EVP_sha512},
};

// Looks an "alg" value up in the allowlist; null when it is not there. Case-sensitive, as
// RFC 7515 §4.1.1 requires.
const AlgSpec *find_alg(const std::string &name)
{
	for (const auto &a : kAlgs)
		if (name == a.name)
			return &a;
	return nullptr;
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

// Parses untrusted JSON without exceptions, refusing duplicate member names (a second "alg"
// or "role" must not mean one thing here and another to a different parser) and deep nesting.
bool parse_strict(std::string_view text, json &out)
{
	// nlohmann's lexer takes a NUL byte for the end of input and would ignore what follows;
	// valid JSON never holds a raw NUL, so refuse it outright.
	if (text.find('\0') != std::string_view::npos)
		return false;
	std::vector<std::vector<std::string>> keys; // member names of each open object
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
				for (const auto &k : keys.back())
					if (k == parsed.get_ref<const std::string &>())
						bad = true;
				keys.back().push_back(parsed.get<std::string>());
				break;
			default:
				break;
		}
		return true;
	};
	out = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
	return !bad && !out.is_discarded();
}

// Parses a decoded segment that must be a JSON object.
bool parse_object(std::string_view text, json &out, JwtError &err)
{
	if (!parse_strict(text, out)) {
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
	}
	return "invalid token";
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

bool JwtVerifier::check_signature(const std::string &alg, std::string_view signing_input,
                                  std::string_view sig, JwtError &err) const
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
	if (!check_signature(alg, signing_input, bytes[2], err))
		return std::nullopt;
	if (!parse_object(bytes[1], out.claims, err))
		return std::nullopt;
	if (!check_times(out.claims, now_unix, leeway_, err))
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
