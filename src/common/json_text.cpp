// Hand-written JSON text (see include/mcp_supa/json_text.h).
#include "mcp_supa/common/json_text.h"

#include <cstdint>

namespace mcp_supa::common
{

bool valid_utf8(std::string_view s)
{
	const auto *p = reinterpret_cast<const unsigned char *>(s.data());
	const unsigned char *end = p + s.size();
	while (p < end) {
		unsigned char c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		int n;
		uint32_t cp;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		if (end - p <= n)
			return false;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return false;
		p += n + 1;
	}
	return true;
}

void append_json_string(std::string &out, std::string_view s)
{
	static const char hex[] = "0123456789abcdef";
	out.reserve(out.size() + s.size() + s.size() / 8 + 2);
	out += '"';
	std::size_t run = 0; // start of the bytes not yet copied
	for (std::size_t i = 0; i < s.size(); i++) {
		unsigned char c = static_cast<unsigned char>(s[i]);
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		out.append(s.data() + run, i - run);
		run = i + 1;
		switch (c) {
			case '"':
				out += "\\\"";
				break;
			case '\\':
				out += "\\\\";
				break;
			case '\n':
				out += "\\n";
				break;
			case '\r':
				out += "\\r";
				break;
			case '\t':
				out += "\\t";
				break;
			case '\b':
				out += "\\b";
				break;
			case '\f':
				out += "\\f";
				break;
			default:
				out += "\\u00";
				out += hex[c >> 4];
				out += hex[c & 15];
		}
	}
	out.append(s.data() + run, s.size() - run);
	out += '"';
}

} // namespace mcp_supa::common
