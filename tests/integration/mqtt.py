"""
The cloud side of the gateway's MQTT link, for the cloud tests: Debian's
mosquitto broker on loopback (plain, or TLS with client certificates made
by openssl), and a cloud client on paho that collects what the gateway
publishes and sends it requests.

A Broker runs in the test's tmp dir on a port of its own, with a
persistence file there, so that one stopped by SIGTERM keeps its retained
messages and its clients' QoS 1 sessions when it starts again on the same
port. A Cloud keeps a persistent session under a fixed client id: what the
gateway publishes while the cloud is cut off waits for it at the broker.
"""
import base64
import getpass
import json
import os
import signal
import subprocess
import threading
import time
import uuid

import pytest

from conftest import Process, free_port, wait_for

try:
    import paho.mqtt.client as paho
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    from paho.mqtt.subscribeoptions import SubscribeOptions
except ImportError:         # need_mqtt() says so, skipping or failing
    paho = None

MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"
OPENSSL = "openssl"
START_TIMEOUT = 10.0        # seconds for the broker to listen
STOP_TIMEOUT = 10.0


def need_mqtt():
    """Skips the test without the broker or paho on a developer's machine;
    in CI (CI set) their absence fails it, as install-deps.sh installs
    them."""
    missing = []
    if not os.access(MOSQUITTO, os.X_OK):
        missing.append(MOSQUITTO + " (Debian package mosquitto)")
    if paho is None:
        missing.append("paho.mqtt (Debian package python3-paho-mqtt)")
    if not missing:
        return
    why = "missing: " + ", ".join(missing)
    if os.environ.get("CI", "") not in ("", "0", "false"):
        pytest.fail(why + "; CI needs it (scripts/install-deps.sh)")
    pytest.skip(why + " (make deps installs it)")


# -- certificates ---------------------------------------------------------
def _openssl(*args, cwd):
    r = subprocess.run([OPENSSL] + list(args), cwd=cwd, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, "openssl %s: %s" % (" ".join(args), r.stderr)


def _ext(cwd, name, lines):
    path = os.path.join(cwd, name + ".ext")
    with open(path, "w") as fp:
        fp.write("\n".join(lines) + "\n")
    return path


class CA:
    """A certificate authority in dir: ca.pem, ca.key, and the certificates
    it signs (P-256 keys, valid two days)."""

    def __init__(self, workdir, name="Outpost Test CA"):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.cert = os.path.join(self.dir, "ca.pem")
        self.key = os.path.join(self.dir, "ca.key")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                 "-keyout", self.key, "-out", self.cert, "-subj",
                 "/CN=" + name,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 cwd=self.dir)

    def issue(self, name, cn, ext):
        """(cert, key) paths of a new certificate for cn with the
        extension lines ext."""
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        cert = os.path.join(self.dir, name + ".pem")
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                 "-out", csr, "-subj", "/CN=" + cn, cwd=self.dir)
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey",
                 self.key, "-set_serial", str(int.from_bytes(
                     os.urandom(8), "big")), "-days", "2", "-out", cert,
                 "-extfile", _ext(self.dir, name, ext), cwd=self.dir)
        return cert, key

    def server(self, name="server", san="IP:127.0.0.1,DNS:localhost"):
        """A server certificate for the names of san (by default
        127.0.0.1 and localhost)."""
        return self.issue(name, san.split(",")[0].split(":", 1)[1], [
            "basicConstraints=CA:FALSE",
            "keyUsage=critical,digitalSignature,keyAgreement",
            "extendedKeyUsage=serverAuth",
            "subjectAltName=" + san])

    def client(self, cn):
        """A client certificate whose CN is cn (the broker's user name)."""
        return self.issue("client-" + cn, cn, [
            "basicConstraints=CA:FALSE",
            "keyUsage=critical,digitalSignature,keyAgreement",
            "extendedKeyUsage=clientAuth"])


