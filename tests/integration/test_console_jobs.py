"""
The console's jobs and campaigns pages (ui/jobs.js), in headless Chromium
against a real gateway: a fleet job on scripted devices whose step is done
only when the device says so, and a firmware campaign on real outpost-node
agents, one of which holds its update until the test lets it go. Each is
listed with its progress bar, paused from the console (the button turns to
Resume, nothing starts), resumed, and followed to its end by the event
stream alone (the page is never loaded again); its devices' states are
shown, a failed agent's log lines too, and a read-role token is offered no
action.
"""
import json
import os

from selenium.webdriver.common.by import By

from conftest import wait_for
from test_console import ADMIN, browser, login  # noqa: F401
from test_campaign import campaign, image
from test_firmware import keygen

READ = "console-read-token-0123456789"
OK = ("2.04", b"", None, None)


def authed(gw):
    """Every request of gw.http (and of the helpers that use it) with the
    admin token."""
    plain = gw.http

    def http(method, path, body=None, headers=None, timeout=5):
        h = {"Authorization": "Bearer " + ADMIN}
        h.update(headers or {})
        return plain(method, path, body=body, headers=h, timeout=timeout)
    gw.http = http
    return gw


def auth_gateway(gateway_factory, **sections):
    return authed(gateway_factory(auth={"admin_token": ADMIN,
                                        "read_token": READ}, **sections))


def shot(d, name):
    d.save_screenshot(str(d.shots / name))
    if os.environ.get("OUTPOST_SHOTS"):
        d.save_screenshot(os.path.join(os.environ["OUTPOST_SHOTS"], name))


def text_of(d, elem_id):
    """An element's text, read in the page at once: the pages replace
    what they show as events come."""
    return d.execute_script(
        "const e = document.getElementById(arguments[0]);"
        "return e ? e.innerText : '';", elem_id)


def bar(d, elem_id):
    """(done, total) of the progress bar of that id, or None."""
    v = d.execute_script(
        "const b = document.querySelector('#' + arguments[0] + ' .bar');"
        "return b ? [b.dataset.done, b.dataset.total] : null;", elem_id)
    return tuple(int(x) for x in v) if v else None


def dev_state(d, table, ep):
    return d.execute_script(
        "const r = document.querySelector('#' + arguments[0] +"
        " ' tr[data-ep=\"' + arguments[1] + '\"]');"
        "return r ? r.dataset.state : null;", table, ep)


def buttons(d, elem_id):
    """The ids of the buttons in that element."""
    return d.execute_script(
        "return [...document.querySelectorAll('#' + arguments[0] +"
        " ' button')].map(b => b.id);", elem_id)


def click(d, elem_id):
    """Clicks the element once it is there, found and clicked in one
    step in the page: a row may be replaced by the next event between
    two steps of the driver."""
    wait_for(lambda: d.execute_script(
        "const e = document.getElementById(arguments[0]);"
        "if (e) e.click(); return !!e;", elem_id), 10,
        what="to click " + elem_id)


def sign_in(d, gw, token=ADMIN):
    """The token given, and the first page shown: a page asked for
    before then could be overwritten by it."""
    if token == ADMIN:
        login(d, gw)
    else:
        d.get("http://127.0.0.1:%d/ui/" % gw.http_port)
        d.find_element(By.ID, "token").send_keys(token)
        d.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_for(lambda: text_of(d, "fleet-jobs") not in ("", "?"), 10,
             what="the fleet page")


def go(d, gw, where):
    d.get("http://127.0.0.1:%d/ui/%s" % (gw.http_port, where))


def keep_mark(d):
    """A mark that a reload of the page would lose."""
    d.execute_script("window.notReloaded = 1;")


def kept(d):
    return d.execute_script("return window.notReloaded === 1;")


def new_job(gw, body):
    status, _, out = gw.http("POST", "/v1/jobs", body=json.dumps(body))
    assert status == 201, out
    return json.loads(out)


def job_of(gw, jid):
    return gw.get_json("/v1/jobs/%d" % jid)


def finish(dev, seq):
    """The device's /3/0/13 reaches 8: its step's condition is met (a
    notification when the gateway observes it, else its next read)."""
    dev.answers["GET 3/0/13"] = ("2.05", b"8", 0, None)
    if "3/0/13" in dev.observers:
        dev.notify("3/0/13", b"8", seq)


