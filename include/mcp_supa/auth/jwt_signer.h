// Minting short-lived HS256 tokens for a caller who has no JWT of its own (an API key), so an
// upstream that decides by JWT (Supabase Storage) sees exactly that caller's role and claims.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mcp_supa/auth/principal.h"

namespace mcp_supa::auth
{

// How long a minted token is valid.
constexpr int64_t kMintedTokenSeconds = 60;

// A token for principal signed with secret: its claims, "role" set to its role, "iat" now,
// "exp" now + kMintedTokenSeconds, "iss" "mcp_supa". The caller checks the secret is set.
std::string mint_call_token(const Principal &principal, std::string_view secret, int64_t now_unix);

} // namespace mcp_supa::auth
