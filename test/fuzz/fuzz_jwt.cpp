// libFuzzer target: JWT and JWKS parsing. The input is split at its first newline into a JOSE
// header and a claims set, which the harness signs with the authenticator's HS256 secret so
// that claim checks are reached; the raw input is also tried as a token and as a JWKS document.
#include <cstddef>
#include <cstdint>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string>
#include <string_view>

#include "mcp_supa/auth/authenticator.h"
#include "mcp_supa/auth/base64url.h"
#include "mcp_supa/auth/jwks.h"

using namespace mcp_supa;

namespace
{

const char kSecret[] = "fuzz-secret-fuzz-secret-fuzz-secret-32";

// base64url(header).base64url(claims).base64url(HMAC-SHA256 of the two).
std::string signed_token(std::string_view header, std::string_view claims)
{
	std::string input = auth::base64url_encode(header) + "." + auth::base64url_encode(claims);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	HMAC(EVP_sha256(), kSecret, int(sizeof(kSecret) - 1),
	     reinterpret_cast<const unsigned char *>(input.data()), input.size(), mac, &len);
	return input + "." +
	       auth::base64url_encode(std::string_view(reinterpret_cast<const char *>(mac), len));
}

// The authenticator every input goes to.
const auth::Authenticator &authenticator()
{
	static const auth::Authenticator a = [] {
		auth::AuthSettings settings;
		settings.jwt_secret = kSecret;
		settings.jwt_audience = "authenticated";
		settings.allowed_roles = {"anon", "authenticated", "service_role"};
		return auth::Authenticator(settings);
	}();
	return a;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	auto nl = text.find('\n');
	std::string_view header =
	    nl == std::string_view::npos ? R"({"alg":"HS256","typ":"JWT"})" : text.substr(0, nl);
	std::string_view claims = nl == std::string_view::npos ? text : text.substr(nl + 1);
	auto r = authenticator().authenticate(signed_token(header, claims), 1700000000);
	if (r.ok)
		(void)r.principal.claims.dump();
	(void)authenticator().authenticate(std::string(text), 1700000000);
	std::string why;
	(void)auth::Jwks::parse(text, why);
	return 0;
}
