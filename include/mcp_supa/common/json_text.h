// JSON text written by hand on the hot paths (a result per call, an audit record per call),
// where building and dumping a JSON tree cost more than the work it describes.
#pragma once

#include <string>
#include <string_view>

namespace mcp_supa::common
{

// True when s is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s);

// Appends s as a quoted JSON string. s must be valid UTF-8 (check with valid_utf8): only '"',
// '\' and control characters are escaped, everything else is copied as it is.
void append_json_string(std::string &out, std::string_view s);

} // namespace mcp_supa::common
