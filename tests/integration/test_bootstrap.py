"""
The LwM2M Bootstrap server (issue 15): [bootstrap] listeners of their own,
configurations per endpoint and per tag over the API, the exchange with a
scripted client that behaves as Wakaama and Zephyr do (bsdev.py), the DM
credential the gateway issues and the device then registers with over
DTLS (dtlsdev.c, with the key the client received in the Bootstrap-Write:
the test reads it nowhere else), the old credential kept until the new one
is used, failures half-way and their retry, the re-bootstrap trigger, and
hostile requests and answers.
"""
import json
import os
import socket
import subprocess

import pytest

from bsdev import BootstrapClient, SENML_CBOR, TLV, tlv_int
from conftest import (COAP_CLIENT, COAP_TIMEOUT, CONTENT_FORMAT, URI_PATH,
                      URI_QUERY, CoapResult, coap_exchange, coap_message,
                      free_port, wait_for)
from test_dtls import Device, dtlsdev       # noqa: F401 (fixture)
from test_events import SSE

FACTORY_KEY = "factory-key-0123"            # 16 bytes, as -k takes it
FACTORY_HEX = FACTORY_KEY.encode().hex()


def bs_gateway(gateway_factory, **sections):
    """A gateway with both bootstrap listeners on and a short timeout."""
    plain, secure = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    boot = {"listen": "127.0.0.1:%d" % plain,
            "secure_listen": "127.0.0.1:%d" % secure, "timeout": 2}
    boot.update(sections.pop("bootstrap", {}))
    gw = gateway_factory(bootstrap=boot, **sections)
    gw.bs_port, gw.bss_port = plain, secure
    return gw


@pytest.fixture
def gw(gateway_factory):
    return bs_gateway(gateway_factory)


@pytest.fixture
def clients():
    made = []

    def make(gw, ep, **kw):
        c = BootstrapClient(gw, ep, **kw)
        made.append(c)
        return c
    yield make
    for c in made:
        c.close()


@pytest.fixture
def dtls(dtlsdev, tmp_path):
    """dtls(gw, ep, "pskhex", identity, hexkey) -> a dtlsdev registering
    over DTLS."""
    made = []

    def start(gw, ep, *cred):
        d = Device(dtlsdev, tmp_path, "coaps://127.0.0.1:%d" % gw.coaps_port,
                   ep, cred)
        made.append(d)
        return d
    yield start
    for d in made:
        d.stop()


def put(gw, path, doc):
    status, hdrs, body = gw.http("PUT", path, body=json.dumps(doc),
                                 headers={"Content-Type":
                                          "application/json"})
    return status, body


def configure(gw, ep, **doc):
    status, body = put(gw, "/v1/bootstrap/" + ep, doc)
    assert status in (200, 201), body
    return json.loads(body)


def state(gw, ep):
    return gw.get_json("/v1/bootstrap/" + ep)


def metric(gw, name):
    return gw.metrics().get(name, 0)


def register_dtls(dtls, gw, ep, identity, key, attempts=1):
    """Registers ep over DTLS with (identity, key bytes); the first line of
    the last attempt ("registered ..." or why not)."""
    for _ in range(attempts):
        d = dtls(gw, ep, "pskhex", identity.decode(), key.hex())
        line = d.wait_line("", timeout=15)
        if line.startswith("registered"):
            return line
        d.stop()
    return line


def bootstrap(clients, gw, ep, **kw):
    c = clients(gw, ep, **kw)
    assert c.request()["code"] == "2.04"
    assert c.wait_finish() == "2.04"
    wait_for(lambda: state(gw, ep)["state"] == "done", 5,
             what="%s bootstrapped" % ep)
    return c


# -- the exchange ----------------------------------------------------------

