"""The LwM2M registration interface on CoAP /rd: register, update,
deregister, replacement, refusals, NAT rebinding, object lists."""
import calendar
import socket
import time

import pytest

from fakedev import block_value
from conftest import (CONTENT_FORMAT, RFC3339_UTC, URI_PATH, URI_QUERY,
                      WAKAAMA_LINKS, WAKAAMA_OBJECTS, coap_exchange,
                      coap_message, coap_parse, free_port)


def parse_time(s):
    assert RFC3339_UTC.match(s), s
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def udp_port():
    return free_port(socket.SOCK_DGRAM)


def assert_not_registered(gw, ep):
    status, _, _ = gw.http("GET", "/v1/devices/" + ep)
    assert status == 404
    assert gw.get_json("/v1/health")["devices"] == 0


def test_register_creates_device(gateway):
    port = udp_port()
    before = int(time.time())
    reg_id = gateway.register("node-1", lt=300, b="U", lwm2m="1.1",
                              links="</1/0>,</3/0>", src_port=port)
    after = int(time.time())
    d = gateway.device("node-1")
    assert d["ep"] == "node-1"
    assert d["state"] == "awake"
    assert d["binding"] == "U"
    assert d["queue_mode"] is False
    assert d["lifetime"] == 300
    assert d["lwm2m"] == "1.1"
    assert d["registration_id"] == reg_id
    for key in ("registered_at", "updated_at", "last_seen"):
        assert before <= parse_time(d[key]) <= after, (key, d[key])
    assert d["address"] == "127.0.0.1:%d" % port
    assert d["objects"] == [{"path": "/1/0"}, {"path": "/3/0"}]
    assert d["root_path"] == "/"
    assert gateway.get_json("/v1/health")["devices"] == 1
    listed = gateway.devices()["devices"]
    assert [x["ep"] for x in listed] == ["node-1"]
    assert listed[0]["registration_id"] == reg_id


def test_register_without_optional_parameters_takes_defaults(
        gateway_factory):
    gw = gateway_factory(registry={"default_lifetime": 777})
    gw.register("bare", lt=None, b=None, lwm2m=None, links=None)
    d = gw.device("bare")
    assert d["lifetime"] == 777
    assert d["binding"] == "U"
    assert d["lwm2m"] == "1.0"
    assert d["queue_mode"] is False
    assert d["objects"] == []


def test_register_ids_differ_per_device(gateway):
    ids = {gateway.register("dev-%d" % i) for i in range(4)}
    assert len(ids) == 4


def test_wakaama_registration_lists_objects(gateway):
    gateway.register("wakaama-1", links=WAKAAMA_LINKS)
    d = gateway.device("wakaama-1")
    assert d["objects"] == WAKAAMA_OBJECTS
    assert d["root_path"] == "/"


def test_alternate_root_path_is_stripped(gateway):
    gateway.register("alt-root", links='</lwm2m>;rt="oma.lwm2m",'
                     '</lwm2m/1/0>,</lwm2m/3/0>')
    d = gateway.device("alt-root")
    assert d["root_path"] == "/lwm2m"
    assert d["objects"] == [{"path": "/1/0"}, {"path": "/3/0"}]


@pytest.mark.parametrize("b,query", [("UQ", ""), ("U", "&Q")],
                         ids=["b=UQ", "Q-parameter"])
def test_queue_mode_from_binding_or_q(gateway, b, query):
    gateway.register("q-dev", b=b, query=query)
    d = gateway.device("q-dev")
    assert d["queue_mode"] is True
    assert d["binding"] == b


