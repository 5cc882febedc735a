#!/usr/bin/env bash
# The product command: builds and installs mcp_supa, then runs a local PostgreSQL 15 cluster
# with Supabase's roles and schemas and the extension preloaded, and prints the MCP URL,
# ready tokens and an mcp.json snippet. A second run reuses the cluster and its secrets.
#   bash scripts/demo.sh          start (or reuse) the demo cluster
#   bash scripts/demo.sh stop     stop it
#   bash scripts/demo.sh status   say whether it runs
# Environment: DEMO_PG_PORT (default 25432), DEMO_MCP_PORT (default 8432),
# MCP_SUPA_DEMO_DIR (default .local/demo in the checkout).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source scripts/lib.sh

DEMO_DIR="${MCP_SUPA_DEMO_DIR:-$ROOT/.local/demo}"
SECRETS="$DEMO_DIR/secrets.env"
PG_PORT=${DEMO_PG_PORT:-25432}
MCP_PORT=${DEMO_MCP_PORT:-8432}

# The cluster's folder must be reachable by the unprivileged user that runs PostgreSQL; a
# checkout under /root is not, so the data then lives under /var/lib and is linked here.
cluster_dir() {
	mkdir -p "$DEMO_DIR"
	if [ -n "$PG_TEST_USER" ] && ! runuser -u "$PG_TEST_USER" -- test -x "$DEMO_DIR"; then
		local outside
		outside="/var/lib/mcp_supa-demo/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
		mkdir -p "$outside"
		chown_to_pg_user "$outside"
		[ -L "$DEMO_DIR/pg" ] || ln -s "$outside" "$DEMO_DIR/pg"
	else
		mkdir -p "$DEMO_DIR/pg"
		chown_to_pg_user "$DEMO_DIR/pg"
	fi
	echo "$DEMO_DIR/pg"
}


# Creates the secret and the long-lived keys once; later runs reuse them.
ensure_secrets() {
	if [ ! -f "$SECRETS" ]; then
		umask 077
		JWT_SECRET=$(openssl rand -hex 32)
		local now exp
		now=$(date +%s)
		exp=$((now + 10 * 365 * 24 * 3600))
		{
			echo "JWT_SECRET=$JWT_SECRET"
			echo "ANON_KEY=$(make_jwt "{\"iss\":\"mcp_supa-demo\",\"role\":\"anon\",\"iat\":$now,\"exp\":$exp}")"
			echo "SERVICE_ROLE_KEY=$(make_jwt "{\"iss\":\"mcp_supa-demo\",\"role\":\"service_role\",\"iat\":$now,\"exp\":$exp}")"
			echo "ALICE_TOKEN=$(make_jwt "{\"iss\":\"mcp_supa-demo\",\"sub\":\"11111111-1111-1111-1111-111111111111\",\"email\":\"alice@example.com\",\"role\":\"authenticated\",\"aud\":\"authenticated\",\"iat\":$now,\"exp\":$exp}")"
		} >"$SECRETS"
	fi
	# shellcheck disable=SC1090
	source "$SECRETS"
}

pg_ctl_demo() { as_pg_user "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" "$@"; }

running() { pg_ctl_demo status >/dev/null 2>&1; }

start() {
	bash scripts/install-deps.sh
	pg_env
	step "building and installing mcp_supa"
	make -s -j"$(nproc)" >/dev/null
	as_root make -s install >/dev/null
	PGDIR=$(cluster_dir)
	ensure_secrets
	if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
		step "creating the demo cluster in $PGDIR"
		as_pg_user "$PG_BINDIR/initdb" -D "$PGDIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
		cat >>"$PGDIR/data/postgresql.conf" <<-EOF

			# mcp_supa demo
			port = $PG_PORT
			listen_addresses = '127.0.0.1'
			unix_socket_directories = '$PGDIR'
			shared_preload_libraries = 'mcp_supa'
			mcp_supa.listen_addresses = '127.0.0.1'
			mcp_supa.port = $MCP_PORT
			mcp_supa.jwt_secret = '$JWT_SECRET'
		EOF
	fi
	if running; then
		step "reusing the running demo cluster"
	else
		step "starting PostgreSQL"
		pg_ctl_demo -l "$PGDIR/postgres.log" -w -t 60 start >/dev/null ||
			{ tail -n 30 "$PGDIR/postgres.log"; die "PostgreSQL did not start"; }
	fi
	for f in scripts/supabase/*.sql; do
		PGOPTIONS="-c client_min_messages=warning" "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres \
			-d postgres -f "$f" >/dev/null || die "loading $f failed"
	done
	local port
	port=$("$PG_BINDIR/psql" -X -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'SHOW mcp_supa.port')
	for _ in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
		sleep 0.1
	done
	curl -sf "http://127.0.0.1:$port/health" >/dev/null ||
		{ tail -n 30 "$PGDIR/postgres.log"; die "the MCP gateway did not answer /health"; }
	cat <<-EOF

		mcp_supa is running inside PostgreSQL.

		  Health:      $(curl -s "http://127.0.0.1:$port/health")
		  MCP URL:     http://127.0.0.1:$port/mcp
		  PostgreSQL:  psql -h 127.0.0.1 -p $PG_PORT -U postgres
		  Log:         $PGDIR/postgres.log

		  anon key:          $ANON_KEY
		  service_role key:  $SERVICE_ROLE_KEY
		  alice (user) JWT:  $ALICE_TOKEN

		mcp.json (Claude Code, Cursor, VS Code):
		{
		  "mcpServers": {
		    "supabase": {
		      "type": "http",
		      "url": "http://127.0.0.1:$port/mcp",
		      "headers": { "Authorization": "Bearer $SERVICE_ROLE_KEY" }
		    }
		  }
		}

		Stop it with: bash scripts/demo.sh stop
	EOF
}

stop() {
	pg_env
	PGDIR="$DEMO_DIR/pg"
	if [ -f "$PGDIR/data/PG_VERSION" ] && running; then
		pg_ctl_demo -m fast -w stop >/dev/null
		echo "demo cluster stopped"
	else
		echo "demo cluster is not running"
	fi
}

status() {
	pg_env
	PGDIR="$DEMO_DIR/pg"
	if [ -f "$PGDIR/data/PG_VERSION" ] && running; then echo "demo cluster is running"; else
		echo "demo cluster is not running"
		return 3
	fi
}

case "${1:-start}" in
	start) start ;;
	stop) stop ;;
	status) status ;;
	*) die "usage: $0 [start|stop|status]" ;;
esac
