"""
DTLS to devices (issue 7, items 1 and 2): PSK credentials provisioned over
POST /v1/devices and looked up per handshake, X.509 certificates from a CA
in the ini, raw public keys; a session acts only as the ep its credential
names; DELETE /v1/devices/{ep} revokes and closes the open session; plain
CoAP only from loopback by default (a network namespace plays the remote
peer). Peers: coap-client-gnutls (-u/-k, -c/-j/-C) for one-shot requests,
and dtlsdev.c (built here against libcoap-3-gnutls) for a device that
stays on its DTLS session and answers the gateway's requests.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import uuid

import pytest

from conftest import (COAP_CLIENT, COAP_TIMEOUT, CoapResult, free_port,
                      wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "sixteen-byte-key"                 # what -k takes: the key's bytes
KEY_HEX = KEY.encode().hex()
OTHER_KEY = "another-key-of-20"


@pytest.fixture(scope="session")
def dtlsdev(tmp_path_factory):
    """The dtlsdev binary, built once per session."""
    out = str(tmp_path_factory.mktemp("dtlsdev") / "dtlsdev")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs",
                            "libcoap-3-gnutls"], capture_output=True,
                           text=True, check=True).stdout.split()
    subprocess.run(["cc", "-std=c11", "-O1", "-Wall", "-Wextra", "-o", out,
                    os.path.join(HERE, "dtlsdev.c")] + flags, check=True)
    return out


class Device:
    """One dtlsdev process; its stdout lines go to a file we poll."""

    def __init__(self, binary, workdir, uri, ep, cred):
        self.out = os.path.join(str(workdir), "dtlsdev-%s-%s.out" %
                                (ep, uuid.uuid4().hex[:6]))
        self.fp = open(self.out, "wb")
        self.proc = subprocess.Popen([binary, uri, ep] + list(cred),
                                     stdout=self.fp, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def text(self):
        with open(self.out) as fp:
            return fp.read()

    def wait_line(self, prefix, timeout=10):
        def seen():
            for line in self.text().splitlines():
                if line.startswith(prefix):
                    return line
            return None
        try:
            return wait_for(seen, timeout, what="dtlsdev line %r" % prefix)
        except AssertionError:
            raise AssertionError("dtlsdev never said %r: %r"
                                 % (prefix, self.text()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.fp.close()


@pytest.fixture
def devices(dtlsdev, tmp_path):
    """devices(gw, ep, cred...) starts a dtlsdev against gw's DTLS port."""
    made = []

    def start(gw, ep, *cred, scheme="coaps"):
        port = gw.coaps_port if scheme == "coaps" else gw.coap_port
        d = Device(dtlsdev, tmp_path, "%s://127.0.0.1:%d" % (scheme, port),
                   ep, cred)
        made.append(d)
        return d
    yield start
    for d in made:
        d.stop()


def coaps(gw, method, path, psk=None, pki=None, payload=None, cf=None,
          wait=3):
    """One coap-client-gnutls request over DTLS: psk=(identity, key) or
    pki=(cert, key, ca)."""
    args = [COAP_CLIENT, "-m", method, "-v", "6", "-B", str(wait)]
    if psk is not None:
        args += ["-u", psk[0], "-k", psk[1]]
    if pki is not None:
        args += ["-c", pki[0], "-j", pki[1], "-C", pki[2]]
    if cf is not None:
        args += ["-t", str(cf)]
    if payload is not None:
        args += ["-e", payload]
    args.append("coaps://127.0.0.1:%d/%s" % (gw.coaps_port,
                                             path.lstrip("/")))
    return CoapResult(subprocess.run(args, capture_output=True, text=True,
                                     errors="replace", timeout=COAP_TIMEOUT))


def reg_path(ep):
    return "rd?ep=%s&lt=300&lwm2m=1.1&b=U" % ep


def post_json(gw, path, doc, seen=None):
    status, hdrs, body = gw.http("POST", path, body=json.dumps(doc),
                                 headers={"Content-Type":
                                          "application/json"})
    if seen is not None:
        seen.append(body)
    return status, hdrs, body


def provision_psk(gw, ep, identity, key_hex=KEY_HEX, seen=None):
    status, hdrs, body = post_json(gw, "/v1/devices",
                                   {"ep": ep, "psk_identity": identity,
                                    "psk_key": key_hex}, seen)
    assert status == 201, body
    return hdrs, json.loads(body)