# -- the broker -------------------------------------------------------------
def _listening(port, pid):
    """True when process pid has a socket listening on 127.0.0.1:port
    (TCP, IPv4)."""
    want = "0100007F:%04X" % port
    inodes = set()
    with open("/proc/net/tcp") as fp:
        next(fp)
        for line in fp:
            f = line.split()
            if f[1] == want and f[3] == "0A":
                inodes.add("socket:[%s]" % f[9])
    if not inodes:
        return False
    fds = "/proc/%d/fd" % pid
    try:
        for fd in os.listdir(fds):
            try:
                if os.readlink(os.path.join(fds, fd)) in inodes:
                    return True
            except OSError:
                continue
    except OSError:
        return False
    return False


class Broker(Process):
    """One mosquitto on 127.0.0.1:port with its own dir, config, log and
    persistence file. tls: a CA makes the server's certificate, clients
    must show one of its certificates, and a certificate's CN is the
    client's user name; server_san names the server's certificate's
    names (another name than 127.0.0.1 makes a certificate a client must
    refuse). acl: the text of an acl_file. passwords: {user: password}
    that a plain broker asks its clients for (none: anonymous). Its log
    and liveness are a test process's (conftest.Process)."""

    def __init__(self, workdir, tls=False, acl=None,
                 server_san="IP:127.0.0.1,DNS:localhost", passwords=None):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.tls = tls
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        self.logfile = os.path.join(self.dir, "mosquitto.log")
        self.data = os.path.join(self.dir, "data") + "/"
        os.makedirs(self.data, exist_ok=True)
        self.proc = None
        self.returncode = None
        self._log_fp = None
        self.ca = CA(os.path.join(self.dir, "ca")) if tls else None
        lines = ["listener %d 127.0.0.1" % self.port,
                 # the tmp dir is the test's: keep our own user's rights
                 "user %s" % getpass.getuser(),
                 "persistence true",
                 "persistence_location %s" % self.data,
                 "persistence_file mosquitto.db",
                 "log_dest stderr",
                 "log_type all",
                 "connection_messages true",
                 "log_timestamp_format %H:%M:%S",
                 # a cloud that is away must not lose what waits for it
                 "max_queued_messages 100000"]
        if tls:
            cert, key = self.ca.server(san=server_san)
            lines += ["cafile %s" % self.ca.cert, "certfile %s" % cert,
                      "keyfile %s" % key, "require_certificate true",
                      "use_identity_as_username true",
                      "allow_anonymous false"]
        elif passwords:
            path = os.path.join(self.dir, "passwd")
            open(path, "w").close()
            for user, password in passwords.items():
                r = subprocess.run([MOSQUITTO_PASSWD, "-b", path, user,
                                    password], capture_output=True,
                                   text=True, timeout=30)
                assert r.returncode == 0, r.stderr
            lines += ["password_file %s" % path, "allow_anonymous false"]
        else:
            lines.append("allow_anonymous true")
        if acl is not None:
            path = os.path.join(self.dir, "acl")
            with open(path, "w") as fp:
                fp.write(acl)
            lines.append("acl_file %s" % path)
        self.lines = lines[1:]
        self._write_conf()

    def _write_conf(self):
        with open(self.conf, "w") as fp:
            fp.write("\n".join(["listener %d 127.0.0.1" % self.port] +
                               self.lines) + "\n")

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("mqtts" if self.tls else "mqtt",
                                      self.port)

    def client_cert(self, cn):
        """(cert, key) of a client certificate for cn from the broker's
        CA."""
        return self.ca.client(cn)

    def start(self, timeout=START_TIMEOUT):
        """Starts the broker (again, on the same port) and waits until it
        listens. A first start that finds its port taken by another
        process since free_port() is retried on a fresh one."""
        assert not self.alive()
        first = self.proc is None
        for attempt in range(3):
            mark = self.log_mark()
            self._log_fp = open(self.logfile, "ab")
            self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf],
                                         cwd=self.dir,
                                         stdin=subprocess.DEVNULL,
                                         stdout=self._log_fp,
                                         stderr=self._log_fp)
            self.returncode = None

            def up():
                if self.proc.poll() is not None:
                    return "exited"
                return _listening(self.port, self.proc.pid)
            if wait_for(up, timeout, what="mosquitto to listen on %d" %
                        self.port) is True:
                return self
            self._reaped()
            why = self.log()[mark:]
            if not first or "Address already in use" not in why or \
                    attempt == 2:
                raise AssertionError("mosquitto exited with %d:\n%s" % (
                    self.returncode, why[-4000:]))
            self.port = free_port()
            self._write_conf()
        raise AssertionError("unreachable")

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM: the broker saves its sessions and retained messages and
        exits; returns its status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("mosquitto did not stop on SIGTERM")
        return self._reaped()

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        return self._reaped()

    def cleanup(self):
        """Kills the broker if it runs; a complaint when it had died by
        itself, else None."""
        if self.proc is None:
            return None
        died = None
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        elif self.returncode is None:
            died = "mosquitto died by itself with status %d:\n%s" % (
                self.proc.returncode, self.log()[-4000:])
        self._reaped()
        return died

    def wait_log(self, text, since=0, timeout=10.0):
        """Waits until text appears in the broker's log after since."""
        try:
            return wait_for(lambda: text in self.log()[since:], timeout,
                            what="broker log %r" % text)
        except AssertionError:
            raise AssertionError("broker log %r did not appear:\n%s" % (
                text, self.log()[since:][-4000:]))


