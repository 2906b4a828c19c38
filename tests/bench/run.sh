#!/usr/bin/env bash
# Registration benchmark, run by `make bench`:
#   tests/bench/run.sh /abs/path/to/outpost
#
# In one run, on loopback only:
#   1. registrations/s of libcoap's coap-rd-notls (the peer) under regload;
#   2. registrations/s of Outpost under the same load, and the ratio; then
#      registration updates/s of Outpost (POST to each Location it gave).
#      coap-rd-notls answers such an update 4.05 (it keeps a resource per
#      registration, with GET and DELETE only), so the update rows compare
#      with its registrations, the nearest thing it does;
#   3. Outpost's RssAnon and LMDB store size per registered device, from an
#      empty store, after 10k and after 100k devices.
# It ends with rows for make bench's table (lib.sh's bench_row).
# It prints figures and never fails on a time. It fails only when something
# cannot run (no compiler, no coap-rd-notls, the gateway does not start).
#
# Load shapes, overridable from the environment: BENCH_SOCKETS source ports,
# BENCH_WINDOWS the requests in flight per port for each shape (default
# "2 4": 128 and 256 in flight), BENCH_TOTAL registrations per run,
# BENCH_ROUNDS runs per server and shape, BENCH_SECONDS limit per run. At
# 512 in flight (64 x 8) both servers lose part of the first burst to the
# kernel's default 208 KiB UDP receive buffer and the figure measures 2 s
# retransmission stalls rather than either server.
set -euo pipefail

OUTPOST=${1:?usage: tests/bench/run.sh /abs/path/to/outpost}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$ROOT/build/bench
REGLOAD=$BUILD/regload
CC=${CC:-cc}
SOCKETS=${BENCH_SOCKETS:-64}
WINDOWS=${BENCH_WINDOWS:-2 4}
TOTAL=${BENCH_TOTAL:-50000}
LIMIT=${BENCH_SECONDS:-30}
ROUNDS=${BENCH_ROUNDS:-3}
MEM_FIRST=10000
MEM_MORE=90000
HOST=127.0.0.1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/outpost-bench.XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trap cleanup_servers EXIT
trap 'exit 130' INT TERM


# field NAME LINE: the value of NAME=... in a regload result line.
field() {
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

# load LABEL PORT ARGS...: one regload run; sets RESULT to its result line
# and prints it with how the responses came and the retransmission count.
# regload's diagnostics are shown when something failed.
load() {
	local label=$1 port=$2 err
	shift 2
	err=$TMP/regload-$label.err
	if ! RESULT=$("$REGLOAD" -h "$HOST" -p "$port" -s "$SOCKETS" \
	    -w "${WINDOW:-2}" "$@" 2>"$err"); then
		cat "$err" >&2
		die "regload failed against $label"
	fi
	printf '%-16s %s (%s)\n' "$label:" "$RESULT" \
	    "$(grep -o 'piggybacked=.*' "$err" | sed 's/; sent acks=[0-9]* rsts=[0-9]*//')"
	if [[ $(field failed "$RESULT") != 0 ]] || grep -q 'time limit' "$err"; then
		grep -v 'responses:' "$err" | sed 's/^/    /' >&2
	fi
}

# Wait until a CoAP server on PORT answers a registration (bounded).
wait_coap() {
	local pid=$1 port=$2 i out
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		out=$("$REGLOAD" -h "$HOST" -p "$port" -s 1 -w 1 -n 1 -t 0.1 \
		    -e "probe-$i-" 2>/dev/null)
		[[ $(field "done" "$out") == 1 ]] && return 0
	done
	return 1
}

# start_outpost DIR: lib.sh's start_gateway, named for this script's
# figures. Sets OUTPOST_PID and COAP_PORT.
start_outpost() {
	start_gateway "$1"
	OUTPOST_PID=$GW_PID
	COAP_PORT=$GW_COAP
}

# per_device BYTES DEVICES: integer bytes per device, or n/a.
per_device() {
	awk -v b="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", b / n; else print "n/a" }'
}

command -v coap-rd-notls >/dev/null || die "coap-rd-notls not found (apt-get install libcoap3-bin)"
command -v curl >/dev/null || die "curl not found"
mkdir -p "$BUILD"
build_tool "$REGLOAD" regload

WINDOW=${WINDOWS%% *}	# the memory runs use the first shape
rows=()			# for bench_row, at the end

[[ -x $OUTPOST ]] || die "$OUTPOST: no such executable"

