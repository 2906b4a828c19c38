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
# beside the plain figure from the same run.
#
# The peer: libcoap's own coap-server-gnutls (Debian libcoap3-bin, the
# library the gateway is built on), started on loopback with the same PSK
# and each device's identity in its -i file, takes the same DTLS load in
# the same rounds (dtlsload "any": its answer to the POST is 4.04, it has
# no /rd), so both sides pay a handshake, one request and its answer, a
# close_notify. Handshakes per second and server CPU per handshake of both,
# and the ratios, go to the table (lib.sh's bench_row). The gateway's
# answer is a registration committed to the store before it is sent; so
# that the handshake is also read apart from it, the gateway takes the
# same sessions with a POST to a path it has not (dtlsload "404") too,
# which is exactly what coap-server is asked. It prints figures and never
# fails on a time; it fails when something cannot run or registrations
# fail.
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
command -v coap-server-gnutls >/dev/null ||
    die "coap-server-gnutls not found (scripts/install-deps.sh: libcoap3-bin)"
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

# A loopback port P free for UDP and TCP, with P + 1 too: coap-server
# -p P serves CoAP on P and DTLS (and TLS) on P + 1.
port_pair() {
	python3 - <<'PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
rng = random.SystemRandom()
def free(port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True
for _ in range(500):
    port = rng.randrange(10000, low - 1) if low > 12000 else rng.randrange(low, 65535)
    if free(port) and free(port + 1):
        print(port)
        break
PY
}

# coap-server-gnutls with the key and, in its -i file, each device's
# identity (hint "CoAP" sent, matched). It looks the identity up in that
# list, and takes its -k key for any identity it does not list: it proves
# less than the gateway, which refuses an identity it has no record of.
CS_PORT=$(port_pair)
[[ -n $CS_PORT ]] || die "no free port pair for coap-server-gnutls"
for ((i = 0; i < DEVICES; i++)); do
	echo "CoAP,id-dtls-$i,$KEY"
done >"$TMP/ids"
coap-server-gnutls -A "$HOST" -p "$CS_PORT" -h CoAP -k "$KEY" \
    -i "$TMP/ids" -v 3 >"$TMP/coap-server.log" 2>&1 &
CS_PID=$!
PIDS+=("$CS_PID")
for ((i = 0; i < 200; i++)); do
	if [[ -n $(coap-client-gnutls -B 1 "coap://$HOST:$CS_PORT/" 2>/dev/null) ]]; then
		break
	fi
	kill -0 "$CS_PID" 2>/dev/null || { i=200; break; }
	sleep 0.05
done
((i < 200)) || { tail -n 20 "$TMP/coap-server.log" >&2; die "coap-server-gnutls did not answer on coap://$HOST:$CS_PORT"; }

# A counter of the gateway's /metrics.
counter() {
	curl -sf --max-time 5 "http://$HOST:$GW_HTTP/metrics" |
	    awk -v n="$1" '$1 == n { print $2 }'
}

# The gateway's count of accepted DTLS handshakes, of bootstraps done.
accepted() { counter outpost_dtls_accepted_total; }
bootstraps() { counter outpost_bootstrap_done_total; }

# round LABEL URI PREFIX [bs|404]: one dtlsload run; sets RATE and CPU_US
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
	n=$(field "done" "$out")
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

# peer_round LABEL: the DTLS load against coap-server-gnutls; sets RATE and
# CPU_US (its CPU per handshake).
peer_round() {
	local label=$1 out before after n
	before=$(cpu_ns "$CS_PID")
	out=$("$LOAD" "coaps://$HOST:$((CS_PORT + 1))" "$TOTAL" "$CONC" dtls- \
	    "$DEVICES" "$KEY" any) || die "$label: sessions failed: $out"
	after=$(cpu_ns "$CS_PID")
	kill -0 "$CS_PID" 2>/dev/null || die "$label: coap-server-gnutls exited"
	RATE=$(field rate "$out")
	n=$(field "done" "$out")
	CPU_US=$(awk -v a="$before" -v b="$after" -v n="$n" \
	    'BEGIN { printf "%.0f", (b - a) / 1000 / n }')
	echo "dtls: round $label: $out coap_server_cpu_us=$CPU_US"
}

plain=() dtls=() boot=() plain_cpu=() dtls_cpu=() boot_cpu=() peer=() peer_cpu=()
nf=() nf_cpu=()
for ((r = 1; r <= ROUNDS; r++)); do
	round "plain-$r" "coap://$HOST:$GW_COAP" plain-
	plain+=("$RATE") plain_cpu+=("$CPU_US")
	# The two DTLS servers in turns, which goes first alternating.
	if ((r % 2)); then
		round "dtls-$r" "coaps://$HOST:$GW_COAPS" dtls-
		dtls+=("$RATE") dtls_cpu+=("$CPU_US")
		round "dtls-404-$r" "coaps://$HOST:$GW_COAPS" dtls- 404
		nf+=("$RATE") nf_cpu+=("$CPU_US")
		peer_round "coap-server-$r"
		peer+=("$RATE") peer_cpu+=("$CPU_US")
	else
		peer_round "coap-server-$r"
		peer+=("$RATE") peer_cpu+=("$CPU_US")
		round "dtls-404-$r" "coaps://$HOST:$GW_COAPS" dtls- 404
		nf+=("$RATE") nf_cpu+=("$CPU_US")
		round "dtls-$r" "coaps://$HOST:$GW_COAPS" dtls-
		dtls+=("$RATE") dtls_cpu+=("$CPU_US")
	fi
	round "bootstrap-$r" "coaps://$HOST:$BS_PORT" bs- bs
	boot+=("$RATE") boot_cpu+=("$CPU_US")
done
P=$(median "${plain[@]}") PC=$(median "${plain_cpu[@]}")
D=$(median "${dtls[@]}") DC=$(median "${dtls_cpu[@]}")
C=$(median "${peer[@]}") CC_US=$(median "${peer_cpu[@]}")
N=$(median "${nf[@]}") NC=$(median "${nf_cpu[@]}")
BS=$(median "${boot[@]}") BC=$(median "${boot_cpu[@]}")
echo "dtls: $TOTAL registrations per round, $CONC sessions at once, a new session each, median of $ROUNDS rounds"
echo "dtls: plain CoAP registrations/s:         $P (gateway CPU $PC us each)"
echo "dtls: DTLS PSK handshakes+registrations/s: $D (gateway CPU $DC us each)"
echo "dtls: coap-server-gnutls, same load:       $C (its CPU $CC_US us each; a 4.04 for the POST, any identity accepted with its key)"
echo "dtls: DTLS PSK handshakes+4.04/s:          $N (gateway CPU $NC us each: the same sessions, the POST to a path it has not)"
echo "dtls: DTLS PSK bootstraps/s:              $BS (gateway CPU $BC us each: handshake, request, discover, 2 deletes, 2 writes, finish, the DM key committed)"
echo "dtls: DTLS/plain: $(ratio "$D" "$P")"
echo "dtls: outpost/coap-server handshakes/s: $(ratio "$D" "$C"), coap-server/outpost CPU per handshake: $(ratio "$CC_US" "$DC")"
echo "dtls: both answering 4.04: outpost/coap-server handshakes/s: $(ratio "$N" "$C"), coap-server/outpost CPU: $(ratio "$CC_US" "$NC")"
echo "dtls: bootstraps/DTLS registrations: $(ratio "$BS" "$D")"
bench_row "DTLS-PSK handshakes/s" "$D" "$C" "$(ratio "$D" "$C")x" ">= 1.0x coap-server-gnutls"
bench_row "CPU per DTLS handshake (us)" "$DC" "$CC_US" "$(ratio "$CC_US" "$DC")x" ">= 1.0x (peer/outpost)"
bench_row "DTLS-PSK handshakes/s, both 4.04" "$N" "$C" "$(ratio "$N" "$C")x" ">= 1.0x coap-server-gnutls"
bench_row "CPU per DTLS handshake, both 4.04 (us)" "$NC" "$CC_US" "$(ratio "$CC_US" "$NC")x" ">= 1.0x (peer/outpost)"
bench_row "plain CoAP registrations/s" "$P" - - -
bench_row "CPU per plain registration (us)" "$PC" - - -
bench_row "DTLS-PSK bootstraps/s" "$BS" - - -
bench_row "CPU per DTLS bootstrap (us)" "$BC" - - -