def test_bootstrap_then_register_over_dtls_with_the_issued_key(gw, clients,
                                                               dtls):
    sse = SSE(gw, "?type=bootstrap_started,bootstrap_done")
    doc = configure(gw, "bs-1", lifetime=300)
    assert doc["state"] == "pending"
    assert doc["server_uri"] == "coaps://127.0.0.1:%d" % gw.coaps_port
    c = bootstrap(clients, gw, "bs-1")
    # The standard's order, on the client's own session.
    assert c.keys() == ["GET ", "DELETE 0", "DELETE 1", "PUT 0/1", "PUT 1/0",
                        "POST bs"]
    get = c.seen[0][1]
    assert (17, b"\x28") in get["options"]             # Accept: 40
    assert all((CONTENT_FORMAT, TLV.to_bytes(2, "big")) in m["options"]
               for k, m in c.seen if k.startswith("PUT"))
    identity, key, uri = c.psk()
    assert identity == b"bs-1" and len(key) == 32
    assert uri == "coaps://127.0.0.1:%d" % gw.coaps_port
    sec, srv = c.dm_account()
    assert tlv_int(sec[2]) == 0 and tlv_int(sec[10]) == 1
    assert tlv_int(srv[1]) == 300 and srv[7] == b"U"
    assert c.objects["0"][0] == {1: b"\x01"}          # its bootstrap account
    # The key is nowhere in the API nor the log.
    assert key.hex() not in json.dumps(state(gw, "bs-1"))
    assert key.hex() not in gw.log()
    assert register_dtls(dtls, gw, "bs-1", identity, key).startswith(
        "registered")
    assert gw.device("bs-1")["credential"] == {"kind": "psk",
                                               "psk_identity": "bs-1"}
    sse.wait(lambda s: s.types() == ["bootstrap_started", "bootstrap_done"],
             "bootstrap events")
    data = json.loads(sse.events[1][2])
    assert data["ep"] == "bs-1" and data["security_mode"] == "psk"
    assert metric(gw, "outpost_bootstrap_done_total") == 1
    assert metric(gw, "outpost_bootstrap_started_total") == 1
    sse.close()


def test_senml_cbor_when_asked_and_tlv_after_a_415(gw, clients, dtls):
    configure(gw, "bs-cbor")
    c = bootstrap(clients, gw, "bs-cbor", senml=True)
    cf = [[v for n, v in m["options"] if n == CONTENT_FORMAT]
          for k, m in c.seen if k.startswith("PUT")]
    assert cf == [[bytes([SENML_CBOR])]] * 2
    identity, key, _ = c.psk()
    assert register_dtls(dtls, gw, "bs-cbor", identity, key).startswith(
        "registered")
    # Asks for SenML CBOR, then lacks it: 4.15, and the gateway writes
    # TLV from then on.
    configure(gw, "bs-415")
    c = bootstrap(clients, gw, "bs-415", pct=SENML_CBOR)
    assert c.keys() == ["GET ", "DELETE 0", "DELETE 1", "PUT 0/1",
                        "PUT 0/1", "PUT 1/0", "POST bs"]
    cf = [[v for n, v in m["options"] if n == CONTENT_FORMAT]
          for k, m in c.seen if k.startswith("PUT")]
    assert cf == [[bytes([SENML_CBOR])], [TLV.to_bytes(2, "big")],
                  [TLV.to_bytes(2, "big")]]
    assert c.psk()[0] == b"bs-415"


def test_unknown_endpoint_is_refused(gw, clients):
    c = clients(gw, "nobody")
    r = c.request()
    assert r["code"] == "4.03" and b"no bootstrap configuration" in \
        r["payload"]
    assert metric(gw, "outpost_bootstrap_refused_total") == 1
    assert gw.http("GET", "/v1/bootstrap/nobody")[0] == 404


