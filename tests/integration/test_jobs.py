"""
Fleet jobs (/v1/jobs) on scripted devices: steps in order with their
conditions, groups held at an approval gate and continued, a daily window
that opens during the test in a named time zone, a reboot job that defers
a device whose firmware update is in progress and one whose battery is
low and completes them when that clears, a continuous job that a device
joins when it registers later or gains the tag, kill -9 in the middle of a
job (nothing lost, no recorded step sent again), pause, resume, cancel,
and requests refused with the member at fault (nothing stored).
"""
import datetime
import json
import time
import zoneinfo

from conftest import wait_for

OK = ("2.04", b"", None, None)
CHANGED = "2.04"


def job(gw, body, expect=201):
    status, hdrs, out = gw.http("POST", "/v1/jobs", body=json.dumps(body))
    assert status == expect, out
    return json.loads(out)


def get(gw, jid):
    return gw.get_json("/v1/jobs/%d" % jid)


def devs(gw, jid, state=None):
    """Every device record of the job (all pages)."""
    out, after = [], None
    while True:
        q = "limit=100"
        if state:
            q += "&state=" + state
        if after:
            q += "&after=" + after
        doc = gw.get_json("/v1/jobs/%d/devices?%s" % (jid, q))
        out += doc["devices"]
        if doc["next"] is None:
            return {d["ep"]: d for d in out}
        after = doc["next"]


def settled(gw, jid):
    """Whether the device records (the committed ones the API pages
    through) agree with the job's counts (what the engine has now)."""
    counts = get(gw, jid)["counts"]
    recs = devs(gw, jid)
    return all(sum(1 for r in recs.values() if r["state"] == st) == n
               for st, n in counts.items())


def wait_status(gw, jid, status, timeout=20):
    """Waits for the job's status, then for its device records to be
    committed as they are."""
    wait_for(lambda: get(gw, jid)["status"] == status, timeout,
             what="job %d %s" % (jid, status))
    wait_for(lambda: settled(gw, jid), 5, what="job %d's records" % jid)
    return get(gw, jid)


def action(gw, jid, what, expect=200):
    status, _, out = gw.http("POST", "/v1/jobs/%d/%s" % (jid, what))
    assert status == expect, out
    return json.loads(out)


def job_gateway(gateway_factory, **jobs):
    cfg = {"poll_s": 1, "timeout_s": 20, "retries": 0, "backoff_s": 1}
    cfg.update(jobs)
    return gateway_factory(jobs=cfg)


def test_steps_in_order_with_a_condition(gateway_factory, devices):
    """Write, partial write, write-attributes, execute with arguments,
    each after the other's 2.xx; an execute whose condition is met only
    when the resource reaches its value."""
    gw = job_gateway(gateway_factory)
    d = devices(gw, "jo-1", answers={
        "PUT 1/0/3": OK, "POST 3/0": OK, "PUT 3/0/13": OK,
        "POST 3/0/4": OK, "GET 3/0/13": ("2.05", b"7", 0, None)})
    j = job(gw, {"name": "four steps", "target": {"endpoints": ["jo-1"]},
                 "steps": [
                     {"op": "write", "path": "/1/0/3", "value": 30},
                     {"op": "partial-write", "path": "/3/0",
                      "value": {"14": "+01:00"}},
                     {"op": "write-attributes", "path": "/3/0/13",
                      "attributes": {"pmin": 5, "pmax": 60}},
                     {"op": "execute", "path": "/3/0/4", "args": "0='now'",
                      "until": {"path": "/3/0/13", "equals": 8}}]})
    assert j["status"] == "running" and j["total"] == 1
    d.wait_answered("POST 3/0/4")
    # the condition is read every [jobs] poll_s
    wait_for(lambda: "GET 3/0/13" in d.requests(), 10, what="a poll")
    assert get(gw, j["id"])["counts"]["in_progress"] == 1
    # the record of the execute answered, committed: its condition waited
    # for (its own read may be out)
    wait_for(lambda: devs(gw, j["id"])["jo-1"].get("phase") in (
        "waiting", "reading"), 5, what="step 4's condition waited for")
    assert devs(gw, j["id"])["jo-1"]["steps_done"] == 3
    d.answers["GET 3/0/13"] = ("2.05", b"8", 0, None)
    done = wait_status(gw, j["id"], "done")
    assert done["counts"]["succeeded"] == 1
    keys = [k for k in d.requests() if not k.startswith("GET")]
    assert keys == ["PUT 1/0/3", "POST 3/0", "PUT 3/0/13", "POST 3/0/4"]
    # what went on the wire: the attributes as a query, the arguments as
    # the body
    sent = {k: m for k, m in d.seen}
    assert sent["POST 3/0/4"]["payload"] == b"0='now'"
    rec = devs(gw, j["id"])["jo-1"]
    assert rec["state"] == "succeeded" and rec["steps_done"] == 4


