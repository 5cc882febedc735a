// Audit records as the gateway builds them, and the bounded buffer that holds them until an
// executor writes a batch into mcp_supa.audit_log.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>

#include "mcp_supa/mcp/session.h"

namespace mcp_supa::audit
{

using Json = nlohmann::json;

// One audit_log row. Plain fields rather than a JSON tree: a record is built for every call,
// and encode() writes it in one pass (the JSON tree cost 7% of throughput).
struct Record {
	std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
	std::string request_id, session_id, client_address, principal, role, auth_method, tool;
	std::string arguments; // serialized JSON; empty for none
	std::string status, sqlstate, message;
	bool has_counts = false;
	int64_t rows = 0, bytes = 0;
	double duration_ms = -1; // negative: not measured
};

// Arguments whose JSON text is longer are stored as {"truncated": true, "bytes": N,
// "sha256": "<hex of the whole text>", "head": "<its first kAuditArgumentsEndBytes>",
// "tail": "<its last kAuditArgumentsEndBytes>"}, so that what a padded statement hides at
// its end still shows. The limit is what one audit field carries (1 MiB), so with the
// default mcp_supa.max_request_bytes (1 MiB) every call's arguments are kept whole. Every
// other text field is clipped to ipc::kAuditMaxField bytes.
constexpr std::size_t kAuditMaxArgumentsBytes = 1u << 20;
constexpr std::size_t kAuditArgumentsEndBytes = 64u * 1024u;

// A record naming who called and from where; principal may be null (authentication failed).
Record base_record(const auth::Principal *principal, const std::string &client_address,
                   const std::string &session_id);

// Fills status, sqlstate, message, rows and bytes from an executor result.
void add_outcome(Record &record, const Json &result);

// A call's arguments as the audit record keeps them: their JSON text, or already the
// oversized form above, so that a large upload's text is not held twice while it runs.
std::string audit_arguments(const Json &args);

// The record in the audit wire format (include/mcp_supa/audit_wire.h): empty strings and
// unmeasured numbers as NULL; strings made valid UTF-8 without NUL bytes (PostgreSQL text
// can hold neither), each invalid byte becoming '?'.
std::string encode(const Record &record);

class AuditBuffer
{
public:
	explicit AuditBuffer(std::size_t max_pending = 10000) : max_(max_pending) {}
	// Keeps a record; false (and counted) when the buffer is full.
	bool add(const Record &record);
	// Removes up to max records (and, past the first, up to max_bytes) and returns them
	// encoded back to back; n gets the count.
	std::string take(std::size_t max, std::size_t &n, std::size_t max_bytes = 16u << 20);
	std::size_t pending() const { return records_.size(); }
	std::size_t dropped() const { return dropped_; }

private:
	std::size_t max_;
	std::size_t dropped_ = 0;
	std::deque<std::string> records_;
};

} // namespace mcp_supa::audit