def test_update_refreshes_and_changes_parameters(gateway):
    reg_id = gateway.register("upd-1", lt=300, b="U")
    first = gateway.device("upd-1")

    r = gateway.update(reg_id)
    assert r.code == "2.04", r
    d = gateway.device("upd-1")
    assert d["registration_id"] == reg_id
    assert d["lifetime"] == 300 and d["binding"] == "U"
    assert d["objects"] == first["objects"]
    assert d["registered_at"] == first["registered_at"]

    r = gateway.update(reg_id, "lt=600&b=UQ")
    assert r.code == "2.04", r
    d = gateway.device("upd-1")
    assert d["lifetime"] == 600
    assert d["binding"] == "UQ"
    assert d["queue_mode"] is True
    assert d["registration_id"] == reg_id
    assert d["objects"] == first["objects"]

    r = gateway.update(reg_id, links="</3/0>,</4/0>,</6/0>")
    assert r.code == "2.04", r
    d = gateway.device("upd-1")
    assert d["objects"] == [{"path": "/3/0"}, {"path": "/4/0"},
                            {"path": "/6/0"}]
    assert d["lifetime"] == 600


def test_update_from_new_source_port_moves_address(gateway):
    """NAT rebinding: the device is reached where its latest message came
    from."""
    p1, p2 = udp_port(), udp_port()
    while p2 == p1:
        p2 = udp_port()
    reg_id = gateway.register("nat-1", src_port=p1)
    assert gateway.device("nat-1")["address"] == "127.0.0.1:%d" % p1
    r = gateway.update(reg_id, src_port=p2)
    assert r.code == "2.04", r
    d = gateway.device("nat-1")
    assert d["address"] == "127.0.0.1:%d" % p2
    assert d["registration_id"] == reg_id
    r = gateway.update(reg_id, src_port=p1)
    assert r.code == "2.04", r
    assert gateway.device("nat-1")["address"] == "127.0.0.1:%d" % p1


def test_deregister(gateway):
    reg_id = gateway.register("dereg-1")
    gateway.register("stays")
    r = gateway.deregister(reg_id)
    assert r.code == "2.02", r
    status, _, body = gateway.http("GET", "/v1/devices/dereg-1")
    assert status == 404, body
    assert [d["ep"] for d in gateway.devices()["devices"]] == ["stays"]
    assert gateway.update(reg_id).code == "4.04"
    assert gateway.deregister(reg_id).code == "4.04"
    assert gateway.device("stays")["state"] == "awake"


@pytest.mark.parametrize("reg_id", ["000000000001", "ffffffffffff",
                                    "xyz", "0123456789abcdef",
                                    "ABCDEF012345"])
def test_unknown_registration_id_is_404(gateway, reg_id):
    gateway.register("someone")
    assert gateway.update(reg_id).code == "4.04"
    r = gateway.deregister(reg_id)
    assert r.code == "4.04"
    assert gateway.get_json("/v1/health")["devices"] == 1


def test_reregister_replaces_old_registration(gateway):
    old = gateway.register("same-ep", lt=300, links="</1/0>")
    new = gateway.register("same-ep", lt=500, links="</3/0>")
    assert new != old
    d = gateway.device("same-ep")
    assert d["registration_id"] == new
    assert d["lifetime"] == 500
    assert d["objects"] == [{"path": "/3/0"}]
    assert [x["ep"] for x in gateway.devices()["devices"]] == ["same-ep"]
    assert gateway.get_json("/v1/health")["devices"] == 1
    assert gateway.update(old).code == "4.04"
    assert gateway.deregister(old).code == "4.04"
    assert gateway.update(new).code == "2.04"


REGISTER_ERRORS = [
    # id, query (after rd?), links, expected code, expected payload part
    ("missing_ep", "lt=300&lwm2m=1.1&b=U", "</1/0>", "4.00", "missing ep"),
    ("lt_not_number", "ep=e1&lt=abc", "</1/0>", "4.00", "lt"),
    ("lt_zero", "ep=e1&lt=0", "</1/0>", "4.00", "lt"),
    ("lt_above_max", "ep=e1&lt=1001", "</1/0>", "4.00",
     "lt: 1001 is above the maximum 1000"),
    ("lt_below_min", "ep=e1&lt=4", "</1/0>", "4.00",
     "lt: 4 is below the minimum 5"),
    ("relative_link", "ep=e1", "<1/0", "4.00", "offset 1: expected '/'"),
    ("unclosed_link", "ep=e1", "</1/0", "4.00", "offset"),
    ("empty_attribute", "ep=e1", "</1/0>;;", "4.00",
     "offset 7: expected attribute name"),
    ("unknown_parameter", "ep=e1&colour=blue", "</1/0>", "4.00",
     "unknown parameter 'colour'"),
    ("bad_binding", "ep=e1&b=X", "</1/0>", "4.00", "b: bad binding"),
    ("bad_version", "ep=e1&lwm2m=one", "</1/0>", "4.00", "lwm2m"),
    ("ep_twice", "ep=e1&ep=e2", "</1/0>", "4.00", "ep: repeated"),
]


