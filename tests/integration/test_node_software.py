"""
LwM2M Software Management (object 9) on a real outpost-node, driven through
a real gateway's HTTP proxy: a package is an archive signed with `outpost
sign` and uploaded as a firmware image (POST /v1/firmware); its URI
coap://HOST:PORT/fw/ID written to /9/0/3 makes the agent fetch and verify
it as it would an image (the same trusted keys) and keep it in [software]
dir, State 3 DELIVERED with Result 3; Install, Activate, Deactivate and
Uninstall (/9/0/4, 10, 11, 6) run the [software] commands, which here
write marker files with the package's environment, and move /9/0 as the
object defines. A package signed by a key the gateway takes but the node
does not ends in Result 53; an install command that fails leaves it
DELIVERED with Result 58. The installed state survives a restart.
"""
import json
import os

from conftest import wait_for
from test_events import SSE, connected
from test_firmware import keygen, make_image, post_manifest, put_image, sign
from test_node import wait_registered
from test_node_objects import notified

TEXT = {"Content-Type": "text/plain"}

# Each command records what it was given, one line per run, in a marker
# file named after it (marks/NAME).
MARK = ('#!/bin/sh\n'
        'echo "$OUTPOST_PKG_NAME $OUTPOST_PKG_VERSION $OUTPOST_PKG_FILE '
        '$OUTPOST_PKG_DIR $OUTPOST_PKG_FOR_UPDATE" >> "%s/$1"\n')


def sw_setup(run_outpost, tmp_path, gateway_factory, node_factory,
          install=None):
    """A gateway that takes packages signed by two keys, and a node with
    [software] that trusts only the first. Returns (gw, node, keys)."""
    key, pub = keygen(run_outpost, tmp_path)
    key2, pub2 = keygen(run_outpost, tmp_path, "other")
    gw = gateway_factory(firmware={"trusted_keys": "%s,%s" % (pub, pub2)})
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "mark.sh"
    script.write_text(MARK % marks)
    cmd = {k: "sh %s %s" % (script, k) for k in ("install", "uninstall",
                                                 "activate", "deactivate")}
    if install is not None:
        cmd["install"] = install
    node = node_factory(gw, ep="sw-1", sections={
        "firmware": {"trusted_keys": pub, "vendor": "acme",
                     "dir": str(tmp_path / "fw")},
        "software": {"dir": str(tmp_path / "pkgs"),
                     "install_cmd": cmd["install"],
                     "uninstall_cmd": cmd["uninstall"],
                     "activate_cmd": cmd["activate"],
                     "deactivate_cmd": cmd["deactivate"]}})
    wait_registered(gw, "sw-1")
    return gw, node, (key, key2)


def upload(run_outpost, tmp_path, gw, key, name, version, seq, size=5000):
    """Signs and uploads an archive; returns (package URI, its bytes)."""
    img, data = make_image(tmp_path, "%s-%s.tar" % (name, version), size)
    fid = post_manifest(gw, sign(run_outpost, key, img, seq, cls=name,
                                 version=version))["id"]
    assert put_image(gw, fid, data)[0] == 201
    return "coap://127.0.0.1:%d/fw/%s" % (gw.coap_port, fid), data


def res(gw, rid):
    status, _, body = gw.http("GET", "/v1/devices/sw-1/r/9/0/%d" % rid)
    assert status == 200, (status, body)
    return body.decode()


def wait_res(gw, want, timeout=20):
    """Waits until the resources {rid: value} all read as want."""
    wait_for(lambda: all(res(gw, r) == v for r, v in want.items()),
             timeout, what="/9/0 reading %r (now %r)" % (
                 want, {r: res(gw, r) for r in want}))


def write_uri(gw, uri):
    status, _, body = gw.http("PUT", "/v1/devices/sw-1/r/9/0/3", body=uri,
                              headers=TEXT)
    assert status in (200, 204), (status, body)


def execute(gw, rid, arg=None, code=None):
    """Executes /9/0/rid; code: the CoAP error the agent must answer
    (the proxy maps it to an HTTP status and names it in device_code)."""
    status, _, body = gw.http(
        "POST", "/v1/devices/sw-1/r/9/0/%d" % rid, body=arg,
        headers=TEXT if arg is not None else None)
    if code is None:
        assert status in (200, 204), (rid, status, body)
    else:
        assert json.loads(body).get("device_code") == code, (rid, status,
                                                             body)


