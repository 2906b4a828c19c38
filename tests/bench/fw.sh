#!/usr/bin/env bash
# fw.sh OUTPOST NODE: firmware delivery, the gateway against libcoap's
# coap-server, like with like. One signed image (FW_KB KiB, default 4096)
# is served by the gateway (uploaded: coap://GW/fw/ID and its manifest)
# and by coap-server-notls (the gateway's manifest and the image PUT to
# two of its dynamic resources, -d: coap://SRV/fw/manifest and
# coap://SRV/fw); both are fetched back once with coap-client and must be
# the same bytes. The same fleet, FW_CLIENTS (default 100) devices in
# FW_PROCS (default 1) outpost-node processes with [firmware] block_size
# FW_BLOCK (default 1024), pulls it from one server, then from the other,
# FW_ROUNDS (default 5) times, the order alternating: the gateway's API
# writes the URI to each device's /5/0/1 (the same writes for both), and
# each device fetches URI/manifest, verifies its signature, fetches the
# image block by block and hashes it. A round ends when every device has
# logged its digest verified (the fleet logs at debug), and fails when one
# logs an Update Result instead. A round on each, not counted, warms both
# up. Per server, the median of the rounds: images/s (devices over the
# seconds from the first write to the last digest) and the server's CPU
# per image (the gateway's, its writes included; coap-server's), as
# bench_row rows; their ratio is the median of the rounds' ratios (each
# round runs the two one after the other, so a shared machine's load,
# which moves slower, weighs on both alike). Also
# printed: the gateway's CPU for the writes alone (in coap-server's
# rounds), the fleet's CPU per image, the gateway's RssAnon growth during
# its rounds, and what a running campaign holds in RAM per device. A
# figure, not a test: it never fails on a time, only when something cannot
# run or a device did not get the image.
set -euo pipefail
OUTPOST=${1:?usage: fw.sh OUTPOST NODE}
NODE=${2:?usage: fw.sh OUTPOST NODE}
CLIENTS=${FW_CLIENTS:-100}
PROCS=${FW_PROCS:-1}
KB=${FW_KB:-4096}
BLOCK=${FW_BLOCK:-1024}
ROUNDS=${FW_ROUNDS:-5}
HOST=127.0.0.1
. "$(dirname "$0")/lib.sh"
bench_begin fw "$OUTPOST" "$NODE"
SERVER=$(command -v coap-server-notls || command -v coap-server-gnutls) ||
    die "coap-server-notls not found (libcoap3-bin)"
CLIENT=$(command -v coap-client-notls || command -v coap-client-gnutls) ||
    die "coap-client-notls not found (libcoap3-bin)"

SIZE=$((KB * 1024))
head -c "$SIZE" /dev/urandom >"$TMP/fw.bin"
"$OUTPOST" keygen "$TMP/rel" >/dev/null
"$OUTPOST" sign --key "$TMP/rel.key" --vendor bench --class fw \
    --version 1 --seq 1 "$TMP/fw.bin" >/dev/null