def test_tag_configuration(gw, clients):
    status, body = put(gw, "/v1/bootstrap-tags/site-a",
                       {"lifetime": 120, "binding": "UQ"})
    assert status == 201, body
    assert gw.http("PUT", "/v1/devices/tagged-1/tags",
                   body='["site-a"]')[0] == 200
    doc = state(gw, "tagged-1")
    assert (doc["lifetime"], doc["binding"], doc["tag"]) == (120, "UQ",
                                                             "site-a")
    # Its own members come first; the tag fills the others.
    configure(gw, "tagged-1", lifetime=600)
    doc = state(gw, "tagged-1")
    assert (doc["lifetime"], doc["binding"]) == (600, "UQ")
    c = bootstrap(clients, gw, "tagged-1")
    _, srv = c.dm_account()
    assert tlv_int(srv[1]) == 600 and srv[7] == b"UQ"
    tags = gw.get_json("/v1/bootstrap-tags")
    assert tags["tags"] == [{"tag": "site-a", "lifetime": 120,
                             "binding": "UQ"}]
    assert gw.http("DELETE", "/v1/bootstrap-tags/site-a")[0] == 204
    assert state(gw, "tagged-1")["binding"] == "U"


# -- failures ----------------------------------------------------------------

def test_failure_half_way_then_retry(gw, clients, dtls):
    sse = SSE(gw, "?type=bootstrap_failed")
    configure(gw, "bs-half")
    c = clients(gw, "bs-half", answers={"PUT 1/0": ("5.00", b"")})
    assert c.request()["code"] == "2.04"
    wait_for(lambda: state(gw, "bs-half")["state"] == "failed", 5,
             what="failed")
    doc = state(gw, "bs-half")
    assert doc["reason"] == "Bootstrap-Write /1 answered 5.00", doc
    assert "POST bs" not in c.keys()
    sse.wait(lambda s: len(s.events) == 1, "bootstrap_failed")
    assert json.loads(sse.events[0][2])["reason"] == doc["reason"]
    # Nothing was issued: the key written to /0/1 cannot be used.
    sec = c.objects["0"][1]
    identity, key = sec[3], sec[5]
    assert gw.http("GET", "/v1/devices/bs-half")[0] == 404
    assert not register_dtls(dtls, gw, "bs-half", identity, key).startswith(
        "registered")
    # No answer at all: failed after [bootstrap] timeout.
    c2 = clients(gw, "bs-half", answers={"DELETE 1": None})
    assert c2.request()["code"] == "2.04"
    wait_for(lambda: state(gw, "bs-half").get("reason", "").startswith(
        "no answer to Bootstrap-Delete /1"), 8, what="a timeout")
    # The device asks again: done, and its key works.
    c3 = bootstrap(clients, gw, "bs-half")
    doc = state(gw, "bs-half")
    assert doc["attempts"] == 3 and "reason" not in doc
    identity, key, _ = c3.psk()
    assert register_dtls(dtls, gw, "bs-half", identity, key).startswith(
        "registered")
    assert metric(gw, "outpost_bootstrap_failed_total") == 2
    sse.close()


def test_decommission_ends_the_bootstrap_and_its_configuration(gw, clients):
    """A decommissioned device must not come back through its factory key:
    DELETE /v1/devices/{ep} removes its bootstrap configuration, a run in
    progress stops (nothing is issued), and the device's next
    Bootstrap-Request is refused. DELETE /v1/bootstrap/{ep} stops a run the
    same way."""
    sse = SSE(gw, "?type=bootstrap_failed")
    for ep, path in (("bs-gone", "/v1/devices/bs-gone"),
                     ("bs-unset", "/v1/bootstrap/bs-unset")):
        configure(gw, ep)
        c = clients(gw, ep, answers={"DELETE 1": None})   # stays silent
        assert c.request()["code"] == "2.04"
        c.wait_seen("DELETE 1")
        status, _, body = gw.http("DELETE", path)
        assert status == 204, body
        assert gw.http("GET", "/v1/bootstrap/" + ep)[0] == 404
        sse.wait(lambda s: any(json.loads(e[2])["ep"] == ep for e in
                               s.events), "the run stopped")
        assert "PUT 0/1" not in c.keys() and "POST bs" not in c.keys()
        assert gw.http("GET", "/v1/devices/" + ep)[0] == 404
        again = clients(gw, ep)
        assert again.request()["code"] == "4.03"
    assert metric(gw, "outpost_bootstrap_failed_total") == 2
    assert metric(gw, "outpost_bootstrap_done_total") == 0
    sse.close()


