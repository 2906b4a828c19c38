"""
Firmware on the gateway: outpost keygen and sign, the upload of a manifest
and its image in parts (POST /v1/firmware, PUT .../image with
Content-Range), every refusal (422 with nothing stored, 507, 409, 416),
persistence across restarts, and CoAP delivery of /fw/ID block-wise with
coap-client and a raw client that resumes from a middle block.
"""
import json
import os
import socket
import stat
import subprocess

from conftest import (coap_exchange, coap_message, coap_parse,  # noqa: F401
                      wait_for)

COAP_NOTLS = "coap-client-notls"
BLOCK2, SIZE2, ETAG = 23, 28, 4


def keygen(run_outpost, tmp_path, prefix="release"):
    rc, out, err = run_outpost("keygen", str(tmp_path / prefix))
    assert rc == 0, err
    return str(tmp_path / (prefix + ".key")), str(tmp_path / (prefix + ".pub"))


def sign(run_outpost, key, image, seq, vendor="acme", cls="sensor-v2",
         version="1.0", extra=()):
    rc, out, err = run_outpost("sign", "--key", key, "--vendor", vendor,
                               "--class", cls, "--version", version,
                               "--seq", str(seq), *extra, str(image))
    assert rc == 0, err
    with open(str(image) + ".manifest", "rb") as fp:
        return fp.read()


def make_image(tmp_path, name, size):
    data = os.urandom(size)
    path = tmp_path / name
    path.write_bytes(data)
    return path, data


def post_manifest(gw, doc, expect=201):
    status, hdrs, body = gw.http("POST", "/v1/firmware", body=doc)
    assert status == expect, (status, body)
    return json.loads(body)


def put_image(gw, fid, data, part=60000, start=0):
    """PUTs data[start:] in parts; returns the last (status, json)."""
    off = start
    while True:
        chunk = data[off:off + part]
        status, _, body = gw.http(
            "PUT", "/v1/firmware/%s/image" % fid, body=chunk,
            headers={"Content-Range": "bytes %d-%d/%d" % (
                off, off + len(chunk) - 1, len(data))})
        off += len(chunk)
        if status != 202 or off >= len(data):
            return status, json.loads(body)
        assert json.loads(body)["received"] == off


def fw_gateway(gateway_factory, pub, **more):
    sections = {"firmware": {"trusted_keys": pub}}
    sections.update(more)
    return gateway_factory(**sections)


