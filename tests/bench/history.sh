#!/usr/bin/env bash
# History benchmark, run by `make bench`:
#   tests/bench/history.sh /abs/path/to/outpost /abs/path/to/outpost-node
#
# On loopback, in one run:
#   1. ingest: a gateway with history on (the defaults: health/* and what is
#      observed), BENCH_HIST_DEVICES (1000) outpost-node fleet devices
#      notifying their /health every second ([health] sample = pmax = 1),
#      each observed through POST /v1/devices/{ep}/observe/health; over
#      BENCH_HIST_SECONDS (20) it prints the history points committed per
#      second (the entries of the store's hpoints database, mdb_stat), the
#      notifications per second that carried them, and the gateway's CPU
#      per point and per notification;
#   2. store bytes per point: raw (the hpoints database's pages over its
#      entries), then, the fleet stopped, the gateway reloaded (SIGHUP) with
#      raw_age_s = 1 and bucket_s = 60 and its sweep run, per bucket and per
#      point rolled up (the hbuckets database's pages over the points it
#      holds);
#   3. proxied GETs/s of a numeric resource (/3/0/9 of one agent: each
#      answer of the device a point, one a millisecond) through a gateway with history on ([history] paths = *) and
#      one with it off (enable = 0), wrk rounds alternating, and the
#      figure the issue asks for: how much slower the GETs are with history
#      on (the median of BENCH_HIST_ROUNDS (3) rounds).
# It prints figures and never fails on a time; it fails only when something
# cannot run (a binary or tool missing, a server not starting).
set -euo pipefail

OUTPOST=${1:?usage: tests/bench/history.sh /abs/outpost /abs/outpost-node}
NODE=${2:?usage: tests/bench/history.sh /abs/outpost /abs/outpost-node}
FLEET=${BENCH_HIST_DEVICES:-1000}
SECONDS_INGEST=${BENCH_HIST_SECONDS:-20}
ROUNDS=${BENCH_HIST_ROUNDS:-3}
DURATION=${BENCH_PROXY_SECONDS:-5}
THREADS=${BENCH_PROXY_THREADS:-2}
CONNS=${BENCH_PROXY_CONNECTIONS:-16}
LIMIT=${BENCH_SECONDS:-300}
HOST=127.0.0.1

# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_begin history "$OUTPOST" "$NODE"
command -v wrk >/dev/null || die "wrk not found (scripts/install-deps.sh)"
command -v mdb_stat >/dev/null || die "mdb_stat not found (lmdb-utils)"

# db_stat DIR NAME: "entries pages psize" of a named database.
db_stat() {
	mdb_stat -e -s "$2" "$1" 2>/dev/null | awk '
	    /Page size/ { p = $NF } /^  Entries/ { e = $NF }
	    /Branch pages|Leaf pages|Overflow pages/ { n += $NF }
	    END { printf "%d %d %d\n", e, n, p }'
}

entries() {
	db_stat "$1" "$2" | awk '{ print $1 }'
}

# bytes DIR NAME: bytes of a database's pages.
bytes() {
	db_stat "$1" "$2" | awk '{ print $2 * $3 }'
}

# notifications HTTP_PORT: the notifications of all observations so far.
notifications() {
	python3 - "$1" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
total, after = 0, None
while True:
    c.request("GET", "/v1/observations?limit=1000" +
              ("&after=" + after if after else ""))
    page = json.loads(c.getresponse().read())
    total += sum(o["notifications"] for o in page["observations"])
    after = page["next"]
    if after is None:
        print(total)
        break
PY
}

# What a series costs in memory: its entry (names besides), a hash slot
# and a place in the id index.
cat >"$TMP/hsize.c" <<'C'
#include <stdio.h>
#include "modules/health/histint.h"
int
main(void)
{
	printf("%zu\n", sizeof(struct hseries));
	return 0;
}
C
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
"${CC:-cc}" -std=c11 -D_GNU_SOURCE -I"$ROOT" -o "$TMP/hsize" "$TMP/hsize.c" ||
    die "cannot compile the size probe"
HSERIES_BYTES=$("$TMP/hsize")

