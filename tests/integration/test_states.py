"""Device states (awake, sleeping, expired) and the device listing: filters
and paging."""
import json

import pytest

from conftest import wait_for


def states(gw):
    return {d["ep"]: d["state"] for d in gw.devices()["devices"]}


def test_queue_mode_device_falls_asleep_after_awake_window(gateway_factory):
    gw = gateway_factory(registry={"awake_window": 1})
    gw.register("sleepy", b="UQ")
    gw.register("always-on", b="U")
    gw.wait_state("sleepy", "sleeping", timeout=5)
    # The window passed for both: only the queue-mode one sleeps.
    assert gw.device_state("always-on") == "awake"
    d = gw.device("sleepy")
    assert d["queue_mode"] is True and d["binding"] == "UQ"


def test_update_wakes_a_sleeping_device(gateway_factory):
    # A window of 2s: "awake right after the update" cannot race a
    # second boundary.
    gw = gateway_factory(registry={"awake_window": 2})
    reg_id = gw.register("napper", b="UQ")
    assert gw.device_state("napper") == "awake"
    gw.wait_state("napper", "sleeping", timeout=6)
    slept = gw.device("napper")
    r = gw.update(reg_id)
    assert r.code == "2.04", r
    d = gw.device("napper")
    assert d["state"] == "awake"
    assert d["last_seen"] > slept["last_seen"]
    assert d["registration_id"] == reg_id
    gw.wait_state("napper", "sleeping", timeout=6)


def test_sleeping_gauge_follows_the_device(gateway_factory):
    """outpost_devices{state=...} counts the states the API shows."""
    # 2s: the gauge read right after registering cannot race the sweep.
    gw = gateway_factory(registry={"awake_window": 2})
    gw.register("gauge-q", b="UQ")
    gw.register("gauge-u", b="U")
    m = gw.metrics()
    assert m['outpost_devices{state="awake"}'] == 2
    gw.wait_state("gauge-q", "sleeping", timeout=6)
    wait_for(lambda: gw.metrics()['outpost_devices{state="sleeping"}'] == 1,
             timeout=5, what='outpost_devices{state="sleeping"} == 1')
    assert gw.metrics()['outpost_devices{state="awake"}'] == 1


def test_registration_expires_and_stays_listed(gateway_factory):
    gw = gateway_factory(registry={"min_lifetime": 1})
    reg_id = gw.register("short-lived", lt=2)
    gw.register("long-lived", lt=300)
    assert gw.device_state("short-lived") == "awake"
    gw.wait_state("short-lived", "expired", timeout=6)
    d = gw.device("short-lived")
    assert d["registration_id"] == reg_id and d["lifetime"] == 2
    assert states(gw) == {"short-lived": "expired", "long-lived": "awake"}
    assert gw.get_json("/v1/health")["devices"] == 2
    r = gw.update(reg_id)
    assert r.code == "4.04", r
    assert gw.device_state("short-lived") == "expired"


def test_reregister_after_expiry_is_awake_again(gateway_factory):
    gw = gateway_factory(registry={"min_lifetime": 1})
    old = gw.register("phoenix", lt=1)
    gw.wait_state("phoenix", "expired", timeout=5)
    new = gw.register("phoenix", lt=300)
    assert new != old
    d = gw.device("phoenix")
    assert d["state"] == "awake" and d["registration_id"] == new
    assert gw.update(new).code == "2.04"


def test_update_with_lifetime_postpones_expiry(gateway_factory):
    gw = gateway_factory(registry={"min_lifetime": 1})
    keep = gw.register("extended", lt=2)
    gw.register("lapsed", lt=2)
    r = gw.update(keep, "lt=300")
    assert r.code == "2.04", r
    gw.wait_state("lapsed", "expired", timeout=6)
    d = gw.device("extended")
    assert d["state"] == "awake" and d["lifetime"] == 300


def test_expiry_is_counted_and_logged(gateway_factory):
    """The sweep records an expiry: the counter, the gauge and a log line."""
    gw = gateway_factory(registry={"min_lifetime": 1})
    gw.register("counted", lt=1)
    gw.wait_state("counted", "expired", timeout=5)
    wait_for(lambda: gw.metrics()["outpost_expiries_total"] == 1, timeout=5,
             what="outpost_expiries_total == 1")
    m = gw.metrics()
    assert m['outpost_devices{state="expired"}'] == 1
    assert m['outpost_devices{state="awake"}'] == 0
    gw.wait_log("device counted: registration expired", timeout=2)


