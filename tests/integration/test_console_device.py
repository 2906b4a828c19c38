"""
The console's device page (#/device?ep=NAME) in headless Chromium against a
real gateway and a real outpost-node: found from the devices page; a read
and a write with the device's answer shown and a re-read that shows the
value written; a value that arrives on the event stream without a reload
(an observation of the device's clock); the health plots of the points the
device sent (counted on the test's own event stream); a read-role token
that is offered no write, execute or observe.
"""
import json
import os
import shutil
import time

from conftest import wait_for
from test_events import SSE, connected
from test_console import browser, login, text_of, ADMIN  # noqa: F401

from selenium.webdriver.common.by import By

READER = "console-read-token-0123456789"
PSK = "00112233445566778899aabbccddeeff"
HEALTH = {"sample": 1, "pmax": 1}
AUTH = {"Authorization": "Bearer " + ADMIN}


def req(gw, method, path, body=None):
    status, _, data = gw.http(method, path, body=body, headers=AUTH)
    return status, data


def shot(d, name):
    d.save_screenshot(str(d.shots / name))
    out = os.environ.get("OUTPOST_SHOTS")
    if out:
        os.makedirs(out, exist_ok=True)
        shutil.copy(str(d.shots / name), os.path.join(out, name))


def attr(d, elem_id, name):
    try:
        return d.find_element(By.ID, elem_id).get_attribute(name)
    except Exception:
        return None


def click(d, elem_id):
    d.find_element(By.ID, elem_id).click()


def answered(d, status, *texts):
    """Waits for the answer pane to show status and texts."""
    try:
        wait_for(lambda: attr(d, "device-answer", "data-status") ==
                 str(status) and all(t in text_of(d, "device-answer")
                                     for t in texts),
                 timeout=10, what="the answer %s %s" % (status, texts))
    except AssertionError as e:
        raise AssertionError("%s; shown: %r" % (
            e, text_of(d, "device-answer")))


def health_points(gw, ep, node_ep_query):
    """Observes the device's /health until it has sent 5 notifications,
    stops, and returns how many it sent: those the event stream carried
    before an event the test makes after the cancel."""
    s = SSE(gw, node_ep_query, token=ADMIN)
    try:
        connected(gw, 1, headers=AUTH)
        assert req(gw, "POST", "/v1/devices/%s/observe/health" % ep)[0] \
            == 201

        def health(evs):
            return [e for t, e in evs if t == "notification" and
                    e.get("path") == "health"]
        s.wait(lambda c: len(health(c.parsed())) >= 5,
               "5 health notifications")
        assert req(gw, "DELETE", "/v1/devices/%s/observe/health" % ep)[0] \
            == 204
        # The stream is in order: what came before this event is all the
        # gateway took; after the cancel nothing more is kept.
        assert req(gw, "PUT", "/v1/devices/%s/tags" % ep, '["plotted"]')[0] \
            == 200
        s.wait(lambda c: "tags" in c.types(), "the tags event")
        sent = health(s.parsed())
    finally:
        s.close()
    n = len(sent)
    # Committed: the history API reads committed data only.
    wait_for(lambda: len(json.loads(req(
        gw, "GET", "/v1/devices/%s/history/health/uptime_s?from=0" % ep)[1])
        ["points"]) == n, 10, what="%d points committed" % n)
    return n, [e["value"]["uptime_s"] for e in sent]


