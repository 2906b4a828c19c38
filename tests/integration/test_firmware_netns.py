"""
Firmware over a real network: network namespaces the test builds itself (a
bridge in a hub namespace, a veth to it from the gateway's namespace and
from each node's), so the announcement really is multicast crossing links.
The gateway announces an uploaded image to 224.0.1.187 and ff02::fd; nodes
that joined the groups verify it, wait their leisure, pull the image
block-wise by unicast, check it and apply it. Also: a tampered manifest is
refused by the node, a node killed mid-download resumes where it stopped,
an image for another class is left alone, and a lossy link (tc netem)
still completes.

Needs root (CI runs as root); skipped otherwise.
"""
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import OUTPOST_BIN, NODE_BIN, coap_message, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="network namespaces need root")


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


class Net:
    """hub (bridge br0) <- veth -> gw, n1, n2 ... Addresses 10.X.0.1 for
    the gateway, 10.X.0.(10+i) for nodes; IPv6 link-local on every veth
    (DAD off so that they are usable at once)."""

    def __init__(self, tag, nodes):
        self.tag = tag
        self.hub = "obr" + tag
        self.gw = "ogw" + tag
        self.nodes = ["on%d%s" % (i, tag) for i in range(nodes)]
        self.net = "10.%d.0" % (100 + os.getpid() % 100)
        self.made = []
        for ns in [self.hub, self.gw] + self.nodes:
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
            for k in ("all", "default"):
                self.ns(ns, "sysctl", "-qw",
                        "net.ipv6.conf.%s.accept_dad=0" % k)
            self.ns(ns, "ip", "link", "set", "lo", "up")
        self.ns(self.hub, "ip", "link", "add", "br0", "type", "bridge",
                "mcast_snooping", "0")
        self.ns(self.hub, "ip", "link", "set", "br0", "up")
        self.link(self.gw, "v0", self.net + ".1")
        for i, ns in enumerate(self.nodes):
            self.link(ns, "v%d" % (i + 1), "%s.%d" % (self.net, 10 + i))

    def ns(self, ns, *args, check=True):
        return sh("ip", "netns", "exec", ns, *args, check=check)

    def link(self, ns, name, addr):
        """A veth from ns (as eth0) to the hub's bridge (as name)."""
        sh("ip", "link", "add", name, "netns", self.hub, "type", "veth",
           "peer", "name", "eth0", "netns", ns)
        self.ns(self.hub, "ip", "link", "set", name, "master", "br0", "up")
        self.ns(ns, "ip", "addr", "add", addr + "/24", "dev", "eth0")
        self.ns(ns, "ip", "link", "set", "eth0", "up")
        self.ns(ns, "ip", "route", "add", "224.0.0.0/4", "dev", "eth0")

    def cleanup(self):
        for ns in reversed(self.made):
            sh("ip", "netns", "del", ns, check=False)


@pytest.fixture
def net(request):
    made = []

    def make(nodes=2):
        n = Net("%d%d" % (os.getpid() % 1000, len(made)), nodes)
        made.append(n)
        return n
    yield make
    for n in made:
        n.cleanup()


class NsProc:
    """A binary run inside a namespace (ip netns exec execs it: the pid
    is the binary's)."""

    def __init__(self, net, ns, argv, logfile):
        self.net, self.ns, self.argv, self.logfile = net, ns, argv, logfile
        self.proc = None

    def start(self):
        self.fp = open(self.logfile, "ab")
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns] +
                                     self.argv, stdin=subprocess.DEVNULL,
                                     stdout=self.fp, stderr=self.fp)
        return self

    def log(self):
        with open(self.logfile, errors="replace") as fp:
            return fp.read()

    def wait_log(self, text, timeout=30, since=0):
        wait_for(lambda: text in self.log()[since:], timeout,
                 what="%r in %s" % (text, self.logfile))

    def kill(self, sig=signal.SIGTERM):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture
def procs():
    made = []
    yield made
    for p in made:
        p.kill()


def keygen(tmp_path):
    subprocess.run([OUTPOST_BIN, "keygen", str(tmp_path / "rel")],
                   check=True, capture_output=True)
    return str(tmp_path / "rel.key"), str(tmp_path / "rel.pub")