def test_failure_retries_then_fails(gateway_factory, devices):
    """A refused step is tried again after the back-off, from that step:
    the step before it is not sent again; the device fails once the
    retries are spent, with the device's code in its record."""
    gw = job_gateway(gateway_factory)
    d = devices(gw, "jr-1", answers={
        "PUT 1/0/3": OK, "PUT 1/0/2": ("4.05", b"", None, None)})
    j = job(gw, {"target": {"endpoints": ["jr-1"]},
                 "rollout": {"retries": 2, "backoff_s": 0,
                             "failure": {"group_percent": 100}},
                 "steps": [{"op": "write", "path": "/1/0/3", "value": 30},
                           {"op": "write", "path": "/1/0/2", "value": 1}]})
    done = wait_status(gw, j["id"], "done")
    assert done["counts"]["failed"] == 1
    rec = devs(gw, j["id"])["jr-1"]
    assert rec["attempts"] == 3 and rec["steps_done"] == 1
    assert "4.05" in rec["error"]
    assert d.requests("PUT 1/0/3") == ["PUT 1/0/3"]
    assert len(d.requests("PUT 1/0/2")) == 3


def test_groups_held_for_approval(gateway_factory, devices):
    """group_size 2 with approval: the second group gets nothing until
    POST continue."""
    gw = job_gateway(gateway_factory)
    names = ["ja-%d" % i for i in range(4)]
    ds = {n: devices(gw, n, answers={"PUT 1/0/3": OK}) for n in names}
    j = job(gw, {"target": {"endpoints": names},
                 "rollout": {"group_size": 2, "approval": True},
                 "steps": [{"op": "write", "path": "/1/0/3", "value": 9}]})
    assert j["groups"] == 2
    held = wait_status(gw, j["id"], "awaiting_approval")
    assert "continue" in held["reason"]
    assert held["counts"]["succeeded"] == 2 and held["counts"]["pending"] == 2
    assert ds["ja-2"].requests() == [] and ds["ja-3"].requests() == []
    m = gw.metrics()
    assert m['outpost_jobs{status="awaiting_approval"}'] == 1
    assert m['outpost_jobs{status="done"}'] == 0
    assert m['outpost_job_devices{state="succeeded"}'] == 2
    assert m['outpost_job_devices{state="pending"}'] == 2
    assert action(gw, j["id"], "continue")["status"] == "running"
    wait_status(gw, j["id"], "done")
    m = gw.metrics()
    assert m['outpost_jobs{status="done"}'] == 1
    assert m['outpost_jobs{status="awaiting_approval"}'] == 0
    # the devices of finished jobs are not counted
    assert m['outpost_job_devices{state="succeeded"}'] == 0
    assert all(len(d.requests("PUT 1/0/3")) == 1 for d in ds.values())
    action(gw, j["id"], "continue", expect=409)


