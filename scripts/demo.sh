#!/usr/bin/env bash
# The product command: builds and installs mcp_supa, then runs a local PostgreSQL 15 cluster
# with Supabase's roles and schemas and the extension preloaded, and prints the MCP URL,
# ready tokens and client config snippets. A second run reuses the cluster and its secrets.
#   bash scripts/demo.sh          start (or reuse) the demo cluster
#   bash scripts/demo.sh stop     stop it
#   bash scripts/demo.sh status   say whether it runs
# Environment: DEMO_PG_PORT (default 25432), DEMO_MCP_PORT (default 8432),
# MCP_SUPA_DEMO_DIR (default .local/demo in the checkout), PG_CONFIG (default pg_config).
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
	# Secrets of an older demo lack Bob's token: add it.
	if ! grep -q '^BOB_TOKEN=' "$SECRETS"; then
		# shellcheck disable=SC1090
		source "$SECRETS"
		local now exp
		now=$(date +%s)
		exp=$((now + 10 * 365 * 24 * 3600))
		echo "BOB_TOKEN=$(make_jwt "{\"iss\":\"mcp_supa-demo\",\"sub\":\"22222222-2222-2222-2222-222222222222\",\"email\":\"bob@example.com\",\"role\":\"authenticated\",\"aud\":\"authenticated\",\"iat\":$now,\"exp\":$exp}")" >>"$SECRETS"
	fi
	# shellcheck disable=SC1090
	source "$SECRETS"
}

pg_ctl_demo() { as_pg_user "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" "$@"; }

running() { pg_ctl_demo status >/dev/null 2>&1; }

# True when some process accepts connections on 127.0.0.1:$1.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Refuses to start when another process holds one of the demo's ports.
check_ports_free() {
	port_taken "$PG_PORT" &&
		die "port $PG_PORT (PostgreSQL) is held by another process; set DEMO_PG_PORT to use another port"
	port_taken "$MCP_PORT" &&
		die "port $MCP_PORT (MCP) is held by another process (another demo?); set DEMO_MCP_PORT to use another port, e.g. DEMO_MCP_PORT=8433 bash scripts/demo.sh"
	return 0
}

# Checks that the gateway answering on $1 is this cluster's: it accepts this cluster's token.
check_gateway_is_ours() {
	local port=$1 status
	status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/mcp" \
		-H "Authorization: Bearer $ALICE_TOKEN" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"demo.sh","version":"1"}}}')
	[ "$status" = 200 ] ||
		die "the server on port $port is not this demo's gateway (it answered $status to this demo's token): another process holds the port; set DEMO_MCP_PORT to use another port"
}

start() {
	bash scripts/install-deps.sh
	pg_env
	if [ ! -f mcp_supa_gateway ] || [ ! -f mcp_supa.so ]; then
		step "building and installing mcp_supa (the first run compiles it: a few minutes)"
	else
		step "building and installing mcp_supa"
	fi
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
		check_ports_free
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
	check_gateway_is_ours "$port"
	print_snippets "$port"
}

# Prints the URL, the tokens and the client snippets, each with the file it goes in.
print_snippets() {
	local port=$1
	cat <<-EOF

		mcp_supa is running inside PostgreSQL.

		  Health:      $(curl -s "http://127.0.0.1:$port/health")
		  MCP URL:     http://127.0.0.1:$port/mcp
		  PostgreSQL:  psql -h 127.0.0.1 -p $PG_PORT -U postgres
		  Log:         $PGDIR/postgres.log

		Tokens (Authorization: Bearer <token>). The snippets use Alice's: a user's token, so
		Row Level Security applies to everything the AI does. service_role bypasses RLS: keep
		it for administration.
		  alice (user) JWT:  $ALICE_TOKEN
		  bob (user) JWT:    $BOB_TOKEN
		  anon key:          $ANON_KEY
		  service_role key:  $SERVICE_ROLE_KEY

		RLS at work: ask the assistant to run these as Alice, then with Bob's token.
		  select title, is_public from notes order by title;
		      Alice sees "Alice private" and "Alice public"; Bob sees "Alice public" and "Bob private".
		  select auth.uid(), auth.role();
		      the caller's user id and role, straight from the token.

		Claude Code: .mcp.json in your project's root (or run:
		  claude mcp add --transport http supabase http://127.0.0.1:$port/mcp --header "Authorization: Bearer $ALICE_TOKEN")
		$(render_client_template claude-code.mcp.json "http://127.0.0.1:$port/mcp" "$ALICE_TOKEN")

		Cursor: .cursor/mcp.json in your project (or ~/.cursor/mcp.json for every project)
		$(render_client_template cursor.mcp.json "http://127.0.0.1:$port/mcp" "$ALICE_TOKEN")

		VS Code: .vscode/mcp.json in your workspace (VS Code asks for the token once and keeps it)
		$(render_client_template vscode.mcp.json "http://127.0.0.1:$port/mcp" "$ALICE_TOKEN")

		More clients (Windsurf, Claude Desktop, generic): docs/clients.md, or in SQL:
		  select mcp_supa.client_config('windsurf', '<token>');

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
