// Small text helpers every layer needs: trimming, comma lists, hex.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mcp_supa::common
{

// s without the ASCII white space (space, tab, CR, LF, FF, VT) at either end.
std::string_view trim(std::string_view s);

// The items of a sep-separated list, each trimmed, empty ones dropped.
std::vector<std::string> split_list(std::string_view s, char sep = ',');

// The items of a sep-separated list exactly as they are: untrimmed, empty ones kept.
std::vector<std::string_view> split_raw(std::string_view s, char sep = ',');

// s with ASCII letters lowercased (header values, host names); other bytes as they are.
std::string ascii_lower(std::string_view s);

// Lowercase hex of n bytes.
std::string hex_encode(const void *data, std::size_t n);

} // namespace mcp_supa::common
