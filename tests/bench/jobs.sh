#!/usr/bin/env bash
# Fleet job benchmark, run by `make bench`:
#   tests/bench/jobs.sh /abs/path/to/outpost /abs/path/to/outpost-node
#
# On loopback: a gateway with an empty store, BENCH_JOB_DEVICES (10000)
# outpost-node fleet devices in BENCH_JOB_PROCS (1) processes, each
# tagged "bench" (PUT /v1/devices/{ep}/tags over keep-alive connections,
# jobtool.py), then one job per value of BENCH_JOB_CONCURRENT ("100 1000
# 5000"), each writing /3/0/15 Timezone of every device by that tag with
# rollout max_concurrent at that value, one after the other on the same
# gateway and fleet. For each it prints:
#   - devices finished per second, from the POST to the status "done"
#     (GET /v1/jobs/{id} every 50 ms);
#   - the gateway's RssAnon before the job, at its peak and at its end
#     (a finished job frees its device table), per targeted device;
#   - the growth of the store's data file over the job per device, and the
#     exact bytes of a device record as modules/jobs/jobstore.c writes it
#     (key: job id 8 + endpoint; value: 56 + error text);
# and once what a device costs the job engine in RAM: sizeof(struct
# job_dev) (modules/jobs/jobint.h) plus its by_ep index entry.
# BENCH_JOB_PERF=N records the gateway with perf during each job and
# prints its N hottest functions: with 10,000 device sessions most of the
# gateway's time is libcoap's coap_io_prepare_io, which walks every session
# of the context on each coap_io_process; the engine's own functions stay
# under 1%.
# A max_concurrent of 10000 sends every request in one burst: the answers
# overflow the gateway's socket ([coap] rcvbuf; see the drops column of
# /proc/net/udp) and the devices whose answer was lost wait for [proxy]
# timeout; BENCH_JOB_CONCURRENT=10000 shows it.
# It prints figures and never fails on a time; it fails only when something
# cannot run (a binary missing, the gateway or the fleet not starting).
set -euo pipefail

OUTPOST=${1:?usage: tests/bench/jobs.sh /abs/outpost /abs/outpost-node}
NODE=${2:?usage: tests/bench/jobs.sh /abs/outpost /abs/outpost-node}
FLEET=${BENCH_JOB_DEVICES:-10000}
PROCS=${BENCH_JOB_PROCS:-1}
CONCURRENT=${BENCH_JOB_CONCURRENT:-100 1000 5000}
LIMIT=${BENCH_SECONDS:-300}	# longest wait for a registration or a job
HOST=127.0.0.1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOL=$ROOT/tests/bench/jobtool.py

# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_begin jobs "$OUTPOST" "$NODE"

# What a device costs the engine: its row and its by_ep entry (a table
# grows by doubling, so up to twice that while it grows).
cat >"$TMP/jobdev.c" <<'C'
#include <stdio.h>
#include "modules/jobs/jobint.h"
int
main(void)
{
	struct job j;

	printf("job_dev=%zu by_ep=%zu\n", sizeof(struct job_dev),
	    sizeof(*j.by_ep));
	return 0;
}
C
"${CC:-cc}" -std=c11 -D_GNU_SOURCE -I"$ROOT" \
    $(pkg-config --cflags libcjson 2>/dev/null) -o "$TMP/jobdev" \
    "$TMP/jobdev.c" || die "cannot compile the size probe"
sizes=$("$TMP/jobdev")
dev_bytes=$(field job_dev " $sizes")
idx_bytes=$(field by_ep " $sizes")

devices() {
	curl -sf "http://$HOST:$GW_HTTP/v1/health" |
	    sed -n 's/.*"devices":\([0-9]*\).*/\1/p'
}

data_bytes() {
	stat -c %s "$TMP/gw/data/data.mdb"
}

start_gateway "$TMP/gw" "[gateway]
log_level = warning
[coap]
max_idle_sessions = $((FLEET + 1000))
[registry]
max_devices = $((FLEET + 1000))
[jobs]
timeout_s = 120
retries = 2
backoff_s = 1"

echo "== fleet job: $FLEET outpost-node devices in $PROCS process(es), write /3/0/15 by tag"
per=$(( (FLEET + PROCS - 1) / PROCS ))
FLEET_PIDS=()
for ((p = 0, left = FLEET; p < PROCS && left > 0; p++, left -= per)); do
	n=$((left < per ? left : per))
	# Endpoints jb-P-I: one prefix per process.
	start_node "$TMP/fleet$p" "$GW_COAP" --fleet "$n" --prefix "jb$p-" \
	    --spread 0 --lifetime 3600
	FLEET_PIDS+=("$NODE_PID")
done
t0=$(date +%s.%N)
while :; do
	n=$(devices)
	((${n:-0} >= FLEET)) && break
	for pid in "${FLEET_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || die "a fleet exited: $(tail -3 "$TMP"/fleet*/node.log)"
	done
	(($(echo "$(date +%s.%N) - $t0 > $LIMIT" | bc))) &&
	    die "only ${n:-0} of $FLEET devices registered after ${LIMIT}s"
	sleep 0.2
done
printf 'registered: %d devices in %.1f s\n' "$n" \
    "$(echo "$(date +%s.%N) - $t0" | bc)"

rss_base=$(rss_anon_kb "$GW_PID")
for ((p = 0, left = FLEET; p < PROCS && left > 0; p++, left -= per)); do
	n=$((left < per ? left : per))
	out=$(python3 "$TOOL" tag "$GW_HTTP" "jb$p-" "$n" bench 16) ||
	    die "tagging failed"
	echo "tags: $out (PUT /v1/devices/{ep}/tags, 16 keep-alive connections)"
