"""
The LwM2M device-management operations through the API, each against the
scripted device (which records what the gateway sends and answers what the
test chose) and, where it supports the operation, the real agent: create
(201 with the new instance's Location), Write-Attributes on its own route,
Execute with arguments, write as replace (PUT) and partial update (POST),
Read-Composite (FETCH with SenML), device errors as JSON, and cached reads
that honour Accept. Each works queued for a sleeping device too.
"""
import json

import pytest

from conftest import URI_QUERY, wait_for
from fakedev import ACCEPT, CONTENT_FORMAT, LOCATION_PATH, OBSERVE
from test_node import wait_registered
from test_queue import asleep, enqueue, wait_op

TLV = {"Content-Type": "application/vnd.oma.lwm2m+tlv"}
JSON = {"Content-Type": "application/json"}
# A TLV object instance's resource 0 = "x" (what a create sends).
TLV_BODY = bytes([0xC1, 0x00, 0x78])


def cbor(v):
    """CBOR (RFC 8949) of the small values SenML records use here."""
    def head(major, n):
        return bytes([major << 5 | n]) if n < 24 else \
            bytes([major << 5 | 24, n])
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, str):
        return head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    return head(5, len(v)) + b"".join(cbor(k) + cbor(x)
                                      for k, x in v.items())


def opts(m, number):
    return [v for n, v in m["options"] if n == number]


def created(loc):
    """A device's 2.01 with Location-Path segments loc."""
    return ("2.01", b"", None, None, None,
            [(LOCATION_PATH, s.encode()) for s in loc])


# -- create ---------------------------------------------------------------

def test_create_answers_201_with_the_new_instance(gateway, devices):
    dev = devices(gateway, "dm-c", answers={
        "POST 33605": created(["33605", "0"]),
        "POST 33606": ("2.01", b"", None, None),
        "POST 33607": created(["33607", "a b"])})
    status, hdrs, body = gateway.http("POST", "/v1/devices/dm-c/r/33605",
                                      body=TLV_BODY, headers=TLV)
    assert status == 201
    assert hdrs["location"] == "/v1/devices/dm-c/r/33605/0"
    assert hdrs["content-type"] == "application/json"
    assert json.loads(body) == {"path": "/33605/0"}
    assert dev.seen[0][1]["payload"] == TLV_BODY
    assert opts(dev.seen[0][1], CONTENT_FORMAT) == [(11542).to_bytes(2,
                                                                      "big")]
    # The instance's URL answers there.
    dev.answers["GET 33605/0"] = ("2.05", b"x", 0, None)
    assert gateway.http("GET", hdrs["location"])[::2] == (200, b"x")
    # No Location-Path (the request named the instance): no Location.
    status, hdrs, body = gateway.http("POST", "/v1/devices/dm-c/r/33606",
                                      body=TLV_BODY, headers=TLV)
    assert (status, json.loads(body)) == (201, {"path": None})
    assert "location" not in hdrs
    # A Location-Path that is no path segment is not passed on.
    status, hdrs, body = gateway.http("POST", "/v1/devices/dm-c/r/33607",
                                      body=TLV_BODY, headers=TLV)
    assert (status, json.loads(body)) == (201, {"path": None})
    assert "location" not in hdrs
    assert gateway.alive()


def test_queued_create_records_the_location(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "dm-cq",
                     {"POST 33605": created(["33605", "7"])})
    op = enqueue(gw, "POST", "/v1/devices/dm-cq/r/33605", body=TLV_BODY,
                 headers=TLV)
    dev.update()
    done = wait_op(gw, op, "done")
    assert done["result"] == {"status": 201, "path": "/33605/7",
                              "location": "/v1/devices/dm-cq/r/33605/7"}
    # Kept across a restart (the location is in the op's record).
    gw.restart()
    assert gw.get_json("/v1/ops/%d" % op)["result"]["location"] == \
        "/v1/devices/dm-cq/r/33605/7"


# -- Write-Attributes -------------------------------------------------------

