"""
Firmware on fleet devices (outpost-node --fleet): each virtual device has
its own /5/0 and pulls an image when its /5/0/1 is written through the
gateway's proxy; it hashes the blocks as they come and keeps none. State
2 when the digest is the manifest's, State 0 with Update Result 1 after
an execute of /5/0/2; Update Result 5 for a manifest signed with a key the
fleet does not trust, for an image that does not hash to its manifest and
for one whose ETag changes during the download; an image on another CoAP
server, with ETags of its own or none, is fetched; a lossy fleet ([fleet]
drop) still gets there.
"""
import json
import socket
import threading

from conftest import coap_datagrams, coap_message, wait_for
from test_firmware import (fw_gateway, keygen, lwm2m_value, make_image,
                           post_manifest, put_image, sign)

BLOCK2, ETAG = 23, 4


def fleet(node_factory, gw, n, prefix, args=(), **firmware):
    """A started fleet of n devices registered with gw."""
    sections = {"firmware": firmware} if firmware else None
    node = node_factory(gw, ep="unused", listen=False, sections=sections,
                        args=["--fleet", str(n), "--prefix", prefix,
                              "--spread", "0", *args])
    wait_for(lambda: gw.get_json("/v1/health")["devices"] >= n, 20,
             what="%d fleet devices registered" % n)
    return node


def write_uri(gw, ep, uri):
    status, _, body = gw.http("PUT", "/v1/devices/%s/r/5/0/1" % ep,
                              body=uri,
                              headers={"Content-Type": "text/plain"})
    assert status in (200, 204), (ep, status, body)


def patient_value(gw, ep, path):
    """lwm2m_value over a lossy link: None when the proxied read gets no
    answer in time."""
    try:
        status, _, body = gw.http("GET", "/v1/devices/%s/r/%s" % (ep, path),
                                  timeout=30)
    except OSError:
        return None
    return body.decode() if status == 200 else None


def wait_all(gw, eps, path, value, timeout, what, read=lwm2m_value):
    left = set(eps)

    def done():
        for ep in list(left):
            if read(gw, ep, path) == value:
                left.discard(ep)
        return not left
    wait_for(done, timeout, interval=0.1,
             what="%s on %d of %d devices" % (what, len(left), len(eps)))


def senml(gw, ep):
    status, hdrs, body = gw.http("GET", "/v1/devices/%s/r/5/0" % ep,
                                 headers={"Accept": "application/senml+json"})
    assert status == 200, body
    recs = json.loads(body)
    return {r["n"]: r.get("v", r.get("vs")) for r in recs}