devices() {
	curl -sf "http://$HOST:$1/v1/health" |
	    sed -n 's/.*"devices":\([0-9]*\).*/\1/p'
}

GWDIR=$TMP/gw
start_gateway "$GWDIR" "[gateway]
log_level = warning
[coap]
max_idle_sessions = $((FLEET + 100))
[registry]
max_devices = $((FLEET + 100))
[events]
ring = 64"
GW_INI=$GWDIR/gateway.ini
DATA=$GWDIR/data
ING_HTTP=$GW_HTTP ING_PID=$GW_PID

cat >"$TMP/node.ini" <<INI
[health]
sample = 1
pmax = 1
INI
echo "== history ingest: $FLEET outpost-node fleet devices notifying /health each second"
start_node "$TMP/fleet" "$GW_COAP" -c "$TMP/node.ini" --fleet "$FLEET" \
    --prefix hb- --spread 0 --lifetime 3600
FLEET_PID=$NODE_PID
t0=$(date +%s.%N)
while :; do
	n=$(devices "$ING_HTTP")
	((${n:-0} >= FLEET)) && break
	kill -0 "$FLEET_PID" 2>/dev/null ||
	    die "the fleet exited: $(tail -3 "$TMP/fleet/node.log")"
	(($(echo "$(date +%s.%N) - $t0 > $LIMIT" | bc))) &&
	    die "only ${n:-0} of $FLEET devices registered after ${LIMIT}s"
	sleep 0.2
done
python3 - "$ING_HTTP" "$FLEET" <<'PY' || die "observing the fleet failed"
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for i in range(n):
    c.request("POST", "/v1/devices/hb-%d/observe/health" % i)
    r = c.getresponse()
    r.read()
    if r.status != 201:
        sys.exit("hb-%d: %d" % (i, r.status))
PY
# Let every observation give its first answer, then measure.
sleep 3
p0=$(entries "$DATA" hpoints)
cpu0=$(cpu_ns "$ING_PID")
notes0=$(notifications "$ING_HTTP")
s0=$(date +%s.%N)
sleep "$SECONDS_INGEST"
p1=$(entries "$DATA" hpoints)
cpu1=$(cpu_ns "$ING_PID")
s1=$(date +%s.%N)
notes1=$(notifications "$ING_HTTP")
secs=$(echo "$s1 - $s0" | bc)
points=$((p1 - p0))
notes=$((notes1 - notes0))
printf 'ingest: %s points/s committed (%d in %.1f s) from %s notifications/s; gateway cpu %s us/point, %s us/notification (%.1f%% of one core)\n' \
    "$(awk -v n="$points" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')" \
    "$points" "$secs" \
    "$(awk -v n="$notes" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')" \
    "$(awk -v c="$((cpu1 - cpu0))" -v n="$points" 'BEGIN { printf "%.1f", n ? c / n / 1000 : 0 }')" \
    "$(awk -v c="$((cpu1 - cpu0))" -v n="$notes" 'BEGIN { printf "%.1f", n ? c / n / 1000 : 0 }')" \
    "$(awk -v c="$((cpu1 - cpu0))" -v s="$secs" 'BEGIN { printf "%.1f", c / s / 1e7 }')"
curl -sf "http://$HOST:$ING_HTTP/v1/devices/hb-0/history/health/uptime_s?limit=1" |
    grep -q '"v":' || die "no history of hb-0"

# 2. Bytes per point, raw and rolled up.
stop_pid "$FLEET_PID"
NODE_PIDS=
sleep 1
read -r raw_n raw_pages psize < <(db_stat "$DATA" hpoints)
printf 'store, raw: %d points in %d pages of %d bytes: %.1f bytes/point (key 12 + value 8 + LMDB node 8 + page slack)\n' \
    "$raw_n" "$raw_pages" "$psize" \
    "$(awk -v p="$raw_pages" -v s="$psize" -v n="$raw_n" 'BEGIN { printf "%.1f", n ? p * s / n : 0 }')"
sed -i '/^\[history\]/,$d' "$GW_INI"
printf '[history]\nraw_age_s = 1\nbucket_s = 60\nsweep_s = 1\n' >>"$GW_INI"
kill -HUP "$ING_PID"
t0=$(date +%s.%N)
while :; do
	left=$(entries "$DATA" hpoints)
	((left == 0)) && break
	(($(echo "$(date +%s.%N) - $t0 > $LIMIT" | bc))) && break
	sleep 0.5
