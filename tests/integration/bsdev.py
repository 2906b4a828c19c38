"""
A scripted LwM2M bootstrap client over plain CoAP, as Wakaama and Zephyr
behave: it POSTs /bs?ep= to the gateway's bootstrap listener from its own
UDP socket and answers what the server sends on that socket: the
Bootstrap-Discover (its /0 and /1 instances as link-format), the
Bootstrap-Delete of /0 and /1 (everything but its bootstrap account goes),
the Bootstrap-Writes (TLV, and SenML CBOR unless it lacks it: then 4.15),
and the Bootstrap-Finish (2.04 with a usable DM account, 4.06 without).
What the server wrote is decoded into .objects, so that a test can use
the DM credential the device was given without reading it anywhere else.
Any request's answer can be overridden (a code, a body, silence).
"""
import socket
import threading

from conftest import (CONTENT_FORMAT, URI_PATH, URI_QUERY, coap_datagrams,
                      coap_message, coap_request_key)

ACCEPT = 17
CODES = {"2.01": 0x41, "2.02": 0x42, "2.04": 0x44, "2.05": 0x45, "4.00": 0x80,
         "4.04": 0x84, "4.05": 0x85, "4.06": 0x86, "4.15": 0x8F,
         "5.00": 0xA0}
TLV, SENML_CBOR = 11542, 112


def tlv_decode(data):
    """LwM2M TLV (Core TS Appendix C) into [(kind, id, value)]: kind 0
    object instance, 1 resource instance, 2 multiple resource, 3 resource;
    the value of 0 and 2 is the list of their children."""
    out, i = [], 0
    while i < len(data):
        t = data[i]
        i += 1
        kind = t >> 6
        if t & 0x20:
            ident, i = int.from_bytes(data[i:i + 2], "big"), i + 2
        else:
            ident, i = data[i], i + 1
        ltype = t >> 3 & 3
        if ltype == 0:
            n = t & 7
        else:
            n, i = int.from_bytes(data[i:i + ltype], "big"), i + ltype
        assert i + n <= len(data), "TLV runs past the body"
        val = data[i:i + n]
        i += n
        out.append((kind, ident, tlv_decode(val) if kind in (0, 2)
                    else val))
    return out


def tlv_instance(data, inst):
    """The resources of a whole-instance write: {id: bytes}; one object
    instance TLV of id inst wrapping them, or the resources directly."""
    items = tlv_decode(data)
    if len(items) == 1 and items[0][0] == 0:
        assert items[0][1] == inst, items
        items = items[0][2]
    return {ident: val for kind, ident, val in items if kind == 3}


def cbor_decode(data, i=0):
    """The subset of CBOR (RFC 8949) SenML uses; returns (value, next)."""
    ib = data[i]
    major, info = ib >> 5, ib & 31
    i += 1
    if major == 7:
        return {20: False, 21: True, 22: None}[info], i
    if info == 31:
        items = []
        while data[i] != 0xFF:
            v, i = cbor_decode(data, i)
            items.append(v)
        i += 1
        if major == 4:
            return items, i
        return dict(zip(items[::2], items[1::2])), i
    if info < 24:
        n = info
    else:
        size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
        n, i = int.from_bytes(data[i:i + size], "big"), i + size
    if major == 0:
        return n, i
    if major == 1:
        return -1 - n, i
    if major in (2, 3):
        v = data[i:i + n]
        return (v if major == 2 else v.decode()), i + n
    if major == 4:
        items = []
        for _ in range(n):
            v, i = cbor_decode(data, i)
            items.append(v)
        return items, i
    if major == 5:
        d = {}
        for _ in range(n):
            k, i = cbor_decode(data, i)
            d[k], i = cbor_decode(data, i)
        return d, i
    raise ValueError("CBOR major type %d" % major)


def senml_instance(data, path):
    """The resources of a SenML CBOR whole-instance write: {id: value}."""
    pack, end = cbor_decode(data)
    assert end == len(data)
    out, bn = {}, ""
    for rec in pack:
        bn = rec.get(-2, bn)
        name = bn + rec.get(0, "")
        assert name.startswith(path + "/"), (name, path)
        rid = int(name[len(path) + 1:])
        for label in (2, 3, 4, 8):      # v, vs, vb, vd
            if label in rec:
                out[rid] = rec[label]
    return out


def tlv_int(b):
    return int.from_bytes(b, "big", signed=True)