def lines(path):
    return path.read_text().splitlines() if path.exists() else []


def test_install_activate_deactivate_uninstall(run_outpost, tmp_path,
                                               gateway_factory,
                                               node_factory):
    gw, node, (key, _) = sw_setup(run_outpost, tmp_path, gateway_factory,
                               node_factory)
    marks = tmp_path / "marks"
    pkg = tmp_path / "pkgs" / "package.bin"
    assert "/9/0" in [o["path"] for o in
                      gw.get_json("/v1/devices/sw-1")["objects"]]
    wait_res(gw, {7: "0", 9: "0", 12: "0"})
    # Wrong states: 4.05 through the proxy.
    for rid in (4, 6, 10, 11):
        execute(gw, rid, code="4.05")
    # Push is refused with a reason.
    status, _, body = gw.http(
        "PUT", "/v1/devices/sw-1/r/9/0/2", body=b"\x00\x01",
        headers={"Content-Type": "application/octet-stream"})
    assert json.loads(body).get("device_code") == "4.05", (status, body)
    assert b"/9/0/3" in body

    uri, data = upload(run_outpost, tmp_path, gw, key, "collector", "2.1.0",
                       7)
    write_uri(gw, uri)
    wait_res(gw, {7: "3", 9: "3", 0: "collector", 1: "2.1.0"})
    assert pkg.read_bytes() == data
    execute(gw, 10, code="4.05")   # not installed yet

    execute(gw, 4)
    wait_res(gw, {7: "4", 9: "2", 12: "0"})
    assert lines(marks / "install") == [
        "collector 2.1.0 %s %s 0" % (pkg, tmp_path / "pkgs")]
    execute(gw, 4, code="4.05")    # installed already

    execute(gw, 10)
    wait_res(gw, {12: "1"})
    assert len(lines(marks / "activate")) == 1
    execute(gw, 11)
    wait_res(gw, {12: "0", 7: "4", 9: "2"})
    assert len(lines(marks / "deactivate")) == 1
    execute(gw, 10)
    wait_res(gw, {12: "1"})

    # The installed, active package survives a restart of the agent.
    node.stop()
    node.start()
    mark = node.wait_log("software: collector 2.1.0 kept: Update State 4")
    wait_for(lambda: gw.http("GET", "/v1/devices/sw-1/r/9/0/7")[2] == b"4",
             20, what="/9/0 served again")
    wait_res(gw, {7: "4", 9: "2", 12: "1", 0: "collector", 1: "2.1.0"})
    assert mark > 0

    # Uninstall with a bad argument: 4.00; then argument 0.
    execute(gw, 6, arg="2", code="4.00")
    execute(gw, 6, arg="0")
    wait_res(gw, {7: "0", 9: "0", 12: "0", 0: "", 1: ""})
    assert lines(marks / "uninstall") == [
        "collector 2.1.0 %s %s 0" % (pkg, tmp_path / "pkgs")]
    assert not pkg.exists()
    assert len(lines(marks / "install")) == 1


def in_order(seen, want):
    """Whether want's values come in seen in that order (others between:
    values that move within one loop turn are notified once)."""
    it = iter(seen)
    return all(w in it for w in want)


