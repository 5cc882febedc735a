// The request.jwt.* settings as real GUCs whose check hook refuses every change while a job
// runs (DESIGN §3 step 4): SET, set_config, plpgsql, function SET clauses, ALTER ROLE SET.
#pragma once

namespace mcp_supa::pg
{

// The names PostgREST sets and Supabase's auth.* functions read.
extern const char *const kClaimSettings[];
extern const int kClaimSettingCount;

// Defines the GUCs (boot value '', GUC_NO_RESET_ALL); called from _PG_init.
void define_claim_settings();
// Sets or clears the lock; while set, any attempt to change a claim setting fails.
void set_claims_locked(bool locked);
bool claims_locked();

} // namespace mcp_supa::pg
