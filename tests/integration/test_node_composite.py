"""
outpost-node answers LwM2M 1.1 Read-Composite and Observe-Composite (a
FETCH of / naming the paths in SenML JSON or CBOR): through the real
gateway's composite routes, and straight to the node's port for what the
gateway does not send (CBOR, hostile bodies, a RST). The nodes that are
written /config log at debug in node.ini: a /config write sets the level
from the configuration, -v or not.
"""

import json
import socket

from conftest import (CONTENT_FORMAT, coap_exchange, coap_message,
                      coap_parse, wait_for)
from test_node_objects import set_config

JSON_HDR = {"Content-Type": "application/json"}
FETCH, OBSERVE, ACCEPT = 0x05, 6, 17


def wait_registered(gw, ep):
    wait_for(lambda: gw.http("GET", "/v1/devices/" + ep)[0] == 200,
             timeout=10, what="%s registered" % ep)


def by_name(pack):
    return {r["n"]: r for r in pack}


def fetch(node, payload, cf=110, accept=None, observe=None, token=b"\x42",
          mid=0x1234, sock=None):
    """A raw FETCH of the node's root; the parsed answer."""
    opts = []
    if observe is not None:
        opts.append((OBSERVE, bytes([observe]) if observe else b""))
    if cf is not None:
        opts.append((CONTENT_FORMAT, bytes([cf]) if cf else b""))
    if accept is not None:
        opts.append((ACCEPT, bytes([accept])))
    own = sock is None
    if own:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        return coap_exchange(sock, coap_message(
            mtype=0, code=FETCH, mid=mid, token=token, options=opts,
            payload=payload), ("127.0.0.1", node.port))
    finally:
        if own:
            sock.close()


def cached(gw, ep, path):
    status, _, body = gw.http("GET", "/v1/devices/%s/r/%s?cached=1" %
                              (ep, path))
    if status != 200:
        return None
    pack = json.loads(body)     # a record, or a plain read's text
    if not isinstance(pack, list):
        return pack
    return pack[0].get("v") if len(pack) == 1 else None


def test_read_composite_through_the_gateway(gateway, node_factory):
    node = node_factory(gateway, ep="nc-read", sections={
        "device": {"manufacturer": "Acme", "battery": 55}})
    wait_registered(gateway, "nc-read")
    status, hdrs, body = gateway.http(
        "POST", "/v1/devices/nc-read/composite",
        body='{"paths":["/3/0/0","/3/0/9"]}', headers=JSON_HDR)
    assert status == 200, body
    assert hdrs["content-type"] == "application/senml+json"
    recs = by_name(json.loads(body))
    assert recs["/3/0/0"]["vs"] == "Acme"
    assert recs["/3/0/9"]["v"] == 55
    assert len(recs) == 2
    # An instance and one of its resources: each record once; a path the
    # node does not have (an object, an instance, a resource) gives none.
    status, _, body = gateway.http(
        "POST", "/v1/devices/nc-read/composite",
        body='{"paths":["/3/0","/3/0/9","/3303","/3/1","/3/0/999"]}',
        headers=JSON_HDR)
    assert status == 200, body
    names = [r["n"] for r in json.loads(body)]
    assert len(names) == len(set(names))
    assert "/3/0/9" in names and "/3/0/0" in names
    assert all(n.startswith("/3/0/") for n in names)


def test_read_composite_formats_and_refusals(gateway, node_factory):
    node = node_factory(gateway, ep="nc-raw", sections={
        "device": {"manufacturer": "Acme", "battery": 55}})
    wait_registered(gateway, "nc-raw")
    # SenML CBOR names ([{-2: "/3/0/", 0: "9"}]), a CBOR answer: one map
    # {0: "/3/0/9", 2: 55}.
    names = bytes([0x81, 0xa2, 0x21, 0x65]) + b"/3/0/" + \
        bytes([0x00, 0x61]) + b"9"
    r = fetch(node, names, cf=112, accept=112)
    assert r["code"] == "2.05", r
    assert (CONTENT_FORMAT, bytes([112])) in r["options"]
    assert r["payload"] == bytes([0x81, 0xa2, 0x00, 0x66]) + b"/3/0/9" + \
        bytes([0x02, 0x18, 55])
    # JSON names, the default answer is SenML JSON.
    r = fetch(node, b'[{"bn":"/3/0/","n":"0"},{"n":"9"}]')
    assert r["code"] == "2.05", r
    assert json.loads(r["payload"]) == [{"n": "/3/0/0", "vs": "Acme"},
                                        {"n": "/3/0/9", "v": 55}]
    # The account objects stay unreadable: no records.
    r = fetch(node, b'[{"n":"/0"},{"n":"/0/0/3"},{"n":"/1"}]')
    assert r["code"] == "2.05" and json.loads(r["payload"]) == []
    # Refused: other Accept values, other formats, bad bodies, too many.
    assert fetch(node, b'[{"n":"/3"}]', accept=50)["code"] == "4.06"
    assert fetch(node, b'[{"n":"/3"}]', cf=50)["code"] == "4.15"
    many = json.dumps([{"n": "/3/0/%d" % i} for i in range(17)]).encode()
    assert fetch(node, many)["code"] == "4.13"
    for bad in (b"garbage", b"[]", b'[{"n":"/3/0/9/0"}]', b'[{"n":"/"}]',
                b'[{"n":"/3","v":1}]', b'{"n":"/3"}', b'[{"n":"3/0"}]',
                b'[{"n":"/03"}]', b'[{"n":"/65536"}]', b'[1]'):
        r = fetch(node, bad)
        assert r["code"] == "4.00", (bad, r)
        assert r["payload"], bad    # a reason
    # And the node lives on.
    assert fetch(node, b'[{"n":"/3/0/9"}]')["code"] == "2.05"


