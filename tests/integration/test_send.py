"""
CoAP POST /dp (LwM2M 1.1 Send): a registered device's report goes into the
cache and the event stream; anyone else gets 4.03.
"""
import json
import socket

import pytest

from conftest import CONTENT_FORMAT, URI_PATH, coap_exchange, coap_message
from fakedev import FakeDevice, block_value
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


def test_blockwise_send_without_size1(gateway):
    """A Send whose SenML comes block-wise (Block1, 64-byte blocks) with no
    Size1, which libcoap 4.3.1 does not put together: the gateway does,
    2.31 for each block but the last, and every record is cached."""
    dev = FakeDevice(gateway, "s-blocks")
    try:
        dev.running = False         # the test reads the device's socket
        dev.thread.join(2)
        dev.sock.settimeout(5)
        pack = [{"bn": "/3303/%d/" % i, "n": "5700", "v": 20 + i}
                for i in range(8)]
        body = json.dumps(pack).encode()
        blocks = [body[i:i + 64] for i in range(0, len(body), 64)]
        assert len(blocks) >= 3
        codes = []
        for num, part in enumerate(blocks):
            more = num < len(blocks) - 1
            block1 = block_value(num, more, szx=2)
            reply = coap_exchange(dev.sock, coap_message(
                0, 0x02, 0x3100 + num, bytes([num + 1]),
                [(URI_PATH, b"dp"), (CONTENT_FORMAT, bytes([110])),
                 (27, block1)], part), ("127.0.0.1", gateway.coap_port))
            codes.append(reply["code"])
            if more:
                assert (27, block1) in reply["options"], reply
        assert codes == ["2.31"] * (len(blocks) - 1) + ["2.04"], codes
        for i in range(8):
            status, hdrs, value = gateway.http(
                "GET", "/v1/devices/s-blocks/r/3303/%d/5700" % i,
                headers=CACHED)
            assert (status, value) == (200, str(20 + i).encode()), i
    finally:
        dev.sock.close()