def test_device_page_read_write_live_and_plots(gateway_factory,
                                               node_factory, browser):
    gw = gateway_factory(auth={"admin_token": ADMIN})
    node_factory(gw, ep="dev-a1", sections={"health": HEALTH})
    wait_for(lambda: req(gw, "GET", "/v1/devices/dev-a1")[0] == 200, 10,
             what="dev-a1 registered")
    n, uptimes = health_points(gw, "dev-a1",
                               "?type=notification,tags&ep=dev-a1")

    # Found from the devices page.
    login(browser, gw)
    wait_for(lambda: text_of(browser, "fleet-devices"), 10, what="the fleet")
    browser.get("http://127.0.0.1:%d/ui/#/devices?prefix=dev-a" %
                gw.http_port)
    wait_for(lambda: "dev-a1" in text_of(browser, "devices"), 10,
             what="the device in the list")
    browser.find_element(By.LINK_TEXT, "dev-a1").click()
    wait_for(lambda: text_of(browser, "device-ep") == "dev-a1", 10,
             what="the device page")
    assert "awake" in text_of(browser, "device-registration")
    assert "plain CoAP" in text_of(browser, "device-credential")
    # The object model names the resources the registration lists.
    wait_for(lambda: "Manufacturer" in text_of(browser, "inst-3-0"), 10,
             what="/3/0's resources")
    assert "Firmware Update" in text_of(browser, "device-objects")

    # The health plot holds the points the device sent, in the hour's
    # window as raw points, and in the 24 hours' as buckets of them.
    plot = "plot-health-uptime_s"
    wait_for(lambda: attr(browser, plot, "data-points") == str(n), 10,
             what="%d points plotted" % n)
    assert attr(browser, plot, "data-values") == str(n)
    head = browser.find_element(By.ID, plot).find_element(
        By.XPATH, "../..").text
    assert "last %d" % uptimes[-1] in head, head
    assert browser.execute_script(
        "return Chart.getChart(arguments[0]).data.datasets[0].data"
        ".map(p => p.y)", browser.find_element(By.ID, plot)) == uptimes
    browser.find_element(By.CSS_SELECTOR,
                         "#history-window option[value='24h']").click()
    wait_for(lambda: attr(browser, plot, "data-window") == "24h" and
             attr(browser, plot, "data-values") == str(n), 10,
             what="the 24 h window")
    assert int(attr(browser, plot, "data-points")) <= n

    # A read: the device's answer, and the value in its cell.
    click(browser, "read-3-0-0")
    answered(browser, 200, "GET /3/0/0", "Outpost")
    assert text_of(browser, "val-3-0-0") == "Outpost"

    # A write, answered; the re-read shows the value written.
    assert text_of(browser, "val-3-0-14") == ""
    browser.find_element(By.ID, "in-3-0-14").send_keys("+05:30")
    click(browser, "write-3-0-14")
    answered(browser, 204, "PUT /3/0/14")
    click(browser, "read-3-0-14")
    answered(browser, 200, "GET /3/0/14", "+05:30")
    assert text_of(browser, "val-3-0-14") == "+05:30"
    st, body = req(gw, "GET", "/v1/devices/dev-a1/r/3/0/14")
    assert st == 200 and body == b"+05:30"

    # A value the device refuses: its refusal and reason shown.
    browser.find_element(By.ID, "in-3-0-14").clear()
    browser.find_element(By.ID, "in-3-0-14").send_keys("not an offset")
    click(browser, "write-3-0-14")
    answered(browser, 400, "PUT /3/0/14", "not an offset from UTC")

    # Live: the clock observed, its values arrive on the stream; the page
    # is the same page (no reload).
    browser.execute_script("window.deviceTestMark = 1;")
    wait_for(lambda: text_of(browser, "device-live") == "live", 10,
             what="the page's stream")
    assert text_of(browser, "val-3-0-13") == ""
    click(browser, "obs-3-0-13")
    answered(browser, 201, "observe /3/0/13")
    first = wait_for(lambda: text_of(browser, "val-3-0-13"), 10,
                     what="a notified value")
    assert abs(int(first) - time.time()) < 60, first
    wait_for(lambda: text_of(browser, "val-3-0-13") not in ("", first), 10,
             what="a second notified value")
    assert browser.execute_script("return window.deviceTestMark;") == 1
    assert text_of(browser, "obs-3-0-13") == "Stop observing"
    obs = json.loads(req(gw, "GET", "/v1/observations?ep=dev-a1")[1])
    assert [o["path"] for o in obs["observations"]] == ["3/0/13"]
    assert text_of(browser, "device-ops") != ""     # the table is there

    browser.find_element(By.CSS_SELECTOR,
                         "#history-window option[value='1h']").click()
    wait_for(lambda: attr(browser, plot, "data-window") == "1h", 10,
             what="the hour's window")
    browser.set_window_size(1280, 1800)
    browser.execute_script("window.scrollTo(0, 0);")
    shot(browser, "device.png")
    browser.set_window_size(1280, 720)


