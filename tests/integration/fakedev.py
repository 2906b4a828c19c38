"""
A scripted CoAP device for proxy tests: it registers with the gateway from
its own UDP socket and answers what the gateway sends on that socket from a
table of canned answers, recording every request it saw. Where outpost-node
shows that a real agent works, this one lets a test choose exactly what a
device says (an error, a Max-Age, no answer at all).
"""
import socket
import threading

from conftest import (CONTENT_FORMAT, URI_PATH, URI_QUERY, coap_datagrams,
                      coap_exchange, coap_message, coap_request_key)

LOCATION_PATH, OBSERVE, MAX_AGE, ACCEPT = 8, 6, 14, 17
BLOCK2, BLOCK1, SIZE2 = 23, 27, 28
BLOCK_SZX = 6                       # 1024-byte blocks


def block_value(num, more, szx=BLOCK_SZX):
    v = num << 4 | (8 if more else 0) | szx
    return v.to_bytes(3, "big").lstrip(b"\0")


def block_parse(value):
    v = int.from_bytes(value, "big") if value else 0
    return v >> 4, bool(v & 8), v & 7
CODES = {"2.31": 0x5F, "2.01": 0x41, "2.02": 0x42, "2.04": 0x44, "2.05": 0x45,
         "4.00": 0x80, "4.04": 0x84, "4.05": 0x85, "4.06": 0x86,
         "4.15": 0x8F, "5.00": 0xA0, "5.03": 0xA3}


