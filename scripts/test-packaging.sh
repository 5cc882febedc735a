#!/usr/bin/env bash
# The packaging layer of the test command (docs/testing.md, "Packaging"): docker/ without an
# engine (the image's build steps run on this Debian, the Compose override merged with a
# Supabase-shaped compose file and validated, deploy.sh run twice and dry, the Kong route
# parsed), the Debian package (built, installed with dpkg into a clean root-owned prefix, a
# cluster started from the installed files answering /health and a tool call), the client
# templates and mcp_supa.client_config() checked against each client's documented shape, and
# scripts/check-connection.sh against that cluster (passing, and failing where it must).
# Ends with "packaging: N passed, N failed, N skipped".
# Environment: PG_CONFIG (the PostgreSQL to build for and to copy into the prefix),
# MCP_SUPA_DEB (a built package to test instead of running make deb).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
pg_env

PASS=0
FAIL=0
SKIP=0
WORK=$(mktemp -d /tmp/mcp_supa_packaging.XXXXXX)
chmod 755 "$WORK"
FIXTURE=test/packaging/fixtures/supabase-docker
PKG_PG_PORT=""
PREFIX="$WORK/prefix"

# Runs one check: "$1" names it, the rest is the command. Its output is shown when it fails,
# or always after --show.
check() {
	local show=0 name log
	[ "$1" = --show ] && { show=1; shift; }
	name=$1
	shift
	log="$WORK/log.$((PASS + FAIL + SKIP))"
	if "$@" >"$log" 2>&1; then
		echo "ok      $name"
		[ "$show" = 1 ] && sed 's/^/        | /' "$log"
		PASS=$((PASS + 1))
	else
		echo "FAILED  $name"
		sed 's/^/        | /' "$log" | tail -n 40
		FAIL=$((FAIL + 1))
	fi
}

skip() {
	echo "skipped $1: $2"
	SKIP=$((SKIP + 1))
}

# A loopback port nobody listens on now, below 32768 like the e2e harness's (helpers and CI
# jobs pick at random, so they rarely collide).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# A digest of every file (names, contents, modes) under a folder: equal digests, no change.
tree_digest() { (cd "$1" && find . -type f -printf '%p %m\n' -exec sha256sum {} \; | sort | sha256sum); }

# ---- docker/: the image's build steps, on this machine -------------------------------------
build_extension_here() {
	bash docker/build-extension.sh --pg-config "$PG_CONFIG" --stage "$WORK/stage"
}

# The Dockerfile builds FROM the tag Supabase pins, and everything it copies exists.
dockerfile_consistent() {
	local tag src
	tag=$(sed -n 's/^ARG SUPABASE_POSTGRES_TAG=//p' docker/Dockerfile)
	[ "$tag" = 15.8.1.085 ] || { echo "default tag is '$tag'"; return 1; }
	grep -q "image: supabase/postgres:$tag" "$FIXTURE/docker-compose.yml" || { echo "fixture pins another tag"; return 1; }
	[ "$(grep -c '^FROM supabase/postgres:${SUPABASE_POSTGRES_TAG}' docker/Dockerfile)" = 2 ] ||
		{ echo "both stages must be FROM supabase/postgres:\${SUPABASE_POSTGRES_TAG}"; return 1; }
	grep -q '^COPY --from=build /stage/ /$' docker/Dockerfile || { echo "the final stage must copy only the staging folder"; return 1; }
	for src in $(awk '/^COPY / && !/--from/ { for (i = 2; i < NF; i++) print $i }' docker/Dockerfile); do
		[ -e "$src" ] || { echo "COPY source $src does not exist"; return 1; }
	done
	grep -q '^RUN bash docker/build-extension.sh' docker/Dockerfile || { echo "the build stage must run build-extension.sh"; return 1; }
	echo "Dockerfile: FROM supabase/postgres:$tag (build and final stages), every COPY source exists"
}

