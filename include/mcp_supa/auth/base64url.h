// base64url (RFC 4648 §5), the encoding of every JWS segment.
#pragma once

#include <string>
#include <string_view>

namespace mcp_supa::auth
{

// Encodes bytes as base64url without '=' padding, as JWS requires (RFC 7515 §2).
std::string base64url_encode(std::string_view bytes);

// Decodes base64url into out; false on a character outside the alphabet, a length whose
// remainder mod 4 is 1, wrong '=' padding (padding itself is optional), or non-zero unused
// bits in the last character (so every byte string has exactly one accepted encoding).
// out is unspecified when false is returned.
bool base64url_decode(std::string_view text, std::string &out);

} // namespace mcp_supa::auth