class FakeDevice:
    """answers: {"GET 3/0/0": ("2.05", b"body", cf or None, max_age or
    None[, delay_seconds or None[, [(option, value), ...]]])}; a path
    mapped to None is never answered. The key of a request to the root
    (a Read-Composite's FETCH) is "FETCH " with an empty path. Unlisted
    requests get 4.04. events records ("seen", key) and ("answered", key)
    in order, and ("sent", key) once an answer is on its way. A FETCH with
    Observe 0 (an Observe-Composite) is kept in composites by its payload
    (the SenML names) and notified with notify_composite; one with Observe
    1 cancels it. links is the registration's link-format body. formats,
    when given, are the Content-Formats the device speaks, as a standard
    client has a fixed set: a request whose Accept is another gets 4.06,
    one whose body is in another 4.15, before the table is looked at."""

    def __init__(self, gw, ep, answers=None, lt=300, b="U", first_seq=1,
                 links=b"</3/0>", formats=None):
        self.gw, self.ep = gw, ep
        self.answers = answers or {}
        self.formats = formats
        self.seen = []
        self.events = []
        self.replies = []
        self.empty = []         # empty messages received: ACK, RST
        self.observers = {}     # path -> (token, addr) of Observe=0
        self.composites = {}    # FETCH payload -> (token, addr), the same
        self.partial = b""
        self.first_seq = first_seq      # Observe of a first answer
        self.mid = 0x2000
        self.lt, self.b = lt, b
        self.cond = threading.Condition()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        reg = coap_exchange(self.sock, coap_message(
            0, 0x02, 0x0101, b"\x01", self._register_options(),
            links), ("127.0.0.1", gw.coap_port))
        assert reg["code"] == "2.01", reg
        self.location = reg["location"]
        self.running = True
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _format_refusal(self, m):
        """4.06 or 4.15 for a format the device lacks, as Wakaama, Zephyr
        and Anjay answer; None when it speaks them (or has no list)."""
        if self.formats is None:
            return None
        for number, code in ((ACCEPT, "4.06"), (CONTENT_FORMAT, "4.15")):
            for n, v in m["options"]:
                if n == number and int.from_bytes(v, "big") not in \
                        self.formats:
                    return (code, b"", None, None)
        return None

    def _register_options(self):
        return [(URI_PATH, b"rd"), (URI_QUERY, b"ep=" + self.ep.encode()),
                (URI_QUERY, b"lt=%d" % self.lt),
                (URI_QUERY, b"b=" + self.b.encode())]

    def _serve(self):
        for m, addr in coap_datagrams(self.sock, lambda: self.running):
            if not m["code"].startswith("0."):
                with self.cond:         # the answer to update()
                    self.replies.append(m)
                    self.cond.notify_all()
                continue
            if m["code"] == "0.00":
                with self.cond:         # an empty ACK or RST
                    self.empty.append(m)
                    self.cond.notify_all()
                continue
            key = coap_request_key(m)
            method, path = key.split(" ", 1)
            block1 = [v for n, v in m["options"] if n == BLOCK1]
            if block1:
                # A block-wise body: keep it, answer 2.31 until the last.
                num, more, szx = block_parse(block1[0])
                self.partial = (self.partial if num > 0 else b"") + \
                    m["payload"]
                if more:
                    self.sock.sendto(coap_message(
                        2, CODES["2.31"], m["mid"], m["token"],
                        [(BLOCK1, block_value(num, True, szx))]), addr)
                    continue
                m["payload"] = self.partial
                m["block1"] = block_value(num, False, szx)
            obs = [v for n, v in m["options"] if n == OBSERVE]
            with self.cond:
                held = self.observers
                at = path
                if method == "FETCH":
                    held, at = self.composites, m["payload"]
                if obs and int.from_bytes(obs[0], "big") == 0:
                    held[at] = (m["token"], addr)
                elif obs:
                    held.pop(at, None)
                self.seen.append((key, m))
                self.events.append(("seen", key))
                self.cond.notify_all()
            answer = self._format_refusal(m) or \
                self.answers.get(key, ("4.04", b"", None, None))
            if answer is None:
                continue        # the device stays silent
            if len(answer) > 4 and answer[4] is not None:
                threading.Timer(answer[4], self._answer,
                                (key, m, addr, answer)).start()
            else:
                self._answer(key, m, addr, answer)

    def _answer(self, key, m, addr, answer):
        if not self.running:
            return
        code, body, cf, max_age = answer[:4]
        more, extra = False, list(answer[5]) if len(answer) > 5 else []
        if len(body) > 1024:
            # Block2: the block the request asks for (0 by default).
            num = [block_parse(v)[0] for n, v in m["options"]
                   if n == BLOCK2] or [0]
            num = num[0]
            more = len(body) > (num + 1) * 1024
            extra += [(BLOCK2, block_value(num, more))]
            if num == 0:
                extra.append((SIZE2, len(body).to_bytes(4, "big").lstrip(
                    b"\0")))
            body = body[num * 1024:(num + 1) * 1024]
        if "block1" in m:
            extra.append((BLOCK1, m["block1"]))
        obs = [v for n, v in m["options"] if n == OBSERVE]
        if obs and int.from_bytes(obs[0], "big") == 0:
            extra.append((OBSERVE, self.first_seq.to_bytes(
                3, "big").lstrip(b"\0")))
        opts = []
        if cf is not None:
            opts.append((CONTENT_FORMAT,
                         cf.to_bytes(2, "big").lstrip(b"\0")))
        if max_age is not None:
            opts.append((MAX_AGE, max_age.to_bytes(4, "big").lstrip(
                b"\0")))
        opts = sorted(opts + extra, key=lambda o: o[0])
        mtype = 2 if m["type"] == 0 else 1      # ACK to CON, NON else
        with self.cond:
            self.events.append(("answered", key))
        self.sock.sendto(coap_message(mtype, CODES[code], m["mid"],
                                      m["token"], opts, body), addr)
        # "sent" once on its way: what the test sends after seeing it goes
        # after the answer.
        with self.cond:
            self.events.append(("sent", key))
            self.cond.notify_all()

    def notify(self, path, body, seq, cf=0):
        """Sends a NON notification of path to its observer."""
        token, addr = self.observers[path]
        self.mid += 1
        opts = [(OBSERVE, seq.to_bytes(3, "big").lstrip(b"\0") or b""),
                (CONTENT_FORMAT, cf.to_bytes(2, "big").lstrip(b"\0"))]
        self.sock.sendto(coap_message(1, CODES["2.05"], self.mid, token,
                                      opts, body), addr)

    def notify_composite(self, body, seq, cf=110, names=None):
        """Sends a NON notification of the composite observation whose
        FETCH named names (the SenML payload), or of the only one."""
        with self.cond:
            if names is None:
                assert len(self.composites) == 1, self.composites
                names = next(iter(self.composites))
            token, addr = self.composites[names]
        self.mid += 1
        opts = [(OBSERVE, seq.to_bytes(3, "big").lstrip(b"\0") or b""),
                (CONTENT_FORMAT, cf.to_bytes(2, "big").lstrip(b"\0"))]
        self.sock.sendto(coap_message(1, CODES["2.05"], self.mid, token,
                                      opts, body), addr)

    def _request(self, opts, payload=b"", timeout=5.0):
        """A CON POST to the gateway from the device's socket; returns the
        parsed answer (the serving thread hands it over)."""
        self.mid += 1
        token = self.mid.to_bytes(2, "big")
        with self.cond:
            self.sock.sendto(coap_message(0, 0x02, self.mid, token, opts,
                                          payload),
                             ("127.0.0.1", self.gw.coap_port))
            assert self.cond.wait_for(lambda: any(
                r["token"] == token for r in self.replies), timeout)
            return [r for r in self.replies if r["token"] == token][0]

    def update(self, query=(), timeout=5.0):
        """Sends a registration update (POST /rd/<id>) from the device's
        socket, as a device waking up does; returns the parsed answer."""
        return self._request(
            [(URI_PATH, p.encode()) for p in self.location] +
            [(URI_QUERY, q.encode()) for q in query], timeout=timeout)

    def register(self, timeout=5.0):
        """Registers again from the same socket, as a client that rebooted
        and kept its port does: it forgets its observations."""
        with self.cond:
            self.observers.clear()
            self.composites.clear()
        reg = self._request(self._register_options(), b"</3/0>", timeout)
        if reg["code"] == "2.01":
            self.location = reg["location"]
        return reg

    def rsts(self):
        """The RSTs the device received (message type 3)."""
        with self.cond:
            return [m for m in self.empty if m["type"] == 3]

    def wait_answered(self, key, n=1, timeout=5.0):
        """Waits until the device has sent its answer to key n times."""
        with self.cond:
            assert self.cond.wait_for(lambda: self.events.count(
                ("sent", key)) >= n, timeout), self.events

    def requests(self, key=None):
        """The keys of the requests seen (of key only, when given), a
        retransmission (the same message id again: the gateway's ACK
        timeout ran out before a delayed answer) counted once."""
        with self.cond:
            mids = {}
            for k, m in self.seen:
                if key is None or k == key:
                    mids.setdefault(m["mid"], k)
            return list(mids.values())

    def wait_seen(self, n, timeout=5.0):
        """Waits until n requests have been seen; returns them."""
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.seen) >= n, timeout), \
                self.seen
            return list(self.seen)

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def check_hung_up_request_dropped(gw, devices, connect):
    """A PUT sent on connect() waits behind a GET on the wire, and its
    client closes the connection: the device must never see the PUT.
    gw runs with [proxy] collapse = 0."""
    dev = devices(gw, "px-hang", answers={
        "GET 1/0": ("2.05", b"slow", 0, None, 2.0),
        "PUT 1/0/1": ("2.04", b"", None, None)})
    first = []
    t = threading.Thread(target=lambda: first.append(
        gw.http("GET", "/v1/devices/px-hang/r/1/0", timeout=30)[::2]))
    t.start()
    dev.wait_seen(1)                    # on the wire: the PUT must wait
    with connect() as c:
        c.sendall(b"PUT /v1/devices/px-hang/r/1/0/1 HTTP/1.1\r\n"
                  b"Host: x\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: 3\r\n\r\n120")
        # The reactor accepts connections in order and reads a connection
        # in the turn after accepting it: once a later connection has been
        # answered, the PUT has been read and waits for the device.
        assert gw.http("GET", "/v1/health")[0] == 200
    # The third comes after the PUT in the device's line: when it is
    # answered, the PUT has gone or been dropped.
    assert gw.http("GET", "/v1/devices/px-hang/r/1/0", timeout=30)[::2] == \
        (200, b"slow")
    t.join(30)
    assert first == [(200, b"slow")]
    assert dev.requests() == ["GET 1/0", "GET 1/0"], dev.seen
    # Counted as nginx counts a client that closed its request.
    assert {k: v for k, v in gw.metrics().items() if "499" in k} == {
        'outpost_http_requests_total{route="/v1/devices/{ep}/r/{path...}",'
        'status="499"}': 1}
