"""
The single-device guard on /v1/devices/{ep}/r/...: while the gateway's
latest value of a device's /5/0/3 (Firmware Update State, from a read or a
notification) is 1 Downloading or 2 Downloaded, a reboot (POST 3/0/4), a
factory reset (POST 3/0/5) or a second update (a write of 5/0/1 or 5/0/0,
an execute of 5/0/2 while downloading) is refused with 409 and the reason,
sent now, waited for or queued alike, and the device gets nothing;
?force=1 lets it through and is never sent to the device. The execute of
5/0/2 while Downloaded is the apply itself and goes; once the device
accepted it, its Downloaded is forgotten.
"""
import json

from conftest import URI_QUERY, wait_for
from test_queue import asleep, enqueue, wait_op

DONE = ("2.04", b"", None, None)
TEXT = {"Content-Type": "text/plain"}


def state(value, cf=0):
    return ("2.05", value, cf, None)


def refused(gw, method, path, body=None, headers=None):
    """The 409 of the guard: its detail (the reason)."""
    status, hdrs, data = gw.http(method, path, body=body, headers=headers)
    assert status == 409, (status, data)
    assert hdrs["content-type"].startswith("application/json")
    doc = json.loads(data)
    assert doc["error"] == "update_in_progress", doc
    assert "?force=1" in doc["detail"]
    return doc["detail"]


def test_downloading_refuses_reboot_reset_and_second_update(gateway,
                                                            devices):
    dev = devices(gateway, "g-1", answers={
        "GET 5/0/3": state(b"1"), "POST 3/0/4": DONE, "POST 3/0/5": DONE,
        "PUT 5/0/1": DONE, "POST 5/0/2": DONE})
    assert gateway.http("GET", "/v1/devices/g-1/r/5/0/3")[::2] == \
        (200, b"1")
    why = refused(gateway, "POST", "/v1/devices/g-1/r/3/0/4")
    assert why.startswith("a firmware update is downloading on device "
                          "g-1 (/5/0/3 = 1, heard "), why
    refused(gateway, "POST", "/v1/devices/g-1/r/3/0/5")
    refused(gateway, "POST", "/v1/devices/g-1/r/5/0/2")
    refused(gateway, "PUT", "/v1/devices/g-1/r/5/0/1",
            body="coap://127.0.0.1/fw/x", headers=TEXT)
    # The same write in JSON, and with a path the device reads the same.
    refused(gateway, "PUT", "/v1/devices/g-1/r/5/0/1",
            body='[{"bn":"/5/0/1","vs":"coap://h/x"}]',
            headers={"Content-Type": "application/json"})
    refused(gateway, "POST", "/v1/devices/g-1/r/3/0/04")
    refused(gateway, "POST", "/v1/devices/g-1/r/3/0/4?mode=wait")
    assert gateway.http("POST", "/v1/devices/g-1/r/3/0/4?force=yes")[0] \
        == 400
    # Forced: it goes, and force is the gateway's, not the device's.
    assert gateway.http("POST", "/v1/devices/g-1/r/3/0/4?force=1")[0] == \
        204
    # Requests go to a device in order: had any refused one gone, it
    # would be there before the forced one.
    assert dev.requests() == ["GET 5/0/3", "POST 3/0/4"], dev.seen
    assert [v for n, v in dev.seen[1][1]["options"] if n == URI_QUERY] \
        == []
    # Reads and other writes are not held back.
    dev.answers["PUT 1/0/1"] = DONE
    assert gateway.http("PUT", "/v1/devices/g-1/r/1/0/1", body="60",
                        headers=TEXT)[0] == 204
    assert gateway.log().count("forced past the update guard") == 1
    assert gateway.alive()


def test_idle_update_lets_everything_go(gateway, devices):
    dev = devices(gateway, "g-0", answers={
        "GET 5/0/3": state(b"0"), "POST 3/0/4": DONE, "PUT 5/0/1": DONE})
    # Nothing heard of /5/0/3 yet: the gateway knows of no update.
    assert gateway.http("POST", "/v1/devices/g-0/r/3/0/4")[0] == 204
    assert gateway.http("GET", "/v1/devices/g-0/r/5/0/3")[::2] == \
        (200, b"0")
    assert gateway.http("POST", "/v1/devices/g-0/r/3/0/4")[0] == 204
    assert gateway.http("PUT", "/v1/devices/g-0/r/5/0/1", body="coap://h/x",
                        headers=TEXT)[0] == 204
    assert dev.requests() == ["POST 3/0/4", "GET 5/0/3", "POST 3/0/4",
                              "PUT 5/0/1"]


