"""
The durable operation queue: requests for a device that cannot be reached
now are stored (202 after the commit), delivered in order when the device is
next heard from, and their results kept for GET /v1/ops/{id}.
"""

import json

from conftest import wait_for


def asleep(gateway_factory, devices, ep, answers, **sections):
    """A gateway with a 1 s awake window and a queue-mode device on it,
    once the gateway counts the device as sleeping."""
    sections.setdefault("registry", {})["awake_window"] = 1
    gw = gateway_factory(**sections)
    dev = devices(gw, ep, answers=answers, b="UQ", lt=600)
    gw.wait_state(ep, "sleeping", timeout=5)
    return gw, dev


def enqueue(gw, method, path, body=None, headers=None, expect=202,
            states=("queued",)):
    status, hdrs, data = gw.http(method, path, body=body, headers=headers)
    assert status == expect, (status, data)
    if expect != 202:
        return None
    op = gw.get_json(hdrs["location"])
    assert op["state"] in states
    return op["op"]


def wait_op(gw, op, state, timeout=8.0):
    return wait_for(lambda: (lambda o: o if o["state"] == state else None)(
        gw.get_json("/v1/ops/%d" % op)), timeout, what="op %d %s" % (
        op, state))


def test_sleeping_device_gets_its_op_when_it_wakes(gateway_factory,
                                                   devices):
    gw, dev = asleep(gateway_factory, devices, "q-wake",
                     {"GET 3/0/0": ("2.05", b"Outpost", 0, None)})
    op = enqueue(gw, "GET", "/v1/devices/q-wake/r/3/0/0")
    assert dev.seen == []
    assert [o["op"] for o in gw.get_json(
        "/v1/devices/q-wake/ops")["ops"]] == [op]
    assert dev.update()["code"] == "2.04"
    done = wait_op(gw, op, "done")
    assert done["result"] == {"status": 200, "body": "Outpost",
                              "content_type": "text/plain;charset=utf-8"}
    assert done["attempts"] == 1
    assert gw.get_json("/v1/devices/q-wake/ops")["ops"] == []


def test_ops_are_delivered_in_order_one_at_a_time(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "q-order", {
        "PUT 1/0/1": ("2.04", b"", None, None),
        "PUT 1/0/2": ("2.04", b"", None, None),
        "GET 1/0": ("2.05", b"x", 0, None)})
    ops = [enqueue(gw, "PUT", "/v1/devices/q-order/r/1/0/1", body="a",
                   headers={"Content-Type": "text/plain"}),
           enqueue(gw, "PUT", "/v1/devices/q-order/r/1/0/2", body="b",
                   headers={"Content-Type": "text/plain"}),
           enqueue(gw, "GET", "/v1/devices/q-order/r/1/0")]
    assert ops == sorted(ops)
    dev.update()
    for op in ops:
        wait_op(gw, op, "done")
    assert [k for k, _ in dev.seen] == ["PUT 1/0/1", "PUT 1/0/2", "GET 1/0"]
    assert [m["payload"] for _, m in dev.seen[:2]] == [b"a", b"b"]


def test_cap_refuses_with_429_and_stores_nothing(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "q-cap", {},
                     queue={"max_per_device": 2})
    enqueue(gw, "GET", "/v1/devices/q-cap/r/1/0")
    enqueue(gw, "GET", "/v1/devices/q-cap/r/2/0")
    status, _, body = gw.http("GET", "/v1/devices/q-cap/r/3/0")
    assert status == 429
    assert b"queue_full" in body
    assert len(gw.get_json("/v1/devices/q-cap/ops")["ops"]) == 2


def test_op_past_its_ttl_expires_and_is_not_sent(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "q-ttl",
                     {"GET 1/0": ("2.05", b"late", 0, None)},
                     queue={"ttl": 1})
    op = enqueue(gw, "GET", "/v1/devices/q-ttl/r/1/0")
    wait_op(gw, op, "expired", timeout=5)
    dev.update()
    wait_for(lambda: gw.get_json("/v1/devices/q-ttl/ops")["ops"] == [],
             what="the expired op to leave the queue")
    assert dev.seen == []
    assert gw.get_json("/v1/ops/%d" % op)["state"] == "expired"


def test_cancel_a_queued_op(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "q-cancel",
                     {"GET 2/0": ("2.05", b"kept", 0, None)})
    first = enqueue(gw, "GET", "/v1/devices/q-cancel/r/1/0")
    second = enqueue(gw, "GET", "/v1/devices/q-cancel/r/2/0")
    assert gw.http("DELETE", "/v1/ops/%d" % first)[0] == 204
    assert gw.get_json("/v1/ops/%d" % first)["state"] == "cancelled"
    assert gw.http("DELETE", "/v1/ops/%d" % first)[0] == 409
    assert gw.http("DELETE", "/v1/ops/999999")[0] == 404
    dev.update()
    wait_op(gw, second, "done")
    assert [k for k, _ in dev.seen] == ["GET 2/0"]


def test_mode_wait_fails_fast_and_mode_queue_stores(gateway_factory,
                                                    devices):
    gw, dev = asleep(gateway_factory, devices, "q-mode",
                     {"GET 1/0": ("2.05", b"v", 0, None)})
    status, hdrs, _ = gw.http("GET", "/v1/devices/q-mode/r/1/0?mode=wait")
    assert status == 503 and int(hdrs["retry-after"]) >= 1
    assert gw.http("GET", "/v1/devices/q-mode/r/1/0?mode=bogus")[0] == 400
    assert gw.get_json("/v1/devices/q-mode/ops")["ops"] == []
    # An awake device asked to queue gets it at once.
    dev.update()
    op = enqueue(gw, "GET", "/v1/devices/q-mode/r/1/0?mode=queue",
                 states=("queued", "sending", "done"))
    assert wait_op(gw, op, "done")["result"]["body"] == "v"


