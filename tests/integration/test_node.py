"""
outpost-node, the device agent, against the real gateway (register, update,
queue mode, deregister, re-register, backoff, a fleet) and against libcoap's
coap-client-gnutls talking to the node's own port (reads, observe, writes,
execute, bad requests).
"""
import calendar
import json
import os
import random
import signal
import socket
import subprocess
import time

from conftest import NODE_BIN, coap_message, wait_for


def parse_time(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def device_or_none(gw, ep):
    status, _, body = gw.http("GET", "/v1/devices/" + ep)
    return json.loads(body) if status == 200 else None


def wait_registered(gw, ep, timeout=10.0):
    return wait_for(lambda: device_or_none(gw, ep), timeout,
                    what="%s registered with the gateway" % ep)


def wakeups(pid):
    """Voluntary + involuntary context switches of all threads of pid."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as fp:
            for line in fp:
                if line.startswith(("voluntary_ctxt_switches",
                                    "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
    return total


# -- against the gateway ------------------------------------------------

def test_registers_with_its_objects(gateway, node_factory):
    node = node_factory(gateway, ep="dev-a", sections={
        "node": {"lifetime": 300}})
    d = wait_registered(gateway, "dev-a")
    assert d["state"] == "awake"
    assert d["binding"] == "U" and d["queue_mode"] is False
    assert d["lifetime"] == 300 and d["lwm2m"] == "1.1"
    assert d["address"] == "127.0.0.1:%d" % node.port
    paths = [o["path"] for o in d["objects"]]
    assert paths == ["/3/0", "/4/0", "/5/0", "/20/0"]
    assert d["root_path"] == "/"
    node.wait_log("dev-a: registered as rd/%s" % d["registration_id"])


def test_updates_before_the_lifetime_runs_out(gateway_factory, node_factory):
    # lt 4, an update at half of it. (The gateway keeps whole seconds,
    # so a registration may lapse up to a second early: at 80 % of so
    # short a lifetime the update would race the expiry.)
    gw = gateway_factory(registry={"min_lifetime": 1})
    node = node_factory(gw, ep="dev-u", sections={
        "node": {"lifetime": 4}, "register": {"update_percent": 50}})
    first = wait_registered(gw, "dev-u")
    mark = node.wait_log("registered as")
    for _ in range(3):
        mark = node.wait_log("updated rd/" + first["registration_id"],
                             since=mark, timeout=5)
    d = gw.device("dev-u")
    assert parse_time(d["updated_at"]) > parse_time(first["updated_at"])
    assert d["registration_id"] == first["registration_id"]
    # 1.5 lifetimes have passed since the registration; never expired.
    assert d["state"] == "awake"
    assert "4.04" not in node.log()


def test_queue_mode_sleeps_and_wakes(gateway_factory, node_factory):
    gw = gateway_factory(registry={"awake_window": 1})
    node = node_factory(gw, ep="dev-q", sections={
        "node": {"binding": "UQ", "awake": 1, "sleep": 3, "lifetime": 60}})
    d = wait_registered(gw, "dev-q")
    assert d["binding"] == "UQ" and d["queue_mode"] is True
    registered_at = d["updated_at"]
    gw.wait_state("dev-q", "sleeping", timeout=6)
    # Radio off: a request waits in the socket until the node wakes.
    off = node.wait_log("radio off for 3.0 s")
    assert node.count_log("radio on", since=off) == 0
    r = node.coap("get", "3/0/0", wait=10)
    assert r.code == "2.05" and r.body == "Outpost", r
    assert node.count_log("radio on", since=off) == 1, \
        "answered while the radio was off"
    # On waking it sent an update: the gateway took it (the device was
    # awake for [registry] awake_window, 1 s: too short to poll for), then
    # it is asleep again.
    node.wait_log("updated rd/", since=off)
    wait_for(lambda: gw.device("dev-q")["updated_at"] > registered_at,
             timeout=6, what="the update at the gateway")
    gw.wait_state("dev-q", "sleeping", timeout=6)


def test_deregisters_on_sigterm(gateway, node_factory):
    node = node_factory(gateway, ep="dev-t")
    wait_registered(gateway, "dev-t")
    assert node.stop(signal.SIGTERM) == 0
    assert device_or_none(gateway, "dev-t") is None
    assert "dev-t: deregistered" in node.log()
    assert gateway.get_json("/v1/health")["devices"] == 0


def test_sigint_too_and_unregistered_node_exits_at_once(gateway_factory,
                                                        node_factory):
    gw = gateway_factory(start=False)     # nobody answers
    node = node_factory(gw, ep="dev-i")
    node.wait_log("registration failed")
    t0 = time.monotonic()
    assert node.stop(signal.SIGINT) == 0
    assert time.monotonic() - t0 < 1.5    # nothing to deregister


def test_registers_afresh_after_the_gateway_lost_its_store(gateway_factory,
                                                          node_factory):
    gw = gateway_factory(registry={"min_lifetime": 1})
    node = node_factory(gw, ep="dev-l", sections={"node": {"lifetime": 6}})
    old = wait_registered(gw, "dev-l")["registration_id"]
    # Right after an update, 4.8 s before the next: lose everything.
    mark = node.wait_log("updated rd/" + old, timeout=8)
    assert gw.stop() == 0
    subprocess.run(["rm", "-rf", gw.store], check=True)
    gw.start()
    assert device_or_none(gw, "dev-l") is None
    mark = node.wait_log("the gateway lost the registration (4.04)",
                         since=mark, timeout=8)
    node.wait_log("dev-l: registered as", since=mark)
    new = gw.device("dev-l")["registration_id"]
    assert new != old


def test_backs_off_while_the_gateway_is_down(gateway_factory, node_factory):
    gw = gateway_factory(start=False)
    node = node_factory(gw, ep="dev-b", sections={
        "register": {"backoff_min": 1, "backoff_max": 2}})
    t0 = time.monotonic()
    node.wait_log("retrying in", timeout=5)
    mark = node.log_mark()
    # ICMP says at once that nobody listens: without a backoff this
    # would retry in a tight loop. Retries are 1..2 s apart.
    node.wait_log("retrying in", since=mark, timeout=5)
    node.wait_log("retrying in", since=node.log_mark(), timeout=5)
    tries = node.count_log("register failed")
    elapsed = time.monotonic() - t0
    assert tries <= elapsed + 2, (tries, elapsed)
    gw.start()
    d = wait_registered(gw, "dev-b", timeout=6)
    assert d["state"] == "awake"


def test_fleet_of_200_registers_and_deregisters(gateway_factory,
                                                node_factory):
    gw = gateway_factory(coap={"max_idle_sessions": 1000})
    node = node_factory(gw, listen=False, args=[
        "--fleet", "200", "--prefix", "fl-", "--spread", "1"])
    node.wait_log("fleet: all 200 devices registered", timeout=15)
    assert gw.get_json("/v1/health")["devices"] == 200
    d = gw.device("fl-199")
    assert [o["path"] for o in d["objects"]] == ["/3/0", "/4/0", "/5/0",
                                                  "/20/0"]
    ports = {gw.device("fl-%d" % i)["address"] for i in (0, 1, 2, 3)}
    assert len(ports) == 4                # a socket per device
    assert node.stop() == 0
    assert gw.get_json("/v1/health")["devices"] == 0


def test_gateway_reaches_the_node_where_it_registered_from(gateway,
                                                          node_factory):
    # No --listen: the node's only socket is its session to the gateway
    # (connected, as behind a NAT), and it serves on it.
    node = node_factory(gateway, ep="dev-p", listen=False)
    wait_registered(gateway, "dev-p")
    status, hdrs, body = gateway.http("GET", "/v1/devices/dev-p/r/3/0/0")
    assert status == 200, (status, body)
    assert hdrs["content-type"].startswith("text/plain")
    assert body == b"Outpost"
    status, hdrs, body = gateway.http("GET", "/v1/devices/dev-p/r/health")
    assert status == 200 and "mem_free_kb" in json.loads(body)
    status, _, body = gateway.http(
        "PUT", "/v1/devices/dev-p/r/config", body='{"node":{"sleep":9}}',
        headers={"Content-Type": "application/json"})
    assert status in (200, 204), (status, body)
    node.wait_log("config: changed")
    status, _, _ = gateway.http("GET", "/v1/devices/dev-p/r/3/0/77")
    assert status == 404


def test_queued_write_reaches_the_node_when_it_wakes(gateway_factory,
                                                     node_factory):
    gw = gateway_factory(registry={"awake_window": 1})
    node = node_factory(gw, ep="dev-w", listen=False, sections={
        "node": {"binding": "UQ", "awake": 1, "sleep": 2}})
    wait_registered(gw, "dev-w")
    gw.wait_state("dev-w", "sleeping", timeout=6)
    status, hdrs, body = gw.http(
        "PUT", "/v1/devices/dev-w/r/config", body='{"node":{"awake":2}}',
        headers={"Content-Type": "application/json"})
    assert status == 202, (status, body)
    op = json.loads(body)["op"]
    node.wait_log("config: changed", timeout=8)
    wait_for(lambda: gw.get_json("/v1/ops/%d" % op)["state"] == "done", 5,
             what="op %d done" % op)


def test_fleet_over_a_lossy_link(gateway_factory, node_factory):
    gw = gateway_factory(coap={"max_idle_sessions": 1000})
    node = node_factory(gw, listen=False, args=[
        "--fleet", "30", "--prefix", "lossy-", "--spread", "0",
        "--drop", "0.3"])
    # Retransmissions get most through within a few seconds.
    wait_for(lambda: gw.get_json("/v1/health")["devices"] >= 15, 30,
             what="half the lossy fleet registered")
    assert node.count_log("on the way (drop)") > 0
    assert node.alive()


def test_observe_health_honours_pmax(gateway, node_factory):
    node = node_factory(gateway, ep="dev-oh", sections={
        "health": {"sample": 60, "pmax": 60}})
    wait_registered(gateway, "dev-oh")
    r = node.coap("get", "health?pmax=1", observe_s=3, wait=3)
    got = [json.loads(p) for code, _, p in r.responses if code == "2.05"]
    assert len(got) >= 3, r.stdout
    assert all("mem_free_kb" in h for h in got)


def test_idle_node_does_not_wake_up(gateway, node_factory):
    node = node_factory(gateway, ep="dev-idle", sections={
        "node": {"lifetime": 3600}})
    wait_registered(gateway, "dev-idle")
    node.wait_log("registered as")
    before = wakeups(node.proc.pid)
    time.sleep(2.0)     # the absence of events needs a span to be seen
    after = wakeups(node.proc.pid)
    assert after == before, "an idle node woke up %d times in 2 s" % (
        after - before)


# -- against coap-client on the node's own port ------------------------

def meminfo_kb(key):
    with open("/proc/meminfo") as fp:
        for line in fp:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def test_reads(gateway, node_factory):
    node = node_factory(gateway, ep="dev-r", sections={
        "device": {"manufacturer": "Acme", "battery": 55}})
    wait_registered(gateway, "dev-r")
    r = node.coap("get", "3/0/0")
    assert (r.code, r.body) == ("2.05", "Acme"), r
    assert "Content-Format:text/plain" in " ".join(r.options) or \
        r.options == [], r
    r = node.coap("get", "3/0/2")
    assert r.body == "dev-r"          # serial defaults to the endpoint
    r = node.coap("get", "3/0/9")
    assert r.body == "55"
    r = node.coap("get", "3/0/10")
    assert r.code == "2.05"
    free_kb = int(r.body)
    real = meminfo_kb("MemAvailable")
    assert abs(free_kb - real) < max(real // 5, 65536), (free_kb, real)
    r = node.coap("get", "3/0/13")
    assert abs(int(r.body) - time.time()) < 5
    # The instance as SenML JSON.
    r = node.coap("get", "3/0")
    assert r.code == "2.05", r
    recs = r.json()
    assert recs[0]["bn"] == "/3/0/"
    values = {x["n"]: x.get("v", x.get("vs")) for x in recs}
    assert values["0"] == "Acme" and values["2"] == "dev-r"
    assert values["9"] == 55 and values["16"] == "U"
    assert set(values) == {"0", "1", "2", "3", "9", "10", "11/0", "13",
                           "14", "15", "16", "17", "19"}
    assert values["11/0"] == 0      # Error Code: no error
    # Content negotiation.
    r = node.coap("get", "3/0/0", accept=110)
    assert r.json() == [{"bn": "/3/0/0", "vs": "Acme"}]
    r = node.coap("get", "3/0", accept=0)
    assert r.code == "4.06", r
    r = node.coap("get", "5/0")
    assert {x["n"]: x.get("v", x.get("vs")) for x in r.json()} == {
        "1": "", "3": 0, "5": 0, "6": "", "7": "", "9": 0}
    # LwM2M Discover: link-format, with what Write-Attributes set.
    r = node.coap("put", "3/0/9?pmin=5&pmax=50")
    assert r.code == "2.04", r
    r = node.coap("get", "3/0", accept=40)
    assert r.code == "2.05", r
    links = r.body.split(",")
    assert links[0] == "</3/0>" and "</3/0/4>" in links
    assert "</3/0/9>;pmin=5;pmax=50" in links
    assert node.coap("get", "3/0/13", accept=40).body == "</3/0/13>"
    assert node.coap("get", "health", accept=40).code == "4.06"
    r = node.coap("get", ".well-known/core")
    for link in ("</3/0>", "</5/0>", "</3/0/13>", "</health>",
                 "</config>", 'rt="outpost.health"'):
        assert link in r.body, r.body


def test_health(gateway, node_factory):
    node = node_factory(gateway, ep="dev-h", sections={
        "health": {"disk_path": "/"}})
    wait_registered(gateway, "dev-h")
    r = node.coap("get", "health")
    assert r.code == "2.05", r
    h = r.json()
    for key in ("cpu_pct", "mem_free_kb", "mem_total_kb", "disk_free_kb",
                "load1", "uptime_s"):
        assert isinstance(h[key], (int, float)), (key, h)
    assert 0 <= h["cpu_pct"] <= 100
    assert h["mem_total_kb"] == meminfo_kb("MemTotal")
    assert 0 < h["mem_free_kb"] <= h["mem_total_kb"]
    st = os.statvfs("/")
    assert abs(h["disk_free_kb"] - st.f_bavail * st.f_frsize // 1024) < \
        1024 * 1024
    with open("/proc/uptime") as fp:
        assert abs(h["uptime_s"] - float(fp.read().split()[0])) < 5
    has_zone = os.path.exists("/sys/class/thermal/thermal_zone0/temp")
    assert ("temp_c" in h) == has_zone
    assert node.coap("get", "health", accept=0).code == "4.06"


def test_observe_current_time(gateway, node_factory):
    node = node_factory(gateway, ep="dev-o")
    wait_registered(gateway, "dev-o")
    r = node.coap("get", "3/0/13", observe_s=3, wait=3)
    got = [int(p) for code, _, p in r.responses if code == "2.05"]
    assert len(got) >= 3, r.stdout       # the answer and notifications
    steps = [b - a for a, b in zip(got, got[1:])]
    assert all(s == 1 for s in steps), got
    # The observer left: the node learns it at the next tick and stops
    # its timer (an idle node makes no wakeups).
    node.wait_log("observe: no observer of /3/0/13 is left")
    # pmin stretches the period.
    r = node.coap("get", "3/0/13?pmin=2", observe_s=4, wait=4)
    got = [int(p) for code, _, p in r.responses if code == "2.05"]
    assert len(got) >= 2 and all(b - a >= 2 for a, b in zip(got, got[1:])), \
        got
    assert node.coap("get", "3/0/13?pmin=abc").code == "4.00"


def test_observe_config_notifies_on_write(gateway, node_factory):
    node = node_factory(gateway, ep="dev-oc")
    wait_registered(gateway, "dev-oc")
    proc = subprocess.Popen(
        ["coap-client-gnutls", "-m", "get", "-v", "6", "-s", "4", "-B", "4",
         "coap://127.0.0.1:%d/config" % node.port],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        node.wait_log("observe: /config observed")
        r = node.coap("put", "config", payload='{"node":{"sleep":42}}',
                      content_format=50)
        assert r.code == "2.04", r
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    bodies = [line for line in out.splitlines() if "c:2.05" in line]
    assert len(bodies) >= 2, out
    assert '"sleep":60' in bodies[0] and '"sleep":42' in bodies[-1], out


def test_config_writes_good_and_bad(gateway_factory, node_factory):
    gw = gateway_factory()
    node = node_factory(gw, ep="dev-c", sections={"node": {"lifetime": 300}})
    wait_registered(gw, "dev-c")
    doc = node.coap("get", "config").json()
    assert doc["node"]["lifetime"] == 300 and doc["node"]["binding"] == "U"
    assert "gateway" not in doc["node"]
    # Good: kept in the file, applied, and the gateway told (lt=120).
    r = node.coap("put", "config", payload='{"node":{"lifetime":120}}',
                  content_format=50)
    assert r.code == "2.04", r
    with open(node.config_json) as fp:
        assert json.load(fp) == {"node": {"lifetime": 120}}
    assert node.coap("get", "config").json()["node"]["lifetime"] == 120
    wait_for(lambda: gw.device("dev-c")["lifetime"] == 120, 5,
             what="the gateway to see lt=120")
    # Bad, of each kind: 4.00 with the reason, nothing changes.
    for body, why in (
            ('{"node":{"lifetime":0}}', "node.lifetime: 0 is below"),
            ('{"node":{"lifetme":5}}', "node.lifetme: unknown key"),
            ('{"node":{"gateway":"coap://1.2.3.4"}}', "cannot be changed"),
            ('{"node":{"lifetime":"5"}}', "expected a number"),
            ('{"node":{"sleep":5,"awake":0}}', "node.awake: 0 is below"),
            ('[]', "expected a JSON object"),
            ('{"node":', "not JSON")):
        r = node.coap("put", "config", payload=body, content_format=50)
        assert r.code == "4.00", (body, r)
        assert why in r.payload, (body, r)
    assert node.coap("get", "config").json()["node"]["sleep"] == 60
    with open(node.config_json) as fp:
        assert json.load(fp) == {"node": {"lifetime": 120}}
    r = node.coap("put", "config", payload="x", content_format=0)
    assert r.code == "4.15", r
    # Kept across a restart.
    assert node.stop() == 0
    node.start()
    wait_registered(gw, "dev-c")
    assert node.coap("get", "config").json()["node"]["lifetime"] == 120
    wait_for(lambda: gw.device("dev-c")["lifetime"] == 120, 5,
             what="lt=120 after the restart")


def test_execute_reboot_runs_the_command(gateway, node_factory, tmp_path):
    flag = tmp_path / "rebooted"
    node = node_factory(gateway, ep="dev-x", sections={
        "device": {"reboot_command": "echo $$ > %s" % flag}})
    wait_registered(gateway, "dev-x")
    r = node.coap("post", "3/0/4")
    assert r.code == "2.04", r
    wait_for(flag.exists, 5, what="the reboot command to run")
    node.wait_log("reboot: command exited with status 0")
    assert node.alive()
    # No factory reset command: refused with the reason.
    r = node.coap("post", "3/0/5")
    assert r.code == "4.05" and "factory_reset_command" in r.payload, r


def test_firmware_object(gateway, node_factory):
    node = node_factory(gateway, ep="dev-f")
    wait_registered(gateway, "dev-f")
    r = node.coap("post", "5/0/2")
    assert r.code == "4.05" and "State is 0 (Idle)" in r.payload, r
    r = node.coap("put", "5/0/1", payload="coap://127.0.0.1/fw/a.bin",
                  content_format=0)
    assert r.code == "2.04", r
    assert node.coap("get", "5/0/3").body == "1"
    assert node.coap("get", "5/0/1").body == "coap://127.0.0.1/fw/a.bin"
    r = node.coap("put", "5/0/1", payload="coap://127.0.0.1/fw/b.bin")
    assert r.code == "4.00" and "cancel" in r.payload, r
    r = node.coap("put", "5/0/1", payload="")
    assert r.code == "2.04", r
    assert node.coap("get", "5/0/3").body == "0"
    r = node.coap("put", "5/0/1", payload="ftp://h/x")
    assert r.code == "2.04"
    assert node.coap("get", "5/0/5").body == "9"


def test_bad_requests(gateway, node_factory):
    node = node_factory(gateway, ep="dev-bad")
    wait_registered(gateway, "dev-bad")
    assert node.coap("get", "3/0/99").code == "4.04"
    assert node.coap("get", "nothing/here").code == "4.04"
    r = node.coap("put", "3/0/0", payload="x")
    assert r.code == "4.05" and "not writable" in r.payload, r
    assert node.coap("post", "3/0/0").code == "4.05"
    assert node.coap("delete", "3/0/0").code == "4.05"
    assert node.coap("post", "health").code == "4.05"
    assert node.coap("put", "health", payload="{}").code == "4.05"
    r = node.coap("get", "3/0/4")
    assert r.code == "4.05" and "execute-only" in r.payload, r
    assert node.coap("get", "3/0/0?foo=1").code == "4.00"
    assert node.coap("get", "3/0/0", accept=50).code == "4.06"
    r = node.coap("put", "5/0/1", payload="x", content_format=50)
    assert r.code == "4.15", r


def test_garbage_datagrams_do_not_hurt(gateway, node_factory):
    node = node_factory(gateway, ep="dev-g")
    wait_registered(gateway, "dev-g")
    rnd = random.Random(7)
    garbage = [b"", b"\x00", b"\xff" * 3, b"\x40\x01", b"\x4f\x01\x00\x01",
               b"\x48\x01\x00\x01abc",              # token shorter than TKL
               coap_message(code=0x01, options=[(11, b"3"), (11, b"0")]) +
               b"\xff",                              # marker, no payload
               coap_message(code=0x01) + b"\xdd\xff\xff",  # bad option
               coap_message(mtype=3, code=0x45),     # RST for nothing
               coap_message(mtype=2, code=0x44),     # ACK for nothing
               coap_message(code=0x1f),              # unknown method
               coap_message(code=0x03, options=[(11, b"config")],
                            payload=b"\xff" * 3000),  # too big, not JSON
               bytes([0x50]) + bytes(1500)]
    garbage += [bytes(rnd.randrange(256) for _ in range(rnd.randrange(64)))
                for _ in range(300)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for g in garbage:
            s.sendto(g, ("127.0.0.1", node.port))
    r = node.coap("get", "3/0/0")
    assert r.code == "2.05", r
    assert node.alive()
    # Still registered and still updating its gateway.
    assert device_or_none(gateway, "dev-g") is not None


# -- the command line ----------------------------------------------------

def run_node(*args, cwd="/tmp"):
    proc = subprocess.run([NODE_BIN] + list(args), capture_output=True,
                          text=True, timeout=10, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def test_command_line(tmp_path):
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "..", "node.ini.example")
    assert run_node("-n", "-c", example)[:2] == (0, "configuration OK\n")
    rc, out, _ = run_node("-V")
    assert rc == 0 and out.startswith("outpost-node ")
    rc, out, _ = run_node("-h")
    assert rc == 0 and "--fleet N" in out
    bad = tmp_path / "bad.ini"
    bad.write_text("[node]\nlifetime = 5\nbinding = X\n")
    rc, _, err = run_node("-n", "-c", str(bad))
    assert rc == 1 and "bad.ini:3: [node] binding" in err, err
    rc, _, err = run_node("-n", "--lifetime", "0", "--ep", "x")
    assert rc == 1 and "--lifetime: 0 is below the minimum 1" in err, err
    rc, _, err = run_node("-n", "--fleet", "3", "--listen", "127.0.0.1:9")
    assert rc == 1 and "fleet" in err, err
    rc, _, err = run_node("--bogus")
    assert rc == 1
    # The command line wins over the file.
    good = tmp_path / "good.ini"
    good.write_text("[node]\nendpoint = from-file\nlifetime = 50\n")
    assert run_node("-n", "-c", str(good), "--lifetime", "60")[0] == 0
