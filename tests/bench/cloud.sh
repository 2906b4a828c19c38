#!/usr/bin/env bash
# Cloud link (MQTT) benchmark, run by `make bench`:
#   tests/bench/cloud.sh /abs/outpost /abs/outpost-node [/abs/objdir]
#
# On loopback, with Debian's mosquitto broker started here (anonymous,
# persistent: a subscriber's session and the messages queued for it survive
# a restart of the broker) and one mosquitto_sub, QoS 1, on every gateway's
# event topics (outpost/+/events/#) and status topics, each message stamped
# as it arrives (-F %U). The gateways link with [cloud] broker =
# mqtt://127.0.0.1:PORT, retry_max = 2.
# It prints:
#   1. what the link costs: the RssAnon (and VmRSS) of an idle gateway
#      connected to the broker, over mqtt:// and over mqtts:// (the
#      broker's TLS listener, a certificate made here with openssl), against
#      the same gateway without [cloud] broker; the code of the link (`size` of OBJDIR/cloud/*.o, when
#      OBJDIR is given) against the whole outpost binary; and the shared
#      libraries libmosquitto brings (its ldd closure less what the
#      gateway's other libraries already load), with `size` of each;
#   2. live events: a fleet of BENCH_CLOUD_DEVICES (5000) outpost-node
#      devices registering: the gateway's registrations per second and the
#      events per second arriving at the subscriber (the link keeps pace
#      with the registrations: this is their rate, not the link's);
#   3. a backlog: the broker is stopped, BENCH_CLOUD_EVENTS (20000) tag
#      changes (PUT /v1/devices/{ep}/tags, tests/bench/jobtool.py) pile up
#      in the outbox, the broker is started again, and the gateway drains
#      the outbox: events per second at the subscriber (first to last
#      arrival) and the gateway's CPU per event; against mosquitto_pub -l -q 1
#      publishing as many lines of the same size to the same broker in the
#      same run, timed the same way at the same subscriber; and the ratio;
#   4. BENCH_CLOUD_GATEWAYS (10) gateways, each its own process, store,
#      ports and [gateway] id, with a fleet of BENCH_CLOUD_EACH_DEVICES (100)
#      devices each, on one broker: BENCH_CLOUD_EACH (2000) tag changes in
#      each gateway at once (a tagger process each), the total events per
#      second at the subscriber; then as many again while the broker is
#      down: how long after its return the last one arrived (each gateway
#      reconnects after its own jittered back-off) and each gateway's own
#      drain rate; and for each gateway whether all its events arrived
#      (its seq numbers from its first event on, none missing).
# The end of each run is a sentinel: one more tag change, published after
# every event before it (the outbox publishes oldest first); the run is over
# when the subscriber has it. The broker's own flow control is the same for
# both publishers: mosquitto's 20 messages in flight to the subscriber.
# It prints figures and never fails on a time; it fails only when something
# cannot run (a binary or mosquitto missing, a server not starting, events
# that never arrive within BENCH_SECONDS).
set -euo pipefail

OUTPOST=${1:?usage: tests/bench/cloud.sh /abs/outpost /abs/outpost-node [/abs/objdir]}
NODE=${2:?usage: tests/bench/cloud.sh /abs/outpost /abs/outpost-node [/abs/objdir]}
OBJDIR=${3:-}
DEVICES=${BENCH_CLOUD_DEVICES:-5000}
BACKLOG=${BENCH_CLOUD_EVENTS:-20000}
GATEWAYS=${BENCH_CLOUD_GATEWAYS:-10}
EACH=${BENCH_CLOUD_EACH:-2000}
EACH_DEVICES=${BENCH_CLOUD_EACH_DEVICES:-100}
LIMIT=${BENCH_SECONDS:-120}	# longest wait for registrations or events
HOST=127.0.0.1
PREFIX=outpost
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOL=$ROOT/tests/bench/jobtool.py

# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_begin cloud "$OUTPOST" "$NODE"
for t in mosquitto mosquitto_sub mosquitto_pub; do
	command -v "$t" >/dev/null || PATH=$PATH:/usr/sbin
	command -v "$t" >/dev/null ||
	    die "$t not found (scripts/install-deps.sh: mosquitto, mosquitto-clients)"
done

BROKER_PORT=$(free_port tcp)
TLS_PORT=$(free_port tcp)
# A CA and the broker's certificate for its TLS listener (127.0.0.1).
mkdir -p "$TMP/pki"
(
	cd "$TMP/pki"
	ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	openssl req -x509 "${ec[@]}" -days 2 -subj /CN=bench-ca \
	    -keyout ca.key -out ca.pem
	openssl req -new "${ec[@]}" -subj /CN=127.0.0.1 -keyout server.key \
	    -out server.csr
	echo "subjectAltName=IP:127.0.0.1" >server.ext
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile server.ext -out server.pem
) >"$TMP/pki/log" 2>&1 || die "openssl could not make the broker's certificate"
SUBOUT=$TMP/sub.out
: >"$SUBOUT"

# start_broker: mosquitto on $HOST:$BROKER_PORT, its files in $TMP/broker.
# As root it would switch to the user mosquitto, who cannot enter $TMP.
start_broker() {
	local i
	mkdir -p "$TMP/broker"
	cat >"$TMP/broker/mosquitto.conf" <<CONF
user $(id -un)
listener $BROKER_PORT $HOST
allow_anonymous true
persistence true
persistence_location $TMP/broker/
autosave_interval 0
max_queued_messages 0
log_dest file $TMP/broker/mosquitto.log
log_type error
log_type warning
listener $TLS_PORT $HOST
cafile $TMP/pki/ca.pem
certfile $TMP/pki/server.pem
keyfile $TMP/pki/server.key
CONF
	mosquitto -c "$TMP/broker/mosquitto.conf" >>"$TMP/broker/stderr.log" 2>&1 &
	BROKER_PID=$!
	PIDS+=("$BROKER_PID")
	for ((i = 0; i < 200; i++)); do
		mosquitto_pub -h "$HOST" -p "$BROKER_PORT" -t bench/up -n \
		    2>/dev/null && return 0
		kill -0 "$BROKER_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$TMP/broker/stderr.log" "$TMP/broker/mosquitto.log" >&2 || true
	die "mosquitto did not start on $HOST:$BROKER_PORT"
}

# start_sub: mosquitto_sub with the persistent session bench-sub, QoS 1,
# one line "ARRIVAL TOPIC PAYLOAD" per message appended to $SUBOUT;
# returns once a probe it is subscribed to has come back.
start_sub() {
	local i probe=ready-$RANDOM-$RANDOM
	mosquitto_sub -h "$HOST" -p "$BROKER_PORT" -q 1 -c -i bench-sub \
	    -t "$PREFIX/+/events/#" -t "$PREFIX/+/status" -t 'bench/#' \
	    -F '%U %t %p' \
	    >>"$SUBOUT" 2>>"$TMP/sub.err" &
	SUB_PID=$!
	PIDS+=("$SUB_PID")
	for ((i = 0; i < 200; i++)); do
		mosquitto_pub -h "$HOST" -p "$BROKER_PORT" -q 1 -t bench/ready \
		    -m "$probe" 2>/dev/null || true
		grep -q " bench/ready $probe\$" "$SUBOUT" && return 0
		kill -0 "$SUB_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$TMP/sub.err" >&2 || true
	die "mosquitto_sub did not subscribe"
}

# metric PORT NAME: a gateway's /metrics value of NAME (no labels).
metric() {
	curl -sf --max-time 5 "http://$HOST:$1/metrics" |
	    awk -v k="$2" '$1 == k { print $2; exit }'
}