def test_downloaded_lets_the_apply_go_then_forgets(gateway, devices):
    # State 2 read as TLV: resource 3, one byte.
    dev = devices(gateway, "g-2", answers={
        "GET 5/0/3": state(bytes([0xC1, 0x03, 0x02]), 11542),
        "POST 3/0/4": DONE, "POST 5/0/2": DONE})
    assert gateway.http("GET", "/v1/devices/g-2/r/5/0/3")[0] == 200
    why = refused(gateway, "POST", "/v1/devices/g-2/r/3/0/4")
    assert "downloaded on device g-2 and not applied (/5/0/3 = 2" in why
    assert gateway.http("POST", "/v1/devices/g-2/r/5/0/2")[0] == 204
    # The device took the apply: what the gateway heard no longer holds.
    assert gateway.http("GET", "/v1/devices/g-2/r/5/0/3?cached=1")[0] == \
        504
    assert gateway.http("POST", "/v1/devices/g-2/r/3/0/4")[0] == 204
    assert dev.requests() == ["GET 5/0/3", "POST 5/0/2", "POST 3/0/4"]


def test_a_notification_sets_and_clears_it(gateway, devices):
    dev = devices(gateway, "g-obs", answers={
        "GET 5/0/3": state(b'[{"bn":"/5/0/3","v":1}]', 110),
        "POST 3/0/4": DONE})
    assert gateway.http("POST", "/v1/devices/g-obs/observe/5/0/3")[0] == \
        201
    wait_for(lambda: gateway.http(
        "GET", "/v1/devices/g-obs/r/5/0/3?cached=1")[0] == 200,
        what="the observation's first answer")
    refused(gateway, "POST", "/v1/devices/g-obs/r/3/0/4")
    dev.notify("5/0/3", b"0", 2)
    wait_for(lambda: gateway.http(
        "GET", "/v1/devices/g-obs/r/5/0/3?cached=1")[2] == b"0",
        what="Idle in the cache")
    assert gateway.http("POST", "/v1/devices/g-obs/r/3/0/4")[0] == 204
    assert dev.requests("POST 3/0/4") == ["POST 3/0/4"]


def test_queued_requests_are_guarded_too(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "g-q", {
        "GET 5/0/3": state(b"1"), "POST 3/0/4": DONE})
    # A queued read fills the cache when the device wakes.
    op = enqueue(gw, "GET", "/v1/devices/g-q/r/5/0/3")
    dev.update()
    wait_op(gw, op, "done")
    gw.wait_state("g-q", "sleeping")
    # Asleep: the reboot would be queued; refused, and nothing is stored.
    why = refused(gw, "POST", "/v1/devices/g-q/r/3/0/4")
    assert "(/5/0/3 = 1, heard" in why
    refused(gw, "POST", "/v1/devices/g-q/r/3/0/4?mode=queue")
    assert gw.get_json("/v1/devices/g-q/ops")["ops"] == []
    op = enqueue(gw, "POST", "/v1/devices/g-q/r/3/0/4?mode=queue&force=1")
    dev.update()
    wait_op(gw, op, "done")
    assert dev.requests() == ["GET 5/0/3", "POST 3/0/4"]
    assert [v for n, v in dev.seen[1][1]["options"] if n == URI_QUERY] \
        == []


def test_queue_mode_for_an_awake_device(gateway, devices):
    devices(gateway, "g-qa", answers={"GET 5/0/3": state(b"2")})
    assert gateway.http("GET", "/v1/devices/g-qa/r/5/0/3")[0] == 200
    refused(gateway, "PUT", "/v1/devices/g-qa/r/5/0/1?mode=queue",
            body="coap://h/x", headers=TEXT)
    assert gateway.get_json("/v1/devices/g-qa/ops")["ops"] == []


def test_a_queued_apply_forgets_downloaded(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "g-qp", {
        "GET 5/0/3": state(b"2"), "POST 5/0/2": DONE})
    op = enqueue(gw, "GET", "/v1/devices/g-qp/r/5/0/3")
    dev.update()
    wait_op(gw, op, "done")
    assert gw.http("GET", "/v1/devices/g-qp/r/5/0/3?cached=1")[0] == 200
    gw.wait_state("g-qp", "sleeping")
    refused(gw, "POST", "/v1/devices/g-qp/r/3/0/4")
    # The apply of a Downloaded update is queued, and taken on the wake.
    op = enqueue(gw, "POST", "/v1/devices/g-qp/r/5/0/2")
    dev.update()
    wait_op(gw, op, "done")
    assert gw.http("GET", "/v1/devices/g-qp/r/5/0/3?cached=1")[0] == 504
