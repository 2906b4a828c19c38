"""
The cache: the latest value of what the gateway read from devices, served
with Age, ETag and X-Observed-At to clients that ask for the cached value
(Cache-Control: only-if-cached, or ?cached=1), and instead of queueing a
plain GET for a device that cannot answer now.
"""
import datetime
import email.utils
import time


from conftest import wait_for


CACHED = {"Cache-Control": "only-if-cached"}


def test_read_then_served_from_cache(gateway, devices):
    dev = devices(gateway, "c-1", answers={
        "GET 3/0/9": ("2.05", b"87", 0, 600)})
    status, hdrs, body = gateway.http("GET", "/v1/devices/c-1/r/3/0/9")
    assert (status, body) == (200, b"87")
    etag = hdrs["etag"]
    status, hdrs, body = gateway.http("GET", "/v1/devices/c-1/r/3/0/9",
                                      headers=CACHED)
    assert (status, body) == (200, b"87")
    assert hdrs["etag"] == etag
    assert 0 <= int(hdrs["age"]) <= 2
    observed = datetime.datetime.strptime(hdrs["x-observed-at"],
                                          "%Y-%m-%dT%H:%M:%SZ")
    assert abs(observed.replace(tzinfo=datetime.timezone.utc).timestamp() -
               time.time()) <= 5
    assert abs(email.utils.parsedate_to_datetime(hdrs["date"]).timestamp() -
               time.time()) <= 5
    assert hdrs["content-type"] == "text/plain;charset=utf-8"
    assert len(dev.seen) == 1
    status, _, _ = gateway.http("GET", "/v1/devices/c-1/r/3/0/9",
                                headers={"If-None-Match": etag,
                                         **CACHED})
    assert status == 304
    assert gateway.http("GET", "/v1/devices/c-1/r/3/0/9?cached=1")[0] == 200


def test_nothing_cached_is_504(gateway, devices):
    devices(gateway, "c-none")
    status, _, body = gateway.http("GET", "/v1/devices/c-none/r/1/0",
                                   headers=CACHED)
    assert status == 504 and b"not_cached" in body


def test_stale_values_only_when_asked(gateway, devices):
    devices(gateway, "c-stale", answers={"GET 1/0": ("2.05", b"v", 0, 1)})
    assert gateway.http("GET", "/v1/devices/c-stale/r/1/0")[0] == 200
    wait_for(lambda: gateway.http("GET", "/v1/devices/c-stale/r/1/0",
                                  headers=CACHED)[0] == 504,
             timeout=5, what="the value to go stale")
    status, hdrs, body = gateway.http("GET",
                                      "/v1/devices/c-stale/r/1/0?stale=1",
                                      headers=CACHED)
    assert (status, body) == (200, b"v")
    assert "Stale" in hdrs["warning"]


def test_sleeping_device_is_answered_from_a_fresh_value(gateway_factory,
                                                        devices):
    gw = gateway_factory(registry={"awake_window": 1})
    dev = devices(gw, "c-sleep", b="UQ", answers={
        "GET 3/0/9": ("2.05", b"55", 0, 600)})
    assert gw.http("GET", "/v1/devices/c-sleep/r/3/0/9")[0] == 200
    gw.wait_state("c-sleep", "sleeping", timeout=5)
    status, hdrs, body = gw.http("GET", "/v1/devices/c-sleep/r/3/0/9")
    assert (status, body) == (200, b"55") and "age" in hdrs
    # Nothing cached for another resource: that one is queued.
    assert gw.http("GET", "/v1/devices/c-sleep/r/3/0/10")[0] == 202
    assert len(dev.seen) == 1


def test_least_recently_used_goes_first(gateway_factory, devices):
    gw = gateway_factory(cache={"max_entries": 2})
    devices(gw, "c-lru", answers={"GET %d/0" % i: ("2.05", b"%d" % i, 0,
                                                   600) for i in range(3)})
    for i in range(3):
        assert gw.http("GET", "/v1/devices/c-lru/r/%d/0" % i)[0] == 200
    assert gw.http("GET", "/v1/devices/c-lru/r/0/0", headers=CACHED)[0] == \
        504
    assert gw.http("GET", "/v1/devices/c-lru/r/2/0", headers=CACHED)[0] == \
        200
    assert "outpost_cache_entries 2" in gw.http("GET", "/metrics")[2].decode()


def test_decommission_forgets_cached_values(gateway, devices):
    devices(gateway, "c-dc", answers={"GET 1/0": ("2.05", b"x", 0, 600)})
    gateway.http("GET", "/v1/devices/c-dc/r/1/0")
    assert gateway.http("DELETE", "/v1/devices/c-dc")[0] == 204
    assert "outpost_cache_entries 0" in gateway.http("GET",
                                                     "/metrics")[2].decode()
