// Short-lived tokens for API-key callers (include/mcp_supa/auth/jwt_signer.h).
#include "mcp_supa/auth/jwt_signer.h"

#include "mcp_supa/auth/jwt.h"

namespace mcp_supa::auth
{

std::string mint_call_token(const Principal &principal, std::string_view secret, int64_t now_unix)
{
	nlohmann::json claims =
	    principal.claims.is_object() ? principal.claims : nlohmann::json::object();
	// The key's role decides, whatever its claims say.
	claims["role"] = principal.role;
	claims["iat"] = now_unix;
	claims["exp"] = now_unix + kMintedTokenSeconds;
	claims["iss"] = "mcp_supa";
	return sign_hs256(claims, secret);
}

} // namespace mcp_supa::auth
