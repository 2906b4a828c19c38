"""
Alarms (doc/alarms.md): a threshold rule raised and cleared by a scripted
device's notifications crossing its limit and its hysteresis, acknowledged,
surviving a restart; a silence rule of gateway.ini raised by a device that
says nothing and cleared when it speaks; both seen on the event stream and
the webhook; a rule pushed down to outpost-node as Write-Attributes, after
which the agent notifies only the crossings, and the gateway hears only
those.
"""
import json

from conftest import URI_QUERY, wait_for
from test_events import SSE, connected
from test_node import wait_registered
from test_node_objects import set_config
from test_webhook import Receiver


def alarm_events(sse, action=None):
    """The "alarm" events sse has seen (of action, when given), as dicts."""
    out = []
    for _, kind, data in sse.events:
        if kind != "alarm":
            continue
        doc = json.loads(data)
        if action is None or doc["action"] == action:
            out.append(doc)
    return out


def notified(sse, path):
    """The values of path in the notifications sse has seen, in order."""
    return [json.loads(data).get("value") for _, kind, data in sse.events
            if kind == "notification" and json.loads(data).get("path") ==
            path]


def hook_alarms(receiver, action):
    return [e for e in receiver.events
            if e.get("type") == "alarm" and e.get("action") == action]


def queries(dev, key):
    """The Uri-Query of each request key the scripted device got."""
    return ["&".join(v.decode() for n, v in m["options"] if n == URI_QUERY)
            for k, m in list(dev.seen) if k == key]


def test_threshold_raised_cleared_acknowledged_and_kept(gateway_factory,
                                                        devices):
    hook = Receiver()
    try:
        gw = gateway_factory(webhook={"url": "http://127.0.0.1:%d/hook" %
                                      hook.port, "retry_max": 1})
        dev = devices(gw, "al-1", answers={
            "GET 3/0/7": ("2.05", b"50", 0, None),
            "PUT 3/0/7": ("2.04", b"", None, None)})
        sse = SSE(gw, "?type=alarm")
        try:
            connected(gw, 1)
            status, hdrs, body = gw.http("POST", "/v1/alarm-rules",
                                         body=json.dumps({
                                             "kind": "threshold",
                                             "path": "/3/0/7",
                                             "above": 80, "hysteresis": 10,
                                             "ep": "al-1",
                                             "severity": "critical",
                                             "name": "hot"}))
            assert status == 201, body
            rule = json.loads(body)
            assert hdrs["location"] == "/v1/alarm-rules/" + rule["id"]
            assert rule["push"] is True and rule["origin"] == "api"
            # Pushed down: the attributes through the queue, and the path
            # observed.
            dev.wait_answered("PUT 3/0/7")
            assert queries(dev, "PUT 3/0/7") == ["gt=80&lt=70"]
            wait_for(lambda: "3/0/7" in dev.observers, what="observed")
            dev.wait_answered("GET 3/0/7")

            dev.notify("3/0/7", b"85", 2)
            sse.wait(lambda s: alarm_events(s, "raise"), "raised")
            raised = alarm_events(sse, "raise")[0]
            assert raised["ep"] == "al-1" and raised["value"] == 85
            assert raised["severity"] == "critical"
            assert raised["rule"] == rule["id"]
            aid = raised["id"]
            # Inside the hysteresis: still active, the next one past the
            # limit counted.
            dev.notify("3/0/7", b"75", 3)
            dev.notify("3/0/7", b"90", 4)
            wait_for(lambda: gw.get_json("/v1/alarms/%d" % aid)["count"] ==
                     2, what="counted")
            assert not alarm_events(sse, "clear")
            one = gw.get_json("/v1/alarms/%d" % aid)
            assert one["state"] == "active" and one["value"] == 90
            assert one["acked"] is None

            status, _, body = gw.http("POST", "/v1/alarms/%d/ack" % aid,
                                      body=json.dumps({"by": "ops@site"}))
            assert status == 200, body
            assert json.loads(body)["acked"]["by"] == "ops@site"
            assert gw.http("POST", "/v1/alarms/%d/ack" % aid)[0] == 409
            sse.wait(lambda s: alarm_events(s, "ack"), "acknowledged")
            listed = gw.get_json("/v1/alarms?state=active")["alarms"]
            assert [a["id"] for a in listed] == [aid]
            hook.wait(lambda e: e.get("type") == "alarm" and
                      e.get("action") == "ack", "ack on the webhook")
        finally:
            sse.close()

        # A restart keeps the rule, the alarm and who acknowledged it.
        gw.restart()
        one = gw.get_json("/v1/alarms/%d" % aid)
        assert one["state"] == "active" and one["count"] == 2
        assert one["acked"]["by"] == "ops@site"
        assert gw.get_json("/v1/alarm-rules/" + rule["id"])["active"] == 1
        m = gw.metrics()
        assert m['outpost_alarms_active{severity="critical"}'] == 1
        assert m['outpost_alarms_active{severity="minor"}'] == 0
        # The observation the rule holds is made again when the device is
        # next heard from.
        n = len(queries(dev, "GET 3/0/7"))
        sse = SSE(gw, "?type=alarm")
        try:
            connected(gw, 1)
            dev.update()
            dev.wait_answered("GET 3/0/7", n + 1)
            dev.notify("3/0/7", b"69", 5)
            sse.wait(lambda s: alarm_events(s, "clear"), "cleared")
            cleared = alarm_events(sse, "clear")[0]
            assert cleared["id"] == aid and cleared["value"] == 90
        finally:
            sse.close()
        one = gw.get_json("/v1/alarms/%d" % aid)
        assert one["state"] == "cleared" and one["cleared"] is not None
        assert gw.get_json("/v1/alarms?state=active")["alarms"] == []
        assert gw.metrics()['outpost_alarms_active{severity="critical"}'] \
            == 0
        assert [a["id"] for a in gw.get_json(
            "/v1/alarms?state=cleared&ep=al-1")["alarms"]] == [aid]
        # The webhook got each, in order, through the restart.
        hook.wait(lambda e: e.get("type") == "alarm" and
                  e.get("action") == "clear", "clear on the webhook")
        assert [e["action"] for e in hook.events
                if e.get("type") == "alarm"] == ["raise", "ack", "clear"]
        assert hook_alarms(hook, "raise")[0]["ep"] == "al-1"
    finally:
        hook.close()


