#!/usr/bin/env bash
# Builds the Debian package postgresql-15-mcp-supa_<version>_<arch>.deb (make deb) with
# dpkg-buildpackage and debian/rules (pg_buildext), in a copy of the source under
# build/deb/, so the checkout's own build is left as it is. Prints the path of the package.
#   bash scripts/build-deb.sh [output folder]     (default: build/deb)
# MCP_SUPA_DEB_REUSE_OBJECTS=1 seeds the copy with the checkout's compiled objects (the test
# command does: they were just built there with the same pg_config), so only the link runs;
# without it the package is compiled from clean source.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

OUT=${1:-$ROOT/build/deb}
VERSION=$(dpkg-parsechangelog -l debian/changelog -S Version)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
SRC="$OUT/mcp-supa-$VERSION"

for tool in dpkg-buildpackage dh pg_buildext; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run bash scripts/install-deps.sh"
done

# Copies the files git knows (tracked, or new and not ignored): never build outputs.
copy_source() {
	rm -rf "$SRC"
	mkdir -p "$SRC"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		done | xargs -0 cp -p --parents -t "$SRC"
	else
		tar --exclude=./build --exclude=./.git --exclude='*.o' --exclude='*.so' -cf - . | tar -xf - -C "$SRC"
	fi
}

# Copies the compiled objects (never the linked library or program) with their times, so
# make finds them newer than the sources and links only.
copy_objects() {
	local f
	for f in src/*/*.o src/*/*.d src/tools/catalog_sql.gen.h; do
		[ -e "$f" ] && cp -p --parents "$f" "$SRC"
	done
	return 0
}

copy_source
[ "${MCP_SUPA_DEB_REUSE_OBJECTS:-0}" = 1 ] && copy_objects
step "dpkg-buildpackage in $SRC"
(cd "$SRC" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" \
	dpkg-buildpackage -b -us -uc) >"$OUT/build.log" 2>&1 ||
	{ tail -n 60 "$OUT/build.log"; die "dpkg-buildpackage failed (full log: $OUT/build.log)"; }
DEB="$OUT/postgresql-15-mcp-supa_${VERSION}_${ARCH}.deb"
[ -f "$DEB" ] || die "dpkg-buildpackage did not write $DEB"
rm -rf "$SRC"
echo "$DEB"
