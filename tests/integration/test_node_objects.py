"""
outpost-node as a standard LwM2M client (issue 15): /4/0 Connectivity
Monitoring from the machine's real interfaces and routes, /3/0/11 Error
Codes from the health figures (and their observers told when they
change), and the notification attributes gt, lt and st, written by
Write-Attributes (a CoAP PUT with Uri-Query and no payload) to the node's
own listen port, honoured in the notifications the gateway gets.
"""
import ipaddress
import json
import re
import socket
import subprocess

from conftest import wait_for
from test_events import SSE, connected
from test_node import wait_registered


def default_routes():
    """The next hops of the usable default routes, and the interface of the
    one with the lowest metric (IPv4 first), as the kernel lists them."""
    routers, best = [], None
    with open("/proc/net/route") as fp:
        for line in fp.readlines()[1:]:
            f = line.split()
            flags = int(f[3], 16)
            if f[1] != "00000000" or f[7] != "00000000" or \
                    not flags & 1 or flags & 0x200:
                continue
            if flags & 2 and int(f[2], 16):
                routers.append(socket.inet_ntoa(
                    int(f[2], 16).to_bytes(4, "little")))
            if best is None or int(f[6]) < best[1]:
                best = (f[0], int(f[6]))
    v4 = best
    try:
        with open("/proc/net/ipv6_route") as fp:
            lines = fp.readlines()
    except OSError:
        lines = []
    for line in lines:
        f = line.split()
        flags = int(f[8], 16)
        if f[1] != "00" or int(f[0], 16) or not flags & 1 or \
                flags & 0x200:
            continue
        if flags & 2 and int(f[4], 16):
            routers.append(str(ipaddress.IPv6Address(bytes.fromhex(f[4]))))
        if v4 is None and (best is None or int(f[5], 16) < best[1]):
            best = (f[9], int(f[5], 16))
    return routers, best[0] if best else None


def addresses(ifname):
    """The addresses of ifname, IPv6 link-local ones left out (ip -j)."""
    out = subprocess.run(["ip", "-j", "addr", "show", "dev", ifname],
                         capture_output=True, text=True, check=True).stdout
    got = []
    for link in json.loads(out):
        for a in link.get("addr_info", []):
            if a["family"] == "inet6" and a["local"].startswith("fe80:"):
                continue
            got.append(str(ipaddress.ip_address(a["local"])))
    return got


def wireless(ifname):
    try:
        with open("/proc/net/wireless") as fp:
            return any(line.strip().startswith(ifname + ":")
                       for line in fp)
    except OSError:
        return False


def senml(body):
    return {r["n"] if "n" in r else "": r.get("v", r.get("vs"))
            for r in json.loads(body)}


def test_connectivity_object_from_the_real_interfaces(gateway,
                                                      node_factory):
    node = node_factory(gateway, ep="conn-1")
    wait_registered(gateway, "conn-1")
    doc = gateway.device("conn-1")
    assert "/4/0" in [o["path"] for o in doc["objects"]]
    routers, ifname = default_routes()
    status, _, body = gateway.http("GET", "/v1/devices/conn-1/r/4/0")
    assert status == 200, body
    recs = json.loads(body)
    assert recs[0]["bn"] == "/4/0/"
    values = senml(body)
    got_routers = [v for n, v in values.items() if n.startswith("5/")]
    assert sorted(got_routers) == sorted(set(routers))
    if ifname is None:
        assert "0" not in values and not any(n.startswith("4/")
                                             for n in values)
        return
    with open("/sys/class/net/%s/type" % ifname) as fp:
        arptype = int(fp.read())
    with open("/sys/class/net/%s/uevent" % ifname) as fp:
        devtype = re.findall(r"^DEVTYPE=(.*)$", fp.read(), re.M)
    if arptype == 1 and not wireless(ifname) and \
            devtype in ([], ["bridge"], ["vlan"]):
        assert values["0"] == 41                # Ethernet
        assert 41 in [v for n, v in values.items() if n.startswith("1/")]
    got = [v for n, v in values.items() if n.startswith("4/")]
    assert sorted(got) == sorted(addresses(ifname))
    # A wired link has no radio: no signal strength, no link quality.
    if not wireless(ifname):
        assert "2" not in values and "3" not in values
        r = node.coap("get", "4/0/2")
        assert r.code == "4.04", r
        assert "does not give" in r.payload
    # A multiple resource reads as SenML, one record per instance; not
    # as text/plain.
    r = node.coap("get", "4/0/4")
    assert r.code == "2.05", r
    recs = r.json()
    assert recs[0]["bn"] == "/4/0/4/"
    assert [x["n"] for x in recs] == [str(i) for i in range(len(recs))]
    assert node.coap("get", "4/0/4", accept=0).code == "4.06"
    # Discover tells how many instances each has.
    r = node.coap("get", "4/0", accept=40)
    assert "</4/0/4>;dim=%d" % len(got) in r.body.split(","), r.body
    r = node.coap("get", "4", accept=40)
    assert r.body.startswith("</4>,</4/0>,</4/0/0>"), r.body


def notified(sse, path):
    """The values of path in the notifications sse has seen, in order."""
    out = []
    for _, _, data in sse.events:
        doc = json.loads(data)
        if doc.get("path") == path:
            out.append(doc.get("value"))
    return out


def set_config(node, doc):
    mark = node.log_mark()
    r = node.coap("put", "config", payload=json.dumps(doc),
                  content_format=50)
    assert r.code == "2.04", r
    node.wait_log("config: changed", since=mark)


