#!/usr/bin/env bash
# The image's entry point: allows mcp_supa in the supautils.conf the db-config volume holds
# (a volume made from an older image lacks it), then hands over to the image's own entry point
# with the same arguments.
set -euo pipefail

SUPAUTILS_CONF=${MCP_SUPA_SUPAUTILS_CONF:-/etc/postgresql-custom/supautils.conf}
if [ -f "$SUPAUTILS_CONF" ] && [ -w "$SUPAUTILS_CONF" ]; then
	mcp-supa-conf.sh privileged "$SUPAUTILS_CONF" || echo "mcp_supa: could not update $SUPAUTILS_CONF" >&2
fi
exec docker-entrypoint.sh "$@"