def test_fleet_pulls_and_updates(run_outpost, tmp_path, gateway_factory,
                                 node_factory):
    """20 devices: /5/0/1 written through the proxy, every one Downloaded,
    executed, every one Idle with Update Result 1; /5/0 reads as SenML
    JSON as the agent's does."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub, coap={"max_idle_sessions": 1000})
    img, data = make_image(tmp_path, "fw.bin", 40000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 7,
                                 version="2.1"))["id"]
    assert put_image(gw, fid, data)[0] == 201
    node = fleet(node_factory, gw, 20, "ff-", vendor="acme",
                 **{"class": "sensor-v2", "trusted_keys": pub})
    eps = ["ff-%d" % i for i in range(20)]
    assert senml(gw, "ff-3") == {"1": "", "3": 0, "5": 0, "6": "", "7": "",
                                 "9": 0}
    uri = "coap://127.0.0.1:%d/fw/%s" % (gw.coap_port, fid)
    for ep in eps:
        write_uri(gw, ep, uri)
    wait_all(gw, eps, "5/0/3", "2", 60, "State 2")
    assert senml(gw, "ff-3") == {"1": uri, "3": 2, "5": 0,
                                 "6": "sensor-v2", "7": "2.1", "9": 0}
    for ep in eps:
        status, _, body = gw.http("POST", "/v1/devices/%s/r/5/0/2" % ep)
        assert status in (200, 204), (ep, body)
    wait_all(gw, eps, "5/0/5", "1", 20, "Update Result 1")
    assert all(lwm2m_value(gw, ep, "5/0/3") == "0" for ep in eps)
    # The same sequence number again is not above the installed one.
    write_uri(gw, "ff-0", "")
    write_uri(gw, "ff-0", uri)
    wait_for(lambda: lwm2m_value(gw, "ff-0", "5/0/5") == "6", 10,
             what="Update Result 6 for an installed sequence number")
    assert node.alive()


def test_fleet_refuses_an_untrusted_manifest(run_outpost, tmp_path,
                                             gateway_factory, node_factory):
    """The gateway takes the image (its key is trusted there); the fleet
    trusts another key: Update Result 5, State 0."""
    key, pub = keygen(run_outpost, tmp_path)
    _, other = keygen(run_outpost, tmp_path, prefix="other")
    gw = fw_gateway(gateway_factory, pub)
    img, data = make_image(tmp_path, "fw.bin", 5000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 1))["id"]
    assert put_image(gw, fid, data)[0] == 201
    fleet(node_factory, gw, 2, "fk-", trusted_keys=other)
    write_uri(gw, "fk-1", "coap://127.0.0.1:%d/fw/%s" % (gw.coap_port, fid))
    wait_for(lambda: lwm2m_value(gw, "fk-1", "5/0/5") == "5", 10,
             what="Update Result 5")
    assert lwm2m_value(gw, "fk-1", "5/0/3") == "0"
    assert lwm2m_value(gw, "fk-0", "5/0/3") == "0"


class TamperedServer:
    """A CoAP server that serves a signed manifest at /fw/x/manifest and
    image at /fw/x, each block with etag_of(offset) as its ETag (None: no
    ETag); by default the manifest's, as the gateway tags its images. With
    other bytes than the signed ones: an image changed after it was
    signed."""

    def __init__(self, manifest, image, etag_of=None):
        self.manifest = manifest
        self.image = image
        digest = bytes.fromhex(json.loads(manifest)["sha256"])[:8]
        self.etag_of = etag_of or (lambda off: digest)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def answer(self, req):
        path = [v.decode() for n, v in req["options"] if n == 11]
        opts = []
        if path == ["fw", "x", "manifest"]:
            payload = self.manifest
        else:
            b = next((int.from_bytes(v, "big") for n, v in req["options"]
                      if n == BLOCK2), 6)
            szx = b & 7
            size = 16 << szx
            off = (b >> 4) * size
            payload = self.image[off:off + size]
            more = off + len(payload) < len(self.image)
            x = (b >> 4) << 4 | more << 3 | szx
            etag = self.etag_of(off)
            opts = [(ETAG, etag)] if etag is not None else []
            opts.append((BLOCK2, x.to_bytes(max(1, (x.bit_length() + 7) // 8),
                                            "big")))
        return coap_message(mtype=2, code=0x45, mid=req["mid"],
                            token=req["token"], options=opts,
                            payload=payload)

    def serve(self):
        self.sock.settimeout(0.2)
        for req, addr in coap_datagrams(self.sock, lambda: not self.stop,
                                        2048):
            self.sock.sendto(self.answer(req), addr)

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def test_fleet_digest_mismatch(run_outpost, tmp_path, gateway_factory,
                               node_factory):
    """Every block is served, but the bytes are not the signed image's:
    Update Result 5 once the last block is hashed."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = gateway_factory()
    img, data = make_image(tmp_path, "fw.bin", 3000)
    doc = sign(run_outpost, key, img, 1)
    server = TamperedServer(doc, data[:-1] + bytes([data[-1] ^ 1]))
    try:
        fleet(node_factory, gw, 1, "fd-", trusted_keys=pub)
        write_uri(gw, "fd-0", "coap://127.0.0.1:%d/fw/x" % server.port)
        wait_for(lambda: lwm2m_value(gw, "fd-0", "5/0/5") == "5", 10,
                 what="Update Result 5")
        assert lwm2m_value(gw, "fd-0", "5/0/3") == "0"
    finally:
        server.close()


