"""
A scripted LwM2M bootstrap server for the agent's bootstrap tests: plain
CoAP on loopback, one thread. It answers POST /bs?ep=.. with 2.04, then
sends the steps of its script to the client's address one by one (each a
confirmable request, retransmitted until answered) and records every
answer. The default script is the exchange the gateway's bootstrap server
makes (doc: the bootstrap contract): Discover, Delete /0 and /1, Write of a
DM account with a PSK it generated (32 random bytes, identity = the
endpoint name), Finish. Before Finish it calls on_account(ep, identity,
key), where a test provisions that key in the gateway as an operator would.
"""
import os
import socket
import struct
import threading
import time

from conftest import CONTENT_FORMAT, URI_PATH, URI_QUERY, coap_datagrams, \
    coap_message, coap_parse

ACCEPT = 17
CF_LINKS, CF_TLV, CF_SENML_CBOR = 40, 11542, 112
METHODS = {"GET": 1, "POST": 2, "PUT": 3, "DELETE": 4}


def tlv(kind, ident, value):
    """One TLV (LwM2M Core Appendix C): kind 0 object instance, 3 resource
    with a value."""
    t = kind << 6
    idb = bytes([ident])
    if ident > 255:
        t |= 0x20
        idb = ident.to_bytes(2, "big")
    n = len(value)
    if n < 8:
        t |= n
        lb = b""
    elif n < 256:
        t |= 0x08
        lb = bytes([n])
    elif n < 65536:
        t |= 0x10
        lb = n.to_bytes(2, "big")
    else:
        t |= 0x18
        lb = n.to_bytes(3, "big")
    return bytes([t]) + idb + lb + value


def tlv_value(v):
    if isinstance(v, bool):
        return bytes([1 if v else 0])
    if isinstance(v, int):
        for size, fmt in ((1, ">b"), (2, ">h"), (4, ">i"), (8, ">q")):
            try:
                return struct.pack(fmt, v)
            except struct.error:
                continue
    if isinstance(v, str):
        return v.encode()
    return bytes(v)


def tlv_instance(resources, iid=None):
    """{rid: value} as resource TLVs, wrapped in an object-instance TLV
    when iid is given."""
    body = b"".join(tlv(3, rid, tlv_value(v))
                    for rid, v in sorted(resources.items()))
    return tlv(0, iid, body) if iid is not None else body


def dm_security(uri, identity, key, ssid=101):
    return {0: uri, 1: False, 2: 0, 3: identity, 4: b"", 5: key, 10: ssid}


def dm_server(ssid=101, lifetime=300, binding="U", retry_count=None):
    res = {0: ssid, 1: lifetime, 6: False, 7: binding}
    if retry_count is not None:
        res[17] = retry_count
    return res


def path_options(path):
    return [(URI_PATH, seg.encode()) for seg in path.strip("/").split("/")
            if seg]