# -- the cloud's client -----------------------------------------------------
class Message:
    """One message the cloud received."""

    def __init__(self, msg):
        self.topic = msg.topic
        self.payload = bytes(msg.payload)
        self.retain = bool(msg.retain)
        self.qos = msg.qos
        self.props = getattr(msg, "properties", None)

    def json(self):
        return json.loads(self.payload)

    def __repr__(self):
        return "Message(%r, %r%s)" % (self.topic, self.payload[:300],
                                      ", retained" if self.retain else "")


class Answer:
    """A gateway's answer to a request: status, headers (names lower
    case, as Gateway.http gives them), body (bytes, from body or
    body_base64), the raw JSON and the Message it came in."""

    def __init__(self, message):
        self.message = message
        self.raw = message.json()
        self.status = self.raw.get("status")
        self.headers = {k.lower(): v for k, v in
                        (self.raw.get("headers") or {}).items()}
        if "body_base64" in self.raw:
            self.body = base64.b64decode(self.raw["body_base64"],
                                         validate=True)
        else:
            self.body = (self.raw.get("body") or "").encode()

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Answer(%r on %r)" % (self.raw, self.message.topic)


class Cloud:
    """A paho client of broker subscribed at QoS 1 to everything under
    prefix/gw_id/ and to its own reply topics, in a persistent session
    under client_id: it collects every message, in order of arrival, and
    sends requests. protocol: 5 or 311. cert: (cert, key) for a TLS
    broker. reply_base: where MQTT 5 answers are asked to go (default
    reply/CLIENT_ID; a request on NAME names reply_base/NAME). topics: the
    subscriptions (default P/G/# and reply_base/#; none with
    subscribe=False). insecure: a TLS broker's name is not checked.
    login: (user, password)."""

    def __init__(self, broker, gw_id, prefix="outpost", protocol=5,
                 client_id=None, cert=None, reply_base=None, ca=None,
                 subscribe=True, topics=None, insecure=False, login=None):
        self.broker = broker
        self.base = "%s/%s" % (prefix, gw_id)
        self.v5 = protocol == 5
        self.client_id = client_id or "cloud-" + uuid.uuid4().hex[:8]
        self.reply_base = reply_base or "reply/" + self.client_id
        self.cond = threading.Condition()
        self.messages = []
        self.connects = 0
        self.connected = False
        self.subscribed = 0
        self.refused = []
        self.want_subscribe = subscribe
        self.topics = topics or [self.base + "/#", self.reply_base + "/#"]
        if self.v5:
            c = paho.Client(self.client_id, protocol=paho.MQTTv5)
        else:
            c = paho.Client(self.client_id, clean_session=False,
                            protocol=paho.MQTTv311)
        if broker.tls:
            certfile, keyfile = cert or broker.client_cert(self.client_id)
            c.tls_set(ca_certs=ca or broker.ca.cert, certfile=certfile,
                      keyfile=keyfile)
            c.tls_insecure_set(insecure)
        if login is not None:
            c.username_pw_set(*login)
        c.reconnect_delay_set(0.1, 0.5)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        self.client = c
        self._connect()
        c.loop_start()
        wait_for(lambda: self.connected and
                 (self.subscribed or not subscribe), 10,
                 what="the cloud client to connect and subscribe")
        assert not self.refused, "subscriptions refused: %r" % self.refused

    def _connect(self):
        if self.v5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
            self.client.connect("127.0.0.1", self.broker.port, keepalive=30,
                                clean_start=False, properties=props)
        else:
            self.client.connect("127.0.0.1", self.broker.port, keepalive=30)

    # paho's callbacks run on its thread
    def _on_connect(self, client, userdata, flags, rc, properties=None):
        if rc != 0:
            return
        with self.cond:
            self.connects += 1
            self.connected = True
            self.cond.notify_all()
        if not self.want_subscribe:
            return
        if self.v5:
            client.subscribe([(t, SubscribeOptions(qos=1))
                              for t in self.topics])
        else:
            client.subscribe([(t, 1) for t in self.topics])

    def _on_disconnect(self, client, userdata, rc, properties=None):
        with self.cond:
            self.connected = False
            self.cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, granted, properties=None):
        codes = [getattr(g, "value", g) for g in granted]
        with self.cond:
            if any(c != 1 for c in codes):
                self.refused.append(codes)
            self.subscribed += 1
            self.cond.notify_all()

    def _on_message(self, client, userdata, msg):
        with self.cond:
            self.messages.append(Message(msg))
            self.cond.notify_all()

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()

    def wait_connected(self, since, timeout=10.0):
        """Waits until paho has connected again after its since-th
        connection (self.connects before a broker restart) and has its
        subscriptions back."""
        def back():
            with self.cond:
                return self.connected and self.connects > since and (
                    self.subscribed >= self.connects or
                    not self.want_subscribe)
        wait_for(back, timeout, what="the cloud client to reconnect")
        assert not self.refused, "subscriptions refused: %r" % self.refused

    # -- what came ----------------------------------------------------------
    def received(self, topic=None, prefix=None):
        """The messages received, in order; those on topic, or under
        prefix, when given."""
        with self.cond:
            return [m for m in self.messages
                    if (topic is None or m.topic == topic) and
                    (prefix is None or m.topic.startswith(prefix))]

    def wait(self, predicate, timeout=10.0, what="messages"):
        """Waits until predicate(self) is true; returns its value."""
        return wait_for(lambda: predicate(self), timeout, what=what)

    def statuses(self):
        """The payloads published on P/G/status, in order, with their
        retain flags: [(json, retained)]."""
        return [(m.json(), m.retain) for m in
                self.received(self.base + "/status")]

    def wait_status(self, state, since=0, timeout=10.0):
        """Waits for a status message of state (the since-th or later);
        returns its payload."""
        def found():
            for payload, _ in self.statuses()[since:]:
                if payload.get("state") == state:
                    return payload
            return None
        return wait_for(found, timeout, what="status %s on %s/status" % (
            state, self.base))

    def event_messages(self):
        return self.received(prefix=self.base + "/events/")

    def events(self, type=None, ep=None):
        """The events' payloads in order of arrival, each seq once (the
        first time it came), of type and ep when given."""
        seen, out = set(), []
        for m in self.event_messages():
            e = m.json()
            if e["seq"] in seen:
                continue
            seen.add(e["seq"])
            if type is not None and e.get("type") != type:
                continue
            if ep is not None and e.get("ep") != ep:
                continue
            out.append(e)
        return out

    def wait_events(self, n, type=None, ep=None, timeout=10.0):
        """Waits until n events (of type, of ep) have come; returns
        them."""
        return wait_for(lambda: (lambda e: e if len(e) >= n else None)(
            self.events(type, ep)), timeout,
            what="%d %s events%s" % (n, type or "", " of " + ep if ep
                                      else ""))

    # -- requests -----------------------------------------------------------
    def publish(self, topic, payload, props=None, retain=False,
                timeout=10.0):
        """Publishes payload on topic at QoS 1 and waits for the PUBACK."""
        info = self.client.publish(topic, payload, qos=1, retain=retain,
                                   properties=props)
        info.wait_for_publish(timeout)
        assert info.is_published(), "no PUBACK for %s" % topic

    def send(self, name, envelope, response_topic=True, answer=True,
             timeout=15.0, correlation=None):
        """Publishes envelope (a dict, or raw bytes) on P/G/req/NAME. MQTT
        5 with response_topic names reply_base/NAME and Correlation Data.
        With answer, waits for the answer whose id is the envelope's (and
        whose Correlation Data is the request's) and returns it as an
        Answer; else returns the correlation data."""
        payload = envelope if isinstance(envelope, bytes) else \
            json.dumps(envelope).encode()
        rid = envelope.get("id") if isinstance(envelope, dict) else None
        props, reply_to = None, self.base + "/res/" + name
        if self.v5 and response_topic:
            correlation = correlation or os.urandom(8)
            reply_to = "%s/%s" % (self.reply_base, name)
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = reply_to
            props.CorrelationData = correlation
        with self.cond:
            mark = len(self.messages)
        self.publish(self.base + "/req/" + name, payload, props)
        if not answer:
            return correlation

        def found():
            for m in self.received()[mark:]:
                if m.topic != reply_to:
                    continue
                try:
                    got = m.json()
                except ValueError:
                    continue
                if not isinstance(got, dict) or got.get("id") != rid:
                    continue
                return m
            return None
        m = wait_for(found, timeout, what="the answer to %r on %s" % (
            rid, reply_to))
        if props is not None:
            got = getattr(m.props, "CorrelationData", None)
            assert got == correlation, (
                "answer %r came with Correlation Data %r, not %r" % (
                    m, got, correlation))
        return Answer(m)

    def request(self, name, method, path, body=None, headers=None,
                query=None, body_base64=None, rid=None, **kw):
        """Sends the request envelope of method and path on NAME and
        returns the Answer (kw: send's)."""
        env = {"id": rid or uuid.uuid4().hex[:12], "method": method,
               "path": path}
        if query is not None:
            env["query"] = query
        if headers is not None:
            env["headers"] = headers
        if body is not None:
            env["body"] = body
        if body_base64 is not None:
            env["body_base64"] = base64.b64encode(body_base64).decode()
        return self.send(name, env, **kw)

    def answers_to(self, rid):
        """Every message received whose JSON has id rid."""
        out = []
        for m in self.received():
            try:
                got = m.json()
            except ValueError:
                continue
            if isinstance(got, dict) and got.get("id") == rid:
                out.append(m)
        return out


class MqttFactory:
    """Makes brokers and cloud clients for one test; at the end closes the
    clients and stops the brokers, failing the test if a broker died by
    itself."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.brokers = []
        self.clouds = []

    def broker(self, start=True, **kw):
        b = Broker(self.tmp_path / ("broker%d" % len(self.brokers)), **kw)
        self.brokers.append(b)
        return b.start() if start else b

    def cloud(self, broker, gw_id, **kw):
        c = Cloud(broker, gw_id, **kw)
        self.clouds.append(c)
        return c

    def cleanup(self):
        for c in self.clouds:
            try:
                c.close()
            except Exception:       # a client of a dead broker
                pass
        complaints = [c for c in (b.cleanup() for b in self.brokers) if c]
        assert not complaints, "\n".join(complaints)


def wait_seconds(seconds, predicate=None, interval=0.05):
    """A required duration (a broker outage of so many seconds): returns
    when it has passed, failing early when predicate, if given, turns
    false on the way."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate is not None:
            assert predicate(), "condition broken during a %ds wait" % \
                seconds
        time.sleep(min(interval, max(0, deadline - time.monotonic())))
