# lib.sh: helpers the benchmark scripts share. Source it, then call
# bench_begin (or set PIDS=(), the processes a script started, for stop_pid
# and its cleanup, and TMP yourself).

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
import random, socket, sys
# Below the ephemeral range: libcoap binds with SO_REUSEADDR, and a client
# socket bound so may be given a port another such socket serves on.
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
rng = random.SystemRandom()
for _ in range(500):
    port = rng.randrange(10000, low) if low > 12000 else rng.randrange(low, 65536)
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    s.close()
    print(port)
    break
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

# bench_row FIGURE OUTPOST PEER RATIO TARGET: one line of the table
# `make bench` prints at its end (tests/bench/table.sh), appended to
# $BENCH_TABLE when that is set (make bench sets it), and echoed. PEER and
# RATIO are "-" for a figure with no peer; TARGET says what is wanted
# (">= 1.0x coap-rd", "< 256 B", ...), "-" for none.
bench_row() {
	local row
	row=$(printf '%s\t%s\t%s\t%s\t%s' "$1" "$2" "$3" "$4" "$5")
	echo "table: $row"
	if [[ -n ${BENCH_TABLE:-} ]]; then
		printf '%s\n' "$row" >>"$BENCH_TABLE"
	fi
}

# build_tool OUT NAME: compiles tests/bench/NAME.c with benchutil.c, the
# project's warnings, into OUT (${CC:-cc}).
build_tool() {
	local dir
	dir=$(dirname "${BASH_SOURCE[0]}")
	"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Wpointer-arith -Wformat=2 \
	    -o "$1" "$dir/$2.c" "$dir/benchutil.c"
}

# The helpers below start and measure servers. They use what the script
# set before sourcing this file: OUTPOST and NODE (the binaries), HOST (a
# loopback address) and TMP (its private temp dir); bench_get also DURATION,
# THREADS, CONNS and, when set, the array WRK_ARGS (extra wrk arguments,
# given to every server alike).

die() {
	echo "bench: $*" >&2
	exit 1
}

# field NAME LINE: the value of NAME=... in a result line.
field() {
	sed -n "s/.*[ :]$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

# bench_begin NAME BIN...: what every script does first, once this file is
# sourced: its tmp dir ($TMP), its list of processes (PIDS), both removed
# and stopped at exit (cleanup_servers), and a check that each BIN is an
# executable and curl is here.
bench_begin() {
	local name=$1 b
	shift
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/outpost-$name-bench.XXXXXX")
	PIDS=()
	trap cleanup_servers EXIT
	trap 'exit 130' INT TERM
	for b in "$@"; do
		[[ -x $b ]] || die "$b: no such executable"
	done
	command -v curl >/dev/null || die "curl not found"
}

# need_servers: fail unless wrk, nginx, curl and both binaries are there.
need_servers() {
	command -v wrk >/dev/null || die "wrk not found (scripts/install-deps.sh)"
	command -v nginx >/dev/null ||
	    die "nginx not found (scripts/install-deps.sh: nginx-light)"
	command -v curl >/dev/null || die "curl not found"
	[[ -x $OUTPOST ]] || die "$OUTPOST: no such executable"
	[[ -x $NODE ]] || die "$NODE: no such executable"
}

# nginx's workers are its children, not ours: stop the master, then make
# sure none of the workers it had outlives it.
stop_nginx() {
	local pid
	[[ -n ${NGINX_PID:-} ]] || return 0
	stop_pid "$NGINX_PID"
	for pid in ${NGINX_WORKERS:-}; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	NGINX_PID='' NGINX_WORKERS=
}

# stop_nodes: the agents started by start_node, which deregister from
# gateways that are still there.
stop_nodes() {
	local pid
	for pid in ${NODE_PIDS:-}; do
		stop_pid "$pid"
	done
	NODE_PIDS=
}

# The EXIT trap of the scripts that use servers: nodes first, nginx, then
# the rest (gateways), and the temp dir.
cleanup_servers() {
	local pid
	stop_nodes
	stop_nginx
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
		stop_pid "$pid"
	done
	rm -rf "$TMP"
}

# start_gateway DIR [EXTRA_INI]: write DIR/gateway.ini with fresh ports and
# an empty store (EXTRA_INI appended), start the gateway, wait for
# /v1/health. Sets GW_PID, GW_HTTP, GW_COAP, GW_COAPS (DTLS).
start_gateway() {
	local dir=$1 extra=${2:-} i
	GW_HTTP=$(free_port tcp)
	GW_COAP=$(free_port udp)
	GW_COAPS=$(free_port udp)
	mkdir -p "$dir/data"
	cat >"$dir/gateway.ini" <<INI
[http]
listen = $HOST:$GW_HTTP
[coap]
listen = $HOST:$GW_COAP
secure_listen = $HOST:$GW_COAPS
[store]
path = $dir/data
$extra
INI
	"$OUTPOST" -c "$dir/gateway.ini" >"$dir/outpost.log" 2>&1 &
	GW_PID=$!
	PIDS+=("$GW_PID")
	for ((i = 0; i < 200; i++)); do
		if curl -sf -o /dev/null --max-time 1 "http://$HOST:$GW_HTTP/v1/health"; then
			return 0
		fi
		kill -0 "$GW_PID" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 20 "$dir/outpost.log" >&2
	die "outpost did not answer http://$HOST:$GW_HTTP/v1/health"
}

# start_node DIR COAP_PORT ARGS...: an outpost-node agent for the gateway on
# COAP_PORT, run in DIR (it may keep files in its working directory). Sets
# NODE_PID.
start_node() {
	local dir=$1 port=$2
	shift 2
	mkdir -p "$dir"
	(cd "$dir" && exec "$NODE" --gateway "coap://$HOST:$port" "$@") \
	    >"$dir/node.log" 2>&1 &
	NODE_PID=$!
	PIDS+=("$NODE_PID")
	NODE_PIDS="${NODE_PIDS:-} $NODE_PID"
}

# wait_awake HTTP_PORT EP NODE_PID DIR: poll until the gateway shows EP awake.
wait_awake() {
	local port=$1 ep=$2 pid=$3 dir=$4 i
	for ((i = 0; i < 200; i++)); do
		if curl -sf --max-time 1 "http://$HOST:$port/v1/devices/$ep" 2>/dev/null |
		    grep -q '"state":"awake"'; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 20 "$dir/node.log" >&2
	die "device $ep did not show up awake on the gateway"
}

# start_nginx DIR: nginx (Debian nginx-light) serving DIR/www/body with one
# worker (the gateway serves HTTP from one reactor thread), logs in DIR,
# otherwise stock settings. Sets NGINX_PID, NGINX_WORKERS and NGINX_URL,
# and checks that it serves the body whole.
start_nginx() {
	local dir=$1 port i size
	size=$(stat -c %s "$dir/www/body")
	mkdir -p "$dir/tmp"
	# Started as root, nginx runs its worker as an unprivileged user,
	# which must reach the file through mktemp's private directory.
	chmod o+x "$TMP" "$dir"
	chmod o+rx "$dir/www"
	chmod o+r "$dir/www/body"
	port=$(free_port tcp)
	cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
	worker_connections 1024;
}
http {
	access_log off;
	sendfile on;
	default_type application/octet-stream;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	server {
		listen $HOST:$port;
		root $dir/www;
	}
}
CONF
	nginx -e "$dir/error.log" -c "$dir/nginx.conf" -p "$dir" \
	    >"$dir/stdout.log" 2>&1 &
	NGINX_PID=$!
	PIDS+=("$NGINX_PID")
	NGINX_URL=http://$HOST:$port/body
	for ((i = 0; i < 200; i++)); do
		curl -sf -o /dev/null --max-time 1 "$NGINX_URL" && break
		kill -0 "$NGINX_PID" 2>/dev/null || { i=200; break; }
		sleep 0.05
	done
	if ((i == 200)); then
		tail -n 20 "$dir/stdout.log" "$dir/error.log" >&2 || true
		die "nginx did not serve $NGINX_URL"
	fi
	NGINX_WORKERS=$(pgrep -P "$NGINX_PID" || true)
	[[ $(curl -s --max-time 5 "$NGINX_URL" | wc -c) == "$size" ]] ||
	    die "nginx does not serve the $size-byte body"
}