done
read -r b_n b_pages psize < <(db_stat "$DATA" hbuckets)
rolled=$((raw_n - left))
printf 'store, rolled up (bucket_s = 60): %d points into %d buckets in %d pages: %.1f bytes/bucket, %.2f bytes/point represented (%d raw points left)\n' \
    "$rolled" "$b_n" "$b_pages" \
    "$(awk -v p="$b_pages" -v s="$psize" -v n="$b_n" 'BEGIN { printf "%.1f", n ? p * s / n : 0 }')" \
    "$(awk -v p="$b_pages" -v s="$psize" -v n="$rolled" 'BEGIN { printf "%.2f", n ? p * s / n : 0 }')" \
    "$left"
printf 'store, series index: %d bytes for %d series\n' \
    "$(bytes "$DATA" hseries)" "$(( $(entries "$DATA" hseries) / 2 ))"
rss=$(rss_anon_kb "$ING_PID")
printf 'memory: struct hseries %d bytes + "ep\\0path\\0" + a hash slot and an index place (16) per series; gateway RssAnon %d kB with %d devices\n' \
    "$HSERIES_BYTES" "$rss" "$FLEET"
stop_pid "$ING_PID"

# 3. Proxied GETs with history on and off, in the same run.
EP=bench-hist
start_gateway "$TMP/gwon" "[history]
paths = *"
ON_PID=$GW_PID ON_HTTP=$GW_HTTP
start_node "$TMP/nodeon" "$GW_COAP" --ep "$EP"
ON_NODE=$NODE_PID
start_gateway "$TMP/gwoff" "[history]
enable = 0"
OFF_PID=$GW_PID OFF_HTTP=$GW_HTTP
start_node "$TMP/nodeoff" "$GW_COAP" --ep "$EP"
OFF_NODE=$NODE_PID
wait_awake "$ON_HTTP" "$EP" "$ON_NODE" "$TMP/nodeon"
wait_awake "$OFF_HTTP" "$EP" "$OFF_NODE" "$TMP/nodeoff"
URL_ON=http://$HOST:$ON_HTTP/v1/devices/$EP/r/3/0/9
URL_OFF=http://$HOST:$OFF_HTTP/v1/devices/$EP/r/3/0/9
for url in "$URL_ON" "$URL_OFF"; do
	[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url") == 200 ]] ||
	    die "GET $url did not answer 200"
	timeout 30 wrk -t"$THREADS" -c"$CONNS" -d1s "$url" >/dev/null 2>&1 || true
done
echo "== proxied GET /v1/devices/$EP/r/3/0/9 with history on (each answer a point) and off, wrk -t$THREADS -c$CONNS -d${DURATION}s, $ROUNDS rounds"
pon0=$(entries "$TMP/gwon/data" hpoints)
ron=() roff=()
for ((round = 1; round <= ROUNDS; round++)); do
	bench_get "history on #$round" "$URL_ON" "$ON_PID" "$ON_NODE"
	ron+=("$RATE")
	bench_get "history off #$round" "$URL_OFF" "$OFF_PID" "$OFF_NODE"
	roff+=("$RATE")
done
sleep 1
pon=$(( $(entries "$TMP/gwon/data" hpoints) - pon0 ))
mon=$(median "${ron[@]}")
moff=$(median "${roff[@]}")
printf 'proxied GET/s (median): history on %s, off %s: on/off %s; history costs %s%% of GET throughput (the issue allows 5%%); %d points written by the GETs (one a millisecond: a series keeps one value per ms)\n' \
    "$mon" "$moff" "$(ratio "$mon" "$moff")" \
    "$(awk -v a="$mon" -v b="$moff" 'BEGIN { if (b > 0) printf "%.1f", (b - a) * 100 / b; else print "n/a" }')" \
    "$pon"
bench_row "proxied GET req/s, history on (peer: off)" "$mon" "$moff" \
    "$(ratio "$mon" "$moff")x" ">= 0.95x history off"
