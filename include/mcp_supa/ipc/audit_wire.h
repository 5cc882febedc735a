// The audit batch as it travels from the gateway to an executor: after the job header and a
// NUL byte, records of kAuditFields length-prefixed fields each, in the column order of
// kAuditFieldNames. Decoding is pointer arithmetic: parsing the batch as JSON cost the
// executor about 7 µs per record, more than inserting it (docs/ipc.md).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcp_supa::ipc
{

constexpr std::size_t kAuditFields = 15;
// mcp_supa.audit_log's columns in wire order. "at" travels as microseconds since the Unix
// epoch, rows and bytes as decimal integers, duration_ms as a decimal number, arguments as
// JSON text; the rest as text.
extern const char *const kAuditFieldNames[kAuditFields];

// One field is <u32 big-endian length><bytes>; this length marks SQL NULL (no bytes follow).
constexpr uint32_t kAuditNull = 0xFFFFFFFFu;
// No field may be longer (a corrupt length must not make the reader run off).
constexpr std::size_t kAuditMaxField = 1u << 20;

using AuditFields = std::array<std::optional<std::string_view>, kAuditFields>;

// Appends one field (nullopt: NULL). The value should be valid UTF-8 without NUL bytes.
void append_audit_field(std::string &out, const std::optional<std::string_view> &value);

// Splits a batch into records whose fields point into data. False, with error set, when the
// batch is truncated, a length is out of bounds, or a record is incomplete.
bool decode_audit_records(std::string_view data, std::vector<AuditFields> &out, std::string &error);

} // namespace mcp_supa::ipc
