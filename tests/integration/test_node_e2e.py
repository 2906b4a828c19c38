"""
The gateway's proxy, queue, cache and observations against the real device
agent, outpost-node: awake, asleep in queue mode, and in fleet mode.
"""
import json

from conftest import wait_for
from test_events import SSE, connected
from test_node import wait_registered

CACHED = {"Cache-Control": "only-if-cached"}


def test_read_write_execute_delete_discover(gateway, node_factory, tmp_path):
    marker = tmp_path / "rebooted"
    node_factory(gateway, ep="e2e-1", sections={"device": {
        "reboot_command": "touch %s" % marker}})
    wait_registered(gateway, "e2e-1")
    status, hdrs, body = gateway.http("GET", "/v1/devices/e2e-1/r/3/0/0")
    assert (status, body) == (200, b"Outpost")
    assert hdrs["content-type"] == "text/plain;charset=utf-8"
    status, hdrs, body = gateway.http("GET", "/v1/devices/e2e-1/r/3/0")
    assert hdrs["content-type"] == "application/senml+json"
    assert {"n": "0", "vs": "Outpost"} in [
        {k: r[k] for k in r if k in ("n", "vs")} for r in json.loads(body)
        if r.get("n") == "0"]
    status, _, body = gateway.http("GET", "/v1/devices/e2e-1/r/health")
    assert status == 200 and json.loads(body)["mem_total_kb"] > 0
    # Write: /config takes JSON; a bad document is 4.00 -> 400.
    cfg = json.loads(gateway.http("GET", "/v1/devices/e2e-1/r/config")[2])
    status, _, _ = gateway.http("PUT", "/v1/devices/e2e-1/r/config",
                                body=json.dumps(cfg),
                                headers={"Content-Type": "application/json"})
    assert status in (200, 204)
    status, _, _ = gateway.http("PUT", "/v1/devices/e2e-1/r/config",
                                body='{"no such key": 1}',
                                headers={"Content-Type": "application/json"})
    assert status == 400
    # Execute /3/0/4 (reboot) runs the configured command.
    assert gateway.http("POST", "/v1/devices/e2e-1/r/3/0/4")[0] in (200, 204)
    wait_for(marker.exists, what="the reboot command to run")
    # Delete of a resource the node does not allow: a mapped error.
    assert gateway.http("DELETE", "/v1/devices/e2e-1/r/3/0/0")[0] in (400,
                                                                      403)
    status, hdrs, body = gateway.http("GET",
                                      "/v1/devices/e2e-1/r/3/0?discover=1")
    assert status == 200
    assert hdrs["content-type"] == "application/link-format"
    assert b"</3/0/0>" in body


def test_sleeping_agent_gets_queued_ops_when_it_wakes(gateway_factory,
                                                      node_factory):
    gw = gateway_factory(registry={"awake_window": 1})
    node = node_factory(gw, ep="e2e-q", sections={"node": {
        "binding": "UQ", "sleep": 3, "awake": 1}})
    wait_registered(gw, "e2e-q")
    gw.wait_state("e2e-q", "sleeping", timeout=10)
    status, hdrs, _ = gw.http("GET", "/v1/devices/e2e-q/r/3/0/0")
    assert status == 202
    op = gw.get_json(hdrs["location"])["op"]
    done = wait_for(lambda: (lambda o: o if o["state"] == "done" else None)(
        gw.get_json("/v1/ops/%d" % op)), 15, what="the op delivered")
    assert done["result"]["body"] == "Outpost"
    assert node.alive()


def test_fleet_devices_answer_reads(gateway_factory, node_factory):
    gw = gateway_factory(coap={"max_idle_sessions": 1000})
    node_factory(gw, ep="unused", listen=False, args=[
        "--fleet", "20", "--prefix", "e2e-f", "--spread", "1"])
    wait_for(lambda: gw.get_json("/v1/health")["devices"] == 20, 20,
             what="20 fleet devices registered")
    for i in (0, 7, 19):
        status, _, body = gw.http("GET", "/v1/devices/e2e-f%d/r/3/0/2" % i)
        assert (status, body) == (200, b"e2e-f%d" % i)