def test_asking_again_on_the_same_session(gw, clients):
    # The client gives up waiting for the server and asks again from the
    # same port: the run before is abandoned, the new one completes.
    configure(gw, "bs-again")
    c = clients(gw, "bs-again", answers={"GET ": None})
    assert c.request()["code"] == "2.04"
    c.wait_seen("GET ")
    c.answers = {}
    assert c.request()["code"] == "2.04"
    assert c.wait_finish() == "2.04"
    wait_for(lambda: state(gw, "bs-again")["state"] == "done", 5,
             what="done")
    assert state(gw, "bs-again")["attempts"] == 2
    assert metric(gw, "outpost_bootstrap_failed_total") == 0


def test_asking_again_while_the_done_commits(gw, clients):
    # The client asks again the moment it has answered the Finish, while
    # the run's credential and done are still on their way to the disk:
    # the run is abandoned, its commit lands all the same, and the new
    # run completes (the gateway once freed the run under its commit).
    configure(gw, "bs-commit")
    c = clients(gw, "bs-commit", again=1)
    assert c.request()["code"] == "2.04"
    with c.cond:
        assert c.cond.wait_for(lambda: c.finishes == 2, 10), c.keys()
    wait_for(lambda: metric(gw, "outpost_bootstrap_done_total") == 2, 5,
             what="both bootstraps done")
    assert gw.proc.poll() is None
    assert state(gw, "bs-commit")["state"] == "done"
    assert metric(gw, "outpost_bootstrap_failed_total") == 0


def test_finish_refused_is_a_failure(gw, clients):
    configure(gw, "bs-406")
    c = clients(gw, "bs-406", answers={"POST bs": ("4.06", b"")})
    assert c.request()["code"] == "2.04"
    wait_for(lambda: state(gw, "bs-406")["state"] == "failed", 5,
             what="failed")
    assert "4.06" in state(gw, "bs-406")["reason"]
    assert gw.http("GET", "/v1/devices/bs-406")[0] == 404


def test_hostile_answers(gw, clients):
    configure(gw, "bs-bad")
    for answer, why in [
            (("2.05", b"</0/0>;ssid=\"x\",<<garbage", 40),
             "Bootstrap-Discover answer: "),
            (("2.05", b"\xff\xfe\x00\x01", 40), "Bootstrap-Discover answer"),
            (("2.05", b"</>", 60), "not link-format"),
            (("2.05", b"</0/0>;ssid=70000", 40), "ssid"),
            (("2.01", b"", None), "Bootstrap-Discover answered 2.01")]:
        c = clients(gw, "bs-bad", answers={"GET ": answer})
        assert c.request()["code"] == "2.04"
        wait_for(lambda: why in state(gw, "bs-bad").get("reason", ""), 5,
                 what="reason %r" % why)
        assert "DELETE 0" not in c.keys()
        c.close()
    # A 4.xx to Discover is a client without it: it goes on.
    c = bootstrap(clients, gw, "bs-bad", answers={"GET ": ("4.05", b"")})
    assert c.keys()[-1] == "POST bs"
    assert gw.alive()