def coap_fetch(gw, fid, out, block=None):
    args = [COAP_NOTLS, "-m", "get", "-o", str(out)]
    if block is not None:
        args += ["-b", block]
    args.append("coap://127.0.0.1:%d/fw/%s" % (gw.coap_port, fid))
    proc = subprocess.run(args, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes() if os.path.exists(str(out)) else b""


def raw_block(sock, gw, fid, num, szx=6, mid=1):
    opts = [(11, b"fw"), (11, fid.encode()),
            (BLOCK2, bytes([num << 4 | szx]) if num < 16 else
             (num << 4 | szx).to_bytes(2 if num < 4096 else 3, "big"))]
    return coap_exchange(sock, coap_message(code=1, mid=mid, options=opts),
                         ("127.0.0.1", gw.coap_port))


def block2(reply):
    for n, v in reply["options"]:
        if n == BLOCK2:
            x = int.from_bytes(v, "big")
            return x >> 4, bool(x & 8), x & 7
    return None


def test_keygen_and_sign(run_outpost, tmp_path):
    key, pub = keygen(run_outpost, tmp_path)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert len(open(pub).read().strip()) == 64
    rc, _, err = run_outpost("keygen", str(tmp_path / "release"))
    assert rc != 0, "keygen overwrote a key"
    img, data = make_image(tmp_path, "fw.bin", 5000)
    doc = json.loads(sign(run_outpost, key, img, 7,
                          extra=("--severity", "critical")))
    assert doc["seq"] == 7 and doc["size"] == 5000
    assert doc["severity"] == "critical"
    assert doc["key"] == open(pub).read().strip()
    assert doc["uri"].startswith("/fw/") and len(doc["uri"]) == 20
    assert len(doc["signature"]) == 128
    rc, _, err = run_outpost("sign", "--key", key, "--vendor", "a",
                             "--class", "b", "--version", "1", "--seq", "0",
                             str(img))
    assert rc != 0 and "--seq" in err


def test_upload_and_serve(run_outpost, tmp_path, gateway_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub)
    img, data = make_image(tmp_path, "fw.bin", 150000)
    doc = sign(run_outpost, key, img, 1)
    info = post_manifest(gw, doc)
    fid = info["id"]
    assert info["state"] == "uploading" and info["received"] == 0
    assert info["uri"] == "/fw/" + fid
    # Not served, nor announced, before it is complete.
    assert gw.coap("get", "fw/" + fid).code == "4.04"
    status, _, body = gw.http("POST", "/v1/firmware/%s/announce" % fid)
    assert status == 409 and json.loads(body)["error"] == "incomplete"
    status, body = put_image(gw, fid, data)
    assert status == 201, body
    assert body["state"] == "complete" and body["received"] == len(data)
    listing = gw.get_json("/v1/firmware")
    assert [i["id"] for i in listing["images"]] == [fid]
    assert listing["bytes"] == len(data)
    # The whole image through coap-client, block-wise.
    assert coap_fetch(gw, fid, tmp_path / "out.bin") == data
    # One block from the middle, as a resuming node asks for it.
    assert coap_fetch(gw, fid, tmp_path / "b7.bin", "7,1024") == \
        data[7 * 1024:8 * 1024]
    assert coap_fetch(gw, fid, tmp_path / "b9.bin", "9,256") == \
        data[9 * 256:10 * 256]
    # The manifest, byte for byte as uploaded.
    res = subprocess.run([COAP_NOTLS, "-m", "get", "coap://127.0.0.1:%d/fw/"
                          "%s/manifest" % (gw.coap_port, fid)],
                         capture_output=True, timeout=30)
    assert res.stdout.rstrip(b"\n") == doc.rstrip(b"\n")


def test_resume_from_middle_block(run_outpost, tmp_path, gateway_factory):
    """A raw client starts at block 60 of a 100 KB image, as a node that
    stopped there would: ETag and Size2 on every block, the more flag
    right, the bytes right; past the end is 4.02."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub, firmware={"trusted_keys": pub,
                                                    "block_size": 512})
    img, data = make_image(tmp_path, "fw.bin", 100000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 3))["id"]
    assert put_image(gw, fid, data, part=30000)[0] == 201
    digest = bytes.fromhex(json.loads(img.with_suffix(
        ".bin.manifest").read_text())["sha256"])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    got = bytearray(data[:60 * 512])
    num, mid = 60, 100
    while True:
        r = raw_block(sock, gw, fid, num, szx=5, mid=mid)
        assert r["code"] == "2.05"
        n, more, szx = block2(r)
        assert (n, szx) == (num, 5)
        opts = dict(r["options"])
        assert opts[ETAG] == digest[:8]
        assert int.from_bytes(opts[SIZE2], "big") == len(data)
        got += r["payload"]
        num, mid = num + 1, mid + 1
        if not more:
            break
    assert bytes(got) == data
    # A client asking for 1024-byte blocks gets 512 (RFC 7959 2.4) at the
    # same offset.
    r = raw_block(sock, gw, fid, 3, szx=6, mid=mid)
    n, more, szx = block2(r)
    assert (n, szx, more) == (6, 5, True)
    assert r["payload"] == data[3072:3584]
    r = raw_block(sock, gw, fid, 196, szx=5, mid=mid + 1)
    assert r["code"] == "4.02"
    sock.close()


def test_refusals_store_nothing(run_outpost, tmp_path, gateway_factory):
    key, pub = keygen(run_outpost, tmp_path)
    other, _ = keygen(run_outpost, tmp_path, "other")
    gw = fw_gateway(gateway_factory, pub)
    img, data = make_image(tmp_path, "fw.bin", 20000)
    good = json.loads(sign(run_outpost, key, img, 5))

    tampered = dict(good, seq=6)
    r = post_manifest(gw, json.dumps(tampered), expect=422)
    assert r["error"] == "bad_signature"
    r = post_manifest(gw, sign(run_outpost, other, img, 5), expect=422)
    assert r["error"] == "unknown_key"
    for bad in (b"", b"{", b"[]", json.dumps(dict(good, size=-1)).encode(),
                json.dumps(dict(good, extra=1)).encode(),
                json.dumps(dict(good, size=1e30)).encode()):
        r = post_manifest(gw, bad, expect=422)
        assert r["error"] == "bad_manifest", bad
    assert gw.get_json("/v1/firmware")["images"] == []

    fid = post_manifest(gw, json.dumps(good))["id"]
    post_manifest(gw, json.dumps(good), expect=409)
    # A sequence not above the newest of the class.
    r = post_manifest(gw, sign(run_outpost, key, img, 4), expect=422)
    assert r["error"] == "old_sequence" and fid in r["detail"]
    r = post_manifest(gw, sign(run_outpost, key, img, 5, version="x"),
                      expect=409)
    # Another class has its own sequence.
    other_cls = post_manifest(gw, sign(run_outpost, key, img, 1,
                                       cls="valve"))["id"]
    status, _, _ = gw.http("DELETE", "/v1/firmware/" + other_cls)
    assert status == 204

    # Parts: out of order, past the size, wrong total, bad header.
    def put(body, cr):
        status, _, b = gw.http("PUT", "/v1/firmware/%s/image" % fid,
                               body=body, headers={"Content-Range": cr})
        return status, json.loads(b)
    assert put(data[100:200], "bytes 100-199/20000")[0] == 416
    assert put(data[:100], "bytes 0-99/20001")[1]["error"] == \
        "size_mismatch"
    assert put(data[:100], "bytes 0-100/20000")[0] == 400
    assert put(data[:100], "bytes 0-99")[0] == 400
    assert put(data[:100], "bytes 99-0/20000")[0] == 400
    assert gw.get_json("/v1/firmware/" + fid)["received"] == 0

    # The wrong bytes: 422 at the end and the image is gone.
    wrong = bytearray(data)
    wrong[12345] ^= 1
    status, body = put_image(gw, fid, bytes(wrong), part=8000)
    assert status == 422 and body["error"] == "digest_mismatch"
    gw.get_json("/v1/firmware/" + fid, expect=404)
    assert gw.get_json("/v1/firmware")["images"] == []
    gw.restart()
    assert gw.get_json("/v1/firmware")["images"] == []
    # And the same manifest may come again with the right bytes.
    fid = post_manifest(gw, json.dumps(good))["id"]
    assert put_image(gw, fid, data)[0] == 201


def test_store_cap(run_outpost, tmp_path, gateway_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub, firmware={"trusted_keys": pub,
                                                    "max_store_mb": 1})
    big, _ = make_image(tmp_path, "big.bin", 1100000)
    r = post_manifest(gw, sign(run_outpost, key, big, 1), expect=507)
    assert r["error"] == "store_full"
    a, _ = make_image(tmp_path, "a.bin", 700000)
    post_manifest(gw, sign(run_outpost, key, a, 2))
    b, _ = make_image(tmp_path, "b.bin", 400000)
    post_manifest(gw, sign(run_outpost, key, b, 3), expect=507)
    c, _ = make_image(tmp_path, "c.bin", 300000)
    post_manifest(gw, sign(run_outpost, key, c, 3))


def test_persistence_and_resumed_upload(run_outpost, tmp_path,
                                        gateway_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub)
    img, data = make_image(tmp_path, "fw.bin", 90000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 9))["id"]
    # Two parts, the second ending mid-chunk, then a kill -9.
    status, _, _ = gw.http("PUT", "/v1/firmware/%s/image" % fid,
                           body=data[:20000],
                           headers={"Content-Range": "bytes 0-19999/90000"})
    assert status == 202
    status, _, _ = gw.http("PUT", "/v1/firmware/%s/image" % fid,
                           body=data[20000:30001], headers={
                               "Content-Range": "bytes 20000-30000/90000"})
    assert status == 202
    gw.kill9()
    gw.start()
    info = gw.get_json("/v1/firmware/" + fid)
    assert info["received"] == 30001 and info["state"] == "uploading"
    status, body = put_image(gw, fid, data, part=25000, start=30001)
    assert status == 201, body
    gw.restart()
    assert gw.get_json("/v1/firmware/" + fid)["state"] == "complete"
    assert coap_fetch(gw, fid, tmp_path / "out.bin") == data
    # Delete: gone from the API and from CoAP, and stays gone.
    status, _, _ = gw.http("DELETE", "/v1/firmware/" + fid)
    assert status == 204
    assert gw.coap("get", "fw/" + fid).code == "4.04"
    gw.restart()
    gw.get_json("/v1/firmware/" + fid, expect=404)


def test_single_put_and_reload_keys(run_outpost, tmp_path, gateway_factory):
    key, pub = keygen(run_outpost, tmp_path)
    key2, pub2 = keygen(run_outpost, tmp_path, "second")
    gw = fw_gateway(gateway_factory, pub)
    img, data = make_image(tmp_path, "fw.bin", 3000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 1))["id"]
    status, _, body = gw.http("PUT", "/v1/firmware/%s/image" % fid,
                              body=data)
    assert status == 201, body
    status, _, body = gw.http("PUT", "/v1/firmware/%s/image" % fid,
                              body=data)
    assert status == 409
    # A key added on SIGHUP is trusted from then on.
    doc2 = sign(run_outpost, key2, img, 2)
    assert post_manifest(gw, doc2, expect=422)["error"] == "unknown_key"
    gw.write_ini({"firmware": {"trusted_keys": "%s, %s" % (pub, pub2)}})
    gw.reload()
    post_manifest(gw, doc2)


def test_key_taken_out_of_trusted_keys(run_outpost, tmp_path,
                                       gateway_factory):
    """An operator takes a compromised key out of trusted_keys: its images
    stop being served, announced and rolled out, a running campaign of
    one pauses, an upload signed by it stops; at start too. Put back, all
    of it works again."""
    key, pub = keygen(run_outpost, tmp_path)
    key2, pub2 = keygen(run_outpost, tmp_path, "second")
    both = {"trusted_keys": "%s, %s" % (pub, pub2)}
    gw = fw_gateway(gateway_factory, pub, firmware=both)
    img, data = make_image(tmp_path, "fw.bin", 3000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 1))["id"]
    assert put_image(gw, fid, data)[0] == 201
    part = post_manifest(gw, sign(run_outpost, key, img, 2))["id"]
    assert gw.http("PUT", "/v1/firmware/%s/image" % part, body=data[:1000],
                   headers={"Content-Range": "bytes 0-999/3000"})[0] == 202
    assert gw.coap("get", "fw/%s/manifest" % fid).code == "2.05"
    status, _, body = gw.http("POST", "/v1/campaigns", body=json.dumps(
        {"image": fid, "target": {"eps": ["away"]}}))
    assert status == 201, body
    cid = json.loads(body)["id"]

    gw.write_ini({"firmware": {"trusted_keys": pub2}})
    gw.reload()
    assert gw.get_json("/v1/firmware/%s" % fid)["trusted"] is False
    assert gw.coap("get", "fw/%s" % fid).code == "4.04"
    assert gw.coap("get", "fw/%s/manifest" % fid).code == "4.04"
    status, _, body = gw.http("POST", "/v1/firmware/%s/announce" % fid)
    assert status == 409 and b"untrusted" in body
    status, _, body = gw.http("POST", "/v1/campaigns", body=json.dumps(
        {"image": fid, "target": {"eps": ["other"]}}))
    assert status == 422 and b"no longer" in body
    c = gw.get_json("/v1/campaigns/%d" % cid)
    assert c["status"] == "paused" and "no longer trusted" in c["reason"]
    assert gw.http("POST", "/v1/campaigns/%d/resume" % cid)[0] == 409
    status, _, body = gw.http(
        "PUT", "/v1/firmware/%s/image" % part, body=data[1000:],
        headers={"Content-Range": "bytes 1000-2999/3000"})
    assert status == 422 and b"no longer" in body
    # Checked at start as well.
    gw.restart()
    assert gw.get_json("/v1/firmware/%s" % fid)["trusted"] is False
    assert gw.coap("get", "fw/%s" % fid).code == "4.04"
    assert "not served until its key is trusted again" in gw.log()

    gw.write_ini({"firmware": both})
    gw.reload()
    assert gw.get_json("/v1/firmware/%s" % fid)["trusted"] is True
    assert gw.coap("get", "fw/%s/manifest" % fid).code == "2.05"
    assert gw.http("POST", "/v1/campaigns/%d/resume" % cid)[0] == 200


def lwm2m_value(gw, ep, path):
    status, _, body = gw.http("GET", "/v1/devices/%s/r/%s" % (ep, path))
    return body.decode() if status == 200 else None


def test_lwm2m_pull_path(run_outpost, tmp_path, gateway_factory,
                         node_factory):
    """The path of a standard LwM2M client, through the proxy: write the
    image URI to /5/0/1, watch State reach Downloaded, execute /5/0/2, read
    Update Result. The agent verifies the manifest it fetches next to the
    image; an image of another class ends with result 6."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub)
    img, data = make_image(tmp_path, "fw.bin", 40000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 4))["id"]
    assert put_image(gw, fid, data)[0] == 201
    other, _ = make_image(tmp_path, "valve.bin", 3000)
    vid = post_manifest(gw, sign(run_outpost, key, other, 1,
                                 cls="valve"))["id"]
    assert put_image(gw, vid, other.read_bytes())[0] == 201
    applied = tmp_path / "applied.bin"
    node = node_factory(gw, ep="fw-1", sections={"firmware": {
        "vendor": "acme", "class": "sensor-v2", "trusted_keys": pub,
        "dir": str(tmp_path / "nodefw"),
        "apply_command": "cp \"$OUTPOST_FW_IMAGE\" %s" % applied}})
    wait_for(lambda: gw.http("GET", "/v1/devices/fw-1")[0] == 200, 10,
             what="fw-1 registered")
    uri = "coap://127.0.0.1:%d/fw/" % gw.coap_port

    status, _, body = gw.http("PUT", "/v1/devices/fw-1/r/5/0/1",
                              body=uri + vid,
                              headers={"Content-Type": "text/plain"})
    assert status in (200, 204), body
    wait_for(lambda: lwm2m_value(gw, "fw-1", "5/0/5") == "6", 10,
             what="Update Result 6 for another class")
    assert lwm2m_value(gw, "fw-1", "5/0/3") == "0"

    status, _, body = gw.http("PUT", "/v1/devices/fw-1/r/5/0/1",
                              body=uri + fid,
                              headers={"Content-Type": "text/plain"})
    assert status in (200, 204), body
    wait_for(lambda: lwm2m_value(gw, "fw-1", "5/0/3") == "2", 20,
             what="State Downloaded")
    assert not applied.exists()
    status, _, body = gw.http("POST", "/v1/devices/fw-1/r/5/0/2")
    assert status in (200, 204), body
    wait_for(lambda: lwm2m_value(gw, "fw-1", "5/0/5") == "1", 20,
             what="Update Result 1")
    assert lwm2m_value(gw, "fw-1", "5/0/3") == "0"
    assert applied.read_bytes() == data
    assert (tmp_path / "nodefw" / "installed").read_text().strip() == "4"
    node.wait_log("installed acme/sensor-v2 1.0 seq 4")


