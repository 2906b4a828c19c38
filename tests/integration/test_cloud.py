"""
The cloud link (doc/cloud.md) against Debian's mosquitto: the retained
status and its Last Will; requests over MQTT 5 and 3.1.1 answered as the
HTTP API answers them, with the role of their topic; events forwarded from
the gateway's outbox in order, with none lost across a broker outage or a
kill -9 of the gateway; TLS with client certificates.

A cloud client (mqtt.Cloud) is subscribed before the gateway starts, so it
sees every event the gateway publishes; it drops a repeated event by its
seq, as the contract tells a subscriber to.
"""
import json
import threading
import time

import pytest

from conftest import wait_for
from mqtt import CA, MqttFactory, need_mqtt, wait_seconds
from test_events import SSE, connected
from test_fleet_fw import fleet

GW = "site-1"
REQUESTS = "ops:operate, view:read"
# Headers of the HTTP connection, not of the answer.
HOP = {"date", "content-length", "connection", "keep-alive",
       "transfer-encoding"}
OUTAGE_S = 20           # the broker outage the outbox must bridge


@pytest.fixture
def mqtt(tmp_path):
    """mqtt.broker(tls=...) -> a started Broker; mqtt.cloud(broker, gw_id,
    ...) -> a connected Cloud; all stopped at the end. Skips (fails in CI)
    without mosquitto or paho."""
    need_mqtt()
    f = MqttFactory(tmp_path)
    yield f
    f.cleanup()


def cloud_gw(gateway_factory, broker, cloud=None, gw_id=GW, start=True,
             **sections):
    """A gateway of id gw_id linked to broker: retry_max 1, so that a
    restarted broker is found again at once; cloud: more [cloud] keys."""
    keys = {"broker": broker.url, "retry_max": 1, "requests": REQUESTS}
    keys.update(cloud or {})
    sections.setdefault("gateway", {})["id"] = gw_id
    return gateway_factory(start=start, cloud=keys, **sections)


def linked(mqtt, gateway_factory, protocol=5, cloud=None, **sections):
    """A broker, a cloud client subscribed to the gateway's topics, and the
    gateway, once its retained status says online."""
    broker = mqtt.broker()
    c = mqtt.cloud(broker, GW, protocol=protocol)
    gw = cloud_gw(gateway_factory, broker, cloud, **sections)
    c.wait_status("online")
    return broker, c, gw


def metric(gw, name):
    return gw.metrics().get(name)


def same_as_http(gw, answer, method, path, body=None, headers=None):
    """The MQTT answer has the status, headers (but the connection's) and
    body that the HTTP API gives the same request."""
    status, hdrs, data = gw.http(method, path, body=body, headers=headers)
    assert answer.status == status, (answer, status, data)
    want = {k: v for k, v in hdrs.items() if k not in HOP}
    got = {k: v for k, v in answer.headers.items() if k not in HOP}
    assert got == want, (answer, hdrs)
    assert answer.body == data, (answer, data)


def seqs_complete(events):
    """The events' seqs grow by one each, from the first's."""
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs


def topic_of(cloud, event):
    """Where the contract puts event: P/G/events/TYPE[/EP], with /, +, #
    and % of the endpoint written %2F, %2B, %23, %25."""
    t = "%s/events/%s" % (cloud.base, event["type"])
    if "ep" in event:
        ep = event["ep"]
        for ch, esc in (("%", "%25"), ("/", "%2F"), ("+", "%2B"),
                        ("#", "%23")):
            ep = ep.replace(ch, esc)
        t += "/" + ep
    return t


def check_event_messages(cloud):
    """Every event message is on its topic, at QoS 1, names the gateway,
    and a repeated seq repeats the same event."""
    first = {}
    for m in cloud.event_messages():
        e = m.json()
        assert m.topic == topic_of(cloud, e), m
        assert m.qos == 1, m
        assert e["gateway"] == GW, m
        assert first.setdefault(e["seq"], e) == e, (first[e["seq"]], e)


# -- status and Last Will ---------------------------------------------------
def test_status_online_retained_will_on_kill_offline_on_stop(
        mqtt, gateway_factory):
    broker, cloud, gw = linked(mqtt, gateway_factory)
    online = cloud.wait_status("online")
    assert online["version"] == gw.get_json("/v1/health")["version"]
    assert "time" in online
    # retained: a client that comes later is given it
    late = mqtt.cloud(broker, GW, client_id="late-1")
    late.wait(lambda c: c.statuses(), what="the retained status")
    assert late.statuses()[0] == (online, True)

    n = len(cloud.statuses())
    gw.kill9()
    # Nobody but the broker can say it now: the Last Will.
    cloud.wait_status("offline", since=n)
    late = mqtt.cloud(broker, GW, client_id="late-2")
    late.wait(lambda c: c.statuses(), what="the retained status")
    assert late.statuses()[0][0]["state"] == "offline"
    assert late.statuses()[0][1] is True

    n = len(cloud.statuses())
    gw.start()
    cloud.wait_status("online", since=n)
    n = len(cloud.statuses())
    mark = broker.log_mark()
    assert gw.stop() == 0
    # A clean stop says goodbye itself (and disconnects: no Will), and it
    # is what stays retained.
    cloud.wait_status("offline", since=n)
    broker.wait_log("Received DISCONNECT from %s" % GW, since=mark)
    assert [s["state"] for s, _ in cloud.statuses()[n:]] == ["offline"]
    late = mqtt.cloud(broker, GW, client_id="late-3")
    late.wait(lambda c: c.statuses(), what="the retained status")
    assert late.statuses()[0][0]["state"] == "offline"
    assert late.statuses()[0][1] is True