def test_old_credential_valid_until_the_new_one_is_used(gw, clients, dtls):
    old = b"old-key-of-16-by"
    status, _, body = gw.http("POST", "/v1/devices", body=json.dumps(
        {"ep": "bs-old", "psk_identity": "old-id", "psk_key": old.hex()}))
    assert status == 201, body
    assert register_dtls(dtls, gw, "bs-old", b"old-id", old).startswith(
        "registered")
    configure(gw, "bs-old")
    c = bootstrap(clients, gw, "bs-old")
    identity, new, _ = c.psk()
    # Both work until the device registers with the new one.
    assert register_dtls(dtls, gw, "bs-old", b"old-id", old).startswith(
        "registered")
    assert register_dtls(dtls, gw, "bs-old", identity, new).startswith(
        "registered")
    gw.wait_log("bs-old: registered with its issued credential")
    wait_for(lambda: gw.device("bs-old")["credential"]["psk_identity"] ==
             "bs-old", 5, what="the new credential")
    assert not register_dtls(dtls, gw, "bs-old", b"old-id", old).startswith(
        "registered")
    # Bootstrapped again: the new key has the same identity as the one in
    # use. A handshake is checked against one of them; after it fails, the
    # next is checked against the other. Both work until the new is used.
    c2 = bootstrap(clients, gw, "bs-old")
    identity2, newer, _ = c2.psk()
    assert identity2 == identity and newer != new
    assert register_dtls(dtls, gw, "bs-old", identity, new,
                         attempts=2).startswith("registered")
    assert register_dtls(dtls, gw, "bs-old", identity, newer,
                         attempts=2).startswith("registered")
    gw.wait_log("registered with its issued credential",
                since=gw.log().rfind("bootstrap done"))
    for _ in range(2):
        assert not register_dtls(dtls, gw, "bs-old", identity,
                                 new).startswith("registered")
    assert register_dtls(dtls, gw, "bs-old", identity, newer).startswith(
        "registered")


# -- credentials: two namespaces ---------------------------------------------

def coaps_to(port, path, identity, key, wait=3):
    args = [COAP_CLIENT, "-m", "post", "-v", "6", "-B", str(wait),
            "-u", identity, "-k", key,
            "coaps://127.0.0.1:%d/%s" % (port, path)]
    return CoapResult(subprocess.run(args, capture_output=True, text=True,
                                     errors="replace", timeout=COAP_TIMEOUT))


def test_factory_credentials_are_their_own_namespace(gw, clients):
    configure(gw, "fac-a", factory_psk_identity="fac-a-id",
              factory_psk_key=FACTORY_HEX)
    configure(gw, "fac-b")
    doc = state(gw, "fac-a")
    assert doc["factory_credential"] == {"kind": "psk",
                                         "psk_identity": "fac-a-id"}
    assert FACTORY_HEX not in json.dumps(doc) and FACTORY_HEX not in gw.log()
    # Its factory key over DTLS: accepted, for its own ep only.
    r = coaps_to(gw.bss_port, "bs?ep=fac-a", "fac-a-id", FACTORY_KEY)
    assert r.code == "2.04", r
    r = coaps_to(gw.bss_port, "bs?ep=fac-b", "fac-a-id", FACTORY_KEY)
    assert r.code == "4.03" and "another endpoint" in r.payload, r
    # With a factory credential, plain CoAP is refused.
    c = clients(gw, "fac-a")
    r = c.request()
    assert r["code"] == "4.03" and b"DTLS" in r["payload"]
    # A factory key never opens the DM listener ...
    r = coaps_to(gw.coaps_port, "rd?ep=fac-a&lt=60", "fac-a-id",
                 FACTORY_KEY)
    assert r.code is None, r
    # ... and a DM key never the bootstrap listener.
    status, _, _ = gw.http("POST", "/v1/devices", body=json.dumps(
        {"ep": "fac-a", "psk_identity": "dm-id", "psk_key": FACTORY_HEX}))
    assert status == 201
    assert coaps_to(gw.coaps_port, "rd?ep=fac-a&lt=60", "dm-id",
                    FACTORY_KEY).code == "2.01"
    assert coaps_to(gw.bss_port, "bs?ep=fac-a", "dm-id",
                    FACTORY_KEY).code is None


def test_listeners_serve_their_own_resources(gw, clients):
    # The bootstrap listener has no /rd; the DM listener has no /bs.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    try:
        r = coap_exchange(s, coap_message(0, 0x02, 0x77, b"\x07", [
            (URI_PATH, b"rd"), (URI_QUERY, b"ep=x")]),
            ("127.0.0.1", gw.bs_port))
        assert r["code"] == "4.04", r
        r = coap_exchange(s, coap_message(0, 0x02, 0x78, b"\x08", [
            (URI_PATH, b"bs"), (URI_QUERY, b"ep=x")]),
            ("127.0.0.1", gw.coap_port))
        assert r["code"] == "4.04", r
    finally:
        s.close()


