"""
History: the numbers of outpost-node fleet devices notifying their
/health each second, kept per device and member, read back through GET
/v1/devices/{ep}/history/{path} by window, page and step, and checked
against the values the notifications carried (the "notification" events
of the event stream); retention by age and by bytes dropping the oldest;
a restart and a kill -9 that keep every point committed before them (a
point the API showed is committed: it reads committed data only).
"""
import json

from conftest import wait_for
from test_events import SSE, connected

HEALTH = {"sample": 1, "pmax": 1}


def start_fleet(gw, node_factory, n, prefix):
    node = node_factory(gw, ep="unused", listen=False,
                        sections={"health": HEALTH},
                        args=["--fleet", str(n), "--prefix", prefix,
                              "--spread", "0"])
    wait_for(lambda: gw.get_json("/v1/health")["devices"] >= n, 30,
             what="%d fleet devices registered" % n)
    return node


def observe_health(gw, eps):
    for ep in eps:
        status, _, body = gw.http("POST", "/v1/devices/%s/observe/health"
                                  % ep)
        assert status == 201, (ep, status, body)


def hist(gw, ep, path, **q):
    query = "&".join("%s=%s" % kv for kv in q.items())
    return gw.get_json("/v1/devices/%s/history/%s%s" % (
        ep, path, "?" + query if query else ""))


def raw_all(gw, ep, path, limit=1000, **q):
    """Every raw row of the window, page by page."""
    rows, after = [], None
    while True:
        extra = dict(q, limit=limit)
        if after:
            extra["after"] = after
        page = hist(gw, ep, path, **extra)
        rows += page["points"]
        after = page["next"]
        if after is None:
            return rows
        q.setdefault("from", page["from"])
        q.setdefault("to", page["to"])


