"""Registrations live in LMDB under [store] path: they survive a clean
restart and a kill -9 right after the device was answered."""
import subprocess

from conftest import COAP_CLIENT, WAKAAMA_LINKS, WAKAAMA_OBJECTS

KEPT = ("ep", "registration_id", "binding", "queue_mode", "lifetime",
        "lwm2m", "registered_at", "updated_at", "address", "objects",
        "root_path")


def snapshot(gw, ep):
    d = gw.device(ep)
    return {k: d[k] for k in KEPT}


def test_clean_restart_keeps_registrations(gateway):
    gw = gateway
    waka = gw.register("waka", lt=600, links=WAKAAMA_LINKS)
    queued = gw.register("queued", lt=900, b="UQ", links="</3/0>")
    gone = gw.register("gone")
    gw.register("decommissioned")
    assert gw.deregister(gone).code == "2.02"
    assert gw.http("DELETE", "/v1/devices/decommissioned")[0] == 204
    before = {ep: snapshot(gw, ep) for ep in ("waka", "queued")}

    mark = gw.log_mark()
    assert gw.stop() == 0
    assert "stopped" in gw.log()[mark:]
    gw.start()
    assert "registry: 2 devices loaded" in gw.log()[mark:]

    after = {ep: snapshot(gw, ep) for ep in ("waka", "queued")}
    assert after == before
    assert after["waka"]["objects"] == WAKAAMA_OBJECTS
    assert after["waka"]["registration_id"] == waka
    assert after["queued"]["registration_id"] == queued
    assert [d["ep"] for d in gw.devices()["devices"]] == ["queued", "waka"]
    assert gw.http("GET", "/v1/devices/gone")[0] == 404
    assert gw.http("GET", "/v1/devices/decommissioned")[0] == 404
    assert gw.get_json("/v1/health")["devices"] == 2
    # The registrations still work after the restart.
    assert gw.update(waka, "lt=700").code == "2.04"
    assert gw.device("waka")["lifetime"] == 700
    assert gw.deregister(queued).code == "2.02"
    assert gw.update(gone).code == "4.04"


def test_restart_keeps_updates_and_replacements(gateway):
    gw = gateway
    old = gw.register("moved", lt=300, links="</1/0>")
    new = gw.register("moved", lt=400, links="</1/0>,</5/0>")
    assert gw.update(new, "lt=500&b=UQ", links="</5/0>").code == "2.04"
    before = snapshot(gw, "moved")
    gw.restart()
    assert snapshot(gw, "moved") == before
    d = gw.device("moved")
    assert d["registration_id"] == new and d["lifetime"] == 500
    assert d["queue_mode"] is True and d["objects"] == [{"path": "/5/0"}]
    assert gw.update(old).code == "4.04"
    # An update without a body keeps the objects, on disk too.
    assert gw.update(new, "lt=450").code == "2.04"
    gw.kill9()
    gw.start()
    d = gw.device("moved")
    assert d["lifetime"] == 450 and d["objects"] == [{"path": "/5/0"}]
    assert d["registration_id"] == new


def test_kill9_right_after_register_loses_nothing(gateway):
    gw = gateway
    reg_id = gw.register("survivor", lt=600, links=WAKAAMA_LINKS)
    gw.kill9()
    gw.start()
    d = gw.device("survivor")
    assert d["registration_id"] == reg_id
    assert d["objects"] == WAKAAMA_OBJECTS
    assert d["lifetime"] == 600
    assert gw.update(reg_id).code == "2.04"


def test_kill9_after_a_burst_of_registrations(gateway):
    """Many devices answered in one go are all on disk when the last
    answer is out, whatever batch each one was committed in."""
    gw = gateway
    n = 24
    procs = []
    for i in range(n):
        url = "coap://127.0.0.1:%d/rd?ep=burst-%02d&lt=600&b=U" % (
            gw.coap_port, i)
        procs.append(subprocess.Popen(
            [COAP_CLIENT, "-m", "post", "-t", "40", "-e", "</3/0>", "-v",
             "6", "-B", "5", url], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True))
    ids = {}
    try:
        for i, p in enumerate(procs):
            out, err = p.communicate(timeout=10)
            line = [x for x in out.splitlines() if "c:2.01" in x]
            assert line, (out, err)
            ids["burst-%02d" % i] = line[-1].split(
                "Location-Path:")[-1].strip(" ]")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    gw.kill9()
    gw.start()
    listed = {d["ep"]: d["registration_id"]
              for d in gw.devices("?limit=1000")["devices"]}
    assert listed == ids


def test_kill9_right_after_update_and_deregister(gateway):
    gw = gateway
    upd = gw.register("updated", lt=300, links="</1/0>")
    dereg = gw.register("deregistered")
    assert gw.update(upd, "lt=4000", links="</9/0>").code == "2.04"
    assert gw.deregister(dereg).code == "2.02"
    gw.kill9()
    gw.start()
    d = gw.device("updated")
    assert d["lifetime"] == 4000 and d["objects"] == [{"path": "/9/0"}]
    assert gw.http("GET", "/v1/devices/deregistered")[0] == 404
    assert gw.update(dereg).code == "4.04"


def test_kill9_right_after_decommission(gateway):
    gw = gateway
    reg_id = gw.register("retired")
    gw.register("kept")
    assert gw.http("DELETE", "/v1/devices/retired")[0] == 204
    gw.kill9()
    gw.start()
    assert gw.http("GET", "/v1/devices/retired")[0] == 404
    assert gw.update(reg_id).code == "4.04"
    assert [d["ep"] for d in gw.devices()["devices"]] == ["kept"]


def test_expired_registration_is_still_expired_after_restart(
        gateway_factory):
    gw = gateway_factory(registry={"min_lifetime": 1, "awake_window": 1})
    reg_id = gw.register("lapsed", lt=1)
    gw.register("sleeper", lt=600, b="UQ")
    gw.wait_state("lapsed", "expired")
    gw.wait_state("sleeper", "sleeping")
    gw.restart()
    assert gw.device_state("lapsed") == "expired"
    assert gw.device("lapsed")["registration_id"] == reg_id
    assert gw.device_state("sleeper") == "sleeping"
    assert gw.update(reg_id).code == "4.04"
    m = gw.metrics()
    assert m['outpost_devices{state="expired"}'] == 1
    assert m['outpost_devices{state="sleeping"}'] == 1


def test_restart_with_another_store_path_starts_empty(gateway):
    gw = gateway
    gw.register("somewhere")
    gw.stop()
    original = gw.store
    gw.store = original + "-other"
    gw.write_ini()
    gw.start()
    assert gw.devices()["devices"] == []
    gw.stop()
    gw.store = original
    gw.write_ini()
    gw.start()
    assert gw.device("somewhere")["ep"] == "somewhere"
