"""
The guard of the HTTP listeners ([http] max_connections,
max_connections_per_addr, header_timeout): one address cannot take the
API's connections, a head sent a byte at a time is cut at its deadline
(which each byte does not restart), and a gateway out of descriptors
pauses its listener instead of spinning and filling the log.
"""
import http.client
import resource
import select
import socket
import time

from conftest import wait_for

PARTIAL = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: "


def _half_open(port, src=None, n=1):
    """n connections that sent part of a request head, from src."""
    out = []
    for _ in range(n):
        s = socket.socket()
        if src is not None:
            s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(PARTIAL)
        out.append(s)
    return out


def _closed(s):
    """Whether the gateway has closed s (EOF or reset), without waiting."""
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as fp:
        f = fp.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / float(
        __import__("os").sysconf("SC_CLK_TCK"))


def _health(gw):
    try:
        return gw.http("GET", "/v1/health", timeout=2)[0] == 200
    except OSError:
        return False


def test_one_address_cannot_take_the_connections(gateway_factory):
    """Twice max_connections_per_addr half-sent requests from 127.0.0.2:
    the ones beyond the cap are closed at once, the rest wait, and
    127.0.0.1 is still served (HTTP and CoAP), with few lines logged."""
    gw = gateway_factory(http={"max_connections_per_addr": 8})
    mark = gw.log_mark()
    socks = _half_open(gw.http_port, "127.0.0.2", 16)
    try:
        wait_for(lambda: sum(_closed(s) for s in socks) == 8,
                 what="8 connections over the cap closed")
        assert gw.http("GET", "/v1/health")[0] == 200
        gw.register("capped-1")
        assert sum(_closed(s) for s in socks) == 8
        added = gw.log()[mark:].splitlines()
        assert len([l for l in added if "max_connections" in l]) <= 2, \
            added
        assert len(added) <= 6, added
    finally:
        for s in socks:
            s.close()


def test_a_trickled_head_is_cut_at_header_timeout(gateway_factory):
    """A head sent a byte at a time (each byte would restart the idle
    timeout) is closed header_timeout after the accept; a stream and a
    keep-alive connection whose heads were complete stay open past it."""
    gw = gateway_factory(http={"header_timeout": 1, "timeout": 60})
    sse = socket.create_connection(("127.0.0.1", gw.http_port))
    sse.sendall(b"GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
    keep = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=5)
    keep.request("GET", "/v1/health")
    assert keep.getresponse().read() is not None
    s = socket.create_connection(("127.0.0.1", gw.http_port))
    start = time.monotonic()
    try:
        s.sendall(PARTIAL)
        closed = False
        while time.monotonic() - start < 10 and not closed:
            try:
                s.sendall(b"a")
            except OSError:
                closed = True
                break
            # Waits for the close, a byte's time at most.
            if select.select([s], [], [], 0.1)[0]:
                closed = _closed(s)
        took = time.monotonic() - start
        assert closed, "the trickled head was never cut"
        assert 0.9 <= took < 4, took
        # The stream's and keep-alive connection's heads were complete.
        keep.request("GET", "/v1/health")
        assert keep.getresponse().status == 200
        gw.register("streamed-1")
        sse.settimeout(5)
        got = b""
        while b"streamed-1" not in got:
            data = sse.recv(65536)
            assert data, "the stream was closed: %r" % got
            got += data
    finally:
        s.close()
        sse.close()
        keep.close()


def test_out_of_descriptors_pauses_instead_of_spinning(gateway_factory):
    """With RLIMIT_NOFILE 64 and more connections than that, accept fails
    with EMFILE: the gateway pauses its listener (little CPU, a line or two
    of log) and serves again once the connections are gone."""
    gw = gateway_factory(start=False,
                         http={"max_connections": 1000,
                               "max_connections_per_addr": 1000,
                               "header_timeout": 60})
    old = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, old[1]))
    try:
        gw.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, old)
    mark = gw.log_mark()
    socks = _half_open(gw.http_port, n=100)
    try:
        gw.wait_log("accept failed", since=mark)
        # The measure is over a span of time: a gateway that spins burns
        # the whole span.
        cpu = _cpu_seconds(gw.proc.pid)
        time.sleep(2)
        cpu = _cpu_seconds(gw.proc.pid) - cpu
        assert cpu < 0.3, "%.2f s of CPU in 2 s" % cpu
        added = gw.log()[mark:].splitlines()
        assert len(added) <= 3, added
    finally:
        for s in socks:
            s.close()
    wait_for(lambda: _health(gw), timeout=10, what="GET /v1/health")
    assert len(gw.log()[mark:].splitlines()) <= 4, gw.log()[mark:]