# -- requests ---------------------------------------------------------------
RW_ANSWERS = {"GET 3/0/0": ("2.05", b"Outpost", 0, None),
              "PUT 3/0/15": ("2.04", b"", None, None),
              "GET 5/0/0": ("2.05", b"\xff\x00\x80", 42, None)}


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_read_and_write_answer_as_http_does(mqtt, gateway_factory, devices,
                                            protocol):
    v5 = protocol == "5"
    broker, cloud, gw = linked(mqtt, gateway_factory, 5 if v5 else 311,
                               cloud={"protocol": protocol})
    # the gateway speaks what it was told to (mosquitto: p5 or p2, 3.1.1)
    broker.wait_log("as %s (p%d," % (GW, 5 if v5 else 2))
    dev = devices(gw, "c-rw", answers=RW_ANSWERS)

    path = "/v1/devices/c-rw/r/3/0/0"
    a = cloud.request("ops", "GET", path)
    assert (a.status, a.body) == (200, b"Outpost"), a
    assert a.message.topic == ("%s/ops" % cloud.reply_base if v5 else
                               "%s/res/ops" % cloud.base)
    assert a.message.qos == 1
    same_as_http(gw, a, "GET", path)
    # the read role reads
    a = cloud.request("view", "GET", path)
    same_as_http(gw, a, "GET", path)

    path = "/v1/devices/c-rw/r/3/0/15"
    hdrs = {"Content-Type": "text/plain"}
    a = cloud.request("ops", "PUT", path, body="Europe/Berlin",
                      headers=hdrs)
    assert a.status == 204, a
    same_as_http(gw, a, "PUT", path, body="Europe/Berlin", headers=hdrs)
    assert [m["payload"] for k, m in dev.seen if k == "PUT 3/0/15"] == \
        [b"Europe/Berlin"] * 2

    # bytes that are not text come as body_base64
    path = "/v1/devices/c-rw/r/5/0/0"
    a = cloud.request("view", "GET", path)
    assert "body_base64" in a.raw and "body" not in a.raw, a
    assert a.body == b"\xff\x00\x80"
    same_as_http(gw, a, "GET", path)

    # JSON of the API, an error, and a query given apart or in the path
    for p, q in (("/v1/devices/c-rw", None), ("/v1/devices/c-gone", None),
                 ("/v1/devices", "limit=1"), ("/v1/devices?limit=1", None)):
        a = cloud.request("view", "GET", p, query=q)
        same_as_http(gw, a, "GET", p + ("?" + q if q else ""))
    assert cloud.request("view", "GET", "/v1/devices/c-gone").status == 404

    if v5:
        # no Response Topic: the answer goes to P/G/res/NAME
        a = cloud.request("view", "GET", "/v1/devices/c-rw/r/3/0/0",
                          response_topic=False)
        assert a.message.topic == "%s/res/view" % cloud.base
        assert a.status == 200 and a.body == b"Outpost"
    assert gw.alive()


def test_a_body_in_base64_reaches_the_device_as_bytes(mqtt, gateway_factory,
                                                      devices):
    broker, cloud, gw = linked(mqtt, gateway_factory)
    dev = devices(gw, "c-b64", answers={
        "PUT 5/0/0": ("2.04", b"", None, None)})
    image = bytes(range(256)) * 3
    hdrs = {"Content-Type": "application/octet-stream"}
    a = cloud.request("ops", "PUT", "/v1/devices/c-b64/r/5/0/0",
                      body_base64=image, headers=hdrs)
    same_as_http(gw, a, "PUT", "/v1/devices/c-b64/r/5/0/0", body=image,
                 headers=hdrs)
    assert a.status in (200, 204), a
    puts = [m for k, m in dev.seen if k == "PUT 5/0/0"]
    assert [m["payload"] for m in puts] == [image, image]
    assert puts[0]["options"] == puts[1]["options"]