def sign(key, image, seq, cls="sensor"):
    subprocess.run([OUTPOST_BIN, "sign", "--key", key, "--vendor", "acme",
                    "--class", cls, "--version", "v%d" % seq, "--seq",
                    str(seq), str(image)], check=True, capture_output=True)
    with open(str(image) + ".manifest", "rb") as fp:
        return fp.read()


def start_gateway(net, procs, tmp_path, pub, campaign=None,
                  secure_listen=None, **fw):
    d = tmp_path / "gw"
    d.mkdir()
    fwkeys = {"trusted_keys": pub, "interface": "eth0", "repeat": 2,
              "interval_ms": 200}
    fwkeys.update(fw)
    ini = ["[http]", "listen = 127.0.0.1:8080", "max_body = 1048576",
           "[coap]", "listen = 0.0.0.0:5683",
           "secure_listen = %s" % (secure_listen or "%s.1:5684" % net.net),
           "plain = any",
           "[firmware]"] + ["%s = %s" % kv for kv in fwkeys.items()] + \
          ["[campaign]"] + ["%s = %s" % kv for kv in
                            (campaign or {}).items()] + \
          ["[store]", "path = %s" % (d / "store")]
    (d / "gateway.ini").write_text("\n".join(ini) + "\n")
    gw = NsProc(net, net.gw, [OUTPOST_BIN, "-c", str(d / "gateway.ini")],
                str(d / "outpost.log")).start()
    procs.append(gw)
    gw.wait_log("outpost 0.1.0 started", timeout=10)
    return gw


def http(net, method, path, body=None, headers=()):
    args = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method]
    for h in headers:
        args += ["-H", h]
    if body is not None:
        args += ["--data-binary", "@-"]
    args.append("http://127.0.0.1:8080" + path)
    proc = subprocess.run(["ip", "netns", "exec", net.gw] + args,
                          input=body, capture_output=True, check=True)
    out, code = proc.stdout.rsplit(b"\n", 1)
    return int(code), json.loads(out) if out.strip() else None


def upload(net, doc, data):
    code, info = http(net, "POST", "/v1/firmware", doc)
    assert code == 201, info
    fid = info["id"]
    code, info = http(net, "PUT", "/v1/firmware/%s/image" % fid, data,
                      ["Content-Type: application/octet-stream"])
    assert code == 201, info
    return fid


def start_node(net, procs, tmp_path, i, pub, six=False, cls="sensor",
               leisure=1, extra="", multicast=True):
    d = tmp_path / ("node%d" % i)
    d.mkdir(exist_ok=True)
    ini = ("[node]\ngateway = coap://%s.1:5683\nendpoint = n%d\n"
           "config_path = %s\n"
           "[device]\nbattery = 80\n"
           "[firmware]\nlisten = %s\ninterface = eth0\nvendor = acme\n"
           "class = %s\ntrusted_keys = %s\ndir = %s\nleisure = %d\n"
           "apply_command = cp \"$OUTPOST_FW_IMAGE\" %s\n%s"
           % (net.net, i, d / "cfg.json",
              "" if not multicast else "[::]:5683" if six else
              "0.0.0.0:5683", cls, pub,
              d / "fw", leisure, d / "applied.bin", extra))
    (d / "node.ini").write_text(ini)
    node = NsProc(net, net.nodes[i], [NODE_BIN, "-v", "-c",
                                      str(d / "node.ini")],
                  str(d / "node.log")).start()
    procs.append(node)
    node.dir = d
    if multicast:
        node.wait_log("listening for acme/%s announcements" % cls)
    return node


