#!/usr/bin/env bash
# Per-message cost against the number of live sessions, run by `make bench`:
#   tests/bench/flat.sh /abs/path/to/outpost /abs/path/to/outpost-node
#
# In one run, on loopback only, for plain CoAP and for DTLS-PSK: a gateway
# with a fleet of outpost-node devices, each on a CoAP session of its own
# (its own source port; over DTLS its own handshake and key), first 10 of
# them, then 10,000. wrk sends proxied GETs (collapse off: every GET its
# own CoAP exchange) round-robin to the same 10 devices in both cases, and
# the gateway's CPU time per GET is compared: the idle sessions must not
# make the busy ones dearer (target: within 1.2x). Then the same for
# registration updates: regload registers UPDATES endpoints from 64 ports
# and updates each, once a round, beside the fleet's idle sessions.
# It prints figures and never fails on a time. It fails when something
# cannot run (wrk missing, the gateway or the fleet does not start, a
# fleet does not register, GETs fail).
#
# Overridable from the environment: BENCH_FLAT_DEVICES (10000),
# BENCH_FLAT_SECONDS per wrk run (5), BENCH_FLAT_ROUNDS (3, the median is
# printed), BENCH_FLAT_CONNECTIONS (16), BENCH_FLAT_MODES ("plain dtls"),
# BENCH_FLAT_UPDATES (50000).
set -euo pipefail

OUTPOST=${1:?usage: tests/bench/flat.sh /abs/path/to/outpost /abs/path/to/outpost-node}
NODE=${2:?usage: tests/bench/flat.sh /abs/path/to/outpost /abs/path/to/outpost-node}
BIG=${BENCH_FLAT_DEVICES:-10000}
DURATION=${BENCH_FLAT_SECONDS:-5}
ROUNDS=${BENCH_FLAT_ROUNDS:-3}
CONNS=${BENCH_FLAT_CONNECTIONS:-16}
MODES=${BENCH_FLAT_MODES:-plain dtls}
UPDATES=${BENCH_FLAT_UPDATES:-50000}
THREADS=2
SMALL=10
BUSY=10			# devices the GETs go to, in both cases
LIMIT=600		# longest wait for a fleet to register, in seconds
KEY=666c61742d62656e63682d6b65792d30	# the fleet's PSK, in hex
PREFIX=flat-
HOST=127.0.0.1

# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_begin flat "$OUTPOST" "$NODE"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
REGLOAD=$TMP/regload
build_tool "$REGLOAD" regload

devices() {
	curl -sf "http://$HOST:$GW_HTTP/v1/health" |
	    sed -n 's/.*"devices":\([0-9]*\).*/\1/p'
}

# The GETs: round-robin over the first BUSY devices, from each wrk thread.
cat >"$TMP/rr.lua" <<LUA
local i = 0
request = function()
	i = (i + 1) % $BUSY
	return wrk.format("GET", "/v1/devices/$PREFIX" .. i .. "/r/3/0/0")
end
LUA
WRK_ARGS=(-s "$TMP/rr.lua")

# A DTLS fleet is at most 900 devices per process (outpost-node(8)): the
# devices are fleets of CHUNK, named $PREFIX0.. for the first (the GETs go
# to its first BUSY) and ${PREFIX}pK-0.. for the K-th after it.
CHUNK=900

# chunk_prefix K: the names' prefix of the K-th fleet process.
chunk_prefix() {
	if (($1 == 0)); then echo "$PREFIX"; else echo "${PREFIX}p$1-"; fi
}

# provision N: a PSK credential per device (identity = its name), over
# one keep-alive connection.
provision() {
	python3 - "$GW_HTTP" "$1" "$CHUNK" "$PREFIX" "$KEY" <<'PY' || die "provisioning failed"
import http.client, json, sys
port, n, chunk, prefix, key = (int(sys.argv[1]), int(sys.argv[2]),
    int(sys.argv[3]), sys.argv[4], sys.argv[5])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for i in range(n):
    k, j = divmod(i, chunk)
    ep = "%s%s%d" % (prefix, "p%d-" % k if k else "", j)
    c.request("POST", "/v1/devices", body=json.dumps({
        "ep": ep, "psk_identity": ep, "psk_key": key}))
    r = c.getresponse()
    r.read()
    if r.status != 201:
        sys.exit("POST /v1/devices: %d" % r.status)
PY
}

# fleet DIR URI PREFIX N: a fleet of N devices named PREFIX0.. on URI,
# with the fleet's PSK when URI is coaps, registering over SPREAD s.
fleet() {
	mkdir -p "$1"
	printf '[node]\ngateway = %s\n' "$2" >"$1/node.ini"
	[[ $2 != coaps:* ]] || printf 'psk_key = %s\n' "$KEY" >>"$1/node.ini"
	start_node "$1" "$GW_COAP" -c node.ini --gateway "$2" --fleet "$4" \
	    --prefix "$3" --spread "$SPREAD" --lifetime 3600
}

