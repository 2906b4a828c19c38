"""SIGHUP reloads gateway.ini (a bad file keeps the running configuration);
SIGTERM and SIGINT stop cleanly."""
import os
import signal
import time

import pytest

from conftest import free_port, wait_for


def wait_until(t):
    """Waits until the wall clock reaches t (a negative check needs time to
    pass: nothing happens that could be waited for)."""
    wait_for(lambda: time.time() >= t, timeout=t - time.time() + 1,
             interval=0.05, what="the clock")


def test_good_reload_applies_new_awake_window(gateway_factory):
    gw = gateway_factory(registry={"awake_window": 60})
    gw.register("dozer", b="UQ")
    registered = time.time()
    assert gw.device_state("dozer") == "awake"
    gw.write_ini(sections={"registry": {"awake_window": 1}})
    assert "configuration reloaded" in gw.reload()
    # With the old window of 60 s it would stay awake for a minute.
    gw.wait_state("dozer", "sleeping", timeout=5)
    assert time.time() - registered < 30
    wait_for(lambda: gw.metrics()['outpost_devices{state="sleeping"}'] == 1,
             timeout=5, what="the sleeping gauge after the reload")


def test_bad_reload_keeps_running_configuration(gateway_factory):
    gw = gateway_factory(registry={"awake_window": 60})
    gw.register("insomniac", b="UQ")
    registered = time.time()
    good = gw.ini_text(sections={"registry": {"awake_window": 1}})
    bad = good + "[registry]\nbogus = 1\n"
    bad_line = bad.count("\n")
    gw.write_ini(text=bad)
    line = gw.reload(expect="reload failed")
    assert ("reload failed, keeping the running configuration: "
            "%s:%d: [registry] unknown key 'bogus'" % (gw.ini, bad_line)
            in line), line
    assert "configuration reloaded" not in gw.log()
    assert gw.alive()
    assert gw.get_json("/v1/health")["status"] == "ok"
    # awake_window = 1 in the bad file must not have been applied: well past
    # one second after its last message the device is still awake.
    wait_until(registered + 2.5)
    assert gw.device_state("insomniac") == "awake"
    # The same file without the bad line applies.
    gw.write_ini(text=good)
    gw.reload()
    gw.wait_state("insomniac", "sleeping", timeout=5)


# back: how many lines above the last one the error is reported.
@pytest.mark.parametrize("extra,message,back", [
    ("[registry]\nawake_window = 0\n",
     "[registry] awake_window: 0 is below the minimum 1", 0),
    ("[registry]\nnot a key value line\n", "syntax error", 0),
    ("[nosuch]\nkey = 1\n", "unknown section [nosuch]", 1),
])
def test_bad_reload_names_file_and_line(gateway, extra, message, back):
    gw = gateway
    text = gw.ini_text() + extra
    gw.write_ini(text=text)
    line = gw.reload(expect="reload failed")
    assert "%s:%d: %s" % (gw.ini, text.count("\n") - back, message) in line, \
        line
    assert gw.alive()
    gw.register("still-works")
    assert gw.get_json("/v1/health")["devices"] == 1


def test_reload_of_a_missing_file_keeps_running(gateway):
    os.unlink(gateway.ini)
    line = gateway.reload(expect="reload failed")
    assert "No such file or directory" in line
    assert gateway.get_json("/v1/health")["status"] == "ok"
    gateway.write_ini()
    gateway.reload()


def test_reload_applies_http_max_body(gateway_factory):
    gw = gateway_factory(http={"max_body": 4096})
    body = b"x" * 3000
    assert gw.http("POST", "/v1/health", body=body)[0] == 405
    gw.write_ini(sections={"http": {"max_body": 1024}})
    gw.reload()
    assert gw.http("POST", "/v1/health", body=body)[0] == 413
    assert gw.http("POST", "/v1/health", body=b"x" * 1000)[0] == 405


def test_reload_keeps_listen_addresses_until_restart(gateway):
    gw = gateway
    old_http = gw.http_port
    new_http = free_port()
    text = gw.ini_text().replace("127.0.0.1:%d" % old_http,
                                 "127.0.0.1:%d" % new_http)
    gw.write_ini(text=text)
    mark = gw.log_mark()
    gw.reload()
    assert "[http] listen changes only on restart" in gw.log()[mark:]
    assert gw.get_json("/v1/health")["status"] == "ok"
    gw.register("via-old-ports")


def test_reload_applies_log_level(gateway):
    gw = gateway
    gw.register("quiet")
    assert "device quiet: registered" not in gw.log()
    gw.write_ini(sections={"gateway": {"log_level": "debug"}})
    gw.reload()
    mark = gw.log_mark()
    gw.register("chatty")
    gw.wait_log("device chatty: registered", since=mark)


def test_reload_twice_and_keep_devices(gateway_factory):
    gw = gateway_factory(registry={"awake_window": 30})
    reg_id = gw.register("steady", b="UQ")
    for window in (20, 40):
        gw.write_ini(sections={"registry": {"awake_window": window}})
        gw.reload()
    d = gw.device("steady")
    assert d["registration_id"] == reg_id and d["state"] == "awake"
    assert gw.update(reg_id).code == "2.04"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT],
                         ids=["SIGTERM", "SIGINT"])
def test_stop_signals_exit_cleanly(gateway, sig):
    gateway.register("bystander")
    mark = gateway.log_mark()
    assert gateway.stop(sig) == 0
    tail = gateway.log()[mark:]
    assert "signal %d: stopping" % sig in tail
    assert tail.rstrip().endswith("stopped")


ADMIN = "admin-token-0123456789abcdef"
PUB = "ab" * 32             # a well-formed key; nothing is signed here


def _auth(token):
    return {"Authorization": "Bearer " + token}


def test_empty_file_on_reload_keeps_tokens_and_keys(gateway_factory):
    """An emptied gateway.ini is a valid config of defaults: on a loopback
    listener it would drop every API token and every trusted key. The
    reload is refused whole, as an error, and both stay."""
    gw = gateway_factory(auth={"admin_token": ADMIN},
                         firmware={"trusted_keys": PUB})
    gw.write_ini(text="")
    mark = gw.log_mark()
    gw.reload(expect="reload refused")
    gw.wait_log("[firmware] no_trusted_keys = 1", since=mark)
    gw.wait_log("no API token, and 1 run now; set [auth] open = 1",
                since=mark)
    status, _, _ = gw.http("GET", "/v1/devices")
    assert status == 401
    status, _, _ = gw.http("GET", "/v1/devices", headers=_auth(ADMIN))
    assert status == 200
    # The keys alone: tokens kept in the file, the keys gone.
    gw.write_ini(sections={"auth": {"admin_token": ADMIN}})
    line = gw.reload(expect="reload refused")
    assert "no firmware signing key" in line, line
    assert "[firmware] no_trusted_keys = 1" in line, line


def test_reload_without_tokens_when_the_file_says_so(gateway_factory):
    gw = gateway_factory(auth={"admin_token": ADMIN},
                         firmware={"trusted_keys": PUB})
    gw.write_ini(sections={"auth": {"open": 1},
                           "firmware": {"no_trusted_keys": 1}})
    gw.reload()
    status, _, _ = gw.http("GET", "/v1/devices")
    assert status == 200