def metric(gw, name):
    return gw.metrics().get(name, 0)


# -- PSK ----------------------------------------------------------------
def test_psk_device_registers_and_is_reached_over_its_session(gateway,
                                                              devices):
    hdrs, doc = provision_psk(gateway, "psk-1", "id-psk-1")
    assert hdrs["location"] == "/v1/devices/psk-1"
    assert doc == {"ep": "psk-1", "credential": "psk",
                   "psk_identity": "id-psk-1"}
    dev = devices(gateway, "psk-1", "psk", "id-psk-1", KEY)
    assert dev.wait_line("registered rd/")
    doc = gateway.device("psk-1")
    assert doc["state"] == "awake"
    assert doc["credential"] == {"kind": "psk", "psk_identity": "id-psk-1"}
    # The proxied request goes to the device over its DTLS session.
    status, _, body = gateway.http("GET", "/v1/devices/psk-1/r/3/0/0")
    assert (status, body) == (200, b"dtlsdev:psk-1")
    assert dev.wait_line("get")


def test_op_queued_for_a_dtls_device_goes_over_its_next_session(gateway,
                                                                devices):
    provision_psk(gateway, "qd-1", "id-qd-1")
    # Registered over DTLS by a client that left: no route now.
    r = coaps(gateway, "post", reg_path("qd-1"), psk=("id-qd-1", KEY))
    assert r.code == "2.01", r
    wait_for(lambda: gateway.http("GET", "/v1/devices/qd-1/r/3/0/0")[0]
             == 202, what="the read to be queued")
    ops = gateway.get_json("/v1/devices/qd-1/ops")["ops"]
    assert len(ops) >= 1
    # The device comes back over DTLS: its op goes over that session.
    dev = devices(gateway, "qd-1", "psk", "id-qd-1", KEY)
    dev.wait_line("registered rd/")
    dev.wait_line("get")
    done = wait_for(lambda: (lambda o: o if o["state"] == "done" else None)(
        gateway.get_json("/v1/ops/%d" % ops[0]["op"])),
        what="the queued op to be done")
    assert done["result"]["body"] == "dtlsdev:qd-1"


def test_coap_client_with_psk_registers(gateway):
    provision_psk(gateway, "cc-1", "id-cc-1")
    assert metric(gateway, "outpost_dtls_accepted_total") == 0
    r = coaps(gateway, "post", reg_path("cc-1"), psk=("id-cc-1", KEY),
              payload="</3/0>", cf=40)
    assert r.code == "2.01", r
    assert r.location[0] == "rd"
    # An update of its own registration over a new DTLS session.
    r = coaps(gateway, "post", "rd/%s?lt=600" % r.location[1],
              psk=("id-cc-1", KEY))
    assert r.code == "2.04", r
    assert gateway.device("cc-1")["lifetime"] == 600
    assert metric(gateway, "outpost_dtls_accepted_total") == 2


def test_wrong_key_fails(gateway):
    provision_psk(gateway, "wk-1", "id-wk-1")
    r = coaps(gateway, "post", reg_path("wk-1"), psk=("id-wk-1", OTHER_KEY))
    assert r.code is None, r
    # The identity was known (accepted), the handshake failed (refused).
    wait_for(lambda: metric(gateway, "outpost_dtls_refused_total") >= 1,
             what="the failed handshake to be counted")
    assert metric(gateway, "outpost_dtls_accepted_total") == 1
    assert gateway.http("GET", "/v1/devices/wk-1")[0] == 404


def test_unknown_identity_fails(gateway):
    before = metric(gateway, "outpost_dtls_refused_total")
    r = coaps(gateway, "post", reg_path("nobody"), psk=("nobody", KEY))
    assert r.code is None, r
    gateway.wait_log("unknown PSK identity 'nobody'")
    assert metric(gateway, "outpost_dtls_refused_total") > before
    assert gateway.http("GET", "/v1/devices/nobody")[0] == 404