# wait_online GW FROM: until the subscriber has seen GW's status "online"
# from line FROM on (the link is up, its subscriptions made).
wait_online() {
	local i
	for ((i = 0; i < LIMIT * 20; i++)); do
		seen "$2" " $PREFIX/$1/status " '"online"' && return 0
		sleep 0.05
	done
	die "gateway $1 did not come online at the broker within ${LIMIT}s"
}

devices() {
	curl -sf --max-time 5 "http://$HOST:$1/v1/health" |
	    sed -n 's/.*"devices":\([0-9]*\).*/\1/p'
}

# wait_devices PORT N PID...: until the gateway counts N devices, while
# the fleet processes run.
wait_devices() {
	local port=$1 want=$2 t0 n pid
	shift 2
	t0=$(date +%s.%N)
	while :; do
		n=$(devices "$port")
		((${n:-0} >= want)) && return 0
		for pid in "$@"; do
			kill -0 "$pid" 2>/dev/null || die "a fleet exited"
		done
		(($(echo "$(date +%s.%N) - $t0 > $LIMIT" | bc))) &&
		    die "only ${n:-0} of $want devices registered after ${LIMIT}s"
		sleep 0.1
	done
}

# cloud_ini ID: the [gateway] id and [cloud] section of a linked gateway.
cloud_ini() {
	cat <<INI
[gateway]
id = $1
log_level = warning
[cloud]
broker = mqtt://$HOST:$BROKER_PORT
retry_max = 2
INI
}

# sentinel PORT GW: one tag change on the endpoint zz-end-GW, published
# after every event the gateway had before; wait_sentinel waits for it.
sentinel() {
	curl -sf --max-time 10 -X PUT -H 'Content-Type: application/json' \
	    -d "[\"end-$RANDOM\"]" "http://$HOST:$1/v1/devices/zz-end-$2/tags" \
	    >/dev/null || die "PUT tags of zz-end-$2 failed"
}

wait_sentinel() {
	local gw=$1 from=$2 i
	for ((i = 0; i < LIMIT * 20; i++)); do
		seen "$from" " $PREFIX/$gw/events/tags/zz-end-$gw " && return 0
		sleep 0.05
	done
	die "gateway $gw: its last event did not arrive within ${LIMIT}s"
}

# seen FROM TEXT [TEXT2]: whether a line from line FROM on holds TEXT (and
# TEXT2). (Not tail | grep -q: under pipefail, tail's SIGPIPE when grep
# stops early would read as "not seen".)
seen() {
	awk -v f="$1" -v a="$2" -v b="${3:-}" \
	    'NR >= f && index($0, a) && index($0, b) { hit = 1; exit }
	    END { exit !hit }' "$SUBOUT"
}

lines() {
	wc -l <"$SUBOUT"
}

# arrivals FROM TOPIC_RE: of the lines from line FROM whose topic matches,
# "n=COUNT first=T last=T bytes=PAYLOAD_BYTES" (the sentinels left out).
arrivals() {
	awk -v from="$1" -v re="$2" '
	    NR >= from && $2 ~ re && $2 !~ /zz-end-/ {
		n++; if (n == 1) f = $1; l = $1
		b += length($0) - length($1) - length($2) - 2 }
	    END { printf "n=%d first=%s last=%s bytes=%d\n", n, f, l, b }' "$SUBOUT"
}

# rate N FIRST LAST: N/(LAST-FIRST), whole numbers.
rate() {
	awk -v n="$1" -v a="$2" -v b="$3" \
	    'BEGIN { if (b > a) printf "%.0f", n / (b - a); else print "n/a" }'
}

# seqs GW: "seqs=DISTINCT lo=L hi=H missing=M" over every event of GW seen.
seqs() {
	awk -v t="$PREFIX/$1/events/" 'index($2, t) == 1 &&
	    match($0, /"seq": *[0-9]+/) {
		s = substr($0, RSTART, RLENGTH); sub(/.*: */, "", s); s += 0
		if (!(s in seen)) { seen[s] = 1; d++
		    if (d == 1 || s < lo) lo = s; if (s > hi) hi = s } }
	    END { printf "seqs=%d lo=%d hi=%d missing=%d\n", d, lo, hi,
		d ? hi - lo + 1 - d : 0 }' "$SUBOUT"
}

