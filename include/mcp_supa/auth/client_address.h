// The client address of a request: the peer's, or, when the peer is a trusted reverse proxy
// (mcp_supa.trusted_proxies), the rightmost untrusted hop of X-Forwarded-For / Forwarded.
// Pure C++.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace mcp_supa::auth
{

// One address range: an IPv4 or IPv6 network and its prefix length.
struct AddressRange {
	bool v6 = false;
	std::array<unsigned char, 16> bytes{};
	int prefix = 0;
};

// Parses a comma- or blank-separated list of addresses and CIDR ranges (IPv4 or IPv6); throws
// std::invalid_argument naming the bad entry. "" is the empty list.
std::vector<AddressRange> parse_address_ranges(std::string_view list);

// True when address (an IP in text, "::ffff:a.b.c.d" counts as a.b.c.d) lies in one range.
bool address_in(const std::vector<AddressRange> &ranges, std::string_view address);

// A forwarded hop as a plain IP: quotes, [brackets] and a :port removed, "::ffff:" mapping
// undone; "" when it is not an IP address (unknown, obfuscated, garbage).
std::string normalize_hop(std::string_view hop);

// The hops a Forwarded header (RFC 7239) lists, in order, from its for= parameters.
std::vector<std::string> forwarded_for_hops(std::string_view forwarded);

// The client address: the peer itself unless it is trusted; then the rightmost hop that is
// not trusted, from Forwarded when present, else X-Forwarded-For. A hop that is not an IP
// ends the walk at the last trusted hop.
std::string client_address(const std::string &peer, std::string_view x_forwarded_for,
                           std::string_view forwarded, const std::vector<AddressRange> &trusted);

} // namespace mcp_supa::auth
