"""
CoAP POST /dp (LwM2M 1.1 Send): a registered device's report goes into the
cache and the event stream; anyone else gets 4.03.
"""
import json
import socket

import pytest

from conftest import CONTENT_FORMAT, URI_PATH, coap_exchange, coap_message
from fakedev import FakeDevice
from test_events import SSE, connected

CACHED = {"Cache-Control": "only-if-cached"}
PACK = [{"bn": "/3/0/", "n": "9", "v": 87}, {"n": "17", "vs": "node"},
        {"bn": "/3303/0/", "n": "5700", "v": 21.5}]


def send(sock, port, body, cf=110, mid=0x3001):
    return coap_exchange(sock, coap_message(
        0, 0x02, mid, b"\x05", [(URI_PATH, b"dp"),
                                (CONTENT_FORMAT, bytes([cf]))], body),
        ("127.0.0.1", port))


def test_send_fills_cache_and_stream(gateway):
    dev = FakeDevice(gateway, "s-1")
    watcher = SSE(gateway, "?type=send")
    try:
        connected(gateway, 1)
        dev.running = False         # the test reads the device's socket
        dev.thread.join(2)
        dev.sock.settimeout(5)
        reply = send(dev.sock, gateway.coap_port, json.dumps(PACK).encode())
        assert reply["code"] == "2.04"
        for path, value in (("3/0/9", b"87"), ("3/0/17", b"node"),
                            ("3303/0/5700", b"21.5")):
            status, hdrs, body = gateway.http(
                "GET", "/v1/devices/s-1/r/" + path, headers=CACHED)
            assert (status, body) == (200, value), path
        watcher.wait(lambda c: len(c.events) == 1, "the send event")
        event = json.loads(watcher.events[0][2])
        assert event["ep"] == "s-1" and event["senml"] == PACK
    finally:
        watcher.close()
        dev.sock.close()


def test_send_from_a_stranger_is_403(gateway):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        reply = send(s, gateway.coap_port, json.dumps(PACK).encode())
        assert reply["code"] == "4.03"


@pytest.mark.parametrize("body,cf,code", [
    (b"not json", 110, "4.00"), (b'{"a":1}', 110, "4.00"),
    (b"\x9f", 112, "4.00"), (b"[]", 50, "4.15")])
def test_bad_send_is_refused(gateway, body, cf, code):
    dev = FakeDevice(gateway, "s-bad")
    dev.running = False
    dev.thread.join(2)
    dev.sock.settimeout(5)
    try:
        assert send(dev.sock, gateway.coap_port, body, cf)["code"] == code
    finally:
        dev.sock.close()
    assert gateway.alive()
