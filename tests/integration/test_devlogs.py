"""
Device logs: outpost-node's recent lines (its log and its commands'
output) in the Event Log object /20/0, read through the gateway as
GET /v1/devices/{ep}/logs (now from a device awake, as a queued op with
?mode=queue), filtered by ?since= and ?limit=; and a firmware update that
fails on the device in a job and in a campaign, whose record then shows
the last lines the device logged. Every answer is checked against
doc/openapi.yaml as test_openapi_live.py checks them.
"""
import base64
import json
import urllib.parse

from conftest import wait_for
from test_campaign import agents, campaign, camp_gateway, image
from test_firmware import keygen
from test_jobs import devs, job, wait_status
from test_openapi_live import Live, doc  # noqa: F401 (a fixture)



def logs(live, ep, query="", expect=200):
    """GET /v1/devices/{ep}/logs, its answer checked against the
    document."""
    return live("GET", "/v1/devices/%s/logs%s" % (ep, query), expect)[1]


def texts(doc):
    return [line["text"] for line in doc["lines"]]


def has_line(live, ep, text):
    return any(text in t for t in texts(logs(live, ep)))


def test_logs_read_filtered_and_queued(gateway_factory, node_factory,
                                       doc):  # noqa: F811
    gw = gateway_factory()
    live = Live(doc, gw)
    node = node_factory(gw, ep="log-1", sections={
        "node": {"log_ring": 65536},
        "device": {"reboot_command": "echo rebooting now; echo disk "
                   "warning >&2; exit 4"}})
    quiet = node_factory(gw, ep="log-off", sections={"node": {
        "log_ring": 0}})
    for ep in ("log-1", "log-off"):
        wait_for(lambda: gw.http("GET", "/v1/devices/" + ep)[0] == 200, 10,
                 what=ep + " registered")
    doc = logs(live, "log-1")
    assert doc["ep"] == "log-1"
    assert any("started" in t for t in texts(doc)), doc
    # A command's output and end come into the log, line by line.
    status, _, out = gw.http("POST", "/v1/devices/log-1/r/3/0/4")
    assert status in (200, 204), out
    wait_for(lambda: has_line(live, "log-1", "reboot: command exited with "
                              "status 4"), 10, what="reboot's end in the log")
    doc = logs(live, "log-1")
    t = texts(doc)
    assert "reboot: rebooting now" in t and "reboot: disk warning" in t, t
    for line in doc["lines"]:
        assert line["t"].endswith("Z") and len(line["t"]) == 24, line
    # since: the lines at or after it; limit: the last ones.
    mark = next(x["t"] for x in doc["lines"]
                if x["text"] == "reboot: rebooting now")
    after = logs(live, "log-1", "?since=" + urllib.parse.quote(mark))
    assert after["lines"] and all(x["t"] >= mark for x in after["lines"])
    assert "reboot: rebooting now" in texts(after)
    assert len(after["lines"]) < len(doc["lines"])
    assert logs(live, "log-1", "?since=4102444800")["lines"] == []
    last = logs(live, "log-1", "?limit=1")["lines"]
    assert len(last) == 1
    for bad in ("?since=yesterday", "?since=2026-13-01T00:00:00Z",
                "?limit=0", "?limit=x"):
        logs(live, "log-1", bad, expect=400)
    # Not there, or no object 20.
    logs(live, "nobody", expect=404)
    err = logs(live, "log-off", expect=404)
    assert "/20" in err["detail"]
    assert quiet.proc.poll() is None
    # Queued: 202 and the op, whose result holds the LogData as it came.
    op = logs(live, "log-1", "?mode=queue", expect=202)
    done = wait_for(lambda: (lambda o: o["state"] == "done" and o)(
        gw.get_json("/v1/ops/%d" % op["op"])), 10, what="op done")
    assert done["path"] == "20/0/4014"
    body = base64.b64decode(done["result"]["body_base64"]).decode()
    assert "reboot: rebooting now" in body
    # The object's other resources, through the proxy.
    status, _, out = gw.http("GET", "/v1/devices/log-1/r/20/0/4015")
    assert status == 200 and out.strip() == b"100"
    assert node.proc.poll() is None


def failing_agents(gw, node_factory, tmp_path, pub, names):
    """Agents whose new image installs and then fails its health check."""
    made = agents(gw, node_factory, tmp_path, pub, [])
    for ep in names:
        made.append(node_factory(gw, ep=ep, sections={
            "firmware": {"vendor": "acme", "class": "sensor-v2",
                         "trusted_keys": pub,
                         "dir": str(tmp_path / ("fw-" + ep)),
                         "apply_command": "true",
                         "health_command": "echo health check: sensor %s "
                         "does not answer; exit 3" % ep},
            "node": {"log_ring": 65536}}))
    for ep in names:
        wait_for(lambda: gw.http("GET", "/v1/devices/" + ep)[0] == 200, 10,
                 what=ep + " registered")
    return made


def test_failed_job_keeps_last_lines(run_outpost, tmp_path, gateway_factory,
                                     node_factory, doc):  # noqa: F811
    key, pub = keygen(run_outpost, tmp_path)
    gw = gateway_factory(firmware={"trusted_keys": pub},
                         jobs={"poll_s": 3600})
    failing_agents(gw, node_factory, tmp_path, pub, ["jl-1"])
    fid, _ = image(run_outpost, tmp_path, gw)
    j = job(gw, {"target": {"endpoints": ["jl-1"]},
                 "rollout": {"failure": {"group_percent": 100},
                             "retries": 0},
                 "steps": [{"op": "firmware", "image": fid}]})
    done = wait_status(gw, j["id"], "done", timeout=60)
    assert done["counts"]["failed"] == 1, devs(gw, j["id"])
    rec = wait_for(lambda: (lambda r: "log" in r and r)(
        devs(gw, j["id"])["jl-1"]), 10, what="the failed device's log")
    t = [line["text"] for line in rec["log"]]
    assert 0 < len(t) <= 20
    assert "firmware health: health check: sensor jl-1 does not answer" \
        in t, t
    Live(doc, gw)("GET", "/v1/jobs/%d/devices" % j["id"], 200)
    # Kept: a restart shows them again.
    gw.restart()
    again = devs(gw, j["id"])["jl-1"]
    assert again["log"] == rec["log"]


def test_failed_campaign_keeps_last_lines(run_outpost, tmp_path,
                                          gateway_factory, node_factory,
                                          doc):  # noqa: F811
    key, pub = keygen(run_outpost, tmp_path)
    gw = camp_gateway(gateway_factory, pub)
    failing_agents(gw, node_factory, tmp_path, pub, ["cl-1"])
    fid, _ = image(run_outpost, tmp_path, gw)
    c = campaign(gw, {"image": fid, "target": {"eps": ["cl-1"]}})

    def failed_with_log():
        s = gw.get_json("/v1/campaigns/%d" % c["id"])
        d = [x for x in s["devices"] if x["ep"] == "cl-1"][0]
        return d["state"] == "failed" and "log" in d and d
    d = wait_for(failed_with_log, 60, interval=0.2,
                 what="the failed device's log")
    t = [line["text"] for line in d["log"]]
    assert "firmware health: health check: sensor cl-1 does not answer" \
        in t, t
    Live(doc, gw)("GET", "/v1/campaigns/%d" % c["id"], 200)
