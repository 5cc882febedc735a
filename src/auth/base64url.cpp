// base64url codec (see include/mcp_supa/base64url.h).
#include "mcp_supa/auth/base64url.h"

#include <array>
#include <cstdint>

namespace mcp_supa::auth
{

namespace
{

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Maps each byte to its 6-bit value, or -1 when it is not in the base64url alphabet.
constexpr std::array<std::int8_t, 256> make_decode_table()
{
	std::array<std::int8_t, 256> t{};
	for (auto &v : t)
		v = -1;
	for (int i = 0; i < 64; i++)
		t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
	return t;
}

constexpr auto kDecode = make_decode_table();

// Strips correct '=' padding from text; false when the padding is wrong.
bool strip_padding(std::string_view &text)
{
	std::size_t pad = 0;
	while (pad < text.size() && text[text.size() - 1 - pad] == '=')
		pad++;
	if (pad == 0)
		return true;
	// Padding completes the last quantum: "xx==" or "xxx=", nothing else.
	if (pad > 2 || text.size() % 4 != 0 || (text.size() - pad) % 4 != 4 - pad)
		return false;
	text.remove_suffix(pad);
	return true;
}

} // namespace

std::string base64url_encode(std::string_view bytes)
{
	std::string out;
	out.reserve((bytes.size() * 4 + 2) / 3);
	std::size_t i = 0;
	const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
	for (; i + 3 <= bytes.size(); i += 3) {
		std::uint32_t v = (std::uint32_t(p[i]) << 16) | (std::uint32_t(p[i + 1]) << 8) | p[i + 2];
		out.push_back(kAlphabet[(v >> 18) & 63]);
		out.push_back(kAlphabet[(v >> 12) & 63]);
		out.push_back(kAlphabet[(v >> 6) & 63]);
		out.push_back(kAlphabet[v & 63]);
	}
	std::size_t rest = bytes.size() - i;
	if (rest == 0)
		return out;
	std::uint32_t v = std::uint32_t(p[i]) << 16;
	if (rest == 2)
		v |= std::uint32_t(p[i + 1]) << 8;
	out.push_back(kAlphabet[(v >> 18) & 63]);
	out.push_back(kAlphabet[(v >> 12) & 63]);
	if (rest == 2)
		out.push_back(kAlphabet[(v >> 6) & 63]);
	return out;
}

bool base64url_decode(std::string_view text, std::string &out)
{
	out.clear();
	if (!strip_padding(text) || text.size() % 4 == 1)
		return false;
	out.reserve(text.size() * 3 / 4);
	std::uint32_t acc = 0;
	int bits = 0;
	for (char c : text) {
		int v = kDecode[static_cast<unsigned char>(c)];
		if (v < 0)
			return false;
		acc = (acc << 6) | std::uint32_t(v);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out.push_back(char((acc >> bits) & 0xff));
		}
	}
	// Leftover bits must be zero: otherwise "Zg" and "Zh" both mean "f", and a token's
	// signature could be respelled into a different string that still verifies.
	return (acc & ((1u << bits) - 1)) == 0;
}

} // namespace mcp_supa::auth
