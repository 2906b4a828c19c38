#!/usr/bin/env bash
# HTTPS benchmark, run by `make bench`:
#   tests/bench/tls.sh /abs/path/to/outpost
#
# In one run, against one gateway on loopback that listens for plain HTTP
# and for HTTPS ([http] tls_listen, an ECDSA P-256 certificate from a
# throwaway CA made here with openssl), wrk on GET /v1/health:
#   - keep-alive: plain HTTP and HTTPS requests/s (TLS 1.3 as wrk and the
#     gateway agree it), p50/p99 and the gateway's CPU per request;
#   - a new connection per request (Connection: close): plain and HTTPS, so
#     the cost of a full handshake is read beside the TCP connect;
# in alternating rounds (the median is printed), each HTTPS figure beside
# the plain one with their ratio. It prints figures and never fails on a
# time; it fails when something cannot run.
#
# Overridable from the environment: BENCH_TLS_SECONDS per wrk run (5),
# BENCH_TLS_ROUNDS (3), BENCH_TLS_THREADS and BENCH_TLS_CONNECTIONS for wrk
# (2, 16).
set -euo pipefail

OUTPOST=${1:?usage: tests/bench/tls.sh /abs/path/to/outpost}
DURATION=${BENCH_TLS_SECONDS:-5}
ROUNDS=${BENCH_TLS_ROUNDS:-3}
THREADS=${BENCH_TLS_THREADS:-2}
CONNS=${BENCH_TLS_CONNECTIONS:-16}
HOST=127.0.0.1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/outpost-tls-bench.XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trap cleanup_servers EXIT
trap 'exit 130' INT TERM

[[ -x $OUTPOST ]] || die "$OUTPOST: no such executable"
command -v wrk >/dev/null || die "wrk not found (scripts/install-deps.sh)"
command -v curl >/dev/null || die "curl not found"
command -v openssl >/dev/null || die "openssl not found (scripts/install-deps.sh)"

# A throwaway CA and a server certificate for 127.0.0.1.
pki=$TMP/pki
mkdir -p "$pki"
(
	cd "$pki"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout ca.key -out ca.pem -days 1 -subj /CN=bench-ca
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout srv.key -out srv.csr -subj /CN=localhost
	printf 'subjectAltName=DNS:localhost,IP:%s\n' "$HOST" >srv.ext
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -out srv.pem -days 1 -extfile srv.ext
) >"$TMP/openssl.log" 2>&1 || { cat "$TMP/openssl.log" >&2; die "openssl failed"; }

TLS_PORT=$(free_port tcp)
start_gateway "$TMP/gw" "[http]
tls_listen = $HOST:$TLS_PORT
tls_cert = $pki/srv.pem
tls_key = $pki/srv.key"
PLAIN=http://$HOST:$GW_HTTP/v1/health
TLS=https://$HOST:$TLS_PORT/v1/health
curl -sf -o /dev/null --max-time 5 --cacert "$pki/ca.pem" "$TLS" ||
    die "$TLS does not answer with the test CA's certificate"
version=$(curl -s -o /dev/null -v --max-time 5 --cacert "$pki/ca.pem" "$TLS" 2>&1 |
    sed -n 's/.*SSL connection using \([^ ]*\) \/ \(.*\)/\1 \2/p')

echo "== GET /v1/health, plain HTTP vs HTTPS ($version) on one gateway, wrk -t$THREADS -c$CONNS -d${DURATION}s, $ROUNDS rounds"
for url in "$PLAIN" "$TLS"; do
	timeout 30 wrk -t"$THREADS" -c"$CONNS" -d1s "$url" >/dev/null 2>&1 || true
done
rp=() lp=() hp=() cp=() rt=() lt=() ht=() ct=()
rpc=() cpc=() rtc=() ctc=()
for ((round = 1; round <= ROUNDS; round++)); do
	WRK_ARGS=()
	bench_get "http keep-alive #$round" "$PLAIN" "$GW_PID"
	rp+=("$RATE") lp+=("$P50") hp+=("$P99") cp+=("$CPU_US")
	bench_get "https keep-alive #$round" "$TLS" "$GW_PID"
	rt+=("$RATE") lt+=("$P50") ht+=("$P99") ct+=("$CPU_US")
	WRK_ARGS=(-H "Connection: close")
	bench_get "http new conn #$round" "$PLAIN" "$GW_PID"
	rpc+=("$RATE") cpc+=("$CPU_US")
	bench_get "https new conn #$round" "$TLS" "$GW_PID"
	rtc+=("$RATE") ctc+=("$CPU_US")
done
plain=$(median "${rp[@]}") tls=$(median "${rt[@]}")
echo "HTTPS keep-alive: https=$tls req/s p50=$(median "${lt[@]}")ms p99=$(median "${ht[@]}")ms cpu=$(median "${ct[@]}")us/req | http=$plain req/s p50=$(median "${lp[@]}")ms p99=$(median "${hp[@]}")ms cpu=$(median "${cp[@]}")us/req | ratio=$(ratio "$tls" "$plain")"
# The peer of these rows is the same gateway's plain HTTP.
bench_row "HTTPS keep-alive req/s (peer: plain HTTP)" "$tls" "$plain" \
    "$(ratio "$tls" "$plain")x" "-"
plain=$(median "${rpc[@]}") tls=$(median "${rtc[@]}")
echo "HTTPS new connection per request (full handshake): https=$tls req/s cpu=$(median "${ctc[@]}")us/req | http=$plain req/s cpu=$(median "${cpc[@]}")us/req | ratio=$(ratio "$tls" "$plain")"
bench_row "HTTPS new connections/s (peer: plain HTTP)" "$tls" "$plain" \
    "$(ratio "$tls" "$plain")x" "-"
