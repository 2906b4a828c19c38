"""
/3/0/14 UTC Offset and /3/0/15 Timezone of outpost-node, through the
gateway's proxy: each fleet device keeps its own (a write to one changes
no other), written as text/plain, as JSON (which the gateway sends as TLV)
and in a partial write of /3/0; a value that is not one is refused by the
device (4.00) and changes nothing; an observer of the resource hears the
write. A single agent starts from the system's zone (TZ).
"""
import datetime
import json
import zoneinfo

from test_events import SSE, connected
from test_fleet_fw import fleet
from test_node import wait_registered
from test_node_objects import notified


def read(gw, ep, path):
    status, _, body = gw.http("GET", "/v1/devices/%s/r/%s" % (ep, path))
    assert status == 200, (ep, path, status, body)
    return body.decode()


def put_text(gw, ep, path, text, expect=(200, 204)):
    status, _, body = gw.http("PUT", "/v1/devices/%s/r/%s" % (ep, path),
                              body=text,
                              headers={"Content-Type": "text/plain"})
    assert status in expect, (ep, path, status, body)
    return body


def clocks(gw, eps):
    return {ep: (read(gw, ep, "3/0/14"), read(gw, ep, "3/0/15"))
            for ep in eps}


def test_fleet_devices_keep_their_own(gateway_factory, node_factory):
    gw = gateway_factory(coap={"max_idle_sessions": 1000})
    eps = ["ck-0", "ck-1", "ck-2"]
    fleet(node_factory, gw, 3, "ck-")
    before = clocks(gw, eps)
    assert len(set(before.values())) == 1, before    # the process's
    put_text(gw, "ck-1", "3/0/15", "Europe/Berlin")
    assert read(gw, "ck-1", "3/0/15") == "Europe/Berlin"
    now = clocks(gw, eps)
    assert now["ck-0"] == before["ck-0"] and now["ck-2"] == before["ck-2"]
    assert now["ck-1"] == (before["ck-1"][0], "Europe/Berlin")

    # JSON goes to the device as TLV (what its registration reads).
    status, _, body = gw.http("PUT", "/v1/devices/ck-0/r/3/0/14",
                              body='[{"bn":"/3/0/14","vs":"+05:30"}]',
                              headers={"Content-Type": "application/json"})
    assert status in (200, 204), body
    # A partial write of the instance, both at once.
    pack = [{"bn": "/3/0/", "n": "14", "vs": "-03:00"},
            {"n": "15", "vs": "America/Sao_Paulo"}]
    status, _, body = gw.http("POST", "/v1/devices/ck-2/r/3/0?format=tlv",
                              body=json.dumps(pack), headers={
                                  "Content-Type": "application/senml+json"})
    assert status in (200, 204), body
    assert clocks(gw, eps) == {
        "ck-0": ("+05:30", before["ck-0"][1]),
        "ck-1": (before["ck-1"][0], "Europe/Berlin"),
        "ck-2": ("-03:00", "America/Sao_Paulo")}
    # The instance reads them too.
    status, _, body = gw.http("GET", "/v1/devices/ck-1/r/3/0", headers={
        "Accept": "application/senml+json"})
    recs = {r["n"]: r.get("vs") for r in json.loads(body)}
    assert recs["15"] == "Europe/Berlin", recs

    # Refused by the device, nothing changed: a path, an offset past 14
    # hours, a partial write with a resource that is not writable.
    for path, text in (("3/0/15", "../../etc/passwd"),
                       ("3/0/15", "Europe Berlin"),
                       ("3/0/14", "+15:00"), ("3/0/14", "01:00")):
        body = put_text(gw, "ck-1", path, text, expect=(400,))
        assert json.loads(body)["device_code"] == "4.00", body
    pack = [{"bn": "/3/0/", "n": "15", "vs": "Asia/Tokyo"},
            {"n": "0", "vs": "Someone"}]
    status, _, body = gw.http("POST", "/v1/devices/ck-1/r/3/0?format=tlv",
                              body=json.dumps(pack), headers={
                                  "Content-Type": "application/senml+json"})
    assert json.loads(body)["device_code"] == "4.05", body
    assert clocks(gw, eps)["ck-1"] == (before["ck-1"][0], "Europe/Berlin")
    # The Device object's other resources stay read-only.
    body = put_text(gw, "ck-1", "3/0/13", "0", expect=(400, 405))
    assert json.loads(body)["device_code"] == "4.05", body


def test_an_observer_hears_the_write(gateway_factory, node_factory):
    gw = gateway_factory(coap={"max_idle_sessions": 1000})
    fleet(node_factory, gw, 3, "co-")
    sse = SSE(gw, "?type=notification")
    try:
        connected(gw, 1)
        for ep in ("co-0", "co-1"):
            status, _, body = gw.http(
                "POST", "/v1/devices/%s/observe/3/0/15" % ep)
            assert status == 201, body
        first = read(gw, "co-0", "3/0/15")

        def told(ep, value):
            return [d for d in sse.events
                    if json.loads(d[2]).get("ep") == ep and
                    json.loads(d[2]).get("path") == "3/0/15" and
                    json.loads(d[2]).get("value") == value]
        sse.wait(lambda c: told("co-0", first) and told("co-1", first),
                 "the first values")
        put_text(gw, "co-1", "3/0/15", "Europe/Berlin")
        sse.wait(lambda c: told("co-1", "Europe/Berlin"), "the write")
        put_text(gw, "co-1", "3/0/15", "Asia/Tokyo")
        sse.wait(lambda c: told("co-1", "Asia/Tokyo"), "the second write")
        # co-0 may hear its own value again (RFC 7641), never co-1's.
        assert not told("co-0", "Europe/Berlin")
        assert not told("co-0", "Asia/Tokyo")
        assert notified(sse, "3/0/15")[-1] in ("Asia/Tokyo", first)
    finally:
        sse.close()
    assert read(gw, "co-0", "3/0/15") == first


def test_a_single_agent_starts_from_the_system(gateway, node_factory,
                                               monkeypatch):
    monkeypatch.setenv("TZ", ":Europe/Berlin")
    node = node_factory(gateway, ep="ck-one")
    wait_registered(gateway, "ck-one")
    off = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Berlin")) \
        .utcoffset()
    mins = int(off.total_seconds()) // 60
    want = "%s%02d:%02d" % ("+" if mins >= 0 else "-", abs(mins) // 60,
                            abs(mins) % 60)
    r = node.coap("get", "3/0/15")
    assert r.code == "2.05" and r.body == "Europe/Berlin", r
    # Around a change of summer time the offset may have moved between
    # the agent's start and now: either side of it.
    got = read(gateway, "ck-one", "3/0/14")
    assert got == want or got in ("+01:00", "+02:00"), (got, want)
    put_text(gateway, "ck-one", "3/0/15", "Asia/Tokyo")
    assert node.coap("get", "3/0/15").body == "Asia/Tokyo"
    assert node.coap("put", "3/0/14", payload="+09:00").code == "2.04"
    assert read(gateway, "ck-one", "3/0/14") == "+09:00"