# mcp-supa-conf.sh extends both lists, keeps the rest of each file, and is idempotent.
conf_lists_extended() {
	local d=$WORK/conf
	mkdir -p "$d"
	cp test/packaging/fixtures/image/postgresql.conf test/packaging/fixtures/image/supautils.conf "$d/"
	chmod 640 "$d/supautils.conf"
	bash docker/mcp-supa-conf.sh preload "$d/postgresql.conf"
	bash docker/mcp-supa-conf.sh privileged "$d/supautils.conf"
	grep -qx "shared_preload_libraries = 'pg_stat_statements, pgaudit, plpgsql, plpgsql_check, pg_cron, pg_net, pgsodium, timescaledb, auto_explain, pg_tle, plan_filter, supabase_vault, mcp_supa'	# (change requires restart)" "$d/postgresql.conf" ||
		{ echo "preload list not extended as expected:"; grep shared_preload "$d/postgresql.conf"; return 1; }
	grep -q "^supautils.privileged_extensions = 'address_standardizer, .*, wrappers, mcp_supa'$" "$d/supautils.conf" ||
		{ echo "privileged list not extended:"; grep privileged_extensions "$d/supautils.conf"; return 1; }
	[ "$(diff test/packaging/fixtures/image/postgresql.conf "$d/postgresql.conf" | grep -c '^[<>]')" = 2 ] ||
		{ echo "more than the one line changed"; return 1; }
	[ "$(stat -c %a "$d/supautils.conf")" = 640 ] || { echo "mode not kept"; return 1; }
	local before
	before=$(tree_digest "$d")
	bash docker/mcp-supa-conf.sh preload "$d/postgresql.conf" | grep -q 'already lists' || return 1
	bash docker/mcp-supa-conf.sh privileged "$d/supautils.conf" | grep -q 'already lists' || return 1
	[ "$before" = "$(tree_digest "$d")" ] || { echo "a second run changed the files"; return 1; }
	grep -E "shared_preload_libraries|privileged_extensions =" "$d"/*.conf
}

# The entry point extends the volume's supautils.conf, then hands over its arguments as they are.
entrypoint_hands_over() {
	local d=$WORK/entry
	mkdir -p "$d/bin"
	cp test/packaging/fixtures/image/supautils.conf "$d/"
	cp docker/mcp-supa-conf.sh "$d/bin/mcp-supa-conf.sh"
	# The image's own entry point, as a recorder: it writes the arguments it got.
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/args"\n' "$d" >"$d/bin/docker-entrypoint.sh"
	chmod +x "$d/bin/"*
	PATH="$d/bin:$PATH" MCP_SUPA_SUPAUTILS_CONF="$d/supautils.conf" \
		bash docker/mcp-supa-entrypoint.sh postgres -c 'config_file=/etc/postgresql/postgresql.conf' -c 'x=a b'
	printf 'postgres\n-c\nconfig_file=/etc/postgresql/postgresql.conf\n-c\nx=a b\n' | cmp - "$d/args" ||
		{ echo "arguments changed on the way:"; cat "$d/args"; return 1; }
	grep -q "mcp_supa'$" "$d/supautils.conf" || { echo "supautils.conf not extended"; return 1; }
}

# ---- docker/deploy.sh against a Supabase-shaped folder --------------------------------------
deploy_refuses() {
	local d=$WORK/not-supabase out
	mkdir -p "$d"
	echo "services: {web: {image: nginx}}" >"$d/docker-compose.yml"
	if out=$(bash docker/deploy.sh "$d" 2>&1); then echo "accepted a non-Supabase folder"; return 1; fi
	echo "$out" | grep -q "does not look like Supabase's" || { echo "unclear refusal: $out"; return 1; }
	[ ! -e "$d/docker-compose.mcp.yml" ] || { echo "wrote into a refused folder"; return 1; }
	echo "refused: $out"
	cp -r "$FIXTURE" "$WORK/no-secret"
	sed -i '/^JWT_SECRET=/d' "$WORK/no-secret/.env"
	if out=$(bash docker/deploy.sh "$WORK/no-secret" 2>&1); then echo "accepted a .env without JWT_SECRET"; return 1; fi
	echo "$out" | grep -q "JWT_SECRET" || { echo "unclear refusal: $out"; return 1; }
	echo "refused: $out"
}

deploy_dry_run() {
	cp -r "$FIXTURE" "$WORK/supabase"
	local before
	before=$(tree_digest "$WORK/supabase")
	bash docker/deploy.sh --dry-run "$WORK/supabase" >"$WORK/dry.out" || { cat "$WORK/dry.out"; return 1; }
	cat "$WORK/dry.out"
	[ "$before" = "$(tree_digest "$WORK/supabase")" ] || { echo "--dry-run changed the folder"; return 1; }
	grep -q '^would: add the /mcp route' "$WORK/dry.out"
}

deploy_twice() {
	local first second
	bash docker/deploy.sh "$WORK/supabase" >"$WORK/deploy1.out" || { cat "$WORK/deploy1.out"; return 1; }
	cat "$WORK/deploy1.out"
	first=$(tree_digest "$WORK/supabase")
	bash docker/deploy.sh "$WORK/supabase" >"$WORK/deploy2.out" || { cat "$WORK/deploy2.out"; return 1; }
	second=$(tree_digest "$WORK/supabase")
	[ "$first" = "$second" ] || { echo "the second run changed the folder"; return 1; }
	grep -q 'already has mcp_supa: nothing to change' "$WORK/deploy2.out" || return 1
	grep -q 'docker compose -f docker-compose.yml -f docker-compose.mcp.yml up -d --build' "$WORK/deploy2.out" || return 1
	# The mcp.json it prints is valid JSON for the deployment's public URL.
	sed -n '/^{/,/^}/p' "$WORK/deploy2.out" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
url = doc["mcpServers"]["supabase"]["url"]
assert url == "http://localhost:8000/mcp", url
print("mcp.json printed for", url)'
}

# ---- the Compose override, merged and validated ---------------------------------------------
compose_merged() {
	local s=$WORK/supabase
	python3 test/packaging/check_compose.py "$s" docker-compose.yml || return 1
	python3 test/packaging/check_compose.py "$s" docker-compose.yml docker-compose.mcp.yml || return 1
	cp docker/docker-compose.mcp-port.yml "$s/"
	python3 test/packaging/check_compose.py "$s" docker-compose.yml docker-compose.mcp.yml \
		docker-compose.mcp-port.yml --expect-port 127.0.0.1:8432 || return 1
	rm -f "$s/docker-compose.mcp-port.yml"
	# The check can fail: a misspelt key in an override is refused.
	sed 's/^    command:/    comand:/' docker/docker-compose.mcp.yml >"$s/broken.yml"
	if python3 test/packaging/check_compose.py "$s" docker-compose.yml broken.yml >"$WORK/broken.out" 2>&1; then
		echo "a misspelt override passed"; return 1
	fi
	grep -q "Additional properties are not allowed ('comand'" "$WORK/broken.out" || { cat "$WORK/broken.out"; return 1; }
	rm -f "$s/broken.yml"
	echo "a misspelt override is refused: $(grep -m1 'Additional properties' "$WORK/broken.out")"
}

kong_route() {
	local k=$WORK/supabase/volumes/api/kong.yml
	python3 test/packaging/check_kong.py "$k" "$k.before-mcp_supa" || return 1
	python3 test/packaging/check_kong.py "$k" "$k.before-mcp_supa" --expanded || return 1
	! grep -n '["$`]' docker/kong-mcp.yml || { echo "the snippet must survive Kong's shell expansion"; return 1; }
	! python3 test/packaging/check_kong.py "$k.before-mcp_supa" "$k.before-mcp_supa" >/dev/null ||
		{ echo "the check passes a file without the route"; return 1; }
}

# ---- client templates ----------------------------------------------------------------------
client_templates() {
	python3 test/packaging/check_clients.py templates docs/clients &&
		python3 test/packaging/check_clients.py cross docs/clients
}

# ---- the Debian package --------------------------------------------------------------------
deb_built() {
	if [ -n "${MCP_SUPA_DEB:-}" ]; then DEB=$MCP_SUPA_DEB; else DEB=$(MCP_SUPA_DEB_REUSE_OBJECTS=${MCP_SUPA_DEB_REUSE_OBJECTS:-1} bash scripts/build-deb.sh "$WORK/deb" | tail -n 1); fi
	[ -f "$DEB" ] || return 1
	[[ $(basename "$DEB") =~ ^postgresql-15-mcp-supa_[0-9.]+(-[0-9]+)?_[a-z0-9]+\.deb$ ]] || { echo "bad name $DEB"; return 1; }
	local depends files
	depends=$(dpkg-deb -f "$DEB" Depends)
	echo "Depends: $depends"
	for d in postgresql-15 libwebsockets libssl3 libstdc++6 libc6; do
		echo "$depends" | grep -q "$d" || { echo "Depends lacks $d"; return 1; }
	done
	files=$(dpkg-deb -c "$DEB" | awk '{ print $6 }')
	for f in ./usr/lib/postgresql/15/lib/mcp_supa.so ./usr/lib/postgresql/15/lib/mcp_supa_gateway \
		./usr/share/postgresql/15/extension/mcp_supa.control ./usr/share/postgresql/15/extension/mcp_supa--0.1.0.sql; do
		echo "$files" | grep -qx "$f" || { echo "the package lacks $f"; return 1; }
	done
	echo "$DEB: $(echo "$files" | grep -c '[^/]$') files"
}

# Installs the package with dpkg into a clean root-owned prefix that holds a copy of the
# PostgreSQL server (without any mcp_supa file): what runs later comes from the package.
deb_installed() {
	local bindir sharedir
	bindir=$("$PG_CONFIG" --bindir)
	sharedir=$("$PG_CONFIG" --sharedir)
	mkdir -p "$PREFIX/usr/lib/postgresql/15" "$PREFIX/usr/share/postgresql/15" "$PREFIX/var/lib/dpkg/info" \
		"$PREFIX/var/lib/dpkg/updates"
	touch "$PREFIX/var/lib/dpkg/status"
	cp -a "$(dirname "$bindir")/." "$PREFIX/usr/lib/postgresql/15/"
	cp -a "$sharedir/." "$PREFIX/usr/share/postgresql/15/"
	rm -f "$PREFIX"/usr/lib/postgresql/15/lib/mcp_supa* "$PREFIX"/usr/share/postgresql/15/extension/mcp_supa*
	chown -R root:root "$PREFIX"
	dpkg --root="$PREFIX" --force-depends -i "$DEB" || return 1
	dpkg --root="$PREFIX" -L postgresql-15-mcp-supa | grep -E 'mcp_supa(\.so|_gateway|\.control)$'
	[ -x "$PREFIX/usr/lib/postgresql/15/lib/mcp_supa_gateway" ]
}

# The image's final check (docker/smoke-test.sh) on the prefix: the package loads.
smoke_test_prefix() {
	bash docker/smoke-test.sh "$PREFIX/usr/lib/postgresql/15/bin" "$(free_port)" "$(free_port)"
}

# Starts a cluster from the prefix's binaries and the package's files, with Supabase's roles.
deb_cluster_started() {
	local bin=$PREFIX/usr/lib/postgresql/15/bin data=$WORK/pkgdata
	JWT_SECRET=$(openssl rand -hex 32)
	PKG_PG_PORT=$(free_port)
	PKG_MCP_PORT=$(free_port)
	mkdir -p "$data"
	chown_to_pg_user "$data"
	as_pg_user "$bin/initdb" -D "$data/db" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null || return 1
	cat >>"$data/db/postgresql.conf" <<-CONF
		port = $PKG_PG_PORT
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$data'
		shared_preload_libraries = 'mcp_supa'
		mcp_supa.port = $PKG_MCP_PORT
		mcp_supa.jwt_secret = '$JWT_SECRET'
	CONF
	as_pg_user "$bin/pg_ctl" -D "$data/db" -l "$data/log" -w -t 60 start >/dev/null || { tail -n 30 "$data/log"; return 1; }
	for f in scripts/supabase/00_roles.sql scripts/supabase/01_auth.sql; do
		"$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PKG_PG_PORT" -U postgres -d postgres -f "$f" >/dev/null || return 1
	done
	"$bin/psql" -X -At -h 127.0.0.1 -p "$PKG_PG_PORT" -U postgres -d postgres \
		-c 'create extension mcp_supa' -c 'select mcp_supa.version()' -c "select setting from pg_settings where name = 'dynamic_library_path'" || return 1
	# The library and the gateway that run are the package's, in the prefix.
	grep -q "$PREFIX/usr/lib/postgresql/15/lib/mcp_supa.so" "/proc/$(head -n 1 "$data/db/postmaster.pid")/maps" ||
		{ echo "postgres did not load the prefix's library"; return 1; }
}

deb_health_and_tool_call() {
	local url="http://127.0.0.1:$PKG_MCP_PORT" token
	for _ in $(seq 1 100); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
	curl -sf "$url/health" | tee "$WORK/health" | grep -q '"version":"0.1.0"' || { cat "$WORK/health"; return 1; }
	echo
	token=$(make_jwt '{"role":"service_role","iat":1700000000,"exp":4102444800}')
	SERVICE_TOKEN=$token
	# The gateway of this cluster (the postmaster's grandchild) runs the prefix's program.
	local pid found=""
	for pid in $(pgrep -x mcp_supa_gatewa); do
		[ "$(readlink "/proc/$pid/exe")" = "$PREFIX/usr/lib/postgresql/15/lib/mcp_supa_gateway" ] && found=$pid
	done
	[ -n "$found" ] || { echo "no gateway runs the package's program"; return 1; }
	echo "gateway PID $found runs $(readlink "/proc/$found/exe")"
	curl -s -D "$WORK/h" -o /dev/null -X POST "$url/mcp" -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test-packaging","version":"1"}}}'
	local sid
	sid=$(grep -i '^mcp-session-id:' "$WORK/h" | cut -d: -f2- | tr -d ' \r')
	[ -n "$sid" ] || { cat "$WORK/h"; return 1; }
	curl -s -X POST "$url/mcp" -H "Authorization: Bearer $token" -H "Mcp-Session-Id: $sid" \
		-H 'MCP-Protocol-Version: 2025-06-18' -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' \
		-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute_sql","arguments":{"query":"select current_user as who, 6 * 7 as answer"}}}' >"$WORK/call"
	python3 - "$WORK/call" <<-'PY'
		import json, sys
		text = open(sys.argv[1]).read()
		if not text.lstrip().startswith("{"):
		    text = "\n".join(l[5:] for l in text.splitlines() if l.startswith("data:"))
		result = json.loads(text)["result"]
		rows = json.dumps(result["structuredContent"])
		assert not result.get("isError"), result
		assert '"service_role"' in rows and "42" in rows, rows
		print("execute_sql ran as the token's role:", rows[:200])
	PY
}

# mcp_supa.client_config() of the installed package: each client's output has its shape and
# this server's URL.
deb_client_config() {
	local bin=$PREFIX/usr/lib/postgresql/15/bin c
	mkdir -p "$WORK/configs"
	for c in claude-code cursor vscode windsurf claude-desktop generic; do
		"$bin/psql" -X -At -h 127.0.0.1 -p "$PKG_PG_PORT" -U postgres -d postgres \
			-c "select mcp_supa.client_config('$c', 'tok.en.value')" >"$WORK/configs/$c.json" || return 1
		grep -q "http://127.0.0.1:$PKG_MCP_PORT/mcp\|ws://127.0.0.1:$PKG_MCP_PORT/mcp" "$WORK/configs/$c.json" ||
			{ echo "$c: not this server's URL"; cat "$WORK/configs/$c.json"; return 1; }
	done
	python3 test/packaging/check_clients.py outputs "$WORK/configs"
}

check_connection_passes() {
	bash scripts/check-connection.sh "http://127.0.0.1:$PKG_MCP_PORT/mcp" "$SERVICE_TOKEN" || return 1
}

# Each failure stops at the right step, with its fix.
check_connection_fails() {
	local out bad_token
	bad_token=$(JWT_SECRET=not-the-secret-of-this-server-0123456789 make_jwt '{"role":"service_role","exp":4102444800}')
	if out=$(bash scripts/check-connection.sh "http://127.0.0.1:$PKG_MCP_PORT/mcp" "$bad_token"); then
		echo "a token signed with another secret passed"; return 1
	fi
	echo "$out"
	echo "$out" | grep -q 'FAILED  auth' && echo "$out" | grep -q 'likely fix: a JWT must be signed' || return 1
	if out=$(bash scripts/check-connection.sh "http://127.0.0.1:$PKG_PG_PORT/mcp" "$SERVICE_TOKEN"); then
		echo "PostgreSQL's own port passed as MCP"; return 1
	fi
	echo "$out"
	echo "$out" | grep -q 'FAILED  health' || return 1
	if out=$(bash scripts/check-connection.sh "https://127.0.0.1:$PKG_MCP_PORT/mcp" "$SERVICE_TOKEN"); then
		echo "https against a plain-http port passed"; return 1
	fi
	echo "$out"
	echo "$out" | grep -q 'FAILED  tls' || return 1
}

deb_cluster_stop() {
	[ -n "$PKG_PG_PORT" ] && [ -f "$WORK/pkgdata/db/postmaster.pid" ] &&
		as_pg_user "$PREFIX/usr/lib/postgresql/15/bin/pg_ctl" -D "$WORK/pkgdata/db" -m fast -w stop >/dev/null 2>&1
	return 0
}
trap deb_cluster_stop EXIT

step "packaging: docker/ (no engine)"
check "docker: build-extension.sh builds, stages and bundles on $(. /etc/os-release && echo "$PRETTY_NAME")" build_extension_here
# Empty when buildah can build here (root, buildah and debootstrap installed, and a container
# can be made and mounted); otherwise why not, on stdout, and false.
buildah_usable() {
	local c
	[ "$(id -u)" -eq 0 ] || { echo "needs root"; return 1; }
	for tool in buildah debootstrap; do
		command -v "$tool" >/dev/null || { echo "$tool is missing (scripts/install-deps.sh installs it)"; return 1; }
	done
	c=$(STORAGE_DRIVER=vfs buildah from scratch 2>&1) || { echo "buildah cannot make a container here: ${c##*$'\n'}"; return 1; }
	if ! STORAGE_DRIVER=vfs buildah mount "$c" >/dev/null 2>&1; then
		STORAGE_DRIVER=vfs buildah rm "$c" >/dev/null 2>&1
		echo "buildah cannot mount a container here"
		return 1
	fi
	STORAGE_DRIVER=vfs buildah umount "$c" >/dev/null 2>&1
	STORAGE_DRIVER=vfs buildah rm "$c" >/dev/null 2>&1
}

check "docker: Dockerfile FROM supabase/postgres:15.8.1.085, COPY sources exist" dockerfile_consistent
check "docker: mcp-supa-conf.sh extends shared_preload_libraries and privileged_extensions, idempotent" conf_lists_extended
check "docker: the entry point extends supautils.conf and hands over its arguments" entrypoint_hands_over
check "deploy.sh refuses a folder that is not Supabase's, and a .env without JWT_SECRET" deploy_refuses
check "deploy.sh --dry-run changes nothing" deploy_dry_run
check "deploy.sh twice: the second run changes nothing" deploy_twice
check --show "compose: override merged with a Supabase-shaped file, valid (name: included), db as required" compose_merged
check "kong: route parsed, also after Kong's shell expansion; no key-auth, no buffering" kong_route
if [ "${MCP_SUPA_IMAGE_TEST:-1}" = 0 ]; then
	skip "docker: buildah image build" "MCP_SUPA_IMAGE_TEST=0"
elif ! why=$(buildah_usable); then
	skip "docker: buildah image build" "$why"
else
	check --show "docker: buildah builds docker/Dockerfile on a stand-in base (scripts/test-image.sh)" \
		bash scripts/test-image.sh "$WORK/image"
fi
step "packaging: clients"
check "clients: each template has its client's documented shape, and only its own" client_templates
step "packaging: the Debian package"
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	skip "deb" "dpkg-dev or debhelper missing (scripts/install-deps.sh installs them)"
elif [ "$(id -u)" -ne 0 ]; then
	skip "deb" "installing into a root-owned prefix needs root"
else
	check --show "deb: make deb builds postgresql-15-mcp-supa with its runtime dependencies" deb_built
	if [ -n "${DEB:-}" ] && [ -f "$DEB" ]; then
		check "deb: dpkg installs it into a clean root-owned prefix" deb_installed
		check "docker: smoke-test.sh (the image's last build step) passes on the installed package" smoke_test_prefix
		check "deb: a cluster starts from the installed files" deb_cluster_started
		check "deb: /health and a tool call (execute_sql as the token's role)" deb_health_and_tool_call
		check "clients: mcp_supa.client_config() output has each client's shape and this server's URL" deb_client_config
		check --show "check-connection.sh passes every step against the cluster" check_connection_passes
		check --show "check-connection.sh fails at auth, /health and TLS with the likely fix" check_connection_fails
	fi
fi
deb_cluster_stop
echo "packaging: $PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" -eq 0 ] && rm -rf "$WORK"
[ "$FAIL" -eq 0 ]