def test_many_requests_at_once_each_get_their_answer(mqtt, gateway_factory,
                                                    devices):
    """More requests than the gateway serves at once ([cloud]
    max_requests): the rest wait, and each answer carries its request's id
    and Correlation Data."""
    broker, cloud, gw = linked(mqtt, gateway_factory,
                               cloud={"max_requests": 4})
    n = 40
    devices(gw, "c-many", answers={
        "GET 3/0/%d" % i: ("2.05", b"value %d" % i, 0, None, 0.05)
        for i in range(n)})
    corr = {}
    for i in range(n):
        corr["r%d" % i] = cloud.send("view", {
            "id": "r%d" % i, "method": "GET",
            "path": "/v1/devices/c-many/r/3/0/%d" % i}, answer=False)

    def answered():
        got = {}
        for m in cloud.received():
            if m.topic == cloud.reply_base + "/view":
                got.setdefault(m.json()["id"], []).append(m)
        return got if len(got) == n else None
    got = wait_for(answered, 30, what="%d answers" % n)
    for i in range(n):
        (m,) = got["r%d" % i]
        assert m.json()["status"] == 200, m
        assert m.json()["body"] == "value %d" % i, m
        assert m.props.CorrelationData == corr["r%d" % i]


def test_sleeping_device_op_answers_202_then_op_result_event(
        mqtt, gateway_factory, devices):
    broker, cloud, gw = linked(mqtt, gateway_factory,
                               registry={"awake_window": 1})
    dev = devices(gw, "c-q", b="UQ", lt=600,
                  answers={"GET 3/0/0": ("2.05", b"Outpost", 0, None)})
    gw.wait_state("c-q", "sleeping")
    path = "/v1/devices/c-q/r/3/0/0"
    a = cloud.request("ops", "GET", path)
    assert a.status == 202, a
    op = a.json()["op"]
    assert a.headers["location"] == "/v1/ops/%d" % op
    assert gw.get_json("/v1/ops/%d" % op)["state"] == "queued"
    # over HTTP the same request is another op, answered alike
    status, hdrs, body = gw.http("GET", path)
    assert status == 202
    http_op = json.loads(body)["op"]
    assert hdrs["location"] == "/v1/ops/%d" % http_op and http_op != op
    assert {k: v for k, v in a.headers.items() if k not in HOP | {
        "location"}} == {k: v for k, v in hdrs.items() if k not in HOP | {
            "location"}}
    varies = {"op", "created_at", "updated_at", "expires_at"}
    assert {k: v for k, v in a.json().items() if k not in varies} == \
        {k: v for k, v in json.loads(body).items() if k not in varies}
    assert dev.seen == []

    assert dev.update()["code"] == "2.04"
    results = cloud.wait_events(2, type="op_result", ep="c-q")
    by_op = {e["op"]: e for e in results}
    assert set(by_op) == {op, http_op}, results
    assert by_op[op]["state"] == "done" and by_op[op]["status"] == 200
    assert [m.topic for m in cloud.event_messages()
            if m.json()["type"] == "op_result"][0] == \
        "%s/events/op_result/c-q" % cloud.base
    done = gw.get_json("/v1/ops/%d" % op)
    assert done["result"]["body"] == "Outpost"
    assert dev.requests() == ["GET 3/0/0", "GET 3/0/0"]
    check_event_messages(cloud)


ADMIN, OPERATE, READ = "adm-" + "a" * 20, "ops-" + "o" * 20, "rd-" + "r" * 20


def refused_as_http(gw, answer, need, method, path, body=None,
                    headers=None):
    """A 403 over MQTT as HTTP gives a token of too low a role: its
    status, headers and error. The detail names the role needed (and,
    over MQTT, the topic's); HTTP's Bearer challenge (WWW-Authenticate)
    has no place where no token is asked for."""
    status, hdrs, data = gw.http(method, path, body=body, headers=headers)
    assert (answer.status, status) == (403, 403), (answer, data)
    skip = HOP | {"www-authenticate"}
    assert {k: v for k, v in answer.headers.items() if k not in skip} == \
        {k: v for k, v in hdrs.items() if k not in skip}, (answer, hdrs)
    assert answer.json()["error"] == json.loads(data)["error"] == \
        "forbidden"
    assert "needs the %s role" % need in answer.json()["detail"], answer


def test_roles_come_from_the_topic(mqtt, gateway_factory, devices):
    broker, cloud, gw = linked(mqtt, gateway_factory, auth={
        "admin_token": ADMIN, "operate_token": OPERATE,
        "read_token": READ})
    bearer = {r: {"Authorization": "Bearer " + t} for r, t in
              (("admin", ADMIN), ("operate", OPERATE), ("read", READ))}
    devices(gw, "c-role", answers=RW_ANSWERS)
    dev = devices(gw, "c-role2", answers=RW_ANSWERS)
    path = "/v1/devices/c-role2/r/3/0/15"
    text = {"Content-Type": "text/plain"}
    # read asks for a change: 403 as for a read token over HTTP, even
    # when the request carries an admin token
    a = cloud.request("view", "PUT", path, body="UTC",
                      headers=dict(text, **bearer["admin"]))
    refused_as_http(gw, a, "operate", "PUT", path, body="UTC",
                    headers=dict(text, **bearer["read"]))
    for name, role in (("view", "read"), ("ops", "operate")):
        # decommission needs admin
        a = cloud.request(name, "DELETE", "/v1/devices/c-role")
        refused_as_http(gw, a, "admin", "DELETE", "/v1/devices/c-role",
                        headers=bearer[role])
    assert gw.http("GET", "/v1/devices/c-role",
                   headers=bearer["read"])[0] == 200
    assert dev.seen == []
    # operate changes without any token
    a = cloud.request("ops", "PUT", path, body="UTC", headers=text)
    assert a.status == 204, a
    assert [k for k, _ in dev.seen] == ["PUT 3/0/15"]
    a = cloud.request("view", "GET", "/v1/devices/c-role2/r/3/0/0")
    assert (a.status, a.body) == (200, b"Outpost")