def test_observe_health_and_battery_reach_cache_and_two_streams(
        gateway, node_factory):
    node_factory(gateway, ep="e2e-o", sections={"health": {"pmax": 1,
                                                           "sample": 1}})
    wait_registered(gateway, "e2e-o")
    clients = [SSE(gateway, "?type=notification"),
               SSE(gateway, "?ep=e2e-o&type=notification")]
    try:
        connected(gateway, 2)
        for path in ("health", "3/0/9"):
            assert gateway.http("POST", "/v1/devices/e2e-o/observe/" +
                                path)[0] == 201
        for c in clients:
            c.wait(lambda c: sum('"path":"health"' in e[2]
                                 for e in c.events) >= 2,
                   "two /health notifications", timeout=10)
            c.wait(lambda c: any('"path":"3/0/9"' in e[2]
                                 for e in c.events), "a battery value")
        status, hdrs, body = gateway.http(
            "GET", "/v1/devices/e2e-o/r/health", headers=CACHED)
        assert status == 200 and "age" in hdrs
        assert "mem_free_kb" in json.loads(body)
        obs = {o["path"]: o for o in
               gateway.get_json("/v1/observations")["observations"]}
        assert obs["health"]["established"] and \
            obs["health"]["notifications"] >= 2
    finally:
        for c in clients:
            c.close()


def test_kill_9_loop_against_a_sleeping_agent(gateway_factory, node_factory):
    """kill -9 of the gateway at different moments while a queue-mode
    outpost-node sleeps and wakes: every op acknowledged with 202 reaches
    the node and ends done, first deliveries follow the op ids, and an op
    whose result was recorded before a kill is never delivered again. Each
    op writes a distinct value to /config, which the node logs."""
    gw = gateway_factory(registry={"awake_window": 1})
    node = node_factory(gw, ep="e2e-k9", sections={"node": {
        "binding": "UQ", "sleep": 1, "awake": 1}})
    wait_registered(gw, "e2e-k9")

    def mark(i):
        return '"pmax":%d}' % (1000 + i)

    def delivered(i):
        return node.count_log(mark(i))

    acked, recorded = [], {}
    for rnd in range(5):
        first = len(acked)
        for _ in range(4):
            i = len(acked)
            status, hdrs, body = gw.http(
                "PUT", "/v1/devices/e2e-k9/r/config?mode=queue",
                body=json.dumps({"health": {"pmax": 1000 + i}}),
                headers={"Content-Type": "application/json"})
            assert status == 202, (status, body)
            acked.append(json.loads(body)["op"])
        if rnd % 3 == 1:            # kill while the round's first op is out
            node.wait_log(mark(first), timeout=15)
        elif rnd % 3 == 2:          # kill in the middle of a flush
            wait_for(lambda: gw.get_json("/v1/ops/%d" % acked[first])[
                "state"] == "done", 15, what="op %d done" % acked[first])
        gw.kill9()
        gw.start()
        for i, op in enumerate(acked):
            o = gw.get_json("/v1/ops/%d" % op)
            if o["state"] == "done":
                recorded.setdefault(i, delivered(i))
                assert delivered(i) >= 1
            else:
                assert o["state"] in ("queued", "sending"), o
    for op in acked:
        wait_for(lambda: gw.get_json("/v1/ops/%d" % op)["state"] == "done",
                 20, what="op %d done" % op)
    for i, op in enumerate(acked):
        assert delivered(i) >= 1, "op %d never reached the node" % op
        if i in recorded:
            assert delivered(i) == recorded[i], \
                "op %d delivered again after its result was recorded" % op
    log = node.log()
    firsts = [log.find(mark(i)) for i in range(len(acked))]
    assert firsts == sorted(firsts), "first deliveries out of order"
    assert node.alive()