def test_decommission_drops_the_queue(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "q-dc", {})
    op = enqueue(gw, "GET", "/v1/devices/q-dc/r/1/0")
    assert gw.http("DELETE", "/v1/devices/q-dc")[0] == 204
    assert gw.http("GET", "/v1/ops/%d" % op)[0] == 404


def test_failed_deliveries_are_retried_then_the_op_fails(gateway_factory,
                                                         devices):
    gw, dev = asleep(gateway_factory, devices, "q-fail", {"GET 1/0": None},
                     proxy={"timeout": 1}, queue={"max_attempts": 2})
    op = enqueue(gw, "GET", "/v1/devices/q-fail/r/1/0")
    dev.update()
    wait_for(lambda: gw.get_json("/v1/ops/%d" % op)["attempts"] == 1,
             timeout=8, what="the first attempt to fail")
    assert gw.get_json("/v1/ops/%d" % op)["state"] == "queued"
    # Back asleep: the next attempt comes with the next wake.
    dev.update()
    failed = wait_op(gw, op, "failed", timeout=8)
    assert failed["attempts"] == 2
    assert failed["result"]["status"] == 504


def test_queued_op_survives_kill_9(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "q-kill",
                     {"GET 1/0": ("2.05", b"after", 0, None)})
    op = enqueue(gw, "GET", "/v1/devices/q-kill/r/1/0")
    gw.kill9()
    gw.start()
    assert gw.get_json("/v1/ops/%d" % op)["state"] == "queued"
    # The gateway lost its sessions: the device's next update is its route.
    assert dev.update()["code"] == "2.04"
    assert wait_op(gw, op, "done")["result"]["body"] == "after"
    # Ids keep growing across the restart.
    assert enqueue(gw, "GET", "/v1/devices/q-kill/r/1/0?mode=queue",
                   states=("queued", "sending", "done")) > op


def test_kill_9_loop_loses_nothing_and_repeats_nothing(gateway_factory,
                                                       devices):
    """kill -9 at different moments of the queue's life: every op that got
    a 202 is delivered and done in the end, and an op whose result was
    recorded before a kill is never sent again."""
    gw, dev = asleep(gateway_factory, devices, "q-loop", {
        "PUT 1/0/%d" % i: ("2.04", b"", None, None) for i in range(40)})
    acked, sent_before = [], {}
    n = 0
    for rnd in range(5):
        for _ in range(4):
            acked.append(enqueue(gw, "PUT", "/v1/devices/q-loop/r/1/0/%d" % n,
                                 body=str(n), headers={"Content-Type":
                                                       "text/plain"}))
            n += 1
        if rnd % 2 == 1:
            dev.update()            # delivery under way when the kill hits
        done = {op for op in acked
                if gw.get_json("/v1/ops/%d" % op)["state"] == "done"}
        for op in done:
            sent_before[op] = len([1 for k, _ in dev.seen
                                   if k == "PUT 1/0/%d" % acked.index(op)])
        gw.kill9()
        gw.start()
        gw.wait_state("q-loop", "sleeping", timeout=5)
        for op in done:             # recorded results survive as they were
            assert gw.get_json("/v1/ops/%d" % op)["state"] == "done"
    dev.update()
    for op in acked:
        wait_op(gw, op, "done", timeout=10)
    seen = [k for k, _ in dev.seen]
    for i, op in enumerate(acked):
        assert "PUT 1/0/%d" % i in seen, "op %d never delivered" % op
        if op in sent_before:
            assert seen.count("PUT 1/0/%d" % i) == sent_before[op], \
                "op %d sent again after its result was recorded" % op
    # Delivered in order: first deliveries follow the op ids.
    first = sorted(range(len(acked)), key=lambda i: seen.index(
        "PUT 1/0/%d" % i))
    assert first == list(range(len(acked)))


def test_device_ops_are_listed_a_page_at_a_time(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "q-page", {})
    ops = [enqueue(gw, "GET", "/v1/devices/q-page/r/%d/0" % i)
           for i in range(5)]
    got, after = [], ""
    for _ in range(5):
        page = gw.get_json("/v1/devices/q-page/ops?limit=2" + after)
        got += [o["op"] for o in page["ops"]]
        if page["next"] is None:
            break
        after = "&after=%d" % page["next"]
    assert got == ops
    for bad in ("limit=0", "limit=1001", "limit=x", "after=0", "after=x"):
        assert gw.http("GET", "/v1/devices/q-page/ops?" + bad)[0] == 400


def test_a_full_store_answers_507(gateway_factory, devices):
    """When the LMDB map is full, what could not be stored is 507 (the
    operator raises [store] map_size_mb), not a bare 500; what was stored
    before stays, and reads go on."""
    gw, dev = asleep(gateway_factory, devices, "q-full", {},
                     store={"map_size_mb": 1},
                     queue={"max_per_device": 100000})
    body = b"x" * 60000
    ops, status, doc = [], 202, None
    for _ in range(200):
        status, _, raw = gw.http("PUT", "/v1/devices/q-full/r/3/0/15",
                                 body=body,
                                 headers={"Content-Type": "text/plain"})
        if status != 202:
            doc = json.loads(raw)
            break
        ops.append(json.loads(raw)["op"])
    assert status == 507, status
    assert doc["error"] == "insufficient_storage", doc
    assert "map_size_mb" in doc["detail"], doc
    assert ops and len(gw.get_json("/v1/devices/q-full/ops")["ops"]) == \
        len(ops)
    assert gw.http("GET", "/v1/health")[0] == 200
