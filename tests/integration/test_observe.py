"""
Observations: one CoAP observation per device resource, kept in the store,
made again when the device is next heard from; notifications go into the
cache and to the event stream, and a late (older) one never overwrites a
newer value.
"""

import json

from conftest import wait_for
from test_events import SSE, connected

CACHED = {"Cache-Control": "only-if-cached"}


def observe_gets(dev, path):
    return [m for k, m in dev.seen if k == "GET " + path and
            any(n == 6 for n, _ in m["options"])]


def cached(gw, ep, path):
    return gw.http("GET", "/v1/devices/%s/r/%s" % (ep, path),
                   headers=CACHED)


def test_observe_fills_cache_and_stream(gateway, devices):
    dev = devices(gateway, "o-1", answers={"GET 3/0/9": ("2.05", b"90", 0,
                                                         None)})
    watchers = [SSE(gateway, "?type=notification"),
                SSE(gateway, "?ep=o-1&type=notification")]
    try:
        connected(gateway, 2)
        status, _, body = gateway.http("POST", "/v1/devices/o-1/observe/"
                                       "3/0/9")
        assert status == 201 and b'"established":true' in body
        wait_for(lambda: cached(gateway, "o-1", "3/0/9")[2] == b"90",
                 what="the observation's first answer")
        # A second client asking for the same resource: no new GET.
        assert gateway.http("POST", "/v1/devices/o-1/observe/3/0/9")[0] \
            == 200
        dev.notify("3/0/9", b"85", 2)
        dev.notify("3/0/9", b"80", 3)
        wait_for(lambda: cached(gateway, "o-1", "3/0/9")[2] == b"80",
                 what="the last notification in the cache")
        for w in watchers:
            w.wait(lambda c: [e[2] for e in c.events if '"80"' in e[2]],
                   "the notification")
        assert len(observe_gets(dev, "3/0/9")) == 1
        obs = gateway.get_json("/v1/observations")["observations"]
        assert obs[0]["ep"] == "o-1" and obs[0]["notifications"] >= 3
        assert obs[0]["last_value_at"].endswith("Z")
    finally:
        for w in watchers:
            w.close()


def test_older_notification_does_not_overwrite(gateway, devices):
    dev = devices(gateway, "o-seq", answers={"GET 1/0": ("2.05", b"a", 0,
                                                         None)})
    gateway.http("POST", "/v1/devices/o-seq/observe/1/0")
    # The first answer (Observe 1) must land before the notifications, or
    # it would rightly count as the older one.
    wait_for(lambda: cached(gateway, "o-seq", "1/0")[2] == b"a",
             what="the first answer")
    dev.notify("1/0", b"new", 10)
    wait_for(lambda: cached(gateway, "o-seq", "1/0")[2] == b"new",
             what="the new value")
    dev.notify("1/0", b"old", 9)
    dev.notify("1/0", b"newer", 11)
    wait_for(lambda: cached(gateway, "o-seq", "1/0")[2] == b"newer",
             what="the newer value")
    assert gateway.get_json("/v1/observations")["observations"][0][
        "notifications"] == 3      # the first answer, 10 and 11


def _notes_heard(gateway, dev, path, before, values):
    """dev notifies path with Observe numbers that start again at 1 (its
    first answer was 0): every value reaches the cache at once. before is
    the number the device reached in its previous life."""
    wait_for(lambda: cached(gateway, dev.ep, path)[2] == b"a",
             what="the first answer of the new observation")
    for i, v in enumerate(values):
        assert i + 1 < before
        dev.notify(path, v, i + 1)
        wait_for(lambda: cached(gateway, dev.ep, path)[2] == v,
                 what="notification %d of the new observation" % (i + 1))


