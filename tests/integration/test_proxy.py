"""
The HTTP to CoAP proxy, /v1/devices/{ep}/r/{path...}: requests reach the
device on the session it registered from, answers come back mapped as RFC
8075 says, and what cannot reach a device says so. The device here is the
scripted FakeDevice, so that every CoAP answer is chosen by the test.
"""
import json
import socket
import threading

import pytest

from fakedev import ACCEPT, CONTENT_FORMAT, check_hung_up_request_dropped


def test_read_maps_content_and_format(gateway, devices):
    dev = devices(gateway, "px-1", answers={
        "GET 3/0/0": ("2.05", b"Outpost", 0, None),
        "GET 3/0": ("2.05", b'[{"bn":"/3/0/","n":"0","vs":"x"}]', 110, None),
        "GET 9/9": ("2.05", b"\x01\x02", 65000, None)})
    status, hdrs, body = gateway.http("GET", "/v1/devices/px-1/r/3/0/0")
    assert (status, body) == (200, b"Outpost")
    assert hdrs["content-type"] == "text/plain;charset=utf-8"
    status, hdrs, _ = gateway.http("GET", "/v1/devices/px-1/r/3/0")
    assert hdrs["content-type"] == "application/senml+json"
    status, hdrs, body = gateway.http("GET", "/v1/devices/px-1/r/9/9")
    assert hdrs["content-type"] == "application/coap-payload;cf=65000"
    assert body == b"\x01\x02"
    assert [k for k, _ in dev.seen] == ["GET 3/0/0", "GET 3/0", "GET 9/9"]


@pytest.mark.parametrize("code,status,name,phrase", [
    ("4.04", 404, "not_found", "Not Found"),
    ("4.05", 400, "method_not_allowed", "Method Not Allowed"),
    ("4.00", 400, "bad_request", "Bad Request"),
    ("5.00", 500, "internal_server_error", "Internal Server Error")])
def test_error_codes_are_mapped(gateway, devices, code, status, name,
                                phrase):
    devices(gateway, "px-err", answers={"GET 1/2": (code, b"why", 0, None)})
    got, hdrs, body = gateway.http("GET", "/v1/devices/px-err/r/1/2")
    assert got == status
    assert hdrs["content-type"] == "application/json"
    assert json.loads(body) == {
        "error": name, "device_code": code,
        "detail": "device px-err answered %s %s: why" % (code, phrase)}


def test_service_unavailable_carries_retry_after_from_max_age(gateway,
                                                               devices):
    devices(gateway, "px-busy", answers={"GET 5/0": ("5.03", b"", None, 30)})
    status, hdrs, _ = gateway.http("GET", "/v1/devices/px-busy/r/5/0")
    assert status == 503
    assert hdrs["retry-after"] == "30"


def test_write_execute_delete(gateway, devices):
    dev = devices(gateway, "px-w", answers={
        "PUT 3/0/14": ("2.04", b"", None, None),
        "POST 3/0/4": ("2.04", b"", None, None),
        "DELETE 9/0": ("2.02", b"", None, None)})
    status, _, body = gateway.http(
        "PUT", "/v1/devices/px-w/r/3/0/14", body="+02",
        headers={"Content-Type": "text/plain"})
    assert (status, body) == (204, b"")
    status, _, _ = gateway.http("POST", "/v1/devices/px-w/r/3/0/4")
    assert status == 204
    status, _, _ = gateway.http("DELETE", "/v1/devices/px-w/r/9/0")
    assert status == 204
    put = dev.seen[0][1]
    assert put["payload"] == b"+02"
    assert (CONTENT_FORMAT, b"") in put["options"]     # 0: text/plain


def test_unmapped_content_type_is_415_and_sends_nothing(gateway, devices):
    dev = devices(gateway, "px-415")
    status, _, body = gateway.http(
        "PUT", "/v1/devices/px-415/r/3/0/14", body="<b>",
        headers={"Content-Type": "text/html"})
    assert status == 415
    assert b"unsupported_media_type" in body
    assert dev.seen == []


def test_discover_asks_for_link_format(gateway, devices):
    dev = devices(gateway, "px-d", answers={
        "GET 3/0": ("2.05", b"</3/0/0>,</3/0/9>", 40, None)})
    status, hdrs, body = gateway.http("GET",
                                      "/v1/devices/px-d/r/3/0?discover=1")
    assert status == 200
    assert hdrs["content-type"] == "application/link-format"
    assert (ACCEPT, bytes([40])) in dev.seen[0][1]["options"]


def test_silent_device_times_out_with_504(gateway, devices):
    devices(gateway, "px-quiet", answers={"GET 1/0": None})
    status, _, body = gateway.http("GET", "/v1/devices/px-quiet/r/1/0"
                                   "?timeout=1", timeout=10)
    assert status == 504
    assert b'"timeout"' in body


