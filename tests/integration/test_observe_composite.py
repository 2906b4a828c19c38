"""
Observe-Composite (LwM2M 1.1): one CoAP observation of several paths, a
FETCH of the device's root with Observe 0 naming them in SenML JSON. Its
notifications are split by record into the cache (each path's value a
one-record SenML JSON pack) and one event each; it is stored, cancelled
with a FETCH with Observe 1, and made again after a restart and a new
registration, each time with its own order of Observe numbers.
"""

import json

from conftest import wait_for
from test_events import SSE, connected

ACCEPT = 17
NAMES = b'[{"n":"/3/0/9"},{"n":"/3303/0/5700"}]'
BODY = '{"paths":["/3303/0/5700","/3/0/9","/3/0/9"]}'
FIRST = b'[{"bn":"/3/0/","n":"9","v":90},{"bn":"/3303/0/","n":"5700",' \
    b'"v":20.5,"u":"Cel"}]'
# [{-2: "/3/0/", 0: "9", 2: 85}, {-2: "/3303/0/", 0: "5700", 2: 21},
#  {-2: "/5/0/", 0: "3", 2: 1}] in SenML CBOR: the last is not observed.
CBOR = bytes([0x83,
              0xa3, 0x21, 0x65]) + b"/3/0/" + bytes([0x00, 0x61]) + b"9" + \
    bytes([0x02, 0x18, 0x55,
           0xa3, 0x21, 0x68]) + b"/3303/0/" + bytes([0x00, 0x64]) + \
    b"5700" + bytes([0x02, 0x15,
                     0xa3, 0x21, 0x65]) + b"/5/0/" + \
    bytes([0x00, 0x61]) + b"3" + bytes([0x02, 0x01])


def composite_fetches(dev, observe):
    """The FETCHes of the root with Observe observe the device saw."""
    return [m for k, m in dev.seen if k == "FETCH " and
            (6, observe.to_bytes(1, "big").lstrip(b"\0")) in m["options"]]


def cached(gw, ep, path):
    status, hdrs, body = gw.http("GET", "/v1/devices/%s/r/%s?cached=1" %
                                 (ep, path))
    return body if status == 200 else None


def record(gw, ep, path):
    """The cached value of path as its one record, or None."""
    body = cached(gw, ep, path)
    if body is None:
        return None
    pack = json.loads(body)
    assert len(pack) == 1, pack
    return pack[0]


def observe(gw, ep, body=BODY, method="POST"):
    return gw.http(method, "/v1/devices/%s/observe-composite" % ep,
                   body=body, headers={"Content-Type": "application/json"})


def test_observe_composite_fills_cache_and_stream(gateway, devices):
    dev = devices(gateway, "oc-1", answers={"FETCH ": ("2.05", FIRST, 110,
                                                        None)})
    w = SSE(gateway, "?ep=oc-1&type=notification")
    try:
        connected(gateway, 1)
        status, hdrs, body = observe(gateway, "oc-1")
        assert status == 201, body
        doc = json.loads(body)
        assert doc["paths"] == ["/3/0/9", "/3303/0/5700"]
        assert doc["established"] and doc["client"]
        cid = doc["id"]
        assert len(cid) == 16
        assert hdrs["location"] == \
            "/v1/devices/oc-1/observe-composite/" + cid
        # The request: FETCH / with Observe 0, the sorted set as SenML
        # JSON names, Content-Format and Accept SenML JSON.
        wait_for(lambda: composite_fetches(dev, 0), what="the FETCH")
        m = composite_fetches(dev, 0)[0]
        assert m["payload"] == NAMES
        assert (12, bytes([110])) in m["options"]
        assert (ACCEPT, bytes([110])) in m["options"]
        # Its first answer, split into the cache, path by path.
        wait_for(lambda: record(gateway, "oc-1", "3/0/9") ==
                 {"n": "/3/0/9", "v": 90}, what="the first answer")
        assert record(gateway, "oc-1", "3303/0/5700") == \
            {"n": "/3303/0/5700", "v": 20.5, "u": "Cel"}
        # A notification in SenML CBOR: each observed path's record is
        # its value; /5/0/3 is not observed and not cached.
        dev.notify_composite(CBOR, 2, cf=112)
        wait_for(lambda: record(gateway, "oc-1", "3/0/9") ==
                 {"n": "/3/0/9", "v": 85}, what="the notification")
        assert record(gateway, "oc-1", "3303/0/5700") == \
            {"n": "/3303/0/5700", "v": 21}
        assert cached(gateway, "oc-1", "5/0/3") is None
        status, hdrs, body = gateway.http(
            "GET", "/v1/devices/oc-1/r/3/0/9?cached=1")
        assert hdrs["content-type"] == "application/senml+json"
        # One event per notification, with the paths and the records.
        w.wait(lambda c: len(c.events) >= 2, "two notification events")
        ev = json.loads(w.events[1][2])
        assert ev["composite"] == cid
        assert ev["paths"] == ["/3/0/9", "/3303/0/5700"]
        assert ev["content_format"] == 112
        assert ev["records"] == [{"n": "/3/0/9", "v": 85},
                                 {"n": "/3303/0/5700", "v": 21}]
        # The same set in another order is the same observation: 200, no
        # second FETCH.
        status, hdrs, body = observe(
            gateway, "oc-1", '{"paths":["/3/0/9","/3303/0/5700"]}')
        assert status == 200 and json.loads(body)["id"] == cid
        assert hdrs["location"].endswith("/" + cid)
        assert len(composite_fetches(dev, 0)) == 1
        one = gateway.get_json("/v1/devices/oc-1/observe-composite/" + cid)
        assert one["notifications"] == 2 and one["records_dropped"] == 1
        obs = gateway.get_json("/v1/observations?ep=oc-1")["observations"]
        assert [(o["id"], o["paths"]) for o in obs] == \
            [(cid, ["/3/0/9", "/3303/0/5700"])]
        assert "path" not in obs[0]
    finally:
        w.close()