# measure MODE N: a gateway, a fleet of N on it, the GET rounds; sets
# CPU (median gateway CPU us per GET) and prints each round.
measure() {
	local mode=$1 n=$2 dir=$TMP/$1-$2 uri t0 r k pid out before cpus=() upds have
	start_gateway "$dir/gw" "[gateway]
log_level = warning
[coap]
max_idle_sessions = 0
[registry]
max_devices = $((n + UPDATES + 100))
[proxy]
collapse = 0"
	uri=coap://$HOST:$GW_COAP
	if [[ $mode == dtls ]]; then
		provision "$n"
		uri=coaps://$HOST:$GW_COAPS
	fi
	# Plain registrations all at once; handshakes spread at 400/s, which
	# the gateway keeps up with (a burst beyond its socket buffer would
	# cost the lost ones the fleet's backoff).
	SPREAD=0
	[[ $mode == plain ]] || SPREAD=$((n / 400))
	t0=$(date +%s)
	if [[ $mode == plain ]]; then
		fleet "$dir/fleet" "$uri" "$PREFIX" "$n"
	else
		for ((k = 0; k * CHUNK < n; k++)); do
			fleet "$dir/fleet$k" "$uri" "$(chunk_prefix "$k")" \
			    $((n - k * CHUNK < CHUNK ? n - k * CHUNK : CHUNK))
		done
	fi
	while :; do
		have=$(devices)
		((${have:-0} >= n)) && break
		for pid in $NODE_PIDS; do
			kill -0 "$pid" 2>/dev/null ||
			    die "a fleet exited: $(tail -q -n 3 "$dir"/fleet*/node.log)"
		done
		(($(date +%s) - t0 > LIMIT)) &&
		    die "only ${have:-0} of $n devices registered after ${LIMIT}s"
		sleep 0.5
	done
	echo "$mode, $n sessions: registered in $(($(date +%s) - t0)) s"
	for ((r = 1; r <= ROUNDS; r++)); do
		bench_get "$mode-$n-$r" "http://$HOST:$GW_HTTP/" "$GW_PID"
		[[ -z $NOTES ]] || die "GETs failed: $NOTES"
		cpus+=("$CPU_US")
	done
	CPU=$(median "${cpus[@]}")
	"$REGLOAD" -h "$HOST" -p "$GW_COAP" -s 64 -w 2 -n "$UPDATES" -e upd- \
	    -o "$dir/locations" >"$dir/reg.out" 2>"$dir/reg.err" ||
	    die "regload failed: $(tail -3 "$dir/reg.err")"
	upds=()
	for ((r = 1; r <= ROUNDS; r++)); do
		before=$(cpu_ns "$GW_PID")
		out=$("$REGLOAD" -h "$HOST" -p "$GW_COAP" -s 64 -w 2 \
		    -n "$UPDATES" -u "$dir/locations" 2>"$dir/upd.err") ||
		    die "regload failed: $(tail -3 "$dir/upd.err")"
		[[ $(field failed " $out") == 0 ]] || die "updates failed: $out"
		upds+=("$(awk -v a="$before" -v b="$(cpu_ns "$GW_PID")" \
		    -v n="$(field "done" " $out")" \
		    'BEGIN { printf "%.1f", (b - a) / 1000 / n }')")
		echo "  updates-$r: $out (gateway cpu us/update ${upds[-1]})"
	done
	UPD=$(median "${upds[@]}")
	stop_nodes
	stop_pid "$GW_PID"
	rm -rf "$dir"
}

echo "== per-message cost: proxied GETs to $BUSY devices among $SMALL, then $BIG live sessions, $CONNS connections, $ROUNDS x ${DURATION}s"
for mode in $MODES; do
	measure "$mode" "$SMALL"
	small=$CPU small_upd=$UPD
	measure "$mode" "$BIG"
	big=$CPU big_upd=$UPD
	echo "flat: $mode: gateway cpu us per proxied GET: $SMALL sessions=$small $BIG sessions=$big ratio=$(ratio "$big" "$small")"
	echo "flat: $mode: gateway cpu us per registration update: $SMALL sessions=$small_upd $BIG sessions=$big_upd ratio=$(ratio "$big_upd" "$small_upd")"
	bench_row "CPU us per proxied GET, $BIG vs $SMALL $mode sessions" \
	    "$big" "$small" "$(ratio "$big" "$small")" "<= 1.2x"
	bench_row "CPU us per registration update, $BIG vs $SMALL $mode sessions" \
	    "$big_upd" "$small_upd" "$(ratio "$big_upd" "$small_upd")" "<= 1.2x"
done
