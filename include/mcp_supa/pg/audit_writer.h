// The extension's own bookkeeping, run as its owner between jobs: audit batches into
// mcp_supa.audit_log, and the API key list for the gateway (src/pg/audit_writer.cpp).
#pragma once

#include <cstddef>

#include "mcp_supa/ipc/audit_wire.h"
#include "mcp_supa/pg/postgres_headers.h"

namespace mcp_supa::pg
{

// Inserts decoded audit records in one transaction of their own, as the extension's owner,
// committed without waiting for the WAL flush. Returns the number of rows written, or -1 with
// errbuf holding the reason. Never raises.
long write_audit_records(const ipc::AuditFields *records, std::size_t n, char *errbuf,
                         std::size_t errlen);

// The active API keys (hash, name, role, claims, read_only, expires_at) as JSON array text,
// palloc'd in the current context; nullptr with errbuf set on failure. Never raises.
char *read_api_keys(char *errbuf, std::size_t errlen);

// The owner of the mcp_supa extension in this database; needs SPI connected; raises.
Oid extension_owner();

} // namespace mcp_supa::pg