def test_job_paused_and_resumed_live(gateway_factory, devices, browser):
    gw = auth_gateway(gateway_factory, jobs={"poll_s": 1, "timeout_s": 60,
                                             "retries": 0})
    eps = ["cj-%d" % i for i in range(6)]
    devs = {ep: devices(gw, ep, answers={
        "PUT 1/0/3": OK, "PUT 1/0/2": None,
        "GET 3/0/13": ("2.05", b"7", 0, None)}) for ep in eps}
    # Each device's step is done only when the test says so: one at a
    # time, two groups of three.
    j = new_job(gw, {"name": "lifetime then wait", "target": {
        "endpoints": eps}, "steps": [{
            "op": "write", "path": "/1/0/3", "value": 30,
            "until": {"path": "/3/0/13", "equals": 8}}],
        "rollout": {"groups": 2, "max_concurrent": 1}})
    jid = j["id"]
    sign_in(browser, gw)
    go(browser, gw, "#/jobs")
    row = "job-progress-%d" % jid
    wait_for(lambda: bar(browser, row) == (0, 6), 10,
             what="the job listed with its bar")
    assert "lifetime then wait" in text_of(browser, "jobs")
    assert "running" in text_of(browser, "job-status-%d" % jid)
    wait_for(lambda: text_of(browser, "jobs-live") == "live", 10,
             what="the list's stream")
    # The list follows the job too.
    finish(devs["cj-0"], 2)
    wait_for(lambda: bar(browser, row) == (1, 6), 10,
             what="the list's bar moved")
    shot(browser, "jobs.png")

    click(browser, "job-link-%d" % jid)
    wait_for(lambda: text_of(browser, "job-live") == "live", 10,
             what="the job's stream")
    keep_mark(browser)
    wait_for(lambda: bar(browser, "job-progress") == (1, 6), 10,
             what="the job's bar")
    devs["cj-1"].wait_answered("PUT 1/0/3")
    wait_for(lambda: dev_state(browser, "job-devices", "cj-1") ==
             "in_progress", 10, what="cj-1 in progress")
    assert dev_state(browser, "job-devices", "cj-0") == "succeeded"
    assert sorted(buttons(browser, "job-actions")) == ["job-cancel",
                                                       "job-pause"]

    # Paused: the button turns to Resume; the device in flight finishes
    # its attempt, no other starts.
    click(browser, "job-pause")
    wait_for(lambda: text_of(browser, "job-status") == "paused", 10,
             what="paused")
    assert sorted(buttons(browser, "job-actions")) == ["job-cancel",
                                                       "job-resume"]
    assert "operator" in text_of(browser, "job-reason")
    for ep in eps[1:]:
        finish(devs[ep], 2)
    wait_for(lambda: job_of(gw, jid)["counts"]["in_progress"] == 0, 20,
             interval=0.2, what="the attempt in flight ended")
    s = job_of(gw, jid)
    assert s["status"] == "paused"
    assert s["counts"]["succeeded"] == 2 and s["counts"]["pending"] == 4, s
    wait_for(lambda: bar(browser, "job-progress") == (2, 6), 10,
             what="the bar at the paused job's count")
    # the groups' bars come from the device records, committed a moment
    # after the counts
    wait_for(lambda: bar(browser, "job-group-0") == (2, 3), 10,
             what="group 1's bar")
    assert bar(browser, "job-group-1") == (0, 3)
    wait_for(lambda: dev_state(browser, "job-devices", "cj-1") ==
             "succeeded", 10, what="cj-1 shown succeeded")
    for ep in eps[2:]:
        assert dev_state(browser, "job-devices", ep) == "pending"
        assert devs[ep].requests("PUT 1/0/3") == [], ep
    assert "succeeded 2" in text_of(browser, "job-counts")
    shot(browser, "job.png")
    # still where it stopped
    assert bar(browser, "job-progress") == (2, 6)

    # Resumed: the bar runs to the end, without a reload.
    click(browser, "job-resume")
    wait_for(lambda: bar(browser, "job-progress") == (6, 6), 30,
             what="the bar at the end")
    wait_for(lambda: text_of(browser, "job-status") == "done", 10,
             what="done")
    assert kept(browser), "the page was loaded again"
    wait_for(lambda: bar(browser, "job-group-1") == (3, 3), 10,
             what="group 2's bar")
    assert buttons(browser, "job-actions") == []
    assert all(dev_state(browser, "job-devices", ep) == "succeeded"
               for ep in eps)

    # A job that waits on a silent device, paused: the admin may resume
    # or cancel it, a read-role token is offered nothing.
    j2 = new_job(gw, {"name": "silent", "target": {"endpoints": ["cj-0"]},
                      "steps": [{"op": "write", "path": "/1/0/2",
                                 "value": 1}]})
    status, _, out = gw.http("POST", "/v1/jobs/%d/pause" % j2["id"])
    assert status == 200, out
    go(browser, gw, "#/job?id=%d" % j2["id"])
    wait_for(lambda: text_of(browser, "job-status") == "paused", 10,
             what="the second job paused")
    assert sorted(buttons(browser, "job-actions")) == ["job-cancel",
                                                       "job-resume"]
    browser.execute_script("sessionStorage.clear();")
    sign_in(browser, gw, READ)
    go(browser, gw, "#/jobs")
    wait_for(lambda: bar(browser, "job-progress-%d" % j2["id"]) == (0, 1),
             10, what="the list for a reader")
    assert bar(browser, "job-progress-%d" % jid) == (6, 6)
    click(browser, "job-link-%d" % j2["id"])
    wait_for(lambda: text_of(browser, "job-status") == "paused", 10,
             what="the job for a reader")
    assert "role: read" in text_of(browser, "who")
    assert buttons(browser, "job-actions") == []
    assert browser.find_elements(By.CSS_SELECTOR, "#page button") == []


