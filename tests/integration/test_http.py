"""The northbound HTTP API: health, errors as JSON, 404, 405 with Allow, 413,
decommission, and /metrics counting what happened."""
import json
import socket

import pytest


def error_doc(status, hdrs, body, code):
    assert hdrs["content-type"].startswith("application/json"), hdrs
    doc = json.loads(body)
    assert doc["error"] == code, doc
    assert isinstance(doc["detail"], str) and doc["detail"], doc
    return doc


def test_health(gateway):
    doc = gateway.get_json("/v1/health")
    assert doc["status"] == "ok"
    assert doc["version"] == "0.1.0"
    assert isinstance(doc["uptime_s"], (int, float)) and doc["uptime_s"] >= 0
    assert doc["devices"] == 0
    gateway.register("h-1")
    gateway.register("h-2")
    assert gateway.get_json("/v1/health")["devices"] == 2


def test_head_is_get_without_body(gateway):
    status, hdrs, body = gateway.http("HEAD", "/v1/health")
    assert status == 200
    assert body == b""
    assert hdrs["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/nothing", "/v2/health",
                                  "/v1/devices/a/b", "/v1/health/x",
                                  "/metrics/x"])
def test_unknown_route_is_404_json(gateway, path):
    status, hdrs, body = gateway.http("GET", path)
    assert status == 404, body
    error_doc(status, hdrs, body, "not_found")


def test_unknown_device_is_404_json(gateway):
    status, hdrs, body = gateway.http("GET", "/v1/devices/ghost")
    assert status == 404
    doc = error_doc(status, hdrs, body, "not_found")
    assert "ghost" in doc["detail"]
    status, hdrs, body = gateway.http("DELETE", "/v1/devices/ghost")
    assert status == 404
    error_doc(status, hdrs, body, "not_found")


@pytest.mark.parametrize("method,path,allowed", [
    ("PUT", "/v1/devices/x", {"GET", "HEAD", "DELETE"}),
    ("POST", "/v1/devices/x", {"GET", "HEAD", "DELETE"}),
    ("POST", "/v1/health", {"GET", "HEAD"}),
    ("DELETE", "/v1/health", {"GET", "HEAD"}),
    ("PUT", "/v1/devices", {"GET", "HEAD", "POST"}),
    ("PATCH", "/metrics", {"GET", "HEAD"}),
])
def test_wrong_method_is_405_with_allow(gateway, method, path, allowed):
    status, hdrs, body = gateway.http(method, path, body=b"{}")
    assert status == 405, body
    assert set(hdrs["allow"].split(", ")) == allowed, hdrs["allow"]
    error_doc(status, hdrs, body, "method_not_allowed")


def test_body_over_max_body_is_413(gateway_factory):
    gw = gateway_factory(http={"max_body": 1024})
    status, _, _ = gw.http("POST", "/v1/devices", body=b"x" * 1025)
    assert status == 413
    status, _, _ = gw.http("PUT", "/v1/devices/x", body=b"y" * 65536)
    assert status == 413
    # At the limit the request reaches the routes (provisioning: not JSON).
    status, hdrs, _ = gw.http("POST", "/v1/devices", body=b"x" * 1024)
    assert status == 400
    assert gw.get_json("/v1/health")["status"] == "ok"


def test_default_max_body_is_64k(gateway):
    assert gateway.http("POST", "/v1/health", body=b"x" * 65536)[0] == 405
    assert gateway.http("POST", "/v1/health", body=b"x" * 65537)[0] == 413


def test_decommission(gateway):
    gw = gateway
    reg_id = gw.register("retiree", links="</3/0>")
    gw.register("colleague")
    status, _, body = gw.http("DELETE", "/v1/devices/retiree")
    assert status == 204
    assert body == b""
    status, hdrs, body = gw.http("GET", "/v1/devices/retiree")
    assert status == 404
    error_doc(status, hdrs, body, "not_found")
    assert gw.http("DELETE", "/v1/devices/retiree")[0] == 404
    assert [d["ep"] for d in gw.devices()["devices"]] == ["colleague"]
    # Its registration went with it.
    assert gw.update(reg_id).code == "4.04"
    m = gw.metrics()
    assert m["outpost_decommissions_total"] == 1
    assert m["outpost_deregistrations_total"] == 0
    assert m['outpost_devices{state="awake"}'] == 1
    # The endpoint may register afresh.
    assert gw.register("retiree") != reg_id


def test_percent_encoded_endpoint(gateway):
    gateway.register("urn:dev:42")
    d = gateway.get_json("/v1/devices/urn%3Adev%3A42")
    assert d["ep"] == "urn:dev:42"
    assert gateway.get_json("/v1/devices/urn:dev:42")["ep"] == "urn:dev:42"
    assert gateway.http("GET", "/v1/devices/urn%3Adev%3A4")[0] == 404
    assert gateway.http("DELETE", "/v1/devices/urn%3adev%3a42")[0] == 204


@pytest.mark.parametrize("path", ["/v1/devices/%00", "/v1/devices/%ZZ",
                                  "/v1/devices/%", "/v1/devices/a%2Fb",
                                  "/v1/devices/" + "x" * 300])
