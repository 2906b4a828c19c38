"""
Fixtures of the integration suite: the real outpost binary on loopback, with
a written gateway.ini, talked to by real clients (http.client for HTTP,
libcoap's coap-client-gnutls for CoAP, raw sockets for garbage).

Every gateway runs in its own temp dir on ports picked free by the test; its
stderr goes to a file there. Whatever the outcome of a test, the fixture
finalizer kills every process it started, and fails the test if one of them
had died on its own without the test expecting it.
"""
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import time

import pytest

OUTPOST_BIN = os.environ.get("OUTPOST_BIN") or "/work/main/outpost"
COAP_CLIENT = "coap-client-gnutls"
EXAMPLE_INI = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "..", "gateway.ini.example")

START_TIMEOUT = 10.0        # seconds for the gateway to answer /v1/health
STOP_TIMEOUT = 10.0         # seconds for a clean stop
COAP_TIMEOUT = 20.0         # seconds one coap-client run may take
# How long coap-client waits for an answer (-B). The gateway answers a
# registration once its batch is on disk, and on a loaded CI machine an
# fsync has taken seconds: a wait is an upper bound, not a measure, and an
# answer ends it at once.
COAP_WAIT = 10

# Link-format body of a Wakaama client registering.
WAKAAMA_LINKS = '</>;rt="oma.lwm2m";ct=110,</1>;ver=1.1,</1/0>,</3/0>,</5/0>'
WAKAAMA_OBJECTS = [{"path": "/1", "ver": "1.1"}, {"path": "/1/0"},
                   {"path": "/3/0"}, {"path": "/5/0"}]

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
REG_ID = re.compile(r"^[0-9a-f]{12}$")


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(kind=socket.SOCK_STREAM):
    """A port on 127.0.0.1 that is free right now for kind (TCP or UDP),
    below the kernel's ephemeral range. libcoap binds every socket with
    SO_REUSEADDR, and Linux may give a client socket bound so (coap-client,
    a node's session) an ephemeral port that another such socket holds: a
    gateway on an ephemeral port would lose datagrams to it (a coap-client
    that drew the gateway's own port sent its request to itself and
    answered it 4.04). No ephemeral bind ever lands below the range."""
    low = min(_ephemeral_low(), 65536)
    top = low if low > 12000 else 65536
    base = 10000 if low > 12000 else low
    rng = random.SystemRandom()
    for _ in range(500):
        port = rng.randrange(base, top)
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below %d" % low)