def test_hostile_notifications_are_refused(gateway, devices):
    """Garbage, names that are no LwM2M paths and more records than a
    notification may hold are refused whole: nothing is cached, no event,
    the observation goes on. (One datagram holds ~1,100 records at most;
    the unit tests refuse 4096 as well.)"""
    dev = devices(gateway, "oc-bad", answers={"FETCH ": ("2.05", FIRST,
                                                          110, None)})
    assert observe(gateway, "oc-bad")[0] == 201
    wait_for(lambda: record(gateway, "oc-bad", "3/0/9") is not None,
             what="the first answer")
    # 1025 records (empty maps) in SenML CBOR: one more than allowed.
    many = bytes([0x99, 0x04, 0x01]) + bytes([0xa0]) * 1025
    for i, (bad, cf) in enumerate([(b"\xff\x00garbage", 112),
                                   (b'[{"n":"/3/0/9/x","v":1}]', 110),
                                   (b'[{"n":"3/0/9","v":1}]', 110),
                                   (many, 112)]):
        dev.notify_composite(bad, 10 + i, cf=cf)
    dev.notify_composite(b'[{"n":"/3/0/9","v":7}]', 20)
    wait_for(lambda: record(gateway, "oc-bad", "3/0/9") ==
             {"n": "/3/0/9", "v": 7}, what="the good notification")
    doc = gateway.get_json("/v1/observations?ep=oc-bad")["observations"][0]
    assert doc["notifications_refused"] == 4
    assert doc["notifications"] == 2
    assert gateway.get_json("/v1/health")["status"] == "ok"


def test_delete_sends_the_cancel(gateway, devices):
    dev = devices(gateway, "oc-del", answers={"FETCH ": ("2.05", FIRST,
                                                          110, None)})
    status, hdrs, _ = observe(gateway, "oc-del")
    assert status == 201
    loc = hdrs["location"]
    dev.wait_answered("FETCH ")
    # DELETE with the body (any order of the same set): the device gets
    # the FETCH again with Observe 1, the same token and names.
    status, _, body = observe(gateway, "oc-del",
                              '{"paths":["/3/0/9","/3303/0/5700"]}',
                              method="DELETE")
    assert status == 204, body
    wait_for(lambda: composite_fetches(dev, 1), what="the cancel")
    cancel = composite_fetches(dev, 1)[0]
    assert cancel["payload"] == NAMES
    assert cancel["token"] == composite_fetches(dev, 0)[0]["token"]
    assert dev.composites == {}
    assert gateway.http("GET", loc)[0] == 404
    assert observe(gateway, "oc-del", method="DELETE")[0] == 404
    assert gateway.get_json("/v1/observations?ep=oc-del")[
        "observations"] == []
    # DELETE of its URL does the same.
    status, hdrs, _ = observe(gateway, "oc-del")
    assert status == 201 and hdrs["location"] == loc
    wait_for(lambda: len(composite_fetches(dev, 0)) == 2,
             what="the second observation")
    assert gateway.http("DELETE", loc)[0] == 204
    wait_for(lambda: len(composite_fetches(dev, 1)) == 2,
             what="the second cancel")
    assert gateway.http("DELETE", loc)[0] == 404