def test_write_attributes_goes_as_a_put_with_a_query(gateway, devices):
    dev = devices(gateway, "dm-a", answers={
        "PUT 3303/0/5700": ("2.04", b"", None, None)})
    status, _, body = gateway.http(
        "PUT", "/v1/devices/dm-a/attributes/3303/0/5700?mode=wait&timeout=9",
        body='{"st":1,"lt":10,"gt":30.5,"pmax":10,"pmin":5,"epmax":null}',
        headers=JSON)
    assert (status, body) == (204, b"")
    key, m = dev.seen[0]
    assert key == "PUT 3303/0/5700"
    # In the order of LwM2M 5.1.2; null is the bare name (removes it);
    # the gateway's own parameters stay home.
    assert opts(m, URI_QUERY) == [b"pmin=5", b"pmax=10", b"gt=30.5",
                                  b"lt=10", b"st=1", b"epmax"]
    assert m["payload"] == b""
    assert opts(m, CONTENT_FORMAT) == []


@pytest.mark.parametrize("body,why", [
    ('{"pmin":5,"pmax":1}', b"pmin must not be above pmax"),
    ('{"epmin":9,"epmax":3}', b"epmin must not be above epmax"),
    ('{"lt":30,"gt":10}', b"lt must be below gt"),
    ('{"lt":10,"gt":30,"st":10}', b"lt + 2*st must be below gt"),
    ('{"pmin":1.5}', b"whole number"),
    ('{"pmin":-1}', b"whole number"),
    ('{"pmin":"5"}', b"a number or null"),
    ('{"st":-1}', b"st must not be negative"),
    ('{"foo":1}', b"unknown attribute 'foo'"),
    ('{"pmin":1,"pmin":2}', b"pmin given twice"),
    ('{}', b"no attribute given"),
    ('[5]', b"JSON object"),
    ('{"pmin":5} x', b"JSON object"),
])
def test_bad_attributes_are_refused_before_sending(gateway, devices, body,
                                                   why):
    dev = devices(gateway, "dm-ab")
    status, _, data = gateway.http(
        "PUT", "/v1/devices/dm-ab/attributes/3303/0/5700", body=body,
        headers=JSON)
    assert status == 400, data
    assert why in data
    assert dev.seen == []


def test_attribute_names_on_a_resource_write_are_refused(gateway, devices):
    """A PUT of /r/ with pmin in its query used to go out as an empty
    write that some clients acknowledge: now 400, naming the route."""
    dev = devices(gateway, "dm-an", answers={
        "PUT 3/0/9": ("2.04", b"", None, None)})
    status, _, body = gateway.http("PUT", "/v1/devices/dm-an/r/3/0/9"
                                   "?pmin=5&pmax=10")
    assert status == 400
    assert b"/v1/devices/dm-an/attributes/3/0/9" in body
    status, _, _ = gateway.http("GET", "/v1/devices/dm-an/r/3/0/9?gt=1")
    assert status == 400
    assert dev.seen == []
    # The gateway's own parameters are no attributes, and never sent.
    status, _, _ = gateway.http("PUT", "/v1/devices/dm-an/r/3/0/9"
                                "?timeout=5&mode=wait", body="1",
                                headers={"Content-Type": "text/plain"})
    assert status == 204
    assert opts(dev.seen[0][1], URI_QUERY) == []


def test_queued_write_attributes_keep_their_query(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "dm-aq",
                     {"PUT 3/0/9": ("2.04", b"", None, None)})
    op = enqueue(gw, "PUT", "/v1/devices/dm-aq/attributes/3/0/9",
                 body='{"pmin":2,"gt":null}', headers=JSON)
    assert gw.get_json("/v1/ops/%d" % op)["query"] == "pmin=2&gt"
    gw.restart()                # the query is in the op's record
    dev.update()
    assert wait_op(gw, op, "done")["result"] == {"status": 204}
    assert opts(dev.seen[0][1], URI_QUERY) == [b"pmin=2", b"gt"]


def test_write_attributes_on_the_agent(gateway, node_factory):
    node_factory(gateway, ep="dm-node")
    wait_registered(gateway, "dm-node")
    status, _, _ = gateway.http(
        "PUT", "/v1/devices/dm-node/attributes/3/0/9",
        body='{"pmin":5,"pmax":50}', headers=JSON)
    assert status == 204
    status, _, body = gateway.http("GET", "/v1/devices/dm-node/r/3/0"
                                   "?discover=1")
    assert status == 200
    assert b"</3/0/9>;pmin=5;pmax=50" in body


