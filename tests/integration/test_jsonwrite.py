"""
Writes in JSON reach devices in a format they read. A write or create whose
body is SenML JSON (application/json or application/senml+json) is encoded
by the gateway, typed by the object model: TLV by default (every LwM2M 1.0
client reads it), SenML CBOR for a device whose registration lists 112 and
not TLV, or what ?format= names. The scripted device records the bytes it
got; a body that does not fit the model is refused with 400 before
anything is sent or queued; a device's 4.15 says which format was sent.
The real agent takes a JSON write of its Lifetime (/1/0/1, after a
bootstrap) and shows it on the next read.
"""
import json

from fakedev import CONTENT_FORMAT
from test_dm import opts
from test_node_bootstrap import bootstrap_servers, start  # noqa: F401
from test_queue import asleep, enqueue, wait_op

JSON = {"Content-Type": "application/json"}
SENML = {"Content-Type": "application/senml+json"}
TLV_CF = [(11542).to_bytes(2, "big")]


def ok(dev, key):
    dev.answers[key] = ("2.04", b"", None, None)


def sent(dev, i=-1):
    """The payload and Content-Format of the i-th request the device saw."""
    _, m = dev.seen[i]
    cf = opts(m, CONTENT_FORMAT)
    return m["payload"], cf


def test_json_writes_go_as_tlv(gateway, devices):
    dev = devices(gateway, "jw-tlv", answers={
        "PUT 3/0/14": ("2.04", b"", None, None),
        "PUT 3/0": ("2.04", b"", None, None),
        "POST 3/0": ("2.04", b"", None, None),
        "PUT 3/0/7": ("2.04", b"", None, None),
        "PUT 1/0/1": ("2.04", b"", None, None)})
    base = "/v1/devices/jw-tlv/r/"
    # One resource: a String as its bytes. application/senml+json names a
    # format devices speak and goes as it is, unless ?format= says.
    one = '[{"bn":"/3/0/14","vs":"+02"}]'
    for hdrs, query in ((JSON, ""), (SENML, "?format=tlv")):
        status, _, body = gateway.http("PUT", base + "3/0/14" + query,
                                       body=one, headers=hdrs)
        assert status == 204, body
        assert sent(dev) == (b"\xC3\x0E+02", TLV_CF)
    assert gateway.http("PUT", base + "3/0/14", body=one,
                        headers=SENML)[0] == 204
    assert sent(dev) == (one.encode(), [bytes([110])])
    # An instance, replaced and updated: resources by the model's types.
    pack = '[{"bn":"/3/0/","n":"15","vs":"UTC"},{"n":"13","v":1700000000}]'
    want = b"\xC4\x0D\x65\x53\xF1\x00\xC3\x0FUTC"
    for method in ("PUT", "POST"):
        assert gateway.http(method, base + "3/0", body=pack,
                            headers=JSON)[0] == 204
        assert sent(dev) == (want, TLV_CF)
    # A multiple resource: its instances in one TLV.
    assert gateway.http("PUT", base + "3/0/7", body='[{"bn":"/3/0/7/",'
                        '"n":"0","v":3800},{"n":"1","v":5000}]',
                        headers=JSON)[0] == 204
    assert sent(dev)[0] == bytes.fromhex("88070842000ed842011388")
    # An Unsigned Integer keeps its top bit clear for a 1.0 client.
    assert gateway.http("PUT", base + "1/0/1", body='[{"bn":"/1/0/1",'
                        '"v":200}]', headers=JSON)[0] == 204
    assert sent(dev) == (b"\xC2\x01\x00\xC8", TLV_CF)
    assert len(dev.seen) == 7


def test_a_json_create_goes_as_object_instance_tlvs(gateway, devices):
    dev = devices(gateway, "jw-create", answers={
        "POST 3303": ("2.01", b"", None, None, None,
                      [(8, b"3303"), (8, b"0")])})
    status, hdrs, body = gateway.http(
        "POST", "/v1/devices/jw-create/r/3303",
        body='[{"bn":"/3303/0/","n":"5750","vs":"kitchen"}]', headers=JSON)
    assert status == 201, body
    assert hdrs["location"] == "/v1/devices/jw-create/r/3303/0"
    assert sent(dev) == (b"\x08\x00\x0A\xE7\x16\x76kitchen", TLV_CF)


