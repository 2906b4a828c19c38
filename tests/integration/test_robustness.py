"""Garbage on the CoAP port must not hurt the gateway: afterwards it still
registers devices, answers /v1/health, and the process is alive."""
import os
import random
import resource
import re
import signal
import socket
import subprocess

import pytest

from conftest import (CONTENT_FORMAT, URI_PATH, URI_QUERY, coap_message,
                      coap_parse, free_port)


HEADER = b"\x40\x02\x12\x34"     # CON POST, message id 0x1234, no token

GARBAGE = [
    ("empty", b""),
    ("one_byte", b"\x40"),
    ("two_bytes", b"\x40\x02"),
    ("three_bytes", b"\x40\x02\x12"),
    ("version_0", b"\x00\x02\x12\x34"),
    ("version_3", b"\xc0\x02\x12\x34"),
] + [
    ("token_length_%d" % n, bytes([0x40 | n]) + b"\x02\x12\x34" + b"\xaa" * n)
    for n in range(9, 16)
] + [
    ("token_longer_than_datagram", b"\x48\x02\x12\x34\xaa\xbb"),
    ("option_delta_15", HEADER + b"\xf0"),
    ("option_delta_15_then_more", HEADER + b"\xf3abc\x00\x00"),
    ("option_length_15", HEADER + b"\x0f" + b"x" * 20),
    ("huge_option_length", HEADER + b"\xbe\xff\xff" + b"rd"),
    ("huge_option_delta", HEADER + b"\xe0\xff\xff"),
    ("option_length_past_end", HEADER + b"\xbd\xf0rd"),
    ("extended_delta_truncated", HEADER + b"\xd0"),
    ("extended_length_truncated", HEADER + b"\xbe\x01"),
    ("payload_marker_without_payload", HEADER + b"\xb2rd\xff"),
    ("empty_con_with_token", b"\x41\x00\x12\x34\x99"),
    ("empty_con_with_payload", b"\x40\x00\x12\x34\xffabc"),
    ("unexpected_ack", b"\x60\x45\x12\x34"),
    ("unexpected_rst", b"\x70\x00\x12\x34"),
    ("reserved_code", b"\x40\xe0\x12\x34"),
    ("unknown_critical_option",
     coap_message(options=[(URI_PATH, b"rd"), (URI_QUERY, b"ep=crit"),
                           (2049, b"x")], payload=b"</1/0>")),
    ("query_with_nul",
     coap_message(options=[(URI_PATH, b"rd"), (URI_QUERY, b"ep=a\x00b")])),
    ("query_not_utf8",
     coap_message(options=[(URI_PATH, b"rd"), (URI_QUERY, b"ep=\xff\xfe")])),
    ("long_ep",
     coap_message(options=[(URI_PATH, b"rd"), (URI_QUERY, b"ep=" +
                                               b"e" * 1000)])),
    ("links_binary",
     coap_message(options=[(URI_PATH, b"rd"), (CONTENT_FORMAT, b"\x28"),
                           (URI_QUERY, b"ep=bin")],
                  payload=bytes(range(256)))),
    ("content_format_too_long",
     coap_message(options=[(URI_PATH, b"rd"),
                           (CONTENT_FORMAT, b"\x01\x02\x03\x04\x05"),
                           (URI_QUERY, b"ep=cf")], payload=b"</1/0>")),
    ("block1_reserved_szx",
     coap_message(options=[(URI_PATH, b"rd"), (URI_QUERY, b"ep=blk"),
                           (27, b"\x0f")], payload=b"</1/0>")),
    ("block1_more_no_rest",
     coap_message(options=[(URI_PATH, b"rd"), (URI_QUERY, b"ep=blk2"),
                           (27, b"\x08")], payload=b"</1/0>" * 3)),
    ("rd_id_too_many_segments",
     coap_message(options=[(URI_PATH, b"rd"), (URI_PATH, b"0" * 12),
                           (URI_PATH, b"x")])),
    ("rd_id_binary",
     coap_message(options=[(URI_PATH, b"rd"), (URI_PATH, b"\x00" * 12)])),
    ("max_datagram", b"\x40\x02\x12\x34" + b"\xff" + b"A" * 65000),
]