def agents(gw, node_factory, tmp_path, pub, names, hold):
    """outpost-node agents; the one named hold applies its image only
    once the test writes a line to the fifo it returns."""
    fifo = str(tmp_path / "hold")
    os.mkfifo(fifo)
    made = []
    for ep in names:
        apply = "cp \"$OUTPOST_FW_IMAGE\" %s" % (tmp_path / ("applied-" +
                                                             ep))
        if ep == hold:
            script = tmp_path / "hold.sh"
            script.write_text("%s && read line < %s\n" % (apply, fifo))
            apply = "sh " + str(script)
        made.append(node_factory(gw, ep=ep, sections={"firmware": {
            "vendor": "acme", "class": "valve" if ep.startswith("bad")
            else "sensor-v2", "trusted_keys": pub,
            "dir": str(tmp_path / ("fw-" + ep)), "apply_command": apply},
            "node": {"lifetime": 300}, "register": {"update_percent": 50}}))
    for ep in names:
        wait_for(lambda: gw.http("GET", "/v1/devices/" + ep)[0] == 200, 10,
                 interval=0.2, what=ep + " registered")
    return made, fifo


def release(fifo):
    """Lets the held agent go on: a line into its fifo, once it reads."""
    def opened():
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return None
    fd = wait_for(opened, 10, what="the held agent reading its fifo")
    os.write(fd, b"go\n")
    os.close(fd)