@pytest.mark.parametrize("query,links,code,payload",
                         [e[1:] for e in REGISTER_ERRORS],
                         ids=[e[0] for e in REGISTER_ERRORS])
def test_register_refusals(gateway_factory, query, links, code, payload):
    gw = gateway_factory(registry={"min_lifetime": 5, "max_lifetime": 1000,
                                   "default_lifetime": 100})
    r = gw.coap("post", "rd?" + query, payload=links, content_format=40)
    assert r.code == code, r
    assert payload in r.payload, r
    assert_not_registered(gw, "e1")
    assert gw.devices()["devices"] == []


def test_link_format_error_names_offset(gateway):
    r = gateway.coap("post", "rd?ep=e1", payload="</1/0>,</3/0>;;",
                     content_format=40)
    assert r.code == "4.00", r
    assert r.payload == "offset 14: expected attribute name", r


def test_non_confirmable_register_is_refused(gateway):
    r = gateway.coap("post", "rd?ep=non-1&lt=300", payload="</1/0>",
                     content_format=40, non=True)
    assert r.code == "4.00", r
    assert r.payload == "register must be confirmable"
    assert_not_registered(gateway, "non-1")


def test_wrong_content_format_is_refused(gateway):
    r = gateway.coap("post", "rd?ep=json-1", payload='{"a":1}',
                     content_format=50)
    assert r.code == "4.15", r
    assert_not_registered(gateway, "json-1")


def test_links_over_max_links_are_refused(gateway_factory):
    gw = gateway_factory(coap={"max_links": 64})
    links = ",".join("</%d/0>" % i for i in range(3300, 3320))
    assert len(links) > 64
    r = gw.coap("post", "rd?ep=big-1", payload=links, content_format=40)
    assert r.code == "4.13", r
    assert_not_registered(gw, "big-1")
    gw.register("small-1", links="</1/0>")


def test_update_refusals_leave_registration_alone(gateway):
    reg_id = gateway.register("upd-err", lt=300)
    for query, payload in [("ep=other", "not allowed"),
                           ("lwm2m=1.1", "not allowed"),
                           ("lt=abc", "lt"), ("b=Z", "b:")]:
        r = gateway.update(reg_id, query)
        assert r.code == "4.00", (query, r)
        assert payload in r.payload, (query, r)
    r = gateway.update(reg_id, links="</1/0>;;")
    assert r.code == "4.00", r
    assert "offset" in r.payload
    d = gateway.device("upd-err")
    assert d["ep"] == "upd-err" and d["lifetime"] == 300
    assert d["registration_id"] == reg_id
    assert d["objects"] == [{"path": "/1/0"}, {"path": "/3/0"}]


def test_other_coap_paths_and_methods(gateway):
    reg_id = gateway.register("m-1")
    r = gateway.coap("get", "rd/" + reg_id)
    assert r.code == "4.05", r
    r = gateway.coap("get", "nothing/here")
    assert r.code == "4.04", r
    r = gateway.coap("post", "rd/%s/extra" % reg_id)
    assert r.code == "4.04", r
    assert gateway.device("m-1")["registration_id"] == reg_id


def test_endpoint_name_length_limit(gateway):
    gateway.register("e" * 63)
    assert gateway.device("e" * 63)["ep"] == "e" * 63
    r = gateway.coap("post", "rd?ep=" + "f" * 64, payload="</1/0>",
                     content_format=40)
    assert r.code == "4.00", r
    assert "ep: too long" in r.payload


