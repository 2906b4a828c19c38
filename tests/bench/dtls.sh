#!/usr/bin/env bash
# DTLS benchmark, run by `make bench`:
#   tests/bench/dtls.sh /abs/path/to/outpost
#
# In one run, against one gateway on loopback, registrations per second
# where every registration opens a session of its own (dtlsload.c, built
# here against libcoap-3-gnutls):
#   - plain CoAP: the request alone;
#   - CoAP over DTLS with PSK: a full handshake (the gateway looks the
#     identity up in the store), the same request, a close_notify;
#   - bootstraps over DTLS with a factory PSK on [bootstrap] secure_listen:
#     the handshake, Bootstrap-Request, the gateway's Discover, Deletes,
#     Writes of /0 and /1 (with a DM key it makes and commits) and Finish,
#     each answered by the load as a client does;
# in alternating rounds (the median is printed), with the gateway's CPU
# time per registration and the ratio, so the cost of a handshake is read
# beside the plain figure from the same run. It prints figures and never
# fails on a time; it fails when something cannot run or registrations fail.
#
# Overridable from the environment: BENCH_DTLS_TOTAL registrations per round
# (2000), BENCH_DTLS_CONC sessions at once (16), BENCH_DTLS_DEVICES devices
# provisioned with a PSK (200), BENCH_DTLS_ROUNDS (3).
set -euo pipefail

OUTPOST=${1:?usage: tests/bench/dtls.sh /abs/path/to/outpost}
TOTAL=${BENCH_DTLS_TOTAL:-2000}
CONC=${BENCH_DTLS_CONC:-16}
DEVICES=${BENCH_DTLS_DEVICES:-200}
ROUNDS=${BENCH_DTLS_ROUNDS:-3}
KEY=bench-psk-key-0123456789
HOST=127.0.0.1
CC=${CC:-cc}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/outpost-dtls-bench.XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trap cleanup_servers EXIT
trap 'exit 130' INT TERM

[[ -x $OUTPOST ]] || die "$OUTPOST: no such executable"
command -v curl >/dev/null || die "curl not found"
LOAD=$TMP/dtlsload
# shellcheck disable=SC2046
"$CC" -std=c11 -O2 -Wall -Wextra -o "$LOAD" \
    "$(dirname "${BASH_SOURCE[0]}")/dtlsload.c" \
    $(pkg-config --cflags --libs libcoap-3-gnutls) ||
    die "cannot build dtlsload"

BS_PORT=$(free_port udp)
start_gateway "$TMP/gw" "[gateway]
log_level = warning
[coap]
max_idle_sessions = $((CONC * 4 + 64))
[bootstrap]
secure_listen = $HOST:$BS_PORT"

# DEVICES credentials, over one keep-alive connection.
python3 - "$GW_HTTP" "$DEVICES" "$KEY" <<'PY' || die "provisioning failed"
import http.client, json, sys
port, n, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
for i in range(n):
    c.request("POST", "/v1/devices", body=json.dumps({
        "ep": "dtls-%d" % i, "psk_identity": "id-dtls-%d" % i,
        "psk_key": key.encode().hex()}))
    r = c.getresponse()
    r.read()
    if r.status != 201:
        sys.exit("POST /v1/devices: %d" % r.status)
    c.request("PUT", "/v1/bootstrap/bs-%d" % i, body=json.dumps({
        "factory_psk_identity": "id-bs-%d" % i,
        "factory_psk_key": key.encode().hex()}))
    r = c.getresponse()
    r.read()
    if r.status not in (200, 201):
        sys.exit("PUT /v1/bootstrap: %d" % r.status)
PY

# A counter of the gateway's /metrics.
counter() {
	curl -sf --max-time 5 "http://$HOST:$GW_HTTP/metrics" |
	    awk -v n="$1" '$1 == n { print $2 }'
}

# The gateway's count of accepted DTLS handshakes, of bootstraps done.
accepted() { counter outpost_dtls_accepted_total; }
bootstraps() { counter outpost_bootstrap_done_total; }

# round LABEL URI PREFIX [bs]: one dtlsload run; sets RATE and CPU_US
# (gateway CPU per registration or bootstrap). A DTLS round must have cost
# one handshake per registration; a bootstrap round, one bootstrap done
# (its credential committed) per session.
round() {
	local label=$1 uri=$2 prefix=$3 mode=${4:-} out before after n hs bs
	hs=$(accepted)
	bs=$(bootstraps)
	before=$(cpu_ns "$GW_PID")
	# shellcheck disable=SC2086
	out=$("$LOAD" "$uri" "$TOTAL" "$CONC" "$prefix" "$DEVICES" "$KEY" \
	    $mode) || die "$label: sessions failed: $out"
	after=$(cpu_ns "$GW_PID")
	RATE=$(field rate "$out")
	n=$(field done "$out")
	hs=$(($(accepted) - hs))
	bs=$(($(bootstraps) - bs))
	if [[ $mode == bs ]]; then
		((bs == n)) || die "$label: $n sessions finished but $bs bootstraps done"
	elif [[ $prefix != plain- ]]; then
		((hs >= n)) || die "$label: $n registrations but only $hs handshakes"
	fi
	CPU_US=$(awk -v a="$before" -v b="$after" -v n="$n" \
	    'BEGIN { printf "%.0f", (b - a) / 1000 / n }')
	echo "dtls: round $label: $out handshakes=$hs gateway_cpu_us=$CPU_US"
}

plain=() dtls=() boot=() plain_cpu=() dtls_cpu=() boot_cpu=()
for ((r = 1; r <= ROUNDS; r++)); do
	round "plain-$r" "coap://$HOST:$GW_COAP" plain-
	plain+=("$RATE") plain_cpu+=("$CPU_US")
	round "dtls-$r" "coaps://$HOST:$GW_COAPS" dtls-
	dtls+=("$RATE") dtls_cpu+=("$CPU_US")
	round "bootstrap-$r" "coaps://$HOST:$BS_PORT" bs- bs
	boot+=("$RATE") boot_cpu+=("$CPU_US")
done
P=$(median "${plain[@]}")
D=$(median "${dtls[@]}")
echo "dtls: $TOTAL registrations per round, $CONC sessions at once, a new session each, median of $ROUNDS rounds"
echo "dtls: plain CoAP registrations/s:         $P (gateway CPU $(median "${plain_cpu[@]}") us each)"
echo "dtls: DTLS PSK handshakes+registrations/s: $D (gateway CPU $(median "${dtls_cpu[@]}") us each)"
BS=$(median "${boot[@]}")
echo "dtls: DTLS PSK bootstraps/s:              $BS (gateway CPU $(median "${boot_cpu[@]}") us each: handshake, request, discover, 2 deletes, 2 writes, finish, the DM key committed)"
echo "dtls: DTLS/plain: $(ratio "$D" "$P")"
echo "dtls: bootstraps/DTLS registrations: $(ratio "$BS" "$D")"