def test_unknown_device_and_bad_timeout(gateway, devices):
    devices(gateway, "px-t")
    assert gateway.http("GET", "/v1/devices/nobody/r/3/0")[0] == 404
    for bad in ("0", "x", "3601", ""):
        status, _, _ = gateway.http("GET", "/v1/devices/px-t/r/3/0?timeout="
                                    + bad)
        assert status == 400, bad


def test_sleeping_device_with_mode_wait_fails_fast(gateway_factory,
                                                   devices):
    gw = gateway_factory(registry={"awake_window": 1})
    dev = devices(gw, "px-sleep", b="UQ", lt=120)
    gw.wait_state("px-sleep", "sleeping", timeout=5)
    status, hdrs, body = gw.http("GET",
                                 "/v1/devices/px-sleep/r/3/0/0?mode=wait")
    assert status == 503
    assert 1 <= int(hdrs["retry-after"]) <= 120
    assert b"sleeping" in body
    assert dev.seen == []


def test_nstart_one_keeps_requests_in_order(gateway, devices):
    # 1/0 is answered late, after its HTTP request timed out: until then
    # it holds the device's one place, and 2/0 waits its turn.
    dev = devices(gateway, "px-n", answers={
        "GET 1/0": ("2.05", b"one", 0, None, 2.0),
        "GET 2/0": ("2.05", b"two", 0, None)})
    results = {}

    def get(path, timeout):
        results[path] = gateway.http(
            "GET", "/v1/devices/px-n/r/%s?timeout=%d" % (path, timeout),
            timeout=15)[0]
    first = threading.Thread(target=get, args=("1/0", 1))
    first.start()
    dev.wait_seen(1)
    second = threading.Thread(target=get, args=("2/0", 8))
    second.start()
    first.join(10)
    second.join(10)
    assert results == {"1/0": 504, "2/0": 200}
    assert dev.events.index(("answered", "GET 1/0")) < \
        dev.events.index(("seen", "GET 2/0"))


def test_nstart_two_sends_both_at_once(gateway_factory, devices):
    gw = gateway_factory(proxy={"nstart": 2, "collapse": 0})
    dev = devices(gw, "px-n2", answers={"GET 1/0": None})
    threads = [threading.Thread(target=gw.http, args=(
        "GET", "/v1/devices/px-n2/r/1/0?timeout=3"), kwargs={"timeout": 10})
        for _ in range(2)]
    for t in threads:
        t.start()
    seen = dev.wait_seen(2, timeout=2.5)    # both before the first timeout
    assert len(seen) == 2
    for t in threads:
        t.join(10)


def test_client_that_hangs_up_does_not_hurt(gateway, devices):
    devices(gateway, "px-hup", answers={
        "GET 1/0": ("2.05", b"late", 0, None, 1.5),
        "GET 2/0": ("2.05", b"ok", 0, None)})
    with pytest.raises(OSError):
        gateway.http("GET", "/v1/devices/px-hup/r/1/0?timeout=3",
                     timeout=0.5)
    # The next request waits for the abandoned one's answer, then works.
    status, _, body = gateway.http("GET", "/v1/devices/px-hup/r/2/0",
                                   timeout=10)
    assert (status, body) == (200, b"ok")
    assert gateway.alive()


def test_decommission_ends_the_route(gateway, devices):
    devices(gateway, "px-dc", answers={"GET 1/0": ("2.05", b"x", 0, None)})
    assert gateway.http("GET", "/v1/devices/px-dc/r/1/0")[0] == 200
    assert gateway.http("DELETE", "/v1/devices/px-dc")[0] == 204
    assert gateway.http("GET", "/v1/devices/px-dc/r/1/0")[0] == 404


def test_block_wise_read_and_write_of_64_kib(gateway_factory, devices):
    big = bytes(range(256)) * 256                       # 64 KiB
    gw = gateway_factory(http={"max_body": 1 << 20})
    dev = devices(gw, "px-big", answers={
        "GET 9/0/1": ("2.05", big, 42, None),
        "PUT 9/0/2": ("2.04", b"", None, None)})
    status, hdrs, body = gw.http("GET", "/v1/devices/px-big/r/9/0/1",
                                 timeout=30)
    assert status == 200 and hdrs["content-type"] == \
        "application/octet-stream"
    assert body == big
    assert len([k for k, _ in dev.seen if k == "GET 9/0/1"]) == 64
    status, _, _ = gw.http("PUT", "/v1/devices/px-big/r/9/0/2", body=big,
                           headers={"Content-Type":
                                    "application/octet-stream"}, timeout=30)
    assert status == 204
    put = [m for k, m in dev.seen if k == "PUT 9/0/2"]
    assert len(put) == 1 and put[0]["payload"] == big