def test_identity_cannot_act_for_another_ep(gateway):
    provision_psk(gateway, "own-1", "id-own-1")
    provision_psk(gateway, "own-2", "id-own-2", OTHER_KEY.encode().hex())
    # Register as someone else: 4.03.
    r = coaps(gateway, "post", reg_path("own-2"), psk=("id-own-1", KEY))
    assert r.code == "4.03", r
    assert "another endpoint" in r.payload
    # Nor as an ep nobody provisioned.
    r = coaps(gateway, "post", reg_path("free-ep"), psk=("id-own-1", KEY))
    assert r.code == "4.03", r
    # own-2 registers; own-1 can neither update nor deregister it.
    r = coaps(gateway, "post", reg_path("own-2"),
              psk=("id-own-2", OTHER_KEY))
    assert r.code == "2.01", r
    reg2 = r.location[1]
    r = coaps(gateway, "post", "rd/%s" % reg2, psk=("id-own-1", KEY))
    assert r.code == "4.03", r
    r = coaps(gateway, "delete", "rd/%s" % reg2, psk=("id-own-1", KEY))
    assert r.code == "4.03", r
    # Plain CoAP, even from loopback, cannot touch a device with a
    # credential: neither its registration nor a new one in its name.
    assert gateway.update(reg2).code == "4.01"
    assert gateway.deregister(reg2).code == "4.01"
    assert gateway.register("own-2", expect="4.01").code == "4.01"
    assert gateway.device("own-2")["registration_id"] == reg2


def test_provisioning_ends_a_plain_route(gateway):
    """A device registered over plain CoAP before it got a credential
    keeps nothing of that: its route goes, its plain session can no longer
    Send or be sent to."""
    port = free_port(socket.SOCK_DGRAM)
    gateway.register("pl-1", src_port=port)
    r = gateway.coap("post", "dp", payload='[{"n":"/3/0/0","vs":"x"}]',
                     content_format=110, src_port=port)
    assert r.code == "2.04", r
    provision_psk(gateway, "pl-1", "id-pl-1")
    r = gateway.coap("post", "dp", payload='[{"n":"/3/0/0","vs":"y"}]',
                     content_format=110, src_port=port)
    assert r.code == "4.03", r
    status, _, body = gateway.http("GET", "/v1/devices/pl-1/r/3/0/1")
    assert status == 202, body       # queued for its next (DTLS) visit
    r = coaps(gateway, "post", reg_path("pl-1"), psk=("id-pl-1", KEY))
    assert r.code == "2.01", r


def test_revoked_device_is_shut_out_at_once(gateway, devices):
    provision_psk(gateway, "rv-1", "id-rv-1")
    dev = devices(gateway, "rv-1", "psk", "id-rv-1", KEY)
    dev.wait_line("registered rd/")
    status, _, _ = gateway.http("DELETE", "/v1/devices/rv-1")
    assert status == 204
    # Its open session is closed: the device sees the close at once.
    assert dev.wait_line("closed", timeout=5)
    assert dev.proc.wait(5) == 3
    gateway.wait_log("device rv-1: 1 DTLS session closed")
    assert gateway.http("GET", "/v1/devices/rv-1")[0] == 404
    # The next handshake with the old key fails.
    r = coaps(gateway, "post", reg_path("rv-1"), psk=("id-rv-1", KEY))
    assert r.code is None, r
    # Deleting again: nothing left.
    assert gateway.http("DELETE", "/v1/devices/rv-1")[0] == 404


def test_revoke_of_a_provisioned_device_that_never_registered(gateway):
    provision_psk(gateway, "nr-1", "id-nr-1")
    assert gateway.http("DELETE", "/v1/devices/nr-1")[0] == 204
    r = coaps(gateway, "post", reg_path("nr-1"), psk=("id-nr-1", KEY))
    assert r.code is None, r
    # The identity is free again, for a new key.
    provision_psk(gateway, "nr-1", "id-nr-1", OTHER_KEY.encode().hex())
    r = coaps(gateway, "post", reg_path("nr-1"), psk=("id-nr-1", OTHER_KEY))
    assert r.code == "2.01", r