start_gateway "$TMP/gw" "[gateway]
log_level = warning
[http]
max_body = 4194304
[firmware]
block_size = $BLOCK
trusted_keys = $TMP/rel.pub"
ID=$(curl -sf -X POST --data-binary @"$TMP/fw.bin.manifest" \
    "http://$HOST:$GW_HTTP/v1/firmware" | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
PART=65536		# under the default [http] max_body
for ((off = 0; off < SIZE; off += PART)); do
	dd if="$TMP/fw.bin" bs=$PART skip=$((off / PART)) count=1 \
	    status=none >"$TMP/part"
	end=$((off + $(stat -c %s "$TMP/part") - 1))
	curl -sf -o /dev/null -X PUT --data-binary @"$TMP/part" \
	    -H "Content-Range: bytes $off-$end/$SIZE" \
	    "http://$HOST:$GW_HTTP/v1/firmware/$ID/image" ||
	    die "upload of the part at $off failed"
done

# coap_get URL FILE: a block-wise GET of URL into FILE; coap_put FILE URL.
# libcoap logs warnings to stdout: keep them off ours.
coap_get() {
	rm -f "$2"
	"$CLIENT" -m get -b "$BLOCK" -o "$2" "$1" >/dev/null 2>&1 || true
	[[ -s $2 ]]
}
coap_put() {
	"$CLIENT" -m put -b "$BLOCK" -f "$1" "$2" >/dev/null 2>&1
}

SRV=$(free_port udp)
"$SERVER" -A "$HOST" -p "$SRV" -d 4 -v 0 >"$TMP/coap-server.log" 2>&1 &
SRV_PID=$!
PIDS+=("$SRV_PID")
GW_URI=coap://$HOST:$GW_COAP/fw/$ID
SRV_URI=coap://$HOST:$SRV/fw
coap_get "$GW_URI/manifest" "$TMP/manifest.gw" ||
    die "the gateway does not serve $GW_URI/manifest"
for ((i = 0; i < 100; i++)); do
	coap_put "$TMP/manifest.gw" "$SRV_URI/manifest" && break
	kill -0 "$SRV_PID" 2>/dev/null || break
	sleep 0.05
done
coap_put "$TMP/fw.bin" "$SRV_URI" || die "coap-server took no image"
# The same bytes from both, manifest and image.
coap_get "$SRV_URI/manifest" "$TMP/manifest.srv" &&
    cmp -s "$TMP/manifest.gw" "$TMP/manifest.srv" ||
    die "coap-server does not serve the gateway's manifest"
for uri in "$GW_URI" "$SRV_URI"; do
	coap_get "$uri" "$TMP/check.bin" && cmp -s "$TMP/check.bin" "$TMP/fw.bin" ||
	    die "$uri is not the image"
done
rm -f "$TMP/check.bin"

# The fleet: PROCS processes of CLIENTS/PROCS devices, verifying the
# manifest with the release key as a real device would.
cat >"$TMP/node.ini" <<INI
[firmware]
vendor = bench
class = fw
block_size = $BLOCK
trusted_keys = $TMP/rel.pub
INI
per=$(( (CLIENTS + PROCS - 1) / PROCS ))
eps=()
FLEET_PIDS=()
LOGS=()
for ((p = 0, left = CLIENTS; p < PROCS && left > 0; p++, left -= per)); do
	n=$((left < per ? left : per))
	start_node "$TMP/fleet$p" "$GW_COAP" -c "$TMP/node.ini" --fleet "$n" \
	    --prefix "fw$p-" --spread 0 --lifetime 3600 -v
	FLEET_PIDS+=("$NODE_PID")
	LOGS+=("$TMP/fleet$p/node.log")
	for ((i = 0; i < n; i++)); do eps+=("fw$p-$i"); done
done
for ((i = 0; i < 400; i++)); do
	n=$(curl -sf "http://$HOST:$GW_HTTP/v1/health" |
	    sed -n 's/.*"devices":\([0-9]*\).*/\1/p')
	((${n:-0} >= CLIENTS)) && break
	sleep 0.05
done
((${n:-0} >= CLIENTS)) || die "only ${n:-0} of $CLIENTS fleet devices registered"

# Sample the gateway's RssAnon while the rounds run.
rss0=$(rss_anon_kb "$GW_PID")
( peak=$rss0; while kill -0 "$GW_PID" 2>/dev/null; do
	r=$(rss_anon_kb "$GW_PID" 2>/dev/null || echo 0)
	# Whole or not at all: the sampler may be stopped mid-write.
	((r > peak)) && peak=$r && echo "$peak" >"$TMP/peak.new" &&
	    mv "$TMP/peak.new" "$TMP/peak"
	sleep 0.1
done ) &
SAMPLER=$!
PIDS+=("$SAMPLER")

# write_all VALUE: VALUE written to /5/0/1 of every device through the
# gateway's API, 16 at a time by one curl; fails unless all are 2xx.
write_all() {
	local ep args=() ok
	for ep in "${eps[@]}"; do
		args+=(-o /dev/null "http://$HOST:$GW_HTTP/v1/devices/$ep/r/5/0/1")
	done
	ok=$(curl -s --no-progress-meter -Z --parallel-max 16 --max-time 60 \
	    -X PUT -H "Content-Type: text/plain" --data "$1" \
	    -w '%{http_code}\n' "${args[@]}" 2>/dev/null | grep -c '^2') || true
	((ok == CLIENTS)) || die "only $ok of $CLIENTS writes of /5/0/1 ('$1') succeeded"
}

# count PATTERN: the fleet's log lines matching PATTERN.
count() {
	cat "${LOGS[@]}" | grep -c -- "$1" || true
}

# round NAME URI PID: the fleet pulls URI; PID serves it. Appends the
# seconds, the server's CPU (ns), the gateway's and the fleet's to
# T_NAME, C_NAME, G_NAME and F_NAME.
round() {
	local name=$1 uri=$2 pid=$3 ok0 bad0 ok bad c0 g0 f0 t0 t1 dt
	ok0=$(count "downloaded, digest verified")
	bad0=$(count "(Update Result")
	c0=$(cpu_ns "$pid") g0=$(cpu_ns "$GW_PID") f0=$(cpu_ns "${FLEET_PIDS[@]}")
	t0=$(date +%s.%N)
	write_all "$uri"
	while :; do
		ok=$(( $(count "downloaded, digest verified") - ok0 ))
		bad=$(( $(count "(Update Result") - bad0 ))
		((ok + bad >= CLIENTS)) && break
		kill -0 "$pid" 2>/dev/null || die "the server of $name exited"
		(( $(date +%s) - ${t0%.*} < 600 )) ||
		    die "$name: $ok of $CLIENTS images after 600 s"
		sleep 0.05
	done
	t1=$(date +%s.%N)
	eval "C_$name+=($(( $(cpu_ns "$pid") - c0 )))"
	eval "G_$name+=($(( $(cpu_ns "$GW_PID") - g0 )))"
	eval "F_$name+=($(( $(cpu_ns "${FLEET_PIDS[@]}") - f0 )))"
	if ((bad > 0)); then
		cat "${LOGS[@]}" | grep -- "(Update Result" | tail -n 3 >&2
		die "$name: $bad of $CLIENTS devices did not get the image"
	fi
	dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	eval "T_$name+=($dt)"
	printf '  round %d %-11s %6.2f s  %s images/s\n' "$r" "$name:" "$dt" \
	    "$(awk -v n="$CLIENTS" -v t="$dt" 'BEGIN { printf "%.1f", n / t }')"
	write_all ""	# back to Idle, for the next round
}

T_outpost=() C_outpost=() G_outpost=() F_outpost=()
T_peer=() C_peer=() G_peer=() F_peer=()
echo "== firmware: $CLIENTS fleet devices ($PROCS outpost-node process(es)) pull a signed ${KB} KiB image in ${BLOCK}-byte blocks, from the gateway and from $(basename "$SERVER"), $ROUNDS rounds each, alternating"
# A round each first, not counted: the first pull from a server costs
# more (the gateway's store pages, the fleet's sessions and buffers).
r=0
round outpost "$GW_URI" "$GW_PID"
round peer "$SRV_URI" "$SRV_PID"
# G_outpost is C_outpost: there the gateway is the server.
# shellcheck disable=SC2034
T_outpost=() C_outpost=() G_outpost=() F_outpost=()
T_peer=() C_peer=() G_peer=() F_peer=()
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then
		round outpost "$GW_URI" "$GW_PID"
		round peer "$SRV_URI" "$SRV_PID"
	else
		round peer "$SRV_URI" "$SRV_PID"
		round outpost "$GW_URI" "$GW_PID"
	fi
done
stop_pid "$SAMPLER"
peak=$(cat "$TMP/peak" 2>/dev/null) || true
peak=${peak:-$rss0}

t_gw=$(median "${T_outpost[@]}") t_srv=$(median "${T_peer[@]}")
# Per image, in us: median of the rounds' CPU over CLIENTS.
per_image() {
	awk -v c="$(median "$@")" -v n="$CLIENTS" 'BEGIN { printf "%.0f", c / n / 1000 }'
}
ips() { awk -v n="$CLIENTS" -v t="$1" 'BEGIN { printf "%.1f", n / t }'; }
spread() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f-%.2f s", v[1], v[NR] }'
}
cpu_gw=$(per_image "${C_outpost[@]}") cpu_srv=$(per_image "${C_peer[@]}")
echo "fw: outpost      $(ips "$t_gw") images/s (median ${t_gw}s, rounds $(spread "${T_outpost[@]}")), gateway cpu ${cpu_gw} us/image (writes included), fleet cpu $(per_image "${F_outpost[@]}") us/image"
echo "fw: coap-server  $(ips "$t_srv") images/s (median ${t_srv}s, rounds $(spread "${T_peer[@]}")), coap-server cpu ${cpu_srv} us/image, fleet cpu $(per_image "${F_peer[@]}") us/image; the gateway's writes alone $(per_image "${G_peer[@]}") us/image"
# Each round's pair (the two servers one after the other) as a ratio:
# the load of a shared machine moves slower than a pair.
rr=() cr=()
for ((i = 0; i < ROUNDS; i++)); do
	rr+=("$(ratio "${T_peer[i]}" "${T_outpost[i]}")")
	cr+=("$(ratio "${C_peer[i]}" "${C_outpost[i]}")")
