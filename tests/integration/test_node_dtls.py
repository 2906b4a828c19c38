"""
outpost-node over DTLS. The gateway takes no plain CoAP at all ([coap]
plain = off, loopback too), so whatever works here went over DTLS: an
agent with `gateway = coaps://...` and the PSK provisioned for it
registers and is read through the proxy; the wrong key never registers;
the key may come from psk_key_file; a fleet's devices each use their own
name as identity; a campaign writes the coaps Package URI to a device
that has a credential, and the agent fetches the manifest and the image
block-wise over DTLS, applies it and reports success.
"""
import json
import os

from conftest import wait_for
from test_campaign import campaign, get
from test_firmware import (LossyProxy, keygen, make_image, post_manifest,
                           put_image, sign)

KEY = "00112233445566778899aabbccddeeff"
OTHER = "ffeeddccbbaa99887766554433221100"


def provision(gw, ep, identity, key=KEY):
    status, _, body = gw.http("POST", "/v1/devices", body=json.dumps(
        {"ep": ep, "psk_identity": identity, "psk_key": key}),
        headers={"Content-Type": "application/json"})
    assert status == 201, body


def secure_gateway(gateway_factory, **more):
    return gateway_factory(coap={"plain": "off"}, **more)


def coaps(gw):
    return "coaps://127.0.0.1:%d" % gw.coaps_port


def registered(gw, ep):
    return gw.http("GET", "/v1/devices/" + ep)[0] == 200


def test_agent_registers_and_is_read_over_dtls(gateway_factory,
                                               node_factory, tmp_path):
    gw = secure_gateway(gateway_factory)
    provision(gw, "sec-1", "sec-1-id")
    node = node_factory(gw, ep="sec-1", sections={"node": {
        "gateway": coaps(gw), "psk_identity": "sec-1-id", "psk_key": KEY}})
    wait_for(lambda: registered(gw, "sec-1"), 10, what="sec-1 registered")
    status, _, body = gw.http("GET", "/v1/devices/sec-1/r/3/0/0")
    assert (status, body) == (200, b"Outpost")
    # The key from a file of its own (white space around it is fine).
    keyfile = tmp_path / "node.psk"
    keyfile.write_text("\n  %s  \n" % KEY.upper())
    os.chmod(str(keyfile), 0o600)
    provision(gw, "sec-2", "sec-2")
    node_factory(gw, ep="sec-2", sections={"node": {
        "gateway": coaps(gw), "psk_key_file": str(keyfile)}})
    wait_for(lambda: registered(gw, "sec-2"), 10, what="sec-2 registered")
    assert gw.http("GET", "/v1/devices/sec-2/r/3/0/0")[2] == b"Outpost"
    assert node.alive()


def test_a_lost_client_hello_is_sent_again(gateway_factory, node_factory):
    """The link loses the agent's first ClientHello: its DTLS handshake
    sends it again (after a second) and the agent registers. It used to
    wait for ever: libcoap armed no timer for a flight nothing answered."""
    gw = secure_gateway(gateway_factory)
    provision(gw, "hello-1", "hello-1")
    lost = []
    proxy = LossyProxy(("127.0.0.1", gw.coaps_port), 0,
                       drop=first_client_hello(lost))
    try:
        node_factory(gw, ep="hello-1", listen=False, sections={"node": {
            "gateway": "coaps://127.0.0.1:%d" % proxy.port,
            "psk_key": KEY}})
        wait_for(lambda: registered(gw, "hello-1"), 15,
                 what="hello-1 registered after its lost ClientHello")
        assert len(lost) == 1
    finally:
        proxy.close()


def first_client_hello(lost):
    """A LossyProxy drop rule: loses the first ClientHello from a client (a
    DTLS handshake record, 22, holding a ClientHello, 1), kept in lost."""
    def drop(up, data):
        if up and not lost and len(data) > 13 and data[0] == 22 \
                and data[13] == 1:
            lost.append(data)
            return True
        return False
    return drop


