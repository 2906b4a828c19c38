"""
A fleet job over 300 outpost-node fleet devices selected by tag: a
configuration write (/3/0/15 Timezone) in 3 groups, started at a rate
that ramps up, at most 20 at once. Ten endpoints that carry the tag but
never register stand in for dead devices at the end of the third group:
their steps wait in the durable queue, in progress, until their timeout;
then they fail, and the job pauses at the third group's threshold while
every live device has its new value.
"""
import json

from conftest import wait_for
from test_fleet_fw import fleet
from test_jobs import devs, get, job, settled

TAG = "plant-7"


def tag_all(gw, eps):
    for ep in eps:
        status, _, body = gw.http("PUT", "/v1/devices/%s/tags" % ep,
                                  body=json.dumps([TAG, "fleet"]))
        assert status == 200, body


def test_config_write_to_300_by_tag(gateway_factory, node_factory):
    gw = gateway_factory(coap={"max_idle_sessions": 1000},
                         jobs={"poll_s": 3600})
    live = ["jt-%d" % i for i in range(300)]
    dead = ["jt-ghost-%d" % i for i in range(10)]
    node = fleet(node_factory, gw, 300, "jt-")
    tag_all(gw, live + dead)
    j = job(gw, {"name": "timezone plant 7",
                 "target": {"tags": [TAG]},
                 "steps": [{"op": "write", "path": "/3/0/15",
                            "value": "Europe/Berlin"}],
                 "rollout": {"groups": 3, "max_concurrent": 20,
                             "rate": {"per_minute": 600, "ramp_factor": 2,
                                      "ramp_every": 20,
                                      "max_per_minute": 6000},
                             "failure": {"group_percent": 5},
                             "timeout_s": 3, "retries": 0}})
    assert j["total"] == 310 and j["groups"] == 3
    recs = devs(gw, j["id"])
    # target order is the tag's (endpoint) order: the dead ones are last
    assert {recs[ep]["group"] for ep in dead} == {2}
    wait_for(lambda: get(gw, j["id"])["status"] == "paused", 120,
             interval=0.2, what="the job paused at group 3's threshold")
    s = get(gw, j["id"])
    assert "group 3" in s["reason"] and "5%" in s["reason"], s
    # what was in flight when it paused carries on to its end
    wait_for(lambda: get(gw, j["id"])["counts"]["in_progress"] == 0, 30,
             interval=0.2, what="the devices in flight finished")
    wait_for(lambda: settled(gw, j["id"]), 5, what="the records")
    s = get(gw, j["id"])
    assert s["counts"]["succeeded"] == 300, s["counts"]
    assert s["counts"]["failed"] == 10, s["counts"]
    failed = devs(gw, j["id"], "failed")
    assert sorted(failed) == sorted(dead)
    assert all("timed out" in r["error"] for r in failed.values())
    for ep in ("jt-0", "jt-150", "jt-299"):
        status, _, body = gw.http("GET", "/v1/devices/%s/r/3/0/15" % ep)
        assert status == 200 and body == b"Europe/Berlin", (ep, body)
    assert node.alive()
