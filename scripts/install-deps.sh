#!/bin/sh
# Installs every Debian package that Outpost's build, tests, fuzzing and
# benchmarks need. Idempotent; prints nothing when everything is present.
set -eu

# `install-deps.sh arm64`: also what the arm64 cross build needs.
if [ "${1:-}" = arm64 ]; then
	"$(dirname "$0")/install-cross-deps.sh"
fi

PKGS="build-essential pkg-config
libevent-dev libcoap3-dev libcoap3-bin libwolfssl-dev liblmdb-dev lmdb-utils
libinih-dev libcjson-dev libcbor-dev
libcmocka-dev python3 python3-pytest python3-yaml curl iproute2 procps
clang libclang-rt-14-dev
wrk nginx-light binutils openssl
systemd groff-base"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