done
echo "fw: images/s outpost/coap-server: $(ratio "$(ips "$t_gw")" "$(ips "$t_srv")") (medians); per round ${rr[*]}, median $(median "${rr[@]}")"
echo "fw: server cpu coap-server/outpost: $(ratio "$cpu_srv" "$cpu_gw") (medians); per round ${cr[*]}, median $(median "${cr[@]}")"
echo "fw: gateway RssAnon before=${rss0}kB peak=${peak}kB growth=$((peak - rss0))kB"
# The rows: each server's median; the ratio is the median of the rounds'.
fig="firmware images/s, $CLIENTS fetchers, $KB KiB, $BLOCK B blocks"
bench_row "$fig" "$(ips "$t_gw")" "$(ips "$t_srv")" \
    "$(median "${rr[@]}")x" ">= 1.0x coap-server"
bench_row "firmware server cpu us/image (ratio peer/outpost)" "$cpu_gw" \
    "$cpu_srv" "$(median "${cr[@]}")x" ">= 1.0x coap-server"
stop_nodes

# What a running campaign costs in RAM per targeted device: two of
# CAMP_DEVS endpoints each that wait for a window hours away (so nothing
# is sent); the second's RssAnon growth is the figure (the first leaves
# its request's parse and its store batch in the heap for reuse).
CAMP_DEVS=${FW_CAMP_DEVS:-50000}
h=$(( ($(date -u +%-H) + 2) % 24 ))
campaign_of() {
	awk -v n="$CAMP_DEVS" -v id="$ID" -v h="$h" -v p="$1" 'BEGIN {
		printf "{\"image\":\"%s\",\"target\":{\"eps\":[", id
		for (i = 0; i < n; i++)
			printf "%s\"%s%d\"", i ? "," : "", p, i
		printf "]},\"policy\":{\"window\":{\"from\":\"%02d:00\",", h
		printf "\"to\":\"%02d:30\"}}}", h
	}' >"$TMP/camp.json"
	curl -sf -o /dev/null -X POST --data-binary @"$TMP/camp.json" \
	    "http://$HOST:$GW_HTTP/v1/campaigns" || die "the campaign was refused"
}
campaign_of camp-a-
r0=$(rss_anon_kb "$GW_PID")
campaign_of camp-b-
r1=$(rss_anon_kb "$GW_PID")
echo "fw: a running campaign of $CAMP_DEVS devices: RssAnon +$((r1 - r0))kB," \
    "$(( (r1 - r0) * 1024 / CAMP_DEVS )) B per targeted device (none once it is done)"
