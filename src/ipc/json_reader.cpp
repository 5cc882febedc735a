// A small JSON reader for job messages (see include/mcp_supa/json_reader.h).
#include "mcp_supa/ipc/json_reader.h"
#include "mcp_supa/common/json_text.h"

#include <cstdint>

namespace mcp_supa::ipc
{

namespace
{

// The value of one hex digit, or -1.
int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

// The 4 hex digits at p as a number, or -1.
long hex4(const char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hex_value(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

// Appends code point cp as UTF-8.
void append_utf8(std::string &out, uint32_t cp)
{
	if (cp < 0x80)
		out += char(cp);
	else if (cp < 0x800) {
		out += char(0xC0 | (cp >> 6));
		out += char(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out += char(0xE0 | (cp >> 12));
		out += char(0x80 | ((cp >> 6) & 0x3F));
		out += char(0x80 | (cp & 0x3F));
	} else {
		out += char(0xF0 | (cp >> 18));
		out += char(0x80 | ((cp >> 12) & 0x3F));
		out += char(0x80 | ((cp >> 6) & 0x3F));
		out += char(0x80 | (cp & 0x3F));
	}
}

// Walks JSON text, checking it as it goes; the first problem stops it with a message.
class Scanner
{
public:
	explicit Scanner(std::string_view text) : text_(text) {}

	std::string error;

	// Reads one value at the current position into span; false on a syntax error.
	bool value(JsonSpan &span, int depth)
	{
		skip_ws();
		if (at_end())
			return fail("unexpected end of text");
		std::size_t start = pos_;
		bool ok;
		switch (text_[pos_]) {
			case '"':
				span.kind = JsonSpan::String;
				ok = string();
				break;
			case '{':
				span.kind = JsonSpan::Object;
				ok = object(nullptr, depth + 1);
				break;
			case '[':
				span.kind = JsonSpan::Array;
				ok = array(nullptr, depth + 1);
				break;
			case 't':
				span.kind = JsonSpan::Bool;
				ok = literal("true");
				break;
			case 'f':
				span.kind = JsonSpan::Bool;
				ok = literal("false");
				break;
			case 'n':
				span.kind = JsonSpan::Null;
				ok = literal("null");
				break;
			default:
				span.kind = JsonSpan::Number;
				ok = number();
		}
		span.text = text_.substr(start, pos_ - start);
		return ok;
	}

	// Reads an object; its members go to out when out is not null.
	bool object(JsonMembers *out, int depth)
	{
		if (depth > kJsonMaxDepth)
			return fail("nested too deeply");
		pos_++; // '{'
		skip_ws();
		if (peek('}'))
			return true;
		for (;;) {
			skip_ws();
			std::size_t key_start = pos_;
			if (!peek_char('"'))
				return fail("expected a string key");
			if (!string())
				return false;
			std::string_view key = text_.substr(key_start, pos_ - key_start);
			skip_ws();
			if (!peek(':'))
				return fail("expected ':'");
			JsonSpan member;
			if (!value(member, depth))
				return false;
			if (out)
				out->emplace_back(json_string_value(key), member);
			skip_ws();
			if (peek('}'))
				return true;
			if (!peek(','))
				return fail("expected ',' or '}'");
		}
	}

	// Reads an array; its elements go to out when out is not null.
	bool array(std::vector<JsonSpan> *out, int depth)
	{
		if (depth > kJsonMaxDepth)
			return fail("nested too deeply");
		pos_++; // '['
		skip_ws();
		if (peek(']'))
			return true;
		for (;;) {
			JsonSpan element;
			if (!value(element, depth))
				return false;
			if (out)
				out->push_back(element);
			skip_ws();
			if (peek(']'))
				return true;
			if (!peek(','))
				return fail("expected ',' or ']'");
		}
	}

	// True when only whitespace is left.
	bool finished()
	{
		skip_ws();
		return at_end() || fail("unexpected text after the value");
	}

	bool starts_with(char c)
	{
		skip_ws();
		return peek_char(c);
	}

private:
	std::string_view text_;
	std::size_t pos_ = 0;

	bool at_end() const { return pos_ >= text_.size(); }
	bool peek_char(char c) const { return !at_end() && text_[pos_] == c; }

	// Consumes c when it comes next.
	bool peek(char c)
	{
		if (!peek_char(c))
			return false;
		pos_++;
		return true;
	}

	bool fail(const char *why)
	{
		if (error.empty())
			error = std::string(why) + " at byte " + std::to_string(pos_);
		return false;
	}

	void skip_ws()
	{
		while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
		                     text_[pos_] == '\r'))
			pos_++;
	}

	bool literal(std::string_view word)
	{
		if (text_.substr(pos_, word.size()) != word)
			return fail("invalid literal");
		pos_ += word.size();
		return true;
	}

	// Consumes one or more digits.
	bool digits()
	{
		std::size_t start = pos_;
		while (!at_end() && text_[pos_] >= '0' && text_[pos_] <= '9')
			pos_++;
		return pos_ > start || fail("expected a digit");
	}

	bool number()
	{
		peek('-');
		if (peek('0')) {
		} else if (!digits())
			return false;
		if (peek('.') && !digits())
			return false;
		if (peek('e') || peek('E')) {
			if (!peek('+'))
				peek('-');
			if (!digits())
				return false;
		}
		return true;
	}

	// Checks a \u escape at pos_ (just past the backslash and 'u'), and its pair if it is a
	// surrogate.
	bool unicode_escape()
	{
		long cp = pos_ + 4 <= text_.size() ? hex4(text_.data() + pos_) : -1;
		if (cp < 0)
			return fail("invalid \\u escape");
		pos_ += 4;
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return fail("a lone low surrogate");
		if (cp < 0xD800 || cp > 0xDBFF)
			return true;
		long low = text_.substr(pos_, 2) == "\\u" && pos_ + 6 <= text_.size()
		               ? hex4(text_.data() + pos_ + 2)
		               : -1;
		if (low < 0xDC00 || low > 0xDFFF)
			return fail("a high surrogate without its low surrogate");
		pos_ += 6;
		return true;
	}

	bool string()
	{
		std::size_t start = ++pos_; // past '"'
		bool high_bytes = false;
		for (;;) {
			if (at_end())
				return fail("unterminated string");
			unsigned char c = static_cast<unsigned char>(text_[pos_]);
			if (c == '"')
				break;
			if (c < 0x20)
				return fail("a control character in a string");
			if (c >= 0x80)
				high_bytes = true;
			pos_++;
			if (c != '\\')
				continue;
			if (at_end())
				return fail("unterminated string");
			char e = text_[pos_++];
			if (e == 'u') {
				if (!unicode_escape())
					return false;
			} else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
			           e != 'r' && e != 't')
				return fail("invalid escape");
		}
		if (high_bytes && !common::valid_utf8(text_.substr(start, pos_ - start)))
			return fail("invalid UTF-8 in a string");
		pos_++; // '"'
		return true;
	}
};

} // namespace

bool json_object_members(std::string_view text, JsonMembers &out, std::string &error)
{
	out.clear();
	Scanner s(text);
	bool ok = s.starts_with('{') ? s.object(&out, 1) && s.finished()
	                             : (s.error = "expected a JSON object", false);
	error = s.error;
	return ok;
}

bool json_array_elements(std::string_view text, std::vector<JsonSpan> &out, std::string &error)
{
	out.clear();
	Scanner s(text);
	bool ok = s.starts_with('[') ? s.array(&out, 1) && s.finished()
	                             : (s.error = "expected a JSON array", false);
	error = s.error;
	return ok;
}

std::string json_string_value(std::string_view literal)
{
	std::string out;
	if (literal.size() < 2)
		return out;
	std::string_view body = literal.substr(1, literal.size() - 2);
	out.reserve(body.size());
	for (std::size_t i = 0; i < body.size(); i++) {
		char c = body[i];
		if (c != '\\') {
			out += c;
			continue;
		}
		char e = body[++i];
		switch (e) {
			case 'b':
				out += '\b';
				break;
			case 'f':
				out += '\f';
				break;
			case 'n':
				out += '\n';
				break;
			case 'r':
				out += '\r';
				break;
			case 't':
				out += '\t';
				break;
			case 'u': {
				uint32_t cp = uint32_t(hex4(body.data() + i + 1));
				i += 4;
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					uint32_t low = uint32_t(hex4(body.data() + i + 3));
					cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
					i += 6;
				}
				append_utf8(out, cp);
				break;
			}
			default: // '"', '\\', '/'
				out += e;
		}
	}
	return out;
}

const JsonSpan *json_member(const JsonMembers &members, std::string_view key)
{
	for (auto it = members.rbegin(); it != members.rend(); ++it)
		if (it->first == key)
			return &it->second;
	return nullptr;
}

} // namespace mcp_supa::ipc