# -- Execute, write: replace and partial update ---------------------------

def test_execute_carries_its_arguments(gateway, devices):
    dev = devices(gateway, "dm-x", answers={
        "POST 3/0/4": ("2.04", b"", None, None)})
    status, _, _ = gateway.http("POST", "/v1/devices/dm-x/r/3/0/4",
                                body="0='abc',1,2=''",
                                headers={"Content-Type": "text/plain"})
    assert status == 204
    m = dev.seen[0][1]
    assert m["payload"] == b"0='abc',1,2=''"
    assert opts(m, CONTENT_FORMAT) == [b""]             # 0: text/plain


@pytest.mark.parametrize("args", [
    "a", "0=abc", "0='a b'", "0='a\"'", "0='a\\'", "0='abc", "0,", ",0",
    "10", "0='x'1", "0;1"])
def test_bad_execute_arguments_are_refused(gateway, devices, args):
    dev = devices(gateway, "dm-xb")
    status, _, body = gateway.http("POST", "/v1/devices/dm-xb/r/3/0/4",
                                   body=args,
                                   headers={"Content-Type": "text/plain"})
    assert status == 400, args
    assert b"execute arguments" in body
    assert dev.seen == []


def test_write_replace_and_partial_update(gateway, devices):
    dev = devices(gateway, "dm-w", answers={
        "PUT 1/0": ("2.04", b"", None, None),
        "POST 1/0": ("2.04", b"", None, None)})
    senml = '[{"bn":"/1/0/","n":"1","v":300}]'
    for method in ("PUT", "POST"):
        status, _, _ = gateway.http(
            method, "/v1/devices/dm-w/r/1/0", body=senml,
            headers={"Content-Type": "application/senml+json"})
        assert status == 204
    status, _, _ = gateway.http("POST", "/v1/devices/dm-w/r/1/0",
                                body=TLV_BODY, headers=TLV)
    assert status == 204
    assert [k for k, _ in dev.seen] == ["PUT 1/0", "POST 1/0", "POST 1/0"]
    # application/senml+json names a format devices speak: it goes as it
    # is (application/json is encoded: test_jsonwrite.py), TLV too.
    assert [m["payload"] for _, m in dev.seen] == [senml.encode()] * 2 + \
        [TLV_BODY]
    assert opts(dev.seen[0][1], CONTENT_FORMAT) == [bytes([110])]
    assert opts(dev.seen[2][1], CONTENT_FORMAT) == [(11542).to_bytes(2,
                                                                     "big")]


# -- Read-Composite ---------------------------------------------------------

COMPOSITE = '[{"bn":"/3/0/","n":"0","vs":"Outpost"},{"bn":"/3303/0/",' \
    '"n":"5700","v":21.5}]'


def test_read_composite_is_a_fetch_with_senml(gateway, devices):
    dev = devices(gateway, "dm-rc", answers={
        "FETCH ": ("2.05", COMPOSITE.encode(), 110, None)})
    status, hdrs, body = gateway.http(
        "POST", "/v1/devices/dm-rc/composite",
        body='{"paths":["/3/0/0","/3303/0/5700"]}', headers=JSON)
    assert status == 200
    assert hdrs["content-type"] == "application/senml+json"
    assert json.loads(body) == json.loads(COMPOSITE)
    key, m = dev.seen[0]
    assert key == "FETCH "          # on the root: no Uri-Path
    assert json.loads(m["payload"]) == [{"n": "/3/0/0"},
                                        {"n": "/3303/0/5700"}]
    assert opts(m, CONTENT_FORMAT) == [bytes([110])]
    assert opts(m, ACCEPT) == [bytes([110])]
    # A device that answers SenML CBOR anyway: converted.
    dev.answers["FETCH "] = ("2.05", cbor(
        [{-2: "/3/0/", 0: "0", 3: "Outpost"}]), 112, None)
    status, hdrs, body = gateway.http(
        "POST", "/v1/devices/dm-rc/composite", body='{"paths":["/3/0/0"]}')
    assert status == 200
    assert hdrs["content-type"] == "application/senml+json"
    assert json.loads(body) == [{"bn": "/3/0/", "n": "0", "vs": "Outpost"}]


