# shellcheck shell=bash
# Shared helpers of scripts/test.sh and scripts/demo.sh (sourced, not run).

step() { printf '\n==> %s\n' "$*"; }
die() {
	echo "error: $*" >&2
	exit 1
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# PostgreSQL refuses to run as root: as root we run clusters as the postgres account
# (created by the postgresql package), otherwise as ourselves. Sets PG_BINDIR, PG_REGRESS
# and PG_TEST_USER for the scripts that source this file.
# shellcheck disable=SC2034 # the variables are read by the sourcing script
pg_env() {
	PG_CONFIG=${PG_CONFIG:-pg_config}
	PG_BINDIR=$("$PG_CONFIG" --bindir)
	PG_REGRESS="$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress"
	if [ "$(id -u)" -eq 0 ]; then
		PG_TEST_USER=${PG_TEST_USER:-postgres}
		id "$PG_TEST_USER" >/dev/null 2>&1 ||
			useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_TEST_USER"
	else
		PG_TEST_USER=""
	fi
}

as_pg_user() {
	if [ -n "$PG_TEST_USER" ]; then runuser -u "$PG_TEST_USER" -- "$@"; else "$@"; fi
}

chown_to_pg_user() {
	if [ -n "$PG_TEST_USER" ]; then chown -R "$PG_TEST_USER": "$@"; fi
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# Signs an HS256 JWT over the JSON payload $1 with $JWT_SECRET.
make_jwt() {
	local payload=$1 header='{"alg":"HS256","typ":"JWT"}' input sig
	input="$(printf '%s' "$header" | b64url).$(printf '%s' "$payload" | b64url)"
	sig=$(printf '%s' "$input" | openssl dgst -sha256 -hmac "$JWT_SECRET" -binary | b64url)
	printf '%s.%s' "$input" "$sig"
}

# Escapes a sed replacement text (the | delimiter, & and backslashes).
sed_escape() { printf '%s' "$1" | sed -e 's/[|&\\]/\\&/g'; }

# Prints the client template docs/clients/$1 for the MCP URL $2 and the token $3: the
# templates carry http://127.0.0.1:8432/mcp (ws:// for WebSocket) and <token> in their place.
render_client_template() {
	local template=$1 url=$2 token=$3 dir
	dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/docs/clients"
	[ -f "$dir/$template" ] || die "no client template $dir/$template"
	sed -e "s|ws://127\.0\.0\.1:8432/mcp|$(sed_escape "${url/#http/ws}")|g" \
		-e "s|http://127\.0\.0\.1:8432/mcp|$(sed_escape "$url")|g" \
		-e "s|<token>|$(sed_escape "$token")|g" "$dir/$template"
}
