"""
The service manager's readiness protocol (sd_notify, systemd Type=notify):
the test binds the unix datagram socket systemd would, names it in
NOTIFY_SOCKET, and reads what the gateway and the agent tell it, checking
the sender's pid as systemd's NotifyAccess=main does.
"""
import os
import signal
import socket
import struct
import tempfile
import time

import pytest

from conftest import wait_for



class Manager:
    """The manager's end: a bound AF_UNIX datagram socket with
    SO_PASSCRED, so every message comes with its sender's pid."""

    def __init__(self, abstract=False):
        self.dir = None
        if abstract:
            self.name = "@outpost-notify-%d-%d" % (os.getpid(),
                                                   time.monotonic_ns())
            addr = "\0" + self.name[1:]
        else:
            # A short directory: sun_path holds 108 bytes.
            self.dir = tempfile.mkdtemp(prefix="opn-", dir="/tmp")
            self.name = addr = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(addr)
        self.messages = []      # [(pid, {key: value})]

    def recv(self, timeout):
        """The next message as (pid, {key: value}), or None on timeout."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            return None
        pid = None
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and \
                    kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", value[:12])[0]
        fields = dict(line.split("=", 1) for line in
                      data.decode().split("\n") if line)
        self.messages.append((pid, fields))
        return pid, fields

    def wait(self, key, value="1", timeout=10.0):
        """Reads messages until one sets key=value; returns its fields."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv(deadline - time.monotonic())
            if msg is None:
                raise AssertionError("no %s=%s within %.0fs; got %r" % (
                    key, value, timeout, self.messages))
            if msg[1].get(key) == value:
                return msg

    def close(self):
        self.sock.close()
        if self.dir is not None:
            os.unlink(self.name)
            os.rmdir(self.dir)


@pytest.fixture
def manager(monkeypatch):
    m = Manager()
    monkeypatch.setenv("NOTIFY_SOCKET", m.name)
    yield m
    m.close()


def test_gateway_ready_only_when_serving_then_reload_and_stop(
        gateway_factory, manager):
    gw = gateway_factory(start=False)
    gw.start(wait=False)
    pid, fields = manager.wait("READY")
    assert pid == gw.proc.pid
    # Ready means ready: HTTP answers and the CoAP port is taken, at once.
    assert gw.http("GET", "/v1/health")[0] == 200
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        with pytest.raises(OSError):
            s.bind(("127.0.0.1", gw.coap_port))
    assert [m for m in manager.messages if m[1].get("READY")] == \
        [(pid, fields)], "READY=1 sent once at start"

    gw.send_signal(signal.SIGHUP)
    _, reloading = manager.wait("RELOADING")
    assert int(reloading["MONOTONIC_USEC"]) > 0
    _, ready = manager.wait("READY")
    assert ready["STATUS"] == "configuration reloaded"
    gw.wait_log("configuration reloaded")

    # A bad file on reload: the old configuration runs on, and the manager
    # hears READY=1 again, or it would wait for the reload forever.
    gw.write_ini(extra="[registry]\nno_such_key = 1\n")
    gw.send_signal(signal.SIGHUP)
    manager.wait("RELOADING")
    _, ready = manager.wait("READY")
    assert "reload failed" in ready["STATUS"]
    assert gw.http("GET", "/v1/health")[0] == 200

    gw.send_signal(signal.SIGTERM)
    pid, _ = manager.wait("STOPPING")
    assert pid == gw.proc.pid
    assert gw.wait_exit() == 0


def test_gateway_that_cannot_start_never_says_ready(gateway_factory,
                                                     manager):
    busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        gw = gateway_factory(start=False, http={
            "listen": "127.0.0.1:%d" % busy.getsockname()[1]})
        gw.write_ini()
        gw.start(wait=False)
        rc = gw.wait_exit(10)
    finally:
        busy.close()
    assert rc != 0
    while manager.recv(0.2) is not None:
        pass
    assert not [m for m in manager.messages if "READY" in m[1]]


def test_abstract_socket_name(gateway_factory, monkeypatch):
    m = Manager(abstract=True)
    monkeypatch.setenv("NOTIFY_SOCKET", m.name)
    try:
        gw = gateway_factory(start=False)
        gw.start(wait=False)
        pid, _ = m.wait("READY")
        assert pid == gw.proc.pid
    finally:
        m.close()


@pytest.mark.parametrize("name", ["/nonexistent/dir/notify", "relative",
                                  "@", "/" + "x" * 200])
def test_a_socket_nobody_listens_on_changes_nothing(gateway_factory,
                                                    monkeypatch, name):
    monkeypatch.setenv("NOTIFY_SOCKET", name)
    gw = gateway_factory()      # waits for /v1/health
    gw.reload()
    assert gw.stop() == 0


def test_node_ready_and_stopping(gateway, node_factory, manager):
    node = node_factory(gateway, ep="notify-1", start=False)
    node.start()
    pid, _ = manager.wait("READY")
    assert pid == node.proc.pid
    node.proc.send_signal(signal.SIGTERM)
    pid, _ = manager.wait("STOPPING")
    assert pid == node.proc.pid
    node.proc.wait(10)
    assert node._reaped() == 0


def test_watchdog_keepalives_from_the_reactor(gateway_factory, manager,
                                              monkeypatch):
    """WatchdogSec=: WATCHDOG_USEC asks for a keep-alive at least that
    often; the gateway sends WATCHDOG=1 from its reactor at half the
    period."""
    monkeypatch.setenv("WATCHDOG_USEC", "200000")
    gw = gateway_factory(start=False)
    gw.start(wait=False)
    manager.wait("READY")
    for _ in range(3):
        pid, _ = manager.wait("WATCHDOG", timeout=5)
        assert pid == gw.proc.pid


def test_watchdog_for_another_process_is_not_ours(gateway_factory, manager,
                                                  monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "200000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    gw = gateway_factory(start=False)
    gw.start(wait=False)
    manager.wait("READY")
    # Two seconds of uptime: ten keep-alive periods, had any been asked.
    wait_for(lambda: gw.get_json("/v1/health")["uptime_s"] >= 2, 10,
             what="two seconds of uptime")
    gw.send_signal(signal.SIGTERM)
    manager.wait("STOPPING")
    assert not [m for m in manager.messages if "WATCHDOG" in m[1]]
    assert gw.wait_exit() == 0


def test_node_watchdog(gateway, node_factory, manager, monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "200000")
    node = node_factory(gateway, ep="notify-dog", start=False)
    node.start()
    manager.wait("READY")
    pid, _ = manager.wait("WATCHDOG", timeout=5)
    assert pid == node.proc.pid
