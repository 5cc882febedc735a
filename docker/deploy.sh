#!/usr/bin/env bash
# Adds mcp_supa to a self-hosted Supabase stack (Supabase's docker/ folder): copies the
# Compose override next to its docker-compose.yml, adds the /mcp route to Kong's kong.yml,
# adds the MCP_SUPA_* values to its .env (the JWT secret and anon key already there are used
# as they are), then prints the command to run and an mcp.json for the deployment.
# Idempotent: a second run changes nothing. Refuses a folder that is not Supabase's.
#   bash docker/deploy.sh [--dry-run] [--publish-port] <supabase docker folder>
#     --dry-run        say what would change, change nothing
#     --publish-port   also publish the MCP port on the host (docker-compose.mcp-port.yml)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$SRC/scripts/lib.sh"

DRY_RUN=0
PUBLISH=0
TARGET=""
BEGIN_MARK="# >>> mcp_supa route (added by mcp_supa's docker/deploy.sh)"
END_MARK="# <<< mcp_supa route"

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }

# Reads the command line into DRY_RUN, PUBLISH and TARGET.
parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
			--dry-run) DRY_RUN=1 ;;
			--publish-port) PUBLISH=1 ;;
			-h | --help) usage; exit 0 ;;
			-*) die "unknown option $1 (see --help)" ;;
			*) [ -z "$TARGET" ] || die "one folder only (see --help)"; TARGET=$1 ;;
		esac
		shift
	done
	[ -n "$TARGET" ] || { usage >&2; exit 2; }
}