def wait_for(predicate, timeout=5.0, interval=0.02, what="condition"):
    """Polls predicate until it returns a true value, which is returned;
    fails the test when timeout seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


# -- raw CoAP (RFC 7252) for what coap-client cannot send --------------
URI_PATH, CONTENT_FORMAT, URI_QUERY = 11, 12, 15


def coap_option(delta, value):
    """One option with its delta and length nibbles (extended as needed)."""
    def nib(n):
        if n < 13:
            return n, b""
        if n < 269:
            return 13, bytes([n - 13])
        return 14, (n - 269).to_bytes(2, "big")
    d, dext = nib(delta)
    ln, lext = nib(len(value))
    return bytes([d << 4 | ln]) + dext + lext + value


def coap_message(mtype=0, code=0x02, mid=0x1234, token=b"\x42",
                 options=(), payload=b""):
    """A CoAP message; options is a list of (number, value) in order."""
    out = bytes([0x40 | mtype << 4 | len(token), code]) + \
        mid.to_bytes(2, "big") + token
    last = 0
    for number, value in options:
        out += coap_option(number - last, value)
        last = number
    if payload:
        out += b"\xff" + payload
    return out


def coap_parse(data):
    """Decodes a well-formed CoAP message into a dict: type, code ("2.01"),
    mid, token, options [(number, value)], payload."""
    tkl = data[0] & 0x0F
    msg = {"type": data[0] >> 4 & 3,
           "code": "%d.%02d" % (data[1] >> 5, data[1] & 0x1F),
           "mid": int.from_bytes(data[2:4], "big"),
           "token": data[4:4 + tkl], "options": [], "payload": b""}
    i, number = 4 + tkl, 0
    while i < len(data):
        if data[i] == 0xFF:
            msg["payload"] = data[i + 1:]
            break
        delta, length = data[i] >> 4, data[i] & 0x0F
        i += 1
        vals = []
        for n in (delta, length):
            if n == 13:
                n, i = data[i] + 13, i + 1
            elif n == 14:
                n, i = int.from_bytes(data[i:i + 2], "big") + 269, i + 2
            vals.append(n)
        number += vals[0]
        msg["options"].append((number, data[i:i + vals[1]]))
        i += vals[1]
    msg["location"] = [v.decode() for n, v in msg["options"] if n == 8]
    return msg


COAP_METHODS = {"0.01": "GET", "0.02": "POST", "0.03": "PUT",
                "0.04": "DELETE", "0.05": "FETCH", "0.07": "iPATCH"}


def coap_request_key(msg):
    """A parsed request as "METHOD path" ("GET 3/0/1"; "?" for a method
    not known, "FETCH " for the root): what scripted peers answer by."""
    path = "/".join(v.decode() for n, v in msg["options"] if n == URI_PATH)
    return "%s %s" % (COAP_METHODS.get(msg["code"], "?"), path)


def coap_datagrams(sock, running, size=65536):
    """The receive loop of a scripted CoAP peer (fakedev.py, bsdev.py,
    bsserver.py): yields (parsed message, sender) for each datagram that
    comes while running() is true. sock has a timeout, so that running()
    is asked again while nothing comes; closing sock ends the loop."""
    while running():
        try:
            data, addr = sock.recvfrom(size)
        except socket.timeout:
            continue
        except OSError:
            return
        yield coap_parse(data), addr


def coap_exchange(sock, msg, addr, timeout=5.0):
    """Sends msg from sock and returns the parsed response carrying the
    request's code-bearing answer (empty ACKs are skipped; a separate CON
    response is acknowledged)."""
    sock.settimeout(timeout)
    sock.sendto(msg, addr)
    while True:
        reply = coap_parse(sock.recv(65536))
        if reply["code"] == "0.00":
            continue
        if reply["type"] == 0:      # separate response: acknowledge it
            sock.sendto(bytes([0x60, 0]) + reply["mid"].to_bytes(2, "big"),
                        addr)
        return reply


class CoapResult:
    """The outcome of one coap-client run: the response code ("2.01", or
    None when no response came), its payload, its options and the raw
    output."""

    LINE = re.compile(r"^v:1 t:(\w+) c:(\S+) i:(\w+) \{(\w*)\} \[(.*?)\]"
                      r"(?: :: '(.*)')?$")

    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.code = None
        self.type = None
        self.payload = ""
        self.options = []
        for line in proc.stdout.splitlines():
            m = self.LINE.match(line)
            if m is None:
                continue
            code = m.group(2)
            if not re.match(r"^[2-5]\.\d\d$", code):
                continue    # the request itself, or an empty ACK (0.00)
            self.type = m.group(1)
            self.code = code
            self.payload = m.group(6) or ""
            self.options = [o.strip() for o in m.group(5).split(",")
                            if o.strip()]

    @property
    def location(self):
        """The Location-Path segments of the response."""
        return [o.split(":", 1)[1] for o in self.options
                if o.startswith("Location-Path:")]

    def __repr__(self):
        return "CoapResult(code=%r, payload=%r, options=%r, stderr=%r)" % (
            self.code, self.payload, self.options, self.stderr)


class Process:
    """What a test process (gateway or node) shares: its log file, its
    liveness, and the bookkeeping once it has exited. Subclasses set proc,
    logfile, _log_fp and returncode."""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _reaped(self):
        self.returncode = self.proc.returncode
        if self._log_fp is not None:
            self._log_fp.close()
            self._log_fp = None
        return self.returncode

    def log(self):
        try:
            with open(self.logfile, "rb") as fp:
                return fp.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_mark(self):
        return len(self.log())


class Gateway(Process):
    """One outpost process (restartable) with its own dir, ini and store."""

    def __init__(self, workdir, sections=None):
        self.dir = str(workdir)
        self.ini = os.path.join(self.dir, "gateway.ini")
        self.store = os.path.join(self.dir, "store")
        self.logfile = os.path.join(self.dir, "outpost.log")
        self.http_port = free_port(socket.SOCK_STREAM)
        self.coap_port = free_port(socket.SOCK_DGRAM)
        self.coaps_port = free_port(socket.SOCK_DGRAM)     # DTLS
        self.sections = sections or {}
        self.proc = None
        self.returncode = None
        self._log_fp = None
        self.write_ini()

    # -- configuration ---------------------------------------------------
    def ini_text(self, sections=None, extra=""):
        """The text of an ini with the test's ports and store, plus the
        keys of sections ({"registry": {"awake_window": 1}}), plus extra
        text appended verbatim."""
        sec = {"http": {"listen": "127.0.0.1:%d" % self.http_port},
               "coap": {"listen": "127.0.0.1:%d" % self.coap_port,
                        "secure_listen": "127.0.0.1:%d" % self.coaps_port},
               "store": {"path": self.store}}
        for name, keys in (self.sections if sections is None
                           else sections).items():
            sec.setdefault(name, {}).update(keys)
        out = []
        for name, keys in sec.items():
            out.append("[%s]" % name)
            for k, v in keys.items():
                out.append("%s = %s" % (k, v))
            out.append("")
        return "\n".join(out) + extra

    def write_ini(self, sections=None, extra="", text=None):
        if sections is not None:
            self.sections = sections
        with open(self.ini, "w") as fp:
            fp.write(text if text is not None else self.ini_text(None,
                                                                  extra))

    # -- process ---------------------------------------------------------
    def start(self, wait=True):
        assert self.proc is None or self.proc.poll() is not None
        self._log_fp = open(self.logfile, "ab")
        self.proc = subprocess.Popen([OUTPOST_BIN, "-c", self.ini],
                                     cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=self._log_fp,
                                     stderr=self._log_fp)
        self.returncode = None
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=START_TIMEOUT):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("outpost exited with %d while starting:"
                                     "\n%s" % (self.proc.returncode,
                                               self.log()))
            try:
                status, _, _ = self.http("GET", "/v1/health", timeout=1)
            except OSError:
                return False
            return status == 200
        wait_for(ready, timeout, what="GET /v1/health to answer 200")

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Stops the gateway with sig; returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("outpost did not stop on signal %d "
                                     "within %.0fs" % (sig, timeout))
        return self._reaped()

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Waits for the process to exit by itself; returns its status."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("outpost still runs after %.0fs" % timeout)
        return self._reaped()

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        return self._reaped()

    def restart(self):
        rc = self.stop()
        assert rc == 0, "outpost exited with %r on SIGTERM" % rc
        return self.start()

    def cleanup(self):
        """Kills the process if it still runs. Returns a complaint when it
        had died by itself (a crash the test did not look for), else None."""
        if self.proc is None:
            return None
        died = None
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        elif self.returncode is None:
            died = "outpost died by itself with status %d:\n%s" % (
                self.proc.returncode, self.log()[-4000:])
        self._reaped()
        return died

    def wait_log(self, text, since=0, timeout=5.0):
        """Waits until text appears in the log after offset since;
        returns the line holding it."""
        def found():
            tail = self.log()[since:]
            i = tail.find(text)
            if i < 0:
                return None
            start = tail.rfind("\n", 0, i) + 1
            end = tail.find("\n", i)
            return tail[start:end if end >= 0 else len(tail)]
        try:
            return wait_for(found, timeout, what="log line %r" % text)
        except AssertionError:
            raise AssertionError("log line %r did not appear; log:\n%s"
                                 % (text, self.log()[since:]))

    def reload(self, expect="configuration reloaded", timeout=5.0):
        """Sends SIGHUP and waits for expect in the log; returns its line."""
        mark = self.log_mark()
        self.send_signal(signal.SIGHUP)
        return self.wait_log(expect, since=mark, timeout=timeout)

    # -- HTTP ------------------------------------------------------------
    def http(self, method, path, body=None, headers=None, timeout=5):
        """One request on a new connection: (status, headers, body bytes).
        Header names in the returned dict are lower case."""
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port,
                                          timeout=timeout)
        try:
            if isinstance(body, str):
                body = body.encode()
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, hdrs, data
        finally:
            conn.close()

    def get_json(self, path, expect=200):
        status, hdrs, body = self.http("GET", path)
        assert status == expect, "GET %s: %d %r" % (path, status, body)
        assert hdrs.get("content-type", "").startswith("application/json")
        return json.loads(body)

    def device(self, ep):
        return self.get_json("/v1/devices/" + ep)

    def device_state(self, ep):
        return self.device(ep)["state"]

    def devices(self, query=""):
        return self.get_json("/v1/devices" + query)

    def metrics(self):
        """GET /metrics as {'name{labels}': value}."""
        status, hdrs, body = self.http("GET", "/metrics")
        assert status == 200
        assert hdrs["content-type"].startswith("text/plain")
        out = {}
        for line in body.decode().splitlines():
            if not line or line.startswith("#"):
                continue
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
        return out

    def wait_state(self, ep, state, timeout=6.0):
        return wait_for(lambda: self.device_state(ep) == state, timeout,
                        what="device %s to become %s" % (ep, state))

    # -- CoAP ------------------------------------------------------------
    def coap(self, method, path, payload=None, content_format=None,
             non=False, src_port=None, timeout=COAP_TIMEOUT):
        """One coap-client-gnutls request to coap://127.0.0.1:PORT/path
        (path may hold ?query); returns a CoapResult."""
        args = [COAP_CLIENT, "-m", method, "-v", "6", "-B", str(COAP_WAIT)]
        if content_format is not None:
            args += ["-t", str(content_format)]
        if payload is not None:
            args += ["-e", payload]
        if non:
            args.append("-N")
        if src_port is not None:
            args += ["-p", str(src_port)]
        args.append("coap://127.0.0.1:%d/%s" % (self.coap_port,
                                                 path.lstrip("/")))
        proc = subprocess.run(args, capture_output=True, text=True,
                              errors="replace", timeout=timeout)
        return CoapResult(proc)

    def register(self, ep, lt=300, b="U", lwm2m="1.1", links="</1/0>,</3/0>",
                 query="", src_port=None, expect="2.01"):
        """Registers ep; returns the registration id (or the CoapResult when
        expect is not 2.01)."""
        q = "rd?ep=%s" % ep
        if lt is not None:
            q += "&lt=%s" % lt
        if lwm2m is not None:
            q += "&lwm2m=%s" % lwm2m
        if b is not None:
            q += "&b=%s" % b
        q += query
        r = self.coap("post", q, payload=links,
                      content_format=40 if links is not None else None,
                      src_port=src_port)
        assert r.code == expect, "register %s: %r" % (ep, r)
        if expect != "2.01":
            return r
        assert len(r.location) == 2 and r.location[0] == "rd", r
        assert REG_ID.match(r.location[1]), r
        return r.location[1]

    def update(self, reg_id, query="", links=None, src_port=None):
        path = "rd/%s" % reg_id + (("?" + query) if query else "")
        return self.coap("post", path, payload=links,
                         content_format=40 if links is not None else None,
                         src_port=src_port)

    def deregister(self, reg_id):
        return self.coap("delete", "rd/%s" % reg_id)


class Factory:
    """What makes processes in the test's tmp dir: it keeps them, and at
    the end cleans them all up, failing the test if one had died by
    itself."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.made = []

    def cleanup(self):
        complaints = [c for c in (p.cleanup() for p in self.made) if c]
        assert not complaints, "\n".join(complaints)