def check_unhurt(gw, ep="after-garbage", src_port=None):
    assert gw.alive(), gw.log()
    assert gw.get_json("/v1/health")["status"] == "ok"
    try:
        reg_id = gw.register(ep, src_port=src_port)
        assert gw.device(ep)["registration_id"] == reg_id
        r = gw.update(reg_id)
        assert r.code == "2.04", r
    except AssertionError as e:
        # Rare in CI and never reproduced locally: keep what the gateway
        # said, and the registry as it is now.
        raise AssertionError("%s\ndevice: %r\nmetrics: %r\ngateway log:\n%s"
                             % (e, gw.http("GET", "/v1/devices/" + ep),
                                {k: v for k, v in gw.metrics().items()
                                 if "coap" in k or "reg" in k},
                                gw.log()[-6000:]))
    assert gw.alive()


@pytest.mark.parametrize("data", [g[1] for g in GARBAGE],
                         ids=[g[0] for g in GARBAGE])
def test_garbage_datagram(gateway, data):
    """Sent twice from one source port, which then registers a device:
    whatever session the garbage left behind must not get in the way."""
    port = free_port(socket.SOCK_DGRAM)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", port))
        s.sendto(data, ("127.0.0.1", gateway.coap_port))
        s.sendto(data, ("127.0.0.1", gateway.coap_port))
    check_unhurt(gateway, src_port=port)


def test_random_datagrams(gateway):
    rng = random.Random(20261123)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(2000):
            n = rng.choice([0, 1, 3, 4, 5, 8, 16, 64, 300, 1200, 1500])
            data = bytes(rng.getrandbits(8) for _ in range(n))
            if i % 2:
                # Keep the version bits right so that parsing goes deeper.
                data = bytes([0x40 | (rng.getrandbits(8) & 0x3f)]) + data
            s.sendto(data, ("127.0.0.1", gateway.coap_port))
    check_unhurt(gateway)
    # The gateway is not left spinning on leftovers: a second device too.
    check_unhurt(gateway, ep="after-garbage-2")


def test_mutated_registrations(gateway):
    """Valid registrations with one byte changed at random."""
    rng = random.Random(7)
    base = coap_message(mtype=0, token=b"\x01\x02\x03\x04",
                        options=[(URI_PATH, b"rd"), (CONTENT_FORMAT, b"\x28"),
                                 (URI_QUERY, b"ep=mut"),
                                 (URI_QUERY, b"lt=300"),
                                 (URI_QUERY, b"b=UQ")],
                        payload=b'</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>')
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0)
        for i in range(1500):
            data = bytearray(base)
            for _ in range(rng.randint(1, 3)):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
            data[2:4] = i.to_bytes(2, "big")
            s.sendto(bytes(data), ("127.0.0.1", gateway.coap_port))
            try:
                while s.recv(2048):
                    pass
            except OSError:
                pass
    check_unhurt(gateway)


def test_raw_register_is_answered(gateway):
    """The raw encoder of this file makes a registration the gateway takes
    (so the garbage above differs from a good message only as intended)."""
    msg = coap_message(token=b"\x07\x08", mid=0x4242,
                       options=[(URI_PATH, b"rd"), (CONTENT_FORMAT, b"\x28"),
                                (URI_QUERY, b"ep=raw-1"),
                                (URI_QUERY, b"lt=300")],
                       payload=b"</1/0>")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(msg, ("127.0.0.1", gateway.coap_port))
        reply = None
        while reply is None or reply[1] == 0:   # skip an empty ACK
            reply = s.recv(2048)
    assert reply[1] == 0x41, reply          # 2.01 Created
    assert reply[4:6] == b"\x07\x08"        # our token
    d = gateway.device("raw-1")
    assert d["objects"] == [{"path": "/1/0"}]
    assert d["registration_id"].encode() in reply