def test_hostile_bootstrap_requests(gw, clients):
    configure(gw, "ok-ep")
    cases = [
        ([], "missing ep"),
        (["ep=ok-ep", "ep=ok-ep"], "ep"),
        (["ep=" + "x" * 64], "ep"),
        (["ep=a/b"], "ep"),
        (["ep="], "ep"),
        (["ep=ok-ep", "pct=abc"], "pct"),
        (["ep=ok-ep", "pct=112", "pct=11542"], "pct"),
        (["ep=ok-ep", "pct=99999999"], "pct"),
        (["ep=ok-ep", "pct=70000"], "pct"),
        (["ep=ok-ep", "lt=60"], "unknown parameter"),
        (["ep=ok-ep\x00x"], "ep"),
    ]
    for query, why in cases:
        c = clients(gw, "ok-ep", query=query)
        r = c.request()
        assert r["code"] == "4.00", (query, r)
        assert why.encode() in r["payload"], (query, r)
        c.close()
    # NON is refused; GET /bs is not allowed.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    try:
        r = coap_exchange(s, coap_message(1, 0x02, 0x79, b"\x09", [
            (URI_PATH, b"bs"), (URI_QUERY, b"ep=ok-ep")]),
            ("127.0.0.1", gw.bs_port))
        assert r["code"] == "4.00", r
        r = coap_exchange(s, coap_message(0, 0x01, 0x7a, b"\x0a", [
            (URI_PATH, b"bs")]), ("127.0.0.1", gw.bs_port))
        assert r["code"] == "4.05", r
        # Garbage datagrams.
        for junk in (b"", b"\x40", b"\xff" * 40, os.urandom(200)):
            s.sendto(junk, ("127.0.0.1", gw.bs_port))
    finally:
        s.close()
    assert state(gw, "ok-ep")["state"] == "pending"
    bootstrap(clients, gw, "ok-ep")
    assert gw.alive()


# -- the API -------------------------------------------------------------

def test_api_validates_and_never_echoes_keys(gw):
    for doc, why in [
            ({"server_uri": "http://x"}, "server_uri"),
            ({"security_mode": "x509"}, "security_mode"),
            ({"security_mode": "nosec", "server_uri": "coaps://a:1"},
             "coap://"),
            ({"lifetime": 0}, "lifetime"),
            ({"lifetime": 1.5}, "lifetime"),
            ({"binding": "UU"}, "binding"),
            ({"short_server_id": 65535}, "short_server_id"),
            ({"factory_psk_identity": "x"}, "go together"),
            ({"factory_psk_identity": "x", "factory_psk_key": "zz"},
             "factory_psk_key"),
            ({"lifetim": 300}, "unknown member"),
            ([], "JSON object")]:
        status, body = put(gw, "/v1/bootstrap/api-1", doc)
        assert status == 400, (doc, body)
        assert why in json.loads(body)["detail"], (doc, body)
        assert FACTORY_HEX not in body.decode()
    status, body = put(gw, "/v1/bootstrap/api-1", {
        "server_uri": "coaps://gw.example:5684", "security_mode": "psk",
        "lifetime": 300, "binding": "U", "factory_psk_identity": "id-1",
        "factory_psk_key": FACTORY_HEX})
    assert status == 201 and FACTORY_HEX not in body.decode()
    doc = json.loads(body)
    assert doc["server_uri"] == "coaps://gw.example:5684"
    # Another endpoint may not take the same factory identity.
    status, body = put(gw, "/v1/bootstrap/api-2", {
        "factory_psk_identity": "id-1", "factory_psk_key": FACTORY_HEX})
    assert status == 409, body
    assert put(gw, "/v1/bootstrap/api-1", {"lifetime": 60})[0] == 200
    assert "factory_credential" not in state(gw, "api-1")
    configure(gw, "api-0")
    page = gw.get_json("/v1/bootstrap?limit=1")
    assert [e["ep"] for e in page["endpoints"]] == ["api-0"]
    assert page["next"] == "api-0"
    page = gw.get_json("/v1/bootstrap?after=api-0")
    assert [e["ep"] for e in page["endpoints"]] == ["api-1"]
    assert page["next"] is None
    assert gw.http("DELETE", "/v1/bootstrap/api-1")[0] == 204
    assert gw.http("DELETE", "/v1/bootstrap/api-1")[0] == 404
    assert gw.http("GET", "/v1/bootstrap/bad%3Fep")[0] == 400


