"""
[webhook] url: gateway events (registrations, op results) are POSTed as JSON
to a receiver, through an outbox in the store that survives restarts, with
retries until the receiver takes them.
"""
import http.server
import json
import socket
import subprocess
import threading

import pytest

from conftest import free_port, wait_for
from fakedev import FakeDevice


class Receiver:
    """An HTTP receiver on 127.0.0.1 that records the JSON it is POSTed,
    answering `fail` first requests with 503."""

    def __init__(self, port=None, fail=0):
        self.port = port or free_port(socket.SOCK_STREAM)
        self.events, self.attempts, self.fail = [], 0, fail
        self.server = http.server.HTTPServer(("127.0.0.1", self.port),
                                             self.handler())
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def handler(self):
        """The request handler class: records, or answers 503 while
        `fail` lasts."""
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.attempts += 1
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(503)
                else:
                    outer.events.append(json.loads(body))
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass
        return Handler

    def wait(self, pred, what, timeout=10):
        return wait_for(lambda: [e for e in self.events if pred(e)],
                        timeout, what=what)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made = []

    def make(**kw):
        r = Receiver(**kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()


def hooked(gateway_factory, port, **sections):
    return gateway_factory(webhook={"url": "http://127.0.0.1:%d/hook" % port,
                                    "retry_max": 1}, **sections)


def test_registration_and_op_results_reach_the_webhook(gateway_factory,
                                                       receivers):
    rx = receivers()
    gw = hooked(gateway_factory, rx.port, registry={"awake_window": 1})
    dev = FakeDevice(gw, "wh-1", b="UQ",
                     answers={"GET 1/0": ("2.05", b"x", 0, None)})
    try:
        reg = rx.wait(lambda e: e["type"] == "registration", "registration")
        assert reg[0]["ep"] == "wh-1"
        assert reg[0]["registration_id"] == dev.location[1]
        gw.wait_state("wh-1", "sleeping", timeout=5)
        status, hdrs, _ = gw.http("GET", "/v1/devices/wh-1/r/1/0")
        assert status == 202
        dev.update()
        done = rx.wait(lambda e: e["type"] == "op_result", "op_result")
        assert done[0]["state"] == "done" and done[0]["status"] == 200
        assert done[0]["op"] == int(hdrs["location"].rsplit("/", 1)[1])
        types = [e["type"] for e in rx.events]
        assert types.index("registration") < types.index("update") < \
            types.index("op_result")
    finally:
        dev.close()


def test_failed_posts_are_retried_in_order(gateway_factory, receivers):
    rx = receivers(fail=3)
    gw = hooked(gateway_factory, rx.port)
    devs = [FakeDevice(gw, "wh-r%d" % i) for i in range(3)]
    try:
        rx.wait(lambda e: e["ep"] == "wh-r2", "the third event", timeout=15)
        assert [e["ep"] for e in rx.events] == ["wh-r0", "wh-r1", "wh-r2"]
        assert rx.attempts == 3 + 3
    finally:
        for d in devs:
            d.close()


def test_outbox_survives_a_restart(gateway_factory, receivers):
    port = free_port(socket.SOCK_STREAM)    # nobody listens yet
    gw = hooked(gateway_factory, port)
    dev = FakeDevice(gw, "wh-keep")
    dev.close()
    gw.wait_log("webhook 127.0.0.1:%d/hook: no answer" % port, timeout=10)
    assert gw.stop() == 0
    rx = receivers(port=port)
    gw.start()
    got = rx.wait(lambda e: e["ep"] == "wh-keep", "the kept event")
    assert got[0]["type"] == "registration"


def test_outbox_of_an_older_store_is_delivered(gateway_factory, receivers):
    """A store written before the outbox kept each event's time holds the
    bare JSON under its sequence number: such an event is still sent, as
    it was stored, and those after it follow in order."""
    port = free_port(socket.SOCK_STREAM)    # nobody listens yet
    gw = hooked(gateway_factory, port)
    assert gw.stop() == 0
    old = json.dumps({"type": "registration", "ep": "wh-old",
                      "time": "2026-01-01T00:00:00Z"}).encode()
    dump = ("VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n"
            " %s\n %s\nDATA=END\n" % ((7).to_bytes(8, "big").hex(),
                                      old.hex()))
    subprocess.run(["mdb_load", "-s", "outbox", gw.store],
                   input=dump.encode(), check=True)
    rx = receivers(port=port)
    gw.start()
    dev = FakeDevice(gw, "wh-new")
    try:
        rx.wait(lambda e: e["ep"] == "wh-new", "the new event")
        assert [e["ep"] for e in rx.events] == ["wh-old", "wh-new"]
        assert rx.events[0] == json.loads(old)
    finally:
        dev.close()
