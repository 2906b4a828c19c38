"""
GET /v1/events: the Server-Sent Events stream. Every client sees the events
its filters let through, can resume with Last-Event-ID from the ring (and is
told when the ring no longer reaches back), gets keep-alive comments, and a
client that stops reading is dropped without holding up anyone else.
"""
import json
import socket
import threading

import pytest

from conftest import wait_for


class SSE:
    """A raw-socket SSE client collecting (id, event, data) triples and
    comments."""

    def __init__(self, gw, query="", last_id=None, read=True, rcvbuf=None,
                 token=None):
        self.events, self.comments = [], 0
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", gw.http_port))
        hdrs = "GET /v1/events%s HTTP/1.1\r\nHost: x\r\n" % query
        if last_id is not None:
            hdrs += "Last-Event-ID: %s\r\n" % last_id
        if token is not None:
            hdrs += "Authorization: Bearer %s\r\n" % token
        self.sock.sendall((hdrs + "\r\n").encode())
        self.cond = threading.Condition()
        self.closed = False
        if read:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.cond:
                    self.closed = True
                    self.cond.notify_all()
                return
            buf += data
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                self._block(block.decode(errors="replace"))

    def _block(self, block):
        fields = {}
        for line in block.split("\n"):
            if line.startswith("HTTP/") or ":" not in line:
                continue
            if line.startswith(":"):
                with self.cond:
                    self.comments += 1
                    self.cond.notify_all()
                continue
            k, v = line.split(":", 1)
            fields[k.strip()] = v.strip()
        if "event" in fields:
            with self.cond:
                self.events.append((fields.get("id"), fields["event"],
                                    fields.get("data")))
                self.cond.notify_all()

    def wait(self, pred, what, timeout=5.0):
        with self.cond:
            assert self.cond.wait_for(lambda: pred(self), timeout), (
                what, self.events)

    def types(self):
        return [e[1] for e in self.events]

    def parsed(self):
        """(type, data as JSON) of each event so far."""
        with self.cond:
            return [(t, json.loads(d or "{}")) for _, t, d in self.events]

    def close(self):
        self.sock.close()


@pytest.fixture
def clients():
    made = []

    def make(*a, **kw):
        c = SSE(*a, **kw)
        made.append(c)
        return c
    yield make
    for c in made:
        c.close()


def connected(gw, n, headers=None):
    """Waits until the gateway has answered n stream requests."""
    wait_for(lambda: 'route="/v1/events",status="200"} %d' % n in
             gw.http("GET", "/metrics", headers=headers)[2].decode(),
             what="%d streams" % n)


def test_two_clients_see_registrations_with_filters(gateway, clients):
    everything = clients(gateway)
    only_b = clients(gateway, "?ep=ev-b&type=registration,deregistration")
    connected(gateway, 2)
    a = gateway.register("ev-a")
    gateway.register("ev-b")
    gateway.deregister(a)
    everything.wait(lambda c: c.types() == ["registration", "registration",
                                            "deregistration"], "three")
    only_b.wait(lambda c: len(c.events) == 1, "one")
    assert '"ep":"ev-b"' in only_b.events[0][2]
    ids = [int(e[0]) for e in everything.events]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_resume_with_last_event_id(gateway, clients):
    first = clients(gateway)
    connected(gateway, 1)
    for i in range(3):
        gateway.register("ev-r%d" % i)
    first.wait(lambda c: len(c.events) == 3, "three events")
    resumed = clients(gateway, last_id=first.events[0][0])
    resumed.wait(lambda c: len(c.events) == 2, "the two after the first")
    assert [e[0] for e in resumed.events] == [e[0] for e in first.events[1:]]


def test_gap_when_the_ring_no_longer_reaches_back(gateway_factory, clients):
    gw = gateway_factory(events={"ring": 16})
    watcher = clients(gw)
    connected(gw, 1)
    for i in range(20):
        gw.register("ev-g%02d" % i)
    watcher.wait(lambda c: len(c.events) == 20, "twenty events")
    resumed = clients(gw, last_id=watcher.events[0][0])
    resumed.wait(lambda c: len(c.events) == 17, "gap + 16 kept")
    assert resumed.events[0][1] == "gap"
    assert [e[0] for e in resumed.events[1:]] == \
        [e[0] for e in watcher.events[4:]]