class GatewayFactory(Factory):
    """Makes gateways in the test's tmp dir and stops them all at the end."""

    def __call__(self, start=True, **sections):
        """gateway(registry={"awake_window": 1}) -> a started Gateway. A
        start that loses its ports to another process is retried on fresh
        ones."""
        n = len(self.made)
        for attempt in range(3):
            d = self.tmp_path / ("gw%d" % n if attempt == 0
                                 else "gw%d-%d" % (n, attempt))
            d.mkdir()
            gw = Gateway(d, sections)
            self.made.append(gw)
            if not start:
                return gw
            try:
                gw.start()
                return gw
            except AssertionError:
                if "cannot listen" not in gw.log() or attempt == 2:
                    raise
                gw.cleanup()
        raise AssertionError("unreachable")


@pytest.fixture
def gateway_factory(tmp_path):
    f = GatewayFactory(tmp_path)
    yield f
    f.cleanup()


@pytest.fixture
def gateway(gateway_factory):
    """A running gateway with the default test config."""
    return gateway_factory()


@pytest.fixture
def run_outpost(tmp_path):
    """Runs the binary to completion with args: (rc, stdout, stderr)."""
    def run(*args, timeout=10):
        proc = subprocess.run([OUTPOST_BIN] + list(args), cwd=str(tmp_path),
                              capture_output=True, text=True,
                              timeout=timeout)
        return proc.returncode, proc.stdout, proc.stderr
    return run