def test_update_then_uninstall_for_update(run_outpost, tmp_path,
                                          gateway_factory, node_factory):
    gw, node, (key, _) = sw_setup(run_outpost, tmp_path, gateway_factory,
                                  node_factory)
    marks = tmp_path / "marks"
    # Observers of the Update State and Result hear each move.
    sse = SSE(gw, "?ep=sw-1&type=notification")
    try:
        connected(gw, 1)
        for rid in (7, 9):
            assert gw.http("POST", "/v1/devices/sw-1/observe/9/0/%d" %
                           rid)[0] == 201
        sse.wait(lambda c: notified(c, "9/0/7") == ["0"] and
                 notified(c, "9/0/9") == ["0"], "the first answers")
        uri, _ = upload(run_outpost, tmp_path, gw, key, "collector", "1.0",
                        1)
        write_uri(gw, uri)
        sse.wait(lambda c: notified(c, "9/0/7")[-1:] == ["3"] and
                 notified(c, "9/0/9")[-1:] == ["3"], "DELIVERED", 20)
        execute(gw, 4)
        sse.wait(lambda c: notified(c, "9/0/7")[-1:] == ["4"] and
                 notified(c, "9/0/9")[-1:] == ["2"], "INSTALLED", 20)
        assert in_order(notified(sse, "9/0/7"), ["0", "3", "4"])
        assert in_order(notified(sse, "9/0/9"), ["0", "3", "2"])
        execute(gw, 6)
        sse.wait(lambda c: notified(c, "9/0/7")[-1:] == ["0"], "INITIAL",
                 20)
    finally:
        sse.close()
    write_uri(gw, uri)
    wait_res(gw, {7: "3", 9: "3"})
    # A package delivered, not installed: Uninstall drops it, no command.
    execute(gw, 6)
    wait_res(gw, {7: "0", 9: "0", 0: ""})
    assert not (tmp_path / "pkgs" / "package.bin").exists()
    assert len(lines(marks / "uninstall")) == 1
    write_uri(gw, uri)
    wait_res(gw, {7: "3"})
    execute(gw, 4)
    wait_res(gw, {7: "4", 9: "2"})
    # Argument 1: prepare for an update; the command is told, the name
    # stays until the new package comes.
    execute(gw, 6, arg="1")
    wait_res(gw, {7: "0", 9: "0", 0: "collector"})
    assert lines(marks / "uninstall")[-1].endswith(" 1")
    uri2, data2 = upload(run_outpost, tmp_path, gw, key, "collector", "1.1",
                         2)
    write_uri(gw, uri2)
    wait_res(gw, {7: "3", 1: "1.1"})
    execute(gw, 4)
    wait_res(gw, {7: "4", 9: "2"})
    assert lines(marks / "install")[-1].startswith("collector 1.1 ")
    assert (tmp_path / "pkgs" / "package.bin").read_bytes() == data2


def test_bad_signature_is_53(run_outpost, tmp_path, gateway_factory,
                             node_factory):
    gw, node, (key, key2) = sw_setup(run_outpost, tmp_path, gateway_factory,
                                  node_factory)
    uri, _ = upload(run_outpost, tmp_path, gw, key2, "intruder", "6.6", 1)
    write_uri(gw, uri)
    wait_res(gw, {7: "0", 9: "53", 0: ""})
    node.wait_log("signed by a key that is not trusted")
    assert not (tmp_path / "pkgs" / "package.bin").exists()
    assert not (tmp_path / "pkgs" / "staging.bin").exists()
    execute(gw, 4, code="4.05")
    # An image the gateway does not have: 56; then a good one is taken.
    write_uri(gw, "coap://127.0.0.1:%d/fw/00000000000000ff" % gw.coap_port)
    wait_res(gw, {7: "0", 9: "56"})
    good, _ = upload(run_outpost, tmp_path, gw, key, "collector", "3.0", 3)
    write_uri(gw, good)
    wait_res(gw, {7: "3", 9: "3", 0: "collector"})
    assert lines(tmp_path / "marks" / "install") == []


def test_failing_install_is_58(run_outpost, tmp_path, gateway_factory,
                               node_factory):
    flag = tmp_path / "fail"
    gw, node, (key, _) = sw_setup(
        run_outpost, tmp_path, gateway_factory, node_factory,
        install='echo run >> %s/install; test ! -e %s' % (
            tmp_path / "marks", flag))
    flag.write_text("")
    uri, _ = upload(run_outpost, tmp_path, gw, key, "collector", "1.0", 1)
    write_uri(gw, uri)
    wait_res(gw, {7: "3", 9: "3"})
    execute(gw, 4)
    wait_res(gw, {7: "3", 9: "58", 12: "0"})
    assert lines(tmp_path / "marks" / "install") == ["run"]
    assert (tmp_path / "pkgs" / "package.bin").exists()
    # The package stayed: once the command succeeds, installed.
    os.unlink(str(flag))
    execute(gw, 4)
    wait_res(gw, {7: "4", 9: "2"})
    assert lines(tmp_path / "marks" / "install") == ["run", "run"]
