"""Endpoint names as LwM2M allows them: any UTF-8 text, markup and spaces
included, but for the few characters that would end a path segment or a
query. Such a device registers, is found by the API under its name
percent-encoded, is read through the proxy, gets its created instances'
Location encoded, and its events carry its name as it is."""
import json
import urllib.parse

import pytest

from conftest import wait_for

HOSTILE = "<img src=x onerror=alert(1)>"
NAMES = [HOSTILE, "Pump 7 (Hall B)", "caf\u00e9-\u6c34-\U0001F30A",
         "a=b&c;d,e'f"]


def seg(ep):
    return urllib.parse.quote(ep, safe="")


@pytest.mark.parametrize("ep", NAMES)
def test_wide_name_registers_and_is_served(gateway, devices, ep):
    dev = devices(gateway, ep, answers={
        "GET 3/0/0": ("2.05", b"Acme", 0, None),
        "POST 33605": ("2.01", b"", None, None, None,
                       [(8, b"33605"), (8, b"4")])})
    doc = gateway.device(seg(ep))
    assert doc["ep"] == ep and doc["state"] == "awake"
    assert ep in [d["ep"] for d in gateway.devices()["devices"]]
    assert [d["ep"] for d in gateway.devices(
        "?prefix=" + seg(ep[:5]))["devices"]] == [ep]
    status, _, body = gateway.http("GET", "/v1/devices/%s/r/3/0/0" % seg(ep))
    assert (status, body) == (200, b"Acme")
    status, hdrs, _ = gateway.http(
        "POST", "/v1/devices/%s/r/33605" % seg(ep), body=b"\xc8\x00\x01\x00",
        headers={"Content-Type": "application/vnd.oma.lwm2m+tlv"})
    assert status == 201
    loc = hdrs["location"]
    assert loc.startswith("/v1/devices/") and loc.endswith("/r/33605/4")
    # the Location is a valid path of one segment per level, and leads back
    assert urllib.parse.unquote(loc.split("/")[3]) == ep
    assert " " not in loc and "<" not in loc
    dev.answers["GET 33605/4"] = ("2.05", b"x", 0, None)
    assert gateway.http("GET", loc)[::2] == (200, b"x")
    assert dev.location


def test_wide_name_in_events_and_after_restart(gateway, devices):
    from test_events import SSE, connected
    sse = SSE(gateway, "?type=registration&ep=" + seg(HOSTILE))
    try:
        connected(gateway, 1)
        devices(gateway, "bystander")
        devices(gateway, HOSTILE)
        sse.wait(lambda c: len(c.events) == 1, "its registration")
        assert json.loads(sse.events[0][2])["ep"] == HOSTILE
    finally:
        sse.close()
    gateway.restart()
    assert gateway.device(seg(HOSTILE))["ep"] == HOSTILE


@pytest.mark.parametrize("ep,why", [
    ("a/b", b"0x2f"), ("a?b", b"0x3f"), ("a#b", b"0x23"), ("a%41", b"0x25"),
    (" a", b"space"), ("a\x1bb", b"0x1b"), ("a\"b", b"0x22")])
def test_names_that_would_split_a_path_are_refused(gateway, ep, why):
    r = gateway.coap("post", "rd?ep=%s&lt=60" % urllib.parse.quote(ep),
                     payload="</3/0>", content_format=40)
    assert r.code == "4.00", r
    assert why in r.payload.encode(), r
    assert gateway.devices()["devices"] == []
    assert gateway.alive()