def test_gt_lt_st_decide_what_the_gateway_hears(gateway, node_factory):
    node = node_factory(gateway, ep="att-1", sections={
        "device": {"battery": 40}, "health": {"sample": 1}})
    wait_registered(gateway, "att-1")
    # Write-Attributes to the node's own port: pmax on the object (the
    # resource inherits it), gt and lt on the Battery Level.
    assert node.coap("put", "3?pmax=3600").code == "2.04"
    assert node.coap("put", "3/0/9?gt=50&lt=20").code == "2.04"
    # What the standard forbids is 4.00, and changes nothing.
    for query, why in (("3/0/9?gt=10", "lt 20 is not below gt 10"),
                       ("3/0/9?st=15", "lt + 2 st (50) is not below gt"),
                       ("3/0?gt=1", "attributes of a resource"),
                       ("3?lt=1", "attributes of a resource"),
                       ("3/0/0?lt=1", "numeric resource"),
                       ("3/0/11?lt=1", "numeric resource"),
                       ("3/0/9?pmin=10&pmax=5", "pmin 10 is above pmax 5"),
                       ("3/0/9?gt=abc", "gt: not a number"),
                       ("3/0/9?st=-1", "negative"),
                       ("3/0/9?pmin=1&pmin=2", "pmin: repeated")):
        r = node.coap("put", query)
        assert r.code == "4.00" and why in r.payload, (query, r)
    # Discover: a resource with what it inherits, an object level by
    # level.
    r = node.coap("get", "3/0/9", accept=40)
    assert r.body == "</3/0/9>;pmax=3600;gt=50;lt=20", r.body
    links = node.coap("get", "3", accept=40).body.split(",")
    assert links[:2] == ["</3>;pmax=3600", "</3/0>"], links
    assert "</3/0/9>;gt=50;lt=20" in links and "</3/0/11>;dim=1" in links
    sse = SSE(gateway, "?ep=att-1&type=notification")
    try:
        connected(gateway, 1)
        assert gateway.http("POST",
                            "/v1/devices/att-1/observe/3/0/9")[0] == 201
        node.wait_log("observe: /3/0/9 observed (pmin 0 s, pmax 3600 s, "
                      "gt/lt/st)")
        sse.wait(lambda c: notified(c, "3/0/9") == ["40"], "the answer")
        # Only crossings are told, either way, of either threshold.
        for level in (45, 60, 70, 30, 25, 10, 15, 21):
            set_config(node, {"device": {"battery": level}})
        want = ["40", "60", "30", "10", "21"]
        sse.wait(lambda c: len(notified(c, "3/0/9")) >= len(want),
                 "the crossings", timeout=10)
        assert notified(sse, "3/0/9") == want
        # gt and lt removed, st set: a move of 25 from the last told.
        assert node.coap("put", "3/0/9?gt&lt&st=25").code == "2.04"
        assert node.coap("get", "3/0/9", accept=40).body == \
            "</3/0/9>;pmax=3600;st=25"
        for level in (30, 45, 46, 60, 71):
            set_config(node, {"device": {"battery": level}})
        want += ["46", "71"]
        sse.wait(lambda c: len(notified(c, "3/0/9")) >= len(want),
                 "the steps", timeout=10)
        assert notified(sse, "3/0/9") == want
    finally:
        sse.close()


def error_codes(node):
    r = node.coap("get", "3/0/11")
    assert r.code == "2.05", r
    return sorted(x["v"] for x in r.json())


def test_error_codes_follow_the_health_figures(gateway, node_factory):
    node = node_factory(gateway, ep="err-1", sections={
        "device": {"battery": 50}, "health": {"sample": 1}})
    wait_registered(gateway, "err-1")
    assert error_codes(node) == [0]
    sse = SSE(gateway, "?ep=err-1&type=notification")
    try:
        connected(gateway, 1)
        assert gateway.http("POST",
                            "/v1/devices/err-1/observe/3/0/11")[0] == 201
        node.wait_log("observe: /3/0/11 observed")
        # Thresholds written to /config make the codes trip and clear;
        # each change of the list is told, and only those.
        steps = (({"errors": {"mem_free_kb": 2147483647}}, [5]),
                 ({"errors": {"disk_free_kb": 2147483647}}, [5, 16]),
                 ({"device": {"battery": 50}}, [5, 16]),
                 ({"errors": {"battery": 60}}, [1, 5, 16]),
                 ({"errors": {"mem_free_kb": 0, "disk_free_kb": 0}}, [1]),
                 ({"errors": {"battery": 10}}, [0]))
        want = [[0]]
        for doc, codes in steps:
            set_config(node, doc)
            assert error_codes(node) == codes, doc
            if codes != want[-1]:
                want.append(codes)
        sse.wait(lambda c: len(notified(c, "3/0/11")) >= len(want),
                 "the changes", timeout=10)
        got = [sorted(r["v"] for r in v) for v in notified(sse, "3/0/11")]
        assert got == want
    finally:
        sse.close()


def test_error_code_7_while_the_gateway_does_not_answer(gateway_factory,
                                                       node_factory):
    """A gateway that does not answer: after [errors] gateway_silence
    seconds /3/0/11 says IP connectivity failure (7); once it registers
    the code clears."""
    gw = gateway_factory(start=False)
    node = node_factory(gw, ep="err-7", sections={
        "errors": {"gateway_silence": 1}, "register": {"backoff_max": 2}})
    node.wait_log("err-7: registration failed; retrying")
    wait_for(lambda: error_codes(node) == [7], 10, what="error code 7")
    gw.start()
    wait_registered(gw, "err-7")
    assert error_codes(node) == [0]