def test_key_rotation_closes_the_old_session(gateway, devices):
    provision_psk(gateway, "kr-1", "id-kr-1")
    provision_psk(gateway, "kr-2", "id-kr-2")
    dev = devices(gateway, "kr-1", "psk", "id-kr-1", KEY)
    reg = dev.wait_line("registered rd/").split("/")[1]
    new_hex = OTHER_KEY.encode().hex()
    status, _, body = gateway.http("PUT", "/v1/devices/kr-1/credential",
                                   body=json.dumps({"psk_identity": "id-kr-1",
                                                    "psk_key": new_hex}))
    assert status == 200, body
    assert json.loads(body) == {"ep": "kr-1", "credential": "psk",
                                "psk_identity": "id-kr-1"}
    assert dev.wait_line("closed")
    assert new_hex.encode() not in body
    # The registration stays; the old key is refused, the new one works.
    assert gateway.device("kr-1")["registration_id"] == reg
    r = coaps(gateway, "post", "rd/%s" % reg, psk=("id-kr-1", KEY))
    assert r.code is None, r
    r = coaps(gateway, "post", "rd/%s" % reg, psk=("id-kr-1", OTHER_KEY))
    assert r.code == "2.04", r
    # Another kind: a new identity; the old one is free again.
    status, _, body = gateway.http("PUT", "/v1/devices/kr-1/credential",
                                   body=json.dumps({"ep": "kr-1",
                                                    "psk_identity": "id-kr-1b",
                                                    "psk_key": KEY_HEX}))
    assert status == 200, body
    r = coaps(gateway, "post", "rd/%s" % reg, psk=("id-kr-1", OTHER_KEY))
    assert r.code is None, r
    r = coaps(gateway, "post", "rd/%s" % reg, psk=("id-kr-1b", KEY))
    assert r.code == "2.04", r
    # Refusals: no credential yet, an identity of another ep, a body for
    # another ep.
    status, _, body = gateway.http("PUT", "/v1/devices/kr-9/credential",
                                   body=json.dumps({"psk_identity": "x",
                                                    "psk_key": KEY_HEX}))
    assert status == 404, body
    status, _, body = gateway.http("PUT", "/v1/devices/kr-1/credential",
                                   body=json.dumps({"psk_identity": "id-kr-2",
                                                    "psk_key": KEY_HEX}))
    assert status == 409, body
    status, _, body = gateway.http("PUT", "/v1/devices/kr-1/credential",
                                   body=json.dumps({"ep": "kr-2",
                                                    "psk_identity": "z",
                                                    "psk_key": KEY_HEX}))
    assert status == 400, body
    gateway.stop()
    assert new_hex not in gateway.log()


def test_credential_revoked_alone_keeps_the_registration(gateway, devices):
    provision_psk(gateway, "ca-1", "id-ca-1")
    dev = devices(gateway, "ca-1", "psk", "id-ca-1", KEY)
    dev.wait_line("registered rd/")
    assert gateway.http("DELETE", "/v1/devices/ca-1/credential")[0] == 204
    assert dev.wait_line("closed")
    assert "credential" not in gateway.device("ca-1")
    r = coaps(gateway, "post", reg_path("ca-1"), psk=("id-ca-1", KEY))
    assert r.code is None, r
    assert gateway.http("DELETE", "/v1/devices/ca-1/credential")[0] == 404
    assert gateway.http("GET", "/v1/devices/ca-1/credential")[0] == 405


def test_credentials_survive_a_restart(gateway):
    provision_psk(gateway, "st-1", "id-st-1")
    gateway.restart()
    r = coaps(gateway, "post", reg_path("st-1"), psk=("id-st-1", KEY))
    assert r.code == "2.01", r


def test_keys_never_in_responses_or_log(gateway, devices):
    seen = []
    provision_psk(gateway, "kx-1", "id-kx-1", seen=seen)
    assert post_json(gateway, "/v1/devices", {"ep": "kx-1",
                     "psk_identity": "id-kx-9", "psk_key": KEY_HEX},
                     seen)[0] == 409
    assert post_json(gateway, "/v1/devices", {"ep": "kx-2",
                     "psk_identity": "id-kx-1", "psk_key": KEY_HEX},
                     seen)[0] == 409
    assert post_json(gateway, "/v1/devices", {"ep": "kx-3",
                     "psk_identity": "id-kx-3", "psk_key": KEY_HEX[:-2]},
                     seen)[0] == 400
    dev = devices(gateway, "kx-1", "psk", "id-kx-1", KEY)
    dev.wait_line("registered rd/")
    for path in ("/v1/devices/kx-1", "/v1/devices", "/metrics"):
        seen.append(gateway.http("GET", path)[2])
    # A failed handshake with the right identity and a wrong key, too.
    coaps(gateway, "post", reg_path("kx-1"), psk=("id-kx-1", OTHER_KEY))
    assert gateway.http("DELETE", "/v1/devices/kx-1")[0] == 204
    dev.wait_line("closed")
    gateway.stop()
    log = gateway.log()
    assert "kx-1: psk credential provisioned (id-kx-1)" in log
    for secret in (KEY, KEY_HEX, KEY_HEX.upper()):
        assert secret not in log
        for body in seen:
            assert secret.encode() not in body