def test_read_topic_refuses_changes_on_an_open_api(mqtt, gateway_factory,
                                                   devices):
    """Without any token the HTTP API is open; the topic's role still
    holds."""
    broker, cloud, gw = linked(mqtt, gateway_factory)
    dev = devices(gw, "c-open", answers=RW_ANSWERS)
    a = cloud.request("view", "PUT", "/v1/devices/c-open/r/3/0/15",
                      body="UTC", headers={"Content-Type": "text/plain"})
    assert a.status == 403, a
    assert a.json()["error"]
    a = cloud.request("view", "DELETE", "/v1/devices/c-open")
    assert a.status == 403, a
    assert gw.device("c-open")["ep"] == "c-open"
    assert dev.seen == []


def barrier(cloud):
    """A request the gateway answers at once: answers to what was sent
    before it have come when its answer comes (one connection, handled in
    order)."""
    a = cloud.request("ops", "GET", "/v1/health")
    assert a.status == 200, a
    return a


def answers_since(cloud, mark):
    """Messages on the answer topics received after the mark-th."""
    return [m for m in cloud.received()[mark:]
            if m.topic.startswith(cloud.reply_base + "/") or
            m.topic.startswith(cloud.base + "/res/")]


def test_unknown_topic_is_not_answered(mqtt, gateway_factory, devices):
    broker, cloud, gw = linked(mqtt, gateway_factory)
    dev = devices(gw, "c-unk", answers=RW_ANSWERS)
    mark = len(cloud.received())
    for name in ("nobody", "ops/deeper", "admin", "OPS"):
        for rt in (True, False):
            cloud.send(name, {"id": "u-%s-%s" % (name, rt), "method": "PUT",
                              "path": "/v1/devices/c-unk/r/3/0/15",
                              "headers": {"Content-Type": "text/plain"},
                              "body": "UTC"},
                       response_topic=rt, answer=False)
    last = barrier(cloud)
    assert [m.json()["id"] for m in answers_since(cloud, mark)] == [
        last.raw["id"]]
    assert dev.seen == []
    assert gw.alive()


def test_malformed_requests(mqtt, gateway_factory, devices):
    broker, cloud, gw = linked(mqtt, gateway_factory)
    dev = devices(gw, "c-bad", answers=RW_ANSWERS)
    put = "/v1/devices/c-bad/r/3/0/15"
    bad = [{"id": "m-nomethod", "path": "/v1/health"},
           {"id": "m-nopath", "method": "GET"},
           {"id": "m-both", "method": "PUT", "path": put, "body": "UTC",
            "body_base64": "VVRD"},
           {"id": "m-relative", "method": "GET", "path": "v1/health"},
           {"id": "m-methodtype", "method": 7, "path": "/v1/health"},
           {"id": "m-pathtype", "method": "GET", "path": ["/v1/health"]},
           {"id": "m-base64", "method": "PUT", "path": put,
            "body_base64": "*not base64*"}]
    for env in bad:
        for rt in (True, False):
            a = cloud.send("ops", env, response_topic=rt)
            assert a.status == 400, a
            assert a.json()["error"] == "bad_request", a
            assert a.json()["detail"], a
    # the event stream is the event topics here
    a = cloud.request("view", "GET", "/v1/events")
    assert a.status == 400 and a.json()["error"] == "not_streamable", a
    a = cloud.request("view", "GET", "/v1/events", query="type=update")
    assert a.status == 400 and a.json()["error"] == "not_streamable", a

    # no readable id: dropped, logged (the log has a budget against a
    # flood) and counted
    log = gw.log_mark()
    none = 'outpost_cloud_requests_total{code="none"}'
    assert metric(gw, none) == 0
    mark = len(cloud.received())
    unreadable = [b"", b"not json", b"\xff\xfe{", b"[1, 2]", b"null",
                  b'"id"', b'{"method": "GET", "path": "/v1/health"',
                  json.dumps({"method": "GET"}).encode(),
                  json.dumps({"id": "x" * 129, "method": "GET",
                              "path": "/v1/health"}).encode(),
                  json.dumps({"id": None, "method": "GET"}).encode(),
                  b"{" * 100000]
    for payload in unreadable:
        cloud.send("ops", payload, answer=False)
    barrier(cloud)
    assert len(answers_since(cloud, mark)) == 1, answers_since(cloud, mark)
    dropped = [line for line in gw.log()[log:].splitlines()
               if "cloud" in line and "req/ops" in line]
    assert dropped, gw.log()[log:]
    assert metric(gw, none) == len(unreadable)
    assert dev.seen == []
    assert gw.alive()
    # and a good request after all that
    a = cloud.request("ops", "PUT", put, body="UTC",
                      headers={"Content-Type": "text/plain"})
    assert a.status == 204, a
    # the id is optional: a request without one is answered without one,
    # found by its Correlation Data
    a = cloud.send("view", {"method": "GET", "path": "/v1/health"})
    assert a.status == 200 and "id" not in a.raw, a


