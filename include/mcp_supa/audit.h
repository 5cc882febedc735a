// Audit records as the gateway builds them, and the bounded buffer that holds them until an
// executor writes a batch into mcp_supa.audit_log.
#pragma once

#include <cstddef>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>

#include "mcp_supa/session.h"

namespace mcp_supa::audit
{

using Json = nlohmann::json;

// The current UTC time as ISO 8601 with milliseconds (the record's "at").
std::string now_iso();

// A record naming who called and from where; principal may be null (authentication failed).
Json base_record(const mcp::Principal *principal, const std::string &client_address,
                 const std::string &session_id);

// Fills status, sqlstate, message, rows and bytes from an executor result.
void add_outcome(Json &record, const Json &result);

class AuditBuffer
{
public:
	explicit AuditBuffer(std::size_t max_pending = 10000) : max_(max_pending) {}
	// Keeps a record; false (and counted) when the buffer is full.
	bool add(Json record);
	// Removes and returns up to max records as a JSON array.
	Json take(std::size_t max);
	std::size_t pending() const { return records_.size(); }
	std::size_t dropped() const { return dropped_; }

private:
	std::size_t max_;
	std::size_t dropped_ = 0;
	std::deque<Json> records_;
};

} // namespace mcp_supa::audit
