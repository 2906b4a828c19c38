#!/usr/bin/env bash
# Proxy and queue benchmark, run by `make bench` after run.sh and node.sh:
#   tests/bench/proxy.sh /abs/path/to/outpost /abs/path/to/outpost-node
#
# In one run, on loopback only:
#   1. proxied GETs/s and p50/p99 latency with wrk through the gateway to one
#      outpost-node agent (GET /v1/devices/{ep}/r/3/0/0, the manufacturer
#      string: a body whose size never changes) with the defaults
#      ([proxy] nstart = 1, collapse = 1: GETs that arrive while an identical
#      one is on its way share its answer), and with collapse = 0 (every GET
#      its own CoAP exchange) at nstart = 1 and nstart = 4;
#   2. the same wrk command against nginx (Debian nginx-light, one worker, a
#      config written here) serving a static file holding the same bytes, and
#      the ratio;
#   3. durable enqueues/s: wrk PUTs ?mode=queue round-robin to a fleet of
#      sleeping queue-mode devices, counts the 202s, then checks that the ops
#      are in the store (GET /v1/devices/{ep}/ops), and prints the gateway's
#      RssAnon before and after and the LMDB size.
# It prints figures and never fails on a time. It fails when something
# cannot run (wrk or nginx missing, a server does not start) or when the
# store holds fewer ops than the gateway acknowledged with 202.
#
# Overridable from the environment: BENCH_PROXY_SECONDS per wrk run (5),
# BENCH_PROXY_ROUNDS rounds alternating the three servers (3; the median is
# printed), BENCH_PROXY_THREADS and BENCH_PROXY_CONNECTIONS for wrk (2, 16),
# BENCH_QUEUE_SECONDS (10), BENCH_QUEUE_DEVICES (32) and
# BENCH_QUEUE_CONNECTIONS (32) for the enqueue run.
set -euo pipefail

OUTPOST=${1:?usage: tests/bench/proxy.sh /abs/path/to/outpost /abs/path/to/outpost-node}
NODE=${2:?usage: tests/bench/proxy.sh /abs/path/to/outpost /abs/path/to/outpost-node}
DURATION=${BENCH_PROXY_SECONDS:-5}
ROUNDS=${BENCH_PROXY_ROUNDS:-3}
THREADS=${BENCH_PROXY_THREADS:-2}
CONNS=${BENCH_PROXY_CONNECTIONS:-16}
QDURATION=${BENCH_QUEUE_SECONDS:-10}
QDEVICES=${BENCH_QUEUE_DEVICES:-32}
QCONNS=${BENCH_QUEUE_CONNECTIONS:-32}
RESOURCE=3/0/0
HOST=127.0.0.1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/outpost-proxy-bench.XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trap cleanup_servers EXIT
trap 'exit 130' INT TERM

# Bytes of LMDB pages in use, 0 without mdb_stat.
store_used() {
	command -v mdb_stat >/dev/null || { echo 0; return; }
	mdb_stat -e "$1" 2>/dev/null | awk '/Page size/ { p = $NF }
	    /Number of pages used/ { n = $NF } END { print n * p }'
}

# The id of the last committed LMDB transaction, 0 without mdb_stat.
store_txn() {
	command -v mdb_stat >/dev/null || { echo 0; return; }
	mdb_stat -e "$1" 2>/dev/null | awk '/Last transaction ID/ { print $NF }'
}

need_servers
((QDEVICES >= 1 && QDEVICES <= 1000)) || die "BENCH_QUEUE_DEVICES must be 1..1000"

