// Writing audit batches from the gateway into mcp_supa.audit_log (src/pg/audit_writer.cpp).
#pragma once

#include <cstddef>

namespace mcp_supa::pg {

// Inserts a JSON array of audit records in its own transaction, as the extension's owner.
// Returns the number of rows written, or -1 with errbuf holding the reason. Never raises.
long write_audit_batch(const char *records_json, char *errbuf, std::size_t errlen);

} // namespace mcp_supa::pg