def test_fleet_pulls_from_another_server(run_outpost, tmp_path,
                                         gateway_factory, node_factory):
    """A Package URI on a CoAP server that is not the gateway, whose
    ETags are its own (libcoap's coap-server tags a resource with a
    counter) or absent: the digest decides, State 2."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = gateway_factory()
    img, data = make_image(tmp_path, "fw.bin", 5000)
    doc = sign(run_outpost, key, img, 1)
    fl = fleet(node_factory, gw, 2, "fo-", trusted_keys=pub)
    for ep, tag in (("fo-0", b"\x01"), ("fo-1", None)):
        server = TamperedServer(doc, data, lambda off, t=tag: t)
        try:
            write_uri(gw, ep, "coap://127.0.0.1:%d/fw/x" % server.port)
            wait_for(lambda: lwm2m_value(gw, ep, "5/0/3") == "2", 10,
                     what="State 2 on %s" % ep)
        finally:
            server.close()
    assert fl.proc.poll() is None


def test_fleet_etag_changes(run_outpost, tmp_path, gateway_factory,
                            node_factory):
    """The server's ETag changes during the download: the image changed
    under the URI, Update Result 5 at once, not after the last block."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = gateway_factory()
    img, data = make_image(tmp_path, "fw.bin", 5000)
    doc = sign(run_outpost, key, img, 1)
    asked = []

    def etag_of(off):
        asked.append(off)
        return b"\x01" if off < 2048 else b"\x02"
    server = TamperedServer(doc, data, etag_of)
    try:
        fleet(node_factory, gw, 1, "fe-", trusted_keys=pub)
        write_uri(gw, "fe-0", "coap://127.0.0.1:%d/fw/x" % server.port)
        wait_for(lambda: lwm2m_value(gw, "fe-0", "5/0/5") == "5", 10,
                 what="Update Result 5")
        assert lwm2m_value(gw, "fe-0", "5/0/3") == "0"
        assert max(asked) == 2048	# nothing asked after the change
    finally:
        server.close()


def test_lossy_fleet_still_downloads(run_outpost, tmp_path, gateway_factory,
                                     node_factory):
    """[fleet] drop 0.1 loses answers of the block requests too; libcoap
    asks again, and every device reaches State 2."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub)
    img, data = make_image(tmp_path, "fw.bin", 12000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 3))["id"]
    assert put_image(gw, fid, data)[0] == 201
    node = fleet(node_factory, gw, 6, "fl-", args=["--drop", "0.1"])
    eps = ["fl-%d" % i for i in range(6)]
    uri = "coap://127.0.0.1:%d/fw/%s" % (gw.coap_port, fid)

    def written(ep):
        # A write whose answers were all lost is sent again: the same
        # Package URI while it is fetched is no new download.
        try:
            return gw.http("PUT", "/v1/devices/%s/r/5/0/1" % ep, body=uri,
                           headers={"Content-Type": "text/plain"},
                           timeout=30)[0] in (200, 204)
        except OSError:
            return False
    for ep in eps:
        wait_for(lambda: written(ep), 120, what="the write of %s" % ep)
    wait_all(gw, eps, "5/0/3", "2", 120, "State 2", read=patient_value)
    wait_all(gw, eps, "5/0/5", "0", 60, "Update Result 0",
             read=patient_value)
    assert node.alive()


def test_campaign_over_a_fleet(run_outpost, tmp_path, gateway_factory,
                               node_factory):
    """A campaign by tag over 30 fleet devices in two groups, ten at a
    time, followed only by its observations of /5/0/3 and /5/0/5 (the
    gateway reads /5/0 once an hour here): every device ends succeeded
    with Update Result 1, and the gateway holds no observation after."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = fw_gateway(gateway_factory, pub, coap={"max_idle_sessions": 1000},
                    campaign={"poll_s": 3600})
    img, data = make_image(tmp_path, "fw.bin", 30000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 9))["id"]
    assert put_image(gw, fid, data)[0] == 201
    node = fleet(node_factory, gw, 30, "fc-", vendor="acme",
                 **{"class": "sensor-v2", "trusted_keys": pub})
    for i in range(30):
        assert gw.http("PUT", "/v1/devices/fc-%d/tags" % i,
                       body=json.dumps(["site-a"]))[0] == 200
    status, _, body = gw.http("POST", "/v1/campaigns", body=json.dumps({
        "image": fid, "target": {"tags": ["site-a"]},
        "policy": {"group_percent": 50, "max_concurrent": 10}}))
    assert status == 201, body
    c = json.loads(body)
    assert c["total"] == 30 and c["groups"] == 2
    busiest = []

    def done():
        s = gw.get_json("/v1/campaigns/%d" % c["id"])
        busiest.append(sum(s["counts"][k] for k in (
            "announced", "downloading", "downloaded", "updating")))
        return s["status"] == "done" and s
    s = wait_for(done, 120, interval=0.2, what="the campaign done")
    assert s["counts"]["succeeded"] == 30, s["counts"]
    assert all(d["result"] == 1 for d in s["devices"])
    assert max(busiest) <= 10
    wait_for(lambda: gw.get_json("/v1/observations")["observations"] == [],
             10, what="the campaign's observations released")
    assert node.alive()