# 1. Three gateways, each with one awake agent: the defaults (nstart 1,
# identical GETs on their way share one request: collapse 1); every GET its
# own CoAP exchange (collapse 0) with nstart 1, and with nstart 4.
EP=bench-get
start_gateway "$TMP/gw1" "[proxy]
nstart = 1"
GW1_PID=$GW_PID GW1_HTTP=$GW_HTTP
start_node "$TMP/node1" "$GW_COAP" --ep "$EP"
NODE1_PID=$NODE_PID
start_gateway "$TMP/gw0" "[proxy]
nstart = 1
collapse = 0"
GW0_PID=$GW_PID GW0_HTTP=$GW_HTTP
start_node "$TMP/node0" "$GW_COAP" --ep "$EP"
NODE0_PID=$NODE_PID
start_gateway "$TMP/gw4" "[proxy]
nstart = 4
collapse = 0"
GW4_PID=$GW_PID GW4_HTTP=$GW_HTTP
start_node "$TMP/node4" "$GW_COAP" --ep "$EP"
NODE4_PID=$NODE_PID
wait_awake "$GW1_HTTP" "$EP" "$NODE1_PID" "$TMP/node1"
wait_awake "$GW0_HTTP" "$EP" "$NODE0_PID" "$TMP/node0"
wait_awake "$GW4_HTTP" "$EP" "$NODE4_PID" "$TMP/node4"
URL1=http://$HOST:$GW1_HTTP/v1/devices/$EP/r/$RESOURCE
URL0=http://$HOST:$GW0_HTTP/v1/devices/$EP/r/$RESOURCE
URL4=http://$HOST:$GW4_HTTP/v1/devices/$EP/r/$RESOURCE

# The proxied body becomes nginx's static file: same bytes, same size.
mkdir -p "$TMP/nginx/www"
status=$(curl -s --max-time 10 -o "$TMP/nginx/www/body" -w '%{http_code}' "$URL1") || true
[[ $status == 200 ]] || die "GET $URL1 answered ${status:-nothing}, not 200"
SIZE=$(stat -c %s "$TMP/nginx/www/body")
((SIZE > 0)) || die "GET $URL1 gave an empty body"

# 2. nginx: one worker, the same bytes.
start_nginx "$TMP/nginx"

echo "== proxied GET /v1/devices/$EP/r/$RESOURCE ($SIZE-byte body) vs nginx static (1 worker), wrk -t$THREADS -c$CONNS -d${DURATION}s, $ROUNDS rounds"
# A short warm-up of each server, not counted.
for url in "$URL1" "$URL0" "$URL4" "$NGINX_URL"; do
	timeout 30 wrk -t"$THREADS" -c"$CONNS" -d1s "$url" >/dev/null 2>&1 || true
done
r1=() l1=() h1=() c1=() r0=() l0=() h0=() c0=() r4=() l4=() h4=() c4=() rn=() ln=() hn=() cn=()
for ((round = 1; round <= ROUNDS; round++)); do
	bench_get "outpost nstart=1 #$round" "$URL1" "$GW1_PID" "$NODE1_PID"
	r1+=("$RATE") l1+=("$P50") h1+=("$P99") c1+=("$CPU_US")
	bench_get "outpost collapse=0 #$round" "$URL0" "$GW0_PID" "$NODE0_PID"
	r0+=("$RATE") l0+=("$P50") h0+=("$P99") c0+=("$CPU_US")
	bench_get "outpost nstart=4 collapse=0 #$round" "$URL4" "$GW4_PID" "$NODE4_PID"
	r4+=("$RATE") l4+=("$P50") h4+=("$P99") c4+=("$CPU_US")
	# shellcheck disable=SC2086
	bench_get "nginx #$round" "$NGINX_URL" "$NGINX_PID" $NGINX_WORKERS
	rn+=("$RATE") ln+=("$P50") hn+=("$P99") cn+=("$CPU_US")
done
ngx_rate=$(median "${rn[@]}")
ngx="nginx static=$ngx_rate req/s p50=$(median "${ln[@]}")ms p99=$(median "${hn[@]}")ms"
rate1=$(median "${r1[@]}")
rate0=$(median "${r0[@]}")
rate4=$(median "${r4[@]}")
echo "proxied GET (defaults): outpost=$rate1 req/s p50=$(median "${l1[@]}")ms p99=$(median "${h1[@]}")ms | $ngx | ratio=$(ratio "$rate1" "$ngx_rate") (target >= 0.40)"
echo "proxied GET collapse=0 (one CoAP exchange per GET): outpost=$rate0 req/s p50=$(median "${l0[@]}")ms p99=$(median "${h0[@]}")ms | ratio=$(ratio "$rate0" "$ngx_rate")"
echo "proxied GET nstart=4 collapse=0: outpost=$rate4 req/s p50=$(median "${l4[@]}")ms p99=$(median "${h4[@]}")ms | $ngx | ratio=$(ratio "$rate4" "$ngx_rate") (target >= 0.40)"
echo "server cpu us/request (median; outpost = gateway + agent): defaults $(median "${c1[@]}") collapse=0 $(median "${c0[@]}") nstart=4 collapse=0 $(median "${c4[@]}") nginx $(median "${cn[@]}")"
bench_row "proxied GET req/s ($SIZE B, defaults)" "$rate1" "$ngx_rate" \
    "$(ratio "$rate1" "$ngx_rate")x" ">= 0.40x nginx"
