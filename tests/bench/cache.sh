#!/usr/bin/env bash
# Observe cache and event stream benchmark, run by `make bench` after
# proxy.sh:
#   tests/bench/cache.sh /abs/path/to/outpost /abs/path/to/outpost-node
#
# In one run, on loopback only:
#   1. cached GETs/s and p50/p99 latency with wrk: one outpost-node agent,
#      the gateway observing its /3/0/13 (Current Time, a notification every
#      second, so the cached value stays fresh and keeps changing while it
#      is read), wrk sending GET /v1/devices/{ep}/r/3/0/13 with
#      Cache-Control: only-if-cached; in alternating rounds the same wrk
#      command against nginx (Debian nginx-light, one worker) serving a
#      static file of the same bytes, and the ratio;
#   2. notification fan-out: a fleet of BENCH_FANOUT_DEVICES (1000)
#      outpost-node devices, the gateway observing /3/0/13 on each (one
#      notification a second per device), BENCH_FANOUT_CLIENTS (10) clients
#      of GET /v1/events counting with ssecount (tests/bench/ssecount.c,
#      built here): events/s per client and in all, events lost per client
#      (skipped ids), per-device values no event carried (a device's
#      clock values skipped: not sent, lost before the gateway, or refused
#      as older), the datagrams the kernel dropped at the gateway's CoAP
#      socket, and the gateway's CPU (% of one core) and RssAnon.
# It prints figures and never fails on a time. It fails when something
# cannot run (wrk, nginx or a compiler missing, a server does not start,
# the cache does not answer 200).
#
# Overridable from the environment: BENCH_CACHE_SECONDS per wrk run (5),
# BENCH_CACHE_ROUNDS rounds alternating the two servers (3; the median is
# printed), BENCH_CACHE_THREADS and BENCH_CACHE_CONNECTIONS for wrk (2, 16),
# BENCH_FANOUT_DEVICES (1000), BENCH_FANOUT_CLIENTS (10),
# BENCH_FANOUT_SECONDS measured (20) after BENCH_FANOUT_WARMUP (3).
# BENCH_CACHE_ROUNDS=0 or BENCH_FANOUT_DEVICES=0 leaves that part out.
set -euo pipefail

OUTPOST=${1:?usage: tests/bench/cache.sh /abs/path/to/outpost /abs/path/to/outpost-node}
NODE=${2:?usage: tests/bench/cache.sh /abs/path/to/outpost /abs/path/to/outpost-node}
DURATION=${BENCH_CACHE_SECONDS:-5}
ROUNDS=${BENCH_CACHE_ROUNDS:-3}
THREADS=${BENCH_CACHE_THREADS:-2}
CONNS=${BENCH_CACHE_CONNECTIONS:-16}
FDEVICES=${BENCH_FANOUT_DEVICES:-1000}
FCLIENTS=${BENCH_FANOUT_CLIENTS:-10}
FDURATION=${BENCH_FANOUT_SECONDS:-20}
FWARMUP=${BENCH_FANOUT_WARMUP:-3}
RESOURCE=3/0/13
HOST=127.0.0.1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/outpost-cache-bench.XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap cleanup_servers EXIT
trap 'exit 130' INT TERM

# observe PORT EP: POST /v1/devices/EP/observe/RESOURCE, which must be 201.
observe() {
	local status
	status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
	    "http://$HOST:$1/v1/devices/$2/observe/$RESOURCE") || true
	[[ $status == 201 ]] || die "observing $2/$RESOURCE answered ${status:-nothing}"
}

# observed PORT: "established with-a-value" counts of GET /v1/observations,
# every page of it (a page holds 100 unless asked for more).
observed() {
	python3 - "$HOST" "$1" <<'PY'
import http.client, json, sys, urllib.parse
c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=5)
est = valued = 0
after = None
while True:
    q = "/v1/observations?limit=1000"
    if after is not None:
        q += "&after=" + urllib.parse.quote(after, safe="")
    c.request("GET", q)
    r = c.getresponse()
    if r.status != 200:
        sys.exit(1)
    page = json.load(r)
    est += sum(x["established"] for x in page["observations"])
    valued += sum(x["notifications"] > 0 for x in page["observations"])
    after = page.get("next")
    if after is None:
        break
print(est, valued)
PY
}

# udp_drops PORT: datagrams the kernel dropped at the UDP socket bound to
# HOST:PORT (the last column of /proc/net/udp).
udp_drops() {
	awk -v a="$(printf '0100007F:%04X' "$1")" '$2 == a { d += $NF }
	    END { print d + 0 }' /proc/net/udp
}

# udp_rcvbuf PORT: the kernel's receive buffer of that socket in bytes (ss
# shows it as rb, which counts the kernel's bookkeeping too), ? without ss.
udp_rcvbuf() {
	{ ss -u -a -m -n "src $HOST:$1" 2>/dev/null || true; } |
	    sed -n 's/.*skmem:(r[0-9]*,rb\([0-9]*\),.*/\1/p' | head -n 1 | grep . || echo '?'
}