start_broker
start_sub

echo "== cloud link: Debian mosquitto $(mosquitto -h 2>/dev/null |
    sed -n 's/^mosquitto version \([^ ]*\).*/\1/p' | head -1) on $HOST:$BROKER_PORT, mosquitto_sub QoS 1"

# 1. What it costs.
idle_rss() {
	local r
	sleep 1
	r=$(rss_anon_kb "$GW_PID")
	echo "$r $(awk '/^VmRSS:/ { print $2 }' "/proc/$GW_PID/status")"
}
start_gateway "$TMP/plain" "[gateway]
log_level = warning"
read -r plain_anon plain_rss < <(idle_rss)
stop_pid "$GW_PID"
from=$(($(lines) + 1))
start_gateway "$TMP/linked" "$(cloud_ini bench-idle)"
wait_online bench-idle "$from"
read -r cloud_anon cloud_rss < <(idle_rss)
stop_pid "$GW_PID"
from=$(($(lines) + 1))
start_gateway "$TMP/linked-tls" "$(cloud_ini bench-idle-tls |
    sed "s|^broker = .*|broker = mqtts://$HOST:$TLS_PORT\nca_file = $TMP/pki/ca.pem|")"
wait_online bench-idle-tls "$from"
read -r tls_anon tls_rss < <(idle_rss)
stop_pid "$GW_PID"
echo "idle gateway, no devices (RssAnon: its private memory; VmRSS adds the shared libraries' pages it touched):"
printf '  %-36s RssAnon %5d kB           VmRSS %6d kB\n' \
    "without [cloud] broker:" "$plain_anon" "$plain_rss"
printf '  %-36s RssAnon %5d kB (%+5d kB) VmRSS %6d kB (%+d kB)\n' \
    "connected, mqtt:// (plain):" "$cloud_anon" $((cloud_anon - plain_anon)) \
    "$cloud_rss" $((cloud_rss - plain_rss)) \
    "connected, mqtts:// (TLS, OpenSSL):" "$tls_anon" $((tls_anon - plain_anon)) \
    "$tls_rss" $((tls_rss - plain_rss))