bench_row "proxied GET req/s ($SIZE B, collapse=0)" "$rate0" "$ngx_rate" \
    "$(ratio "$rate0" "$ngx_rate")x" "-"
bench_row "proxied GET req/s ($SIZE B, nstart=4 collapse=0)" "$rate4" \
    "$ngx_rate" "$(ratio "$rate4" "$ngx_rate")x" ">= 0.40x nginx"
bench_row "proxied GET server cpu us/req (ratio nginx/outpost)" \
    "$(median "${c1[@]}")" "$(median "${cn[@]}")" \
    "$(ratio "$(median "${cn[@]}")" "$(median "${c1[@]}")")x" "-"
if (( rate4 > rate0 * 11 / 10 )); then
	echo "note: without collapsing, [proxy] nstart = 4 gives $(ratio "$rate4" "$rate0")x nstart = 1's rate on one device"
fi
stop_nodes
stop_nginx
stop_pid "$GW1_PID"
stop_pid "$GW0_PID"
stop_pid "$GW4_PID"

# 3. Durable enqueues to a fleet of sleeping queue-mode devices: awake for
# 1 s after registering, then silent for an hour; the gateway counts them
# as sleeping after [registry] awake_window = 1 s.
echo "== durable enqueues: $QDEVICES sleeping devices, wrk -t$THREADS -c$QCONNS -d${QDURATION}s, PUT /3/0/14?mode=queue"
start_gateway "$TMP/queue" "[registry]
awake_window = 1
[queue]
max_per_device = 100000"
QGW_PID=$GW_PID QGW_HTTP=$GW_HTTP
PREFIX=bench-q-
start_node "$TMP/fleet" "$GW_COAP" --fleet "$QDEVICES" --prefix "$PREFIX" \
    --binding UQ --sleep 3600 --awake 1 --lifetime 86400 --spread 0