class BootstrapClient:
    """One scripted client. answers: {"GET ": ("4.04", b"") or None for
    silence, "PUT 0/1": ..., "POST bs": ...} overrides the usual answer;
    senml: whether it takes SenML CBOR (pct=112 is then asked for);
    discover: the link-format it answers Bootstrap-Discover with (its
    bootstrap account is /0/0); again: how many times it asks again
    (POST /bs) right after answering a Finish, without waiting."""

    def __init__(self, gw, ep, answers=None, senml=False, pct=None,
                 discover=None, port=None, query=None, again=0):
        self.gw, self.ep = gw, ep
        self.again = again
        self.finishes = 0
        self.answers = answers or {}
        self.senml = senml
        self.pct = pct if pct is not None else (SENML_CBOR if senml
                                                else None)
        self.discover = discover
        self.query = query
        self.port = port or gw.bs_port
        # What the client holds: its bootstrap account /0/0, and a DM
        # account from before (deleted by the server's Bootstrap-Delete).
        self.objects = {"0": {0: {1: b"\x01"}, 1: {0: b"coap://old",
                                                    10: b"\x65"}},
                        "1": {0: {0: b"\x65"}}}
        self.seen = []
        self.cond = threading.Condition()
        self.finished = None        # the Finish's answer, once given
        self.reply = None
        self.mid = 0x3000
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    # -- the client's requests -------------------------------------------
    def request(self, timeout=5.0):
        """POST /bs?ep=[&pct=]; returns the parsed answer."""
        with self.cond:
            self.reply = None
            self._ask()
            assert self.cond.wait_for(lambda: self.reply is not None,
                                      timeout), "no answer to POST /bs"
            return self.reply

    def _ask(self):
        """Sends POST /bs?ep=[&pct=] (its answer lands in .reply)."""
        self.mid += 1
        token = self.mid.to_bytes(2, "big")
        q = self.query if self.query is not None else \
            ["ep=" + self.ep] + (["pct=%d" % self.pct]
                                 if self.pct is not None else [])
        opts = [(URI_PATH, b"bs")] + [(URI_QUERY, x.encode()) for x in q]
        self.sock.sendto(coap_message(0, 0x02, self.mid, token, opts),
                         ("127.0.0.1", self.port))

    def wait_finish(self, timeout=10.0):
        """Waits for the server's Bootstrap-Finish; returns the code the
        client answered it with."""
        with self.cond:
            assert self.cond.wait_for(lambda: self.finished is not None,
                                      timeout), \
                "no Bootstrap-Finish; seen %r" % self.keys()
            return self.finished

    def wait_seen(self, key, timeout=10.0):
        with self.cond:
            assert self.cond.wait_for(lambda: key in self.keys(), timeout), \
                "never saw %r; seen %r" % (key, self.keys())

    def keys(self):
        return [k for k, _ in self.seen]

    # -- what the server wrote -------------------------------------------
    def dm_account(self):
        """The DM account written: (security resources, server resources),
        the /0 instance that is not the bootstrap account and the /1 with
        its Short Server ID."""
        for inst, res in self.objects["0"].items():
            if res.get(1, b"\x00") in (b"\x00", False) and 0 in res:
                ssid = res.get(10)
                for sinst, sres in self.objects["1"].items():
                    if sres.get(0) == ssid:
                        return res, sres
        return None

    def psk(self):
        """(identity, key bytes, server URI) of the DM account."""
        sec, _ = self.dm_account()
        uri = sec[0].decode() if isinstance(sec[0], bytes) else sec[0]
        return sec[3], sec[5], uri

    # -- serving the server's requests -----------------------------------
    def _serve(self):
        for m, addr in coap_datagrams(self.sock, lambda: self.running):
            if not m["code"].startswith("0."):
                with self.cond:
                    self.reply = m
                    self.cond.notify_all()
                continue
            if m["code"] == "0.00":
                continue
            key = coap_request_key(m)
            method, path = key.split(" ", 1)
            with self.cond:
                self.seen.append((key, m))
                self.cond.notify_all()
            if key in self.answers:
                answer = self.answers[key]
                if answer is None:
                    continue        # silence
            else:
                answer = self._handle(method, path, m)
            code, body = answer[0], answer[1]
            cf = answer[2] if len(answer) > 2 else None
            opts = [] if cf is None else \
                [(CONTENT_FORMAT, cf.to_bytes(2, "big").lstrip(b"\0"))]
            self.sock.sendto(coap_message(2 if m["type"] == 0 else 1,
                                          CODES[code], m["mid"], m["token"],
                                          opts, body), addr)
            if key == "POST bs":
                with self.cond:
                    self.finished = code
                    self.finishes += 1
                    self.cond.notify_all()
                if self.again > 0:
                    self.again -= 1
                    self._ask()

    def _links(self):
        if self.discover is not None:
            return self.discover.encode()
        links = ["</>;lwm2m=1.1"]
        for obj in ("0", "1"):
            for inst, res in sorted(self.objects[obj].items()):
                ssid = res.get(10 if obj == "0" else 0)
                links.append("</%s/%d>" % (obj, inst) +
                             (";ssid=%d" % tlv_int(ssid)
                              if isinstance(ssid, bytes) and ssid else ""))
        links += ["</3/0>", "</5/0>"]
        return ",".join(links).encode()

    def _handle(self, method, path, m):
        cf = [int.from_bytes(v, "big") for n, v in m["options"]
              if n == CONTENT_FORMAT]
        parts = path.split("/") if path else []
        if method == "GET" and not parts:
            return ("2.05", self._links(), 40)
        if method == "DELETE" and len(parts) == 1 and parts[0] in "01":
            keep = {i: r for i, r in self.objects[parts[0]].items()
                    if parts[0] == "0" and r.get(1) == b"\x01"}
            self.objects[parts[0]] = keep
            return ("2.02", b"")
        if method == "PUT" and len(parts) == 2 and parts[0] in "01":
            inst = int(parts[1])
            if cf == [SENML_CBOR] and not self.senml:
                return ("4.15", b"")
            try:
                if cf == [SENML_CBOR]:
                    res = senml_instance(m["payload"], "/" + path)
                    res = {k: (v if isinstance(v, bytes) else
                               v.encode() if isinstance(v, str) else
                               (b"\x01" if v else b"\x00")
                               if isinstance(v, bool) else
                               v.to_bytes(8, "big", signed=True).lstrip(
                                   b"\0") or b"\0")
                           for k, v in res.items()}
                elif cf == [TLV]:
                    res = tlv_instance(m["payload"], inst)
                else:
                    return ("4.15", b"")
            except (AssertionError, ValueError, KeyError, IndexError):
                return ("4.00", b"")
            self.objects[parts[0]][inst] = res
            return ("2.04", b"")
        if method == "POST" and path == "bs":
            return ("2.04", b"") if self.dm_account() else ("4.06", b"")
        return ("4.04", b"")

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()