def test_max_links_boundary(gateway_factory):
    gw = gateway_factory(coap={"max_links": 64})
    at_limit = "</" + "1" * 61 + ">"
    assert len(at_limit) == 64
    gw.register("at-limit", links=at_limit)
    over = "</" + "1" * 62 + ">"
    r = gw.coap("post", "rd?ep=over-limit", payload=over, content_format=40)
    assert r.code == "4.13", r
    assert "over the limit of 64" in r.payload


def test_max_devices_refuses_new_endpoints_only(gateway_factory):
    gw = gateway_factory(registry={"max_devices": 2})
    gw.register("full-a")
    gw.register("full-b")
    r = gw.coap("post", "rd?ep=full-c&lt=300", payload="</1/0>",
                content_format=40)
    assert r.code == "5.03", r
    assert gw.http("GET", "/v1/devices/full-c")[0] == 404
    # A device already known may register again.
    gw.register("full-a")
    assert gw.get_json("/v1/health")["devices"] == 2


def raw_register(ep, mid, token):
    return coap_message(mid=mid, token=token,
                        options=[(URI_PATH, b"rd"), (CONTENT_FORMAT, b"\x28"),
                                 (URI_QUERY, b"ep=" + ep.encode()),
                                 (URI_QUERY, b"lt=300")],
                        payload=b"</1/0>,</3/0>")


def test_retransmitted_register_is_processed_once(gateway):
    """RFC 7252 4.5: a duplicate CON (same source, same message ID), as a
    client sends when the ACK carrying 2.01 was lost, gets the same answer
    and is not processed again."""
    addr = ("127.0.0.1", gateway.coap_port)
    msg = raw_register("retrans", 0x2468, b"\x01\x02\x03\x04")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        first = coap_exchange(s, msg, addr)
        assert first["code"] == "2.01", first
        reg_id = first["location"][1]
        assert gateway.device("retrans")["registration_id"] == reg_id
        again = coap_exchange(s, msg, addr)
    assert again["code"] == "2.01", again
    assert again["mid"] == first["mid"] and again["token"] == first["token"]
    assert again["location"] == first["location"], (first, again)
    assert gateway.device("retrans")["registration_id"] == reg_id
    assert gateway.metrics()["outpost_registrations_total"] == 1


def test_retransmitted_register_after_its_session_went(gateway_factory):
    """The repeat is known by the device, not by libcoap's session: with
    [coap] max_idle_sessions = 1 another peer's first message frees the
    register's idle session, and the duplicate that comes after it (same
    source, same message ID, within EXCHANGE_LIFETIME) still gets the
    same registration, not a new one that would make the device's next
    update 4.04."""
    gw = gateway_factory(coap={"max_idle_sessions": 1})
    addr = ("127.0.0.1", gw.coap_port)
    msg = raw_register("churn", 0x2469, b"\x05\x06")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        s.bind(("127.0.0.1", 0))
        other.bind(("127.0.0.1", 0))
        first = coap_exchange(s, msg, addr)
        assert first["code"] == "2.01", first
        assert coap_exchange(other, raw_register("other", 0x77, b"\x01"),
                             addr)["code"] == "2.01"
        again = coap_exchange(s, msg, addr)
    assert again["code"] == "2.01", again
    assert again["location"] == first["location"], (first, again)
    assert gw.device("churn")["registration_id"] == first["location"][1]
    assert gw.metrics()["outpost_registrations_total"] == 2
    # A new message ID from the same source is a new registration.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        third = coap_exchange(s, raw_register("churn", 0x2469, b"\x07"),
                              addr)
    assert third["code"] == "2.01" and third["location"] != first["location"]