def test_campaign_paused_and_resumed_live(run_outpost, tmp_path,
                                          gateway_factory, node_factory,
                                          browser):
    key, pub = keygen(run_outpost, tmp_path)
    gw = auth_gateway(gateway_factory, firmware={"trusted_keys": pub},
                      campaign={"poll_s": 3600})
    names = ["cc-0", "cc-1", "cc-2", "bad-0"]
    agents(gw, node_factory, tmp_path, pub, names, hold="cc-0")
    fid, data = image(run_outpost, tmp_path, gw)
    c = campaign(gw, {"image": fid, "target": {"eps": names}, "policy": {
        "group_size": 1, "max_concurrent": 1, "failure_percent": 100}})
    cid = c["id"]
    assert c["groups"] == 4

    def api_state(ep):
        return {d["ep"]: d["state"] for d in gw.get_json(
            "/v1/campaigns/%d" % cid)["devices"]}[ep]

    sign_in(browser, gw)
    go(browser, gw, "#/campaigns")
    wait_for(lambda: bar(browser, "campaign-progress-%d" % cid) == (0, 4),
             10, what="the campaign listed with its bar")
    assert "running" in text_of(browser, "campaign-status-%d" % cid)
    shot(browser, "campaigns.png")

    click(browser, "campaign-link-%d" % cid)
    wait_for(lambda: text_of(browser, "campaign-live") == "live", 10,
             what="the campaign's stream")
    keep_mark(browser)
    wait_for(lambda: api_state("cc-0") == "updating", 30, interval=0.2,
             what="cc-0 applying its image")
    wait_for(lambda: dev_state(browser, "campaign-devices", "cc-0") ==
             "updating", 10, what="cc-0 shown updating")
    assert bar(browser, "campaign-progress") == (0, 4)
    assert sorted(buttons(browser, "campaign-actions")) == [
        "campaign-cancel", "campaign-pause"]

    # Paused while cc-0 applies: it finishes, no other starts.
    click(browser, "campaign-pause")
    wait_for(lambda: text_of(browser, "campaign-status") == "paused", 10,
             what="paused")
    assert sorted(buttons(browser, "campaign-actions")) == [
        "campaign-cancel", "campaign-resume"]
    release(str(tmp_path / "hold"))
    wait_for(lambda: bar(browser, "campaign-progress") == (1, 4), 30,
             what="cc-0 done on the bar")
    s = gw.get_json("/v1/campaigns/%d" % cid)
    assert s["status"] == "paused" and s["counts"]["succeeded"] == 1
    assert s["counts"]["pending"] == 3, s["counts"]
    wait_for(lambda: bar(browser, "campaign-group-0") == (1, 1), 10,
             what="group 1's bar")
    assert bar(browser, "campaign-group-1") == (0, 1)
    assert dev_state(browser, "campaign-devices", "cc-1") == "pending"
    assert (tmp_path / "applied-cc-0").read_bytes() == data
    assert not (tmp_path / "applied-cc-1").exists()

    # Resumed: to the end without a reload; the agent of the wrong class
    # fails, and its log lines are shown.
    click(browser, "campaign-resume")
    wait_for(lambda: bar(browser, "campaign-progress") == (4, 4), 60,
             what="the bar at the end")
    wait_for(lambda: text_of(browser, "campaign-status") == "done", 10,
             what="done")
    assert kept(browser), "the page was loaded again"
    assert dev_state(browser, "campaign-devices", "bad-0") == "failed"
    assert dev_state(browser, "campaign-devices", "cc-2") == "succeeded"
    wait_for(lambda: bar(browser, "campaign-group-3") == (1, 1), 10,
             what="group 4's bar")
    log = wait_for(lambda: text_of(browser, "campaign-log-bad-0"), 20,
                   what="the failed agent's log")
    assert "not this device's vendor and class" in log
    assert buttons(browser, "campaign-actions") == []
    shot(browser, "campaign.png")


def test_job_held_for_approval_then_continued(gateway_factory, devices,
                                              browser):
    """A job that waits for approval between its groups is continued from
    the console; a device's failure is shown with its reason, and what a
    device or a job's name holds is shown as text, never as markup."""
    gw = auth_gateway(gateway_factory, jobs={"retries": 0})
    bad = devices(gw, "ca-0", answers={"PUT 1/0/3": ("4.05", b"", None,
                                                      None)})
    good = devices(gw, "ca-1", answers={"PUT 1/0/3": OK})
    name = "<b id=\"bold\">approve</b> me"
    j = new_job(gw, {"name": name, "target": {"endpoints": ["ca-0", "ca-1"]},
                     "steps": [{"op": "write", "path": "/1/0/3", "value": 30}],
                     "rollout": {"groups": 2, "approval": True,
                                 "failure": {"group_percent": 100}}})
    sign_in(browser, gw)
    go(browser, gw, "#/job?id=%d" % j["id"])
    wait_for(lambda: text_of(browser, "job-status") == "awaiting_approval",
             10, what="held for approval")
    assert sorted(buttons(browser, "job-actions")) == [
        "job-cancel", "job-continue", "job-pause"]
    wait_for(lambda: dev_state(browser, "job-devices", "ca-0") == "failed",
             10, what="ca-0 shown failed")
    assert "4.05" in text_of(browser, "job-devices")
    assert dev_state(browser, "job-devices", "ca-1") == "pending"
    assert good.requests() == []
    assert name in text_of(browser, "job-title")
    assert browser.find_elements(By.ID, "bold") == []
    keep_mark(browser)
    click(browser, "job-continue")
    wait_for(lambda: text_of(browser, "job-status") == "done", 10,
             what="done")
    assert bar(browser, "job-progress") == (2, 2)
    wait_for(lambda: dev_state(browser, "job-devices", "ca-1") ==
             "succeeded", 10, what="ca-1 shown succeeded")
    assert good.requests("PUT 1/0/3") == ["PUT 1/0/3"]
    assert bad.requests("PUT 1/0/3") == ["PUT 1/0/3"]
    assert kept(browser)
    # the state filter shows only the failed
    browser.find_element(By.CSS_SELECTOR,
                         "#job-dev-state option[value=failed]").click()
    wait_for(lambda: dev_state(browser, "job-devices", "ca-1") is None, 5,
             what="the filter")
    assert dev_state(browser, "job-devices", "ca-0") == "failed"
