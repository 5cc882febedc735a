// A ProcessUtility_hook that refuses statements a caller could use to change settings for
// every later caller of its role (docs/security.md, step 6), however deeply nested they are.
#pragma once

namespace mcp_supa::pg
{

// Installs the hook (chaining any previous one); called from _PG_init.
void install_utility_hook();
// Arms or disarms the refusal; armed only while an executor runs a job.
void set_utility_guard(bool armed);

} // namespace mcp_supa::pg