def test_burst_mixed_with_garbage_is_answered_without_retransmission(
        gateway):
    """Registrations sent once each (a raw socket never retransmits), in
    one burst with garbage between them, are all answered: nothing is left
    unread until some later datagram wakes the gateway."""
    addr = ("127.0.0.1", gateway.coap_port)
    socks = []
    try:
        for i in range(40):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        socks.append(junk)
        for i, s in enumerate(socks[:-1]):
            junk.sendto(b"\x40\x02" if i % 2 else b"\x50\x00\x00\x01", addr)
            s.sendto(coap_message(mid=0x3000 + i, token=bytes([i]),
                                  options=[(URI_PATH, b"rd"),
                                           (CONTENT_FORMAT, b"\x28"),
                                           (URI_QUERY, b"ep=burst-%02d" % i)],
                                  payload=b"</1/0>"), addr)
        junk.sendto(b"\xff" * 7, addr)
        ids = {}
        for i, s in enumerate(socks[:-1]):
            s.settimeout(5)
            reply = coap_parse(s.recv(2048))
            while reply["code"] == "0.00":
                reply = coap_parse(s.recv(2048))
            assert reply["code"] == "2.01", (i, reply)
            assert reply["token"] == bytes([i])
            ids["burst-%02d" % i] = reply["location"][1]
    finally:
        for s in socks:
            s.close()
    listed = {d["ep"]: d["registration_id"]
              for d in gateway.devices("?limit=1000")["devices"]}
    assert listed == ids


def test_coap_receive_buffer_is_what_the_ini_says(gateway_factory):
    """[coap] rcvbuf sizes the CoAP socket's receive buffer (a fleet's burst
    must not be dropped by the kernel before the gateway reads it); the
    kernel reports twice the size asked for its bookkeeping."""
    want = 1 << 20
    gw = gateway_factory(coap={"rcvbuf": want})
    out = subprocess.run(["ss", "-uamn", "sport = :%d" % gw.coap_port],
                         capture_output=True, text=True, check=True).stdout
    rb = re.search(r"rb(\d+)", out)
    assert rb, out
    if os.geteuid() == 0:       # may go past net.core.rmem_max
        assert int(rb.group(1)) == 2 * want, out
    else:
        assert int(rb.group(1)) >= min(want, 212992), out


def test_a_listen_port_in_the_ephemeral_range_is_warned_of(gateway_factory):
    """libcoap binds with SO_REUSEADDR, and the kernel may hand a CoAP
    client on the box the gateway's port if it lies in the ephemeral range:
    the operator is told at start. The test's own ports lie below it."""
    lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range")
                 .read().split())
    quiet = gateway_factory()
    assert "ephemeral port range" not in quiet.log()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert lo <= port <= hi
    gw = gateway_factory(coap={"listen": "127.0.0.1:%d" % port})
    gw.coap_port = port
    assert "127.0.0.1:%d is in the kernel's ephemeral port range" % port \
        in gw.log()
    assert gw.register("eph-1")


def _core_files(d):
    return [f for f in os.listdir(d) if f == "core" or f.startswith("core.")]


@pytest.mark.skipif(not open("/proc/sys/kernel/core_pattern").read()
                    .startswith("core"),
                    reason="the kernel hands core dumps to a program here")
def test_a_crash_leaves_no_core_with_the_tokens(gateway_factory):
    """Even where core dumps are allowed (RLIMIT_CORE unlimited, as a shell
    with ulimit -c unlimited gives), the gateway is not dumpable: a crash
    writes no core, which would hold the API tokens and devices' keys."""
    token = "admin-token-for-the-core-test-0123456789"
    gw = gateway_factory(start=False, auth={"admin_token": token})
    old = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,
                                              resource.RLIM_INFINITY))
    try:
        gw.start()
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, old)
    with open("/proc/%d/limits" % gw.proc.pid) as fp:
        assert "unlimited" in [l for l in fp if "core file" in l][0]
    with open("/proc/%d/coredump_filter" % gw.proc.pid) as fp:
        assert int(fp.read(), 16) != 0   # the kernel would dump its pages
    gw.send_signal(signal.SIGABRT)
    assert gw.wait_exit() == -signal.SIGABRT
    assert _core_files(gw.dir) == [], "a core dump was written"


