#!/usr/bin/env bash
# The build steps of docker/Dockerfile, kept in one script so CI runs the same commands on
# Debian 12 that the image's build stage runs: finds the PostgreSQL's own pg_config, builds
# mcp_supa against it, installs it into a staging folder (the paths that pg_config names),
# bundles the gateway's runtime libraries next to it (found through its RPATH), and checks
# that nothing it needs is left unresolved.
#   bash docker/build-extension.sh [--pg-config PATH] [--stage DIR] [--jobs N]
# Environment: PG_CONFIG (same as --pg-config). Prints the staging folder last.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STAGE=/tmp/mcp_supa-stage
JOBS=$(nproc 2>/dev/null || echo 2)
PGC=${PG_CONFIG:-}
LIBS_DIR=mcp_supa-libs

die() {
	echo "build-extension: $*" >&2
	exit 1
}

# Reads the command line into PGC, STAGE and JOBS.
parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
			--pg-config) PGC=${2:?--pg-config needs a path}; shift 2 ;;
			--stage) STAGE=${2:?--stage needs a folder}; shift 2 ;;
			--jobs) JOBS=${2:?--jobs needs a number}; shift 2 ;;
			-h | --help) sed -n '2,8p' "$0"; exit 0 ;;
			*) die "unknown argument: $1 (see --help)" ;;
		esac
	done
}

# Finds pg_config: the one given, else the first on PATH, else where Supabase's image and
# Debian put it.
find_pg_config() {
	local c
	if [ -n "$PGC" ]; then
		# A bare name (PG_CONFIG=pg_config) is looked up on PATH.
		[[ $PGC == */* ]] || PGC=$(command -v "$PGC" || echo "$PGC")
		[ -x "$PGC" ] || die "pg_config $PGC is not an executable file"
		return
	fi
	for c in "$(command -v pg_config 2>/dev/null || true)" /usr/lib/postgresql/bin/pg_config \
		/nix/var/nix/profiles/default/bin/pg_config /usr/lib/postgresql/15/bin/pg_config; do
		if [ -n "$c" ] && [ -x "$c" ]; then
			PGC=$c
			return
		fi
	done
	die "no pg_config found: pass --pg-config /path/to/pg_config"
}

# Refuses a PostgreSQL that is not 15 or lacks the server headers, naming what is missing.
check_pg() {
	local version inc
	version=$("$PGC" --version) || die "$PGC --version failed"
	case "$version" in
		"PostgreSQL 15."*) ;;
		*) die "$PGC is $version; mcp_supa 0.1 is built for PostgreSQL 15" ;;
	esac
	inc=$("$PGC" --includedir-server)
	[ -f "$inc/postgres.h" ] ||
		die "$PGC names server headers in $inc but postgres.h is not there: install that PostgreSQL's development files (Debian: postgresql-server-dev-15)"
	[ -f "$("$PGC" --pgxs)" ] || die "$PGC names PGXS at $("$PGC" --pgxs), which does not exist"
	# Headers of another minor release build a library the server may refuse (15.20's
	# htup_details.h calls heap_datum_check, which 15.18 lacks).
	local server headers
	server=$("$("$PGC" --bindir)/postgres" --version 2>/dev/null | sed -n 's/^postgres (PostgreSQL) \([0-9.]*\).*/\1/p' || true)
	headers=$(printf '%s' "$version" | sed -n 's/^PostgreSQL \([0-9.]*\).*/\1/p')
	[ -z "$server" ] || [ "$server" = "$headers" ] ||
		die "$PGC is for PostgreSQL $headers but the server next to it is $server: build against that server's own headers"
	echo "build-extension: $version ($PGC)"
	echo "build-extension:   pkglibdir $("$PGC" --pkglibdir)"
	echo "build-extension:   sharedir  $("$PGC" --sharedir)"
}

# Builds the library and the gateway; the gateway is linked again so it carries the RPATH.
build() {
	rm -f "$ROOT/mcp_supa_gateway"
	make -C "$ROOT" -s -j"$JOBS" PG_CONFIG="$PGC" GATEWAY_RPATH="\$\$ORIGIN/$LIBS_DIR" all
}

# Installs into the staging folder and copies the gateway's libraries next to it.
stage() {
	local pkglib lib name
	rm -rf "$STAGE"
	make -C "$ROOT" -s install PG_CONFIG="$PGC" DESTDIR="$STAGE" >/dev/null
	pkglib="$STAGE$("$PGC" --pkglibdir)"
	mkdir -p "$pkglib/$LIBS_DIR"
	# Every library ldd resolves, but the C library itself (the image has its own, and the
	# build stage is that image).
	ldd "$pkglib/mcp_supa_gateway" | awk '/=> \// { print $3 }' | while read -r lib; do
		name=$(basename "$lib")
		case "$name" in
			libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | libresolv.so.* | ld-linux*) continue ;;
		esac
		cp -L "$lib" "$pkglib/$LIBS_DIR/$name"
	done
}

# Checks the staged files: all present, the gateway's libraries resolve, none from elsewhere.
check() {
	local pkglib share f missing unbundled gw
	pkglib="$STAGE$("$PGC" --pkglibdir)"
	share="$STAGE$("$PGC" --sharedir)/extension"
	for f in "$pkglib/mcp_supa.so" "$pkglib/mcp_supa_gateway" "$share/mcp_supa.control" \
		"$share/mcp_supa--0.1.0.sql"; do
		[ -f "$f" ] || die "staging lacks $f"
	done
	gw=$(ldd "$pkglib/mcp_supa_gateway")
	missing=$(grep 'not found' <<<"$gw" || true)
	[ -z "$missing" ] || die "the staged gateway cannot resolve: $missing"
	missing=$(ldd "$pkglib/mcp_supa.so" | grep 'not found' || true)
	[ -z "$missing" ] || die "the staged library cannot resolve: $missing"
	grep -q "$LIBS_DIR/libwebsockets" <<<"$gw" ||
		die "the staged gateway does not load libwebsockets from $LIBS_DIR (RPATH missing?)"
	unbundled=$(awk '/=> \// { print $3 }' <<<"$gw" |
		grep -v "/$LIBS_DIR/" | grep -vE '/(libc|libm|libdl|libpthread|librt|libresolv)\.so|ld-linux' || true)
	[ -z "$unbundled" ] || die "the staged gateway loads libraries that are not bundled: $unbundled"
	echo "build-extension: staged $(find "$STAGE" -type f | wc -l) files:"
	(cd "$STAGE" && find . -type f | sort | sed 's/^\./  /')
}

parse_args "$@"
find_pg_config
check_pg
build
stage
check
echo "$STAGE"