def test_window_opens_in_a_named_zone(gateway_factory, devices):
    """A daily window in Asia/Kolkata (UTC+05:30) that opens at the next
    minute: nothing is sent before, everything after."""
    gw = job_gateway(gateway_factory)
    d = devices(gw, "jw-1", answers={"PUT 1/0/3": OK})
    tz = zoneinfo.ZoneInfo("Asia/Kolkata")
    now = datetime.datetime.now(tz)
    if now.second > 55:     # too close to the minute to see it closed
        time.sleep(60 - now.second)
        now = datetime.datetime.now(tz)
    opens = (now + datetime.timedelta(minutes=1)).replace(second=0,
                                                          microsecond=0)
    closes = opens + datetime.timedelta(minutes=5)
    j = job(gw, {"target": {"endpoints": ["jw-1"]},
                 "schedule": {"window": {"from": opens.strftime("%H:%M"),
                                         "to": closes.strftime("%H:%M"),
                                         "tz": "Asia/Kolkata"}},
                 "steps": [{"op": "write", "path": "/1/0/3", "value": 9}]})
    assert get(gw, j["id"])["counts"]["pending"] == 1
    assert d.requests() == []
    wait_status(gw, j["id"], "done", timeout=90)
    assert datetime.datetime.now(tz) >= opens
    started = devs(gw, j["id"])["jw-1"]["started_at"]
    assert datetime.datetime.fromisoformat(
        started.replace("Z", "+00:00")) >= opens


def test_scheduled_start(gateway_factory, devices):
    """start_at a few seconds ahead: scheduled, then running and done."""
    gw = job_gateway(gateway_factory)
    d = devices(gw, "js-1", answers={"PUT 1/0/3": OK})
    at = int(time.time()) + 3
    j = job(gw, {"target": {"endpoints": ["js-1"]},
                 "schedule": {"start_at": at},
                 "steps": [{"op": "write", "path": "/1/0/3", "value": 9}]})
    assert j["status"] == "scheduled"
    wait_status(gw, j["id"], "done", timeout=15)
    assert time.time() >= at and len(d.requests("PUT 1/0/3")) == 1


def senml_battery(level, sources=(1,)):
    recs = [{"bn": "/3/0/", "n": "9", "v": level}]
    recs += [{"n": "6/%d" % i, "v": s} for i, s in enumerate(sources)]
    return json.dumps(recs).encode()


def test_reboot_defers_update_and_low_battery(gateway_factory, devices):
    """A reboot job: the device whose update is downloading (/5/0/3 = 1)
    and the one at 10 % battery are deferred with their reason, the one on
    mains power at 10 % and the healthy one are rebooted; once the update
    is applied and the battery charged, the deferred ones are rebooted
    too, each once."""
    gw = job_gateway(gateway_factory)
    fw = {"GET 5/0/3": ("2.05", b"0", 0, None), "POST 3/0/4": OK}
    upd = devices(gw, "jb-upd", answers=dict(fw, **{
        "GET 5/0/3": ("2.05", b"1", 0, None),
        "GET 3/0": ("2.05", senml_battery(90), 110, None)}))
    low = devices(gw, "jb-low", answers=dict(fw, **{
        "GET 3/0": ("2.05", senml_battery(10), 110, None)}))
    mains = devices(gw, "jb-mains", answers=dict(fw, **{
        "GET 3/0": ("2.05", senml_battery(10, (1, 6)), 110, None)}))
    ok = devices(gw, "jb-ok", answers=dict(fw, **{
        "GET 3/0": ("2.05", senml_battery(80), 110, None)}))
    names = ["jb-upd", "jb-low", "jb-mains", "jb-ok"]
    j = job(gw, {"target": {"endpoints": names},
                 "preconditions": {"battery_min": 30, "external_power": True,
                                   "recheck_s": 1},
                 "steps": [{"op": "execute", "path": "/3/0/4"}]})
    wait_for(lambda: get(gw, j["id"])["counts"]["succeeded"] == 2 and
             get(gw, j["id"])["counts"]["deferred"] == 2, 10,
             what="two rebooted, two deferred")
    wait_for(lambda: settled(gw, j["id"]), 5, what="the records")
    recs = devs(gw, j["id"])
    assert "downloading" in recs["jb-upd"]["error"]
    assert "battery at 10%" in recs["jb-low"]["error"]
    assert upd.requests("POST 3/0/4") == []
    assert low.requests("POST 3/0/4") == []
    assert len(mains.requests("POST 3/0/4")) == 1
    assert len(ok.requests("POST 3/0/4")) == 1
    upd.answers["GET 5/0/3"] = ("2.05", b"0", 0, None)
    low.answers["GET 3/0"] = ("2.05", senml_battery(60), 110, None)
    done = wait_status(gw, j["id"], "done")
    assert done["counts"]["succeeded"] == 4
    for d in (upd, low, mains, ok):
        assert len(d.requests("POST 3/0/4")) == 1, d.ep