def test_observe_composite_fills_the_cache_and_cancels(gateway,
                                                       node_factory):
    node = node_factory(gateway, ep="nc-obs", sections={
        "node": {"log_level": "debug"}, "device": {"battery": 40},
        "health": {"sample": 1, "mem_free_kb_delta": 1024}})
    wait_registered(gateway, "nc-obs")
    status, hdrs, body = gateway.http(
        "POST", "/v1/devices/nc-obs/observe-composite",
        body='{"paths":["/3/0/9","/3/0/10"]}', headers=JSON_HDR)
    assert status == 201, body
    loc = hdrs["location"]
    node.wait_log("nc-obs: composite observation of /3/0/")
    # The answer fills the cache for both paths.
    wait_for(lambda: cached(gateway, "nc-obs", "3/0/9") == 40,
             what="the first answer's battery")
    mem = cached(gateway, "nc-obs", "3/0/10")
    assert isinstance(mem, int) and mem > 0
    # A new battery level is notified with the whole pack.
    set_config(node, {"device": {"battery": 61}})
    wait_for(lambda: cached(gateway, "nc-obs", "3/0/9") == 61,
             what="the battery notification")
    # Memory Free moves when the machine's memory does (touch 64 MiB).
    hog = b"\x01" * (64 << 20)
    wait_for(lambda: cached(gateway, "nc-obs", "3/0/10") not in (None, mem),
             timeout=15, what="a Memory Free notification")
    del hog
    n = node.count_log("nc-obs: composite notification")
    assert n >= 1
    # DELETE cancels it on the node: a FETCH with Observe 1.
    mark = node.log_mark()
    assert gateway.http("DELETE", loc)[0] == 204
    node.wait_log("nc-obs: composite observation cancelled", since=mark)
    # A plain observation of /3/0/9 hears the next change; the composite
    # one, gone, is not notified with it.
    assert gateway.http("POST",
                        "/v1/devices/nc-obs/observe/3/0/9")[0] == 201
    set_config(node, {"device": {"battery": 77}})
    wait_for(lambda: cached(gateway, "nc-obs", "3/0/9") == 77,
             what="the plain notification")
    assert node.count_log("nc-obs: composite notification") == n


def test_rst_to_a_notification_ends_it(gateway, node_factory):
    node = node_factory(gateway, ep="nc-rst", sections={
        "node": {"log_level": "debug"}, "device": {"battery": 30}})
    wait_registered(gateway, "nc-rst")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        r = fetch(node, b'[{"n":"/3/0/9"},{"n":"/3/0/0"}]', observe=0,
                  token=b"\x07\x08", sock=sock)
        assert r["code"] == "2.05", r
        assert any(n == OBSERVE for n, _ in r["options"])
        assert by_name(json.loads(r["payload"]))["/3/0/9"]["v"] == 30
        set_config(node, {"device": {"battery": 31}})
        sock.settimeout(5)
        note = coap_parse(sock.recv(65536))
        assert note["token"] == b"\x07\x08" and note["code"] == "2.05"
        assert by_name(json.loads(note["payload"]))["/3/0/9"]["v"] == 31
        # A RST to it: libcoap drops the observer, and the node, at the
        # next change, finds none left.
        sock.sendto(bytes([0x70, 0]) + note["mid"].to_bytes(2, "big"),
                    ("127.0.0.1", node.port))
        mark = node.log_mark()
        set_config(node, {"device": {"battery": 32}})
        node.wait_log("observe: no composite observation is left",
                      since=mark)
    finally:
        sock.close()
