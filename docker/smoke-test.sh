#!/usr/bin/env bash
# Proves an installation loads: starts a throwaway cluster of the PostgreSQL in BINDIR with
# mcp_supa preloaded, creates the extension, asks the gateway for /health, then stops and
# removes the cluster. The image build runs it in the final stage; the packaging test runs it
# on the Debian package's prefix. As root the cluster runs as the postgres account.
#   bash docker/smoke-test.sh [BINDIR] [PG_PORT] [MCP_PORT]
# BINDIR defaults to the folder of the postgres on PATH (symlinks resolved).
set -euo pipefail

BINDIR=${1:-$(dirname "$(readlink -f "$(command -v postgres)")")}
PG_PORT=${2:-54329}
MCP_PORT=${3:-18432}
RUN_AS=()
[ "$(id -u)" -eq 0 ] && RUN_AS=(runuser -u postgres --)
DIR=$(mktemp -d /tmp/mcp_supa_smoke.XXXXXX)
chmod 755 "$DIR"
[ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"

stop() { "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap stop EXIT

# Prints the body of GET /health from the gateway (bash's /dev/tcp: no curl needed).
health() {
	exec 3<>"/dev/tcp/127.0.0.1/$MCP_PORT" || return 1
	printf 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	tr -d '\r' <&3 | sed '1,/^$/d'
	exec 3<&-
}

"${RUN_AS[@]}" "$BINDIR/initdb" -D "$DIR/data" -A trust -U postgres >/dev/null
"${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 start -o \
	"-c port=$PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR -c shared_preload_libraries=mcp_supa -c mcp_supa.port=$MCP_PORT" >/dev/null ||
	{ cat "$DIR/log"; exit 1; }
"$BINDIR/psql" -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
	-c 'create extension mcp_supa' -c 'select mcp_supa.version()'
for _ in $(seq 1 100); do
	body=$(health 2>/dev/null || true)
	case "$body" in *'"status":"ok"'*) break ;; esac
	sleep 0.1
done
case "$body" in
	*'"status":"ok"'*) echo "smoke-test: mcp_supa loads and its gateway answers /health: $body" ;;
	*) tail -n 30 "$DIR/log"; echo "smoke-test: the gateway did not answer /health on port $MCP_PORT" >&2; exit 1 ;;
esac
