"""
outpost-node and the gateway's own Bootstrap server, end to end (issue 15):
a node that ships with a factory key only bootstraps over DTLS, is given a
DM key that only the gateway made (the test never sees it but in the
node's state file), and registers with it over DTLS on a gateway that takes
no plain CoAP. A restart registers from the kept account without a new
bootstrap; the operator's re-bootstrap (POST /v1/devices/{ep}/bootstrap,
the node's /1/0/9) gives a new key and the node registers with that; a
fleet bootstraps every one of its devices.
"""
import json
import os
import socket

from conftest import free_port, wait_for

FACTORY = bytes(range(0x40, 0x60))          # 32 bytes, the factory PSK


def bs_gateway(gateway_factory):
    """A gateway that takes DTLS only, with the bootstrap DTLS listener."""
    port = free_port(socket.SOCK_DGRAM)
    gw = gateway_factory(coap={"plain": "off"}, bootstrap={
        "secure_listen": "127.0.0.1:%d" % port, "timeout": 5})
    gw.bss_port = port
    return gw


def configure(gw, ep):
    doc = {"lifetime": 120, "factory_psk_identity": ep,
           "factory_psk_key": FACTORY.hex()}
    status, _, body = gw.http("PUT", "/v1/bootstrap/" + ep,
                              body=json.dumps(doc),
                              headers={"Content-Type": "application/json"})
    assert status in (200, 201), body
    assert FACTORY.hex().encode() not in body


def state(gw, ep):
    return gw.get_json("/v1/bootstrap/" + ep)


def node_sections(gw, **extra):
    node = {"bootstrap": "coaps://127.0.0.1:%d" % gw.bss_port,
            "bootstrap_psk_key": FACTORY.hex(), "bootstrap_timeout": 10}
    node.update(extra)
    return {"node": node, "register": {"backoff_min": 1, "backoff_max": 2}}


def account_key(node):
    """The DM key the node keeps (hex), from its state file."""
    with open(os.path.join(node.dir, "state", "account.json")) as fp:
        doc = json.load(fp)
    keys = [s["key"] for s in doc["security"] if s.get("key") and
            s["key"] != FACTORY.hex()]
    assert len(keys) == 1, doc
    return keys[0]


def registered(gw, ep):
    status, _, body = gw.http("GET", "/v1/devices/" + ep)
    return status == 200 and json.loads(body)["state"] == "awake"


def read_manufacturer(gw, ep):
    status, _, body = gw.http("GET", "/v1/devices/%s/r/3/0/0?mode=wait" %
                              ep)
    assert status == 200, body
    return body


def test_node_bootstraps_and_registers_with_a_key_only_the_gateway_made(
        gateway_factory, node_factory):
    gw = bs_gateway(gateway_factory)
    configure(gw, "e2e-1")
    assert state(gw, "e2e-1")["state"] == "pending"
    node = node_factory(gw, ep="e2e-1", sections=node_sections(gw))
    wait_for(lambda: state(gw, "e2e-1")["state"] == "done", 20,
             what="the bootstrap done")
    first = state(gw, "e2e-1")["done_at"]
    node.wait_log("e2e-1: registered as", timeout=20)
    wait_for(lambda: registered(gw, "e2e-1"), what="registered")
    key = account_key(node)
    assert len(key) == 64
    # The gateway speaks DTLS only here: the registration and the read
    # went over the issued key.
    assert gw.metrics()["outpost_dtls_accepted_total"] >= 1
    read_manufacturer(gw, "e2e-1")
    assert key.encode() not in gw.http("GET", "/v1/bootstrap/e2e-1")[2]
    assert key.encode() not in gw.log().encode()

    # A restart registers from the kept account: no new bootstrap.
    node.stop()
    mark = node.log_mark()
    node.start()
    node.wait_log("e2e-1: registered as", since=mark, timeout=20)
    assert state(gw, "e2e-1")["done_at"] == first
    assert gw.metrics()["outpost_bootstrap_done_total"] == 1
    assert account_key(node) == key

    # The operator bootstraps it again: a new key, and the node registers
    # with it.
    mark = node.log_mark()
    status, _, body = gw.http("POST", "/v1/devices/e2e-1/bootstrap")
    assert status in (200, 202), body
    wait_for(lambda: gw.metrics()["outpost_bootstrap_done_total"] == 2, 20,
             what="the second bootstrap")
    node.wait_log("e2e-1: registered as", since=mark, timeout=20)
    wait_for(lambda: account_key(node) != key, what="the new key kept")
    wait_for(lambda: registered(gw, "e2e-1"), what="registered again")
    read_manufacturer(gw, "e2e-1")


def test_a_fleet_bootstraps_from_the_gateway(gateway_factory, node_factory):
    gw = bs_gateway(gateway_factory)
    for i in range(3):
        configure(gw, "e2ef-%d" % i)
    sections = node_sections(gw)
    sections["fleet"] = {"devices": 3, "prefix": "e2ef-", "spread": 0}
    fleet = node_factory(gw, ep="unused", listen=False, sections=sections)
    fleet.wait_log("fleet: all 3 devices registered", timeout=30)
    for i in range(3):
        assert state(gw, "e2ef-%d" % i)["state"] == "done"
        assert registered(gw, "e2ef-%d" % i)
    assert gw.metrics()["outpost_bootstrap_done_total"] == 3