@pytest.mark.parametrize("body", [
    '{"paths":[]}', '{"paths":["3/0/0"]}', '{"paths":["/3/0/0/1/2"]}',
    '{"paths":["/03"]}', '{"paths":["/65536"]}', '{"paths":["/"]}',
    '{"paths":[3]}', '{"paths":["/3","/3"]}', '{"path":["/3"]}',
    '{"paths":["/3"],"x":1}', '["/3"]', 'paths'])
def test_bad_composite_bodies_are_refused(gateway, devices, body):
    dev = devices(gateway, "dm-rcb")
    status, _, data = gateway.http("POST", "/v1/devices/dm-rcb/composite",
                                   body=body, headers=JSON)
    assert status == 400, (body, data)
    assert dev.seen == []
    status, _, _ = gateway.http("POST", "/v1/devices/dm-rcb/composite",
                                body='{"paths":["/3"]}',
                                headers={"Content-Type": "text/plain"})
    assert status == 415


def test_queued_read_composite(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "dm-rcq",
                     {"FETCH ": ("2.05", COMPOSITE.encode(), 110, None)})
    op = enqueue(gw, "POST", "/v1/devices/dm-rcq/composite",
                 body='{"paths":["/3/0/0","/3303/0/5700"]}', headers=JSON)
    queued = gw.get_json("/v1/ops/%d" % op)
    assert (queued["method"], queued["path"]) == ("FETCH", "")
    dev.update()
    done = wait_op(gw, op, "done")
    assert done["result"]["content_type"] == "application/senml+json"
    assert json.loads(done["result"]["body"]) == json.loads(COMPOSITE)
    assert json.loads(dev.seen[0][1]["payload"]) == [
        {"n": "/3/0/0"}, {"n": "/3303/0/5700"}]


# -- device errors ------------------------------------------------------------

def test_a_client_without_a_format_refuses_it(gateway, devices):
    """A client with a fixed set of formats, as Wakaama 1.0 (plain text,
    opaque, TLV, link-format): an Accept it lacks is its 4.06, a body in a
    format it lacks its 4.15, each a JSON error with the device's code; a
    JSON read (the gateway asks for no format and converts) and a JSON
    write (the gateway encodes TLV) work."""
    dev = devices(gateway, "dm-fmt", formats={0, 40, 42, 11542}, answers={
        "GET 3/0": ("2.05", bytes.fromhex("c800074f7574706f7374"), 11542,
                    None),
        "PUT 3/0/14": ("2.04", b"", None, None)})
    base = "/v1/devices/dm-fmt/r/"
    status, _, body = gateway.http(
        "GET", base + "3/0", headers={"Accept": "application/senml+cbor"})
    assert status == 406 and json.loads(body)["device_code"] == "4.06"
    status, _, body = gateway.http(
        "GET", base + "3/0", headers={"Accept": "application/json"})
    assert status == 200, body
    assert json.loads(body) == [{"bn": "/3/0/", "n": "0", "vs": "Outpost"}]
    one = '[{"bn":"/3/0/14","vs":"+02"}]'
    status, _, body = gateway.http(
        "PUT", base + "3/0/14", body=one,
        headers={"Content-Type": "application/senml+json"})
    assert status == 415 and json.loads(body)["device_code"] == "4.15"
    assert gateway.http("PUT", base + "3/0/14", body=one, headers={
        "Content-Type": "application/json"})[0] == 204
    assert opts(dev.seen[-1][1], CONTENT_FORMAT) == [(11542).to_bytes(2,
                                                                      "big")]