read -r t d b _ < <(size "$OUTPOST" | tail -1)
printf 'outpost binary (size): text %d + data %d + bss %d bytes\n' "$t" "$d" "$b"
if [[ -n $OBJDIR ]] && compgen -G "$OBJDIR/cloud/*.o" >/dev/null; then
	size "$OBJDIR"/cloud/*.o | awk 'NR > 1 { t += $1; d += $2; b += $3; n++ }
	    END { printf "  of which the link (%d objects of cloud/): text %d + data %d + bss %d bytes\n", n, t, d, b }'
fi
# The libraries libmosquitto loads that nothing else of the gateway does.
lib_of() {	# lib_of BINARY SONAME: the file ldd finds for SONAME
	ldd "$1" | awk -v l="$2" '$1 == l { print $3 }'
}
mosq=$(lib_of "$OUTPOST" libmosquitto.so.1)
if [[ -n $mosq ]]; then
	ldd "$OUTPOST" | awk '$3 ~ /^\// { print $3 }' | sort -u >"$TMP/all"
	for lib in $(readelf -d "$OUTPOST" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
		[[ $lib == libmosquitto* ]] && continue
		p=$(lib_of "$OUTPOST" "$lib")
		[[ -n $p ]] && { echo "$p"; ldd "$p" | awk '$3 ~ /^\// { print $3 }'; }
	done | sort -u >"$TMP/others"
	comm -23 "$TMP/all" "$TMP/others" >"$TMP/new"
	echo "  shared libraries the link adds (ldd closure of libmosquitto less the gateway's other libraries'), size text+data+bss / file bytes:"
	total=0
	while read -r p; do
		read -r t d b _ < <(size "$(readlink -f "$p")" | tail -1)
		f=$(stat -L -c %s "$p")
		total=$((total + t + d + b))
		printf '    %-28s %9d / %9d\n' "$(basename "$p")" $((t + d + b)) "$f"
	done <"$TMP/new"
	printf '    %-28s %9d\n' "total" "$total"
else
	echo "  outpost does not link libmosquitto"
fi

# 2. Live: a fleet registers.
from=$(($(lines) + 1))
start_gateway "$TMP/live" "$(cloud_ini bench-live)
[coap]
max_idle_sessions = $((DEVICES + 1000))"
LIVE_HTTP=$GW_HTTP LIVE_PID=$GW_PID
wait_online bench-live "$from"
cpu0=$(cpu_ns "$LIVE_PID")
t0=$(date +%s.%N)
start_node "$TMP/fleet" "$GW_COAP" --fleet "$DEVICES" --prefix cl- --spread 0 \
    --lifetime 3600
wait_devices "$LIVE_HTTP" "$DEVICES" "$NODE_PID"
treg=$(echo "$(date +%s.%N) - $t0" | bc)
sentinel "$LIVE_HTTP" bench-live
wait_sentinel bench-live "$from"
cpu=$(($(cpu_ns "$LIVE_PID") - cpu0))
a=$(arrivals "$from" "^$PREFIX/bench-live/events/")
n=$(field n " $a")
echo "== live: $DEVICES fleet devices register"
printf '  registrations: %d in %.2f s, %s/s (the gateway'"'"'s count, polled)\n' \
    "$DEVICES" "$treg" "$(rate "$DEVICES" 0 "$treg")"
printf '  events at the subscriber: %d in %.2f s, %s events/s (first to last arrival); gateway cpu %s us/event (registration included)\n' \
    "$n" "$(awk -v a="$(field first " $a")" -v b="$(field last " $a")" 'BEGIN { print b - a }')" \
    "$(rate "$n" "$(field first " $a")" "$(field last " $a")")" \
    "$(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.0f", n ? c / n / 1000 : 0 }')"
echo "  $(seqs bench-live)"

# 3. A backlog: the broker goes, tag changes pile up, the broker comes back.
# mosquitto closes its connections as it stops: the gateway sees the link
# go at once, and what it publishes from then on waits in the outbox.
stop_pid "$SUB_PID"
stop_pid "$BROKER_PID"
out=$(python3 "$TOOL" tag "$LIVE_HTTP" bl- "$BACKLOG" "backlog" 16) ||
    die "tagging failed"
sentinel "$LIVE_HTTP" bench-live
depth=$(metric "$LIVE_HTTP" outpost_cloud_outbox_events)
kb=$(metric "$LIVE_HTTP" outpost_cloud_outbox_bytes)
echo "== backlog: broker stopped, $BACKLOG tag changes ($out); /metrics: outbox ${depth:-?} events, ${kb:-?} bytes"
from=$(($(lines) + 1))
cpu0=$(cpu_ns "$LIVE_PID")
start_broker
bcpu0=$(cpu_ns "$BROKER_PID")
start_sub
wait_sentinel bench-live "$from"
cpu=$(($(cpu_ns "$LIVE_PID") - cpu0))
bcpu=$(($(cpu_ns "$BROKER_PID") - bcpu0))
a=$(arrivals "$from" "^$PREFIX/bench-live/events/tags/bl-")
n=$(field n " $a")
link_rate=$(rate "$n" "$(field first " $a")" "$(field last " $a")")
avg=$(awk -v b="$(field bytes " $a")" -v n="$n" 'BEGIN { printf "%.0f", n ? b / n : 0 }')
printf '  drained: %d events (%d-byte payloads on average) at %s events/s (first to last arrival); gateway cpu %s us/event, broker %s us/event\n' \
    "$n" "$avg" "$link_rate" \
    "$(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.0f", n ? c / n / 1000 : 0 }')" \
    "$(awk -v c="$bcpu" -v n="$n" 'BEGIN { printf "%.0f", n ? c / n / 1000 : 0 }')"
echo "  $(seqs bench-live)"

# The peer: mosquitto_pub -l, as many lines of the same size, QoS 1.
awk -v n="$BACKLOG" -v s="$avg" 'BEGIN {
	for (i = 0; i < n; i++) {
		l = sprintf("{\"seq\":%d,\"pad\":\"", i)
		p = s - length(l) - 2; pad = ""
		while (length(pad) < p) pad = pad "x"
		print l pad "\"}" } }' >"$TMP/lines"
from=$(($(lines) + 1))
bcpu0=$(cpu_ns "$BROKER_PID")
mosquitto_pub -h "$HOST" -p "$BROKER_PORT" -q 1 -t bench/pub -l \
    <"$TMP/lines" || die "mosquitto_pub failed"
for ((i = 0; i < LIMIT * 20; i++)); do
	seen "$from" " bench/pub {\"seq\":$((BACKLOG - 1))," && break
	sleep 0.05
done
((i < LIMIT * 20)) || die "mosquitto_pub's last line did not arrive"
bcpu=$(($(cpu_ns "$BROKER_PID") - bcpu0))
a=$(arrivals "$from" "^bench/pub\$")
n=$(field n " $a")
pub_rate=$(rate "$n" "$(field first " $a")" "$(field last " $a")")
printf '  mosquitto_pub -l -q 1: %d lines at %s messages/s (first to last arrival); broker %s us/message\n' \
    "$n" "$pub_rate" \
    "$(awk -v c="$bcpu" -v n="$n" 'BEGIN { printf "%.0f", n ? c / n / 1000 : 0 }')"
echo "  link/mosquitto_pub: $(ratio "$link_rate" "$pub_rate")"
bench_row "cloud link drain events/s (peer: mosquitto_pub -l -q 1)" \
    "$link_rate" "$pub_rate" "$(ratio "$link_rate" "$pub_rate")x" "-"
stop_nodes
stop_pid "$LIVE_PID"

# 4. Many gateways on one broker.
echo "== $GATEWAYS gateways on one broker, $EACH_DEVICES devices each; $EACH tag changes in each gateway at once, live, then while the broker is down and drained"
GW_PORTS=() GW_PIDS=() FLEETS=()
from=$(($(lines) + 1))
for ((g = 0; g < GATEWAYS; g++)); do
	start_gateway "$TMP/gw$g" "$(cloud_ini bench-gw$g)"
	GW_PORTS+=("$GW_HTTP") GW_PIDS+=("$GW_PID")
	start_node "$TMP/gw$g/fleet" "$GW_COAP" --fleet "$EACH_DEVICES" \
	    --prefix "g$g-" --spread 0 --lifetime 3600
	FLEETS+=("$NODE_PID")
done
for ((g = 0; g < GATEWAYS; g++)); do
	wait_online "bench-gw$g" "$from"
	wait_devices "${GW_PORTS[g]}" "$EACH_DEVICES" "${FLEETS[g]}"
done
# many_round LABEL P DRAIN: EACH tag changes in every gateway at once, on
# endpoints PG-I; with DRAIN, made while the broker is stopped and drained
# when it is back. Prints the total rate and each gateway's count.
many_round() {
	local label=$1 p=$2 drain=$3 g pid a s n ok from cpu0 bcpu0 cpu bcpu
	local back taggers=() rates=()
	if [[ -n $drain ]]; then
		stop_pid "$SUB_PID"
		stop_pid "$BROKER_PID"
	fi
	from=$(($(lines) + 1))
	cpu0=$(cpu_ns "${GW_PIDS[@]}")
	[[ -n $drain ]] || bcpu0=$(cpu_ns "$BROKER_PID")
	for ((g = 0; g < GATEWAYS; g++)); do
		(python3 "$TOOL" tag "${GW_PORTS[g]}" "$p$g-" "$EACH" "$p" 4 \
		    >/dev/null && sentinel "${GW_PORTS[g]}" "bench-gw$g") &
		taggers+=($!)
	done
	for pid in "${taggers[@]}"; do
		wait "$pid" || die "tagging failed"
	done
	if [[ -n $drain ]]; then
		cpu0=$(cpu_ns "${GW_PIDS[@]}")
		start_broker
		back=$(date +%s.%N)
		bcpu0=$(cpu_ns "$BROKER_PID")
		start_sub
	fi
	for ((g = 0; g < GATEWAYS; g++)); do
		wait_sentinel "bench-gw$g" "$from"
	done
	cpu=$(($(cpu_ns "${GW_PIDS[@]}") - cpu0))
	bcpu=$(($(cpu_ns "$BROKER_PID") - bcpu0))
	a=$(arrivals "$from" "^$PREFIX/bench-gw[0-9]+/events/tags/${p}[0-9]+-")
	n=$(field n " $a")
	if [[ -z $drain ]]; then
		printf '  %s: %d events at %s events/s (first to last arrival); gateways cpu %s us/event, broker %s us/event\n' \
		    "$label" "$n" "$(rate "$n" "$(field first " $a")" "$(field last " $a")")" \
		    "$(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.0f", n ? c / n / 1000 : 0 }')" \
		    "$(awk -v c="$bcpu" -v n="$n" 'BEGIN { printf "%.0f", n ? c / n / 1000 : 0 }')"
	fi
	for ((g = 0; g < GATEWAYS; g++)); do
		a=$(arrivals "$from" "^$PREFIX/bench-gw$g/events/tags/${p}$g-")
		rates+=("$(rate "$(field n " $a")" "$(field first " $a")" "$(field last " $a")")")
		s=$(seqs "bench-gw$g")
		ok=yes
		[[ $(field n " $a") -ge $EACH && $(field missing " $s") == 0 ]] ||
		    ok=no ALL=no
		COUNTS[g]="${COUNTS[g]:-} $label $(field n " $a")/$EACH"
		[[ $ok == yes ]] || echo "  bench-gw$g: $(field n " $a") of $EACH $label events; $s"
	done
	# Each gateway comes back after its own back-off, drawn with jitter:
	# the total spans their reconnections, so each one's own rate says
	# more.
	if [[ -n $drain ]]; then
		a=$(arrivals "$from" "^$PREFIX/bench-gw[0-9]+/events/tags/${p}[0-9]+-")
		printf '  %s: %d events, the last %.2f s after the broker was back (back-off with jitter included); each gateway drained its own at a median %s events/s (first to last arrival; min %s); gateways cpu %s us/event, broker %s us/event\n' \
		    "$label" "$n" "$(awk -v a="$back" -v b="$(field last " $a")" 'BEGIN { print b - a }')" \
		    "$(median "${rates[@]}")" "$(printf '%s\n' "${rates[@]}" | sort -g | head -1)" \
		    "$(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.0f", n ? c / n / 1000 : 0 }')" \
		    "$(awk -v c="$bcpu" -v n="$n" 'BEGIN { printf "%.0f", n ? c / n / 1000 : 0 }')"
	fi
}

ALL=yes COUNTS=()
many_round live t ''
many_round drained u drain
for ((g = 0; g < GATEWAYS; g++)); do
	echo "  bench-gw$g:${COUNTS[g]}; every event since its start: $(seqs "bench-gw$g")"
done
echo "  every gateway's events arrived: $ALL"
bench_row "cloud: every event of $GATEWAYS gateways arrived" "$ALL" - - "yes"
