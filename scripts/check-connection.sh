#!/usr/bin/env bash
# Checks, step by step, that an MCP client can use mcp_supa at URL with TOKEN, the way a client
# does it: DNS, TCP, TLS, /health, authentication, initialize, tools/list. Each step prints ok
# or FAILED with the likely fix; the first failure ends the run (exit 1). Needs curl and
# python3 (and openssl for https).
#   bash scripts/check-connection.sh URL TOKEN
#   e.g. bash scripts/check-connection.sh http://127.0.0.1:8432/mcp eyJhbGciOi...
# Environment: CHECK_TIMEOUT (seconds per step, default 10), CHECK_CA_FILE (a CA bundle for
# a private CA).
set -uo pipefail

URL=${1:-}
TOKEN=${2:-}
TIMEOUT=${CHECK_TIMEOUT:-10}
CA_ARGS=()
[ -n "${CHECK_CA_FILE:-}" ] && CA_ARGS=(--cacert "$CHECK_CA_FILE")
PROTOCOL=2025-06-18
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

ok() { printf '  ok      %-15s %s\n' "$1" "$2"; }
warn() { printf '  warning %-15s %s\n' "$1" "$2"; }
fail() {
	printf '  FAILED  %-15s %s\n' "$1" "$2"
	printf '          likely fix: %s\n' "$3"
	exit 1
}

[ -n "$URL" ] && [ -n "$TOKEN" ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ ${#TOKEN} -le 16384 ] || { echo "check-connection: the token is longer than 16384 characters" >&2; exit 2; }
for tool in curl python3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "check-connection: $tool is missing" >&2; exit 2; }
done

# Splits URL into SCHEME, HOST, PORT and ORIGIN; refuses what is not an http(s) URL.
parse_url() {
	local rest hostport
	case "$URL" in
		http://*) SCHEME=http; rest=${URL#http://}; PORT=80 ;;
		https://*) SCHEME=https; rest=${URL#https://}; PORT=443 ;;
		*) fail url "$URL is not an http:// or https:// URL" "use the URL from select mcp_supa.mcp_url() (it ends in /mcp)" ;;
	esac
	hostport=${rest%%/*}
	if [[ $hostport == \[*\]* ]]; then
		HOST=${hostport%%]*}; HOST=${HOST#[}
		[[ $hostport == *\]:* ]] && PORT=${hostport##*]:}
	else
		HOST=${hostport%%:*}
		[[ $hostport == *:* ]] && PORT=${hostport##*:}
	fi
	[[ $PORT =~ ^[0-9]+$ ]] || fail url "bad port in $URL" "write the URL as http(s)://host:port/mcp"
	ORIGIN="$SCHEME://$hostport"
	[[ $rest == */* ]] || warn url "$URL has no path: MCP is served at /mcp"
}

# DNS: the host name resolves (an address literal needs no lookup).
check_dns() {
	if [[ $HOST =~ ^[0-9.]+$ || $HOST == *:* ]]; then
		ok dns "$HOST is an address"
		return
	fi
	local addrs
	addrs=$(getent ahosts "$HOST" 2>/dev/null | awk '{ print $1 }' | sort -u | tr '\n' ' ')
	[ -n "$addrs" ] || fail dns "$HOST does not resolve" \
		"check the spelling and DNS; inside Docker use the service name (db, kong), from the host use the published address"
	ok dns "$HOST -> $addrs"
}

# TCP: something accepts connections on the port.
check_tcp() {
	if ! timeout "$TIMEOUT" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$PORT" 2>/dev/null; then
		fail tcp "nothing accepts connections on $HOST port $PORT" \
			"is PostgreSQL running with shared_preload_libraries = 'mcp_supa'? Compare mcp_supa.listen_addresses and mcp_supa.port (SHOW them), firewalls, and the published port (docker-compose.mcp-port.yml) or the proxy's port"
	fi
	ok tcp "$HOST port $PORT accepts connections"
}

# TLS: for https, the certificate verifies for this host name (plain http skips this step).
check_tls() {
	if [ "$SCHEME" = http ]; then
		ok tls "skipped (http: nothing is encrypted; use https beyond a trusted network)"
		return
	fi
	local err
	if ! err=$(curl -sS -o /dev/null --max-time "$TIMEOUT" "${CA_ARGS[@]}" "$ORIGIN/" 2>&1); then
		case "$err" in
			*"SSL certificate"* | *"certificate"* | *"self-signed"* | *"self signed"*)
				fail tls "$err" "the certificate does not verify for $HOST: use one from a CA the client trusts (or CHECK_CA_FILE=<ca.pem> for a private CA), issued for $HOST, with its chain after it in mcp_supa.tls_cert_file" ;;
			*) fail tls "$err" "the server does not speak TLS here: use http://, or set mcp_supa.tls_cert_file and mcp_supa.tls_key_file (or terminate TLS in the proxy)" ;;
		esac
	fi
	ok tls "certificate verifies for $HOST"
}

