# lib.sh: helpers the benchmark scripts share. Source it after setting
# PIDS=() (the processes a script started, for stop_pid and its cleanup).

# Stop one process we started: SIGTERM, poll for its exit, SIGKILL after 5 s.
stop_pid() {
	local pid=$1 i keep=()
	if kill -TERM "$pid" 2>/dev/null; then
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	for i in "${PIDS[@]}"; do
		[[ $i == "$pid" ]] || keep+=("$i")
	done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

# A free loopback port: free_port udp|tcp.
free_port() {
	python3 - "$1" <<'PY'
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# CPU time of processes and all their threads so far, in ns (schedstat).
cpu_ns() {
	local pid files=()
	for pid in "$@"; do
		files+=(/proc/"$pid"/task/*/schedstat)
	done
	cat "${files[@]}" 2>/dev/null | awk '{ t += $1 } END { printf "%.0f", t }'
}

# RssAnon of a process, in kB.
rss_anon_kb() {
	awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"
}

# median V...: the middle value (of an odd count; the upper middle else).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int(NR / 2) + 1] }'
}

# ratio A B: A/B with two decimals, n/a when B is 0.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}
