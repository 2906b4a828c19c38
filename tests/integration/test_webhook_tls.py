"""[webhook] url = https://...: events reach an HTTPS receiver through the
same TLS code as the API, and only a receiver whose certificate chains to
[webhook] ca_file and names the url's host gets them; refused events stay in
the outbox until a good configuration is reloaded."""
import http.server
import os
import shutil
import socket
import ssl
import threading

import pytest

from conftest import free_port, wait_for
from test_https import make_ca, make_cert
from test_webhook import Receiver


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.fail("openssl not found (scripts/install-deps.sh)")
    d = str(tmp_path_factory.mktemp("whpki"))
    make_ca(d, "ca")
    make_ca(d, "otherca")
    make_cert(d, "rx", "ca", "receiver", "DNS:localhost")
    make_cert(d, "wrongname", "ca", "elsewhere", "DNS:elsewhere.example")
    return lambda name: os.path.join(d, name)


class TlsReceiver(Receiver):
    """An HTTPS receiver on loopback (127.0.0.1, and ::1 when there is
    one, on the same port) that records the JSON it is POSTed and answers
    `fail` first requests with 503."""

    def __init__(self, cert, key, fail=0):
        self.port = free_port(socket.SOCK_STREAM)
        self.events, self.attempts, self.fail = [], 0, fail
        Handler = self.handler()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.servers = []
        for family, host in ((socket.AF_INET, "127.0.0.1"),
                             (socket.AF_INET6, "::1")):
            cls = type("S", (http.server.HTTPServer,),
                       {"address_family": family})
            try:
                srv = cls((host, self.port), Handler)
            except OSError:
                continue
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            self.servers.append(srv)

    def close(self):
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()


@pytest.fixture
def receivers():
    made = []

    def make(*args, **kw):
        r = TlsReceiver(*args, **kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()


def hooked(gateway_factory, rx, ca):
    return gateway_factory(webhook={
        "url": "https://localhost:%d/hook" % rx.port, "ca_file": ca,
        "retry_max": 1})


def test_events_reach_an_https_receiver(gateway_factory, receivers, pki):
    rx = receivers(pki("rx.pem"), pki("rx.key"), fail=1)
    gw = hooked(gateway_factory, rx, pki("ca.pem"))
    gw.register("whtls-1")
    gw.register("whtls-2")
    wait_for(lambda: len(rx.events) >= 2, 15, what="two events over TLS")
    assert [e["ep"] for e in rx.events[:2]] == ["whtls-1", "whtls-2"]
    assert rx.events[0]["type"] == "registration"
    assert rx.attempts >= 3                 # the 503 was retried
    assert "answered 503" in gw.log()


@pytest.mark.parametrize("cert,ca,why", [
    ("rx", "otherca.pem", "certificate verify failed"),  # other CA
    ("wrongname", "ca.pem", "subject name mismatch"),  # another name
])
def test_untrusted_receiver_gets_nothing(gateway_factory, receivers, pki,
                                         cert, ca, why):
    rx = receivers(pki(cert + ".pem"), pki(cert + ".key"))
    gw = hooked(gateway_factory, rx, pki(ca))
    mark = gw.log_mark()
    gw.register("whtls-3")
    gw.wait_log("connection or TLS handshake failed", since=mark,
                timeout=10)
    line = gw.wait_log("handshake failed:", since=mark)
    assert why in line, line
    assert rx.events == []
    if cert == "rx":
        # The right CA on reload: the event kept in the outbox arrives.
        gw.write_ini({"webhook": {
            "url": "https://localhost:%d/hook" % rx.port,
            "ca_file": pki("ca.pem"), "retry_max": 1}})
        gw.reload()
        wait_for(lambda: rx.events, 15, what="the kept event")
        assert rx.events[0]["ep"] == "whtls-3"


def test_bad_ca_file_stops_the_start(gateway_factory, tmp_path):
    gw = gateway_factory(start=False, webhook={
        "url": "https://localhost:1/hook",
        "ca_file": str(tmp_path / "none.pem")})
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    assert "cannot load PEM CA certificates" in gw.log()
