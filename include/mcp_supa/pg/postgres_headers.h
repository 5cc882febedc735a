// The one door to PostgreSQL's headers: postgres.h first, C linkage, and PGDLLEXPORT
// meaning "visible" so PG_MODULE_MAGIC and pg_finfo_* survive -fvisibility=hidden.
#pragma once

#ifndef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#endif

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/guc.h"
}