@pytest.mark.parametrize("doc,detail", [
    ({"ep": "b", "psk_identity": "i", "psk_key": "00" * 15}, "psk_key"),
    ({"ep": "b", "psk_identity": "i", "psk_key": "00" * 65}, "psk_key"),
    ({"ep": "b", "psk_identity": "i", "psk_key": "zz" * 16}, "psk_key"),
    ({"ep": "b", "psk_identity": "i"}, "go together"),
    ({"ep": "b", "psk_identity": "", "psk_key": KEY_HEX}, "psk_identity"),
    ({"ep": "b", "psk_identity": "a\u0001", "psk_key": KEY_HEX},
     "printable"),
    ({"ep": "b/c", "psk_identity": "i", "psk_key": KEY_HEX}, "ep"),
    ({"psk_identity": "i", "psk_key": KEY_HEX}, "ep"),
    ({"ep": "b", "psk_identity": "i", "psk_key": KEY_HEX, "x509": True},
     "exactly one"),
    ({"ep": "b", "psk_identity": "i", "psk_key": KEY_HEX, "extra": 1},
     "unknown member"),
    ({"ep": "b", "rpk": "3000"}, "rpk"),
    ({"ep": "b", "x509": False}, "x509"),
    ({"ep": "b"}, "exactly one"),
])
def test_provisioning_refuses_bad_bodies(gateway, doc, detail):
    status, _, body = post_json(gateway, "/v1/devices", doc)
    assert status == 400, body
    err = json.loads(body)
    assert err["error"] == "bad_request"
    assert detail in err["detail"]
    for bad in ("[1]", "not json", "", '{"ep": 5}'):
        status, _, body = gateway.http("POST", "/v1/devices", body=bad)
        assert status == 400, (bad, body)


# -- plain CoAP policy --------------------------------------------------
def test_plain_off_refuses_loopback_too(gateway_factory):
    gw = gateway_factory(coap={"plain": "off"})
    r = gw.register("p-off", expect="4.01")
    assert "use DTLS" in r.payload
    assert gw.coap("post", "dp", payload="[]", content_format=110).code \
        == "4.01"


NETNS_OK = shutil.which("ip") is not None and os.geteuid() == 0