def test_format_names_cbor_text_or_senml_json(gateway, devices):
    dev = devices(gateway, "jw-fmt", answers={
        "PUT 3/0/14": ("2.04", b"", None, None),
        "PUT 5/0/0": ("2.04", b"", None, None)})
    url = "/v1/devices/jw-fmt/r/3/0/14?format="
    inst = "/v1/devices/jw-fmt/r/3/0?format="
    pack = '[{"bn":"/3/0/14","vs":"+02"}]'
    assert gateway.http("PUT", url + "cbor", body=pack,
                        headers=JSON)[0] == 204
    assert sent(dev) == (b"\x81\xA2\x00\x67/3/0/14\x03\x63+02", [b"\x70"])
    assert gateway.http("PUT", url + "text", body=pack,
                        headers=JSON)[0] == 204
    payload, cf = sent(dev)
    assert payload == b"+02" and cf in ([], [b""])
    assert gateway.http("PUT", url + "senml-json", body=pack,
                        headers=JSON)[0] == 204
    assert sent(dev) == (pack.encode(), [bytes([110])])
    # Opaque has no text form: it goes as application/octet-stream.
    assert gateway.http("PUT", "/v1/devices/jw-fmt/r/5/0/0?format=text",
                        body='[{"bn":"/5/0/0","vd":"AP8"}]',
                        headers=JSON)[0] == 204
    assert sent(dev) == (b"\x00\xff", [bytes([42])])
    # What is no format, or no JSON write, is refused.
    n = len(dev.seen)
    status, _, body = gateway.http("PUT", url + "xml", body=pack,
                                   headers=JSON)
    assert status == 400 and b"tlv, cbor, text or senml-json" in body
    status, _, body = gateway.http("PUT", url + "tlv", body="+02",
                                   headers={"Content-Type": "text/plain"})
    assert status == 400 and b"SenML JSON body" in body
    assert gateway.http("GET", "/v1/devices/jw-fmt/r/3/0/14?format=tlv"
                        )[0] == 400
    status, _, body = gateway.http("PUT", inst + "text", body=(
        '[{"bn":"/3/0/","n":"14","vs":"a"},{"n":"15","vs":"b"}]'),
        headers=JSON)
    assert status == 400 and b"plain text holds one value" in body
    assert len(dev.seen) == n


def test_a_device_that_lists_cbor_gets_cbor(gateway, devices):
    dev = devices(gateway, "jw-ct", links=b'</>;rt="oma.lwm2m";ct="60 112",'
                  b'</3/0>', answers={"PUT 3/0/14": ("2.04", b"", None,
                                                     None)})
    assert gateway.http("PUT", "/v1/devices/jw-ct/r/3/0/14",
                        body='[{"bn":"/3/0/14","vs":"+02"}]',
                        headers=JSON)[0] == 204
    assert sent(dev)[1] == [b"\x70"]
    # One that lists TLV too gets TLV.
    dev2 = devices(gateway, "jw-ct2", links=b'</>;ct=112;ct=11542,</3/0>',
                   answers={"PUT 3/0/14": ("2.04", b"", None, None)})
    assert gateway.http("PUT", "/v1/devices/jw-ct2/r/3/0/14",
                        body='[{"bn":"/3/0/14","vs":"+02"}]',
                        headers=JSON)[0] == 204
    assert sent(dev2) == (b"\xC3\x0E+02", TLV_CF)


def test_bodies_that_do_not_fit_are_refused_before_sending(gateway,
                                                           devices):
    dev = devices(gateway, "jw-bad", answers={
        "PUT 3/0/14": ("2.04", b"", None, None)})
    cases = [
        ("3/0/14", '[{"bn":"/3/0/14","v":2}]', "is String: give its "
         "value as \\\"vs\\\""),
        ("3/0/14", '[{"bn":"/3/0/15","vs":"x"}]', "is not the resource "
         "of the path written"),
        ("3/0", '[{"bn":"/3/0/99","vs":"x"}]', "has no resource 99"),
        ("3/0/9", '[{"bn":"/3/0/9","v":1.5}]', "not an integer"),
        ("3/0/9", '[{"bn":"/3/0/9","v":1e300}]', "beyond 2^53"),
        ("1/0/1", '[{"bn":"/1/0/1","v":-1}]', "below 0"),
        ("5/0/0", '[{"bn":"/5/0/0","vd":"AQ=="}]', "not base64url"),
        ("33605", '[{"bn":"/33605/0/1","vs":"x"}]', "object 33605 is not "
         "in the object model"),
        ("3/0/14", 'not json', "not JSON"),
        ("3/0/14", '{"vs":"x"}', "an array of records"),
        ("3/0/14", '[{"bn":"3/0/14","vs":"x"}]', "not an LwM2M path"),
    ]
    for path, body, why in cases:
        status, hdrs, data = gateway.http(
            "PUT" if "/" in path else "POST",
            "/v1/devices/jw-bad/r/" + path, body=body, headers=JSON)
        assert status == 400, (path, body, data)
        assert hdrs["content-type"] == "application/json"
        doc = json.loads(data)
        assert doc["error"] == "bad_request"
        assert why.replace('\\"', '"') in doc["detail"], (why, doc)
    assert dev.seen == []
    # A plain CoAP resource's JSON (outpost-node's /config) goes as it is.
    dev.answers["PUT config"] = ("2.04", b"", None, None)
    assert gateway.http("PUT", "/v1/devices/jw-bad/r/config",
                        body='{"node":{"sleep":9}}', headers=JSON)[0] == 204
    assert sent(dev) == (b'{"node":{"sleep":9}}', [bytes([50])])


