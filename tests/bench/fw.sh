#!/usr/bin/env bash
# fw.sh OUTPOST: firmware delivery. A signed image (FW_MB MiB, default 4)
# is uploaded to a gateway and fetched whole, block-wise, by FW_CLIENTS
# (default 100) concurrent coap-client-notls processes; in the same run
# libcoap's own coap-server-notls serves the same bytes (PUT to a dynamic
# resource first) to the same number of clients. Prints total time and
# blocks/s for both, their ratio, and the gateway's RssAnon growth during
# the delivery. A figure, not a test: it never fails on a time.
set -euo pipefail
OUTPOST=${1:?usage: fw.sh OUTPOST}
CLIENTS=${FW_CLIENTS:-100}
MB=${FW_MB:-4}
HOST=127.0.0.1
PIDS=()
. "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d /tmp/outpost-fwbench.XXXXXX)
trap cleanup_servers EXIT

head -c $((MB << 20)) /dev/urandom >"$TMP/fw.bin"
"$OUTPOST" keygen "$TMP/rel" >/dev/null
"$OUTPOST" sign --key "$TMP/rel.key" --vendor bench --class fw \
    --version 1 --seq 1 "$TMP/fw.bin" >/dev/null
HTTP=$(free_port tcp)
COAP=$(free_port udp)
DTLS=$(free_port udp)
cat >"$TMP/gw.ini" <<INI
[gateway]
log_level = warning
[http]
listen = $HOST:$HTTP
max_body = 1048576
[coap]
listen = $HOST:$COAP
secure_listen = $HOST:$DTLS
[firmware]
trusted_keys = $TMP/rel.pub
[store]
path = $TMP/store
INI
"$OUTPOST" -c "$TMP/gw.ini" 2>"$TMP/gw.log" &
GW=$!
PIDS+=("$GW")
for ((i = 0; i < 200; i++)); do
	curl -sf "http://$HOST:$HTTP/v1/health" >/dev/null && break
	sleep 0.05
done
ID=$(curl -sf -X POST --data-binary @"$TMP/fw.bin.manifest" \
    "http://$HOST:$HTTP/v1/firmware" | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
SIZE=$((MB << 20))
PART=$((1 << 20))
for ((off = 0; off < SIZE; off += PART)); do
	dd if="$TMP/fw.bin" bs=$PART skip=$((off / PART)) count=1 \
	    status=none >"$TMP/part"
	curl -sf -o /dev/null -X PUT --data-binary @"$TMP/part" \
	    -H "Content-Range: bytes $off-$((off + PART - 1))/$SIZE" \
	    "http://$HOST:$HTTP/v1/firmware/$ID/image" ||
	    die "upload of the part at $off failed"
done

# fetch_all URL: CLIENTS clients at once; prints the seconds they took and
# how many got the whole image right (blocks/s counts every client's
# blocks: compare it only beside complete=).
fetch_all() {
	local url=$1 i t0 t1 pids=()
	t0=$(date +%s.%N)
	for ((i = 0; i < CLIENTS; i++)); do
		coap-client-notls -m get -b 1024 -B 60 -o "$TMP/out.$i" "$url" \
		    2>/dev/null &
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

# Sample the gateway's RssAnon while its clients run.
rss0=$(rss_anon_kb "$GW")
( peak=$rss0; while kill -0 "$GW" 2>/dev/null; do
	r=$(rss_anon_kb "$GW" 2>/dev/null || echo 0)
	((r > peak)) && peak=$r && echo "$peak" >"$TMP/peak"
	sleep 0.1
done ) &
SAMPLER=$!
PIDS+=("$SAMPLER")
blocks=$(( (SIZE + 1023) / 1024 * CLIENTS ))
read -r t_gw ok_gw < <(fetch_all "coap://$HOST:$COAP/fw/$ID")
stop_pid "$SAMPLER"
peak=$(cat "$TMP/peak" 2>/dev/null || echo "$rss0")

SRV=$(free_port udp)
coap-server-notls -A $HOST -p "$SRV" -d 4 -v 0 &
PIDS+=("$!")
sleep 0.3
coap-client-notls -m put -b 1024 -f "$TMP/fw.bin" "coap://$HOST:$SRV/fw" \
    >/dev/null 2>&1 || die "cannot PUT the image to coap-server"
read -r t_srv ok_srv < <(fetch_all "coap://$HOST:$SRV/fw")

bps() { awk -v b="$blocks" -v t="$1" 'BEGIN { printf "%.0f", b / t }'; }
echo "fw: ${MB} MiB image to $CLIENTS coap-client processes at once, 1024-byte blocks"
echo "fw: outpost      total=${t_gw}s blocks_per_s=$(bps "$t_gw") complete=$ok_gw/$CLIENTS"
echo "fw: coap-server  total=${t_srv}s blocks_per_s=$(bps "$t_srv") complete=$ok_srv/$CLIENTS"
echo "fw: blocks/s outpost/coap-server=$(ratio "$(bps "$t_gw")" "$(bps "$t_srv")")"
echo "fw: gateway RssAnon before=${rss0}kB peak=${peak}kB growth=$((peak - rss0))kB"