# The value of KEY in the folder's .env (last assignment, quotes removed), or nothing.
env_value() {
	sed -n "s/^$1=//p" "$TARGET/.env" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

# Refuses, naming what is missing, a folder that does not look like Supabase's docker/ folder.
check_folder() {
	[ -d "$TARGET" ] || die "$TARGET is not a folder"
	TARGET=$(cd "$TARGET" && pwd)
	local why="does not look like Supabase's self-hosted docker/ folder (git clone https://github.com/supabase/supabase; cd supabase/docker)"
	[ -f "$TARGET/docker-compose.yml" ] || die "$TARGET $why: no docker-compose.yml"
	grep -qE '^[[:space:]]+image:[[:space:]]*supabase/postgres:' "$TARGET/docker-compose.yml" ||
		die "$TARGET $why: docker-compose.yml runs no supabase/postgres image"
	grep -qE '^[[:space:]]+db:' "$TARGET/docker-compose.yml" || die "$TARGET $why: docker-compose.yml has no db service"
	[ -f "$TARGET/volumes/api/kong.yml" ] || die "$TARGET $why: no volumes/api/kong.yml"
	grep -q '^services:' "$TARGET/volumes/api/kong.yml" || die "$TARGET/volumes/api/kong.yml has no services: list"
	[ -f "$TARGET/.env" ] || die "$TARGET has no .env: copy .env.example to .env and set its secrets first"
	[ -n "$(env_value JWT_SECRET)" ] || die "$TARGET/.env sets no JWT_SECRET"
	[ "$(env_value JWT_SECRET | wc -c)" -gt 32 ] || die "$TARGET/.env: JWT_SECRET is shorter than 32 characters (mcp_supa refuses it)"
	[ -n "$(env_value ANON_KEY)" ] || die "$TARGET/.env sets no ANON_KEY"
	TAG=$(sed -n 's/^[[:space:]]*image:[[:space:]]*supabase\/postgres:\([^[:space:]]*\).*/\1/p' "$TARGET/docker-compose.yml" | head -n 1)
}

CHANGES=0
# Says what changes; in a dry run that is all it does.
change() {
	CHANGES=$((CHANGES + 1))
	if [ "$DRY_RUN" = 1 ]; then echo "would: $*"; else echo "deploy: $*"; fi
}

# Copies one of our files into the folder when it is missing or differs.
install_file() {
	local name=$1
	if ! cmp -s "$HERE/$name" "$TARGET/$name"; then
		change "copy $name into $TARGET"
		[ "$DRY_RUN" = 1 ] || cp "$HERE/$name" "$TARGET/$name"
	fi
}

# Inserts docker/kong-mcp.yml as the first entry of kong.yml's services: list, between markers,
# with the list's own indentation. Keeps the original once as kong.yml.before-mcp_supa.
add_kong_route() {
	local kong="$TARGET/volumes/api/kong.yml" indent tmp
	grep -qF "$BEGIN_MARK" "$kong" && return 0
	change "add the /mcp route to volumes/api/kong.yml"
	[ "$DRY_RUN" = 1 ] && return 0
	[ -f "$kong.before-mcp_supa" ] || cp -p "$kong" "$kong.before-mcp_supa"
	indent=$(awk '/^services:/ { s = 1; next } s && /^[[:space:]]*- / { match($0, /^[[:space:]]*/); print RLENGTH; exit }' "$kong")
	tmp=$(mktemp)
	# The snippet is written for a list indented by two spaces: re-indent it to the list's.
	awk -v snippet="$HERE/kong-mcp.yml" -v indent="${indent:-2}" -v begin="$BEGIN_MARK" -v end="$END_MARK" '
		{ print }
		/^services:/ && !done {
			pad = sprintf("%*s", indent, "")
			print pad begin
			while ((getline line < snippet) > 0) { sub(/^  /, "", line); print pad line }
			print pad end
			done = 1
		}' "$kong" >"$tmp"
	cat "$tmp" >"$kong"
	rm -f "$tmp"
}

# Appends KEY=value to .env unless KEY is already set there (the operator's value stays).
add_env() {
	local key=$1 value=$2
	grep -qE "^$key=" "$TARGET/.env" && return 0
	change "set $key=$value in .env"
	[ "$DRY_RUN" = 1 ] || printf '%s=%s\n' "$key" "$value" >>"$TARGET/.env"
}

# The MCP_SUPA_* values the override reads; JWT_SECRET and ANON_KEY are Supabase's own.
fill_env() {
	local public
	public=$(env_value SUPABASE_PUBLIC_URL)
	public=${public:-http://localhost:$(env_value KONG_HTTP_PORT)}
	if ! grep -q '^# mcp_supa' "$TARGET/.env"; then
		change "add an mcp_supa section to .env"
		[ "$DRY_RUN" = 1 ] || printf '\n# mcp_supa (docker/deploy.sh; docs/deploy.md)\n' >>"$TARGET/.env"
	fi
	add_env MCP_SUPA_SRC "$SRC"
	add_env SUPABASE_POSTGRES_TAG "$TAG"
	add_env MCP_SUPA_IMAGE "supabase-postgres-mcp:$TAG"
	add_env MCP_SUPA_PUBLIC_URL "${public%/}/mcp"
	add_env MCP_SUPA_STORAGE_URL "http://storage:5000"
	if [ "$PUBLISH" = 1 ]; then
		add_env MCP_SUPA_PUBLISH_ADDRESS 127.0.0.1
		add_env MCP_SUPA_PUBLISH_PORT 8432
	fi
}

# Prints the command that starts the stack with mcp_supa, and an mcp.json for it.
print_next() {
	local files="-f docker-compose.yml -f docker-compose.mcp.yml" url
	[ "$PUBLISH" = 1 ] && files="$files -f docker-compose.mcp-port.yml"
	url=$(env_value MCP_SUPA_PUBLIC_URL)
	[ -n "$url" ] || url="$(env_value SUPABASE_PUBLIC_URL)/mcp"
	cat <<-EOF

		Next: build the db image with mcp_supa and restart the stack, then create the extension
		  cd $TARGET && docker compose $files up -d --build
		  docker compose exec db psql -U postgres -c 'create extension if not exists mcp_supa'

		Check it from here (a token: a user's access token, or select mcp_supa.create_api_key(...)):
		  bash $SRC/scripts/check-connection.sh $url <token>

		mcp.json for Claude Code (.mcp.json) — other clients: docs/clients.md or
		select mcp_supa.client_config('cursor'):
	EOF
	render_client_template claude-code.mcp.json "$url" "<token>"
}

parse_args "$@"
check_folder
[ "$DRY_RUN" = 1 ] && echo "deploy: dry run: nothing in $TARGET changes"
install_file docker-compose.mcp.yml
[ "$PUBLISH" = 1 ] && install_file docker-compose.mcp-port.yml
add_kong_route
fill_env
[ "$CHANGES" = 0 ] && echo "deploy: $TARGET already has mcp_supa: nothing to change"
print_next
