// Audit records and their buffer (see include/mcp_supa/audit.h).
#include "mcp_supa/mcp/audit.h"

#include <cstdio>

#include <openssl/sha.h>

#include "mcp_supa/ipc/audit_wire.h"
#include "mcp_supa/common/json_text.h"

namespace mcp_supa::audit
{

namespace
{

// s as PostgreSQL can store it: valid UTF-8, no NUL bytes (a copy only when it must change).
std::string_view storable(const std::string &s, std::string &scratch)
{
	bool clean = s.find('\0') == std::string::npos && common::valid_utf8(s);
	if (clean)
		return s;
	scratch.clear();
	const auto *p = reinterpret_cast<const unsigned char *>(s.data());
	std::size_t i = 0, n = s.size();
	while (i < n) {
		// The longest valid sequence starting here, if any.
		std::size_t len = p[i] < 0x80 ? 1 : p[i] >= 0xF0 ? 4 : p[i] >= 0xE0 ? 3 : 2;
		if (i + len <= n && p[i] != 0 && common::valid_utf8(std::string(s, i, len))) {
			scratch.append(s, i, len);
			i += len;
		} else {
			scratch += '?';
			i++;
		}
	}
	return scratch;
}

// At most max bytes of s, cut at a character boundary (s is valid UTF-8).
std::string_view clip_utf8(std::string_view s, std::size_t max)
{
	if (s.size() <= max)
		return s;
	std::size_t n = max;
	while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
		n--;
	return s.substr(0, n);
}

// Appends a text field: NULL when empty; clipped to what an executor accepts.
void text_field(std::string &out, const std::string &value)
{
	if (value.empty()) {
		ipc::append_audit_field(out, std::nullopt);
		return;
	}
	std::string scratch;
	ipc::append_audit_field(out, clip_utf8(storable(value, scratch), ipc::kAuditMaxField));
}

// The last at most max bytes of s, cut at a character boundary (s is valid UTF-8).
std::string_view tail_utf8(std::string_view s, std::size_t max)
{
	if (s.size() <= max)
		return s;
	std::size_t from = s.size() - max;
	while (from < s.size() && (static_cast<unsigned char>(s[from]) & 0xC0) == 0x80)
		from++;
	return s.substr(from);
}

// The SHA-256 of s in lower-case hex.
std::string sha256_hex(std::string_view s)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SHA256(reinterpret_cast<const unsigned char *>(s.data()), s.size(), digest);
	static const char hex[] = "0123456789abcdef";
	std::string out;
	for (unsigned char b : digest) {
		out += hex[b >> 4];
		out += hex[b & 0xF];
	}
	return out;
}

// Arguments too large to keep whole (mcp_supa.max_request_bytes raised past 1 MiB): their
// size, hash, head and tail, as valid JSON.
std::string oversized_arguments(const std::string &arguments)
{
	std::string scratch;
	std::string_view text = storable(arguments, scratch);
	std::string out = "{\"truncated\":true,\"bytes\":" + std::to_string(arguments.size()) +
	                  ",\"sha256\":\"" + sha256_hex(arguments) + "\",\"head\":";
	common::append_json_string(out, clip_utf8(text, kAuditArgumentsEndBytes));
	out += ",\"tail\":";
	common::append_json_string(out, tail_utf8(text, kAuditArgumentsEndBytes));
	out += '}';
	return out;
}

} // namespace

Record base_record(const auth::Principal *principal, const std::string &client_address,
                   const std::string &session_id)
{
	Record r;
	r.client_address = client_address;
	r.session_id = session_id;
	if (principal) {
		r.principal = principal->subject.empty() ? principal->role : principal->subject;
		r.role = principal->role;
		r.auth_method = principal->auth_method;
	}
	return r;
}

void add_outcome(Record &record, const Json &result)
{
	if (result.value("ok", false)) {
		record.status = "ok";
		record.has_counts = true;
		record.rows = result.value("row_count", int64_t(0));
		record.bytes = result.value("bytes", int64_t(0));
		return;
	}
	record.status = result.value("refused", false) ? "refused" : "error";
	auto err = result.find("error");
	if (err == result.end() || !err->is_object())
		return;
	auto state = err->find("sqlstate");
	if (state != err->end() && state->is_string())
		record.sqlstate = state->get<std::string>();
	auto message = err->find("message");
	if (message != err->end() && message->is_string())
		record.message = message->get<std::string>();
}

std::string audit_arguments(const Json &args)
{
	std::string text = args.dump(-1, ' ', false, Json::error_handler_t::replace);
	if (text.size() > kAuditMaxArgumentsBytes)
		return oversized_arguments(text);
	return text;
}

std::string encode(const Record &r)
{
	std::string out;
	out.reserve(160 + r.arguments.size() + r.message.size());
	auto us = std::chrono::duration_cast<std::chrono::microseconds>(r.at.time_since_epoch());
	ipc::append_audit_field(out, std::to_string(us.count()));
	for (const std::string *s : {&r.request_id, &r.session_id, &r.client_address, &r.principal,
	                             &r.role, &r.auth_method, &r.tool})
		text_field(out, *s);
	if (r.arguments.size() > kAuditMaxArgumentsBytes)
		ipc::append_audit_field(out, oversized_arguments(r.arguments));
	else
		text_field(out, r.arguments);
	for (const std::string *s : {&r.status, &r.sqlstate, &r.message})
		text_field(out, *s);
	if (r.has_counts) {
		ipc::append_audit_field(out, std::to_string(r.rows));
		ipc::append_audit_field(out, std::to_string(r.bytes));
	} else {
		ipc::append_audit_field(out, std::nullopt);
		ipc::append_audit_field(out, std::nullopt);
	}
	if (r.duration_ms >= 0) {
		// Milliseconds with three decimals, without printf (it was a third of this function).
		auto us = int64_t(r.duration_ms * 1000 + 0.5);
		std::string ms = std::to_string(us / 1000);
		char frac[5] = {'.', char('0' + us % 1000 / 100), char('0' + us % 100 / 10),
		                char('0' + us % 10), 0};
		ms += frac;
		ipc::append_audit_field(out, ms);
	} else
		ipc::append_audit_field(out, std::nullopt);
	return out;
}

bool AuditBuffer::add(const Record &record)
{
	if (records_.size() >= max_) {
		dropped_++;
		return false;
	}
	records_.push_back(encode(record));
	return true;
}

std::string AuditBuffer::take(std::size_t max, std::size_t &n, std::size_t max_bytes)
{
	std::string batch;
	n = 0;
	while (!records_.empty() && n < max &&
	       (n == 0 || batch.size() + records_.front().size() <= max_bytes)) {
		batch += records_.front();
		records_.pop_front();
		n++;
	}
	return batch;
}

} // namespace mcp_supa::audit