def test_silence_of_gateway_ini_raised_and_cleared(gateway_factory,
                                                   devices):
    hook = Receiver()
    try:
        gw = gateway_factory(
            webhook={"url": "http://127.0.0.1:%d/hook" % hook.port,
                     "retry_max": 1},
            alarms={"silence_s": 2, "sweep_s": 1, "severity": "minor"})
        rules = gw.get_json("/v1/alarm-rules")["rules"]
        assert [r["id"] for r in rules] == ["ini-silence", "ini-expired",
                                             "ini-failure"]
        assert rules[0]["severity"] == "minor" and \
            rules[0]["origin"] == "ini"
        assert gw.http("DELETE", "/v1/alarm-rules/ini-silence")[0] == 409
        sse = SSE(gw, "?type=alarm")
        try:
            connected(gw, 1)
            dev = devices(gw, "al-quiet")
            sse.wait(lambda s: alarm_events(s, "raise"), "silence raised",
                     timeout=10)
            raised = alarm_events(sse, "raise")[0]
            assert raised["rule"] == "ini-silence"
            assert raised["kind"] == "silence" and raised["ep"] == \
                "al-quiet"
            assert raised["value"] >= 2 and raised["severity"] == "minor"
            hook.wait(lambda e: e.get("type") == "alarm" and
                      e.get("action") == "raise", "raise on the webhook")
            # It speaks: an update clears it at once.
            dev.update()
            sse.wait(lambda s: alarm_events(s, "clear"), "silence cleared")
            assert alarm_events(sse, "clear")[0]["id"] == raised["id"]
            hook.wait(lambda e: e.get("type") == "alarm" and
                      e.get("action") == "clear", "clear on the webhook")
            status, _, body = gw.http("POST", "/v1/alarms/%d/ack" %
                                      raised["id"])
            assert status == 200, body
            assert json.loads(body)["acked"]["by"] == "anonymous"
        finally:
            sse.close()
        gw.restart()
        one = gw.get_json("/v1/alarms/%d" % raised["id"])
        assert one["state"] == "cleared" and one["acked"] is not None
    finally:
        hook.close()


def test_rule_pushed_down_to_the_agent(gateway, node_factory):
    node = node_factory(gateway, ep="al-n", sections={
        "device": {"battery": 50}, "health": {"sample": 1}})
    wait_registered(gateway, "al-n")
    sse = SSE(gateway, "?ep=al-n&type=notification,alarm")
    try:
        connected(gateway, 1)
        status, _, body = gateway.http("POST", "/v1/alarm-rules",
                                       body=json.dumps({
                                           "kind": "threshold",
                                           "path": "3/0/9", "below": 20,
                                           "hysteresis": 10,
                                           "ep": "al-n"}))
        assert status == 201, body
        # The agent holds the attributes the gateway wrote.
        wait_for(lambda: node.coap("get", "3/0/9", accept=40).body ==
                 "</3/0/9>;gt=30;lt=20", what="the attributes written")
        sse.wait(lambda c: notified(c, "3/0/9") == ["50"], "the answer")
        # Only crossings of 20 and 30 are told, either way.
        for level in (45, 40, 25, 15, 18, 22, 35, 33):
            set_config(node, {"device": {"battery": level}})
        want = ["50", "25", "15", "22", "35"]
        sse.wait(lambda c: len(notified(c, "3/0/9")) >= len(want) and
                 alarm_events(c, "clear"), "the crossings", timeout=10)
        assert notified(sse, "3/0/9") == want
        raised = alarm_events(sse, "raise")
        assert [a["value"] for a in raised] == [15]
        # The alarm keeps the value that last met its condition.
        assert [a["value"] for a in alarm_events(sse, "clear")] == [15]
    finally:
        sse.close()
    # Deleted: the attributes are removed from the agent.
    rid = gateway.get_json("/v1/alarm-rules")["rules"][-1]["id"]
    assert gateway.http("DELETE", "/v1/alarm-rules/" + rid)[0] == 204
    wait_for(lambda: node.coap("get", "3/0/9", accept=40).body ==
             "</3/0/9>", what="the attributes removed")
    assert gateway.http("GET", "/v1/alarm-rules/" + rid)[0] == 404