FLEET_PID=$NODE_PID
sleeping=0
for ((i = 0; i < 400; i++)); do
	sleeping=$(curl -sf --max-time 2 "http://$HOST:$QGW_HTTP/v1/devices?state=sleeping&limit=1000" |
	    python3 -c 'import json, sys
print(sum(d["ep"].startswith(sys.argv[1]) for d in json.load(sys.stdin)["devices"]))' "$PREFIX") || sleeping=0
	((sleeping == QDEVICES)) && break
	kill -0 "$FLEET_PID" 2>/dev/null || break
	sleep 0.05
done
if ((sleeping != QDEVICES)); then
	tail -n 20 "$TMP/fleet/node.log" >&2
	die "$sleeping of $QDEVICES devices show up sleeping"
fi

cat >"$TMP/enqueue.lua" <<'EOF'
-- PUT /v1/devices/{prefix}{i}/r/3/0/14?mode=queue round-robin over the
-- devices; counts 202 and other answers. Args: PREFIX DEVICES.
local threads = {}

function setup(thread)
	thread:set("id", #threads)
	table.insert(threads, thread)
end

function init(args)
	prefix, ndev, i = args[1], tonumber(args[2]), id
	n202, nother = 0, 0
	headers = { ["Content-Type"] = "text/plain" }
end

function request()
	local ep = prefix .. (i % ndev)
	i = i + 1
	return wrk.format("PUT", "/v1/devices/" .. ep .. "/r/3/0/14?mode=queue",
	    headers, "+01:00")
end

function response(status, headers, body)
	if status == 202 then n202 = n202 + 1 else nother = nother + 1 end
end

function done(summary, latency, requests)
	local a, b = 0, 0
	for _, t in ipairs(threads) do
		a = a + t:get("n202")
		b = b + t:get("nother")
	end
	local e = summary.errors
	io.write(string.format("enqueue: 202=%d non202=%d socket_errors=%d us=%d\n",
	    a, b, e.connect + e.read + e.write + e.timeout, summary.duration))
end
EOF

rss_before=$(rss_anon_kb "$QGW_PID")
txn0=$(store_txn "$TMP/queue/data")
cpu0=$(cpu_ns "$QGW_PID")
out=$TMP/wrk-enqueue.out
timeout $((QDURATION + 30)) wrk -t"$THREADS" -c"$QCONNS" -d"${QDURATION}s" --latency \
    -s "$TMP/enqueue.lua" "http://$HOST:$QGW_HTTP" -- "$PREFIX" "$QDEVICES" \
    >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed against the enqueue route"; }
cpu=$(( $(cpu_ns "$QGW_PID") - cpu0 ))
rss_after=$(rss_anon_kb "$QGW_PID")
line=$(grep '^enqueue:' "$out") || { cat "$out" >&2; die "no counts from the enqueue script"; }
n202=$(field 202 "$line")
non202=$(field non202 "$line")
sockerr=$(field socket_errors "$line")
us=$(field us "$line")
rate=$(awk -v n="$n202" -v us="$us" 'BEGIN { if (us > 0) printf "%.0f", n * 1e6 / us; else print 0 }')
echo "durable enqueues/s: $rate (target >= 5000), non-202: $non202$( ((sockerr == 0)) || echo ", socket errors: $sockerr")"
bench_row "durable enqueues/s ($QDEVICES sleeping devices)" "$rate" - - \
    ">= 5000/s"
printf '  latency p50=%sms p99=%sms, gateway cpu %s us/enqueue\n' \
    "$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")" \
    "$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")" \
    "$(awk -v c="$cpu" -v n="$n202" 'BEGIN { if (n > 0) printf "%.1f", c / n / 1000; else print "n/a" }')"

# What the store holds: every device's queue through the API, and the ops
# table itself. wrk abandons the requests in flight when it stops; the
# gateway still commits them, so the store may hold up to QCONNS more ops
# than 202s were counted, never fewer.
# The listing comes a page at a time: follow "next".
stored=$(python3 - "http://$HOST:$QGW_HTTP" "$PREFIX" "$QDEVICES" <<'PY'
import json, sys, urllib.request
base, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
total = 0
for i in range(n):
    after = None
    while True:
        url = "%s/v1/devices/%s%d/ops?limit=1000" % (base, prefix, i)
        if after is not None:
            url += "&after=%d" % after
        with urllib.request.urlopen(url, timeout=30) as r:
            page = json.load(r)
        total += sum(o["state"] == "queued" for o in page["ops"])
        after = page.get("next")
        if after is None:
            break
print(total)
PY
) || die "GET /v1/devices/{ep}/ops failed"
txn1=$(store_txn "$TMP/queue/data")
table=
if command -v mdb_stat >/dev/null; then
	table=", ops table entries (mdb_stat): $(mdb_stat -s ops "$TMP/queue/data" | awk '/Entries/ { print $2 }')"
fi
echo "store: queued ops (GET /v1/devices/{ep}/ops, $QDEVICES devices)=$stored, 202 answers=$n202, in flight at wrk's stop=$((stored - n202))$table"
if ((txn1 > txn0)); then
	echo "  $((txn1 - txn0)) LMDB commits: $(ratio "$n202" $((txn1 - txn0))) enqueues per commit (fsync)"
fi
data_bytes=$(du -s -B1 "$TMP/queue/data" | cut -f1)
used=$(store_used "$TMP/queue/data")
echo "outpost RssAnon: before=${rss_before} kB after=${rss_after} kB (+$((rss_after - rss_before)) kB for $stored ops)"
echo "lmdb: $((data_bytes / 1024)) KiB on disk$( ((used > 0)) && echo ", $((used / 1024)) KiB of pages in use") for $stored ops and $QDEVICES devices, $(awk -v b="$data_bytes" -v n="$stored" 'BEGIN { if (n > 0) printf "%.0f", b / n; else print "n/a" }') bytes/op"
stop_pid "$FLEET_PID"
NODE_PIDS=
stop_pid "$QGW_PID"
if ((stored < n202)); then
	die "the store holds $stored queued ops but the gateway answered 202 to $n202"
fi
