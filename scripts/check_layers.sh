#!/usr/bin/env bash
# make check-layers: fails when a source or header includes a folder its layer may not use.
# The order (docs/architecture.md, "Layers"): each layer may include itself and the layers
# before it; pg (the PostgreSQL side) may include common, ipc, config and itself.
#   common <- ipc <- auth <- config <- tools <- mcp <- core <- net <- gateway
# --self-test copies the tree, adds one include against the order, and expects a failure.
set -euo pipefail

ROOT=${CHECK_LAYERS_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
ORDER=(common ipc auth config tools mcp core net gateway)
PG_ALLOWED=" common ipc config pg "

# Prints the layers a folder may include, space separated and padded.
allowed_for() {
	local layer=$1 out=" " l
	if [ "$layer" = pg ]; then
		echo "$PG_ALLOWED"
		return
	fi
	for l in "${ORDER[@]}"; do
		out+="$l "
		[ "$l" = "$layer" ] && break
	done
	echo "$out"
}

# Checks every file under src/<layer> and include/mcp_supa/<layer>; prints each violation.
check_tree() {
	local root=$1 bad=0 layer file line target allowed
	for layer in "${ORDER[@]}" pg; do
		allowed=$(allowed_for "$layer")
		for file in $(find "$root/src/$layer" "$root/include/mcp_supa/$layer" \
			-type f \( -name '*.cpp' -o -name '*.h' \) 2>/dev/null | sort); do
			while IFS= read -r line; do
				target=${line#*\"mcp_supa/}
				target=${target%%/*}
				if [[ $allowed != *" $target "* ]]; then
					echo "check-layers: ${file#"$root"/} ($layer) includes mcp_supa/$target/: $layer may use only:$allowed" >&2
					bad=1
				fi
			done < <(grep -E '^\s*#\s*include\s+"mcp_supa/[a-z_]+/' "$file" || true)
		done
	done
	return $bad
}

# Injects auth -> mcp into a copy of the tree and expects check_tree to refuse it.
self_test() {
	local copy
	copy=$(mktemp -d /tmp/check_layers.XXXXXX)
	trap 'rm -rf "$copy"' RETURN
	cp -r "$ROOT/src" "$ROOT/include" "$copy/"
	sed -i '0,/^#include "mcp_supa\/auth\/jwt.h"/s//#include "mcp_supa\/auth\/jwt.h"\n#include "mcp_supa\/mcp\/server.h"/' \
		"$copy/src/auth/jwt.cpp"
	grep -q '"mcp_supa/mcp/server.h"' "$copy/src/auth/jwt.cpp" || { echo "self-test: injection failed" >&2; return 1; }
	if check_tree "$copy" 2>"$copy/out"; then
		echo "check-layers self-test: a wrong include (auth -> mcp) was NOT caught" >&2
		return 1
	fi
	cat "$copy/out" >&2
	echo "check-layers self-test: the wrong include was caught"
}

if [ "${1:-}" = --self-test ]; then
	self_test
else
	check_tree "$ROOT" && echo "check-layers: every include follows the layer order"
fi
