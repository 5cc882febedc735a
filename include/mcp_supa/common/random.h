// Cryptographically random identifiers (session ids, untrusted-data boundary tags).
#pragma once

#include <string>

namespace mcp_supa::common
{

// Returns 2*bytes lowercase hex characters from OpenSSL's CSPRNG; throws if it fails.
std::string random_hex(std::size_t bytes);

} // namespace mcp_supa::common
