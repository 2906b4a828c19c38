#!/usr/bin/env bash
# fw.sh OUTPOST NODE: firmware delivery. A signed image (FW_MB MiB, default
# 4) is uploaded to a gateway and pulled by FW_CLIENTS (default 100) fleet
# devices of FW_PROCS (default 1) outpost-node processes, the LwM2M way:
# /5/0/1 is written on each through the gateway's HTTP proxy, and the
# delivery ends when every device reports State 2 (each hashed every block
# and found the manifest's digest). In the same run libcoap's
# coap-server-gnutls serves the same bytes (PUT to a dynamic resource) to
# as many coap-client-gnutls processes at once, over plain coap://. Prints
# total time and blocks/s for both, their ratio, the CPU time of the
# gateway and of the fleet, and the gateway's RssAnon growth during the
# delivery. A figure, not a test: it never fails on a time.
set -euo pipefail
OUTPOST=${1:?usage: fw.sh OUTPOST NODE}
NODE=${2:?usage: fw.sh OUTPOST NODE}
CLIENTS=${FW_CLIENTS:-100}
PROCS=${FW_PROCS:-1}
MB=${FW_MB:-4}
HOST=127.0.0.1
PIDS=()
. "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d /tmp/outpost-fwbench.XXXXXX)
trap cleanup_servers EXIT
command -v coap-server-gnutls >/dev/null ||
    die "coap-server-gnutls not found (libcoap3-bin)"

head -c $((MB << 20)) /dev/urandom >"$TMP/fw.bin"
"$OUTPOST" keygen "$TMP/rel" >/dev/null
"$OUTPOST" sign --key "$TMP/rel.key" --vendor bench --class fw \
    --version 1 --seq 1 "$TMP/fw.bin" >/dev/null