def test_hostile_device_paths_are_404(gateway, path):
    gateway.register("x")
    status, hdrs, body = gateway.http("GET", path)
    assert status == 404, body
    error_doc(status, hdrs, body, "not_found")
    assert gateway.get_json("/v1/health")["devices"] == 1


def test_query_string_does_not_change_the_route(gateway):
    assert gateway.get_json("/v1/health?verbose=1")["status"] == "ok"


def test_metrics_count_registry_events(gateway):
    gw = gateway
    m = gw.metrics()
    for name in ("outpost_registrations_total", "outpost_updates_total",
                 "outpost_deregistrations_total", "outpost_expiries_total",
                 "outpost_coap_messages_in_total",
                 "outpost_coap_messages_out_total"):
        assert m[name] == 0, name
    for st in ("awake", "sleeping", "expired"):
        assert m['outpost_devices{state="%s"}' % st] == 0

    a = gw.register("m-a")
    b = gw.register("m-b")
    assert gw.update(a, "lt=100").code == "2.04"
    assert gw.update(a).code == "2.04"
    assert gw.deregister(b).code == "2.02"
    assert gw.coap("post", "rd?lt=300", payload="</1/0>",
                   content_format=40).code == "4.00"
    m = gw.metrics()
    assert m["outpost_registrations_total"] == 2
    assert m["outpost_updates_total"] == 2
    assert m["outpost_deregistrations_total"] == 1
    assert m['outpost_devices{state="awake"}'] == 1
    assert m['outpost_devices{state="sleeping"}'] == 0
    # 2 registers, 2 updates, 1 deregister, 1 refused register.
    assert m["outpost_coap_messages_in_total"] == 6
    assert m["outpost_coap_messages_out_total"] == 6


def test_metrics_count_http_requests(gateway):
    gw = gateway
    key = 'outpost_http_requests_total{route="%s",status="%d"}'
    before = gw.metrics()   # the readiness probe already counted
    for _ in range(3):
        gw.http("GET", "/v1/health")
    gw.http("GET", "/v1/devices/nobody")
    gw.http("GET", "/v1/devices/nobody")
    gw.http("PUT", "/v1/devices/nobody")
    gw.http("GET", "/v1/devices")
    gw.http("GET", "/v1/devices?limit=0")
    gw.http("GET", "/no/such/route")
    m = gw.metrics()

    def delta(route, status):
        k = key % (route, status)
        return m.get(k, 0) - before.get(k, 0)
    assert delta("/v1/health", 200) == 3
    assert delta("/v1/devices/{ep}", 404) == 2
    assert delta("/v1/devices/{ep}", 405) == 1
    assert delta("/v1/devices", 200) == 1
    assert delta("/v1/devices", 400) == 1
    assert delta("/metrics", 200) == 1
    unmatched = [k for k in m
                 if k.startswith("outpost_http_requests_total{")
                 and 'status="404"' in k and "/v1/devices/{ep}" not in k]
    assert len(unmatched) == 1 and m[unmatched[0]] == 1, unmatched


def test_metrics_are_prometheus_text(gateway):
    status, hdrs, body = gateway.http("GET", "/metrics")
    assert status == 200
    assert hdrs["content-type"].startswith("text/plain")
    text = body.decode()
    assert text.endswith("\n")
    for name in ("outpost_devices", "outpost_registrations_total",
                 "outpost_coap_messages_in_total"):
        assert "# TYPE %s " % name in text
        assert "# HELP %s " % name in text
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name, value = line.rsplit(" ", 1)
        float(value)


def _rss_kib(pid):
    with open("/proc/%d/status" % pid) as fp:
        for line in fp:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _endless_header(port, total):
    """Sends one header that never ends, up to total bytes (or until the
    gateway stops taking them), then reads: whether the gateway closed
    the connection (an answer then end of stream, or a reset) rather than
    waiting for more."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        chunk, sent = b"a" * 4096, 0
        while sent < total:
            s.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True             # end of stream: closed
            assert data.startswith(b"HTTP/1.1 4"), data[:80]
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False                    # still waiting for the header
    finally:
        s.close()


def test_endless_header_is_cut_at_the_limit(gateway):
    """No token needed to try: a header that never ends is closed at
    [http] max_header_bytes, and eight of them leave memory flat."""
    before = _rss_kib(gateway.proc.pid)
    for _ in range(8):
        assert _endless_header(gateway.http_port, 1 << 20), \
            "the gateway waits for more of a 1 MiB header"
    assert _rss_kib(gateway.proc.pid) - before < 4096
    status, _, _ = gateway.http("GET", "/v1/health")
    assert status == 200


def test_header_of_the_limit_is_still_served(gateway_factory):
    gw = gateway_factory(http={"max_header_bytes": 2048})
    status, _, _ = gw.http("GET", "/v1/health",
                           headers={"X-Pad": "p" * 1500})
    assert status == 200
    assert _endless_header(gw.http_port, 1 << 20)