def _observed_high(gateway, dev, path):
    """Observes path through the API and has the device number up to 5000."""
    assert gateway.http("POST", "/v1/devices/%s/observe/%s" %
                        (dev.ep, path))[0] == 201
    wait_for(lambda: cached(gateway, dev.ep, path)[2] == b"a",
             what="the first answer")
    dev.notify(path, b"high", 5000)
    wait_for(lambda: cached(gateway, dev.ep, path)[2] == b"high",
             what="the high-numbered value")


def test_observation_made_anew_takes_numbers_from_zero(gateway, devices):
    """A DELETE then POST of the observation is a new one: the device
    numbers it from 0, and none of its values is taken as late against the
    5000 of the one before (RFC 7641 orders one observation's)."""
    dev = devices(gateway, "o-anew", answers={"GET 1/0": ("2.05", b"a", 0,
                                                          None)})
    w = SSE(gateway, "?ep=o-anew&type=notification")
    try:
        connected(gateway, 1)
        _observed_high(gateway, dev, "1/0")
        assert gateway.http("DELETE", "/v1/devices/o-anew/observe/1/0")[0] \
            == 204
        wait_for(lambda: "1/0" not in dev.observers, what="the cancel")
        dev.first_seq = 0
        assert gateway.http("POST", "/v1/devices/o-anew/observe/1/0")[0] \
            == 201
        # The cancel was a GET with Observe 1: the new one is the third.
        wait_for(lambda: len(observe_gets(dev, "1/0")) == 3,
                 what="the new observation")
        _notes_heard(gateway, dev, "1/0", 5000, [b"b", b"c"])
        w.wait(lambda c: [e for e in c.events if '"c"' in e[2]],
               "the new observation's value on the stream")
    finally:
        w.close()


def test_reregistration_from_the_same_port_observes_again(gateway,
                                                          devices):
    """A client that rebooted and kept its port registers again on the same
    session: its observations are gone on its side, so the gateway makes
    them again (a new token) and takes the new numbers from 0."""
    dev = devices(gateway, "o-reboot", answers={"GET 1/0": ("2.05", b"a", 0,
                                                            None)})
    _observed_high(gateway, dev, "1/0")
    dev.first_seq = 0
    token = dev.observers["1/0"][0]
    assert dev.register()["code"] == "2.01"
    wait_for(lambda: len(observe_gets(dev, "1/0")) == 2,
             what="the observation made again after the new registration")
    assert dev.observers["1/0"][0] != token
    _notes_heard(gateway, dev, "1/0", 5000, [b"b", b"c"])


def test_reregistration_from_a_new_port_observes_again(gateway, devices):
    """The same client coming back from a new port (Wakaama after a
    reboot): a new session, a new observation, numbers from 0 taken."""
    dev = devices(gateway, "o-port", answers={"GET 1/0": ("2.05", b"a", 0,
                                                          None)})
    _observed_high(gateway, dev, "1/0")
    dev.close()
    again = devices(gateway, "o-port", answers={"GET 1/0": ("2.05", b"a",
                                                            0, None)},
                    first_seq=0)
    # The registration was answered before the observation went out, so
    # the new first answer may race the old value in the cache: wait for
    # the new GET, then for the values.
    wait_for(lambda: len(observe_gets(again, "1/0")) == 1,
             what="the observation made on the new session")
    _notes_heard(gateway, again, "1/0", 5000, [b"b", b"c"])


def test_observation_is_made_again_after_restart(gateway, devices):
    dev = devices(gateway, "o-rs", answers={"GET 1/0": ("2.05", b"a", 0,
                                                        None)})
    assert gateway.http("POST", "/v1/devices/o-rs/observe/1/0")[0] == 201
    wait_for(lambda: len(observe_gets(dev, "1/0")) == 1, what="observe")
    assert gateway.stop() == 0
    gateway.start()
    obs = gateway.get_json("/v1/observations")["observations"]
    assert [(o["ep"], o["path"], o["established"]) for o in obs] == \
        [("o-rs", "1/0", False)]
    assert dev.update()["code"] == "2.04"
    wait_for(lambda: len(observe_gets(dev, "1/0")) >= 2,
             what="the observation made again")
    assert gateway.get_json("/v1/observations")["observations"][0][
        "established"]


