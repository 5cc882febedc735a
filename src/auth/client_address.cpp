// The client address behind trusted reverse proxies (see include/mcp_supa/client_address.h).
#include "mcp_supa/auth/client_address.h"
#include "mcp_supa/common/text.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace mcp_supa::auth
{

namespace
{

// Parses a plain IP into range form (prefix = full length); false when it is not one.
bool parse_ip(std::string_view text, AddressRange &out)
{
	std::string s(text);
	if (s.rfind("::ffff:", 0) == 0 && s.find('.') != std::string::npos)
		s = s.substr(7);
	out = AddressRange{};
	if (inet_pton(AF_INET, s.c_str(), out.bytes.data()) == 1) {
		out.prefix = 32;
		return true;
	}
	if (inet_pton(AF_INET6, s.c_str(), out.bytes.data()) == 1) {
		out.v6 = true;
		out.prefix = 128;
		return true;
	}
	return false;
}

// True when ip lies in range (both parsed; families must match).
bool in_range(const AddressRange &range, const AddressRange &ip)
{
	if (range.v6 != ip.v6)
		return false;
	int full = range.prefix / 8, rest = range.prefix % 8;
	if (std::memcmp(range.bytes.data(), ip.bytes.data(), std::size_t(full)) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
	return (range.bytes[std::size_t(full)] & mask) == (ip.bytes[std::size_t(full)] & mask);
}

} // namespace

std::vector<AddressRange> parse_address_ranges(std::string_view list)
{
	std::vector<AddressRange> out;
	std::string text(list);
	for (auto &c : text)
		if (c == ',' || std::isspace(static_cast<unsigned char>(c)))
			c = ' ';
	std::size_t pos = 0;
	while ((pos = text.find_first_not_of(' ', pos)) != std::string::npos) {
		std::size_t end = text.find(' ', pos);
		std::string entry = text.substr(pos, end == std::string::npos ? end : end - pos);
		pos = end;
		std::string ip = entry.substr(0, entry.find('/'));
		AddressRange r;
		if (!parse_ip(ip, r))
			throw std::invalid_argument("\"" + entry + "\" is not an IP address or CIDR range");
		if (entry.find('/') != std::string::npos) {
			std::string bits = entry.substr(entry.find('/') + 1);
			int max = r.v6 ? 128 : 32;
			if (bits.empty() || bits.size() > 3 ||
			    bits.find_first_not_of("0123456789") != std::string::npos || std::stoi(bits) > max)
				throw std::invalid_argument("\"" + entry + "\" has an invalid prefix length");
			r.prefix = std::stoi(bits);
		}
		out.push_back(r);
	}
	return out;
}

bool address_in(const std::vector<AddressRange> &ranges, std::string_view address)
{
	AddressRange ip;
	if (ranges.empty() || !parse_ip(address, ip))
		return false;
	for (const auto &r : ranges)
		if (in_range(r, ip))
			return true;
	return false;
}

std::string normalize_hop(std::string_view hop)
{
	hop = common::trim(hop);
	if (hop.size() >= 2 && hop.front() == '"' && hop.back() == '"')
		hop = common::trim(hop.substr(1, hop.size() - 2));
	std::string_view ip = hop;
	if (!hop.empty() && hop.front() == '[') {
		std::size_t close = hop.find(']');
		if (close == std::string_view::npos)
			return "";
		ip = hop.substr(1, close - 1);
	} else if (std::count(hop.begin(), hop.end(), ':') == 1)
		ip = hop.substr(0, hop.find(':')); // a.b.c.d:port
	AddressRange r;
	if (!parse_ip(ip, r))
		return "";
	char buf[INET6_ADDRSTRLEN] = {0};
	inet_ntop(r.v6 ? AF_INET6 : AF_INET, r.bytes.data(), buf, sizeof(buf));
	return buf;
}

std::vector<std::string> forwarded_for_hops(std::string_view forwarded)
{
	std::vector<std::string> hops;
	for (std::string_view element : common::split_raw(forwarded)) {
		std::string value;
		std::size_t start = 0;
		while (start <= element.size()) {
			std::size_t semi = element.find(';', start);
			if (semi == std::string_view::npos)
				semi = element.size();
			std::string_view pair = common::trim(element.substr(start, semi - start));
			start = semi + 1;
			if (pair.size() > 4 && (pair[0] == 'f' || pair[0] == 'F') &&
			    (pair[1] == 'o' || pair[1] == 'O') && (pair[2] == 'r' || pair[2] == 'R') &&
			    pair[3] == '=')
				value = std::string(pair.substr(4));
		}
		hops.push_back(value);
	}
	return hops;
}

std::string client_address(const std::string &peer, std::string_view x_forwarded_for,
                           std::string_view forwarded, const std::vector<AddressRange> &trusted)
{
	if (!address_in(trusted, peer))
		return peer;
	std::vector<std::string> hops;
	if (!common::trim(forwarded).empty())
		hops = forwarded_for_hops(forwarded);
	else if (!common::trim(x_forwarded_for).empty())
		for (std::string_view h : common::split_raw(x_forwarded_for))
			hops.emplace_back(h);
	std::string last = peer; // the nearest hop known to be honest
	for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
		std::string hop = normalize_hop(*it);
		if (hop.empty())
			return last;
		if (!address_in(trusted, hop))
			return hop;
		last = hop;
	}
	return last;
}

} // namespace mcp_supa::auth