def test_announce_reaches_every_node(net, procs, tmp_path):
    n = net(3)
    key, pub = keygen(tmp_path)
    gw = start_gateway(n, procs, tmp_path, pub)
    nodes = [start_node(n, procs, tmp_path, 0, pub),
             start_node(n, procs, tmp_path, 1, pub, six=True),
             start_node(n, procs, tmp_path, 2, pub, cls="valve")]
    image = tmp_path / "fw.bin"
    data = os.urandom(70000)
    image.write_bytes(data)
    fid = upload(n, sign(key, image, 5), data)
    code, info = http(n, "POST", "/v1/firmware/%s/announce" % fid)
    assert code == 202, info
    for node in nodes[:2]:
        node.wait_log("installed acme/sensor v5 seq 5")
        assert (node.dir / "applied.bin").read_bytes() == data
        assert (node.dir / "fw" / "installed").read_text().strip() == "5"
        assert not (node.dir / "fw" / "staging.bin").exists()
    # The valve saw it and left it alone.
    nodes[2].wait_log("ignored: not this device's vendor and class")
    assert not (nodes[2].dir / "applied.bin").exists()
    # Announced again: nobody fetches an image already installed.
    code, _ = http(n, "POST", "/v1/firmware/%s/announce" % fid)
    nodes[0].wait_log("sequence number not above the installed one")
    assert nodes[0].log().count("downloaded, digest verified") == 1


def test_tampered_manifest_refused(net, procs, tmp_path):
    n = net(1)
    key, pub = keygen(tmp_path)
    node = start_node(n, procs, tmp_path, 0, pub, leisure=0)
    image = tmp_path / "fw.bin"
    image.write_bytes(os.urandom(5000))
    doc = json.loads(sign(key, image, 9))
    doc["seq"] = 10
    msg = coap_message(mtype=1, code=2, mid=7, options=[
        (11, b"fw"), (12, bytes([50]))],
        payload=json.dumps(doc).encode())
    # From the gateway's namespace, to the group, as an announcement.
    n.ns(n.gw, "python3", "-c",
         "import socket,sys; s=socket.socket(socket.AF_INET, "
         "socket.SOCK_DGRAM); s.setsockopt(socket.IPPROTO_IP, "
         "socket.IP_MULTICAST_IF, socket.inet_aton('%s.1')); "
         "s.sendto(bytes.fromhex(sys.argv[1]), ('224.0.1.187', 5683))"
         % n.net, msg.hex())
    node.wait_log("announcement refused: the signature does not verify")
    assert not (node.dir / "fw" / "staging.bin").exists()


def test_killed_node_resumes(net, procs, tmp_path):
    n = net(1)
    key, pub = keygen(tmp_path)
    gw = start_gateway(n, procs, tmp_path, pub)
    # A slow link (the gateway sends at 400 kbit/s) so that the download
    # is still under way when the node dies.
    n.ns(n.gw, "tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate",
         "400kbit", "burst", "4kb", "latency", "500ms")
    node = start_node(n, procs, tmp_path, 0, pub, leisure=0)
    image = tmp_path / "fw.bin"
    data = os.urandom(200 * 1024)
    image.write_bytes(data)
    fid = upload(n, sign(key, image, 2), data)
    http(n, "POST", "/v1/firmware/%s/announce" % fid)
    staged = node.dir / "fw" / "staging.bin"
    wait_for(lambda: staged.exists() and staged.stat().st_size > 40 * 1024,
             30, what="part of the image staged")
    node.kill(signal.SIGKILL)
    kept = staged.stat().st_size
    assert 0 < kept < len(data)
    mark = len(node.log())
    node.start()
    node.wait_log("resuming acme/sensor seq 2 at byte", since=mark)
    line = [l for l in node.log()[mark:].splitlines()
            if "resuming" in l][0]
    at = int(line.split(" at byte ")[1].split()[0])
    assert at > 0 and at <= kept
    node.wait_log("installed acme/sensor v2 seq 2", timeout=60, since=mark)
    assert (node.dir / "applied.bin").read_bytes() == data
    # It fetched the rest, not the whole image again.
    assert "resuming" in node.log()[mark:]


def test_lossy_link_completes(net, procs, tmp_path):
    n = net(1)
    key, pub = keygen(tmp_path)
    gw = start_gateway(n, procs, tmp_path, pub, repeat=5)
    if n.ns(n.nodes[0], "tc", "qdisc", "add", "dev", "eth0", "root",
            "netem", "loss", "10%", check=False).returncode != 0:
        pytest.skip("this kernel has no netem (sch_netem)")
    node = start_node(n, procs, tmp_path, 0, pub, leisure=0)
    image = tmp_path / "fw.bin"
    data = os.urandom(24 * 1024)
    image.write_bytes(data)
    fid = upload(n, sign(key, image, 3), data)
    http(n, "POST", "/v1/firmware/%s/announce" % fid)
    node.wait_log("installed acme/sensor v3 seq 3", timeout=240)
    assert (node.dir / "applied.bin").read_bytes() == data


