"""HTTPS on [http] tls_listen (wolfSSL under evhttp): curl with --cacert over
TLS 1.2 and 1.3, keep-alive, client certificates when tls_client_ca is set,
a certificate renewed on SIGHUP, hostile clients (plain HTTP on the TLS port,
records cut into single bytes, close_notify), and the exposure rules: plain
HTTP off loopback and any listener off loopback without tokens refuse to
start. A throwaway CA, server and client certificates are made per test
session with the openssl CLI."""
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess

import pytest

from fakedev import check_hung_up_request_dropped
from conftest import (CONTENT_FORMAT, URI_PATH, URI_QUERY, coap_exchange,
                      coap_message, free_port, wait_for)

TOKEN = "https-test-admin-token-0123456789"


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
            "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + name,
            cwd=d)


def make_cert(d, name, ca, cn, san=None):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
            "-subj", "/CN=" + cn, cwd=d)
    ext = []
    if san:
        with open(os.path.join(d, name + ".ext"), "w") as fp:
            fp.write("subjectAltName=%s\n" % san)
        ext = ["-extfile", name + ".ext"]
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
            "-CAkey", ca + ".key", "-CAcreateserial", "-out", name + ".pem",
            "-days", "2", *ext, cwd=d)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """ca, srv (localhost, 127.0.0.1), srv2 (the renewal), cli (from ca)
    and rogue (a client certificate from another CA)."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl not found (scripts/install-deps.sh)")
    d = str(tmp_path_factory.mktemp("pki"))
    make_ca(d, "ca")
    make_ca(d, "otherca")
    san = "DNS:localhost,IP:127.0.0.1"
    make_cert(d, "srv", "ca", "outpost-one", san)
    make_cert(d, "srv2", "ca", "outpost-two", san)
    make_cert(d, "cli", "ca", "client-one")
    make_cert(d, "rogue", "otherca", "client-rogue")
    return lambda name: os.path.join(d, name)


def tls_gateway(factory, pki, tmp_path, client_ca=False, **sections):
    """A gateway with HTTPS on a free loopback port; its cert files are
    copies (a test may renew them)."""
    for f in ("srv.pem", "srv.key"):
        shutil.copy(pki(f), str(tmp_path / f))
    http = {"tls_listen": "127.0.0.1:%d" % free_port(),
            "tls_cert": str(tmp_path / "srv.pem"),
            "tls_key": str(tmp_path / "srv.key")}
    if client_ca:
        http["tls_client_ca"] = pki("ca.pem")
    http.update(sections.pop("http", {}))
    gw = factory(http=http, **sections)
    gw.tls_port = int(http["tls_listen"].rsplit(":", 1)[1])
    return gw


def curl(gw, path, *args, host="localhost"):
    """curl over HTTPS: (rc, status, body, stderr)."""
    p = subprocess.run(["curl", "-sS", "-v", "--max-time", "10",
                        "-w", "\n%{http_code}", *args,
                        "https://%s:%d%s" % (host, gw.tls_port, path)],
                       capture_output=True, text=True, timeout=30)
    body, _, status = p.stdout.rpartition("\n")
    return p.returncode, int(status or 0), body, p.stderr


@pytest.mark.parametrize("version,args", [
    ("TLSv1.3", ["--tlsv1.3"]),
    ("TLSv1.2", ["--tlsv1.2", "--tls-max", "1.2"]),
])
def test_https_with_cacert(gateway_factory, pki, tmp_path, version, args):
    gw = tls_gateway(gateway_factory, pki, tmp_path)
    rc, status, body, err = curl(gw, "/v1/health", "--cacert",
                                 pki("ca.pem"), *args)
    assert rc == 0, err
    assert status == 200 and '"status":"ok"' in body
    assert "SSL connection using %s" % version in err
    # The same by IP address (the certificate names 127.0.0.1 too).
    rc, status, _, err = curl(gw, "/v1/devices", "--cacert", pki("ca.pem"),
                              *args, host="127.0.0.1")
    assert rc == 0 and status == 200, err
    # Plain HTTP on loopback still answers beside it.
    assert gw.http("GET", "/v1/health")[0] == 200


def test_https_refuses_untrusted_and_old_versions(gateway_factory, pki,
                                                 tmp_path):
    gw = tls_gateway(gateway_factory, pki, tmp_path)
    rc, status, _, err = curl(gw, "/v1/health")       # system CAs only
    assert rc == 60 and status == 0, err
    rc, status, _, err = curl(gw, "/v1/health", "--cacert", pki("ca.pem"),
                              "--tlsv1.1", "--tls-max", "1.1")
    assert rc != 0 and status == 0, err
    assert gw.alive()


def test_https_keep_alive_and_errors_as_json(gateway_factory, pki, tmp_path):
    gw = tls_gateway(gateway_factory, pki, tmp_path)
    url = "https://localhost:%d" % gw.tls_port
    p = subprocess.run(["curl", "-sS", "-v", "--cacert", pki("ca.pem"),
                        url + "/v1/health", url + "/v1/nothing",
                        url + "/metrics"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stderr.count("Re-using existing connection") == 2, p.stderr
    assert '"error":"not_found"' in p.stdout
    assert "outpost_http_requests_total" in p.stdout


def test_https_client_certificate(gateway_factory, pki, tmp_path):
    gw = tls_gateway(gateway_factory, pki, tmp_path, client_ca=True)
    for args in (["--tlsv1.3"], ["--tlsv1.2", "--tls-max", "1.2"]):
        rc, status, body, err = curl(gw, "/v1/health", "--cacert",
                                     pki("ca.pem"), "--cert", pki("cli.pem"),
                                     "--key", pki("cli.key"), *args)
        assert rc == 0 and status == 200, err
        mark = gw.log_mark()
        rc, status, _, err = curl(gw, "/v1/health", "--cacert",
                                  pki("ca.pem"), *args)
        assert status == 0 and rc != 0, err
        gw.wait_log("did not return a certificate", since=mark)
        rc, status, _, err = curl(gw, "/v1/health", "--cacert",
                                  pki("ca.pem"), "--cert", pki("rogue.pem"),
                                  "--key", pki("rogue.key"), *args)
        assert status == 0 and rc != 0, err
    assert gw.alive()


def peer_cn(port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            subject = dict(x[0] for x in t.getpeercert()["subject"])
            return subject["commonName"]


def test_certificate_renewed_on_sighup(gateway_factory, pki, tmp_path):
    gw = tls_gateway(gateway_factory, pki, tmp_path)
    assert peer_cn(gw.tls_port, pki("ca.pem")) == "outpost-one"
    shutil.copy(pki("srv2.pem"), str(tmp_path / "srv.pem"))
    shutil.copy(pki("srv2.key"), str(tmp_path / "srv.key"))
    gw.reload()
    assert peer_cn(gw.tls_port, pki("ca.pem")) == "outpost-two"
    # A key that does not match keeps the running certificate.
    shutil.copy(pki("srv.key"), str(tmp_path / "srv.key"))
    gw.reload(expect="keeping the running certificate")
    assert peer_cn(gw.tls_port, pki("ca.pem")) == "outpost-two"


def tls_client(port, cafile):
    """A TLS client over memory BIOs, so the test decides how the bytes of
    its records travel."""
    ctx = ssl.create_default_context(cafile=cafile)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock, obj, inc, out


def pump(sock, obj, inc, out, op, bytewise=False):
    """Runs op (a callable on obj) to completion, sending what it writes
    one byte per send() when bytewise."""
    while True:
        try:
            result = op()
        except ssl.SSLWantReadError:
            result = None
        data = out.read()
        if data:
            if bytewise:
                for i in range(len(data)):
                    sock.sendall(data[i:i + 1])
            else:
                sock.sendall(data)
        if result is not None:
            return result
        chunk = sock.recv(65536)
        if not chunk:
            inc.write_eof()
        else:
            inc.write(chunk)


def test_records_cut_into_single_bytes_and_close_notify(gateway_factory, pki,
                                                       tmp_path):
    gw = tls_gateway(gateway_factory, pki, tmp_path)
    sock, obj, inc, out = tls_client(gw.tls_port, pki("ca.pem"))
    try:
        pump(sock, obj, inc, out, lambda: obj.do_handshake() or True,
             bytewise=True)
        req = (b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        for _ in range(2):                   # twice on one connection
            pump(sock, obj, inc, out, lambda: obj.write(req), bytewise=True)
            got = b""
            while b'"status":"ok"' not in got:
                got += pump(sock, obj, inc, out, lambda: obj.read(65536))
            assert got.startswith(b"HTTP/1.1 200")
        # close_notify: the gateway answers with its own.
        pump(sock, obj, inc, out, lambda: obj.unwrap() or True)
    finally:
        sock.close()
    assert gw.http("GET", "/v1/health")[0] == 200


def test_hostile_clients_on_the_tls_port(gateway_factory, pki, tmp_path):
    gw = tls_gateway(gateway_factory, pki, tmp_path)
    mark = gw.log_mark()
    # Plain HTTP on the TLS port: the handshake fails, the socket closes.
    with socket.create_connection(("127.0.0.1", gw.tls_port),
                                  timeout=10) as s:
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"HTTP/1.1" not in s.recv(4096)
    gw.wait_log("handshake failed", since=mark)
    # A client that connects, says half a ClientHello and goes away, and
    # one that goes away at once.
    for data in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b""):
        with socket.create_connection(("127.0.0.1", gw.tls_port),
                                      timeout=10) as s:
            s.sendall(data)
    rc, status, _, err = curl(gw, "/v1/health", "--cacert", pki("ca.pem"))
    assert rc == 0 and status == 200, err
    # Idle afterwards: no busy loop on what those left behind.
    stat = "/proc/%d/stat" % gw.proc.pid

    def cpu():
        with open(stat) as fp:
            f = fp.read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    before = cpu()
    with pytest.raises(AssertionError):
        wait_for(lambda: cpu() - before > 50, timeout=1.0)


def test_keys_never_logged(gateway_factory, pki, tmp_path):
    gw = tls_gateway(gateway_factory, pki, tmp_path, client_ca=True,
                     gateway={"log_level": "debug"})
    curl(gw, "/v1/health", "--cacert", pki("ca.pem"), "--cert",
         pki("cli.pem"), "--key", pki("cli.key"))
    gw.reload()
    with open(pki("srv.key")) as fp:
        key_lines = [l for l in fp.read().splitlines() if "-----" not in l]
    log = gw.log()
    assert "PRIVATE KEY" not in log
    for line in key_lines:
        assert line not in log


def test_bad_certificate_files_stop_the_start(gateway_factory, pki, tmp_path):
    gw = gateway_factory(start=False, http={
        "tls_listen": "127.0.0.1:%d" % free_port(),
        "tls_cert": pki("srv.pem"), "tls_key": pki("srv2.key")})
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    assert "tls_key %s: cannot load a PEM private key that matches " \
        "tls_cert" % pki("srv2.key") in gw.log()
    gw = gateway_factory(start=False, http={
        "tls_listen": "127.0.0.1:%d" % free_port(),
        "tls_cert": pki("nothing.pem"), "tls_key": pki("srv.key")})
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    assert "cannot load a PEM certificate chain" in gw.log()
    gw = gateway_factory(start=False, http={
        "tls_listen": "127.0.0.1:%d" % free_port()})
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    assert "tls_cert and tls_key are both needed" in gw.log()


def listening(port):
    with open("/proc/net/tcp") as a, open("/proc/net/tcp6") as b:
        text = a.read() + b.read()
    return re.search(r":%04X [0-9A-F:]+ 0A " % port, text) is not None


def test_plain_http_off_loopback_refused(gateway_factory):
    gw = gateway_factory(start=False)
    port = gw.http_port
    gw.write_ini({"http": {"listen": "0.0.0.0:%d" % port}})
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    assert "is not a loopback address: plain HTTP would be exposed" \
        in gw.log()
    assert not listening(port)
    # Allowed by the ini, but still not without tokens.
    gw.write_ini({"http": {"listen": "0.0.0.0:%d" % port,
                           "plain_nonloopback": 1}})
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    assert "refusing to run without authentication" in gw.log()
    assert not listening(port)
    # Allowed and with a token: it runs, and wants the token.
    gw.write_ini({"http": {"listen": "0.0.0.0:%d" % port,
                           "plain_nonloopback": 1},
                  "auth": {"admin_token": TOKEN}})
    gw.start()
    assert gw.http("GET", "/v1/devices")[0] == 401
    assert gw.http("GET", "/v1/devices", headers={
        "Authorization": "Bearer " + TOKEN})[0] == 200


def test_tls_off_loopback_needs_tokens(gateway_factory, pki):
    gw = gateway_factory(start=False)
    tls_port = free_port()
    http = {"tls_listen": "0.0.0.0:%d" % tls_port,
            "tls_cert": pki("srv.pem"), "tls_key": pki("srv.key")}
    gw.write_ini({"http": http})
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    assert "refusing to run without authentication" in gw.log()
    assert not listening(tls_port)
    gw.write_ini({"http": http, "auth": {"read_token": TOKEN}})
    gw.start()
    gw.tls_port = tls_port
    rc, status, _, _ = curl(gw, "/v1/devices", "--cacert", pki("ca.pem"))
    assert rc == 0 and status == 401
    rc, status, _, _ = curl(gw, "/v1/devices", "--cacert", pki("ca.pem"),
                            "-H", "Authorization: Bearer " + TOKEN)
    assert rc == 0 and status == 200


def https_conn(gw, pki):
    ctx = ssl.create_default_context(cafile=pki("ca.pem"))
    return http.client.HTTPSConnection("localhost", gw.tls_port,
                                       context=ctx, timeout=10)


def test_connection_close_gets_the_whole_answer(gateway_factory, pki,
                                                tmp_path):
    # evhttp shuts the socket down once the write callback says all is
    # sent: the ciphertext must have left by then.
    gw = tls_gateway(gateway_factory, pki, tmp_path)
    for _ in range(20):
        rc, status, body, err = curl(gw, "/v1/health", "--cacert",
                                     pki("ca.pem"), "-H",
                                     "Connection: close")
        assert rc == 0 and status == 200 and '"status":"ok"' in body, err


def test_request_whose_client_hung_up_never_goes(gateway_factory, pki,
                                                tmp_path, devices):
    """As over plain HTTP (test_proxy.py): the TLS client's close reaches
    the gateway through the TLS layer and drops its waiting request."""
    gw = tls_gateway(gateway_factory, pki, tmp_path, proxy={"collapse": 0})
    ctx = ssl.create_default_context(cafile=pki("ca.pem"))
    check_hung_up_request_dropped(gw, devices, lambda: ctx.wrap_socket(
        socket.create_connection(("127.0.0.1", gw.tls_port)),
        server_hostname="localhost"))


def register_many(gw, n):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(n):
            msg = coap_message(mtype=0, code=0x02, mid=i + 1,
                               token=i.to_bytes(2, "big"),
                               options=[(URI_PATH, b"rd"),
                                        (CONTENT_FORMAT, b"\x28"),
                                        (URI_QUERY, b"ep=big-%05d-%s" %
                                         (i, b"x" * 40)),
                                        (URI_QUERY, b"lt=300")],
                               payload=b"</1/0>,</3/0>")
            assert coap_exchange(s, msg, ("127.0.0.1",
                                          gw.coap_port))["code"] == "2.01"


def test_large_answer_to_a_slow_reader(gateway_factory, pki, tmp_path):
    # Bigger than the socket buffer's high watermark: plaintext waits in
    # the filter until ciphertext leaves, and all of it arrives.
    gw = tls_gateway(gateway_factory, pki, tmp_path)
    register_many(gw, 400)
    plain = gw.get_json("/v1/devices?limit=1000")
    assert len(plain["devices"]) == 400
    conn = https_conn(gw, pki)
    try:
        conn.sock = None
        conn.connect()
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        conn.request("GET", "/v1/devices?limit=1000",
                     headers={"Connection": "close"})
        resp = conn.getresponse()
        data = b""
        while True:
            chunk = resp.read(1000)
            if not chunk:
                break
            data += chunk
    finally:
        conn.close()
    assert resp.status == 200 and len(data) > 65536
    assert json.loads(data)["devices"] == plain["devices"]


def test_event_stream_over_https(gateway_factory, pki, tmp_path):
    gw = tls_gateway(gateway_factory, pki, tmp_path,
                     events={"keepalive": 1})
    conn = https_conn(gw, pki)
    try:
        conn.request("GET", "/v1/events")
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("content-type").startswith(
            "text/event-stream")
        gw.register("sse-tls-1")
        seen = b""
        while b"sse-tls-1" not in seen:
            line = resp.fp.readline()
            assert line, "stream ended: %r" % seen
            seen += line
        # Keep-alive comments keep coming over TLS.
        line = b""
        while not line.startswith(b":"):
            line = resp.fp.readline()
            assert line
    finally:
        conn.close()
    assert gw.alive()


@pytest.mark.parametrize("text,msg", [
    ("[http]\nlisten = 0.0.0.0:8080\n",
     "is not a loopback address: plain HTTP would be exposed"),
    ("[http]\nlisten = [::]:8080\nplain_nonloopback = 1\n",
     "refusing to run without authentication"),
    ("[http]\ntls_listen = 0.0.0.0:8443\ntls_cert = c.pem\ntls_key = k.pem\n",
     "refusing to run without authentication"),
    ("[http]\ntls_listen = 127.0.0.1:8443\n",
     "tls_listen needs tls_cert and tls_key"),
    ("[http]\ntls_listen = localhost:8443\n",
     "host must be a numeric IPv4"),
])
def test_check_reports_exposure(run_outpost, tmp_path, text, msg):
    ini = tmp_path / "gw.ini"
    ini.write_text(text)
    rc, out, err = run_outpost("-n", "-c", str(ini))
    assert rc == 1 and "configuration OK" not in out
    assert msg in err, err


def test_check_accepts_what_is_allowed(run_outpost, tmp_path):
    ini = tmp_path / "gw.ini"
    ini.write_text("[http]\nlisten = 0.0.0.0:8080\nplain_nonloopback = 1\n"
                   "[auth]\ntoken_file = /run/secrets/tokens\n")
    rc, out, err = run_outpost("-n", "-c", str(ini))
    assert rc == 0 and out == "configuration OK\n", err


def test_check_reads_a_token_file_that_is_there(run_outpost, tmp_path):
    """-n loads a token file that exists as a start would: one with no
    token leaves an exposed listener without authentication, and a bad one
    is an error; a file not there yet (a secret mounted later) is left to
    the start."""
    tokens = tmp_path / "tokens"
    tokens.write_text("# no token yet\n")
    ini = tmp_path / "gw.ini"
    ini.write_text("[http]\nlisten = 0.0.0.0:8080\nplain_nonloopback = 1\n"
                   "[auth]\ntoken_file = %s\n" % tokens)
    rc, out, err = run_outpost("-n", "-c", str(ini))
    assert rc == 1 and "refusing to run without authentication" in err, err
    tokens.write_text("short admin\n")
    rc, out, err = run_outpost("-n", "-c", str(ini))
    assert rc == 1 and "configuration OK" not in out, err
    tokens.write_text("0123456789abcdef0123 admin\n")
    rc, out, err = run_outpost("-n", "-c", str(ini))
    assert rc == 0 and out == "configuration OK\n", err


def test_world_readable_key_is_warned_about(gateway_factory, pki, tmp_path):
    shutil.copy(pki("srv.key"), str(tmp_path / "open.key"))
    os.chmod(str(tmp_path / "open.key"), 0o644)
    gw = gateway_factory(http={"tls_listen": "127.0.0.1:%d" % free_port(),
                               "tls_cert": pki("srv.pem"),
                               "tls_key": str(tmp_path / "open.key")})
    assert "open.key may be read or written by other users (mode 0644)" \
        in gw.log()