# -- events -----------------------------------------------------------------
def test_events_in_order_as_the_event_stream_has_them(
        mqtt, gateway_factory, devices, node_factory):
    broker, cloud, gw = linked(mqtt, gateway_factory,
                               coap={"max_idle_sessions": 1000})
    sse = SSE(gw)
    connected(gw, 1)
    fleet(node_factory, gw, 40, "cf-")
    plus = devices(gw, "c+plus")
    ups = [devices(gw, "c-ev%d" % i) for i in range(3)]
    for _ in range(30):
        for d in ups:
            assert d.update()["code"] == "2.04"
    plus.update()
    # 40 + 1 + 3 registrations and 91 updates at least
    want = 40 + 1 + 3 + 91
    sse.wait(lambda s: len(s.events) >= want, "the events on the stream")
    evs = cloud.wait_events(want, timeout=20)
    with sse.cond:
        stream = [json.loads(data) for _, _, data in sse.events]
    n = min(len(stream), len(evs))
    assert n >= want
    # the event topics carry what /v1/events carries, in its order
    assert [{k: v for k, v in e.items() if k not in ("gateway", "seq")}
            for e in evs[:n]] == stream[:n]
    seqs_complete(evs)
    check_event_messages(cloud)
    regs = [e["ep"] for e in cloud.events("registration")]
    assert sorted(regs) == sorted(["cf-%d" % i for i in range(40)] +
                                  ["c+plus"] +
                                  ["c-ev%d" % i for i in range(3)])
    assert [e["ep"] for e in cloud.events("update")
            if e["ep"].startswith("c-ev")] == \
        ["c-ev%d" % i for i in range(3)] * 30
    assert "%s/events/registration/c%%2Bplus" % cloud.base in \
        [m.topic for m in cloud.event_messages()]


def test_events_filter(mqtt, gateway_factory, devices):
    broker, cloud, gw = linked(mqtt, gateway_factory,
                               cloud={"events": "registration,deregistration"})
    d = devices(gw, "c-f1")
    for _ in range(5):
        d.update()
    devices(gw, "c-f2")
    evs = cloud.wait_events(2)
    assert [(e["type"], e["ep"]) for e in evs] == [
        ("registration", "c-f1"), ("registration", "c-f2")]
    # seq counts what is published: no gap for the updates left out
    seqs_complete(evs)
    check_event_messages(cloud)


def wait_outbox(gw, n, timeout=10.0):
    wait_for(lambda: metric(gw, "outpost_cloud_outbox_events") == n,
             timeout, what="%d events in the outbox (%r)" % (
                 n, metric(gw, "outpost_cloud_outbox_events")))


def test_broker_outage_of_20s_loses_nothing(mqtt, gateway_factory,
                                            devices):
    broker, cloud, gw = linked(mqtt, gateway_factory, cloud={
        "max_outbox": 10000, "max_outbox_kb": 65536})
    devs = [devices(gw, "c-out%d" % i) for i in range(4)]
    before = cloud.wait_events(4)
    wait_outbox(gw, 0)
    connects = cloud.connects
    assert broker.stop() == 0
    t0 = time.monotonic()
    wait_for(lambda: metric(gw, "outpost_cloud_connected") == 0, 10,
             what="the gateway to see the broker gone")
    for _ in range(250):
        for d in devs:
            assert d.update()["code"] == "2.04"
    # Each event is in the outbox before its device has its answer.
    assert metric(gw, "outpost_cloud_outbox_events") == 1000
    assert time.monotonic() - t0 < OUTAGE_S, "the events took the outage"
    # The rest of the outage: nothing may leave, nothing may be lost.
    wait_seconds(OUTAGE_S - (time.monotonic() - t0), lambda: metric(
        gw, "outpost_cloud_outbox_events") == 1000, interval=0.5)
    assert len(cloud.events()) == 4
    n = len(cloud.statuses())
    broker.start()
    cloud.wait_connected(connects)
    evs = cloud.wait_events(4 + 1000, timeout=60)
    wait_outbox(gw, 0)
    assert len(cloud.events()) == 4 + 1000
    assert evs[:4] == before
    assert [(e["type"], e["ep"]) for e in evs[4:]] == \
        [("update", "c-out%d" % i) for i in range(4)] * 250
    seqs_complete(evs)
    check_event_messages(cloud)
    cloud.wait_status("online", since=n)
    assert metric(gw, "outpost_cloud_connected") == 1


