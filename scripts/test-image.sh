#!/usr/bin/env bash
# Builds docker/Dockerfile with buildah (no Docker engine, no registry) on a stand-in for
# supabase/postgres made here: a debootstrap'd Debian 12 with Debian's PostgreSQL 15, its
# server headers and pg_config on PATH, and the two configuration files shaped like the
# image's (test/packaging/fixtures/image/). It checks the Dockerfile's mechanics — the build
# stage runs build-extension.sh, the final stage gets only the staged files, extends both
# lists and passes the smoke test — not supabase/postgres itself (docs/deploy.md says what is
# assumed about it). Slow (a full compile inside the build, about 8 minutes): the packaging
# layer runs it when it runs as root and buildah can mount here (MCP_SUPA_IMAGE_TEST=0 skips it).
#   bash scripts/test-image.sh [work folder]      (root; needs buildah and debootstrap)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

WORK=${1:-/var/tmp/mcp_supa-image-test}
BASE=$WORK/rootfs
TAG=$(sed -n 's/^ARG SUPABASE_POSTGRES_TAG=//p' docker/Dockerfile)
export STORAGE_DRIVER=vfs
[ "$(id -u)" -eq 0 ] || die "run as root"
for tool in buildah debootstrap; do command -v "$tool" >/dev/null || die "$tool is missing (apt-get install $tool)"; done

# The Debian archive this machine's apt uses (the first URIs of its debian.sources, or the
# first deb line of sources.list).
debian_mirror() {
	local m
	m=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
	[ -n "$m" ] || die "no Debian archive found in this machine's apt sources"
	echo "$m"
}

# A minimal Debian 12 with PostgreSQL 15 laid out the way the Dockerfile expects of the image.
make_base() {
	[ -x "$BASE/usr/bin/apt-get" ] || debootstrap --variant=minbase --include=ca-certificates bookworm "$BASE" "$(debian_mirror)"
	mkdir -p "$BASE/etc/postgresql-common"
	echo "create_main_cluster = false" >"$BASE/etc/postgresql-common/createcluster.conf"
	printf '#!/bin/sh\nexit 101\n' >"$BASE/usr/sbin/policy-rc.d"
	chmod +x "$BASE/usr/sbin/policy-rc.d"
	# The same PostgreSQL minor release as this machine's headers: the suites this machine uses.
	cp /etc/apt/sources.list.d/*.sources "$BASE/etc/apt/sources.list.d/" 2>/dev/null || true
	chroot "$BASE" apt-get update -qq
	chroot "$BASE" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		postgresql-15 >/dev/null
	# The server headers, PGXS and pg_config from this machine's postgresql-server-dev-15 (the
	# package itself would pull clang and LLVM into every layer).
	dpkg -L postgresql-server-dev-15 | while read -r f; do
		if [ -f "$f" ]; then echo "${f#/}"; fi
	done | tar -C / -cf - -T - | tar -xf - -C "$BASE"
	local b
	[ -x "$BASE/usr/lib/postgresql/15/bin/pg_config" ] || die "pg_config missing in the base"
	for b in postgres pg_config initdb pg_ctl psql; do ln -sf "/usr/lib/postgresql/15/bin/$b" "$BASE/usr/local/bin/$b"; done
	mkdir -p "$BASE/etc/postgresql" "$BASE/etc/postgresql-custom"
	cp test/packaging/fixtures/image/postgresql.conf "$BASE/etc/postgresql/postgresql.conf"
	cp test/packaging/fixtures/image/supautils.conf "$BASE/etc/postgresql-custom/supautils.conf"
	printf '#!/bin/sh\nexec "$@"\n' >"$BASE/usr/local/bin/docker-entrypoint.sh"
	chmod +x "$BASE/usr/local/bin/docker-entrypoint.sh"
}

# Commits the folder as the local image docker.io/supabase/postgres:$TAG.
import_base() {
	local c
	c=$(buildah from scratch)
	buildah copy "$c" "$BASE" / >/dev/null
	buildah config --entrypoint '["docker-entrypoint.sh"]' --cmd postgres "$c"
	buildah commit --rm "$c" "docker.io/supabase/postgres:$TAG" >/dev/null
}

# Removes the two images this test makes (the base folder stays in WORK for a rerun).
remove_images() {
	buildah rmi -f supabase-postgres-mcp:test "docker.io/supabase/postgres:$TAG" >/dev/null 2>&1 || true
}
trap remove_images EXIT

step "stand-in base image in $BASE"
make_base
import_base
step "buildah bud -f docker/Dockerfile (isolation chroot, no pulls)"
buildah bud --pull=never --isolation=chroot --network=host -f docker/Dockerfile \
	-t supabase-postgres-mcp:test .
step "the final image"
c=$(buildah from supabase-postgres-mcp:test)
mnt=$(buildah mount "$c")
ls -l "$mnt"/usr/lib/postgresql/15/lib/mcp_supa*
grep -n "mcp_supa" "$mnt/etc/postgresql/postgresql.conf" "$mnt/etc/postgresql-custom/supautils.conf"
[ ! -e "$mnt/usr/bin/g++" ] || die "the final image has the compiler: the build stage leaked"
buildah inspect --format '{{.OCIv1.Config.Entrypoint}} {{.OCIv1.Config.Cmd}}' supabase-postgres-mcp:test
buildah umount "$c" >/dev/null
buildah rm "$c" >/dev/null
echo "test-image: docker/Dockerfile builds on the stand-in base"
