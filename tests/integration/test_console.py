"""
The operator's console at /ui/, driven by a real headless Chromium
(Debian's chromium and chromium-driver, through python3-selenium) against a
real gateway. Screenshots of each page go to the test's tmp dir.
"""
import os
import shutil

import pytest

from conftest import wait_for
from fakedev import FakeDevice

CHROMEDRIVER = "/usr/bin/chromedriver"
ADMIN = "console-admin-token-0123456789"

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:         # pragma: no cover
    webdriver = None


@pytest.fixture
def browser(tmp_path):
    if webdriver is None or not shutil.which("chromium") or \
            not os.path.exists(CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium, chromium-driver and python3-selenium "
                        "are needed (scripts/install-deps.sh)")
        pytest.skip("no headless chromium here")
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=1280,720",
              "--user-data-dir=%s" % (tmp_path / "chromium")):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER),
                         options=opts)
    d.shots = tmp_path
    yield d
    d.quit()


def shot(d, name):
    """A screenshot of the page into the test's tmp dir and, when
    OUTPOST_SHOTS names a directory, there too (the README's come from
    there)."""
    d.save_screenshot(str(d.shots / name))
    if os.environ.get("OUTPOST_SHOTS"):
        d.save_screenshot(os.path.join(os.environ["OUTPOST_SHOTS"], name))


def text_of(d, elem_id):
    try:
        return d.find_element(By.ID, elem_id).text
    except Exception:
        return ""


def login(d, gw):
    d.get("http://127.0.0.1:%d/ui/" % gw.http_port)
    d.find_element(By.ID, "token").send_keys(ADMIN)
    d.find_element(By.CSS_SELECTOR, "#login-form button").click()