# to_ms VALUE: a wrk duration (850.00us, 1.20ms, 2.00s, 1.00m) in ms.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000;
		else if (u == "m") n *= 60000
		printf "%.2f", n }'
}

# cpu_by_name PID...: "NAME NS" per process (all its threads so far).
cpu_by_name() {
	local pid
	for pid in "$@"; do
		echo "$(cat /proc/"$pid"/comm 2>/dev/null || echo gone) $(cpu_ns "$pid")"
	done
}

# bench_get LABEL URL PID...: one wrk run against URL; PIDs are the server
# processes whose CPU time is charged to it. Sets RATE, P50, P99 (ms),
# CPU_US (server CPU per request, in us) and NOTES (wrk's count of non-2xx
# answers and socket errors, if any), and prints one line with the CPU
# split by process name.
bench_get() {
	local label=$1 url=$2 out before reqs split
	shift 2
	out=$TMP/wrk-${label//[^a-z0-9]/_}.out
	before=$(cpu_by_name "$@")
	timeout $((DURATION + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" \
	    --latency "${WRK_ARGS[@]+"${WRK_ARGS[@]}"}" "$url" >"$out" 2>&1 ||
	    { cat "$out" >&2; die "wrk failed against $label"; }
	kill -0 "$1" 2>/dev/null || die "the server of $label exited during the run"
	RATE=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	[[ -n $RATE ]] || { cat "$out" >&2; die "no rate in wrk's output for $label"; }
	P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	# Per name: (after - before) / requests, in us; then the total.
	split=$(paste -d ' ' <(echo "$before") <(cpu_by_name "$@") | awk -v n="$reqs" '
	    { d[$1] += $4 - $2; if (!($1 in seen)) { seen[$1] = 1; o[++k] = $1 } }
	    END { for (i = 1; i <= k; i++) { t += d[o[i]]
	            s = s sprintf("%s%s %.1f", i > 1 ? " + " : "", o[i], d[o[i]] / n / 1000) }
	          printf "%.1f|%s", t / n / 1000, s }')
	CPU_US=${split%%|*}
	NOTES=$(grep -E 'Non-2xx|Socket errors' "$out" | tr -s ' ' | paste -sd ';' -) || true
	printf '  %-22s %6s req/s p50=%sms p99=%sms (%s requests; server cpu us/req %s = %s)%s\n' \
	    "$label:" "$RATE" "$P50" "$P99" "$reqs" "$CPU_US" "${split#*|}" "${NOTES:+ [$NOTES]}"
}
