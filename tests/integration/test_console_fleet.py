"""
The console's fleet, firmware and events pages (ui/fleet.js, firmware.js,
events.js) in a real headless Chromium against a real gateway and scripted
devices: alarms by severity raised by real alarm rules and a job under way
on the fleet page, which takes a device registering without a reload; the
event stream shown live, filtered by type and endpoint, and paused; images
listed, a signed image uploaded in parts with its verdict, a tampered
manifest refused with the reason, an image deleted; a read token offered
no upload. Screenshots go to the test's tmp dir and $OUTPOST_SHOTS.
"""
import json
import os
import shutil

from conftest import wait_for
from test_console import browser, text_of, ADMIN  # noqa: F401
from test_firmware import keygen, make_image, sign

try:
    from selenium.webdriver.common.by import By
except ImportError:         # pragma: no cover (the fixture skips)
    By = None

READ = "console-read-token-9876543210ab"
OK = ("2.04", b"", None, None)
WAIT = 15


def call(gw, method, path, body=None, token=ADMIN, expect=None):
    """An API request with the token: (status, parsed JSON or None)."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    status, _, out = gw.http(method, path, body=body, headers={
        "Authorization": "Bearer " + token})
    if expect is not None:
        assert status == expect, (method, path, status, out)
    return status, json.loads(out) if out else None


def login_as(d, gw, token, where="fleet"):
    d.get("http://127.0.0.1:%d/ui/#/%s" % (gw.http_port, where))
    d.find_element(By.ID, "token").send_keys(token)
    d.find_element(By.CSS_SELECTOR, "#login-form button").click()


def shot(d, name):
    path = str(d.shots / name)
    d.save_screenshot(path)
    out = os.environ.get("OUTPOST_SHOTS")
    if out:
        os.makedirs(out, exist_ok=True)
        shutil.copy(path, os.path.join(out, name))


def ids(d, css):
    return [e.get_attribute("id") for e in d.find_elements(By.CSS_SELECTOR,
                                                             css)]


def test_fleet_alarms_by_severity_and_a_running_job(run_outpost, tmp_path,
                                                     gateway_factory,
                                                     devices, browser):
    key, pub = keygen(run_outpost, tmp_path)
    gw = gateway_factory(auth={"admin_token": ADMIN},
                         firmware={"trusted_keys": pub})
    devices(gw, "fl-hot", answers={"GET 3/0/7": ("2.05", b"85", 0, None)})
    devices(gw, "fl-flat", answers={"GET 3/0/9": ("2.05", b"5", 0, None)})
    devices(gw, "fl-job-1", answers={"PUT 1/0/3": OK})
    late = devices(gw, "fl-job-2", answers={"PUT 1/0/3": None})
    # Two rules, two severities; a read through the proxy brings the
    # value each is judged by.
    for rule, ep, path in (
            ({"above": 80, "severity": "critical", "name": "hot"},
             "fl-hot", "3/0/7"),
            ({"below": 20, "severity": "minor", "name": "flat"},
             "fl-flat", "3/0/9")):
        rule.update(kind="threshold", path="/" + path, ep=ep, push=False)
        call(gw, "POST", "/v1/alarm-rules", rule, expect=201)
        call(gw, "GET", "/v1/devices/%s/r/%s" % (ep, path), expect=200)
    wait_for(lambda: len(call(gw, "GET", "/v1/alarms?state=active")[1][
        "alarms"]) == 2, WAIT, what="two alarms raised")
    # A job whose second device never answers: running, one of two done.
    _, job = call(gw, "POST", "/v1/jobs", {
        "name": "poll period", "target": {"endpoints": ["fl-job-1",
                                                        "fl-job-2"]},
        "steps": [{"op": "write", "path": "/1/0/3", "value": 30}]},
        expect=201)
    wait_for(lambda: call(gw, "GET", "/v1/jobs/%d" % job["id"])[1][
        "counts"]["succeeded"] == 1, WAIT, what="the job's first device")
    late.wait_seen(1)
    assert call(gw, "GET", "/v1/jobs/%d" % job["id"])[1]["status"] == \
        "running"
    # A campaign whose device never answers the write of the image's URI.
    slow = devices(gw, "fl-camp", links=b"</3/0>,</5/0>", answers={
        "PUT 5/0/1": None, "GET 5/0/3": None, "GET 5/0/5": None,
        "GET 5/0": None})
    img, data = make_image(tmp_path, "fw.bin", 3000)
    _, fw = call(gw, "POST", "/v1/firmware", sign(run_outpost, key, img, 1),
                 expect=201)
    call(gw, "PUT", "/v1/firmware/%s/image" % fw["id"], data, expect=201)
    _, camp = call(gw, "POST", "/v1/campaigns", {
        "image": fw["id"], "target": {"eps": ["fl-camp"]}}, expect=201)
    slow.wait_seen(1)
    assert call(gw, "GET", "/v1/campaigns/%d" % camp["id"])[1][
        "status"] == "running"

    login_as(browser, gw, ADMIN)
    wait_for(lambda: "awake 5" in text_of(browser, "fleet-devices"), WAIT,
             what="the fleet's devices by state")
    assert text_of(browser, "fleet-alarms-critical") == "critical 1"
    assert text_of(browser, "fleet-alarms-minor") == "minor 1"
    assert text_of(browser, "fleet-alarms-major") == "major 0"
    listed = text_of(browser, "fleet-alarms")
    assert "fl-hot" in listed and "fl-flat" in listed and "85" in listed
    bar = "fleet-job-%d" % job["id"]
    assert text_of(browser, bar) == "1 / 2"
    link = browser.find_element(By.ID, "fleet-job-link-%d" % job["id"])
    assert link.get_attribute("href").endswith("#/job?id=%d" % job["id"])
    assert "poll period" in link.text
    assert browser.find_element(By.CSS_SELECTOR, "#%s .bar" % bar) \
        .get_attribute("data-done") == "1"
    assert text_of(browser, "fleet-campaign-%d" % camp["id"]) == "0 / 1"
    link = browser.find_element(By.ID, "fleet-campaign-link-%d" %
                                camp["id"])
    assert link.get_attribute("href").endswith("#/campaign?id=%d" %
                                               camp["id"])
    assert fw["id"] in link.text
    # Live: a device that registers now is an event on the page and a
    # device more in the figures, without a reload.
    wait_for(lambda: text_of(browser, "fleet-events-state") == "live", WAIT,
             what="the fleet's event stream")
    devices(gw, "fl-new")
    wait_for(lambda: "fl-new" in text_of(browser, "fleet-events"), WAIT,
             what="the registration on the fleet page")
    first = browser.find_element(By.CSS_SELECTOR, "#fleet-events li")
    assert "registration" in first.text and "fl-new" in first.text
    wait_for(lambda: "awake 6" in text_of(browser, "fleet-devices"), WAIT,
             what="the figures asked again")
    shot(browser, "fleet.png")


def test_events_live_filtered_and_paused(gateway_factory, devices, browser):
    gw = gateway_factory(auth={"admin_token": ADMIN})
    login_as(browser, gw, ADMIN, "events")
    wait_for(lambda: text_of(browser, "events-state") == "live", WAIT,
             what="the event stream")
    listed = lambda: text_of(browser, "events-list")  # noqa: E731
    ev_a = devices(gw, "ev-a")
    wait_for(lambda: "ev-a" in listed(), WAIT, what="ev-a registering")
    row = browser.find_element(By.CSS_SELECTOR, "#events-list li")
    assert row.get_attribute("class") == "ev registration"
    assert '"lifetime":300' in row.text, row.text
    assert row.find_element(By.CSS_SELECTOR, "a.ep").get_attribute(
        "href").endswith("#/device?ep=ev-a")

    # Registrations only: an update is left out, the registration after
    # it is shown (the stream keeps their order).
    browser.find_element(By.ID, "events-none").click()
    wait_for(lambda: text_of(browser, "events-state") == "no type chosen",
             WAIT, what="no type")
    assert listed() == ""
    browser.find_element(By.ID, "events-type-registration").click()
    wait_for(lambda: text_of(browser, "events-state") == "live", WAIT,
             what="the stream of registrations")
    assert "type=registration" in browser.current_url
    assert "ev-a" in listed()       # kept, and of the type
    assert ev_a.update()["code"] == "2.04"
    devices(gw, "ev-b")
    wait_for(lambda: "ev-b" in listed(), WAIT, what="ev-b registering")
    assert ids(browser, "#events-list li.update") == []
    assert len(browser.find_elements(By.CSS_SELECTOR,
                                     "#events-list li.registration")) == 2

    # One endpoint: another's registration is left out.
    browser.find_element(By.ID, "events-ep").send_keys("ev-d")
    browser.find_element(By.CSS_SELECTOR,
                         "#events-filter button[type=submit]").click()
    wait_for(lambda: "ev-a" not in listed(), WAIT, what="the filter")
    wait_for(lambda: text_of(browser, "events-state") == "live", WAIT,
             what="the stream of ev-d")
    devices(gw, "ev-c")
    devices(gw, "ev-d")
    wait_for(lambda: "ev-d" in listed(), WAIT, what="ev-d registering")
    assert "ev-c" not in listed()

    # Tags too; then paused: what comes is kept, and shown on resume.
    browser.find_element(By.ID, "events-type-tags").click()
    wait_for(lambda: "tags" in browser.current_url and
             text_of(browser, "events-state") == "live", WAIT,
             what="the stream of registrations and tags of ev-d")
    browser.find_element(By.ID, "events-pause").click()
    assert browser.find_element(By.ID, "events-pause").text == "Resume"
    call(gw, "PUT", "/v1/devices/ev-d/tags", ["blue"], expect=200)
    wait_for(lambda: "1 new while paused" in text_of(browser, "events-count"),
             WAIT, what="an event while paused")
    assert ids(browser, "#events-list li.tags") == []
    browser.find_element(By.ID, "events-pause").click()
    wait_for(lambda: len(ids(browser, "#events-list li.tags")) == 1, WAIT,
             what="the tags event on resume")
    newest = browser.find_element(By.CSS_SELECTOR, "#events-list li")
    assert "tags" in newest.text and '"blue"' in newest.text
    shot(browser, "events.png")


def test_firmware_upload_verdicts_and_roles(run_outpost, tmp_path,
                                            gateway_factory, browser):
    key, pub = keygen(run_outpost, tmp_path)
    gw = gateway_factory(auth={"admin_token": ADMIN, "read_token": READ},
                         firmware={"trusted_keys": pub})
    # One image there before the page: its manifest, then its bytes.
    img, data = make_image(tmp_path, "old.bin", 3000)
    _, old = call(gw, "POST", "/v1/firmware", sign(run_outpost, key, img, 1,
                                                   version="0.9"),
                  expect=201)
    call(gw, "PUT", "/v1/firmware/%s/image" % old["id"], data, expect=201)

    login_as(browser, gw, ADMIN, "firmware")
    wait_for(lambda: old["id"] in text_of(browser, "firmware"), WAIT,
             what="the image listed")
    row = text_of(browser, "firmware")
    assert "0.9" in row and "trusted" in row and "complete" in row

    # A signed image of three parts (the default max_body is 64 KiB).
    img, data = make_image(tmp_path, "new.bin", 150000)
    sign(run_outpost, key, img, 2, version="1.1")
    browser.find_element(By.ID, "firmware-manifest").send_keys(
        str(img) + ".manifest")
    browser.find_element(By.ID, "firmware-image").send_keys(str(img))
    browser.find_element(By.ID, "firmware-send").click()
    wait_for(lambda: "SHA-256 matches" in text_of(browser,
                                                  "firmware-complete"),
             WAIT, what="the upload complete")
    verdict = text_of(browser, "firmware-accepted")
    assert verdict.startswith("Signature accepted") and "1.1" in verdict
    assert open(pub).read().strip()[:16] in verdict
    assert text_of(browser, "firmware-upload-progress") == \
        "150000 / 150000"
    listing = call(gw, "GET", "/v1/firmware")[1]["images"]
    new = [i for i in listing if i["version"] == "1.1"][0]
    assert new["state"] == "complete" and new["received"] == len(data)
    wait_for(lambda: new["id"] in text_of(browser, "firmware"), WAIT,
             what="the new image listed")

    # A manifest posted before, its image cut short: posted again with
    # the image, the upload is taken up from where it stopped.
    img, part = make_image(tmp_path, "cut.bin", 100000)
    _, cut = call(gw, "POST", "/v1/firmware", sign(run_outpost, key, img, 4,
                                                   version="1.3"),
                  expect=201)
    status, _, _ = gw.http("PUT", "/v1/firmware/%s/image" % cut["id"],
                           body=part[:40000], headers={
                               "Authorization": "Bearer " + ADMIN,
                               "Content-Range": "bytes 0-39999/100000"})
    assert status == 202
    browser.find_element(By.ID, "firmware-manifest").send_keys(
        str(img) + ".manifest")
    browser.find_element(By.ID, "firmware-image").send_keys(str(img))
    browser.find_element(By.ID, "firmware-send").click()
    wait_for(lambda: "Accepted before" in text_of(browser,
                                                  "firmware-accepted"),
             WAIT, what="the manifest known")
    wait_for(lambda: "SHA-256 matches" in text_of(browser,
                                                  "firmware-complete"),
             WAIT, what="the upload taken up")
    got = call(gw, "GET", "/v1/firmware/" + cut["id"], expect=200)[1]
    assert got["state"] == "complete" and got["received"] == 100000

    # A manifest changed after signing: refused, with the reason.
    doc = json.loads(sign(run_outpost, key, img, 5, version="1.2"))
    doc["version"] = "6.6.6"
    bad = tmp_path / "bad.manifest"
    bad.write_text(json.dumps(doc))
    browser.find_element(By.ID, "firmware-manifest").send_keys(str(bad))
    browser.find_element(By.ID, "firmware-send").click()
    wait_for(lambda: "bad_signature" in text_of(browser,
                                                "firmware-refused"),
             WAIT, what="the bad signature refused")
    assert text_of(browser, "firmware-refused").startswith("Refused: 422")
    assert browser.find_elements(By.ID, "firmware-accepted") == []
    assert len(call(gw, "GET", "/v1/firmware")[1]["images"]) == 3
    assert "6.6.6" not in text_of(browser, "firmware")
    assert "null" not in text_of(browser, "page")
    shot(browser, "firmware.png")

    # Delete asks once more.
    gone = "firmware-delete-" + old["id"]
    browser.find_element(By.ID, gone).click()
    assert call(gw, "GET", "/v1/firmware/" + old["id"])[0] == 200
    browser.find_element(By.ID, gone).click()
    wait_for(lambda: old["id"] not in text_of(browser, "firmware"), WAIT,
             what="the image deleted")
    assert call(gw, "GET", "/v1/firmware/" + old["id"])[0] == 404

    # A read token sees the images, and is offered neither upload nor
    # delete.
    browser.execute_script("sessionStorage.clear()")
    browser.get("about:blank")
    login_as(browser, gw, READ, "firmware")
    wait_for(lambda: new["id"] in text_of(browser, "firmware"), WAIT,
             what="the images for a reader")
    assert text_of(browser, "who") == "role: read"
    assert browser.find_elements(By.ID, "firmware-upload") == []
    assert "null" not in text_of(browser, "page")
    assert ids(browser, "button[id^=firmware-delete-]") == []