# -- outpost-node: the device agent -------------------------------------
NODE_BIN = os.environ.get("NODE_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "outpost-node")


class NodeCoapResult(CoapResult):
    """A CoapResult of a request to a node, with every response seen (an
    observation gives several) and the body as coap-client saved it."""

    # As CoapResult.LINE, and also lines of a body coap-client shows as
    # "binary data length N" (SenML, 110).
    ANY_LINE = re.compile(r"^v:1 t:(\w+) c:(\S+) i:(\w+) \{(\w*)\} "
                          r"\[(.*?)\](?: :: (?:'(.*)'|binary data.*))?$")

    def __init__(self, proc, body):
        super().__init__(proc)
        self.body = body
        self.responses = []     # [(code, type, payload)] in order
        for line in proc.stdout.splitlines():
            m = self.ANY_LINE.match(line)
            if m and re.match(r"^[2-5]\.\d\d$", m.group(2)):
                self.responses.append((m.group(2), m.group(1),
                                       m.group(6) or ""))
                self.code, self.type = m.group(2), m.group(1)
                self.payload = m.group(6) or ""
                self.options = [o.strip() for o in m.group(5).split(",")
                                if o.strip()]

    def json(self):
        return json.loads(self.body)


def coap_to(port, method, path, payload=None, content_format=None,
            accept=None, observe_s=None, wait=5, workdir="/tmp",
            timeout=COAP_TIMEOUT):
    """One coap-client-gnutls request to coap://127.0.0.1:port/path (path
    may hold ?query); observe_s observes for that many seconds."""
    out = os.path.join(str(workdir), "coap-body-%d" % os.getpid())
    if os.path.exists(out):
        os.unlink(out)
    args = [COAP_CLIENT, "-m", method, "-v", "6", "-B", str(wait),
            "-o", out]
    if content_format is not None:
        args += ["-t", str(content_format)]
    if accept is not None:
        args += ["-A", str(accept)]
    if payload is not None:
        args += ["-e", payload]
    if observe_s is not None:
        args += ["-s", str(observe_s)]
    args.append("coap://127.0.0.1:%d/%s" % (port, path.lstrip("/")))
    proc = subprocess.run(args, capture_output=True, text=True,
                          errors="replace", timeout=timeout)
    body = ""
    if os.path.exists(out):
        with open(out, "rb") as fp:
            body = fp.read().decode("utf-8", "replace")
        os.unlink(out)
    return NodeCoapResult(proc, body)


class Node(Process):
    """One outpost-node process with its own dir, node.ini and log. By
    default it registers as ep with gateway gw and serves on a free known
    port (--listen), so coap-client can reach it; -v logs its steps."""

    def __init__(self, workdir, gw_port, ep="node-1", sections=None,
                 args=(), listen=True):
        self.dir = str(workdir)
        self.ini = os.path.join(self.dir, "node.ini")
        self.logfile = os.path.join(self.dir, "node.log")
        self.config_json = os.path.join(self.dir, "config.json")
        self.ep = ep
        self.port = free_port(socket.SOCK_DGRAM) if listen else None
        self.args = list(args)
        self.proc = None
        self.returncode = None
        self._log_fp = None
        sec = {"node": {"gateway": "coap://127.0.0.1:%d" % gw_port,
                        "endpoint": ep, "config_path": self.config_json}}
        if listen:
            sec["node"]["listen"] = "127.0.0.1:%d" % self.port
        for name, keys in (sections or {}).items():
            sec.setdefault(name, {}).update(keys)
        with open(self.ini, "w") as fp:
            for name, keys in sec.items():
                fp.write("[%s]\n" % name)
                for k, v in keys.items():
                    fp.write("%s = %s\n" % (k, v))

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        self._log_fp = open(self.logfile, "ab")
        self.proc = subprocess.Popen([NODE_BIN, "-v", "-c", self.ini] +
                                     self.args, cwd=self.dir,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self._log_fp,
                                     stderr=self._log_fp)
        self.returncode = None
        return self

    def wait_log(self, text, since=0, timeout=10.0):
        """Waits until text appears in the log after offset since; returns
        the offset just past it."""
        def found():
            if self.proc.poll() is not None and text not in \
                    self.log()[since:]:
                raise AssertionError("outpost-node exited with %d:\n%s"
                                     % (self.proc.returncode, self.log()))
            i = self.log().find(text, since)
            return i + len(text) if i >= 0 else None
        try:
            return wait_for(found, timeout, what="node log %r" % text)
        except AssertionError as e:
            raise AssertionError("%s; log:\n%s" % (e, self.log()[since:]))

    def count_log(self, text, since=0):
        return self.log()[since:].count(text)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Stops the node with sig; returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("outpost-node did not stop on signal "
                                     "%d within %.0fs" % (sig, timeout))
        return self._reaped()

    def cleanup(self):
        """Kills the process if it still runs; a complaint when it had
        died by itself, else None."""
        if self.proc is None:
            return None
        died = None
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        elif self.returncode is None:
            died = "outpost-node died by itself with status %d:\n%s" % (
                self.proc.returncode, self.log()[-4000:])
        self._reaped()
        return died

    def coap(self, method, path, **kw):
        return coap_to(self.port, method, path, workdir=self.dir, **kw)


class NodeFactory(Factory):
    """Makes nodes in the test's tmp dir and kills them all at the end."""

    def __call__(self, gw, start=True, **kw):
        """node_factory(gw, ep="n1", sections={...}, args=[...]) -> a
        started Node talking to gateway gw."""
        d = self.tmp_path / ("node%d" % len(self.made))
        d.mkdir()
        node = Node(d, gw.coap_port, **kw)
        self.made.append(node)
        return node.start() if start else node


@pytest.fixture
def node_factory(tmp_path):
    f = NodeFactory(tmp_path)
    yield f
    f.cleanup()


@pytest.fixture
def devices():
    """devices(gw, ep, answers=..., lt=..., b=...) -> a FakeDevice (the
    scripted CoAP device of fakedev.py) registered with gw, closed when the
    test ends."""
    from fakedev import FakeDevice      # fakedev imports this module
    made = []

    def make(gw, ep, **kw):
        d = FakeDevice(gw, ep, **kw)
        made.append(d)
        return d
    yield make
    for d in made:
        d.close()