def test_broker_restart_mid_stream_loses_nothing(mqtt, gateway_factory,
                                                 devices):
    """The broker stops while events stream out (some sent, not yet
    acknowledged): after it is back, every event is there, in order; the
    ones sent again come twice, and the subscriber drops them by seq."""
    broker, cloud, gw = linked(mqtt, gateway_factory)
    devs = [devices(gw, "c-mid%d" % i) for i in range(4)]
    cloud.wait_events(4)
    done = []

    def burst():
        for _ in range(150):
            for d in devs:
                assert d.update()["code"] == "2.04"
        done.append(True)
    t = threading.Thread(target=burst)
    t.start()
    try:
        cloud.wait_events(4 + 100)
        connects = cloud.connects
        assert broker.stop() == 0
        broker.start()
        cloud.wait_connected(connects)
    finally:
        t.join(60)
    assert done
    evs = cloud.wait_events(4 + 600, timeout=30)
    wait_outbox(gw, 0)
    assert len(cloud.events()) == 4 + 600
    assert [(e["type"], e["ep"]) for e in evs[4:]] == \
        [("update", "c-mid%d" % i) for i in range(4)] * 150
    seqs_complete(evs)
    check_event_messages(cloud)


def test_kill9_with_a_full_outbox_loses_nothing(mqtt, gateway_factory,
                                                devices):
    broker, cloud, gw = linked(mqtt, gateway_factory)
    devs = [devices(gw, "c-k%d" % i) for i in range(2)]
    before = cloud.wait_events(2)
    wait_outbox(gw, 0)
    connects = cloud.connects
    assert broker.stop() == 0
    wait_for(lambda: metric(gw, "outpost_cloud_connected") == 0, 10,
             what="the gateway to see the broker gone")
    for _ in range(100):
        for d in devs:
            assert d.update()["code"] == "2.04"
    assert metric(gw, "outpost_cloud_outbox_events") == 200
    gw.kill9()
    broker.start()
    cloud.wait_connected(connects)
    gw.start()
    evs = cloud.wait_events(2 + 200, timeout=30)
    wait_outbox(gw, 0)
    assert evs[:2] == before
    assert [(e["type"], e["ep"]) for e in evs[2:202]] == \
        [("update", "c-k0"), ("update", "c-k1")] * 100
    # after the restart seq goes on: none is used twice
    assert devs[0].update()["code"] == "2.04"
    evs = cloud.wait_events(2 + 200 + 1)
    assert (evs[-1]["type"], evs[-1]["ep"]) == ("update", "c-k0")
    seqs_complete(evs)
    check_event_messages(cloud)


def test_metrics_show_the_outbox_while_the_broker_is_down(
        mqtt, gateway_factory, devices):
    broker, cloud, gw = linked(mqtt, gateway_factory)
    dev = devices(gw, "c-m")
    cloud.wait_events(1)
    wait_outbox(gw, 0)
    m = gw.metrics()
    assert m["outpost_cloud_connected"] == 1
    assert m["outpost_cloud_connects_total"] == 1
    assert m["outpost_cloud_outbox_bytes"] == 0
    published = m["outpost_cloud_published_total"]
    assert published >= 1
    assert cloud.request("view", "GET", "/v1/health").status == 200
    assert cloud.request("view", "GET", "/v1/devices/none").status == 404
    m = gw.metrics()
    assert m['outpost_cloud_requests_total{code="2xx"}'] == 1
    assert m['outpost_cloud_requests_total{code="4xx"}'] == 1

    connects = cloud.connects
    assert broker.stop() == 0
    wait_for(lambda: metric(gw, "outpost_cloud_connected") == 0, 10,
             what="the gateway to see the broker gone")
    depth = []
    for i in range(30):
        assert dev.update()["code"] == "2.04"
        depth.append(metric(gw, "outpost_cloud_outbox_events"))
    assert depth == list(range(1, 31))
    m = gw.metrics()
    assert m["outpost_cloud_outbox_bytes"] > 30 * 50
    assert m["outpost_cloud_outbox_oldest_seconds"] >= 0
    wait_for(lambda: metric(gw, "outpost_cloud_outbox_oldest_seconds") >= 1,
             5, what="the oldest event to age")
    broker.start()
    cloud.wait_connected(connects)
    wait_outbox(gw, 0)
    cloud.wait_events(31)
    m = gw.metrics()
    assert m["outpost_cloud_connected"] == 1
    assert m["outpost_cloud_outbox_bytes"] == 0
    assert m["outpost_cloud_outbox_oldest_seconds"] == 0
    assert m["outpost_cloud_connects_total"] == 2
    assert m["outpost_cloud_published_total"] >= published + 30
    assert m.get("outpost_cloud_dropped_total", 0) == 0