need_servers
command -v "${CC:-cc}" >/dev/null || die "${CC:-cc} not found"
command -v python3 >/dev/null || die "python3 not found"
((FDEVICES >= 0 && FDEVICES <= 10000)) || die "BENCH_FANOUT_DEVICES must be 0..10000"
echo "== machine: $(nproc) cores, load average $(cut -d ' ' -f 1-3 /proc/loadavg) at the start (shared: figures move with the other load)"

# 1. One agent, its /3/0/13 observed: the cache holds a fresh value.
if ((ROUNDS > 0)); then
EP=bench-cache
start_gateway "$TMP/gw"
GW1_PID=$GW_PID GW1_HTTP=$GW_HTTP
start_node "$TMP/node" "$GW_COAP" --ep "$EP"
wait_awake "$GW1_HTTP" "$EP" "$NODE_PID" "$TMP/node"
observe "$GW1_HTTP" "$EP"
URL=http://$HOST:$GW1_HTTP/v1/devices/$EP/r/$RESOURCE
WRK_ARGS=(-H "Cache-Control: only-if-cached")
mkdir -p "$TMP/nginx/www"
for ((i = 0; i < 200; i++)); do
	status=$(curl -s --max-time 5 -H "${WRK_ARGS[1]}" -o "$TMP/nginx/www/body" \
	    -w '%{http_code}' "$URL") || true
	[[ $status == 200 ]] && break
	sleep 0.05
done
[[ $status == 200 ]] || die "GET $URL (only-if-cached) answered ${status:-nothing}, not 200"
SIZE=$(stat -c %s "$TMP/nginx/www/body")
start_nginx "$TMP/nginx"

echo "== cached GET /v1/devices/$EP/r/$RESOURCE (only-if-cached, $SIZE-byte body) vs nginx static (1 worker), wrk -t$THREADS -c$CONNS -d${DURATION}s, $ROUNDS rounds"
for url in "$URL" "$NGINX_URL"; do
	timeout 30 wrk -t"$THREADS" -c"$CONNS" -d1s "${WRK_ARGS[@]}" "$url" \
	    >/dev/null 2>&1 || true
done
ro=() lo=() ho=() co=() rn=() ln=() hn=() cn=() rr=()
# One round of each server; a 504 from the gateway would mean the value was
# not fresh, and the figure would measure errors.
round_outpost() {
	bench_get "outpost cached #$round" "$URL" "$GW1_PID"
	[[ $NOTES != *Non-2xx* ]] || die "the gateway did not answer every cached GET with 200"
	ro+=("$RATE") lo+=("$P50") ho+=("$P99") co+=("$CPU_US")
}
round_nginx() {
	# shellcheck disable=SC2086
	bench_get "nginx #$round" "$NGINX_URL" "$NGINX_PID" $NGINX_WORKERS
	rn+=("$RATE") ln+=("$P50") hn+=("$P99") cn+=("$CPU_US")
}
# Who goes first alternates, so that a trend in the machine's other load
# favours neither.
for ((round = 1; round <= ROUNDS; round++)); do
	if ((round % 2)); then
		round_outpost
		round_nginx
	else
		round_nginx
		round_outpost
	fi
	rr+=("$(ratio "${ro[-1]}" "${rn[-1]}")")
done
rate=$(median "${ro[@]}")
ngx_rate=$(median "${rn[@]}")
echo "cached GET: outpost=$rate req/s p50=$(median "${lo[@]}")ms p99=$(median "${ho[@]}")ms | nginx static=$ngx_rate req/s p50=$(median "${ln[@]}")ms p99=$(median "${hn[@]}")ms | ratio=$(ratio "$rate" "$ngx_rate") (target >= 0.80)"
echo "ratio in each round (the two servers one after the other): ${rr[*]}, median $(median "${rr[@]}")"
echo "server cpu us/request (median): outpost $(median "${co[@]}") nginx $(median "${cn[@]}") (ratio $(ratio "$(median "${cn[@]}")" "$(median "${co[@]}")"))"
bench_row "cached GET req/s ($SIZE B, only-if-cached)" "$rate" "$ngx_rate" \
    "$(ratio "$rate" "$ngx_rate")x" ">= 0.80x nginx"
bench_row "cached GET server cpu us/req (ratio nginx/outpost)" \
    "$(median "${co[@]}")" "$(median "${cn[@]}")" \
    "$(ratio "$(median "${cn[@]}")" "$(median "${co[@]}")")x" "-"
stop_nodes
stop_nginx
stop_pid "$GW1_PID"
fi

# 2. Fan-out: every device of a fleet notifies once a second, every event
# goes to each stream client.
((FDEVICES > 0)) || exit 0
echo "== notification fan-out: $FDEVICES fleet devices, /$RESOURCE observed on each (1/s), $FCLIENTS clients of GET /v1/events, ${FDURATION}s measured"
build_tool "$TMP/ssecount" ssecount
start_gateway "$TMP/fan"
FGW_PID=$GW_PID FGW_HTTP=$GW_HTTP FGW_COAP=$GW_COAP
PREFIX=bench-f-
rss_idle=$(rss_anon_kb "$FGW_PID")
start_node "$TMP/fleet" "$FGW_COAP" --fleet "$FDEVICES" --prefix "$PREFIX"
FLEET_PID=$NODE_PID
n=0
for ((i = 0; i < 1200; i++)); do
	n=$(curl -sf --max-time 2 "http://$HOST:$FGW_HTTP/v1/health" |
	    sed -n 's/.*"devices":\([0-9]*\).*/\1/p') || n=0
	((${n:-0} >= FDEVICES)) && break
	kill -0 "$FLEET_PID" 2>/dev/null || break
	sleep 0.05