def test_read_role_is_offered_no_write_execute_or_observe(gateway_factory,
                                                          node_factory,
                                                          browser):
    gw = gateway_factory(auth={"admin_token": ADMIN, "read_token": READER})
    # Over DTLS with a PSK: the page names the credential, never the key.
    st, _, body = gw.http("POST", "/v1/devices", body=json.dumps(
        {"ep": "dev-r1", "psk_identity": "dev-r1-id", "psk_key": PSK}),
        headers=dict(AUTH, **{"Content-Type": "application/json"}))
    assert st == 201, body
    node_factory(gw, ep="dev-r1", sections={"node": {
        "gateway": "coaps://127.0.0.1:%d" % gw.coaps_port,
        "psk_identity": "dev-r1-id", "psk_key": PSK}})
    wait_for(lambda: req(gw, "GET", "/v1/devices/dev-r1")[0] == 200, 10,
             what="dev-r1 registered")
    browser.get("http://127.0.0.1:%d/ui/#/device?ep=dev-r1" % gw.http_port)
    browser.find_element(By.ID, "token").send_keys(READER)
    click_submit = browser.find_element(By.CSS_SELECTOR, "#login-form button")
    click_submit.click()
    wait_for(lambda: "Manufacturer" in text_of(browser, "inst-3-0"), 10,
             what="/3/0's resources")
    assert text_of(browser, "who") == "role: read"
    assert text_of(browser, "device-credential") == "PSK, identity dev-r1-id"
    assert PSK not in browser.page_source
    # Reads are offered and work.
    click(browser, "read-3-0-15")
    answered(browser, 200, "GET /3/0/15")
    assert text_of(browser, "val-3-0-15") != ""
    # Nothing the role may not do: no write, execute or observe (the
    # resources that take them are there: /3/0/14 W, /3/0/4 E).
    assert browser.find_elements(By.ID, "res-3-0-14")
    assert browser.find_elements(By.ID, "res-3-0-4")
    assert browser.find_elements(By.CSS_SELECTOR,
                                 "[id^='write-'], [id^='in-'], "
                                 "[id^='exec-'], [id^='args-'], "
                                 "[id^='obs-'], [id^='cancel-op-'], "
                                 "[id^='ack-']") == []
    assert "Write" not in text_of(browser, "device-objects")
    assert "Execute" not in text_of(browser, "device-objects")


def state_of(gw, ep):
    st, body = req(gw, "GET", "/v1/devices/" + ep)
    return json.loads(body)["state"] if st == 200 else None


def queued(gw, ep):
    return [o["op"] for o in json.loads(req(
        gw, "GET", "/v1/devices/%s/ops" % ep)[1])["ops"]]


def test_sleeping_device_gets_the_read_queued(gateway_factory, devices,
                                              browser):
    gw = gateway_factory(auth={"admin_token": ADMIN},
                         registry={"awake_window": 1})
    dev = devices(gw, "dev-s1", b="UQ", lt=600,
                  answers={"GET 3/0/0": ("2.05", b"Sleepy", 0, None)})
    wait_for(lambda: state_of(gw, "dev-s1") == "sleeping", 10,
             what="dev-s1 asleep")
    login(browser, gw)
    wait_for(lambda: text_of(browser, "fleet-devices"), 10, what="the fleet")
    browser.get("http://127.0.0.1:%d/ui/#/device?ep=dev-s1" % gw.http_port)
    wait_for(lambda: text_of(browser, "device-state") == "sleeping" and
             text_of(browser, "device-live") == "live", 10,
             what="the page of a sleeping device, live")
    assert "queue mode" in text_of(browser, "device-registration")

    # Queued: 202 and the op in the list, with nothing sent.
    click(browser, "read-3-0-0")
    answered(browser, 202, "GET /3/0/0", "queued as op")
    [op] = queued(gw, "dev-s1")
    wait_for(lambda: browser.find_elements(By.ID, "cancel-op-%d" % op), 10,
             what="the op in the queued list")
    assert "queued" in text_of(browser, "device-ops")
    assert dev.seen == []
    # The device wakes: the op goes, and its end comes on the stream with
    # the value.
    assert dev.update()["code"] == "2.04"
    wait_for(lambda: "op %d done" % op in text_of(browser, "device-answer")
             and "Sleepy" in text_of(browser, "device-answer"), 10,
             what="the op's result")
    assert text_of(browser, "val-3-0-0") == "Sleepy"
    wait_for(lambda: not browser.find_elements(By.ID, "cancel-op-%d" % op),
             10, what="the op gone from the queued list")

    # Asleep again: the value it brought is the cache's, said so.
    wait_for(lambda: state_of(gw, "dev-s1") == "sleeping", 10,
             what="dev-s1 asleep again")
    click(browser, "read-3-0-0")
    answered(browser, 200, "GET /3/0/0", "from the gateway's cache",
             "Sleepy")
    # A queued op cancelled from the page never goes.
    click(browser, "read-3-0-1")
    answered(browser, 202, "GET /3/0/1", "queued as op")
    [op2] = queued(gw, "dev-s1")
    wait_for(lambda: browser.find_elements(By.ID, "cancel-op-%d" % op2), 10,
             what="the second op in the list")
    click(browser, "cancel-op-%d" % op2)
    answered(browser, 204, "DELETE op %d" % op2)
    assert queued(gw, "dev-s1") == []
    wait_for(lambda: "Nothing queued" in text_of(browser, "device-ops-box"),
             10, what="the list without it")
    assert dev.update()["code"] == "2.04"
    assert [k for k, _ in dev.seen] == ["GET 3/0/0"]