def test_a_device_refusing_the_format_is_told_apart(gateway, devices):
    dev = devices(gateway, "jw-415", answers={
        "PUT 3/0/14": ("4.15", b"write as text/plain (0)", None, None)})
    status, hdrs, body = gateway.http(
        "PUT", "/v1/devices/jw-415/r/3/0/14",
        body='[{"bn":"/3/0/14","vs":"+02"}]', headers=JSON)
    assert status == 415
    doc = json.loads(body)
    assert doc["device_code"] == "4.15"
    assert doc["detail"] == (
        "device jw-415 answered 4.15 Unsupported Content-Format: write as "
        "text/plain (0) (the gateway sent the JSON body as tlv, "
        "Content-Format 11542: ?format=tlv, cbor, text or senml-json sends "
        "another)")
    assert sent(dev) == (b"\xC3\x0E+02", TLV_CF)
    # A write the gateway did not convert says nothing of it.
    status, _, body = gateway.http("PUT", "/v1/devices/jw-415/r/3/0/14",
                                   body="+02", headers={"Content-Type":
                                                        "text/plain"})
    assert status == 415
    assert "gateway sent" not in json.loads(body)["detail"]


def test_queued_json_writes_store_the_converted_body(gateway_factory,
                                                     devices):
    gw, dev = asleep(gateway_factory, devices, "jw-q",
                     {"PUT 3/0/14": ("2.04", b"", None, None)})
    url = "/v1/devices/jw-q/r/3/0/14"
    # Refused at once, and nothing stored.
    status, _, body = gw.http("PUT", url, body='[{"bn":"/3/0/14","v":1}]',
                              headers=JSON)
    assert status == 400, body
    assert gw.get_json("/v1/devices/jw-q/ops")["ops"] == []
    op = enqueue(gw, "PUT", url, body='[{"bn":"/3/0/14","vs":"+02"}]',
                 headers=JSON)
    # Kept as TLV across a restart, and sent as TLV when the device wakes.
    gw.restart()
    dev.update()
    assert wait_op(gw, op, "done")["result"]["status"] == 204
    assert sent(dev) == (b"\xC3\x0E+02", TLV_CF)


def test_the_agent_takes_a_json_write_of_its_lifetime(
        gateway_factory, node_factory, bootstrap_servers):
    gw, bss, node = start(gateway_factory, node_factory, bootstrap_servers,
                          "jw-node")
    bss.wait_finished("jw-node")
    node.wait_log("jw-node: registered as")
    url = "/v1/devices/jw-node/r/1/0/1"
    for lifetime, query in ((900, ""), (1200, "?format=cbor")):
        mark = node.log_mark()
        status, _, body = gw.http("PUT", url + query, body=json.dumps(
            [{"bn": "/1/0/1", "v": lifetime}]), headers=JSON)
        assert status == 204, body
        node.wait_log("lifetime %d s" % lifetime, since=mark)
        status, hdrs, body = gw.http("GET", url, headers={
            "Accept": "application/json"})
        assert status == 200, body
        assert [r.get("v") for r in json.loads(body)] == [lifetime]
    # The agent writes /5/0/1 as plain text or TLV (the default for it):
    # SenML CBOR gets its 4.15, which says what went.
    status, _, body = gw.http("PUT", "/v1/devices/jw-node/r/5/0/1?format=cbor",
                              body='[{"bn":"/5/0/1","vs":""}]', headers=JSON)
    assert status == 415, body
    assert "sent the JSON body as cbor" in json.loads(body)["detail"]
    for query in ("", "?format=text"):
        assert gw.http("PUT", "/v1/devices/jw-node/r/5/0/1" + query,
                       body='[{"bn":"/5/0/1","vs":""}]',
                       headers=JSON)[0] in (200, 204)