def test_restart_keeps_and_remakes_it(gateway, devices):
    """Stored: after a restart it is listed (not established), made again
    at the device's next update, and its numbers start afresh; a new
    registration makes it again too."""
    dev = devices(gateway, "oc-rs", answers={"FETCH ": ("2.05", FIRST, 110,
                                                         None)})
    status, _, body = observe(gateway, "oc-rs")
    assert status == 201
    cid = json.loads(body)["id"]
    wait_for(lambda: record(gateway, "oc-rs", "3/0/9") is not None,
             what="the first answer")
    dev.notify_composite(b'[{"n":"/3/0/9","v":1}]', 5000)
    wait_for(lambda: record(gateway, "oc-rs", "3/0/9") ==
             {"n": "/3/0/9", "v": 1}, what="the high-numbered value")
    gateway.restart()
    obs = gateway.get_json("/v1/observations?ep=oc-rs")["observations"]
    assert [(o["id"], o["paths"], o["established"]) for o in obs] == \
        [(cid, ["/3/0/9", "/3303/0/5700"], False)]
    dev.first_seq = 0
    assert dev.update()["code"] == "2.04"
    wait_for(lambda: len(composite_fetches(dev, 0)) == 2,
             what="the observation made again")
    assert composite_fetches(dev, 0)[1]["payload"] == NAMES
    dev.wait_answered("FETCH ", 2)
    dev.notify_composite(b'[{"n":"/3/0/9","v":2}]', 1)
    wait_for(lambda: record(gateway, "oc-rs", "3/0/9") ==
             {"n": "/3/0/9", "v": 2}, what="a low number after the restart")
    assert gateway.get_json("/v1/devices/oc-rs/observe-composite/" +
                            cid)["established"]
    # The client reboots and registers again: made again, from 0.
    assert dev.register()["code"] == "2.01"
    wait_for(lambda: len(composite_fetches(dev, 0)) == 3,
             what="the observation made after the new registration")
    dev.wait_answered("FETCH ", 3)
    dev.notify_composite(b'[{"n":"/3/0/9","v":3}]', 1)
    wait_for(lambda: record(gateway, "oc-rs", "3/0/9") ==
             {"n": "/3/0/9", "v": 3}, what="a value of the new one")


def test_the_largest_set_goes_and_is_cancelled_in_one_message(gateway,
                                                             devices):
    """The FETCH's names take at most 1024 bytes: one CoAP message, whose
    cancel repeats them whole (libcoap would cut a block-wise body in
    its cancel, and the device would not know the set). One byte more is
    refused, and nothing is kept."""
    dev = devices(gateway, "oc-big", answers={"FETCH ": ("2.05", b"[]",
                                                          110, None)})
    paths = ["/33%03d/65535/65%03d" % (i, i) for i in range(37)]
    paths.append("/3303/0/5700/10")
    names = json.dumps([{"n": p} for p in sorted(
        paths, key=lambda p: [int(x) for x in p[1:].split("/")])],
        separators=(",", ":")).encode()
    assert len(names) == 1024
    status, _, body = observe(gateway, "oc-big", json.dumps(
        {"paths": paths[:-1] + ["/3303/0/5700/100"]}))
    assert status == 400 and b"1024 bytes" in body, body
    assert gateway.get_json("/v1/observations?ep=oc-big")[
        "observations"] == []
    status, hdrs, body = observe(gateway, "oc-big",
                                 json.dumps({"paths": paths}))
    assert status == 201, body
    wait_for(lambda: composite_fetches(dev, 0), what="the FETCH")
    m = composite_fetches(dev, 0)[0]
    assert m["payload"] == names and "block1" not in m
    assert gateway.http("DELETE", hdrs["location"])[0] == 204
    wait_for(lambda: composite_fetches(dev, 1), what="the cancel")
    assert composite_fetches(dev, 1)[0]["payload"] == names


def test_bad_requests(gateway_factory, devices):
    gw = gateway_factory(cache={"max_observations_per_device": 2})
    devices(gw, "oc-q", answers={"FETCH ": ("2.05", FIRST, 110, None)})
    for body in ['', '{}', '{"paths":[]}', '{"paths":["3/0/9"]}',
                 '{"paths":["/3/0/9"],"x":1}', '[1]',
                 '{"paths":[%s]}' % ",".join('"/%d"' % i for i in range(65))]:
        status, _, data = observe(gw, "oc-q", body)
        assert status == 400, (body, data)
        assert json.loads(data)["error"] == "bad_request"
    status, _, _ = gw.http("POST", "/v1/devices/oc-q/observe-composite",
                           body=BODY, headers={"Content-Type": "text/plain"})
    assert status == 415
    assert observe(gw, "nobody")[0] == 404
    assert gw.http("GET", "/v1/devices/oc-q/observe-composite/"
                   "0123456789abcdef")[0] == 404
    # A composite counts against the caps as one observation.
    assert observe(gw, "oc-q")[0] == 201
    assert gw.http("POST", "/v1/devices/oc-q/observe/3/0/1")[0] == 201
    status, _, data = observe(gw, "oc-q", '{"paths":["/3/0"]}')
    assert status == 429, data
    assert json.loads(data)["error"] == "too_many_observations"