@pytest.fixture
def netns():
    """A network namespace joined to the host by a veth pair: the host side
    is HOST_IP, the namespace's NS_IP. Yields (name, HOST_IP)."""
    if not NETNS_OK:
        pytest.skip("needs root and iproute2 for a network namespace")
    tag = uuid.uuid4().hex[:6]
    name, host_if, ns_if = "odtls-" + tag, "odh" + tag, "odn" + tag
    octet = int(tag[:2], 16) % 250 + 1
    host_ip, ns_ip = "10.213.%d.1" % octet, "10.213.%d.2" % octet

    def ip(*args, ns=False):
        cmd = (["ip", "netns", "exec", name] if ns else []) + ["ip"] + \
            list(args)
        subprocess.run(cmd, check=True, capture_output=True)
    try:
        ip("netns", "add", name)
    except subprocess.CalledProcessError as e:
        pytest.skip("cannot make a network namespace: %s" % e.stderr)
    try:
        ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        ip("link", "set", ns_if, "netns", name)
        ip("addr", "add", host_ip + "/30", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("addr", "add", ns_ip + "/30", "dev", ns_if, ns=True)
        ip("link", "set", ns_if, "up", ns=True)
        ip("link", "set", "lo", "up", ns=True)
        yield name, host_ip
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def netns_ip(host_ip):
    """The namespace's side of the veth pair whose host side is host_ip."""
    return host_ip.rsplit(".", 1)[0] + ".2"


def ns_register(name, host_ip, port, ep, psk=None):
    args = ["ip", "netns", "exec", name, COAP_CLIENT, "-m", "post", "-v",
            "6", "-B", "3", "-t", "40", "-e", "</3/0>"]
    if psk is not None:
        args += ["-u", psk[0], "-k", psk[1]]
    args.append("%s://%s:%d/%s" % ("coap" if psk is None else "coaps",
                                   host_ip, port, reg_path(ep)))
    return CoapResult(subprocess.run(args, capture_output=True, text=True,
                                     errors="replace", timeout=COAP_TIMEOUT))


def test_plain_coap_from_another_host_is_refused_by_default(
        gateway_factory, netns):
    name, host_ip = netns
    gw = gateway_factory(start=False)
    listen = {"listen": "0.0.0.0:%d" % gw.coap_port,
              "secure_listen": "0.0.0.0:%d" % gw.coaps_port}
    gw.write_ini(sections={"coap": listen})
    gw.start()
    r = ns_register(name, host_ip, gw.coap_port, "far-1")
    assert r.code == "4.01", r
    assert "use DTLS" in r.payload
    assert gw.http("GET", "/v1/devices/far-1")[0] == 404
    # Over DTLS, with its credential, the same host is welcome.
    provision_psk(gw, "far-2", "id-far-2")
    r = ns_register(name, host_ip, gw.coaps_port, "far-2",
                    psk=("id-far-2", KEY))
    assert r.code == "2.01", r
    assert gw.device("far-2")["address"].startswith(netns_ip(host_ip))
    # Loopback is still fine.
    gw.register("near-1")
    # plain = any lets it in (a reload applies it).
    gw.write_ini(sections={"coap": dict(listen, plain="any")})
    gw.reload()
    r = ns_register(name, host_ip, gw.coap_port, "far-1")
    assert r.code == "2.01", r


# -- X.509 and RPK ------------------------------------------------------
def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   capture_output=True)


def make_ca(d, name):
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
            name + ".key", cwd=d)
    openssl("req", "-x509", "-new", "-key", name + ".key", "-subj",
            "/CN=" + name, "-days", "2", "-out", name + ".pem", cwd=d)


def make_cert(d, ca, cn):
    """A P-256 key and a certificate for cn signed by ca; returns the
    (cert, key) paths."""
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
            cn + ".key", cwd=d)
    openssl("req", "-new", "-key", cn + ".key", "-subj", "/CN=" + cn,
            "-out", cn + ".csr", cwd=d)
    openssl("x509", "-req", "-in", cn + ".csr", "-CA", ca + ".pem",
            "-CAkey", ca + ".key", "-CAcreateserial", "-days", "2",
            "-out", cn + ".pem", cwd=d)
    return os.path.join(d, cn + ".pem"), os.path.join(d, cn + ".key")


@pytest.fixture
def pki(tmp_path):
    d = str(tmp_path / "pki")
    os.mkdir(d)
    make_ca(d, "ca")
    make_ca(d, "rogue-ca")
    return d


def x509_gateway(gateway_factory, d):
    cert, key = make_cert(d, "ca", "gateway")
    return gateway_factory(coap={"ca_file": os.path.join(d, "ca.pem"),
                                 "cert_file": cert, "key_file": key})


def test_x509_device_bound_by_cn(gateway_factory, pki, devices):
    gw = x509_gateway(gateway_factory, pki)
    ca = os.path.join(pki, "ca.pem")
    status, _, body = post_json(gw, "/v1/devices", {"ep": "x-1",
                                                    "x509": True})
    assert status == 201, body
    assert json.loads(body) == {"ep": "x-1", "credential": "x509",
                                "x509_cn": "x-1"}
    cert, key = make_cert(pki, "ca", "x-1")
    # coap-client with its certificate.
    r = coaps(gw, "post", reg_path("x-1"), pki=(cert, key, ca))
    assert r.code == "2.01", r
    # A device that stays, reached through the proxy.
    dev = devices(gw, "x-1", "x509", cert, key, ca)
    dev.wait_line("registered rd/")
    status, _, body = gw.http("GET", "/v1/devices/x-1/r/3/0/0")
    assert (status, body) == (200, b"dtlsdev:x-1")
    # Its certificate does not make it anyone else.
    r = coaps(gw, "post", reg_path("x-2"), pki=(cert, key, ca))
    assert r.code == "4.03", r
    # Revoked: closed now, refused next time.
    assert gw.http("DELETE", "/v1/devices/x-1")[0] == 204
    assert dev.wait_line("closed")
    r = coaps(gw, "post", reg_path("x-1"), pki=(cert, key, ca))
    assert r.code is None, r


