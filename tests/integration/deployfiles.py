"""
Readers of the deployment files for the tests of scripts/docker and
scripts/k3s (no Docker engine or cluster runs here): a strict Dockerfile
reader, the packages a built binary needs, and an ini reader.
"""
import configparser
import os
import re
import shlex
import shutil
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

INSTRUCTIONS = {"FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "WORKDIR", "USER",
                "VOLUME", "EXPOSE", "HEALTHCHECK", "STOPSIGNAL", "ENTRYPOINT",
                "CMD", "LABEL", "SHELL"}


class Stage:
    def __init__(self, image, name):
        self.image = image
        self.name = name
        self.instructions = []      # [(INSTRUCTION, argument text)]

    def all(self, kind):
        return [a for k, a in self.instructions if k == kind]


def parse_dockerfile(path):
    """The stages of a Dockerfile, in order. Lines ending in a backslash
    continue; comments and blank lines go; every other line must start with
    a known instruction, and the first one must be FROM."""
    stages, logical, cont = [], [], ""
    with open(path) as fp:
        for n, line in enumerate(fp, 1):
            line = line.rstrip("\n")
            if not cont and (not line.strip() or line.lstrip()[0] == "#"):
                continue
            if line.endswith("\\"):
                cont += line[:-1] + " "
                continue
            logical.append((n, cont + line))
            cont = ""
    assert not cont, "%s: ends inside a continued line" % path
    for n, text in logical:
        kind, _, arg = text.strip().partition(" ")
        assert kind in INSTRUCTIONS, "%s:%d: unknown instruction %r" % (
            path, n, kind)
        arg = " ".join(arg.split())
        if kind == "FROM":
            m = re.match(r"^(\S+)(?: [Aa][Ss] (\S+))?$", arg)
            assert m, "%s:%d: bad FROM" % (path, n)
            stages.append(Stage(m.group(1), m.group(2)))
            continue
        assert stages, "%s:%d: %s before FROM" % (path, n, kind)
        stages[-1].instructions.append((kind, arg))
    return stages


def apt_installs(stage):
    """The packages a stage installs with apt-get install."""
    pkgs = []
    for run in stage.all("RUN"):
        for cmd in re.split(r"&&|;", run):
            words = shlex.split(cmd)
            if words[:2] == ["apt-get", "install"]:
                pkgs += [w for w in words[2:] if not w.startswith("-")]
    return pkgs


def needed_packages(binary):
    """The Debian packages holding the shared libraries binary needs (its
    DT_NEEDED entries), without those every Debian image has (libc6,
    libgcc-s1)."""
    out = subprocess.run(["readelf", "-d", binary], capture_output=True,
                         text=True, check=True).stdout
    triplet = subprocess.run(["gcc", "-dumpmachine"], capture_output=True,
                             text=True, check=True).stdout.strip()
    pkgs = set()
    for so in re.findall(r"Shared library: \[(.+?)\]", out):
        owners = subprocess.run(["dpkg", "-S", "*/%s/%s" % (triplet, so)],
                                capture_output=True, text=True).stdout
        names = {line.split(":")[0] for line in owners.splitlines()
                 if line}
        assert len(names) == 1, "%s: owners of %s: %r" % (binary, so, names)
        pkgs |= names
    pkgs -= {"libc6", "libgcc-s1"}     # in every Debian image
    return pkgs


def sanitizer_build(binary):
    """True for a binary of make check-asan: it links the sanitizers'
    runtimes, and links differently (no --as-needed effect)."""
    out = subprocess.run(["readelf", "-d", binary], capture_output=True,
                         text=True, check=True).stdout
    return re.search(r"Shared library: \[lib(asan|ubsan)\.so", out) \
        is not None


def read_ini(text):
    """An ini text (gateway.ini or node.ini syntax) as configparser."""
    cp = configparser.ConfigParser(comment_prefixes=(";", "#"),
                                   inline_comment_prefixes=None,
                                   interpolation=None)
    cp.read_string(text)
    return cp


def hostport(value):
    """"HOST:PORT" or "[V6]:PORT" -> (host, port)."""
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


NS_SCRIPT = r"""
set -u
ip link set lo up
mount --bind "$T/hosts" /etc/hosts
hostname "$EP"
export HOSTNAME="$EP"
# check NAME SECONDS CMD PID: polls CMD (a healthcheck) until it passes,
# while process PID runs.
check() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		if bash -c "$3" </dev/null >/dev/null 2>&1; then
			echo "$1 ok"
			return 0
		fi
		kill -0 "$4" 2>/dev/null || break
		sleep 0.05
	done
	echo "$1 failed"
	return 1
}
"$OUTPOST" -c "$T/gateway.ini" >"$T/gateway.log" 2>&1 &
GW=$!
if ! check gateway 20 "$GW_CHECK" $GW; then
	kill -0 $GW 2>/dev/null || echo "gateway exited"
	exit 1
fi
if bash -c "$NODE_CHECK" </dev/null >/dev/null 2>&1; then
	echo "node healthy before it ran"
	exit 1
fi
"$NODE" -c "$T/node.ini" >"$T/node.log" 2>&1 &
NODE_PID=$!
check node 20 "$NODE_CHECK" $NODE_PID || exit 1
kill -TERM $NODE_PID
wait $NODE_PID
kill -TERM $GW
wait $GW
echo "stopped $?"
"""


def namespaces_ok():
    return os.geteuid() == 0 and shutil.which("unshare") and \
        shutil.which("ip")


def run_in_namespaces(tmp, gateway_ini, node_ini, hosts, gw_check,
                      node_check, env, ep="ns-node-1"):
    """Runs the gateway with gateway_ini and the agent with node_ini the
    way a container or pod would, with their own network (loopback only,
    so the fixed ports of the files are free), host name (ep, the agent's
    endpoint name), /etc/hosts (hosts: names of the deployment, such as
    "gateway", to 127.0.0.1) and pid namespace (whatever happens, nothing
    outlives the run). There gw_check must pass once the gateway runs, and
    node_check must fail before the agent runs and pass once it has
    registered. Returns (returncode, output, gateway log, node log)."""
    t = str(tmp)
    for name, text in (("gateway.ini", gateway_ini), ("node.ini", node_ini),
                       ("hosts", "127.0.0.1 localhost %s\n" % " ".join(
                           hosts))):
        with open(os.path.join(t, name), "w") as fp:
            fp.write(text)
    e = dict(os.environ, T=t, EP=ep, GW_CHECK=gw_check,
             NODE_CHECK=node_check, **env)
    proc = subprocess.run(["unshare", "--net", "--mount", "--uts", "--pid",
                           "--fork", "--kill-child", "--mount-proc", "bash",
                           "-c", NS_SCRIPT], env=e, capture_output=True,
                          text=True, timeout=90)

    def log(name):
        try:
            with open(os.path.join(t, name)) as fp:
                return fp.read()
        except FileNotFoundError:
            return ""
    return (proc.returncode, proc.stdout + proc.stderr, log("gateway.log"),
            log("node.log"))