def test_full_outbox_drops_the_oldest_and_counts_it(mqtt, gateway_factory,
                                                    devices):
    broker, cloud, gw = linked(mqtt, gateway_factory,
                               cloud={"max_outbox": 10})
    dev = devices(gw, "c-drop")
    cloud.wait_events(1)
    wait_outbox(gw, 0)
    connects = cloud.connects
    assert broker.stop() == 0
    wait_for(lambda: metric(gw, "outpost_cloud_connected") == 0, 10,
             what="the gateway to see the broker gone")
    log = gw.log_mark()
    for _ in range(25):
        assert dev.update()["code"] == "2.04"
    assert metric(gw, "outpost_cloud_outbox_events") == 10
    assert metric(gw, "outpost_cloud_dropped_total") == 15
    assert "cloud" in gw.log()[log:].lower()
    broker.start()
    cloud.wait_connected(connects)
    evs = cloud.wait_events(11)
    wait_outbox(gw, 0)
    # ten updates came, in order; 15 are gone
    assert len(cloud.events("update")) == 10
    assert evs[1]["seq"] > evs[0]["seq"]
    seqs_complete(evs[1:])


def test_password_login(mqtt, gateway_factory, tmp_path):
    broker = mqtt.broker(passwords={GW: "s3cret pass", "cloud": "c"})
    cloud = mqtt.cloud(broker, GW, login=("cloud", "c"))
    good = tmp_path / "good"
    good.write_text("s3cret pass\n")
    bad = tmp_path / "bad"
    bad.write_text("wrong\n")
    gw = cloud_gw(gateway_factory, broker, {"username": GW,
                                            "password_file": bad})
    broker.wait_log("not authorised")
    # the log says why: the broker refused the login
    line = wait_for(lambda: [ln for ln in gw.log().splitlines()
                             if "cloud" in ln and "authori" in ln.lower()],
                    10, what="the gateway to log the refused login")
    assert metric(gw, "outpost_cloud_connected") == 0, line
    assert cloud.statuses() == []
    assert gw.stop() == 0
    gw.write_ini(dict(gw.sections, cloud=dict(gw.sections["cloud"],
                                              password_file=good)))
    gw.start()
    cloud.wait_status("online")
    assert "as %s (" % GW in broker.log()
    assert "u'%s'" % GW in broker.log()


# -- TLS ----------------------------------------------------------------------
DOC_ACL = """\
# the ACL of doc/cloud.md
pattern write outpost/%u/status
pattern write outpost/%u/events/#
pattern write outpost/%u/res/#
pattern read  outpost/%u/req/#

user cloud-ops
topic read  outpost/+/status
topic read  outpost/+/events/#
topic read  outpost/+/res/#
topic write outpost/+/req/ops
topic write outpost/+/req/view

user cloud-dashboard
topic read  outpost/+/status
topic read  outpost/+/events/#
topic read  outpost/+/res/view
topic write outpost/+/req/view
"""


def tls_keys(broker, gw_id=GW, ca=None):
    cert, key = broker.client_cert(gw_id)
    return {"ca_file": ca or broker.ca.cert, "cert_file": cert,
            "key_file": key}


def test_tls_with_client_certificates_and_the_documented_acl(
        mqtt, gateway_factory, devices):
    broker = mqtt.broker(tls=True, acl=DOC_ACL)
    base = "outpost/" + GW
    ops = mqtt.cloud(broker, GW, client_id="cloud-ops",
                     reply_base=base + "/res/to-ops",
                     topics=[base + "/status", base + "/events/#",
                             base + "/res/#"])
    # its ACL lets it read answers on P/G/res/view only
    board = mqtt.cloud(broker, GW, client_id="cloud-dashboard",
                       reply_base=base + "/res",
                       topics=[base + "/status", base + "/events/#",
                               base + "/res/view"])
    gw = cloud_gw(gateway_factory, broker, tls_keys(broker))
    ops.wait_status("online")
    board.wait_status("online")
    assert broker.url.startswith("mqtts://")
    broker.wait_log("as %s (" % GW)
    assert "u'%s'" % GW in broker.log()
    dev = devices(gw, "c-tls", answers=RW_ANSWERS)
    ops.wait_events(1)
    board.wait_events(1)

    path = "/v1/devices/c-tls/r/3/0/15"
    text = {"Content-Type": "text/plain"}
    a = ops.request("ops", "PUT", path, body="UTC", headers=text)
    assert a.status == 204, a
    # the dashboard may only publish on view: read
    a = board.request("view", "PUT", path, body="UTC", headers=text)
    assert a.status == 403, a
    a = board.request("view", "GET", "/v1/devices/c-tls/r/3/0/0")
    assert (a.status, a.body) == (200, b"Outpost"), a
    # the broker keeps it from ops: the gateway never sees it
    mark = len(board.received())
    board.send("ops", {"id": "sneak", "method": "PUT", "path": path,
                       "headers": text, "body": "UTC"}, answer=False)
    a = board.request("view", "GET", "/v1/health")
    assert a.status == 200
    assert [m.json()["id"] for m in board.received()[mark:]
            if m.topic.startswith(base + "/res/")] == [a.raw["id"]]
    assert [k for k in dev.requests() if k.startswith("PUT")] == [
        "PUT 3/0/15"]
    assert "Denied PUBLISH from cloud-dashboard" in broker.log()
    # the gateway stayed within its ACL
    assert "Denied PUBLISH from %s" % GW not in broker.log()


