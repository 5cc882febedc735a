// Trimming, comma lists and hex (see include/mcp_supa/common/text.h).
#include "mcp_supa/common/text.h"

namespace mcp_supa::common
{

namespace
{

// True for the characters isspace() accepts in the C locale.
bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

} // namespace

std::string_view trim(std::string_view s)
{
	while (!s.empty() && is_blank(s.front()))
		s.remove_prefix(1);
	while (!s.empty() && is_blank(s.back()))
		s.remove_suffix(1);
	return s;
}

std::vector<std::string_view> split_raw(std::string_view s, char sep)
{
	std::vector<std::string_view> out;
	std::size_t start = 0;
	while (start <= s.size()) {
		std::size_t end = s.find(sep, start);
		if (end == std::string_view::npos)
			end = s.size();
		out.push_back(s.substr(start, end - start));
		start = end + 1;
	}
	return out;
}

std::vector<std::string> split_list(std::string_view s, char sep)
{
	std::vector<std::string> out;
	for (std::string_view item : split_raw(s, sep))
		if (!(item = trim(item)).empty())
			out.emplace_back(item);
	return out;
}

std::string ascii_lower(std::string_view s)
{
	std::string out(s);
	for (auto &c : out)
		if (c >= 'A' && c <= 'Z')
			c = char(c - 'A' + 'a');
	return out;
}

std::string hex_encode(const void *data, std::size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const auto *p = static_cast<const unsigned char *>(data);
	std::string out;
	out.reserve(n * 2);
	for (std::size_t i = 0; i < n; i++) {
		out.push_back(digits[p[i] >> 4]);
		out.push_back(digits[p[i] & 15]);
	}
	return out;
}

} // namespace mcp_supa::common