# /health: the gateway answers at the URL's origin (a proxy may route only /mcp: a warning).
check_health() {
	local code
	code=$(curl -sS -o "$WORK/health" -w '%{http_code}' --max-time "$TIMEOUT" "${CA_ARGS[@]}" "$ORIGIN/health" 2>"$WORK/err")
	if [ "$code" = 200 ] && grep -q '"status"' "$WORK/health"; then
		ok health "$(head -c 200 "$WORK/health")"
	elif [ "$code" = 404 ]; then
		warn health "$ORIGIN/health answers 404: a proxy that routes only /mcp (Kong's route does), or not mcp_supa's port"
	else
		fail health "GET $ORIGIN/health answered ${code:-nothing} $(head -c 200 "$WORK/err")" \
			"the port answers but is not mcp_supa's gateway: check mcp_supa.port, and the proxy's upstream (http://db:8432)"
	fi
}

# POSTs the JSON-RPC body $2 to URL with the token; writes headers and body to $WORK/$1.*.
post() {
	local name=$1 body=$2
	shift 2
	curl -sS -D "$WORK/$name.headers" -o "$WORK/$name.body" -w '%{http_code}' --max-time "$TIMEOUT" \
		"${CA_ARGS[@]}" -X POST "$URL" -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		"$@" --data-binary "$body" 2>"$WORK/err"
}

# The JSON-RPC message of a response body: the body itself, or the data of its SSE event.
message() {
	python3 - "$WORK/$1.body" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
if not text.lstrip().startswith("{"):
    text = "\n".join(l[5:].strip() for l in text.splitlines() if l.startswith("data:"))
try:
    print(json.dumps(json.loads(text)))
except ValueError:
    print("{}")
PY
}

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"'$PROTOCOL'","capabilities":{},"clientInfo":{"name":"check-connection.sh","version":"1"}}}'

# Authentication and initialize: the token is accepted and the server answers as MCP.
check_initialize() {
	local code detail msg
	code=$(post init "$INIT")
	detail=$(grep -i '^www-authenticate:' "$WORK/init.headers" | head -n 1 | tr -d '\r')
	case "$code" in
		401 | 403)
			fail auth "the server refused the token ($code) ${detail:-$(head -c 200 "$WORK/init.body")}" \
				"a JWT must be signed with the stack's JWT_SECRET (mcp_supa.jwt_secret) and unexpired, its role in mcp_supa.allowed_roles (and aud matching mcp_supa.jwt_audience); an API key must be active (mcp_supa.api_keys)" ;;
		429) fail auth "rate limited (429)" "wait for Retry-After, or raise the rate limits (docs/configuration.md)" ;;
		404) fail auth "POST $URL answered 404" "the path is wrong: MCP is at /mcp (through Kong: <SUPABASE_PUBLIC_URL>/mcp with the route of docker/kong-mcp.yml)" ;;
		200) ok auth "token accepted" ;;
		*) fail auth "POST $URL answered ${code:-nothing} $(head -c 200 "$WORK/err" "$WORK/init.body" 2>/dev/null)" \
			"a proxy in between may refuse the request (Kong's key-auth must not guard /mcp: docs/deploy.md)" ;;
	esac
	msg=$(message init)
	SESSION=$(grep -i '^mcp-session-id:' "$WORK/init.headers" | head -n 1 | cut -d: -f2- | tr -d ' \r')
	if ! printf '%s' "$msg" | python3 -c 'import json,sys; m=json.load(sys.stdin); sys.exit(0 if "protocolVersion" in m.get("result",{}) else 1)'; then
		fail initialize "no initialize result: $(printf '%s' "$msg" | head -c 300)" \
			"the server is not speaking MCP at this URL, or a proxy buffers or rewrites the answer (disable response buffering: docs/deploy.md)"
	fi
	[ -n "$SESSION" ] || fail initialize "no Mcp-Session-Id header in the answer" \
		"a proxy drops response headers: pass Mcp-Session-Id through (docs/deploy.md)"
	ok initialize "$(printf '%s' "$msg" | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; print("protocol", r["protocolVersion"] + ",", "server", r.get("serverInfo",{}).get("name","?"), r.get("serverInfo",{}).get("version",""))')"
}

# tools/list: the session works and lists the tools this token may call.
check_tools() {
	local code msg
	post initialized '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
		-H "Mcp-Session-Id: $SESSION" -H "MCP-Protocol-Version: $PROTOCOL" >/dev/null
	code=$(post tools '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' \
		-H "Mcp-Session-Id: $SESSION" -H "MCP-Protocol-Version: $PROTOCOL")
	msg=$(message tools)
	if [ "$code" != 200 ] || ! printf '%s' "$msg" | python3 -c 'import json,sys; m=json.load(sys.stdin); sys.exit(0 if isinstance(m.get("result",{}).get("tools"), list) else 1)'; then
		fail tools/list "answered ${code:-nothing}: $(printf '%s' "$msg" | head -c 300)" \
			"a proxy may not keep the session (pass the Mcp-Session-Id header through, one upstream), or the server restarted between requests"
	fi
	ok tools/list "$(printf '%s' "$msg" | python3 -c 'import json,sys; t=json.load(sys.stdin)["result"]["tools"]; print(len(t), "tools:", ", ".join(x["name"] for x in t)[:300])')"
	post close '' -X DELETE -H "Mcp-Session-Id: $SESSION" >/dev/null || true
}

echo "check-connection: $URL"
parse_url
check_dns
check_tcp
check_tls
check_health
check_initialize
check_tools
echo "check-connection: all steps passed: an MCP client can use this URL with this token"
