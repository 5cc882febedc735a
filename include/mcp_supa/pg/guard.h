// Crossing between PostgreSQL's longjmp errors and C++ exceptions, in both directions
// (the pg_duckdb PostgresFunctionGuard / InvokeCPPFunc pattern).
#pragma once

#include "mcp_supa/pg/postgres_headers.h"

#include <stdexcept>
#include <string>

extern "C" {
#include "utils/elog.h"
#include "utils/memutils.h"
}

namespace mcp_supa::pg
{

// A PostgreSQL ERROR caught by pg_guard, carried as a C++ exception.
struct PgError : std::runtime_error {
	int sqlerrcode;
	PgError(int code, const std::string &msg) : std::runtime_error(msg), sqlerrcode(code) {}
};

// Runs a PostgreSQL call that may ereport(ERROR) and rethrows it as PgError. The callable
// must hold no C++ object with a destructor: a longjmp out of it would skip them.
template <typename F> void pg_guard(F &&f)
{
	MemoryContext ctx = CurrentMemoryContext;
	// volatile: these change between sigsetjmp and a longjmp back (-Wclobbered).
	volatile int code = 0;
	char msg[1024] = {0};
	volatile bool failed = false;
	PG_TRY();
	{
		f();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(ctx);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		code = edata->sqlerrcode;
		strlcpy(msg, edata->message ? edata->message : "unknown error", sizeof(msg));
		FreeErrorData(edata);
		failed = true;
	}
	PG_END_TRY();
	if (failed)
		throw PgError(code, msg);
}

// Runs C++ code called from PostgreSQL and turns any exception into ereport(ERROR) once
// every C++ frame is gone (the error is raised after the try block ends).
template <typename F> void cpp_entry(F &&f)
{
	char msg[1024] = {0};
	int code = ERRCODE_INTERNAL_ERROR;
	try {
		f();
		return;
	} catch (const PgError &e) {
		code = e.sqlerrcode;
		strlcpy(msg, e.what(), sizeof(msg));
	} catch (const std::exception &e) {
		strlcpy(msg, e.what(), sizeof(msg));
	} catch (...) {
		strlcpy(msg, "unknown C++ exception", sizeof(msg));
	}
	ereport(ERROR, (errcode(code), errmsg("mcp_supa: %s", msg)));
}

} // namespace mcp_supa::pg