def test_retransmitted_last_block_of_a_register(gateway):
    """A register whose link-format body comes block-wise (Block1, 64-byte
    blocks, Size1 on each as libcoap's client sends it): 2.31 for each
    block but the last, 2.01 for the whole body, and a retransmission of
    the last block gets the same answer without a second registration."""
    addr = ("127.0.0.1", gateway.coap_port)
    links = ",".join("</%d/0>" % i for i in range(3, 30)).encode()
    blocks = [links[i:i + 64] for i in range(0, len(links), 64)]
    assert len(blocks) >= 3
    opts = [(URI_PATH, b"rd"), (CONTENT_FORMAT, b"\x28"),
            (URI_QUERY, b"ep=blockwise"), (URI_QUERY, b"lt=300")]
    size1 = (60, len(links).to_bytes(2, "big").lstrip(b"\0"))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        for num, body in enumerate(blocks):
            more = num < len(blocks) - 1
            block1 = (27, block_value(num, more, szx=2))
            msg = coap_message(mid=0x3000 + num, token=bytes([num + 1]),
                               options=opts + [block1, size1],
                               payload=body)
            reply = coap_exchange(s, msg, addr)
            assert reply["code"] == ("2.31" if more else "2.01"), reply
            if more:
                assert (27, block1[1]) in reply["options"], reply
        again = coap_exchange(s, msg, addr)
    assert again["code"] == "2.01" and again["mid"] == reply["mid"]
    assert again["token"] == reply["token"]
    assert again["options"] == reply["options"], (reply, again)
    dev = gateway.device("blockwise")
    assert dev["registration_id"] == reply["location"][1]
    assert len(dev["objects"]) == 27, dev
    assert gateway.metrics()["outpost_registrations_total"] == 1


def blockwise_register(s, addr, ep, links, size1, nums=None, szx=2,
                       mid=0x4000):
    """Sends links block-wise (Block1, 16 << szx bytes a block, Size1 on
    each block when size1) as a register of ep, message ids from mid on;
    nums: the order of the blocks sent (all, in order, by default).
    Returns every reply."""
    size = 16 << szx
    blocks = [links[i:i + size] for i in range(0, len(links), size)]
    opts = [(URI_PATH, b"rd"), (CONTENT_FORMAT, b"\x28"),
            (URI_QUERY, b"ep=" + ep.encode()), (URI_QUERY, b"lt=300")]
    replies = []
    for num in (range(len(blocks)) if nums is None else nums):
        more = num < len(blocks) - 1
        extra = [(27, block_value(num, more, szx=szx))]
        if size1:
            extra.append((60, len(links).to_bytes(2, "big").lstrip(b"\0")))
        msg = coap_message(mid=mid + num, token=bytes([num + 1]),
                           options=opts + extra, payload=blocks[num])
        replies.append(coap_exchange(s, msg, addr))
    return replies


def test_blockwise_register_without_size1(gateway):
    """RFC 7959 leaves Size1 optional, and libcoap 4.3.1 does not put such
    a body together: the gateway does, 2.31 Continue for each block but
    the last, every object registered."""
    addr = ("127.0.0.1", gateway.coap_port)
    links = ",".join("</%d/0>" % i for i in range(3, 30)).encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        replies = blockwise_register(s, addr, "nosize1", links, False)
        # A second device, the same way, after the first is done (new
        # message ids: the same ones would be repeats of the first's).
        again = blockwise_register(s, addr, "nosize1-b", links, False,
                                   mid=0x5000)
    for r in (replies, again):
        assert [x["code"] for x in r] == ["2.31"] * (len(r) - 1) + ["2.01"]
        for num, x in enumerate(r[:-1]):
            assert (27, block_value(num, True, szx=2)) in x["options"], x
    assert len(gateway.device("nosize1")["objects"]) == 27
    assert len(gateway.device("nosize1-b")["objects"]) == 27
    # The first block again, as a client sends it when its 2.31 was lost:
    # the same 2.31 (libcoap 4.3.1, left to put such a body together,
    # crashed the gateway on a block it had seen), then the rest.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        first = blockwise_register(s, addr, "nosize1-c", links, False,
                                   nums=[0, 0], mid=0x6000)
        assert [x["code"] for x in first] == ["2.31", "2.31"], first
        rest = blockwise_register(s, addr, "nosize1-c", links, False,
                                  nums=[1, 2, 3], mid=0x6000)
    assert [x["code"] for x in rest] == ["2.31", "2.31", "2.01"], rest
    assert len(gateway.device("nosize1-c")["objects"]) == 27
    assert gateway.metrics()["outpost_registrations_total"] == 3


