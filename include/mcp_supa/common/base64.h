// Standard base64 (RFC 4648 §4, with padding): how MCP carries binary content (image data,
// blob resources) and how the Storage tools take binary uploads.
#pragma once

#include <string>
#include <string_view>

namespace mcp_supa::common
{

// Encodes bytes as padded base64.
std::string base64_encode(std::string_view bytes);
// Decodes padded or unpadded base64 into out (blanks and newlines are skipped); false on any
// other character outside the alphabet or a length that cannot be base64.
bool base64_decode(std::string_view text, std::string &out);
// The same, appending the bytes to out (out keeps what it held; on false its tail is junk).
bool base64_decode_append(std::string_view text, std::string &out);

} // namespace mcp_supa::common
