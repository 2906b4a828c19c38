#!/bin/sh
# Installs every Debian package that Outpost's build, tests, fuzzing and
# benchmarks need, and the OpenAPI validator the tests run (an npm package
# at a pinned version, under $NPM_PREFIX). Idempotent; prints nothing when
# everything is present.
set -eu

# tests/integration/test_openapi.py runs $NPM_PREFIX/node_modules/.bin/swagger-cli.
NPM_PREFIX=/usr/local/lib/outpost-npm
OPENAPI_VALIDATOR=@apidevtools/swagger-cli
OPENAPI_VALIDATOR_VERSION=4.0.4

# `install-deps.sh arm64`: also what the arm64 cross build needs.
if [ "${1:-}" = arm64 ]; then
	"$(dirname "$0")/install-cross-deps.sh"
fi

# tzdata: /usr/share/zoneinfo, where the gateway reads a job's time zone
# (tz.c); the unit tests also compile its tzdata.zi with zic.
# libjs-chart.js: Chart.js, built into the binary for the console's plots
# (Makefile CHARTJS); chromium, chromium-driver and python3-selenium drive
# the console's browser tests (tests/integration/test_console.py).
PKGS="build-essential pkg-config
libevent-dev libcoap3-dev libcoap3-bin libwolfssl-dev liblmdb-dev lmdb-utils
libinih-dev libcjson-dev libcbor-dev libxml2-dev tzdata
libcmocka-dev python3 python3-pytest python3-yaml curl iproute2 procps
clang libclang-rt-14-dev
wrk nginx-light binutils openssl
systemd groff-base
libmosquitto-dev mosquitto-clients python3-paho-mqtt
libjs-chart.js chromium chromium-driver python3-selenium"
# The validator needs node and npm. Debian's nodejs and npm unless a node
# with its own npm is installed already (such a nodejs conflicts with npm).
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Servers the tests start themselves, never as services: promtool
# (tests/integration/test_metrics.py checks /metrics with `promtool check
# metrics`) comes in Debian's prometheus package, and the MQTT broker the
# cloud link's tests run is Debian's mosquitto. Each package's postinst
# would start its server (invoke-rc.d, or deb-systemd-invoke under systemd)
# and enable it at boot. So they go in on their own: with a policy-rc.d
# that forbids every start while they install (both ask it; a container's
# own, which forbids them, is left as it is), without what they recommend,
# and their services disabled after.
servers=""
for p in prometheus mosquitto; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || servers="$servers $p"
done
if [ -n "$servers" ]; then
	echo "install-deps: installing$servers for the tests (their servers" \
	    "are not started or enabled)" >&2
	export DEBIAN_FRONTEND=noninteractive
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT INT TERM
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
		$SUDO chmod 755 "$policy"
	fi
	[ -n "$missing" ] || $SUDO apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $servers >/dev/null
	for p in $servers; do
		$SUDO deb-systemd-helper disable "$p.service" >/dev/null 2>&1 ||
		    true
		$SUDO update-rc.d "$p" disable >/dev/null 2>&1 || true
	done
	if [ -n "$policy" ]; then
		$SUDO rm -f "$policy"
		trap - EXIT INT TERM
	fi
fi

# The pinned validator, unless that version is there already (its command
# is linked last, so an install cut short is done again).
if ! grep -qs "\"version\": \"$OPENAPI_VALIDATOR_VERSION\"" \
    "$NPM_PREFIX/node_modules/$OPENAPI_VALIDATOR/package.json" ||
    [ ! -x "$NPM_PREFIX/node_modules/.bin/swagger-cli" ]; then
	echo "install-deps: installing $OPENAPI_VALIDATOR@$OPENAPI_VALIDATOR_VERSION" \
	    "into $NPM_PREFIX" >&2
	$SUDO mkdir -p "$NPM_PREFIX"
	$SUDO npm install --prefix "$NPM_PREFIX" --no-audit --no-fund \
	    --loglevel=error --save-exact \
	    "$OPENAPI_VALIDATOR@$OPENAPI_VALIDATOR_VERSION" >/dev/null
fi
