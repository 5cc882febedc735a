// Standard base64 (include/mcp_supa/common/base64.h).
#include "mcp_supa/common/base64.h"

#include <cstdint>

namespace mcp_supa::common
{

namespace
{

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of an alphabet character; -1 for anything else.
int sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

} // namespace

std::string base64_encode(std::string_view bytes)
{
	std::string out;
	out.reserve((bytes.size() + 2) / 3 * 4);
	std::size_t i = 0;
	for (; i + 3 <= bytes.size(); i += 3) {
		uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 |
		             uint8_t(bytes[i + 2]);
		out += kAlphabet[v >> 18];
		out += kAlphabet[(v >> 12) & 63];
		out += kAlphabet[(v >> 6) & 63];
		out += kAlphabet[v & 63];
	}
	std::size_t rest = bytes.size() - i;
	if (rest > 0) {
		uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
		if (rest == 2)
			v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
		out += kAlphabet[v >> 18];
		out += kAlphabet[(v >> 12) & 63];
		out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
		out += '=';
	}
	return out;
}

bool base64_decode(std::string_view text, std::string &out)
{
	out.clear();
	return base64_decode_append(text, out);
}

bool base64_decode_append(std::string_view text, std::string &out)
{
	out.reserve(out.size() + text.size() / 4 * 3);
	uint32_t acc = 0;
	int bits = 0;
	std::size_t padding = 0, digits = 0;
	for (char ch : text) {
		auto c = static_cast<unsigned char>(ch);
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			padding++;
			continue;
		}
		int v = sextet(c);
		if (v < 0 || padding > 0) // nothing but padding after padding
			return false;
		digits++;
		acc = (acc << 6) | uint32_t(v);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out += char((acc >> bits) & 0xff);
		}
	}
	if (digits % 4 == 1 || padding > 2 || (padding > 0 && (digits + padding) % 4 != 0))
		return false;
	return true;
}

} // namespace mcp_supa::common
