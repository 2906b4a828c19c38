"""
outpost-node as a LwM2M client that bootstraps ([node] bootstrap): a
scripted bootstrap server (bsserver.py, plain CoAP on loopback) answers
its Bootstrap-Request, discovers, deletes, writes a DM account with a PSK
it generated and finishes; the test provisions that PSK in the real
gateway through POST /v1/devices, as an operator would, and the agent
registers over DTLS (the gateway takes no plain CoAP). Then: a restart
keeps the account; a refused registration (4.03) goes back to bootstrap;
executing /1/0/9 bootstraps again; a garbage Bootstrap-Write answers 4.00
and loses nothing; a corrupt state file is refused and the node
bootstraps again; a fleet bootstraps every device.
"""
import json
import os
import signal

import pytest

from bsserver import (CF_TLV, CF_LINKS, BootstrapServer, dm_security,
                      dm_server, tlv_instance)
from conftest import wait_for


def provision(gw, ep, identity, key):
    """The device's credential, made or replaced (a new bootstrap)."""
    doc = json.dumps({"ep": ep, "psk_identity": identity.decode(),
                      "psk_key": key.hex()})
    hdrs = {"Content-Type": "application/json"}
    status, _, body = gw.http("POST", "/v1/devices", body=doc, headers=hdrs)
    if status == 409:
        status, _, body = gw.http("PUT", "/v1/devices/%s/credential" % ep,
                                  body=doc, headers=hdrs)
    assert status in (200, 201), body


def registered(gw, ep):
    status, _, body = gw.http("GET", "/v1/devices/" + ep)
    return status == 200 and json.loads(body)["state"] != "deregistered"


@pytest.fixture
def bootstrap_servers():
    made = []

    def make(*args, **kw):
        s = BootstrapServer(*args, **kw)
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


def dm_uri(gw):
    return "coaps://127.0.0.1:%d" % gw.coaps_port


def start(gateway_factory, node_factory, bootstrap_servers, ep, **bs):
    gw = gateway_factory(coap={"plain": "off"})
    bss = bootstrap_servers(dm_uri(gw), on_account=lambda e, i, k:
                            provision(gw, e, i, k), **bs)
    node = node_factory(gw, ep=ep, sections={"node": {
        "bootstrap": bss.uri, "bootstrap_timeout": 5}, "register": {
        "backoff_min": 1, "backoff_max": 2}})
    return gw, bss, node


def test_bootstraps_then_registers_over_dtls(gateway_factory, node_factory,
                                             bootstrap_servers):
    gw, bss, node = start(gateway_factory, node_factory, bootstrap_servers,
                          "bs-1")
    assert bss.wait_finished("bs-1") == "2.04"
    method, path, code, links = bss.answer("bs-1", "GET", "/")
    assert code == "2.05"
    links = links.decode()
    assert links.startswith("</>;lwm2m=1.1,</0/0>"), links
    assert "</3/0>" in links and "</5/0>" in links
    assert bss.answer("bs-1", "DELETE", "/0")[2] == "2.02"
    assert bss.answer("bs-1", "PUT", "/0/1")[2] == "2.04"
    assert bss.answer("bs-1", "PUT", "/1/0")[2] == "2.04"
    wait_for(lambda: registered(gw, "bs-1"), 10, what="bs-1 registered")
    node.wait_log("bs-1: registered as")
    # /1 is read through the gateway; /0 is not the DM server's.
    status, _, body = gw.http("GET", "/v1/devices/bs-1/r/1/0/1")
    assert (status, body) == (200, b"300")
    assert gw.http("GET", "/v1/devices/bs-1/r/0/1/5")[0] != 200
    assert gw.http("GET", "/v1/devices/bs-1/r/0/1")[0] != 200
    # The account is kept, readable to the agent only.
    path = os.path.join(node.dir, "state", "account.json")
    assert os.stat(path).st_mode & 0o077 == 0
    kept = json.load(open(path))
    assert kept["endpoint"] == "bs-1"
    assert kept["security"][0]["uri"] == dm_uri(gw)
    # The registration lists /1/0, never /0 (LwM2M 1.1 Core 6.2.1).
    paths = [o["path"] for o in gw.device("bs-1")["objects"]]
    assert "/1/0" in paths and not any(p.startswith("/0") for p in paths)


def test_a_restart_keeps_the_account(gateway_factory, node_factory,
                                     bootstrap_servers):
    gw, bss, node = start(gateway_factory, node_factory, bootstrap_servers,
                          "bs-2")
    bss.wait_finished("bs-2")
    node.wait_log("bs-2: registered as")
    assert node.stop() == 0
    mark = node.log_mark()
    node.start()
    node.wait_log("bs-2: the account kept in", since=mark)
    node.wait_log("bs-2: registered as", since=mark)
    assert bss.request_count("bs-2") == 1
    assert registered(gw, "bs-2")


