// The request.jwt.* settings as real GUCs whose check hook refuses every change while a job
// runs (docs/security.md, step 4): SET, set_config, plpgsql, function SET clauses, ALTER ROLE SET.
#pragma once

namespace mcp_supa::pg
{

// The names PostgREST sets and Supabase's auth.* functions read.
extern const char *const kClaimSettings[];
extern const int kClaimSettingCount;

// Defines the GUCs (boot value '', GUC_NO_RESET_ALL); called from _PG_init.
void define_claim_settings();
// Sets or clears the lock; while set, any attempt to change a claim setting fails, and the
// values of every other request.jwt.* name (placeholders: they have no check hook) are noted
// so that check_claims_unchanged() can tell a change.
void set_claims_locked(bool locked);

// Raises 42501 when a request.jwt.* name other than the five defined ones changed since the
// lock was set (set_config creates such names as placeholders, which no check hook guards).
// Called before and after every query and utility statement of a job.
void check_claims_unchanged();

// Installs check hooks on work_mem and maintenance_work_mem (at most mcp_supa.max_work_mem)
// and hash_mem_multiplier (no higher than when the job began) that apply while the lock is
// set; called from _PG_init.
void install_setting_caps();

} // namespace mcp_supa::pg