def test_continuous_job_picks_up_devices(gateway_factory, devices):
    """A continuous job on a tag: a device that registers later with the
    tag already set, and one that gains the tag, join and are done."""
    gw = job_gateway(gateway_factory)
    first = devices(gw, "jc-1", answers={"PUT 1/0/3": OK})
    assert gw.http("PUT", "/v1/devices/jc-1/tags",
                   body='["line-4"]')[0] == 200
    assert gw.http("PUT", "/v1/devices/jc-2/tags",
                   body='["line-4"]')[0] == 200
    j = job(gw, {"target": {"tags": ["line-4"], "continuous": True},
                 "steps": [{"op": "write", "path": "/1/0/3", "value": 5}]})
    assert j["total"] == 2      # jc-2 is tagged, not yet registered
    wait_for(lambda: len(first.requests("PUT 1/0/3")) == 1, 10,
             what="jc-1 written")
    second = devices(gw, "jc-2", answers={"PUT 1/0/3": OK})
    wait_for(lambda: len(second.requests("PUT 1/0/3")) == 1, 10,
             what="jc-2 written once registered")
    third = devices(gw, "jc-3", answers={"PUT 1/0/3": OK})
    assert gw.http("PUT", "/v1/devices/jc-3/tags",
                   body='["line-4", "x"]')[0] == 200
    wait_for(lambda: get(gw, j["id"])["counts"]["succeeded"] == 3, 10,
             what="jc-3 joined and written")
    assert len(third.requests("PUT 1/0/3")) == 1
    s = get(gw, j["id"])
    assert s["status"] == "running" and s["total"] == 3
    assert action(gw, j["id"], "cancel")["status"] == "cancelled"


def test_kill9_loses_nothing_and_repeats_no_recorded_step(gateway_factory,
                                                        devices):
    """20 devices, two steps each, one device at a time, each answer a
    little late; kill -9 in the middle. After the restart the job goes on
    and finishes; a device whose steps were recorded before the kill got
    each of them once."""
    gw = job_gateway(gateway_factory)
    names = ["jk-%02d" % i for i in range(20)]
    slow = ("2.04", b"", None, None, 0.1)
    ds = {n: devices(gw, n, answers={"PUT 1/0/3": slow, "PUT 1/0/2": slow})
          for n in names}
    j = job(gw, {"target": {"endpoints": names},
                 "rollout": {"max_concurrent": 1},
                 "steps": [{"op": "write", "path": "/1/0/3", "value": 5},
                           {"op": "write", "path": "/1/0/2", "value": 6}]})
    wait_for(lambda: len(devs(gw, j["id"], "succeeded")) >= 5, 20,
             what="five devices done")
    recorded = devs(gw, j["id"])
    gw.kill9()
    gw.start()
    for d in ds.values():      # a device is heard from again: its route
        d.update()
    done = wait_status(gw, j["id"], "done", timeout=30)
    assert done["counts"]["succeeded"] == 20
    for ep, rec in recorded.items():
        for step, key in enumerate(("PUT 1/0/3", "PUT 1/0/2")):
            n = len(ds[ep].requests(key))
            assert n >= 1, (ep, key)
            if rec["steps_done"] > step:
                assert n == 1, (ep, key, rec)