done
rss_tagged=$(rss_anon_kb "$GW_PID")
echo "gateway RssAnon: registered ${rss_base} kB, tagged ${rss_tagged} kB"

# peak_rss FILE: the gateway's highest RssAnon while it runs, into FILE.
peak_rss() {
	local peak=0 r
	while kill -0 "$GW_PID" 2>/dev/null; do
		r=$(rss_anon_kb "$GW_PID" 2>/dev/null || echo 0)
		((r > peak)) && peak=$r && echo "$peak" >"$1"
		sleep 0.05
	done
}

zones=(Europe/Berlin Asia/Tokyo America/Sao_Paulo Australia/Perth Africa/Cairo)
k=0
best_rate=0 best_conc=
for conc in $CONCURRENT; do
	zone=${zones[$((k++ % ${#zones[@]}))]}
	cat >"$TMP/job.json" <<JSON
{"name": "bench timezone $conc",
 "steps": [{"op": "write", "path": "/3/0/15", "value": "$zone"}],
 "target": {"tags": ["bench"]},
 "rollout": {"max_concurrent": $conc}}
JSON
	rss0=$(rss_anon_kb "$GW_PID")
	store0=$(data_bytes)
	echo "$rss0" >"$TMP/peak"
	peak_rss "$TMP/peak" &
	SAMPLER=$!
	PIDS+=("$SAMPLER")
	cpu0=$(cpu_ns "$GW_PID")
	cpu0_fleet=$(cpu_ns "${FLEET_PIDS[@]}")
	if [[ -n ${BENCH_JOB_PERF:-} ]]; then
		perf record -q -g -p "$GW_PID" -o "$TMP/perf-$conc.data" \
		    >/dev/null 2>&1 &
		PERF_PID=$!
		sleep 0.5
	fi
	out=$(python3 "$TOOL" run "$GW_HTTP" "$TMP/job.json" "$LIMIT") ||
	    die "the job could not run"
	if [[ -n ${BENCH_JOB_PERF:-} ]]; then
		kill -INT "$PERF_PID" 2>/dev/null || true
		wait "$PERF_PID" 2>/dev/null || true
		echo "  perf (gateway, self time):"
		perf report -q -i "$TMP/perf-$conc.data" --no-children \
		    --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' |
		    head -"${BENCH_JOB_PERF}" | sed 's/^/  /'
	fi
	cpu=$(( $(cpu_ns "$GW_PID") - cpu0 ))
	cpu_fleet=$(( $(cpu_ns "${FLEET_PIDS[@]}") - cpu0_fleet ))
	rss1=$(rss_anon_kb "$GW_PID")
	stop_pid "$SAMPLER"
	peak=$(cat "$TMP/peak")
	store1=$(data_bytes)
	jid=$(field id " $out")
	secs=$(field seconds " $out")
	total=$(field total " $out")
	done_n=$(( $(field succeeded " $out") + $(field failed " $out") ))
	rate=$(awk -v n="$done_n" -v s="$secs" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
	recs=$(python3 "$TOOL" records "$GW_HTTP" "$jid")
	rec=$(head -1 <<<"$recs")
	echo "job max_concurrent=$conc: $out"
	printf '  finished/s: %s (%d of %d devices in %s s; gateway cpu %s us/device, fleet cpu %s us/device)\n' \
	    "$rate" "$done_n" "$total" "$secs" \
	    "$(awk -v c="$cpu" -v n="$done_n" 'BEGIN { printf "%.0f", n ? c / n / 1000 : 0 }')" \
	    "$(awk -v c="$cpu_fleet" -v n="$done_n" 'BEGIN { printf "%.0f", n ? c / n / 1000 : 0 }')"
	printf '  gateway RssAnon: before=%d kB peak=%d kB end=%d kB; per targeted device: peak %s bytes, end %s bytes\n' \
	    "$rss0" "$peak" "$rss1" \
	    "$(awk -v a="$peak" -v b="$rss0" -v n="$total" 'BEGIN { printf "%.0f", n ? (a - b) * 1024 / n : 0 }')" \
	    "$(awk -v a="$rss1" -v b="$rss0" -v n="$total" 'BEGIN { printf "%.0f", n ? (a - b) * 1024 / n : 0 }')"
	printf '  store: data.mdb %d -> %d bytes, %s bytes per device (records, ops and their results, B-tree pages); exact device record %s bytes (%s)\n' \
	    "$store0" "$store1" \
	    "$(awk -v a="$store1" -v b="$store0" -v n="$total" 'BEGIN { printf "%.0f", n ? (a - b) / n : 0 }')" \
	    "$(awk -v b="$(field bytes " $rec")" -v n="$(field records " $rec")" 'BEGIN { printf "%.1f", n ? b / n : 0 }')" \
	    "key 8 + endpoint, value 56 + error; $rec"
	grep '^error: ' <<<"$recs" | sed 's/^/  /' || true
	printf '  check: jb0-0 reads /3/0/15 %s (written %s)\n' \
	    "$(curl -s --max-time 10 "http://$HOST:$GW_HTTP/v1/devices/jb0-0/r/3/0/15")" \
	    "$zone"
	if ((rate > best_rate)); then
		best_rate=$rate best_conc=$conc
	fi
done
echo "job engine RAM per device: struct job_dev ${dev_bytes} bytes + by_ep ${idx_bytes} bytes = $((dev_bytes + idx_bytes)) bytes (the device table grows by doubling: up to $((2 * dev_bytes + idx_bytes)) while it grows; an error text is malloc'd besides)"
echo "best: max_concurrent=$best_conc at $best_rate devices/s"
bench_row "fleet job devices/s ($FLEET devices, max_concurrent=$best_conc)" \
    "$best_rate" - - "-"