@pytest.fixture
def mixed(gateway_factory):
    """Devices in each state: awake (U), sleeping (UQ), expired (lt=1)."""
    gw = gateway_factory(registry={"awake_window": 1, "min_lifetime": 1})
    gw.register("c-expired", lt=1)
    gw.register("a-awake", b="U")
    gw.register("b-sleeping", b="UQ")
    gw.register("d-awake", b="U")
    gw.wait_state("c-expired", "expired", timeout=5)
    gw.wait_state("b-sleeping", "sleeping", timeout=5)
    return gw


def test_list_is_sorted_by_ep_with_every_state(mixed):
    doc = mixed.devices()
    assert [d["ep"] for d in doc["devices"]] == [
        "a-awake", "b-sleeping", "c-expired", "d-awake"]
    assert doc["next"] is None
    assert [d["state"] for d in doc["devices"]] == [
        "awake", "sleeping", "expired", "awake"]
    for d in doc["devices"]:
        for key in ("ep", "state", "binding", "queue_mode", "lifetime",
                    "lwm2m", "registration_id", "registered_at",
                    "updated_at", "last_seen", "address"):
            assert key in d, (key, d)


@pytest.mark.parametrize("state,eps", [
    ("awake", ["a-awake", "d-awake"]),
    ("sleeping", ["b-sleeping"]),
    ("expired", ["c-expired"]),
])
def test_list_filters_by_state(mixed, state, eps):
    doc = mixed.devices("?state=" + state)
    assert [d["ep"] for d in doc["devices"]] == eps
    assert all(d["state"] == state for d in doc["devices"])
    assert doc["next"] is None


@pytest.mark.parametrize("query", ["?state=asleep", "?state=", "?limit=0",
                                   "?limit=-1", "?limit=abc",
                                   "?limit=1001", "?limit="])
def test_list_refuses_bad_parameters(gateway, query):
    status, hdrs, body = gateway.http("GET", "/v1/devices" + query)
    assert status == 400, body
    assert hdrs["content-type"].startswith("application/json")
    doc = json.loads(body)
    assert doc["error"] == "bad_request" and doc["detail"]


def test_list_pages(gateway):
    eps = ["p3", "p1", "p5", "p2", "p4"]
    for ep in eps:
        gateway.register(ep)
    page = gateway.devices("?limit=2")
    assert [d["ep"] for d in page["devices"]] == ["p1", "p2"]
    assert page["next"] == "p2"
    page = gateway.devices("?limit=2&after=p2")
    assert [d["ep"] for d in page["devices"]] == ["p3", "p4"]
    assert page["next"] == "p4"
    page = gateway.devices("?limit=2&after=p4")
    assert [d["ep"] for d in page["devices"]] == ["p5"]
    assert page["next"] is None
    # A full last page has no next page.
    page = gateway.devices("?limit=5")
    assert len(page["devices"]) == 5 and page["next"] is None
    page = gateway.devices("?limit=3&after=p2")
    assert [d["ep"] for d in page["devices"]] == ["p3", "p4", "p5"]
    assert page["next"] is None
    # after need not name a device.
    page = gateway.devices("?limit=1&after=p25")
    assert [d["ep"] for d in page["devices"]] == ["p3"]
    assert page["next"] == "p3"
    page = gateway.devices("?after=p5")
    assert page == {"devices": [], "next": None}


def test_list_pages_with_state_filter(gateway_factory):
    gw = gateway_factory(registry={"awake_window": 1})
    for i in range(1, 7):
        gw.register("f%d" % i, b="UQ" if i % 2 == 0 else "U")
    gw.wait_state("f6", "sleeping", timeout=5)
    wait_for(lambda: gw.device_state("f2") == "sleeping" and
             gw.device_state("f4") == "sleeping", timeout=5,
             what="f2 and f4 asleep")
    page = gw.devices("?state=awake&limit=2")
    assert [d["ep"] for d in page["devices"]] == ["f1", "f3"]
    assert page["next"] == "f3"
    page = gw.devices("?state=awake&limit=2&after=f3")
    assert [d["ep"] for d in page["devices"]] == ["f5"]
    assert page["next"] is None
    page = gw.devices("?state=sleeping&limit=3")
    assert [d["ep"] for d in page["devices"]] == ["f2", "f4", "f6"]
    assert page["next"] is None