def test_console_files_forbid_inline_script(gateway):
    status, hdrs, body = gateway.http("GET", "/ui/")
    assert status == 200 and hdrs["content-type"].startswith("text/html")
    csp = hdrs["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert b"<script>" not in body and b"onclick" not in body
    status, hdrs, _ = gateway.http("GET", "/ui")
    assert status == 301 and hdrs["location"] == "/ui/"
    status, hdrs, body = gateway.http("GET", "/ui/chart.js")
    assert status == 200 and b"Chart.js" in body[:200]
    assert gateway.http("GET", "/ui/nope.js")[0] == 404
    # kept by the browser, asked again, and not sent again when the same
    status, hdrs, body = gateway.http("GET", "/ui/chart.js")
    etag = hdrs["etag"]
    assert hdrs["cache-control"] == "no-cache" and etag.startswith('"')
    status, hdrs, body = gateway.http("GET", "/ui/chart.js",
                                      headers={"If-None-Match": etag})
    assert (status, body, hdrs["etag"]) == (304, b"", etag)
    status, hdrs, body = gateway.http("GET", "/ui/app.js",
                                      headers={"If-None-Match": etag})
    assert status == 200 and hdrs["etag"] != etag and body


def test_token_then_fleet_and_devices(gateway_factory, browser):
    gw = gateway_factory(auth={"admin_token": ADMIN})
    devs = [FakeDevice(gw, ep) for ep in ("site-a-1", "site-a-2", "site-b-1")]
    try:
        login(browser, gw)
        wait_for(lambda: "awake 3" in text_of(browser, "fleet-devices"),
                 timeout=10, what="the fleet's devices by state")
        shot(browser, "fleet.png")
        # the token is the session's, never in a URL
        assert ADMIN not in browser.current_url
        browser.get("http://127.0.0.1:%d/ui/#/devices?prefix=site-a" %
                    gw.http_port)
        wait_for(lambda: "site-a-2" in text_of(browser, "devices"),
                 timeout=10, what="the devices found by name")
        shown = text_of(browser, "devices")
        assert "site-a-1" in shown and "site-b-1" not in shown
        assert "null" not in text_of(browser, "page")
        shot(browser, "devices.png")
    finally:
        for d in devs:
            d.close()


def test_wrong_token_asks_again(gateway_factory, browser):
    gw = gateway_factory(auth={"admin_token": ADMIN})
    browser.get("http://127.0.0.1:%d/ui/" % gw.http_port)
    browser.find_element(By.ID, "token").send_keys("not-the-token-at-all")
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_for(lambda: "did not take" in text_of(browser, "login-error"),
             timeout=10, what="the refusal")


HOSTILE = "<img src=x onerror=alert(1)>"


def no_markup_from(d, where):
    """No element the hostile name could have made, and no alert."""
    from selenium.common.exceptions import NoAlertPresentException
    assert d.execute_script(
        "return document.querySelectorAll(arguments[0] + ' img').length",
        where) == 0
    try:
        d.switch_to.alert
        raise AssertionError("an alert ran")
    except NoAlertPresentException:
        pass


def test_hostile_device_name_is_text(gateway_factory, browser):
    gw = gateway_factory(auth={"admin_token": ADMIN})
    dev = FakeDevice(gw, HOSTILE)
    try:
        login(browser, gw)
        wait_for(lambda: "awake 1" in text_of(browser, "fleet-devices"),
                 timeout=10, what="the fleet")
        browser.get("http://127.0.0.1:%d/ui/#/devices?prefix=%%3Cimg" %
                    gw.http_port)
        wait_for(lambda: HOSTILE in text_of(browser, "devices"),
                 timeout=10, what="the hostile name as text")
        link = browser.find_element(By.CSS_SELECTOR, "#devices a.ep")
        assert link.text == HOSTILE
        no_markup_from(browser, "#page")
        shot(browser, "hostile-devices.png")
        # its own page names it as text too
        link.click()
        wait_for(lambda: HOSTILE in text_of(browser, "page"), timeout=10,
                 what="the device page")
        no_markup_from(browser, "#page")
        shot(browser, "hostile-device.png")
    finally:
        dev.close()


def test_a_slow_page_never_draws_over_the_next(gateway_factory, browser):
    """A page left before its answers came draws nothing: the page the user
    went to stays. The fleet page waits on /metrics; a fetch hook holds that
    answer back until the devices page is drawn, then lets it go and marks
    when everything its arrival set off has run (a task after the
    microtasks of the page's code)."""
    gw = gateway_factory(auth={"admin_token": ADMIN})
    dev = FakeDevice(gw, "quick-1")

    def ready():
        return browser.execute_script(
            "return document.documentElement.dataset.ready")
    try:
        login(browser, gw)
        wait_for(lambda: ready() == "fleet", timeout=10,
                 what="the fleet page")
        browser.execute_script("""
            window.held = [];
            window.staleDone = false;
            const real = window.fetch;
            window.fetch = (url, o) => {
                if (!String(url).startsWith("/metrics"))
                    return real(url, o);
                return new Promise(ok => window.held.push(() =>
                    ok(real(url, o).then(r => {
                        const text = r.text.bind(r);
                        r.text = async () => {
                            const v = await text();
                            setTimeout(() => { window.staleDone = true; });
                            return v;
                        };
                        return r;
                    }))));
            };
            location.hash = "#/fleet?again=1";""")
        wait_for(lambda: browser.execute_script(
            "return window.held.length") == 1, timeout=10,
            what="the fleet page to wait on /metrics")
        browser.execute_script('location.hash = "#/devices";')
        wait_for(lambda: ready() == "devices" and
                 "quick-1" in text_of(browser, "devices"),
                 timeout=10, what="the devices page")
        browser.execute_script("window.held.forEach(go => go());")
        wait_for(lambda: browser.execute_script("return window.staleDone"),
                 timeout=10, what="the held answer to be read")
        assert ready() == "devices"
        assert "quick-1" in text_of(browser, "devices")
        assert text_of(browser, "fleet-devices") == ""
    finally:
        dev.close()
