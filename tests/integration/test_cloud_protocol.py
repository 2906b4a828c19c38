"""
The cloud link against brokers that are not mosquitto 2: one that speaks
only MQTT 3.1.1 (it answers an MQTT 5 CONNECT with a 3.1.1 CONNACK that
refuses the protocol version, as 3.1.1 brokers do), and one that accepts
the connection and then never answers (the keep-alive must end it). The
broker here is a scripted one on a loopback socket, written from the MQTT
3.1.1 and 5 specifications: it records every packet it gets.
"""
import socket
import threading

from conftest import free_port, wait_for


def read_varint(sock):
    n, mult = 0, 1
    for _ in range(4):
        b = sock.recv(1)
        if not b:
            raise EOFError
        n += (b[0] & 0x7f) * mult
        if not b[0] & 0x80:
            return n
        mult *= 128
    raise ValueError("bad remaining length")


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class ScriptedBroker:
    """Accepts connections on 127.0.0.1; answers CONNECT by the protocol
    level: 5 refused with a 3.1.1 CONNACK (return code 1) when v5 is
    False, accepted otherwise; PUBLISH at QoS 1 acknowledged. Each packet
    is kept as (connection number, packet type, level or topic, payload).
    With silent, it accepts the connection and answers nothing."""

    def __init__(self, v5=False, silent=False):
        self.v5 = v5
        self.silent = silent
        self.packets = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.port = free_port()
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        self.conns = []
        self.running = True
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def record(self, *what):
        with self.lock:
            self.packets.append(what)

    def seen(self, kind):
        with self.lock:
            return [p for p in self.packets if p[1] == kind]

    def accept(self):
        n = 0
        while self.running:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            n += 1
            self.conns.append(c)
            threading.Thread(target=self.serve, args=(c, n),
                             daemon=True).start()

    def serve(self, c, n):
        level = 4
        try:
            while True:
                head = read_exact(c, 1)[0]
                body = read_exact(c, read_varint(c))
                kind = head >> 4
                if kind == 1:                       # CONNECT
                    nlen = int.from_bytes(body[0:2], "big")
                    level = body[2 + nlen]
                    self.record(n, "connect", level, body)
                    if self.silent:
                        continue
                    if level == 5 and not self.v5:
                        c.sendall(bytes([0x20, 0x02, 0x00, 0x01]))
                        c.close()
                        return
                    if level == 5:
                        c.sendall(bytes([0x20, 0x03, 0x00, 0x00, 0x00]))
                    else:
                        c.sendall(bytes([0x20, 0x02, 0x00, 0x00]))
                elif kind == 3:                     # PUBLISH
                    qos = (head >> 1) & 3
                    tlen = int.from_bytes(body[0:2], "big")
                    topic = body[2:2 + tlen].decode()
                    rest = body[2 + tlen:]
                    mid = rest[0:2] if qos else b""
                    rest = rest[2:] if qos else rest
                    if level == 5:
                        plen = rest[0]              # short properties only
                        rest = rest[1 + plen:]
                    self.record(n, "publish", topic, rest)
                    if qos == 1 and not self.silent:
                        c.sendall(bytes([0x40, 0x02]) + mid)
                elif kind == 8:                     # SUBSCRIBE
                    self.record(n, "subscribe", None, body)
                    ack = bytes([0x90, 0x03]) + body[0:2] + b"\x01"
                    if level == 5:
                        ack = bytes([0x90, 0x04]) + body[0:2] + b"\x00\x01"
                    c.sendall(ack)
                elif kind == 12:                    # PINGREQ
                    self.record(n, "ping", None, b"")
                    if not self.silent:
                        c.sendall(bytes([0xd0, 0x00]))
                elif kind == 14:                    # DISCONNECT
                    self.record(n, "disconnect", None, body)
                    c.close()
                    return
        except (EOFError, OSError):
            return

    def close(self):
        self.running = False
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def test_falls_back_to_3_1_1(gateway_factory):
    """protocol = auto: an MQTT 5 CONNECT refused for its version is
    followed by a 3.1.1 one, which the gateway keeps; it then publishes
    its status and subscribes to its request topic."""
    broker = ScriptedBroker(v5=False)
    try:
        gw = gateway_factory(gateway={"id": "fb1"}, cloud={
            "broker": "mqtt://127.0.0.1:%d" % broker.port,
            "requests": "view:read"})
        wait_for(lambda: broker.seen("subscribe"), timeout=15,
                 what="a subscription after the fallback")
        levels = [p[2] for p in broker.seen("connect")]
        assert levels[0] == 5 and levels[-1] == 4, levels
        status = [p for p in broker.seen("publish")
                  if p[2] == "outpost/fb1/status"]
        assert status and b'"state":"online"' in status[0][3]
        gw.wait_log("refuses MQTT 5; speaking 3.1.1")
        m = gw.metrics()
        assert m.get("outpost_cloud_connected") == 1, m
    finally:
        broker.close()


def test_protocol_5_is_not_downgraded(gateway_factory):
    """protocol = 5: a broker that refuses MQTT 5 is not spoken to in
    3.1.1; the gateway keeps trying MQTT 5, and says why it fails."""
    broker = ScriptedBroker(v5=False)
    try:
        gw = gateway_factory(gateway={"id": "fb2"}, cloud={
            "broker": "mqtt://127.0.0.1:%d" % broker.port,
            "protocol": "5", "retry_max": "1"})
        wait_for(lambda: len(broker.seen("connect")) >= 2, timeout=15,
                 what="a second attempt")
        assert {p[2] for p in broker.seen("connect")} == {5}
        gw.wait_log("the broker refused the connection")
    finally:
        broker.close()


def test_silent_broker_ends_by_keepalive(gateway_factory):
    """A broker that takes the TCP connection and never answers: the
    attempt ends when the keep-alive passes, and another is made."""
    broker = ScriptedBroker(silent=True)
    try:
        gateway_factory(gateway={"id": "fb3"}, cloud={
            "broker": "mqtt://127.0.0.1:%d" % broker.port,
            "keepalive": "5", "retry_max": "1"})
        wait_for(lambda: len(broker.seen("connect")) >= 2, timeout=30,
                 what="a new attempt after the keep-alive")
    finally:
        broker.close()
