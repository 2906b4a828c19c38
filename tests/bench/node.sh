#!/usr/bin/env bash
# Footprint and fleet benchmark of outpost-node, run by `make bench`:
#   tests/bench/node.sh /abs/path/to/outpost-node /abs/path/to/outpost
#
# On loopback, against a real gateway, it prints:
#   1. the size of a stripped copy of outpost-node;
#   2. the memory of one agent after it registered (VmRSS, and its private
#      part RssAnon; the rest is shared library pages);
#   3. whether an idle agent wakes up: context switches and CPU ticks over
#      a quiet spell (both should be 0);
#   4. a fleet of BENCH_FLEET (10000) devices in one process: the time
#      until the gateway counts them all, the process's memory in total and
#      per device, its idle wakeups, and how many deregistrations the
#      gateway saw answered within the agent's bounded wait on SIGTERM.
# It prints figures and never fails on a time; it fails only when something
# cannot run (a binary missing, the gateway not starting).
set -euo pipefail

NODE=${1:?usage: tests/bench/node.sh /abs/outpost-node /abs/outpost}
OUTPOST=${2:?usage: tests/bench/node.sh /abs/outpost-node /abs/outpost}
FLEET=${BENCH_FLEET:-10000}
QUIET=${BENCH_QUIET:-2}		# seconds of the idle measurement
LIMIT=${BENCH_SECONDS:-120}	# longest wait for the fleet to register

TMP=$(mktemp -d "${TMPDIR:-/tmp}/outpost-node-bench.XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trap cleanup_servers EXIT


# "key value" from /proc/PID/status, in kB.
status_kb() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

wakeups() {
	cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ { s += $2 }
	    END { print s }'
}

cpu_ticks() {	# utime + stime
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

devices() {
	curl -s "http://127.0.0.1:$HTTP/v1/health" |
	    sed -n 's/.*"devices":\([0-9]*\).*/\1/p'
}

[[ -x $NODE ]] || die "$NODE: not executable"
[[ -x $OUTPOST ]] || die "$OUTPOST: not executable"

echo "== outpost-node footprint"
cp "$NODE" "$TMP/outpost-node.stripped"
strip "$TMP/outpost-node.stripped"
size=$(stat -c %s "$TMP/outpost-node.stripped")
printf "stripped binary:       %d bytes (%.1f KiB)\n" "$size" \
    "$(echo "$size / 1024" | bc -l)"

HTTP=$(free_port tcp)
COAP=$(free_port udp)
cat >"$TMP/gateway.ini" <<EOF
[gateway]
log_level = warning
[http]
listen = 127.0.0.1:$HTTP
[coap]
listen = 127.0.0.1:$COAP
secure_listen = 127.0.0.1:$(free_port udp)
max_idle_sessions = $((FLEET + 1000))
[registry]
max_devices = $((FLEET + 1000))
[store]
path = $TMP/store
EOF
"$OUTPOST" -c "$TMP/gateway.ini" >"$TMP/gateway.log" 2>&1 &
GW=$!
PIDS+=("$GW")
for ((i = 0; i < 100; i++)); do
	[[ -n $(devices) ]] && break
	kill -0 "$GW" 2>/dev/null || die "the gateway exited: $(cat "$TMP/gateway.log")"
	sleep 0.1
done
[[ -n $(devices) ]] || die "the gateway does not answer"

# -- one agent ----------------------------------------------------------
"$NODE" --gateway "coap://127.0.0.1:$COAP" --ep bench-one --lifetime 3600 \
    >"$TMP/one.log" 2>&1 &
ONE=$!
PIDS+=("$ONE")
for ((i = 0; i < 100; i++)); do
	grep -q "registered as" "$TMP/one.log" && break
	sleep 0.05
done
grep -q "registered as" "$TMP/one.log" || die "the agent did not register"
sleep 0.5	# let the exchange settle
rss=$(status_kb "$ONE" VmRSS)
anon=$(status_kb "$ONE" RssAnon)
file=$(status_kb "$ONE" RssFile)
pss=$(awk '/^Pss:/ { print $2 }' "/proc/$ONE/smaps_rollup" 2>/dev/null || echo "?")
echo "one agent, registered: VmRSS $rss kB (RssAnon $anon kB private," \
    "RssFile $file kB shared library pages), Pss $pss kB"
w0=$(wakeups "$ONE")
c0=$(cpu_ticks "$ONE")
sleep "$QUIET"
w1=$(wakeups "$ONE")
c1=$(cpu_ticks "$ONE")
echo "one agent, idle ${QUIET} s: $((w1 - w0)) wakeups," \
    "$((c1 - c0)) CPU ticks"
bench_row "outpost-node idle ${QUIET} s: wakeups" "$((w1 - w0))" - - "0"
bench_row "outpost-node idle ${QUIET} s: CPU ticks" "$((c1 - c0))" - - "0"
stop_pid "$ONE"

# -- a fleet ------------------------------------------------------------
echo "== fleet of $FLEET devices in one process"
base=$(devices)
start=$(date +%s.%N)
"$NODE" --fleet "$FLEET" --prefix bench- --gateway "coap://127.0.0.1:$COAP" \
    --lifetime 3600 >"$TMP/fleet.log" 2>&1 &
FL=$!
PIDS+=("$FL")
n=0
while :; do
	n=$(devices)
	[[ ${n:-0} -ge $((base + FLEET)) ]] && break
	kill -0 "$FL" 2>/dev/null || die "the fleet exited: $(tail -5 "$TMP/fleet.log")"
	if (($(echo "$(date +%s.%N) - $start > $LIMIT" | bc))); then
		echo "fleet: only $((n - base)) of $FLEET registered after ${LIMIT} s"
		break
	fi
	sleep 0.2
done
took=$(echo "$(date +%s.%N) - $start" | bc)
grep -o "registering over [0-9.]* s" "$TMP/fleet.log" | head -1 |
    sed 's/^/fleet: jitter spread: /'
printf "fleet: %d registered in %.1f s (gateway count)\n" "$((n - base))" \
    "$took"
sleep 1
rss=$(status_kb "$FL" VmRSS)
anon=$(status_kb "$FL" RssAnon)
printf "fleet: VmRSS %d kB (%.1f MiB), RssAnon %d kB; %.2f kB per device\n" \
    "$rss" "$(echo "$rss / 1024" | bc -l)" "$anon" \
    "$(echo "$rss / $FLEET" | bc -l)"
printf "fleet: CPU time to register: %.2f s\n" \
    "$(echo "$(cpu_ticks "$FL") / $(getconf CLK_TCK)" | bc -l)"
w0=$(wakeups "$FL")
c0=$(cpu_ticks "$FL")
sleep "$QUIET"
w1=$(wakeups "$FL")
c1=$(cpu_ticks "$FL")
echo "fleet, idle ${QUIET} s: $((w1 - w0)) wakeups, $((c1 - c0)) CPU ticks"
before=$(devices)
stop_pid "$FL"
after=$(devices)
echo "fleet: SIGTERM: $((before - after)) deregistered within the bounded" \
    "wait; the rest lapse with their lifetime"