# 1. Rounds that alternate the peer (libcoap's resource directory, which
# keeps registrations in memory only) and Outpost (which commits each to
# disk before answering), each a fresh process with a fresh store, so that
# both see the same machine state; the median of each is compared. Done for
# each load shape in WINDOWS (requests in flight per port): with few in
# flight the figure is bound by each server's latency (Outpost's includes
# an fsync), with more by how well a server drains a burst (a datagram the
# kernel drops costs the client a 2 s retransmission).
for WINDOW in $WINDOWS; do
echo "== registrations: $TOTAL new endpoints per run, $SOCKETS ports x $WINDOW in flight, $ROUNDS rounds, limit ${LIMIT}s"
rd_rates=() op_rates=() rd_cpus=() op_cpus=() up_rates=() up_cpus=()
for ((round = 1; round <= ROUNDS; round++)); do
	port=$(free_port udp)
	coap-rd-notls -A "$HOST" -p "$port" >"$TMP/coap-rd.log" 2>&1 &
	rd_pid=$!
	PIDS+=("$rd_pid")
	wait_coap "$rd_pid" "$port" || die "coap-rd-notls did not answer on $HOST:$port"
	rd_base=$(rss_anon_kb "$rd_pid")
	cpu0=$(cpu_ns "$rd_pid")
	load "coap-rd-notls#$round" "$port" -n "$TOTAL" -t "$LIMIT" -e "bench-rd$round-"
	rd_rates+=("$(field rate "$RESULT")")
	rd_cpus+=("$(per_device $(( $(cpu_ns "$rd_pid") - cpu0 )) "$(field "done" "$RESULT")")")
	rd_rss=$(per_device $(( ($(rss_anon_kb "$rd_pid") - rd_base) * 1024 )) \
	    "$(field "done" "$RESULT")")
	stop_pid "$rd_pid"

	start_outpost "$TMP/rate$round"
	cpu0=$(cpu_ns "$OUTPOST_PID")
	load "outpost#$round" "$COAP_PORT" -n "$TOTAL" -t "$LIMIT" -e "bench-op$round-" \
	    -o "$TMP/locations"
	op_rates+=("$(field rate "$RESULT")")
	op_cpus+=("$(per_device $(( $(cpu_ns "$OUTPOST_PID") - cpu0 )) "$(field "done" "$RESULT")")")
	cpu0=$(cpu_ns "$OUTPOST_PID")
	load "outpost-update#$round" "$COAP_PORT" -n "$TOTAL" -t "$LIMIT" \
	    -u "$TMP/locations"
	up_rates+=("$(field rate "$RESULT")")
	up_cpus+=("$(per_device $(( $(cpu_ns "$OUTPOST_PID") - cpu0 )) "$(field "done" "$RESULT")")")
	stop_pid "$OUTPOST_PID"
	rm -rf "$TMP/rate$round"
done
rd_rate=$(median "${rd_rates[@]}")
op_rate=$(median "${op_rates[@]}")
printf 'registrations/s %dx%d (median of %d): outpost=%.0f coap-rd-notls=%.0f ratio=%s\n' \
    "$SOCKETS" "$WINDOW" "$ROUNDS" "$op_rate" "$rd_rate" "$(ratio "$op_rate" "$rd_rate")"
# CPU time per registration (all threads of the server, user + system)
# varies far less than wall-clock rates on a shared machine.
rd_cpu=$(median "${rd_cpus[@]}")
op_cpu=$(median "${op_cpus[@]}")
printf 'cpu ns/registration %dx%d (median): outpost=%s coap-rd-notls=%s ratio=%s\n' \
    "$SOCKETS" "$WINDOW" "$op_cpu" "$rd_cpu" "$(ratio "$rd_cpu" "$op_cpu")"
up_rate=$(median "${up_rates[@]}")
up_cpu=$(median "${up_cpus[@]}")
printf 'updates/s %dx%d (median of %d): outpost=%.0f cpu ns/update=%s\n' \
    "$SOCKETS" "$WINDOW" "$ROUNDS" "$up_rate" "$up_cpu"
