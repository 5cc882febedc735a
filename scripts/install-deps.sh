#!/usr/bin/env bash
# Installs the Debian packages mcp_supa needs to build, run and test. Idempotent: quiet and
# quick when everything is present.
set -euo pipefail

PACKAGES=(
	build-essential make pkg-config
	postgresql-15 postgresql-server-dev-15 postgresql-contrib
	libwebsockets-dev libssl-dev nlohmann-json3-dev catch2
	openssl curl ca-certificates procps util-linux shellcheck
	nodejs npm
	clang libfuzzer-14-dev clang-format
	debhelper dpkg-dev postgresql-server-dev-all python3 python3-yaml python3-jsonschema
	buildah debootstrap
)

missing=()
for p in "${PACKAGES[@]}"; do
	# Node and npm may come from elsewhere than Debian (the machine image ships them).
	case "$p" in
		nodejs) command -v node >/dev/null 2>&1 && continue ;;
		npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep the Debian cluster the postgresql package would create from starting on 5432.
if [ ! -e /etc/postgresql-common/createcluster.conf ] || ! grep -q '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf; then
	$SUDO mkdir -p /etc/postgresql-common
	echo "create_main_cluster = false" | $SUDO tee -a /etc/postgresql-common/createcluster.conf >/dev/null
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