def test_a_lost_client_hello_of_a_pull_is_sent_again(
        run_outpost, tmp_path, gateway_factory, node_factory):
    """An agent's image pull over coaps whose first ClientHello is lost:
    the handshake sends it again and the image comes."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = secure_gateway(gateway_factory, firmware={"trusted_keys": pub})
    provision(gw, "pull-1", "pull-1")
    node = node_factory(gw, ep="pull-1", sections={
        "node": {"gateway": coaps(gw), "psk_key": KEY},
        "firmware": {"vendor": "acme", "class": "sensor-v2",
                     "trusted_keys": pub, "dir": str(tmp_path / "fw"),
                     "apply_command": "true"}})
    wait_for(lambda: registered(gw, "pull-1"), 10, what="registered")
    img, data = make_image(tmp_path, "fw.bin", 3000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 2))["id"]
    assert put_image(gw, fid, data)[0] == 201
    lost = []
    proxy = LossyProxy(("127.0.0.1", gw.coaps_port), 0,
                       drop=first_client_hello(lost))
    try:
        status, _, body = gw.http(
            "PUT", "/v1/devices/pull-1/r/5/0/1",
            body="coaps://127.0.0.1:%d/fw/%s" % (proxy.port, fid),
            headers={"Content-Type": "text/plain"})
        assert status in (200, 204), body
        node.wait_log("downloaded, digest verified", timeout=15)
        assert len(lost) == 1
    finally:
        proxy.close()


def test_the_wrong_key_never_registers(gateway_factory, node_factory):
    gw = secure_gateway(gateway_factory)
    provision(gw, "sec-3", "sec-3", key=OTHER)
    node = node_factory(gw, ep="sec-3", sections={"node": {
        "gateway": coaps(gw), "psk_key": KEY}})
    node.wait_log("sec-3: registration failed; retrying")
    assert not registered(gw, "sec-3")
    # Nor does a plain agent: the gateway takes no plain CoAP.
    provision(gw, "sec-4", "sec-4")
    plain = node_factory(gw, ep="sec-4")
    plain.wait_log("sec-4: registration failed; retrying")
    assert not registered(gw, "sec-4")


def test_bad_psk_settings_stop_the_start(gateway_factory, node_factory,
                                         tmp_path):
    gw = secure_gateway(gateway_factory)
    for sections, want in (
            ({"gateway": coaps(gw)}, "needs [node] psk_key"),
            ({"gateway": coaps(gw), "psk_key": "00ff"},
             "psk_key: must be 16..64 bytes in hex"),
            ({"psk_key": KEY}, "not coaps: the key would not be used"),
            ({"gateway": coaps(gw), "psk_key_file": str(tmp_path / "none")},
             "psk_key_file %s" % (tmp_path / "none"))):
        node = node_factory(gw, ep="bad", sections={"node": sections})
        assert node.proc.wait(10) != 0
        assert want in node.log(), node.log()
        node.returncode = node.proc.returncode


def test_fleet_over_dtls(run_outpost, tmp_path, gateway_factory,
                         node_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = secure_gateway(gateway_factory, firmware={"trusted_keys": pub})
    eps = ["fd-%d" % i for i in range(5)]
    for ep in eps:
        provision(gw, ep, ep)
    node_factory(gw, ep="unused", listen=False, sections={"node": {
        "gateway": coaps(gw), "psk_key": KEY}},
        args=["--fleet", "5", "--prefix", "fd-", "--spread", "0"])
    wait_for(lambda: all(registered(gw, ep) for ep in eps), 20,
             what="the fleet registered")
    assert gw.http("GET", "/v1/devices/fd-4/r/3/0/0")[2] == b"Outpost"
    # A fleet device pulls an image from a coaps Package URI, each block
    # over its own DTLS session.
    img, data = make_image(tmp_path, "fw.bin", 20000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 2))["id"]
    assert put_image(gw, fid, data)[0] == 201
    status, _, body = gw.http("PUT", "/v1/devices/fd-2/r/5/0/1",
                              body="%s/fw/%s" % (coaps(gw), fid),
                              headers={"Content-Type": "text/plain"})
    assert status in (200, 204), body
    wait_for(lambda: gw.http("GET", "/v1/devices/fd-2/r/5/0/3")[2] ==
             b"2", 20, what="fd-2 Downloaded")


def test_campaign_gives_a_device_with_a_credential_the_coaps_uri(
        run_outpost, tmp_path, gateway_factory, node_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = secure_gateway(gateway_factory, firmware={"trusted_keys": pub},
                        campaign={"poll_s": 3600})
    provision(gw, "sec-fw", "sec-fw")
    applied = tmp_path / "applied.bin"
    node_factory(gw, ep="sec-fw", sections={
        "node": {"gateway": coaps(gw), "psk_key": KEY},
        "firmware": {"vendor": "acme", "class": "sensor-v2",
                     "trusted_keys": pub, "dir": str(tmp_path / "fw"),
                     "apply_command": "cp \"$OUTPOST_FW_IMAGE\" %s" %
                     applied}})
    wait_for(lambda: registered(gw, "sec-fw"), 10, what="registered")
    img, data = make_image(tmp_path, "fw.bin", 30000)
    fid = post_manifest(gw, sign(run_outpost, key, img, 4))["id"]
    assert put_image(gw, fid, data)[0] == 201
    c = campaign(gw, {"image": fid, "target": {"eps": ["sec-fw"]}})
    s = get(gw, c["id"])
    assert s["uri"] == "coap://127.0.0.1:%d/fw/%s" % (gw.coap_port, fid)
    assert s["uri_secure"] == "%s/fw/%s" % (coaps(gw), fid)
    s = wait_for(lambda: (lambda s: s if s["status"] == "done" else None)(
        get(gw, c["id"])), 60, interval=0.2, what="campaign done")
    assert s["counts"]["succeeded"] == 1, s
    assert s["devices"][0]["result"] == 1
    assert applied.read_bytes() == data
    status, _, body = gw.http("GET", "/v1/devices/sec-fw/r/5/0/1")
    assert (status, body.decode()) == (200, s["uri_secure"])


def test_a_coaps_package_uri_without_a_key_is_unsupported(gateway_factory,
                                                          node_factory):
    """An agent (or fleet device) that has no PSK cannot fetch from a
    coaps Package URI: Update Result 9, unsupported protocol, and no
    download begins."""
    gw = gateway_factory()
    node_factory(gw, ep="plain-1")
    node_factory(gw, ep="unused", listen=False,
                 args=["--fleet", "1", "--prefix", "pf-", "--spread", "0"])
    for ep in ("plain-1", "pf-0"):
        wait_for(lambda: registered(gw, ep), 10, what=ep + " registered")
        status, _, body = gw.http(
            "PUT", "/v1/devices/%s/r/5/0/1" % ep,
            body="%s/fw/0123456789abcdef" % coaps(gw),
            headers={"Content-Type": "text/plain"})
        assert status in (200, 204), body
        wait_for(lambda: gw.http("GET", "/v1/devices/%s/r/5/0/5" % ep)[2]
                 == b"9", 10, what=ep + " Update Result 9")
        assert gw.http("GET", "/v1/devices/%s/r/5/0/3" % ep)[2] == b"0"


# -- X.509 and raw public keys -----------------------------------------
def node_pki(tmp_path):
    from test_dtls import make_ca
    d = str(tmp_path / "pki")
    os.mkdir(d)
    make_ca(d, "ca")
    make_ca(d, "rogue-ca")
    return d


def test_agent_registers_with_an_x509_certificate(gateway_factory,
                                                  node_factory, tmp_path):
    from test_dtls import make_cert, post_json
    d = node_pki(tmp_path)
    ca = os.path.join(d, "ca.pem")
    gcert, gkey = make_cert(d, "ca", "gateway")
    gw = gateway_factory(coap={"plain": "off", "ca_file": ca,
                               "cert_file": gcert, "key_file": gkey})
    assert post_json(gw, "/v1/devices", {"ep": "nx-1",
                                         "x509": True})[0] == 201
    cert, key = make_cert(d, "ca", "nx-1")
    node = node_factory(gw, ep="nx-1", sections={"node": {
        "gateway": coaps(gw), "cert_file": cert, "key_file": key,
        "ca_file": ca, "server_cn": "gateway"}})
    wait_for(lambda: registered(gw, "nx-1"), 10, what="nx-1 registered")
    status, _, body = gw.http("GET", "/v1/devices/nx-1/r/3/0/0")
    assert (status, body) == (200, b"Outpost")
    assert gw.device("nx-1")["credential"]["kind"] == "x509"
    assert node.alive()
    # A gateway whose certificate names another CN is not trusted.
    assert post_json(gw, "/v1/devices", {"ep": "nx-2",
                                         "x509": True})[0] == 201
    cert2, key2 = make_cert(d, "ca", "nx-2")
    other = node_factory(gw, ep="nx-2", sections={"node": {
        "gateway": coaps(gw), "cert_file": cert2, "key_file": key2,
        "ca_file": ca, "server_cn": "not-the-gateway"}})
    other.wait_log("is for 'gateway', not [node] server_cn "
                   "'not-the-gateway'")
    other.wait_log("nx-2: registration failed; retrying")
    assert not registered(gw, "nx-2")
    # Nor one whose chain the node's CA does not vouch for.
    rogue = os.path.join(d, "rogue-ca.pem")
    third = node_factory(gw, ep="nx-2", sections={"node": {
        "gateway": coaps(gw), "cert_file": cert2, "key_file": key2,
        "ca_file": rogue}})
    third.wait_log("nx-2: registration failed; retrying")
    assert not registered(gw, "nx-2")


def test_agent_registers_with_a_raw_public_key(gateway_factory,
                                               node_factory, tmp_path):
    from test_dtls import ec_key, post_json, spki_hex
    d = str(tmp_path)
    gkey = ec_key(d, "gw")
    gw = gateway_factory(coap={"plain": "off", "rpk": 1,
                               "key_file": gkey})
    mine = ec_key(d, "nr-1")
    assert post_json(gw, "/v1/devices", {"ep": "nr-1",
                                         "rpk": spki_hex(d, mine)})[0] == 201
    # The gateway's key as a DER file (the hex of a P-256 key is longer
    # than an ini line may be).
    der = tmp_path / "gw.der"
    der.write_bytes(bytes.fromhex(spki_hex(d, gkey)))
    node = node_factory(gw, ep="nr-1", sections={"node": {
        "gateway": coaps(gw), "rpk": 1, "key_file": mine,
        "server_public_key": str(der)}})
    wait_for(lambda: registered(gw, "nr-1"), 10, what="nr-1 registered")
    status, _, body = gw.http("GET", "/v1/devices/nr-1/r/3/0/0")
    assert (status, body) == (200, b"Outpost")
    assert gw.device("nr-1")["credential"]["kind"] == "rpk"
    assert node.alive()
    # The node trusts no other key for the gateway.
    impostor = tmp_path / "impostor.der"
    impostor.write_bytes(bytes.fromhex(spki_hex(d, ec_key(d, "impostor"))))
    other = node_factory(gw, ep="nr-1", sections={"node": {
        "gateway": coaps(gw), "rpk": 1, "key_file": mine,
        "server_public_key": str(impostor)}})
    other.wait_log("the gateway's raw public key is not [node] "
                   "server_public_key")
    other.wait_log("nr-1: registration failed; retrying")


def test_bad_certificate_settings_stop_the_start(gateway_factory,
                                                 node_factory, tmp_path):
    from test_dtls import ec_key
    gw = secure_gateway(gateway_factory)
    key = ec_key(str(tmp_path), "k")
    notpem = tmp_path / "not.pem"
    notpem.write_text("not a key\n")
    for sections, want in (
            ({"gateway": coaps(gw), "rpk": 1, "key_file": key},
             "rpk = 1 needs key_file and server_public_key"),
            ({"gateway": coaps(gw), "cert_file": key, "key_file": key},
             "X.509 needs cert_file, key_file and ca_file"),
            ({"gateway": coaps(gw), "rpk": 1, "key_file": key,
              "server_public_key": "3059", "ca_file": key},
             "rpk = 1 takes no cert_file, ca_file or server_cn"),
            ({"gateway": coaps(gw), "psk_key": KEY, "rpk": 1,
              "key_file": key, "server_public_key": "3059"},
             "give one kind of credential"),
            ({"rpk": 1, "key_file": key, "server_public_key": "3059"},
             "not coaps: it would not be used"),
            ({"gateway": coaps(gw), "rpk": 1, "key_file": key,
              "server_public_key": "30x9"},
             "server_public_key: must be bytes in hex, or a file's path"),
            ({"gateway": coaps(gw), "rpk": 1, "key_file": key,
              "server_public_key": key},
             "server_public_key %s: not a DER public key" % key),
            ({"gateway": coaps(gw), "rpk": 1, "key_file": str(notpem),
              "server_public_key": "3059"},
             "key_file %s: not PEM" % notpem),
            ({"gateway": coaps(gw), "cert_file": str(tmp_path / "none"),
              "key_file": key, "ca_file": key},
             "cert_file %s" % (tmp_path / "none"))):
        node = node_factory(gw, ep="bad", sections={"node": sections})
        assert node.proc.wait(10) != 0
        assert want in node.log(), node.log()
        node.returncode = node.proc.returncode
