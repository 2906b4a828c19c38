#!/usr/bin/env bash
# The arm64 build under qemu-user, run by `make bench`:
#   tests/bench/arm64.sh /abs/path/to/build-arm64
#
# It prints:
#   1. the size of both arm64 binaries: as built (with debug info),
#      stripped, and their text/data/bss;
#   2. their memory under qemu-aarch64 on loopback: the gateway idle, one
#      agent once registered, and the gateway with a fleet of
#      BENCH_ARM_FLEET (1000) devices registered (per device).
# qemu-user runs the program inside its own process, so VmRSS counts qemu's
# translator and code cache too: each figure is shown beside the same
# measure of qemu running an idle arm64 C program (the baseline), and the
# difference is what the program itself holds. RssAnon is its private part.
# It prints figures and never fails on a time; it fails only when something
# cannot run.
set -euo pipefail

ARM=${1:?usage: tests/bench/arm64.sh /abs/build-arm64}
FLEET=${BENCH_ARM_FLEET:-1000}
CROSS=aarch64-linux-gnu
HOST=127.0.0.1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/outpost-arm64-bench.XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap cleanup_servers EXIT

QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static) ||
    die "qemu-aarch64 not found (scripts/install-deps.sh arm64)"
for b in outpost outpost-node; do
	[[ -x $ARM/$b ]] || die "$ARM/$b: no such executable (make arm64)"
	# The lib.sh helpers start "$OUTPOST" and "$NODE": wrappers that
	# exec qemu, so that the pid they keep is the emulated program's.
	printf '#!/bin/sh\nQEMU_LD_PREFIX=/ exec %s %s "$@"\n' "$QEMU" \
	    "$ARM/$b" >"$TMP/$b"
	chmod +x "$TMP/$b"
done
OUTPOST=$TMP/outpost
NODE=$TMP/outpost-node

kb() {	# kB of a file
	echo $(( ($(stat -c %s "$1") + 512) / 1024 ))
}

status_kb() {	# "key value" from /proc/PID/status, in kB
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

echo "== arm64 ($CROSS, under $(basename "$QEMU"))"
for b in outpost outpost-node; do
	"$CROSS-strip" -o "$TMP/$b.stripped" "$ARM/$b"
	read -r text data bss _ < <("$CROSS-size" "$ARM/$b" | tail -1)
	printf '%-13s size: %5d kB as built, %4d kB stripped (text %d, data %d, bss %d bytes)\n' \
	    "$b" "$(kb "$ARM/$b")" "$(kb "$TMP/$b.stripped")" "$text" "$data" "$bss"
done

# The baseline: qemu running an arm64 program that only waits.
printf '#include <unistd.h>\nint main(void) { pause(); return 0; }\n' \
    >"$TMP/idle.c"
"$CROSS-gcc" -O2 -o "$TMP/idle" "$TMP/idle.c"
QEMU_LD_PREFIX=/ "$QEMU" "$TMP/idle" &
IDLE=$!
PIDS+=("$IDLE")
for ((i = 0; i < 100; i++)); do
	[[ $(readlink "/proc/$IDLE/exe" 2>/dev/null) == "$QEMU" ]] &&
	    [[ -n $(status_kb "$IDLE" VmRSS) ]] && break
	sleep 0.05
done
sleep 0.3	# its start-up done: nothing to poll for in a program that waits
BASE_RSS=$(status_kb "$IDLE" VmRSS)
BASE_ANON=$(status_kb "$IDLE" RssAnon)
stop_pid "$IDLE"

show() {	# show LABEL PID
	local rss anon
	rss=$(status_kb "$2" VmRSS)
	anon=$(status_kb "$2" RssAnon)
	printf '%-34s VmRSS %6d kB (baseline %d, program %d); RssAnon %6d kB (program %d)\n' \
	    "$1" "$rss" "$BASE_RSS" $((rss - BASE_RSS)) "$anon" $((anon - BASE_ANON))
}

start_gateway "$TMP/gw" "[coap]
max_idle_sessions = $((FLEET + 100))"
show "outpost, idle:" "$GW_PID"
GW_IDLE_ANON=$(status_kb "$GW_PID" RssAnon)

start_node "$TMP/node" "$GW_COAP" --ep arm-bench-1
wait_awake "$GW_HTTP" arm-bench-1 "$NODE_PID" "$TMP/node"
show "outpost-node, registered:" "$NODE_PID"
stop_nodes

start_node "$TMP/fleet" "$GW_COAP" --fleet "$FLEET" --prefix arm-f \
    --spread 2
for ((i = 0; i < 1200; i++)); do
	n=$(curl -s --max-time 2 "http://$HOST:$GW_HTTP/v1/health" |
	    sed -n 's/.*"devices":\([0-9]*\).*/\1/p')
	[[ ${n:-0} -ge $FLEET ]] && break
	kill -0 "$NODE_PID" 2>/dev/null || die "the fleet agent died"
	sleep 0.1
done
[[ ${n:-0} -ge $FLEET ]] || die "only ${n:-0} of $FLEET fleet devices registered"
show "outpost, $FLEET more devices:" "$GW_PID"
anon=$(status_kb "$GW_PID" RssAnon)
printf '%-34s %d bytes RssAnon per device\n' "outpost, per device:" \
    $(( (anon - GW_IDLE_ANON) * 1024 / FLEET ))
show "outpost-node, fleet of $FLEET:" "$NODE_PID"