def test_pause_resume_cancel(gateway_factory, devices):
    """Paused while its first device is being written, the job starts no
    other; resumed, it does; cancel leaves the devices not done
    cancelled."""
    gw = job_gateway(gateway_factory)
    names = ["jp-%d" % i for i in range(3)]
    slow = ("2.04", b"", None, None, 1.5)
    ds = {n: devices(gw, n, answers={"PUT 1/0/3": slow}) for n in names}
    j = job(gw, {"target": {"endpoints": names},
                 "rollout": {"max_concurrent": 1},
                 "steps": [{"op": "write", "path": "/1/0/3", "value": 5}]})
    ds["jp-0"].wait_seen(1)
    assert action(gw, j["id"], "pause")["status"] == "paused"
    wait_for(lambda: get(gw, j["id"])["counts"]["succeeded"] == 1, 10,
             what="the first device done while paused")
    s = get(gw, j["id"])
    assert s["status"] == "paused" and s["counts"]["pending"] == 2
    assert ds["jp-1"].requests() == [] and ds["jp-2"].requests() == []
    assert action(gw, j["id"], "resume")["status"] == "running"
    wait_status(gw, j["id"], "done")
    action(gw, j["id"], "cancel", expect=409)
    late = job(gw, {"target": {"endpoints": names},
                    "schedule": {"start_at": int(time.time()) + 60},
                    "steps": [{"op": "write", "path": "/1/0/3",
                               "value": 5}]})
    assert late["status"] == "scheduled"
    c = action(gw, late["id"], "cancel")
    assert c["status"] == "cancelled" and c["counts"]["cancelled"] == 3
    assert gw.get_json("/v1/jobs")["jobs"][0]["id"] == late["id"]


def test_bad_requests_name_the_field(gateway_factory, devices):
    """400 with the member at fault; nothing is stored."""
    gw = job_gateway(gateway_factory)
    devices(gw, "jx-1", answers={})
    step = {"op": "write", "path": "/1/0/3", "value": 5}
    target = {"endpoints": ["jx-1"]}
    cases = [
        ({"target": target, "steps": [{"op": "reboot"}]}, "steps[0].op"),
        ({"target": target, "steps": [{"op": "write", "path": "/4242/0/1",
                                       "value": 1}]}, "steps[0].path"),
        ({"target": target, "steps": [step],
          "rollout": {"rate": {"per_minute": 0}}},
         "rollout.rate.per_minute"),
        ({"target": target, "steps": [step],
          "schedule": {"window": {"from": "10:00", "to": "10:00"}}},
         "schedule.window"),
        ({"target": target, "steps": [step],
          "schedule": {"start_at": int(time.time()) - 3600}},
         "schedule.start_at"),
        ({"target": target, "steps": [step],
          "schedule": {"window": {"from": "10:00", "to": "11:00",
                                  "tz": "Mars/Olympus"}}},
         "schedule.window.tz"),
        ({"target": {"endpoints": []}, "steps": [step]}, "target.endpoints"),
        ({"target": {"tags": ["nobody-has-it"]}, "steps": [step]}, "target"),
    ]
    for body, field in cases:
        status, _, out = gw.http("POST", "/v1/jobs", body=json.dumps(body))
        assert status == 400, (body, out)
        doc = json.loads(out)
        assert doc["field"] == field, (body, doc)
        assert doc["detail"], doc
    assert gw.get_json("/v1/jobs")["jobs"] == []
    status, _, out = gw.http("POST", "/v1/jobs", body=b"{not json")
    assert status == 400
    assert gw.http("GET", "/v1/jobs/77")[0] == 404
    assert gw.http("GET", "/v1/jobs/77/devices")[0] == 404
    assert gw.http("POST", "/v1/jobs/77/pause")[0] == 404