def test_a_flood_of_garbage_does_not_fill_the_log(gateway):
    """Anyone can send datagrams: 3,000 malformed ones leave a few log
    lines (a budget a second, then one line counting the rest), not one
    or two lines each."""
    mark = gateway.log_mark()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(3000):
        s.sendto(b"\xff\xff\xff\xff" + bytes([i & 0xff]),
                 ("127.0.0.1", gateway.coap_port))
    s.close()
    gateway.register("after-flood")     # all of it was read by now
    lines = gateway.log()[mark:].splitlines()
    assert len(lines) < 60, "%d lines:\n%s" % (len(lines),
                                               "\n".join(lines[:80]))


def test_max_devices_holds_exactly_under_a_burst(gateway_factory):
    """Registrations of new devices that arrive together (one commit)
    never take the registry past [registry] max_devices: the cap counts
    what is staged, not only what is committed. Every register is answered
    2.01 or 5.03."""
    cap, n = 40, 160
    gw = gateway_factory(registry={"max_devices": cap})
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
             for _ in range(8)]
    for i in range(n):
        msg = coap_message(token=i.to_bytes(2, "big"), mid=i,
                           options=[(URI_PATH, b"rd"),
                                    (CONTENT_FORMAT, b"\x28"),
                                    (URI_QUERY, b"ep=burst-%d" % i),
                                    (URI_QUERY, b"lt=300")],
                           payload=b"</1/0>")
        socks[i % len(socks)].sendto(msg, ("127.0.0.1", gw.coap_port))
    answers = []
    for s in socks:
        s.settimeout(10)
        got = 0
        while got < n // len(socks):
            data = s.recv(2048)
            if data[1] != 0:            # not an empty ACK
                answers.append(data[1])
                got += 1
        s.close()
    assert answers.count(0x41) == cap, sorted(answers)       # 2.01
    assert answers.count(0xa3) == n - cap, sorted(answers)   # 5.03
    assert len(gw.get_json("/v1/devices?limit=1000")["devices"]) == cap


def _mappings_holding(pid, needle):
    """(start, end, flags) of each mapping of pid whose memory holds
    needle (read through /proc/PID/mem, as a debugger would)."""
    found, cur = [], None
    flags = {}
    with open("/proc/%d/smaps" % pid) as fp:
        for line in fp:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if m:
                cur = (int(m.group(1), 16), int(m.group(2), 16), m.group(3))
            elif line.startswith("VmFlags:") and cur is not None:
                flags[cur] = line.split()[1:]
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for (start, end, perms), vmflags in flags.items():
            if "r" not in perms or end - start > 256 << 20:
                continue
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, ValueError):
                continue
            if needle in data:
                found.append((start, end, vmflags))
    return found


def test_tokens_live_only_in_memory_left_out_of_dumps(gateway_factory):
    """Where the API token of gateway.ini is still in the gateway's memory
    after it has started (its configuration), that memory is marked to be
    left out of core dumps (MADV_DONTDUMP: "dd" in smaps): the parse's
    copies were wiped. (A token a client sends stays in libevent's buffers
    of that request, as any header does.)"""
    token = "admin-token-madv-dontdump-0123456789abcdef"
    gw = gateway_factory(auth={"admin_token": token})
    held = _mappings_holding(gw.proc.pid, token.encode())
    assert held, "the token is nowhere (the test reads the wrong memory)"
    assert all("dd" in flags for _, _, flags in held), \
        ["%x-%x %s" % (a, b, " ".join(f)) for a, b, f in held]