start_gateway "$TMP/gw" "[gateway]
log_level = warning
[http]
max_body = 4194304
[firmware]
trusted_keys = $TMP/rel.pub"
ID=$(curl -sf -X POST --data-binary @"$TMP/fw.bin.manifest" \
    "http://$HOST:$GW_HTTP/v1/firmware" | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
SIZE=$((MB << 20))
PART=65536		# under the default [http] max_body
for ((off = 0; off < SIZE; off += PART)); do
	dd if="$TMP/fw.bin" bs=$PART skip=$((off / PART)) count=1 \
	    status=none >"$TMP/part"
	curl -sf -o /dev/null -X PUT --data-binary @"$TMP/part" \
	    -H "Content-Range: bytes $off-$((off + PART - 1))/$SIZE" \
	    "http://$HOST:$GW_HTTP/v1/firmware/$ID/image" ||
	    die "upload of the part at $off failed"
done
blocks=$(( (SIZE + 1023) / 1024 * CLIENTS ))

# The fleet: PROCS processes of CLIENTS/PROCS devices, verifying the
# manifest with the release key as a real device would.
cat >"$TMP/node.ini" <<INI
[firmware]
vendor = bench
class = fw
trusted_keys = $TMP/rel.pub
INI
per=$(( (CLIENTS + PROCS - 1) / PROCS ))
eps=()
FLEET_PIDS=()
for ((p = 0, left = CLIENTS; p < PROCS && left > 0; p++, left -= per)); do
	n=$((left < per ? left : per))
	start_node "$TMP/fleet$p" "$GW_COAP" -c "$TMP/node.ini" --fleet "$n" \
	    --prefix "fw$p-" --spread 0 --lifetime 3600
	FLEET_PIDS+=("$NODE_PID")
	for ((i = 0; i < n; i++)); do eps+=("fw$p-$i"); done
done
for ((i = 0; i < 400; i++)); do
	n=$(curl -sf "http://$HOST:$GW_HTTP/v1/health" |
	    sed -n 's/.*"devices":\([0-9]*\).*/\1/p')
	((${n:-0} >= CLIENTS)) && break
	sleep 0.05
done
((${n:-0} >= CLIENTS)) || die "only ${n:-0} of $CLIENTS fleet devices registered"

# Sample the gateway's RssAnon while the fleet pulls.
rss0=$(rss_anon_kb "$GW_PID")
( peak=$rss0; while kill -0 "$GW_PID" 2>/dev/null; do
	r=$(rss_anon_kb "$GW_PID" 2>/dev/null || echo 0)
	((r > peak)) && peak=$r && echo "$peak" >"$TMP/peak"
	sleep 0.1
done ) &
SAMPLER=$!
PIDS+=("$SAMPLER")

# done_of EP...: those of the EPs whose /5/0/3 reads 2 (Downloaded) now,
# asked with one curl (one connection) for all.
done_of() {
	local ep args=()
	for ep in "$@"; do
		args+=(-o "$TMP/st.$ep"
		    "http://$HOST:$GW_HTTP/v1/devices/$ep/r/5/0/3")
	done
	curl -s --max-time 60 "${args[@]}" || true
	for ep in "$@"; do
		[[ $(cat "$TMP/st.$ep" 2>/dev/null) == 2 ]] && echo "$ep"
		rm -f "$TMP/st.$ep"
	done
}

cpu0_gw=$(cpu_ns "$GW_PID")
cpu0_node=$(cpu_ns "${FLEET_PIDS[@]}")
t0=$(date +%s.%N)
printf '%s\n' "${eps[@]}" | xargs -P 16 -I{} curl -sf -o /dev/null -X PUT \
    -H "Content-Type: text/plain" \
    --data "coap://$HOST:$GW_COAP/fw/$ID" \
    "http://$HOST:$GW_HTTP/v1/devices/{}/r/5/0/1" ||
    die "a write of /5/0/1 failed"
# Poll the devices not done yet until none is left (or 10 minutes).
left=("${eps[@]}")
declare -A done_ep=()
while ((${#left[@]} > 0)); do
	sleep 0.2
	while read -r ep; do done_ep[$ep]=1; done < <(done_of "${left[@]}")
	still=()
	for ep in "${left[@]}"; do
		[[ -n ${done_ep[$ep]:-} ]] || still+=("$ep")
	done
	left=("${still[@]+"${still[@]}"}")
	[[ $(awk -v a="$t0" -v b="$(date +%s.%N)" \
	    'BEGIN { print (b - a < 600) }') == 1 ]] || break
done
t1=$(date +%s.%N)
cpu_gw=$(( $(cpu_ns "$GW_PID") - cpu0_gw ))
cpu_node=$(( $(cpu_ns "${FLEET_PIDS[@]}") - cpu0_node ))
stop_pid "$SAMPLER"
peak=$(cat "$TMP/peak" 2>/dev/null || echo "$rss0")
t_gw=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
ok_gw=$((CLIENTS - ${#left[@]}))
stop_nodes

# fetch_all URL: CLIENTS coap-client-gnutls at once; prints the seconds
# they took and how many got the whole image right.
fetch_all() {
	local url=$1 i t0 t1 pids=()
	t0=$(date +%s.%N)
	for ((i = 0; i < CLIENTS; i++)); do
		# libcoap logs warnings to stdout: keep them off ours.
		coap-client-gnutls -m get -b 1024 -B 120 -o "$TMP/out.$i" \
		    "$url" >/dev/null 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || true; done
	t1=$(date +%s.%N)
	ok=0
	for ((i = 0; i < CLIENTS; i++)); do
		cmp -s "$TMP/out.$i" "$TMP/fw.bin" 2>/dev/null && ok=$((ok + 1))
	done
	rm -f "$TMP"/out.*
	awk -v a="$t0" -v b="$t1" -v ok="$ok" \
	    'BEGIN { printf "%.2f %d\n", b - a, ok }'
}

SRV=$(free_port udp)
coap-server-gnutls -A $HOST -p "$SRV" -d 4 -v 0 &
PIDS+=("$!")
for ((i = 0; i < 100; i++)); do
	coap-client-gnutls -m put -b 1024 -f "$TMP/fw.bin" \
	    "coap://$HOST:$SRV/fw" >/dev/null 2>&1 && break
	sleep 0.05
done
read -r t_srv ok_srv < <(fetch_all "coap://$HOST:$SRV/fw")

bps() { awk -v b="$blocks" -v t="$1" 'BEGIN { printf "%.0f", b / t }'; }
sec() { awk -v n="$1" 'BEGIN { printf "%.2f", n / 1e9 }'; }
echo "fw: ${MB} MiB image, 1024-byte blocks, $CLIENTS receivers at once"
echo "fw: outpost      total=${t_gw}s blocks_per_s=$(bps "$t_gw") complete=$ok_gw/$CLIENTS" \
    "(fleet devices in $PROCS outpost-node process(es), State 2)"
echo "fw: coap-server  total=${t_srv}s blocks_per_s=$(bps "$t_srv") complete=$ok_srv/$CLIENTS" \
    "(coap-server-gnutls to coap-client-gnutls processes)"
echo "fw: blocks/s outpost/coap-server=$(ratio "$(bps "$t_gw")" "$(bps "$t_srv")")"
echo "fw: CPU during the delivery: gateway $(sec "$cpu_gw")s, fleet $(sec "$cpu_node")s"
echo "fw: gateway RssAnon before=${rss0}kB peak=${peak}kB growth=$((peak - rss0))kB"

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