def test_body_over_the_limit_is_413_and_sends_nothing(gateway_factory,
                                                      devices):
    gw = gateway_factory(http={"max_body": 2048})
    dev = devices(gw, "px-413")
    status, _, _ = gw.http("PUT", "/v1/devices/px-413/r/9/0/2",
                           body=b"x" * 4096,
                           headers={"Content-Type":
                                    "application/octet-stream"})
    assert status == 413
    assert dev.seen == []


def test_accept_json_converts_tlv_and_senml_cbor(gateway, devices):
    # /3/0/9 = 87 as a TLV resource (type 0xC1: resource, 8-bit id, length
    # 1) and a one-record SenML CBOR pack [{0: "/3/0/9", 2: 87}].
    tlv = bytes([0xC1, 0x09, 87])
    cbor = bytes([0x81, 0xA2, 0x00, 0x66]) + b"/3/0/9" + bytes([0x02, 0x18,
                                                                87])
    devices(gateway, "px-json", answers={
        "GET 3/0/9": ("2.05", tlv, 11542, None),
        "GET 3/0/10": ("2.05", cbor, 112, None),
        "GET 3/0/11": ("2.05", b"\xc1", 11542, None)})
    json_accept = {"Accept": "application/json"}
    for path in ("3/0/9", "3/0/10"):
        status, hdrs, body = gateway.http(
            "GET", "/v1/devices/px-json/r/" + path, headers=json_accept)
        assert status == 200 and hdrs["content-type"] == "application/json"
        records = __import__("json").loads(body)
        assert [r.get("v") for r in records] == [87], body
    # Without Accept: the device's own format, untouched.
    status, hdrs, body = gateway.http("GET", "/v1/devices/px-json/r/3/0/9")
    assert hdrs["content-type"] == "application/vnd.oma.lwm2m+tlv"
    assert body == tlv
    # A truncated TLV cannot be converted: 502.
    assert gateway.http("GET", "/v1/devices/px-json/r/3/0/11",
                        headers=json_accept)[0] == 502


@pytest.mark.parametrize("collapse", [1, 0])
def test_identical_gets_on_the_way_share_one_request(gateway_factory,
                                                     devices, collapse):
    """GETs of a resource that arrive while one is on its way to the device
    get its answer ([proxy] collapse = 1), even when the client that caused
    it has hung up; a GET after the answer asks the device again. With
    collapse = 0 every GET is its own request."""
    gw = gateway_factory(proxy={"collapse": collapse})
    dev = devices(gw, "px-co", answers={
        "GET 1/0": ("2.05", b"shared", 0, None, 1.5)})
    results, hung_up = [], []

    def get(timeout=30):
        try:
            results.append(gw.http("GET", "/v1/devices/px-co/r/1/0",
                                   timeout=timeout)[::2])
        except OSError:
            hung_up.append(1)
    leader = threading.Thread(target=get, args=(0.5,))
    leader.start()
    dev.wait_seen(1)
    threads = [threading.Thread(target=get) for _ in range(4)]
    for t in threads:
        t.start()
    get(0.5)                            # hangs up too
    for t in threads + [leader]:
        t.join(30)
    assert hung_up == [1, 1]
    assert results == [(200, b"shared")] * 4
    requests = len(dev.requests("GET 1/0"))
    # Without collapsing each GET is its own request, except the last
    # hung-up one: it still waited its turn and never goes (the leader's
    # was on the wire when its client went, and stays there).
    assert requests == 1 if collapse else requests == 5, dev.seen
    assert gw.http("GET", "/v1/devices/px-co/r/1/0", timeout=10)[::2] == \
        (200, b"shared")
    assert len(dev.requests("GET 1/0")) == requests + 1


def test_request_whose_client_hung_up_never_goes(gateway_factory, devices):
    """A request waiting its turn for the device is dropped when its client
    closes the connection: the device is not asked for nobody."""
    gw = gateway_factory(proxy={"collapse": 0})
    check_hung_up_request_dropped(gw, devices, lambda: socket.create_connection(
        ("127.0.0.1", gw.http_port)))


def test_bytes_sent_ahead_keep_the_request(gateway_factory, devices):
    """A client that sends its next request while the first waits for the
    device has not hung up: both are answered, in order."""
    gw = gateway_factory(proxy={"collapse": 0})
    devices(gw, "px-pipe", answers={
        "GET 1/0": ("2.05", b"slow", 0, None, 1.0)})
    with socket.create_connection(("127.0.0.1", gw.http_port)) as c:
        c.settimeout(30)
        c.sendall(b"GET /v1/devices/px-pipe/r/1/0 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert gw.http("GET", "/v1/health")[0] == 200   # the GET is read
        c.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        got = b"".join(iter(lambda: c.recv(65536), b""))
    first, _, second = got.partition(b"HTTP/1.1 200")[2].partition(
        b"HTTP/1.1 ")
    assert b"slow" in first, got
    assert second.startswith(b"200") and b'"status":"ok"' in second, got
