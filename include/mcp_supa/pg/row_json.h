// Turning an SPI result into JSON text (the value rules of docs/ipc.md), stopping at the row
// and byte caps. PostgreSQL-style code: may ereport, holds no C++ object with a destructor.
#pragma once

#include "mcp_supa/pg/postgres_headers.h"

extern "C" {
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "tcop/dest.h"
}

namespace mcp_supa::pg
{

struct RowsJson {
	StringInfoData columns; // [{"name": ..., "type": ...}, ...]
	StringInfoData rows;    // [{"col": value, ...}, ...]
	uint64 row_count;       // rows written to `rows`
	bool truncated;         // more rows existed than the caps allowed
};

// Serializes the first `processed` tuples of tt into out (allocated in the current memory
// context): at most max_rows rows, and rows stop before the one that would make the rows
// array longer than max_bytes.
void serialize_rows(SPITupleTable *tt, uint64 processed, int max_rows, int max_bytes,
                    RowsJson *out);

// Sets out to an empty result (no columns, no rows).
void empty_rows(RowsJson *out);

// Serializes the last SPI statement's result into out, allocated in ctx (before SPI_finish
// frees it): its rows, or only its row count when it returned none.
void collect_spi_rows(MemoryContext ctx, int max_rows, int max_bytes, RowsJson *out);

// A receiver that writes the rows it is sent into out as they come (out's text lives in
// result_ctx), keeping at most max_rows rows and max_bytes bytes of them. With out null it
// discards every row. With stop_at_cap it stops the statement at the first row past a cap
// (only for plain queries: a write would stop halfway). Allocated in the current context.
DestReceiver *create_json_receiver(RowsJson *out, int max_rows, int max_bytes, bool stop_at_cap,
                                   MemoryContext result_ctx);

// Makes the receiver drop EXPLAIN ANALYZE's "Rows Removed by ..." counts from the rows it
// keeps (JSON values become null, other formats lose the line): with row-level security
// they count rows the caller may not see.
void json_receiver_hide_removed_rows(DestReceiver *dest);

// True when the receiver was sent a row description (the statement returns rows).
bool json_receiver_had_rows(DestReceiver *dest);

} // namespace mcp_supa::pg
