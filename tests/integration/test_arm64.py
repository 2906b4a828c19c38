"""
The arm64 build (make CROSS=aarch64-linux-gnu) under qemu-user: the gateway
and the agent, both arm64, pass the smoke test of the field: the agent
registers, a read goes through the proxy, and a request for the agent while
it sleeps is queued and delivered when it wakes.

make test builds the arm64 binaries into $(B)-arm64/ and names that
directory in ARM64_DIR; without it (a single file run by hand, or the
sanitizer build, which cannot cross) the test is skipped.
"""
import os
import shutil
import stat
import subprocess

import pytest

import conftest
from conftest import wait_for
from test_node import wait_registered

ARM64_DIR = os.environ.get("ARM64_DIR")
EM_AARCH64 = 183        # ELF e_machine

pytestmark = pytest.mark.skipif(
    not ARM64_DIR, reason="ARM64_DIR not set: run through make test")

# qemu translates every instruction: give the emulated processes more time.
SLOW = 4


def elf_machine(path):
    with open(path, "rb") as fp:
        head = fp.read(20)
    assert head[:4] == b"\x7fELF", path
    return int.from_bytes(head[18:20], "little")


@pytest.fixture
def arm64(tmp_path, monkeypatch):
    """Points the suite's fixtures at the arm64 binaries, each run through
    a wrapper that execs qemu-aarch64 (signals reach the emulated process:
    qemu passes them on)."""
    qemu = shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")
    assert qemu, "qemu-user is not installed (scripts/install-deps.sh arm64)"
    out = {}
    for name, attr in (("outpost", "OUTPOST_BIN"), ("outpost-node",
                                                    "NODE_BIN")):
        binary = os.path.join(ARM64_DIR, name)
        assert os.path.isfile(binary), "%s is missing: make arm64" % binary
        assert elf_machine(binary) == EM_AARCH64, binary
        wrapper = tmp_path / ("qemu-" + name)
        wrapper.write_text("#!/bin/sh\nQEMU_LD_PREFIX=/ exec %s %s \"$@\"\n"
                           % (qemu, binary))
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setattr(conftest, attr, str(wrapper))
        out[name] = str(wrapper)
    return out


def emulated(proc):
    """True when the process is qemu running an arm64 program."""
    return "qemu-aarch64" in os.path.basename(os.readlink(
        "/proc/%d/exe" % proc.pid))


def test_register_read_through_the_proxy_and_queue_while_asleep(
        arm64, gateway_factory, node_factory):
    gw = gateway_factory(start=False, registry={"awake_window": 1})
    gw.start(wait=False)
    gw.wait_ready(timeout=10 * SLOW)
    assert emulated(gw.proc)
    assert gw.get_json("/v1/health")["status"] == "ok"

    # An always-reachable agent: read through the proxy.
    node = node_factory(gw, ep="arm-awake")
    wait_registered(gw, "arm-awake", timeout=10 * SLOW)
    assert emulated(node.proc)
    status, hdrs, body = gw.http("GET", "/v1/devices/arm-awake/r/3/0/0",
                                 timeout=10 * SLOW)
    assert (status, body) == (200, b"Outpost")
    status, _, body = gw.http("GET", "/v1/devices/arm-awake/r/3/0/2",
                              timeout=10 * SLOW)
    assert (status, body) == (200, b"arm-awake")

    # A queue-mode agent: once asleep, a read is queued (202) and answered
    # when it wakes.
    node_factory(gw, ep="arm-sleepy", sections={"node": {
        "binding": "UQ", "sleep": 3, "awake": 1}})
    wait_registered(gw, "arm-sleepy", timeout=10 * SLOW)
    gw.wait_state("arm-sleepy", "sleeping", timeout=10 * SLOW)
    status, hdrs, _ = gw.http("GET", "/v1/devices/arm-sleepy/r/3/0/0",
                              timeout=10 * SLOW)
    assert status == 202
    op = gw.get_json(hdrs["location"])["op"]
    done = wait_for(lambda: (lambda o: o if o["state"] == "done" else None)(
        gw.get_json("/v1/ops/%d" % op)), 15 * SLOW,
        what="the queued op delivered on wake-up")
    assert done["result"]["body"] == "Outpost"
    assert node.alive()
    assert gw.stop() == 0


def test_cross_setup_kept_the_native_dev_packages():
    """scripts/install-cross-deps.sh: the -dev packages that are not
    Multi-Arch: same were unpacked for arm64, never installed (installing
    them would have removed the amd64 ones the native build needs); the
    others are installed for both architectures."""
    def status(pkg):
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                             capture_output=True, text=True)
        return out.stdout if out.returncode == 0 else ""
    native = subprocess.run(["dpkg", "--print-architecture"],
                            capture_output=True, text=True).stdout.strip()
    for pkg in ("libevent-dev", "libwolfssl-dev"):
        assert status("%s:%s" % (pkg, native)).endswith("installed"), pkg
        assert not status(pkg + ":arm64").endswith(" installed"), pkg
        pc = "/usr/local/lib/outpost-cross/aarch64-linux-gnu/usr/lib/" \
             "aarch64-linux-gnu/pkgconfig"
        assert os.path.isdir(pc)
    for pkg in ("libcoap3-dev", "liblmdb-dev", "libcjson-dev"):
        for arch in (native, "arm64"):
            assert status("%s:%s" % (pkg, arch)).endswith(" installed"), \
                (pkg, arch)