def test_ab_apply_confirm_and_revert(run_outpost, tmp_path, gateway_factory,
                                     node_factory):
    """An A/B install: apply_command writes the other slot, the agent
    reboots ([device] reboot_command ends it; the test starts it again, as
    an init system would), and success is reported only after the health
    check passes in the new run. A failing health check runs
    revert_command and reports Update Result 8; the sequence number stays."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub)
    img, data = make_image(tmp_path, "fw.bin", 9000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 6))["id"]
    assert put_image(gw, fid, data)[0] == 201
    img2, data2 = make_image(tmp_path, "fw2.bin", 7000)
    fid2 = post_manifest(gw, sign(run_outpost, key, img2, 7))["id"]
    assert put_image(gw, fid2, data2)[0] == 201
    slot, active = tmp_path / "slotB", tmp_path / "active"
    active.write_text("A\n")
    fwdir = tmp_path / "nodefw"
    (tmp_path / "apply.sh").write_text(
        'cp "$OUTPOST_FW_IMAGE" %s && echo B > %s\n' % (slot, active))
    (tmp_path / "health.sh").write_text(
        "grep -q B %s && test ! -e %s\n" % (active, tmp_path / "unhealthy"))
    (tmp_path / "revert.sh").write_text("echo A > %s\n" % active)
    node = node_factory(gw, ep="ab-1", sections={
        "device": {"reboot_command": "kill $PPID"},
        "firmware": {
            "vendor": "acme", "class": "sensor-v2", "trusted_keys": pub,
            "dir": str(fwdir), "reboot": 1,
            "apply_command": "sh %s" % (tmp_path / "apply.sh"),
            "health_command": "sh %s" % (tmp_path / "health.sh"),
            "revert_command": "sh %s" % (tmp_path / "revert.sh")}})
    wait_for(lambda: gw.http("GET", "/v1/devices/ab-1")[0] == 200, 10,
             what="ab-1 registered")
    uri = "coap://127.0.0.1:%d/fw/" % gw.coap_port
    assert gw.http("PUT", "/v1/devices/ab-1/r/5/0/1", body=uri + fid,
                   headers={"Content-Type": "text/plain"})[0] in (200, 204)
    wait_for(lambda: lwm2m_value(gw, "ab-1", "5/0/3") == "2", 20,
             what="State Downloaded")
    assert gw.http("POST", "/v1/devices/ab-1/r/5/0/2")[0] in (200, 204)
    # The agent reboots: it ends, pending but not yet confirmed.
    node.proc.wait(20)
    node.returncode = node.proc.returncode
    assert (fwdir / "pending.json").exists()
    assert not (fwdir / "installed").exists()
    mark = len(node.log())
    node.start()
    node.wait_log("installed acme/sensor-v2 1.0 seq 6", since=mark)
    assert "started after applying seq 6" in node.log()[mark:]
    wait_for(lambda: lwm2m_value(gw, "ab-1", "5/0/5") == "1", 20,
             what="Update Result 1 after the reboot")
    assert active.read_text().strip() == "B"
    assert slot.read_bytes() == data
    assert (fwdir / "installed").read_text().strip() == "6"

    # The next image fails its health check: reverted, result 8.
    (tmp_path / "unhealthy").write_text("")
    assert gw.http("PUT", "/v1/devices/ab-1/r/5/0/1", body="",
                   headers={"Content-Type": "text/plain"})[0] in (200, 204)
    assert gw.http("PUT", "/v1/devices/ab-1/r/5/0/1", body=uri + fid2,
                   headers={"Content-Type": "text/plain"})[0] in (200, 204)
    wait_for(lambda: lwm2m_value(gw, "ab-1", "5/0/3") == "2", 20,
             what="State Downloaded")
    assert gw.http("POST", "/v1/devices/ab-1/r/5/0/2")[0] in (200, 204)
    node.proc.wait(20)
    node.returncode = node.proc.returncode
    mark = len(node.log())
    node.start()
    node.wait_log("health check of seq 7 failed", since=mark)
    wait_for(lambda: lwm2m_value(gw, "ab-1", "5/0/5") == "8", 20,
             what="Update Result 8")
    assert lwm2m_value(gw, "ab-1", "5/0/3") == "2"
    assert active.read_text().strip() == "A"
    assert (fwdir / "installed").read_text().strip() == "6"


class LossyProxy:
    """A UDP relay between agents and the gateway that loses `loss` of the
    datagrams each way (a seeded random, so a run can be repeated): what
    tc netem does, for kernels without sch_netem. One upstream socket per
    client address, so the gateway sees each client as its own peer.
    drop(up, data), if given, loses the datagrams it returns True for (up:
    from a client to the gateway), and sends bytes it returns instead."""

    def __init__(self, upstream, loss, seed=7, drop=None):
        import random
        import select
        import threading
        self.select = select
        self.rand = random.Random(seed)
        self.upstream = upstream
        self.loss = loss
        self.drop = drop
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.peers = {}         # client addr -> upstream socket
        self.back = {}          # upstream socket -> client addr
        self.dropped = self.passed = 0
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def keep(self, up, data):
        """The datagram to pass on, None to lose it."""
        verdict = self.drop(up, data) if self.drop is not None else False
        if verdict is True or self.rand.random() < self.loss:
            self.dropped += 1
            return None
        self.passed += 1
        return verdict or data

    def run(self):
        while self.running:
            socks = [self.sock] + list(self.back)
            ready, _, _ = self.select.select(socks, [], [], 0.1)
            for s in ready:
                data, addr = s.recvfrom(65536)
                if s is self.sock:
                    up = self.peers.get(addr)
                    if up is None:
                        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        up.bind(("127.0.0.1", 0))
                        self.peers[addr] = up
                        self.back[up] = addr
                    data = self.keep(True, data)
                    if data is not None:
                        up.sendto(data, self.upstream)
                elif (data := self.keep(False, data)) is not None:
                    self.sock.sendto(data, self.back[s])

    def close(self):
        self.running = False
        self.thread.join()
        for s in [self.sock] + list(self.back):
            s.close()


def test_pull_over_a_lossy_link(run_outpost, tmp_path, gateway_factory,
                                node_factory):
    """10% of the datagrams lost each way between agent and gateway: the
    download still completes, block by block, with the right bytes."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub)
    img, data = make_image(tmp_path, "fw.bin", 16000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 2))["id"]
    assert put_image(gw, fid, data)[0] == 201
    proxy = LossyProxy(("127.0.0.1", gw.coap_port), 0.10)
    try:
        applied = tmp_path / "applied.bin"
        node = node_factory(gw, ep="lossy-1", listen=False, sections={
            "node": {"gateway": "coap://127.0.0.1:%d" % proxy.port},
            "firmware": {
                "vendor": "acme", "class": "sensor-v2", "trusted_keys": pub,
                "dir": str(tmp_path / "nodefw"),
                "apply_command": "cp \"$OUTPOST_FW_IMAGE\" %s" % applied}})
        wait_for(lambda: gw.http("GET", "/v1/devices/lossy-1")[0] == 200,
                 60, what="lossy-1 registered")
        uri = "coap://127.0.0.1:%d/fw/%s" % (proxy.port, fid)
        # The proxied write itself may be lost and retried by the gateway.
        status, _, body = gw.http("PUT", "/v1/devices/lossy-1/r/5/0/1",
                                  body=uri, timeout=120,
                                  headers={"Content-Type": "text/plain"})
        assert status in (200, 204), body
        wait_for(lambda: "downloaded, digest verified" in node.log(), 180,
                 what="the download over the lossy link")
        assert proxy.dropped > 0
        # A lost acknowledgement makes the gateway send the execute again:
        # the agent answers the retransmission as it did the first and
        # runs nothing twice.
        status, _, body = gw.http("POST", "/v1/devices/lossy-1/r/5/0/2",
                                  timeout=120)
        assert status in (200, 204), body
        node.wait_log("installed acme/sensor-v2 1.0 seq 2", timeout=60)
        assert node.log().count("installed acme/sensor-v2") == 1
        assert applied.read_bytes() == data
        wait_for(lambda: lwm2m_value(gw, "lossy-1", "5/0/5") == "1", 120,
                 what="Update Result 1 read over the lossy link")
    finally:
        proxy.close()