def test_device_errors_are_json(gateway, devices):
    devices(gateway, "dm-e", answers={
        "GET 3/0/0": ("4.06", b"", None, None),
        "GET 3/0/1": ("5.00", b"\xff\x00", 42, None),
        "PUT 3/0/1": ("4.05", b"read only\n", None, None),
        "GET 3/0/2": ("5.03", "dormi \u00e0 "
                      "l'heure".encode() * 30, None, 20)})
    status, hdrs, body = gateway.http("GET", "/v1/devices/dm-e/r/3/0/0")
    assert (status, hdrs["content-type"]) == (406, "application/json")
    assert json.loads(body) == {"error": "not_acceptable",
                                "device_code": "4.06", "detail":
                                "device dm-e answered 4.06 Not Acceptable"}
    # A diagnostic that is not text is left out.
    status, _, body = gateway.http("GET", "/v1/devices/dm-e/r/3/0/1")
    assert status == 500
    assert json.loads(body)["detail"] == \
        "device dm-e answered 5.00 Internal Server Error"
    # Text with a control character is no diagnostic either.
    status, _, body = gateway.http("PUT", "/v1/devices/dm-e/r/3/0/1",
                                   body="1",
                                   headers={"Content-Type": "text/plain"})
    assert (status, json.loads(body)["error"]) == (400,
                                                   "method_not_allowed")
    assert json.loads(body)["detail"].endswith("Method Not Allowed")
    # A long one is cut at a character, and 5.03 keeps its Retry-After.
    status, hdrs, body = gateway.http("GET", "/v1/devices/dm-e/r/3/0/2")
    assert (status, hdrs["retry-after"]) == (503, "20")
    detail = json.loads(body)["detail"]
    assert detail.startswith("device dm-e answered 5.03 Service "
                             "Unavailable: dormi \u00e0 l'heure")
    assert detail.endswith("...")
    assert len(detail.encode()) <= 200 + 60


def test_queued_ops_record_device_errors(gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "dm-eq",
                     {"DELETE 9/0": ("4.04", b"no such instance", 0, None)})
    op = enqueue(gw, "DELETE", "/v1/devices/dm-eq/r/9/0")
    dev.update()
    result = wait_op(gw, op, "done")["result"]
    assert result == {
        "status": 404, "error": "not_found", "device_code": "4.04",
        "detail": "device dm-eq answered 4.04 Not Found: no such instance",
        "content_type": "text/plain;charset=utf-8",
        "body": "no such instance"}


# -- cached reads and Accept --------------------------------------------------

def test_cached_reads_are_converted_as_live_ones(gateway, devices):
    pack = cbor([{-2: "/3/0/", 0: "9", 2: 87}])
    tlv = bytes([0xC1, 0x09, 0x57])         # /3/0/9 = 87 in TLV
    dev = devices(gateway, "dm-k", answers={
        "GET 3/0": ("2.05", pack, 112, 60),
        "GET 3/0/9": ("2.05", tlv, 11542, 60)})
    accept = {"Accept": "application/json"}
    for path, want in (("3/0", [{"bn": "/3/0/", "n": "9", "v": 87}]),
                       ("3/0/9", [{"bn": "/3/0/9", "v": 87}])):
        url = "/v1/devices/dm-k/r/" + path
        live = gateway.http("GET", url, headers=accept)
        assert (live[0], json.loads(live[2])) == (200, want)
        status, hdrs, body = gateway.http("GET", url + "?cached=1",
                                          headers=accept)
        assert (status, hdrs["content-type"]) == (200, "application/json")
        assert json.loads(body) == want
        assert hdrs["etag"] == live[1]["etag"]
        # Another representation, another ETag; each gives its 304.
        raw = gateway.http("GET", url + "?cached=1")
        assert raw[2] in (pack, tlv) and raw[1]["etag"] != hdrs["etag"]
        assert gateway.http("GET", url + "?cached=1", headers=dict(
            accept, **{"If-None-Match": hdrs["etag"]}))[0] == 304
        assert gateway.http("GET", url + "?cached=1", headers={
            "If-None-Match": hdrs["etag"]})[0] == 200
    assert len(dev.seen) == 2
    # An observed value in the cache: the same.
    assert gateway.http("POST", "/v1/devices/dm-k/observe/3/0")[0] == 201
    wait_for(lambda: "3/0" in dev.observers, what="observed")
    dev.notify("3/0", cbor([{-2: "/3/0/", 0: "9", 2: 90}]), 5,
               cf=112)
    wait_for(lambda: json.loads(gateway.http(
        "GET", "/v1/devices/dm-k/r/3/0?cached=1", headers=accept)[2]) ==
        [{"bn": "/3/0/", "n": "9", "v": 90}], what="the notification")
    assert opts(dev.seen[-1][1], OBSERVE) == [b""]
