#!/usr/bin/env bash
# Alarm evaluation benchmark, run by `make bench`:
#   tests/bench/alarm.sh /abs/path/to/alarmbench
# alarmbench (tests/bench/alarmbench.c, built by make over the domain's
# objects) times alarm_number, the function the cache's number listener
# calls for every number a device sends, against a set of rules over a
# real store, and one device of the sweep. It prints figures and never
# fails on a time. BENCH_ALARM_DEVICES (1000) devices are registered.
set -euo pipefail

BENCH=${1:?usage: tests/bench/alarm.sh /abs/path/to/alarmbench}
echo "== alarms"
"$BENCH"
