"""
/metrics for an operator to alert on: the latency histograms of proxied
requests by outcome, the device queues (depth, the oldest op's age, how
long ops took), the observations held, outpost_build_info and the
process_* figures, each checked against what the test did or against what
/proc says of the gateway; and `promtool check metrics` on the whole
exposition. Devices are the scripted FakeDevice, so that each answer (an
error, no answer at all) is the test's choice.
"""
import calendar
import os
import resource
import shutil
import socket
import subprocess
import time

import pytest

from conftest import free_port, wait_for

PROXY = "outpost_proxy_request_duration_seconds"
OPS = "outpost_queue_op_duration_seconds"
PROXY_LE = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
            "2.5", "5", "10", "30", "60", "+Inf"]
OUTCOMES = ["ok", "error", "timeout", "queued", "cached", "client_closed"]


def scrape(gw):
    """/metrics as (text, {'name{labels}': value})."""
    status, hdrs, body = gw.http("GET", "/metrics")
    assert status == 200
    text = body.decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return text, out


def hist(m, name, outcome, les=None):
    """One series of a histogram: ({le: cumulative count}, sum, count),
    after checking that its buckets are the ones promised and never
    decrease, and that +Inf is the count."""
    buckets = {}
    for k, v in m.items():
        prefix = '%s_bucket{outcome="%s",le="' % (name, outcome)
        if k.startswith(prefix):
            buckets[k[len(prefix):-2]] = v
    if les is not None:
        assert list(buckets) == les
    counts = list(buckets.values())
    assert counts == sorted(counts), buckets
    total = m['%s_count{outcome="%s"}' % (name, outcome)]
    assert buckets["+Inf"] == total
    return buckets, m['%s_sum{outcome="%s"}' % (name, outcome)], total