def test_x509_refused_without_binding_or_from_another_ca(gateway_factory,
                                                         pki):
    gw = x509_gateway(gateway_factory, pki)
    ca = os.path.join(pki, "ca.pem")
    cert, key = make_cert(pki, "ca", "x-unbound")
    r = coaps(gw, "post", reg_path("x-unbound"), pki=(cert, key, ca))
    assert r.code is None, r
    gw.wait_log("certificate 'x-unbound' is not bound to any device")
    # Bound, but signed by a CA the gateway does not trust.
    assert post_json(gw, "/v1/devices", {"ep": "x-rogue",
                                         "x509": True})[0] == 201
    cert, key = make_cert(pki, "rogue-ca", "x-rogue")
    r = coaps(gw, "post", reg_path("x-rogue"), pki=(cert, key, ca))
    assert r.code is None, r
    # PSK still works beside X.509.
    provision_psk(gw, "x-psk", "id-x-psk")
    r = coaps(gw, "post", reg_path("x-psk"), psk=("id-x-psk", KEY))
    assert r.code == "2.01", r


def spki_hex(d, keyfile):
    out = subprocess.run(["openssl", "pkey", "-in", keyfile, "-pubout",
                          "-outform", "DER"], cwd=d, check=True,
                         capture_output=True).stdout
    return out.hex()


def ec_key(d, name):
    """An EC P-256 key in the 'EC PRIVATE KEY' PEM form libcoap reads for
    RPK."""
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
            name + ".key", cwd=d)
    return os.path.join(d, name + ".key")


def test_rpk_device_bound_by_public_key(gateway_factory, tmp_path, devices):
    d = str(tmp_path)
    gw = gateway_factory(coap={"rpk": 1, "key_file": ec_key(d, "gw")})
    mine, other = ec_key(d, "r-1"), ec_key(d, "r-other")
    status, _, body = post_json(gw, "/v1/devices", {"ep": "r-1",
                                "rpk": spki_hex(d, mine)})
    assert status == 201, body
    dev = devices(gw, "r-1", "rpk", mine)
    dev.wait_line("registered rd/")
    status, _, body = gw.http("GET", "/v1/devices/r-1/r/3/0/0")
    assert (status, body) == (200, b"dtlsdev:r-1")
    # Another key is no one.
    dev2 = devices(gw, "r-1", "rpk", other)
    dev2.wait_line("closed")
    gw.wait_log("raw public key '(key)' is not bound to any device")
    # The right key cannot register as another ep.
    dev3 = devices(gw, "r-2", "rpk", mine)
    assert dev3.wait_line("refused") == "refused 4.03"


@pytest.mark.parametrize("keys,says", [
    ({"rpk": 1}, "key_file is needed for rpk"),
    ({"ca_file": "/nonexistent/ca.pem"}, "key_file is needed"),
    ({"key_file": "KEY"}, "key_file needs cert_file and ca_file"),
    ({"key_file": "KEY", "cert_file": "/nonexistent/c.pem",
      "ca_file": "CA"}, "cert_file /nonexistent/c.pem"),
    ({"key_file": "NOTPEM", "rpk": 1}, "not PEM"),
])
def test_key_files_are_checked_at_start(gateway_factory, pki, keys, says):
    files = {"KEY": os.path.join(pki, "ca.key"),
             "CA": os.path.join(pki, "ca.pem"),
             "NOTPEM": os.path.join(pki, "ca.srl")}
    with open(files["NOTPEM"], "w") as fp:
        fp.write("not a key\n")
    gw = gateway_factory(start=False, coap={k: files.get(v, v)
                                            for k, v in keys.items()})
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    assert says in gw.log(), gw.log()