def test_repeated_execute_runs_once(gateway, node_factory, tmp_path):
    """A retransmitted confirmable execute (same message id) is answered
    as the first was and does not run its command again (libcoap 4.3.1
    does not deduplicate requests; the agent does for executes)."""
    marker = tmp_path / "ran"
    node = node_factory(gateway, ep="dup-1", sections={"device": {
        "reboot_command": "echo x >> %s" % marker}})
    wait_for(lambda: gateway.http("GET", "/v1/devices/dup-1")[0] == 200,
             10, what="dup-1 registered")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    addr = ("127.0.0.1", node.port)
    path = [(11, b"3"), (11, b"0"), (11, b"4")]
    msg = coap_message(mtype=0, code=2, mid=0x4242, token=b"\x07",
                       options=path)
    assert coap_exchange(sock, msg, addr)["code"] == "2.04"
    node.wait_log("reboot: command exited")
    # The same message again, after the command has finished.
    assert coap_exchange(sock, msg, addr)["code"] == "2.04"
    # A new execute runs; its end shows the repeat started nothing.
    mark = len(node.log())
    other = coap_message(mtype=0, code=2, mid=0x4243, token=b"\x08",
                         options=path)
    assert coap_exchange(sock, other, addr)["code"] == "2.04"
    node.wait_log("reboot: command exited", since=mark)
    sock.close()
    assert node.log().count("reboot: running") == 2
    assert "already running" not in node.log()
    assert marker.read_text().count("x") == 2


def test_images_come_in_pages(run_outpost, tmp_path, gateway_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub)
    ids = []
    for i in range(3):
        img, _ = make_image(tmp_path, "p%d.bin" % i, 1000 + i)
        ids.append(post_manifest(gw, sign(run_outpost, key, img, i + 1))["id"])
    first = gw.get_json("/v1/firmware?limit=2")
    assert len(first["images"]) == 2 and first["next"] is not None
    rest = gw.get_json("/v1/firmware?limit=2&after=" + first["next"])
    assert rest["next"] is None
    assert sorted(i["id"] for i in first["images"] + rest["images"]) == \
        sorted(ids)
    assert [i["id"] for i in first["images"] + rest["images"]] == sorted(ids)
    assert gw.http("GET", "/v1/firmware?limit=1001")[0] == 400