def test_blockwise_register_hostile_blocks(gateway_factory):
    """Blocks out of order, a short block before the last, a body over
    [coap] max_links: each refused with its code, nothing registered, and
    a whole body from the same source still goes through after."""
    gw = gateway_factory(coap={"max_links": 200})
    addr = ("127.0.0.1", gw.coap_port)
    links = ",".join("</%d/0>" % i for i in range(3, 30)).encode()
    assert len(links) > 200
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        r = blockwise_register(s, addr, "hostile", links, False,
                               nums=[0, 2])
        assert [x["code"] for x in r] == ["2.31", "4.08"], r
        r = blockwise_register(s, addr, "hostile", links, False,
                               nums=[1], mid=0x4010)
        assert r[0]["code"] == "4.08", r
        r = blockwise_register(s, addr, "hostile", links, False,
                               mid=0x4020)
        assert r[-1]["code"] == "4.13", r
        short = coap_message(
            mid=0x4100, token=b"\x09",
            options=[(URI_PATH, b"rd"), (CONTENT_FORMAT, b"\x28"),
                     (URI_QUERY, b"ep=hostile"), (URI_QUERY, b"lt=300"),
                     (27, block_value(0, True, szx=2))],
            payload=b"</3/0>")
        assert coap_exchange(s, short, addr)["code"] == "4.00"
        small = ",".join("</%d/0>" % i for i in range(3, 22)).encode()
        assert 128 < len(small) <= 192
        ok = blockwise_register(s, addr, "hostile", small, False,
                                mid=0x4030)
    assert [x["code"] for x in ok] == ["2.31", "2.31", "2.01"], ok
    assert gw.device("hostile")["registration_id"] == ok[-1]["location"][1]
    assert gw.metrics()["outpost_registrations_total"] == 1


def test_burst_leaves_no_read_failure_in_the_log(gateway):
    """The gateway reads a socket again while it gives messages, and the
    read that ends a burst finds it empty: that is no failure, and the
    log does not say it is (libcoap 4.3.1 logs EAGAIN as one)."""
    addr = ("127.0.0.1", gateway.coap_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
        for i in range(20):
            s.sendto(raw_register("burst-%d" % i, 0x7000 + i, b"\x07"),
                     addr)
        codes = [coap_parse(s.recv(2048))["code"] for _ in range(20)]
    assert codes == ["2.01"] * 20, codes
    log = gateway.log()
    assert "read failed" not in log, log[-2000:]
    assert "Resource temporarily unavailable" not in log, log[-2000:]


def test_retransmitted_deregister_is_answered_the_same(gateway):
    reg_id = gateway.register("bye")
    addr = ("127.0.0.1", gateway.coap_port)
    msg = coap_message(code=4, mid=0x1357, token=b"\x0a\x0b",
                       options=[(URI_PATH, b"rd"),
                                (URI_PATH, reg_id.encode())])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        first = coap_exchange(s, msg, addr)
        assert first["code"] == "2.02", first
        again = coap_exchange(s, msg, addr)
    assert again["code"] == "2.02", again
    assert gateway.metrics()["outpost_deregistrations_total"] == 1


def test_new_message_from_same_source_is_a_new_request(gateway):
    """Deduplication is by message ID: a new ID from the same port is
    processed (a re-registration replaces the registration)."""
    addr = ("127.0.0.1", gateway.coap_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        a = coap_exchange(s, raw_register("twice", 0x1000, b"\x01"), addr)
        b = coap_exchange(s, raw_register("twice", 0x1001, b"\x02"), addr)
    assert a["code"] == b["code"] == "2.01"
    assert a["location"] != b["location"]
    assert gateway.device("twice")["registration_id"] == b["location"][1]
    assert gateway.metrics()["outpost_registrations_total"] == 2
