// Audit batch encoding between the gateway and the executors (see include/mcp_supa/audit_wire.h).
#include "mcp_supa/ipc/audit_wire.h"

#include <cstdint>

namespace mcp_supa::ipc
{

const char *const kAuditFieldNames[kAuditFields] = {
    "at",       "request_id",  "session_id", "client_address", "principal",
    "role",     "auth_method", "tool",       "arguments",      "status",
    "sqlstate", "message",     "rows",       "bytes",          "duration_ms"};

void append_audit_field(std::string &out, const std::optional<std::string_view> &value)
{
	uint32_t n = value ? uint32_t(value->size()) : kAuditNull;
	char len[4] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
	out.append(len, 4);
	if (value)
		out.append(value->data(), value->size());
}

bool decode_audit_records(std::string_view data, std::vector<AuditFields> &out, std::string &error)
{
	std::size_t pos = 0;
	while (pos < data.size()) {
		AuditFields rec;
		for (std::size_t f = 0; f < kAuditFields; f++) {
			if (data.size() - pos < 4) {
				error = "audit batch truncated in record " + std::to_string(out.size() + 1);
				return false;
			}
			const auto *p = reinterpret_cast<const unsigned char *>(data.data() + pos);
			uint32_t n = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
			pos += 4;
			if (n == kAuditNull)
				continue;
			if (n > kAuditMaxField || n > data.size() - pos) {
				error = "audit field " + std::string(kAuditFieldNames[f]) + " of record " +
				        std::to_string(out.size() + 1) + " has an invalid length";
				return false;
			}
			rec[f] = data.substr(pos, n);
			pos += n;
		}
		out.push_back(rec);
	}
	return true;
}

} // namespace mcp_supa::ipc