def test_keepalive_comments(gateway_factory, clients):
    gw = gateway_factory(events={"keepalive": 1})
    c = clients(gw)
    c.wait(lambda c: c.comments >= 2, "two keep-alive comments",
           timeout=5)


def test_client_that_does_not_read_is_dropped(gateway_factory, clients):
    gw = gateway_factory(events={"client_buffer": 4096})
    stuck = clients(gw, read=False, rcvbuf=4096)
    reader = clients(gw)
    connected(gw, 2)
    mark = gw.log_mark()
    n = 0
    while "dropping a client" not in gw.log()[mark:] and n < 1000:
        gw.register("ev-flood%03d" % n, links="</1/0>," * 50 + "</3/0>")
        n += 1
    assert "dropping a client" in gw.log()[mark:]
    reader.wait(lambda c: len(c.events) == n, "every event", timeout=10)
    assert gw.alive()


def test_sleeping_and_awake_are_events(gateway_factory, clients):
    gw = gateway_factory(registry={"awake_window": 1})
    c = clients(gw, "?type=sleeping,awake")
    connected(gw, 1)
    reg = gw.register("ev-q", b="UQ")
    c.wait(lambda c: c.types() == ["sleeping"], "sleeping", timeout=5)
    gw.update(reg)
    c.wait(lambda c: c.types() == ["sleeping", "awake"], "awake")


def test_unknown_type_is_400(gateway):
    assert gateway.http("GET", "/v1/events?type=bogus")[0] == 400


def test_stop_with_clients_connected_is_clean(gateway, clients):
    """SIGTERM while streams are open (one filtered, one fed): the gateway
    frees them and exits 0 (under the sanitizers a leak at exit makes the
    status non-zero)."""
    clients(gateway)
    clients(gateway, "?ep=gone&type=notification")
    connected(gateway, 2)
    gateway.register("ev-stop")
    assert gateway.stop() == 0, gateway.log()


def test_clients_that_hang_up_leave_nothing(gateway, clients):
    """Clients that close their stream (a closed browser tab) are freed
    with their requests: under the sanitizers the gateway still exits 0.
    The stream's request, which evhttp hands back to its owner when the
    client goes before the reply ends, was kept for the life of the
    process, about 1 KiB per client."""
    for n in range(3):
        c = clients(gateway)
        connected(gateway, n + 1)
        c.close()
    gateway.register("ev-hangup")
    assert gateway.http("GET", "/v1/health")[0] == 200
    assert gateway.stop() == 0, gateway.log()


def test_job_and_tags_events_come_on_the_stream(gateway_factory, devices,
                                                clients):
    """A tag set, a job run: tags, job_progress and job events, with the
    members doc/jobs.md names, on GET /v1/events?type=... (which refused
    those types, and the stream dropped the events, before they were in
    its list)."""
    gw = gateway_factory(jobs={"poll_s": 1})
    devices(gw, "ev-job", answers={"PUT 1/0/3": ("2.04", b"", None, None)})
    sse = clients(gw, "?type=job,job_progress,tags")
    connected(gw, 1)
    assert gw.http("PUT", "/v1/devices/ev-job/tags",
                   body='["site-a"]')[0] == 200
    sse.wait(lambda s: "tags" in s.types(), "a tags event")
    status, _, out = gw.http("POST", "/v1/jobs", body=json.dumps({
        "steps": [{"op": "write", "path": "/1/0/3", "value": 60}],
        "target": {"tags": ["site-a"]}}))
    assert status == 201, out
    jid = json.loads(out)["id"]
    sse.wait(lambda s: "job" in s.types(), "the job's done event", 15)
    events = [(t, json.loads(data)) for _, t, data in sse.events]
    assert [t for t, _ in events] == ["tags", "job_progress",
                                      "job_progress", "job"]
    assert events[0][1]["ep"] == "ev-job"
    assert events[0][1]["tags"] == ["site-a"]
    progress = [e for t, e in events if t == "job_progress"]
    assert [e["state"] for e in progress] == ["in_progress", "succeeded"]
    assert [e["step"] for e in progress] == [0, 1]
    for e in progress:
        assert (e["ep"], e["job"], e["group"]) == ("ev-job", jid, 0)
        assert "error" not in e and e["time"]
    done = events[-1][1]
    # a job's event is of no one device: it has no "ep"
    assert done == {"type": "job", "job": jid, "status": "done",
                    "reason": "", "time": done["time"]}