def test_multicast_campaign_with_pull_fallback(net, procs, tmp_path):
    """A campaign that delivers by multicast: two nodes (IPv4 and IPv6)
    hear the announcement and update by themselves; the third does not
    listen to the group (like a standard LwM2M client) and, having not
    begun within announce_wait_s, gets the URI written to its /5/0/1.
    The campaign follows all three through their observed /5/0/3 and
    /5/0/5 (it reads /5/0 once an hour only)."""
    n = net(3)
    key, pub = keygen(tmp_path)
    start_gateway(n, procs, tmp_path, pub, campaign={
        "announce_wait_s": 4, "poll_s": 3600,
        "fetch_uri": "coap://%s.1:5683" % n.net})
    nodes = [start_node(n, procs, tmp_path, 0, pub),
             start_node(n, procs, tmp_path, 1, pub, six=True),
             start_node(n, procs, tmp_path, 2, pub, multicast=False)]
    for i in range(3):
        wait_for(lambda: http(n, "GET", "/v1/devices/n%d" % i)[0] == 200,
                 10, what="n%d registered" % i)
    image = tmp_path / "fw.bin"
    data = os.urandom(50000)
    image.write_bytes(data)
    fid = upload(n, sign(key, image, 7), data)
    # Multicast reaches every device: a list or groups are refused.
    code, info = http(n, "POST", "/v1/campaigns", json.dumps({
        "image": fid, "target": "all",
        "policy": {"delivery": "multicast", "group_size": 1}}).encode())
    assert code == 400 and "groups" in info["detail"]
    code, c = http(n, "POST", "/v1/campaigns", json.dumps({
        "image": fid, "target": "all",
        "policy": {"delivery": "multicast"}}).encode())
    assert code == 201, c

    def done():
        code, s = http(n, "GET", "/v1/campaigns/%d" % c["id"])
        return s["status"] == "done" and s
    s = wait_for(done, 90, interval=0.3, what="the campaign done")
    assert "announced_at" in s and s["policy"]["delivery"] == "multicast"
    via = {d["ep"]: (d["state"], d["via"], d["result"])
           for d in s["devices"]}
    assert via == {"n0": ("succeeded", "multicast", 1),
                   "n1": ("succeeded", "multicast", 1),
                   "n2": ("succeeded", "lwm2m", 1)}
    for node in nodes:
        assert (node.dir / "applied.bin").read_bytes() == data
    assert "announcement" not in nodes[2].log()
    assert "pulled from coap://" in nodes[2].log()


def test_campaign_fetch_uris_from_wildcard_listens(net, procs, tmp_path):
    """[coap] listen 0.0.0.0 is no address a device can fetch from: the
    campaign's plain URI is empty and devices get the coaps one, from
    secure_listen; with both wildcards and no [campaign] fetch_uri, a
    campaign is refused and says which keys to set."""
    n = net(1)
    key, pub = keygen(tmp_path)
    start_gateway(n, procs, tmp_path, pub)
    image = tmp_path / "fw.bin"
    data = os.urandom(2000)
    image.write_bytes(data)
    fid = upload(n, sign(key, image, 2), data)
    code, c = http(n, "POST", "/v1/campaigns", json.dumps({
        "image": fid, "target": {"eps": ["away"]}}).encode())
    assert code == 201, c
    code, s = http(n, "GET", "/v1/campaigns/%d" % c["id"])
    assert s["uri"] == ""
    assert s["uri_secure"] == "coaps://%s.1:5684/fw/%s" % (n.net, fid)
    # The same with both wildcards: refused.
    for p in procs:
        p.kill()
    (tmp_path / "gw").rename(tmp_path / "gw-1")
    start_gateway(n, procs, tmp_path, pub, secure_listen="[::]:5684")
    fid = upload(n, sign(key, image, 3), data)
    code, err = http(n, "POST", "/v1/campaigns", json.dumps({
        "image": fid, "target": {"eps": ["away"]}}).encode())
    assert code == 409 and "fetch_uri" in err["detail"], err