done
((${n:-0} >= FDEVICES)) || { tail -n 20 "$TMP/fleet/node.log" >&2; die "${n:-0} of $FDEVICES devices registered"; }
rss_devices=$(rss_anon_kb "$FGW_PID")

# One POST per device, 32 at a time (each is answered once the
# observation is stored).
for ((i = 0; i < FDEVICES; i++)); do
	printf 'url = "http://%s:%s/v1/devices/%s%d/observe/%s"\noutput = "/dev/null"\n' \
	    "$HOST" "$FGW_HTTP" "$PREFIX" "$i" "$RESOURCE"
done >"$TMP/observe.curl"
created=$(curl -s --no-progress-meter --parallel --parallel-max 32 -X POST -w '%{http_code}\n' \
    -K "$TMP/observe.curl" | grep -c '^201$') || true
((created == FDEVICES)) || die "$created of $FDEVICES observations were created (201)"
for ((i = 0; i < 600; i++)); do
	read -r est valued <<<"$(observed "$FGW_HTTP")" || est=0 valued=0
	((est == FDEVICES && valued == FDEVICES)) && break
	sleep 0.1
done
((est == FDEVICES && valued == FDEVICES)) ||
    die "$est of $FDEVICES observations established, $valued with a value"
rss_observed=$(rss_anon_kb "$FGW_PID")

drops0=$(udp_drops "$FGW_COAP")
fleet_cpu0=$(cpu_ns "$FLEET_PID") wall0=$(date +%s%N)
out=$TMP/ssecount.out
timeout $((FWARMUP + FDURATION + 30)) "$TMP/ssecount" -h "$HOST" -p "$FGW_HTTP" \
    -c "$FCLIENTS" -w "$FWARMUP" -t "$FDURATION" -P "$FGW_PID" >"$out" \
    2>"$TMP/ssecount.err" || { cat "$TMP/ssecount.err" >&2; die "ssecount failed"; }
fleet_cpu=$(( $(cpu_ns "$FLEET_PID") - fleet_cpu0 )) wall=$(( $(date +%s%N) - wall0 ))
drops=$(( $(udp_drops "$FGW_COAP") - drops0 ))
kill -0 "$FGW_PID" 2>/dev/null || die "the gateway exited during the run"
read -r est valued <<<"$(observed "$FGW_HTTP")" || est=0
sed -n 's/^client=/  client /p' "$out"
total=$(grep '^total:' "$out") || { cat "$TMP/ssecount.err" >&2; die "no totals from ssecount"; }
# The fleet's notifications come in one burst a second: the interval holds
# one burst more or less than its seconds, hence rates a few % off 1/s.
echo "events/s delivered: $(field rate "$total") in all, $(ratio "$(field rate "$total")" "$FCLIENTS") per client ($(field notifications "$total") notifications; $FDEVICES devices x 1/s x $FCLIENTS clients would be $((FDEVICES * FCLIENTS))/s)"
echo "events lost (skipped ids) in all clients: $(field lost "$total"), out of order: $(field disorder "$total"), gap events: $(field gap_events "$total"), clients dropped by the gateway: $(field closed "$total") (target: 0 lost)"
bench_row "events lost, $FDEVICES devices x $FCLIENTS SSE clients" \
    "$(field lost "$total")" - - "0"
echo "per-device values no event carried (summed over clients; not sent by the device, lost before the gateway, or refused by the cache as older): $(field device_gaps "$total"); devices silent at the end: $(field silent "$total"); observations still established: $est of $FDEVICES"
echo "datagrams the kernel dropped at the gateway's CoAP socket (full receive buffer) during the run: $drops (its receive buffer: rb $(udp_rcvbuf "$FGW_COAP") bytes)"
if ((drops > 0)); then
	echo "note: the fleet's devices all tick at the same instant, so $FDEVICES notifications arrive within milliseconds once a second; what the socket's receive buffer cannot hold is lost before the gateway reads it ([coap] rcvbuf; the gateway logs the size it got)"
fi
echo "gateway: cpu $(field gw_cpu_pct "$total")% of one core, RssAnon $(field gw_rss_anon_kb "$total") kB (idle $rss_idle kB, $FDEVICES devices $rss_devices kB, observed $rss_observed kB); fleet cpu $(ratio $((fleet_cpu / 10000)) $((wall / 1000000)))% (its ${FWARMUP}s warm-up included); ssecount cpu $(field self_cpu_pct "$total")%"
if [[ -s $TMP/ssecount.err ]]; then
	sed 's/^/  /' "$TMP/ssecount.err"
fi
stop_nodes
stop_pid "$FGW_PID"