def test_a_refused_registration_goes_back_to_bootstrap(
        gateway_factory, node_factory, bootstrap_servers):
    # The first account's identity is provisioned for another endpoint:
    # the gateway answers the registration 4.03. The second bootstrap's is
    # right.
    gw = gateway_factory(coap={"plain": "off"})

    def on_account(ep, identity, key):
        if bss.request_count(ep) == 1:
            provision(gw, "someone-else", identity, key)
            return
        assert gw.http("DELETE", "/v1/devices/someone-else")[0] == 204
        provision(gw, ep, identity, key)
    bss = bootstrap_servers(dm_uri(gw), on_account=on_account)
    node = node_factory(gw, ep="bs-3", sections={"node": {
        "bootstrap": bss.uri}, "register": {"backoff_min": 1}})
    node.wait_log("refused the registration (4.03): bootstrapping again")
    assert bss.wait_finished("bs-3", 2) == "2.04"
    wait_for(lambda: registered(gw, "bs-3"), 10, what="bs-3 registered")
    assert bss.request_count("bs-3") == 2


def test_failed_handshakes_go_back_to_bootstrap(gateway_factory,
                                                node_factory,
                                                bootstrap_servers):
    # The first key is never provisioned: the DTLS handshake fails, and
    # after /1/0/17 (2) failures the node bootstraps again.
    gw = gateway_factory(coap={"plain": "off"})

    def on_account(ep, identity, key):
        if bss.request_count(ep) > 1:
            provision(gw, ep, identity, key)
    bss = bootstrap_servers(dm_uri(gw), on_account=on_account,
                            retry_count=2)
    node = node_factory(gw, ep="bs-4", sections={"node": {
        "bootstrap": bss.uri}, "register": {"backoff_min": 1,
                                            "backoff_max": 1}})
    node.wait_log("2 registrations with", timeout=30)
    bss.wait_finished("bs-4", 2)
    wait_for(lambda: registered(gw, "bs-4"), 10, what="bs-4 registered")


def test_bootstrap_request_trigger(gateway_factory, node_factory,
                                   bootstrap_servers):
    gw, bss, node = start(gateway_factory, node_factory, bootstrap_servers,
                          "bs-5")
    bss.wait_finished("bs-5")
    node.wait_log("bs-5: registered as")
    first = bss.accounts["bs-5"]
    mark = node.log_mark()
    status, _, body = gw.http("POST", "/v1/devices/bs-5/r/1/0/9")
    assert status in (200, 204), body
    node.wait_log("Bootstrap-Request Trigger", since=mark)
    assert bss.wait_finished("bs-5", 2) == "2.04"
    # The new account's Discover showed the old one, which it replaced.
    links = bss.answer("bs-5", "GET", "/")[3].decode()
    assert "</0/1>;ssid=101" in links and "</1/0>;ssid=101" in links, links
    node.wait_log("bs-5: registered as", since=mark)
    assert bss.accounts["bs-5"] != first
    kept = json.load(open(os.path.join(node.dir, "state", "account.json")))
    assert kept["security"][0]["key"] == bss.accounts["bs-5"][1].hex()


def test_garbage_write_answers_400_and_loses_nothing(
        gateway_factory, node_factory, bootstrap_servers):
    gw = gateway_factory(coap={"plain": "off"})

    def script(ep):
        identity, key = ep.encode(), os.urandom(32)
        bss.accounts[ep] = (identity, key)
        good_sec = tlv_instance(dm_security(dm_uri(gw), identity, key))
        return [("DELETE", "/", None, None, None),
                ("PUT", "/0/1", good_sec, CF_TLV, None),
                ("PUT", "/1/0", b"\xc8\x00\x20garbage", CF_TLV, None),
                ("PUT", "/0/1", b"\x00\xff", CF_TLV, None),
                ("PUT", "/0/1", b"{}", 50, None),
                ("GET", "/0/1", None, None, 110),
                ("GET", "/0/1/5", None, None, None),
                ("PUT", "/1/0", tlv_instance(dm_server()), CF_TLV, None),
                "account",
                ("POST", "/bs", None, None, None)]
    bss = bootstrap_servers(dm_uri(gw), script=script,
                            on_account=lambda e, i, k: provision(gw, e, i,
                                                                 k))
    node = node_factory(gw, ep="bs-6", sections={"node": {
        "bootstrap": bss.uri}})
    assert bss.wait_finished("bs-6") == "2.04"
    answers = [(m, p, c) for m, p, c, _ in bss.answers["bs-6"]]
    assert answers[:8] == [
        ("DELETE", "/", "2.02"), ("PUT", "/0/1", "2.04"),
        ("PUT", "/1/0", "4.00"), ("PUT", "/0/1", "4.00"),
        ("PUT", "/0/1", "4.15"), ("GET", "/0/1", "2.05"),
        ("GET", "/0/1/5", "4.05"), ("PUT", "/1/0", "2.04")]
    # What the bad writes came after is intact, and no key is shown.
    read = json.loads(bss.answers["bs-6"][5][3])
    assert read[0] == {"bn": "/0/1/", "n": "0", "vs": dm_uri(gw)}
    assert {"n": "3", "vd": "YnMtNg"} in read      # "bs-6", base64url
    assert not [r for r in read if r.get("n") == "5"]
    wait_for(lambda: registered(gw, "bs-6"), 10, what="bs-6 registered")
    assert node.alive()