def numbers(value):
    return {k: v for k, v in value.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def test_history_of_100_fleet_devices(gateway_factory, node_factory):
    gw = gateway_factory(coap={"max_idle_sessions": 1000},
                         events={"ring": 8192})
    eps = ["hx-%d" % i for i in range(100)]
    node = start_fleet(gw, node_factory, 100, "hx-")
    sse = SSE(gw, "?type=notification,tags")
    try:
        connected(gw, 1)
        observe_health(gw, eps)

        def per_device(s):
            seen = {}
            for _, kind, data in s.events:
                if kind == "notification":
                    ep = json.loads(data)["ep"]
                    seen[ep] = seen.get(ep, 0) + 1
            return seen

        sse.wait(lambda s: len(per_device(s)) == 100 and
                 min(per_device(s).values()) >= 4,
                 "4 notifications of each device", timeout=60)
        node.stop()
        # The stream is in order: once this event is seen, every
        # notification before it was.
        status, _, _ = gw.http("PUT", "/v1/devices/hx-0/tags",
                               body='["done"]')
        assert status == 200
        sse.wait(lambda s: "tags" in s.types(), "the tags event")
        sent = {ep: [] for ep in eps}
        for _, kind, data in sse.events:
            if kind == "notification":
                e = json.loads(data)
                assert e["path"] == "health"
                sent[e["ep"]].append(numbers(e["value"]))
    finally:
        sse.close()
    members = sorted(sent["hx-0"][0])
    assert "uptime_s" in members and "mem_free_kb" in members, members

    for i, ep in enumerate(eps):
        n = len(sent[ep])

        def committed():
            b = hist(gw, ep, "health/uptime_s", step="366d")["buckets"]
            return sum(x["count"] for x in b) == n
        wait_for(committed, 10, what="%d points of %s committed" % (n, ep))
        series = gw.get_json("/v1/devices/%s/history" % ep)["series"]
        assert [s["path"] for s in series] == \
            ["health/" + m for m in members]
        # Raw, in order, as sent; paged two at a time the same.
        rows = raw_all(gw, ep, "health/uptime_s")
        assert [r["v"] for r in rows] == [v["uptime_s"] for v in sent[ep]]
        times = [r["t"] for r in rows]
        assert times == sorted(times) and len(set(times)) == n
        if i % 10 == 0:
            assert raw_all(gw, ep, "health/uptime_s", limit=2) == rows
        # A window: from the second point (included) to the last
        # (excluded).
        part = raw_all(gw, ep, "health/uptime_s", **{"from": times[1],
                                                      "to": times[-1]})
        assert part == rows[1:-1]
        # By step: one bucket of all, for every member, and buckets of a
        # second that add up.
        for m in members if i % 10 == 0 else ["uptime_s", "cpu_pct"]:
            vals = [v[m] for v in sent[ep] if m in v]
            b = hist(gw, ep, "health/" + m, step="366d")["buckets"]
            assert sum(x["count"] for x in b) == len(vals), (ep, m)
            assert min(x["min"] for x in b) == min(vals), (ep, m)
            assert max(x["max"] for x in b) == max(vals), (ep, m)
            mean = sum(x["mean"] * x["count"] for x in b) / len(vals)
            assert abs(mean - sum(vals) / len(vals)) <= \
                1e-9 * max(1.0, abs(mean)), (ep, m, mean)
        sec = hist(gw, ep, "health/uptime_s", step="1s")["buckets"]
        assert sum(x["count"] for x in sec) == n
        assert [x["t"] for x in sec] == sorted(x["t"] for x in sec)
        assert all(x["t"].endswith(".000Z") for x in sec)
        for x in sec:
            assert x["min"] <= x["mean"] <= x["max"]
    # /metrics counts what was written and held.
    m = gw.metrics()
    assert m["outpost_history_points_written_total"] >= \
        sum(len(v) for ep in eps for v in sent[ep])
    assert m["outpost_history_series"] >= 100 * len(members)
    assert m["outpost_history_bytes"] > 0


def oldest(gw, ep, path):
    rows = hist(gw, ep, path, **{"from": 0, "limit": 1})["points"]
    return rows[0] if rows else None


def test_retention_by_age_drops_the_oldest(gateway_factory, node_factory):
    gw = gateway_factory(history={"raw_age_s": 2, "bucket_s": 1,
                                  "max_age_s": 4, "sweep_s": 1})
    eps = ["ha-%d" % i for i in range(5)]
    node = start_fleet(gw, node_factory, 5, "ha-")
    observe_health(gw, eps)
    first = wait_for(lambda: oldest(gw, "ha-0", "health/uptime_s"), 10,
                     what="a first point")
    # Rolled up: stored buckets of a second come before the raw points.
    wait_for(lambda: any("step" in r for r in hist(
        gw, "ha-0", "health/uptime_s", **{"from": 0})["points"]), 15,
        what="points rolled up into buckets")
    # The oldest goes while the newest stay.
    wait_for(lambda: oldest(gw, "ha-0", "health/uptime_s")["t"] >
             first["t"], 15, what="the oldest dropped")
    for ep in eps:
        rows = hist(gw, ep, "health/uptime_s", **{"from": 0})["points"]
        assert rows and rows[0]["t"] > first["t"], (ep, rows)
    # Once nothing new comes, everything goes in its turn.
    node.stop()
    wait_for(lambda: oldest(gw, "ha-4", "health/uptime_s") is None, 20,
             what="all history past max_age_s dropped")
    # A deregistered device keeps its series until it is decommissioned.
    assert gw.get_json("/v1/devices/ha-4/history")["series"]
    status, _, body = gw.http("DELETE", "/v1/devices/ha-4")
    assert status == 204, body
    status, _, body = gw.http("GET", "/v1/devices/ha-4/history")
    assert status == 404, body


def test_retention_by_bytes_drops_the_oldest(gateway_factory,
                                             node_factory):
    gw = gateway_factory(coap={"max_idle_sessions": 1000},
                         history={"max_kb": 64, "sweep_s": 1})
    eps = ["hb-%d" % i for i in range(40)]
    node = start_fleet(gw, node_factory, 40, "hb-")
    observe_health(gw, eps)
    first = wait_for(lambda: oldest(gw, "hb-0", "health/uptime_s"), 10,
                     what="a first point")
    gw.wait_log("over [history] max_kb", timeout=60)
    wait_for(lambda: oldest(gw, "hb-0", "health/uptime_s")["t"] >
             first["t"], 20, what="the oldest dropped for bytes")
    node.stop()
    # The newest of every device stay.
    for ep in eps:
        assert hist(gw, ep, "health/uptime_s")["points"], ep


def snapshot(gw, eps):
    return {ep: {r["t"]: r["v"] for r in raw_all(
        gw, ep, "health/uptime_s", **{"from": 0})} for ep in eps}


def test_restart_and_kill9_keep_committed_history(gateway_factory,
                                                  node_factory):
    gw = gateway_factory()
    eps = ["hr-%d" % i for i in range(20)]
    start_fleet(gw, node_factory, 20, "hr-")
    observe_health(gw, eps)
    for ep in eps:
        wait_for(lambda: len(hist(gw, ep, "health/uptime_s")["points"]) >=
                 3, 15, what="3 points of %s" % ep)
    # What the API shows is committed; the devices go on notifying while
    # the gateway is killed.
    before = snapshot(gw, eps)
    gw.kill9()
    gw.start()
    after = snapshot(gw, eps)
    for ep in eps:
        lost = set(before[ep]) - set(after[ep])
        assert not lost, (ep, sorted(lost))
        assert all(after[ep][t] == v for t, v in before[ep].items())
    # The observations are made again: points go on after the restart.
    wait_for(lambda: len(snapshot(gw, ["hr-0"])["hr-0"]) >
             len(after["hr-0"]), 30, what="points after the kill -9")
    before = snapshot(gw, eps)
    gw.restart()
    after = snapshot(gw, eps)
    for ep in eps:
        assert set(before[ep]) <= set(after[ep]), ep
    # A decommission drops the device's history with it (committed
    # before the 204), and a restart does not bring it back.
    status, _, body = gw.http("DELETE", "/v1/devices/hr-1")
    assert status == 204, body
    gw.restart()
    status, _, body = gw.http("GET", "/v1/devices/hr-1/history/health/"
                              "uptime_s?from=0")
    assert status == 404, body
    assert snapshot(gw, ["hr-2"])["hr-2"]