def test_a_notification_after_a_restart_brings_the_observation_back(
        gateway, devices):
    """After a crash the gateway has no session to the device; a
    notification of the observation the gateway made before (which the
    gateway refuses with RST) comes from the address the device registered
    from: it is there, and the observation is made again at once, without
    waiting for the device's next update. One from elsewhere does not."""
    dev = devices(gateway, "o-st", answers={"GET 1/0": ("2.05", b"a", 0,
                                                        None)})
    other = devices(gateway, "o-other")
    assert gateway.http("POST", "/v1/devices/o-st/observe/1/0")[0] == 201
    wait_for(lambda: len(observe_gets(dev, "1/0")) == 1, what="observe")
    gateway.kill9()		# the device is not told
    gateway.start()
    # Another device's address: nothing happens for o-st.
    other.observers["1/0"] = (dev.observers["1/0"][0],
                              ("127.0.0.1", gateway.coap_port))
    other.notify("1/0", b"x", 40)
    dev.notify("1/0", b"b", 41)
    wait_for(lambda: len(observe_gets(dev, "1/0")) == 2,
             what="the observation made again")
    wait_for(lambda: gateway.get_json("/v1/observations")["observations"][0][
        "established"], what="established")
    assert len(observe_gets(other, "1/0")) == 0


def test_sleeping_device_is_observed_when_it_wakes(gateway_factory,
                                                   devices):
    gw = gateway_factory(registry={"awake_window": 1})
    dev = devices(gw, "o-sl", b="UQ", answers={"GET 1/0": ("2.05", b"a", 0,
                                                           None)})
    gw.wait_state("o-sl", "sleeping", timeout=5)
    status, _, body = gw.http("POST", "/v1/devices/o-sl/observe/1/0")
    assert status == 201 and b'"established":false' in body
    assert dev.seen == []
    dev.update()
    wait_for(lambda: "1/0" in dev.observers, what="the observe GET")


def test_cancel(gateway, devices):
    dev = devices(gateway, "o-x", answers={"GET 1/0": ("2.05", b"a", 0,
                                                       None)})
    gateway.http("POST", "/v1/devices/o-x/observe/1/0")
    wait_for(lambda: cached(gateway, "o-x", "1/0")[2] == b"a",
             what="the observation's first answer")
    assert gateway.http("DELETE", "/v1/devices/o-x/observe/1/0")[0] == 204
    wait_for(lambda: "1/0" not in dev.observers, what="the cancel GET")
    assert gateway.get_json("/v1/observations")["observations"] == []
    assert gateway.http("DELETE", "/v1/devices/o-x/observe/1/0")[0] == 404
    assert gateway.http("POST", "/v1/devices/nobody/observe/1/0")[0] == 404


def test_notification_from_a_sleeping_device_delivers_its_queue(
        gateway_factory, devices):
    """A notification is a message like any other: the queue-mode device
    that sends one is awake, and its queued ops go at once."""
    gw = gateway_factory(registry={"awake_window": 1})
    dev = devices(gw, "o-nq", b="UQ", answers={
        "GET 1/0": ("2.05", b"a", 0, None),
        "PUT 1/0/1": ("2.04", b"", None, None)})
    assert gw.http("POST", "/v1/devices/o-nq/observe/1/0")[0] == 201
    wait_for(lambda: "1/0" in dev.observers, what="the observe GET")
    gw.wait_state("o-nq", "sleeping", timeout=5)
    status, hdrs, _ = gw.http("PUT", "/v1/devices/o-nq/r/1/0/1", body="7",
                              headers={"Content-Type": "text/plain"})
    assert status == 202
    op = gw.get_json(hdrs["location"])["op"]
    assert "PUT 1/0/1" not in [k for k, _ in dev.seen]
    dev.notify("1/0", b"b", 2)
    wait_for(lambda: gw.get_json("/v1/ops/%d" % op)["state"] == "done",
             what="the op delivered after the notification")