def test_bootstrap_is_off_by_default(gateway):
    assert "bootstrap: listening" not in gateway.log()
    assert gateway.http("GET", "/v1/bootstrap")[0] == 200


# -- re-bootstrap --------------------------------------------------------------

def test_rebootstrap_trigger_executes_1_0_9(gw, devices):
    dev = devices(gw, "re-1", answers={"POST 1/0/9": ("2.04", b"", None,
                                                      None)})
    status, hdrs, body = gw.http("POST", "/v1/devices/re-1/bootstrap")
    assert status == 202, body
    assert hdrs["location"].startswith("/v1/ops/")
    dev.wait_seen(1)
    assert dev.requests() == ["POST 1/0/9"]
    wait_for(lambda: gw.get_json(hdrs["location"])["state"] == "done", 5,
             what="the trigger's op done")
    assert gw.http("POST", "/v1/devices/nobody/bootstrap")[0] == 404


def test_live_answers_match_the_document(gw, clients, devices):
    import yaml
    from test_openapi_live import OPENAPI, Live
    with open(OPENAPI) as fp:
        live = Live(yaml.safe_load(fp), gw)
    body = json.dumps({"lifetime": 300, "factory_psk_identity": "live-id",
                       "factory_psk_key": FACTORY_HEX})
    live("PUT", "/v1/bootstrap/live-1", 201, body=body)
    live("PUT", "/v1/bootstrap/live-1", 200, body=body)
    live("PUT", "/v1/bootstrap/live-2", 409, body=body)
    live("PUT", "/v1/bootstrap/live-2", 400, body='{"x": 1}')
    live("PUT", "/v1/bootstrap/live-2", 201, body='{}')
    live("GET", "/v1/bootstrap/live-1", 200)
    live("GET", "/v1/bootstrap?limit=1", 200)
    live("GET", "/v1/bootstrap?limit=0", 400)
    live("GET", "/v1/bootstrap/nobody", 404)
    live("PUT", "/v1/bootstrap-tags/t1", 201, body='{"binding": "UQ"}')
    live("PUT", "/v1/bootstrap-tags/t1", 200, body='{"binding": "U"}')
    live("GET", "/v1/bootstrap-tags/t1", 200)
    live("GET", "/v1/bootstrap-tags", 200)
    live("GET", "/v1/bootstrap-tags/bad%20tag", 400)
    c = clients(gw, "live-2", answers={"PUT 0/1": ("4.00", b"")})
    assert c.request()["code"] == "2.04"
    wait_for(lambda: state(gw, "live-2")["state"] == "failed", 5,
             what="failed")
    live("GET", "/v1/bootstrap/live-2", 200)
    bootstrap(clients, gw, "live-2")
    live("GET", "/v1/bootstrap/live-2", 200)
    devices(gw, "live-3")
    live("POST", "/v1/devices/live-3/bootstrap", 202)
    live("POST", "/v1/devices/nobody/bootstrap", 404)
    live("DELETE", "/v1/bootstrap-tags/t1", 204)
    live("DELETE", "/v1/bootstrap-tags/t1", 404)
    live("DELETE", "/v1/bootstrap/live-1", 204)
    live("DELETE", "/v1/bootstrap/live-1", 404)
