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
    status, _, body = gw.http("POST", "/v1/devices", body=json.dumps(
        {"ep": ep, "psk_identity": identity.decode(),
         "psk_key": key.hex()}), headers={"Content-Type": "application/json"})
    assert status == 201, body


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