def _observe(gw, ep, path):
    return gw.http("POST", "/v1/devices/%s/observe/%s" % (ep, path))


def test_observation_caps_answer_429_and_keep_nothing(gateway_factory):
    """An operate token cannot pile up observations without bound: per
    device and in all, the next one is 429 with a JSON reason, and nothing
    of it is kept (it survives no restart either)."""
    gw = gateway_factory(cache={"max_observations": 5,
                                "max_observations_per_device": 3})
    gw.register("cap-a")
    gw.register("cap-b")
    for i in range(3):
        assert _observe(gw, "cap-a", "3/0/%d" % i)[0] == 201
    status, _, body = _observe(gw, "cap-a", "3/0/9")
    assert status == 429, body
    doc = json.loads(body)
    assert doc["error"] == "too_many_observations"
    assert "max_observations_per_device" in doc["detail"], doc
    # The same resource again is still the one it is (200), not 429.
    assert _observe(gw, "cap-a", "3/0/0")[0] == 200
    for i in range(2):
        assert _observe(gw, "cap-b", "3/0/%d" % i)[0] == 201
    status, _, body = _observe(gw, "cap-b", "3/0/9")
    assert status == 429 and b"max_observations" in body, body
    # A cancelled one makes room.
    assert gw.http("DELETE", "/v1/devices/cap-a/observe/3/0/0")[0] == 204
    assert _observe(gw, "cap-b", "3/0/9")[0] == 201
    gw.restart()
    assert len(gw.get_json("/v1/observations")["observations"]) == 5


def test_observations_come_in_pages(gateway_factory):
    gw = gateway_factory()
    want = []
    for ep in ("pg-b", "pg-a"):
        gw.register(ep)
        for i in (2, 0, 1):
            assert _observe(gw, ep, "3/0/%d" % i)[0] == 201
            want.append("%s/3/0/%d" % (ep, i))
    want.sort()
    seen, after = [], None
    while True:
        q = "/v1/observations?limit=4" + ("&after=" + after if after else "")
        doc = gw.get_json(q)
        seen += ["%s/%s" % (o["ep"], o["path"]) for o in doc["observations"]]
        assert len(doc["observations"]) <= 4
        if doc["next"] is None:
            break
        after = doc["next"]
    assert seen == want
    assert gw.http("GET", "/v1/observations?limit=0")[0] == 400


def test_cancelling_leaves_the_devices_ack_unanswered(gateway, devices):
    """DELETE of an observation sends GET with Observe=1; the device's
    piggybacked answer (an ACK) is not answered with an RST (RFC 7252
    4.2: an ACK is never rejected), though the observation is gone."""
    dev = devices(gateway, "o-cx", answers={"GET 1/0": ("2.05", b"a", 0,
                                                        None)})
    assert gateway.http("POST", "/v1/devices/o-cx/observe/1/0")[0] == 201
    dev.wait_answered("GET 1/0")
    assert gateway.http("DELETE", "/v1/devices/o-cx/observe/1/0")[0] == 204
    dev.wait_answered("GET 1/0", 2)
    cancel = dev.seen[-1][1]
    assert (6, b"\x01") in cancel["options"]        # Observe: 1
    # The gateway reads the device's datagrams in order: once the answer
    # to a later update is in, an RST for the ACK would have come first.
    assert dev.update()["code"] == "2.04"
    assert dev.rsts() == []
    # A notification of the cancelled observation is still refused.
    dev.observers["1/0"] = (cancel["token"], ("127.0.0.1",
                                              gateway.coap_port))
    dev.notify("1/0", b"late", 5)
    with dev.cond:
        assert dev.cond.wait_for(lambda: dev.rsts(), 5)
