#!/usr/bin/env bash
# The table `make bench` ends with: tests/bench/table.sh FILE, where FILE
# holds the rows the scripts wrote with lib.sh's bench_row (tab-separated:
# figure, Outpost, peer, ratio, target). Prints the machine it ran on first.
set -euo pipefail
FILE=${1:?usage: tests/bench/table.sh FILE}
[[ -s $FILE ]] || { echo "bench: no figures in $FILE" >&2; exit 1; }
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "== make bench: $(date -u +%Y-%m-%d), $(nproc) cores ($cpu), $(uname -sr)"
awk -F'\t' '
BEGIN { w[1] = 6; w[2] = 7; w[3] = 4; w[4] = 5; w[5] = 6 }
{ n++; for (i = 1; i <= 5; i++) { c[n, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
END {
	fmt = "%-" w[1] "s  %" w[2] "s  %" w[3] "s  %" w[4] "s  %-" w[5] "s\n"
	printf fmt, "figure", "outpost", "peer", "ratio", "target"
	for (r = 1; r <= n; r++)
		printf fmt, c[r, 1], c[r, 2], c[r, 3], c[r, 4], c[r, 5]
}' "$FILE"
