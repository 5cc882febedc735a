#!/usr/bin/env bash
# Adds mcp_supa to the lists Supabase's image keeps in its configuration files, extending
# each list (never replacing it) and doing nothing when mcp_supa is already there:
#   - shared_preload_libraries in postgresql.conf (the image's /etc/postgresql/postgresql.conf)
#   - supautils.privileged_extensions in supautils.conf (/etc/postgresql-custom/supautils.conf,
#     which lives in the db-config volume), so the non-superuser postgres role may
#     CREATE EXTENSION mcp_supa (supautils runs it as its privileged superuser).
# The file keeps its owner and mode (it is rewritten in place, not replaced).
#   bash docker/mcp-supa-conf.sh preload <postgresql.conf>
#   bash docker/mcp-supa-conf.sh privileged <supautils.conf>
set -euo pipefail

die() {
	echo "mcp-supa-conf: $*" >&2
	exit 1
}

# Appends mcp_supa to the last active "<name> = '...'" line of file $2 (PostgreSQL uses the
# last one), or adds the line when there is none. Prints what it did.
extend_list() {
	local name=$1 file=$2 last value tmp pattern
	[ -f "$file" ] || die "$file does not exist"
	pattern="^[[:space:]]*${name//./\\.}[[:space:]]*="
	last=$(grep -nE "$pattern" "$file" | tail -n 1 | cut -d: -f1 || true)
	if [ -z "$last" ]; then
		printf "\n# added by mcp_supa\n%s = 'mcp_supa'\n" "$name" >>"$file"
		echo "mcp-supa-conf: $file: added $name = 'mcp_supa'"
		return
	fi
	value=$(sed -n "${last}s/^[^=]*=[[:space:]]*'\([^']*\)'.*/\1/p" "$file")
	if printf '%s' "$value" | tr ',' '\n' | tr -d ' \t' | grep -qx mcp_supa; then
		echo "mcp-supa-conf: $file: $name already lists mcp_supa"
		return
	fi
	tmp=$(mktemp)
	if [ -z "$(printf '%s' "$value" | tr -d ' \t')" ]; then
		sed "${last}s/^\([^=]*=[[:space:]]*\)'[^']*'/\1'mcp_supa'/" "$file" >"$tmp"
	else
		sed "${last}s/^\([^=]*=[[:space:]]*'[^']*\)'/\1, mcp_supa'/" "$file" >"$tmp"
	fi
	cat "$tmp" >"$file"
	rm -f "$tmp"
	echo "mcp-supa-conf: $file: $name extended with mcp_supa"
}

case "${1:-}" in
	preload) extend_list shared_preload_libraries "${2:?file}" ;;
	privileged) extend_list supautils.privileged_extensions "${2:?file}" ;;
	*) die "usage: $0 preload <postgresql.conf> | privileged <supautils.conf>" ;;
esac