class BootstrapServer:
    """script(server, ep) -> [(method, path, payload, content_format,
    accept)], or the default; dm_uri is the DM server the default script
    writes."""

    def __init__(self, dm_uri, script=None, on_account=None, retry_count=None):
        self.dm_uri = dm_uri
        self.script = script or self.default_script
        self.on_account = on_account
        self.retry_count = retry_count
        self.requests = []      # (ep, query list) of each POST /bs
        self.answers = {}       # ep -> [(method, path, code, payload)]
        self.finished = {}      # ep -> Finish answers seen
        self.accounts = {}      # ep -> (identity, key) written last
        self.cond = threading.Condition()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.uri = "coap://127.0.0.1:%d" % self.port
        self.mid = 0x5000
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    # -- the default exchange ------------------------------------------
    def default_script(self, ep):
        identity, key = ep.encode(), os.urandom(32)
        with self.cond:
            self.accounts[ep] = (identity, key)
        return [("GET", "/", None, None, CF_LINKS),
                ("DELETE", "/0", None, None, None),
                ("DELETE", "/1", None, None, None),
                ("PUT", "/0/1", tlv_instance(dm_security(
                    self.dm_uri, identity, key)), CF_TLV, None),
                ("PUT", "/1/0", tlv_instance(dm_server(
                    retry_count=self.retry_count), 0), CF_TLV, None),
                "account",
                ("POST", "/bs", None, None, None)]

    # -- what tests wait for -------------------------------------------
    def wait_finished(self, ep, count=1, timeout=15.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.finished.get(ep, [])) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "bootstrap of %s not finished %d times; answers: %r"
                        % (ep, count, self.answers.get(ep)))
                self.cond.wait(left)
            return self.finished[ep][count - 1]

    def request_count(self, ep):
        with self.cond:
            return sum(1 for e, _ in self.requests if e == ep)

    def answer(self, ep, method, path, nth=-1):
        with self.cond:
            got = [a for a in self.answers.get(ep, [])
                   if a[0] == method and a[1] == path]
        return got[nth] if got else None

    def close(self):
        self.running = False
        self.thread.join(5)
        self.sock.close()

    # -- the thread ------------------------------------------------------
    def _serve(self):
        for msg, addr in coap_datagrams(self.sock, lambda: self.running):
            if msg["code"] != "0.02":
                continue
            path = [v.decode() for n, v in msg["options"] if n == URI_PATH]
            query = [v.decode() for n, v in msg["options"] if n == URI_QUERY]
            if path != ["bs"]:
                continue
            ep = next((q[3:] for q in query if q.startswith("ep=")), None)
            self.sock.sendto(coap_message(2, 0x44, msg["mid"], msg["token"]),
                             addr)
            with self.cond:
                self.requests.append((ep, query))
                self.cond.notify_all()
            self._run(ep, addr)

    def _run(self, ep, addr):
        for step in self.script(ep):
            if step == "account":
                if self.on_account is not None:
                    identity, key = self.accounts[ep]
                    self.on_account(ep, identity, key)
                continue
            method, path, payload, cf, accept = step
            reply = self._exchange(addr, method, path, payload, cf, accept)
            code = reply["code"] if reply else None
            with self.cond:
                self.answers.setdefault(ep, []).append(
                    (method, path, code, reply["payload"] if reply else b""))
                if method == "POST" and path == "/bs":
                    self.finished.setdefault(ep, []).append(code)
                self.cond.notify_all()
            if reply is None:
                return

    def _exchange(self, addr, method, path, payload, cf, accept):
        """One confirmable request to the client; its answer (piggybacked
        or separate), or None after the retransmissions."""
        self.mid = (self.mid + 1) & 0xFFFF
        mid, token = self.mid, os.urandom(4)
        opts = path_options(path)
        if cf is not None:
            opts.append((CONTENT_FORMAT, cf.to_bytes(2, "big").lstrip(b"\0")
                         or b""))
        if accept is not None:
            opts.append((ACCEPT, accept.to_bytes(2, "big").lstrip(b"\0")))
        opts.sort(key=lambda o: o[0])
        msg = coap_message(0, METHODS[method], mid, token, opts,
                           payload or b"")
        for attempt in range(4):       # a client gone is given up soon
            self.sock.sendto(msg, addr)
            deadline = time.monotonic() + 1.0 * (2 ** attempt)
            while time.monotonic() < deadline and self.running:
                try:
                    data, frm = self.sock.recvfrom(65536)
                except socket.timeout:
                    continue
                if frm != addr:
                    continue
                reply = coap_parse(data)
                if reply["type"] == 0 and reply["code"] != "0.00" and \
                        reply["token"] == token:    # separate response
                    self.sock.sendto(bytes([0x60, 0]) + reply["mid"]
                                     .to_bytes(2, "big"), addr)
                    return reply
                if reply["mid"] != mid or reply["type"] != 2:
                    continue
                if reply["code"] == "0.00":
                    continue                        # empty ACK: wait on
                return reply
        return None