def promtool_check(text):
    """`promtool check metrics` on the exposition: no error, no lint
    finding. Without promtool a developer's run skips; CI must have it."""
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing; CI needs it (make deps: "
                        "scripts/install-deps.sh installs Debian's "
                        "prometheus)")
        pytest.skip("promtool is not installed (make deps installs it)")
    r = subprocess.run([promtool, "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", \
        (r.returncode, r.stdout, r.stderr)


def rfc3339(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def exercise(gateway_factory, devices):
    """A gateway, an awake device and a sleeping one, and proxied requests
    of each outcome: returns (gw, live, asleep, op id, counts expected by
    outcome)."""
    gw = gateway_factory(registry={"awake_window": 1})
    live = devices(gw, "m-live", answers={
        "GET 3/0/0": ("2.05", b"Outpost", 0, None),
        "GET 3/0/1": ("4.04", b"", None, None),
        "GET 3/0/2": None,                      # never answered
        "GET 3/0/9": ("2.05", b"90", 0, None)})
    asleep = devices(gw, "m-sleep", b="UQ", lt=600,
                     answers={"GET 1/0": ("2.05", b"v", 0, None)})
    gw.wait_state("m-sleep", "sleeping")
    req = lambda path, **kw: gw.http("GET", "/v1/devices/" + path, **kw)[0]
    assert req("m-live/r/3/0/0") == 200                         # ok
    assert req("m-live/r/3/0/1") == 404                         # error
    assert req("m-live/r/3/0/2?timeout=1", timeout=10) == 504   # timeout
    assert req("m-live/r/3/0/0?cached=1") == 200                # cached
    assert req("m-live/r/3/0/5?cached=1") == 504                # error
    status, hdrs, _ = gw.http("GET", "/v1/devices/m-sleep/r/1/0")
    assert status == 202                                        # queued
    op = gw.get_json(hdrs["location"])["op"]
    assert req("m-sleep/r/1/0?mode=wait") == 503                # error
    # Not proxied: no device, a bad mode.
    assert req("nobody/r/1/0") == 404
    assert req("m-live/r/3/0/0?mode=bogus") == 400
    # Observations: one established, one waiting for its device.
    assert gw.http("POST", "/v1/devices/m-live/observe/3/0/9")[0] == 201
    assert gw.http("POST", "/v1/devices/m-sleep/observe/1/0")[0] in (201,
                                                                      202)
    return gw, live, asleep, op, {"ok": 1, "error": 3, "timeout": 1,
                                  "queued": 1, "cached": 1,
                                  "client_closed": 0}


def test_proxied_requests_queue_and_observations(gateway_factory, devices):
    gw, live, asleep, op, expect = exercise(gateway_factory, devices)
    _, m = scrape(gw)
    for outcome in OUTCOMES:
        buckets, total, n = hist(m, PROXY, outcome, PROXY_LE)
        assert n == expect[outcome], (outcome, m)
    # The timeout took its second (its timer counts from the start of the
    # reactor's turn, a little before the request's clock does).
    buckets, total, _ = hist(m, PROXY, "timeout")
    assert buckets["0.5"] == 0 and buckets["5"] == 1 and total >= 0.9
    # Loopback answers and the cache are quick.
    assert hist(m, PROXY, "cached")[0]["1"] == 1
    assert hist(m, PROXY, "ok")[0]["1"] == 1

    assert m["outpost_queue_ops"] == 1
    assert m["outpost_queue_devices"] == 1
    assert m['outpost_observations{state="established"}'] == 1
    assert m['outpost_observations{state="dormant"}'] == 1
    # The op's age grows with the clock, from its creation.
    created = rfc3339(gw.get_json("/v1/ops/%d" % op)["created_at"])
    age = wait_for(lambda: (lambda v: v if v >= 1 else None)(
        scrape(gw)[1]["outpost_queue_oldest_op_age_seconds"]), 5,
        what="the queued op to be a second old")
    assert abs(age - (time.time() - created)) <= 1.5

    # The device wakes: its op goes, its observation is made.
    assert asleep.update()["code"] == "2.04"
    wait_for(lambda: gw.get_json("/v1/ops/%d" % op)["state"] == "done",
             what="the queued op delivered")
    _, m = wait_for(lambda: (lambda s: s if s[1][
        'outpost_observations{state="established"}'] == 2 else None)(
        scrape(gw)), what="the sleeping device's observation made")
    assert m['outpost_observations{state="dormant"}'] == 0
    assert m["outpost_queue_ops"] == 0
    assert m["outpost_queue_devices"] == 0
    assert m["outpost_queue_oldest_op_age_seconds"] == 0
    buckets, total, n = hist(m, OPS, "done")
    assert n == 1 and total >= 1
    assert hist(m, OPS, "failed")[2] == 0
    assert hist(m, OPS, "expired")[2] == 0
    # Scrapes and ops requests are no proxied requests.
    assert [hist(m, PROXY, o)[2] for o in OUTCOMES] == \
        [expect[o] for o in OUTCOMES]


def test_promtool_accepts_metrics(gateway_factory, devices):
    gw, _, _, _, _ = exercise(gateway_factory, devices)
    text, m = scrape(gw)
    assert m['%s_count{outcome="timeout"}' % PROXY] == 1
    promtool_check(text)


def test_client_closed_is_counted(gateway, devices):
    """A client that hangs up while the device is silent: client_closed."""
    dev = devices(gateway, "m-gone", answers={"GET 1/0": None})
    s = socket.create_connection(("127.0.0.1", gateway.http_port))
    s.sendall(b"GET /v1/devices/m-gone/r/1/0?timeout=30 HTTP/1.1\r\n"
              b"Host: x\r\n\r\n")
    dev.wait_seen(1)        # on its way to the device
    s.close()
    m = wait_for(lambda: (lambda v: v if v['%s_count{outcome='
                          '"client_closed"}' % PROXY] == 1 else None)(
        scrape(gateway)[1]), what="the hang-up counted")
    assert m['%s_count{outcome="timeout"}' % PROXY] == 0


def test_oldest_op_age_after_cancel_and_restart(gateway_factory, devices):
    gw = gateway_factory(registry={"awake_window": 1})
    devices(gw, "m-q", b="UQ", lt=600)
    gw.wait_state("m-q", "sleeping")

    def push(path):
        status, hdrs, _ = gw.http("GET", "/v1/devices/m-q/r/" + path)
        assert status == 202
        return gw.get_json(hdrs["location"])

    first = push("1/0")
    wait_for(lambda: scrape(gw)[1]["outpost_queue_oldest_op_age_seconds"]
             >= 2, 6, what="the first op to be two seconds old")
    second = push("2/0")
    assert scrape(gw)[1]["outpost_queue_ops"] == 2
    # The first one cancelled: the age is the second's.
    assert gw.http("DELETE", "/v1/ops/%d" % first["op"])[0] == 204
    created = rfc3339(second["created_at"])
    _, m = scrape(gw)
    assert m["outpost_queue_ops"] == 1
    assert abs(m["outpost_queue_oldest_op_age_seconds"] -
               (time.time() - created)) <= 1.5
    assert rfc3339(first["created_at"]) <= created - 2
    # After a restart, from the store.
    gw.restart()
    _, m = scrape(gw)
    assert m["outpost_queue_ops"] == 1
    assert m["outpost_queue_devices"] == 1
    assert abs(m["outpost_queue_oldest_op_age_seconds"] -
               (time.time() - created)) <= 1.5


def _proc_stat(pid):
    with open("/proc/%d/stat" % pid) as fp:
        return fp.read().rsplit(")", 1)[1].split()


def _status_kib(pid, key):
    with open("/proc/%d/status" % pid) as fp:
        for line in fp:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no " + key)


def test_process_figures_and_build_info(gateway, run_outpost):
    pid = gateway.proc.pid
    tck = os.sysconf("SC_CLK_TCK")
    cpu = lambda: sum(int(x) for x in _proc_stat(pid)[11:13]) / tck
    fds = lambda: len(os.listdir("/proc/%d/fd" % pid))
    rss = [_status_kib(pid, "VmRSS")]
    vsz = [_status_kib(pid, "VmSize")]
    cpu0, fds0 = cpu(), fds()
    _, m = scrape(gateway)
    cpu1, fds1 = cpu(), fds()
    rss.append(_status_kib(pid, "VmRSS"))
    vsz.append(_status_kib(pid, "VmSize"))

    assert cpu0 <= m["process_cpu_seconds_total"] <= cpu1
    assert min(rss) * 0.8 <= m["process_resident_memory_bytes"] <= \
        max(rss) * 1.2
    assert min(vsz) * 0.9 <= m["process_virtual_memory_bytes"] <= \
        max(vsz) * 1.1
    # Its own descriptors, with the scrape's connection.
    assert min(fds0, fds1) <= m["process_open_fds"] <= max(fds0, fds1) + 1
    assert m["process_max_fds"] == resource.prlimit(
        pid, resource.RLIMIT_NOFILE)[0]
    with open("/proc/stat") as fp:
        btime = [int(l.split()[1]) for l in fp if l.startswith("btime ")][0]
    start = btime + int(_proc_stat(pid)[19]) / tck
    assert abs(m["process_start_time_seconds"] - start) <= 1.5
    assert m["process_start_time_seconds"] <= time.time()

    rc, out, _ = run_outpost("-V")
    version = out.split()[-1]
    info = [k for k in m if k.startswith("outpost_build_info{")]
    assert len(info) == 1 and m[info[0]] == 1
    labels = dict(kv.split("=", 1) for kv in
                  info[0][len("outpost_build_info{"):-1].split(","))
    assert labels["version"] == '"%s"' % version
    pc = lambda pkg: '"%s"' % subprocess.run(
        ["pkg-config", "--modversion", pkg], capture_output=True,
        text=True).stdout.strip()
    assert labels["libcoap"] == pc("libcoap-3-gnutls")
    assert labels["libevent"] == pc("libevent_core")
    assert labels["wolfssl"] == pc("wolfssl")
    assert labels["lmdb"] == pc("lmdb")


def test_doc_names_every_metric(gateway_factory):
    """doc/metrics.md lists each family /metrics shows, and no other. The
    cloud link's are shown when [cloud] broker is set: here to a port with
    no broker, which the link keeps trying."""
    import re
    gateway = gateway_factory(cloud={
        "broker": "mqtt://127.0.0.1:%d" % free_port()})
    text, _ = scrape(gateway)
    shown = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "..", "doc", "metrics.md")
    with open(doc) as fp:
        listed = set(re.findall(r"^\| `((?:outpost|process)_[a-z_]+)[{`]",
                                fp.read(), re.M))
    assert shown == listed, (sorted(shown - listed), sorted(listed - shown))