def test_a_corrupt_state_file_is_refused(gateway_factory, node_factory,
                                         bootstrap_servers):
    gw, bss, node = start(gateway_factory, node_factory, bootstrap_servers,
                          "bs-7")
    bss.wait_finished("bs-7")
    node.wait_log("bs-7: registered as")
    assert node.stop() == 0
    path = os.path.join(node.dir, "state", "account.json")
    text = open(path).read()
    with open(path, "w") as fp:
        fp.write(text[:len(text) // 2])     # truncated
    mark = node.log_mark()
    node.start()
    node.wait_log("truncated, or not a JSON object; bootstrapping again",
                  since=mark)
    assert bss.wait_finished("bs-7", 2) == "2.04"
    node.wait_log("bs-7: registered as", since=mark)
    assert json.load(open(path))["endpoint"] == "bs-7"


def test_a_fleet_bootstraps_every_device(gateway_factory, node_factory,
                                         bootstrap_servers):
    gw = gateway_factory(coap={"plain": "off"})
    bss = bootstrap_servers(dm_uri(gw), on_account=lambda e, i, k:
                            provision(gw, e, i, k))
    fleet = node_factory(gw, ep="unused", listen=False, sections={"node": {
        "bootstrap": bss.uri}, "fleet": {"devices": 3, "prefix": "bsf-",
                                        "spread": 0}})
    for i in range(3):
        assert bss.wait_finished("bsf-%d" % i) == "2.04"
    fleet.wait_log("fleet: all 3 devices registered")
    for i in range(3):
        assert registered(gw, "bsf-%d" % i)
    assert not os.path.exists(os.path.join(fleet.dir, "state"))


def test_the_dm_server_writes_the_lifetime_and_triggers_updates(
        gateway_factory, node_factory, bootstrap_servers):
    gw, bss, node = start(gateway_factory, node_factory, bootstrap_servers,
                          "bs-8")
    bss.wait_finished("bs-8")
    node.wait_log("bs-8: registered as")
    mark = node.log_mark()
    status, _, body = gw.http("PUT", "/v1/devices/bs-8/r/1/0/1", body="900",
                              headers={"Content-Type": "text/plain"})
    assert status in (200, 204), body
    node.wait_log("/1/0 written by the server: lifetime 900 s", since=mark)
    wait_for(lambda: gw.device("bs-8").get("lifetime") == 900, 10,
             what="the gateway to hear lifetime 900")
    kept = json.load(open(os.path.join(node.dir, "state", "account.json")))
    assert kept["server"][0]["lifetime"] == 900
    # Not the Short Server ID; not /0.
    assert gw.http("PUT", "/v1/devices/bs-8/r/1/0/0", body="7",
                   headers={"Content-Type": "text/plain"})[0] >= 400
    mark = node.log_mark()
    status, _, body = gw.http("POST", "/v1/devices/bs-8/r/1/0/8")
    assert status in (200, 204), body
    node.wait_log("Registration Update Trigger", since=mark)
    node.wait_log("bs-8: updated", since=mark)


def test_a_bootstrap_that_never_finishes_is_retried(
        gateway_factory, node_factory, bootstrap_servers):
    gw = gateway_factory(coap={"plain": "off"})

    def script(ep):
        if bss.request_count(ep) == 1:
            return [("GET", "/", None, None, CF_LINKS)]    # then silence
        return bss.default_script(ep)
    bss = bootstrap_servers(dm_uri(gw), script=script,
                            on_account=lambda e, i, k: provision(gw, e, i,
                                                                 k))
    node = node_factory(gw, ep="bs-9", sections={"node": {
        "bootstrap": bss.uri, "bootstrap_timeout": 1}, "register": {
        "backoff_min": 1, "backoff_max": 1}})
    node.wait_log("bs-9: bootstrap failed: no Finish within 1 s")
    assert bss.wait_finished("bs-9") == "2.04"
    wait_for(lambda: registered(gw, "bs-9"), 10, what="bs-9 registered")