shape="${SOCKETS}x$WINDOW in flight"
rows+=("registrations/s ($shape)	$(printf %.0f "$op_rate")	$(printf %.0f "$rd_rate")	$(ratio "$op_rate" "$rd_rate")x	>= 1.0x coap-rd")
rows+=("cpu ns/registration ($shape)	$op_cpu	$rd_cpu	$(ratio "$rd_cpu" "$op_cpu")x	>= 1.0x (peer/outpost)")
rows+=("updates/s ($shape; peer: coap-rd registrations)	$(printf %.0f "$up_rate")	$(printf %.0f "$rd_rate")	$(ratio "$up_rate" "$rd_rate")x	>= 1.0x coap-rd")
rows+=("cpu ns/update ($shape; peer: coap-rd registrations)	$up_cpu	$rd_cpu	$(ratio "$rd_cpu" "$up_cpu")x	>= 1.0x (peer/outpost)")
done

# 3. Memory and store size per device, from an empty store.
echo "== memory: $MEM_FIRST then $((MEM_FIRST + MEM_MORE)) devices, empty store"
start_outpost "$TMP/mem"
base=$(rss_anon_kb "$OUTPOST_PID")
base100=$base
load outpost-10k "$COAP_PORT" -n "$MEM_FIRST" -t 30 -e mem-a-
n10=$(field "done" "$RESULT")
rss10=$(rss_anon_kb "$OUTPOST_PID")
load outpost-100k "$COAP_PORT" -n "$MEM_MORE" -t 90 -e mem-b-
n100=$(( n10 + $(field "done" "$RESULT") ))
rss100=$(rss_anon_kb "$OUTPOST_PID")
store=$(du -s -B1 "$TMP/mem/data" | cut -f1)
stop_pid "$OUTPOST_PID"

echo "outpost RssAnon: baseline=${base} kB 10k=${rss10} kB 100k=${rss100} kB"
echo "rss_anon_per_device: 10k=$(per_device $(( (rss10 - base) * 1024 )) "$n10") bytes" \
    "100k=$(per_device $(( (rss100 - base) * 1024 )) "$n100") bytes (target < 1024)"
echo "lmdb_bytes_per_device: 100k=$(per_device "$store" "$n100") bytes (store $((store / 1024)) KiB on disk)"
echo "coap-rd-notls rss_anon_per_device: $((TOTAL / 1000))k=$rd_rss bytes (reference)"
if (( n10 != MEM_FIRST || n100 != MEM_FIRST + MEM_MORE )); then
	echo "note: registered $n10 of $MEM_FIRST and $n100 of $((MEM_FIRST + MEM_MORE)); per-device figures divide by devices registered"
fi

# 4. The same with every device on a CoAP session of its own (its own
# source port), as real devices are: registry record plus libcoap session
# plus the last answer kept for repeats. A registered device's session is
# held for as long as its registration (modules/coap/devreq.c), so all
# 8192 stay, twice [coap] max_idle_sessions (which bounds only sessions
# that route no device). Bursts of 256 new ports at a time, which the
# kernel's default receive buffer takes without loss, each port bound by
# regload -b from 16384 up: ephemeral ports would be given again to a
# later burst, two devices would share a session and the figure would
# read low.
start_outpost "$TMP/sess"
base=$(rss_anon_kb "$OUTPOST_PID")
n=0 src=16384
for ((i = 0; i < 32; i++)); do
	RESULT=$("$REGLOAD" -h "$HOST" -p "$COAP_PORT" -s 256 -w 1 -n 256 -t 30 \
	    -e "sess$i-" -b "$src" 2>/dev/null) || die "regload failed (sessions)"
	n=$(( n + $(field "done" "$RESULT") ))
	src=$(( $(field last_port "$RESULT") + 1 ))
done
rss=$(rss_anon_kb "$OUTPOST_PID")
held=$(curl -sf "http://$HOST:$GW_HTTP/metrics" |
    awk '$1 == "outpost_coap_sessions_held" { print $2 }')
stop_pid "$OUTPOST_PID"
sess_rss=$(per_device $(( (rss - base) * 1024 )) "$n")
echo "rss_anon_per_device_with_own_session: ${n} devices=$sess_rss bytes" \
    "(sessions held: ${held:-n/a})"

# The table's rows: ratios are "better" above 1 (coap-rd/outpost for CPU
# time); memory per device against its target, coap-rd's as a reference.
for row in "${rows[@]}"; do
	IFS=$'\t' read -r -a cols <<<"$row"
	bench_row "${cols[@]}"
done
bench_row "RssAnon per registered device ($((n100 / 1000))k devices, B)" \
    "$(per_device $(( (rss100 - base100) * 1024 )) "$n100")" "$rd_rss" - "< 256 B"
bench_row "RssAnon per device with its own session ($n devices, B)" \
    "$sess_rss" - - "< 1 KiB"