@pytest.mark.parametrize("wrong", ["ca", "name"])
def test_tls_broker_not_trusted_is_not_connected(mqtt, gateway_factory,
                                                 tmp_path, wrong):
    if wrong == "ca":
        broker = mqtt.broker(tls=True)
        keys = tls_keys(broker, ca=CA(tmp_path / "other-ca",
                                      "Someone Else's CA").cert)
    else:
        broker = mqtt.broker(tls=True, server_san="DNS:broker.example.net")
        keys = tls_keys(broker)
    cloud = mqtt.cloud(broker, GW, client_id="cloud-ops",
                       insecure=wrong == "name")
    mark = broker.log_mark()
    gw = cloud_gw(gateway_factory, broker, keys)
    # the gateway tried, and the TLS handshake failed
    broker.wait_log("New connection from 127.0.0.1", since=mark)
    line = wait_for(lambda: [ln for ln in gw.log().splitlines()
                             if "cloud" in ln.lower() and any(
                                 w in ln.lower() for w in (
                                     "certificate", "tls", "verify",
                                     "ssl"))],
                    10, what="the gateway to log the refused broker")
    # with the reason, not only "A TLS error occurred"
    assert ("certificate verify failed" if wrong == "ca" else
            "host name verification failed") in line[0], line
    assert "as %s (" % GW not in broker.log()
    assert metric(gw, "outpost_cloud_connected") == 0
    assert cloud.statuses() == []
    assert gw.alive()


def test_sites_on_one_broker_stay_apart(mqtt, gateway_factory, devices):
    """Two gateways on one broker with doc/cloud.md's ACL: a request for
    one site is served by that site's gateway alone, and a box of another
    site, its own certificate in hand, can neither read it nor answer for
    it."""
    broker = mqtt.broker(tls=True, acl=DOC_ACL)
    ops = mqtt.cloud(broker, "site-b", client_id="cloud-ops",
                     reply_base="outpost/site-b/res/to-ops",
                     topics=["outpost/+/status", "outpost/+/res/#"])
    spy = mqtt.cloud(broker, "site-a", client_id="site-a-spy",
                     cert=broker.client_cert("site-a"),
                     topics=["outpost/site-a/req/#"])
    # beyond its ACL: the broker takes the subscriptions and sends nothing
    spy.client.subscribe([("outpost/site-b/req/#", 1), ("outpost/+/req/#", 1),
                          ("outpost/site-b/res/#", 1)])
    gw_a = cloud_gw(gateway_factory, broker, tls_keys(broker, "site-a"),
                    gw_id="site-a")
    gw_b = cloud_gw(gateway_factory, broker, tls_keys(broker, "site-b"),
                    gw_id="site-b")
    wait_for(lambda: {m.topic for m in ops.received()} >= {
        "outpost/site-a/status", "outpost/site-b/status"}, 10,
        what="both sites online")
    devices(gw_a, "pump-a", answers=RW_ANSWERS)
    devices(gw_b, "pump-b", answers=RW_ANSWERS)
    mark = len(spy.received())
    a = ops.request("ops", "GET", "/v1/devices/pump-b/r/3/0/0")
    assert (a.status, a.body) == (200, b"Outpost"), a
    # the site-a box forges an answer for site-b: the broker drops it
    spy.publish("outpost/site-b/res/to-ops/ops",
                json.dumps({"id": "forged", "status": 200}).encode())
    # a request of its own arrives, after everything above: it would have
    # had site-b's by then
    ops.publish("outpost/site-a/req/ops", json.dumps(
        {"id": "to-a", "method": "GET", "path": "/v1/health"}).encode())
    wait_for(lambda: any(m.topic == "outpost/site-a/req/ops"
                         for m in spy.received()[mark:]), 10,
             what="site-a's own request")
    # (twice, perhaps: two of its subscriptions match it)
    assert {m.topic for m in spy.received()[mark:]} == {
        "outpost/site-a/req/ops"}
    assert not [m for m in ops.received() if b"forged" in m.payload]
    # site-b's request was served by site-b's gateway, not site-a's
    assert metric(gw_b, 'outpost_cloud_requests_total{code="2xx"}') == 1
    wait_for(lambda: metric(
        gw_a, 'outpost_cloud_requests_total{code="2xx"}') == 1, 10,
        what="site-a's answer to its own request")
    assert "pump-b" not in gw_a.log()
    assert "Denied PUBLISH from site-a-spy" in broker.log()
