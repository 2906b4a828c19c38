"""
Firmware campaigns through the LwM2M path: outpost-node agents registered
with the gateway get the image's URI written to /5/0/1 by queued ops, are
watched by observing /5/0/3 and /5/0/5 until Downloaded, get /5/0/2
executed and report their Update Result; groups, max_concurrent, the
failure threshold that pauses a campaign, resume, cancel, two campaigns
for one device, and the campaign's state after a restart. The gateways
here read /5/0 once an hour only: every step comes from notifications.
"""
import json
import os

import pytest

from conftest import wait_for
from test_firmware import (LossyProxy, keygen, make_image, post_manifest,
                           put_image, sign)


def camp_gateway(gateway_factory, pub):
    gw = gateway_factory(firmware={"trusted_keys": pub},
                         campaign={"poll_s": 3600})
    return gw


def agents(gw, node_factory, tmp_path, pub, names, cls="sensor-v2",
           lifetime=300):
    made = []
    for ep in names:
        d = tmp_path / ("fw-" + ep)
        made.append(node_factory(gw, ep=ep, sections={"firmware": {
            "vendor": "acme", "class": cls if not ep.startswith("bad")
            else "valve", "trusted_keys": pub, "dir": str(d),
            "apply_command": "cp \"$OUTPOST_FW_IMAGE\" %s" %
            (tmp_path / ("applied-" + ep))}, "node": {"lifetime": lifetime},
            "register": {"update_percent": 50}}))
    for ep in names:
        wait_for(lambda: gw.http("GET", "/v1/devices/" + ep)[0] == 200, 10,
                 what=ep + " registered")
    return made


def image(run_outpost, tmp_path, gw, seq=3, size=20000):
    key, pub = keygen(run_outpost, tmp_path) if not (
        tmp_path / "release.key").exists() else (
        str(tmp_path / "release.key"), str(tmp_path / "release.pub"))
    img, data = make_image(tmp_path, "fw%d.bin" % seq, size)
    fid = post_manifest(gw, sign(run_outpost, key, img, seq))["id"]
    assert put_image(gw, fid, data)[0] == 201
    return fid, data


def campaign(gw, body, expect=201):
    status, hdrs, out = gw.http("POST", "/v1/campaigns",
                                body=json.dumps(body))
    assert status == expect, out
    return json.loads(out)


def get(gw, cid):
    return gw.get_json("/v1/campaigns/%d" % cid)


def test_campaign_in_groups_succeeds(run_outpost, tmp_path, gateway_factory,
                                     node_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = camp_gateway(gateway_factory, pub)
    names = ["c-%d" % i for i in range(3)]
    agents(gw, node_factory, tmp_path, pub, names)
    fid, data = image(run_outpost, tmp_path, gw)
    c = campaign(gw, {"image": fid, "target": {"eps": names},
                      "policy": {"group_size": 2, "max_concurrent": 1}})
    assert c["groups"] == 2 and c["total"] == 3
    assert c["counts"]["pending"] == 3 and c["status"] == "running"
    seen_concurrent = []

    def done():
        s = get(gw, c["id"])
        busy = sum(s["counts"][k] for k in ("announced", "downloading",
                                             "downloaded", "updating"))
        seen_concurrent.append(busy)
        return s["status"] == "done" and s
    s = wait_for(done, 60, interval=0.2, what="campaign done")
    assert s["counts"]["succeeded"] == 3
    assert max(seen_concurrent) <= 1
    assert all(d["result"] == 1 and d["state"] == "succeeded"
               for d in s["devices"])
    assert [d["group"] for d in sorted(s["devices"],
                                       key=lambda d: d["ep"])] == [0, 0, 1]
    for ep in names:
        assert (tmp_path / ("applied-" + ep)).read_bytes() == data
    # A finished campaign's devices are read from the store (it keeps
    # only its counts in memory), the same before and after a restart.
    assert wait_for(lambda: get(gw, c["id"])["devices"] == s["devices"],
                    10, what="the devices as they were")
    gw.restart()
    assert get(gw, c["id"])["counts"]["succeeded"] == 3
    assert get(gw, c["id"])["devices"] == s["devices"]
    assert gw.get_json("/v1/campaigns")["campaigns"][0]["status"] == "done"


def test_failure_threshold_pauses(run_outpost, tmp_path, gateway_factory,
                                  node_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = camp_gateway(gateway_factory, pub)
    names = ["bad-0", "bad-1", "ok-0", "ok-1", "ok-2"]
    # A gateway that restarts has no session to a device until the device
    # is next heard from (an update, every 5 s here): only then are its
    # observations made again.
    nodes = agents(gw, node_factory, tmp_path, pub, names, lifetime=10)
    fid, _ = image(run_outpost, tmp_path, gw)
    c = campaign(gw, {"image": fid, "target": {"eps": names}, "policy": {
        "group_size": 4, "max_concurrent": 4, "failure_percent": 25}})
    s = wait_for(lambda: (lambda s: s["status"] == "paused" and s)(
        get(gw, c["id"])), 60, interval=0.2, what="campaign paused")
    assert "threshold" in s["reason"]
    # A restart keeps every device's record; those still in flight are
    # watched again.
    gw.restart()
    s = get(gw, c["id"])
    assert s["status"] == "paused" and "threshold" in s["reason"]
    failed = [d for d in s["devices"] if d["state"] == "failed"]
    assert sorted(d["ep"] for d in failed) == ["bad-0", "bad-1"]
    assert all(d["result"] == 6 for d in failed)
    # The second group has not started.
    assert [d["state"] for d in s["devices"] if d["ep"] == "ok-2"] == \
        ["pending"]
    status, _, _ = gw.http("POST", "/v1/campaigns/%d/resume" % c["id"])
    assert status == 200
    s = wait_for(lambda: (lambda s: s["status"] == "done" and s)(
        get(gw, c["id"])), 60, interval=0.2, what="campaign done")
    assert s["counts"] == {"pending": 0, "announced": 0, "downloading": 0,
                           "downloaded": 0, "updating": 0, "succeeded": 3,
                           "failed": 2, "removed": 0}, (
        "devices: %s\ngateway log:\n%s\nnode logs:\n%s" % (
            s["devices"], gw.log()[-6000:],
            "\n".join("%s:\n%s" % (n.ep, n.log()[-2500:])
                      for n in nodes if n.ep.startswith("ok"))))
    assert gw.http("POST", "/v1/campaigns/%d/pause" % c["id"])[0] == 409


def coap_fields(data):
    """(type, code, message id, token, Uri-Path) of a CoAP datagram."""
    tkl, i, num, path = data[0] & 15, 4 + (data[0] & 15), 0, []
    while i < len(data) and data[i] != 0xff:
        ext = [data[i] >> 4, data[i] & 15]
        i += 1
        for k in (0, 1):
            if ext[k] == 13:
                ext[k], i = data[i] + 13, i + 1
            elif ext[k] == 14:
                ext[k], i = (data[i] << 8 | data[i + 1]) + 269, i + 2
        num += ext[0]
        if num == 11:
            path.append(data[i:i + ext[1]].decode())
        i += ext[1]
    return ((data[0] >> 4) & 3, data[1], data[2] << 8 | data[3],
            bytes(data[4:4 + tkl]), "/".join(path))


class LoseAfterExecute:
    """Loses everything the device sends once the gateway has sent it the
    first execute of /5/0/2 (its answer, its notifications), until told
    to stop; counts the distinct executes (message ids) sent. Blind, it
    also turns the device's answers to observations of /5/0/3 and /5/0/5
    made after that into 4.04 (a device that cannot observe them)."""

    def __init__(self, blind):
        self.mids = set()
        self.watch = set()
        self.losing = False
        self.blind = blind
        self.lost = 0

    def __call__(self, up, data):
        if len(data) < 4 or data[0] >> 6 != 1:
            return False
        typ, code, mid, token, path = coap_fields(data)
        if not up and code == 2 and path == "5/0/2" and \
                mid not in self.mids:
            self.mids.add(mid)
            self.losing = len(self.mids) == 1
        if not up and code == 1 and path in ("5/0/3", "5/0/5") and \
                self.blind and self.mids:
            self.watch.add(mid)
        if up and self.losing:
            self.lost += 1
            return True
        if up and typ == 2 and mid in self.watch and code >> 5 == 2:
            return bytes(data[:4 + len(token)]) and \
                bytes([data[0], 0x84]) + bytes(data[2:4 + len(token)])
        return False


@pytest.mark.parametrize("blind", [False, True],
                         ids=["observed", "not_observed"])
def test_execute_sent_again_after_a_restart(run_outpost, tmp_path,
                                            gateway_factory, node_factory,
                                            blind):
    """An execute is delivered at least once: one on the wire when the
    gateway stops is sent again after its restart, and the device, which
    took the first and updated, refuses the copy (4.05, HTTP 400: State is
    no longer Downloaded). Its notifications tell the campaign it
    succeeded; without them, the campaign reads /5/0 instead of failing
    it."""
    key, pub = keygen(run_outpost, tmp_path)
    gw = camp_gateway(gateway_factory, pub)
    lose = LoseAfterExecute(blind)
    proxy = LossyProxy(("127.0.0.1", gw.coap_port), 0, drop=lose)
    try:
        applied = tmp_path / "applied-x"
        node = node_factory(gw, ep="x-1", listen=False, sections={
            "node": {"gateway": "coap://127.0.0.1:%d" % proxy.port,
                     "lifetime": 10},
            "register": {"update_percent": 50},
            "firmware": {
                "vendor": "acme", "class": "sensor-v2", "trusted_keys": pub,
                "dir": str(tmp_path / "fw-x"),
                "apply_command": "cp \"$OUTPOST_FW_IMAGE\" %s" % applied}})
        wait_for(lambda: gw.http("GET", "/v1/devices/x-1")[0] == 200, 10,
                 what="x-1 registered")
        fid, data = image(run_outpost, tmp_path, gw)
        c = campaign(gw, {"image": fid, "target": {"eps": ["x-1"]}})
        node.wait_log("installed acme/sensor-v2 1.0 seq 3", timeout=30)
        assert lose.losing and get(gw, c["id"])["devices"][0]["state"] == \
            "downloaded"
        gw.restart()
        lose.losing = False
        s = wait_for(lambda: (lambda s: s["status"] == "done" and s)(
            get(gw, c["id"])), 60, interval=0.2, what="campaign done")
        assert len(lose.mids) == 2 and lose.lost > 0
        assert s["devices"][0]["state"] == "succeeded", (
            s["devices"], gw.log()[-4000:])
        assert s["devices"][0]["result"] == 1
        assert applied.read_bytes() == data
        assert node.log().count("installed acme/sensor-v2") == 1
        if blind:
            assert "execute got done (HTTP 400): reading /5/0" in gw.log(), \
                gw.log()[-4000:]
    finally:
        proxy.close()


def test_bad_requests_and_cancel(run_outpost, tmp_path, gateway_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = camp_gateway(gateway_factory, pub)
    fid, _ = image(run_outpost, tmp_path, gw)
    assert campaign(gw, {"image": "0" * 16, "target": "all"},
                    expect=422)["error"] == "unknown_image"
    for bad in ({"image": fid}, {"image": fid, "target": "none"},
                {"image": fid, "target": {"eps": [1]}},
                {"image": fid, "target": {"eps": ["a/b"]}},
                {"image": fid, "target": {"eps": ["x"]},
                 "policy": {"max_concurrent": 0}},
                {"image": fid, "target": {"eps": ["x"]},
                 "policy": {"window": {"from": "25:00", "to": "01:00"}}},
                {"image": fid, "target": {"eps": "x"}},
                {"image": fid, "target": {"tags": ["no tag"]}},
                {"image": fid, "target": {"tags": []}},
                {"image": fid, "target": {"tags": ["t%d" % i
                                                   for i in range(17)]}},
                {"image": fid, "target": {"tags": ["nobody"]}},
                {"image": fid, "target": {"eps": ["x"]},
                 "policy": {"delivery": "carrier-pigeon"}},
                # Multicast reaches every device: not for a list, not in
                # groups.
                {"image": fid, "target": {"eps": ["x"]},
                 "policy": {"delivery": "multicast"}},
                {"image": fid, "target": "all"}):   # no device registered
        campaign(gw, bad, expect=400)
    # A device that never shows up: its URI write waits in its queue.
    c = campaign(gw, {"image": fid, "target": {"eps": ["sleeper"]},
                      "policy": {"window": {"from": "00:00",
                                            "to": "23:59"}}})
    wait_for(lambda: get(gw, c["id"])["counts"]["announced"] == 1, 10,
             what="the URI write queued")
    wait_for(lambda: get(gw, c["id"])["devices"][0]["op"] > 0, 10,
             what="the op id")
    op = gw.get_json("/v1/ops/%d" % get(gw, c["id"])["devices"][0]["op"])
    assert op["state"] == "queued" and "5/0/1" in json.dumps(op)
    # The image of a campaign that has not finished is not deleted from
    # under its devices, running or paused.
    for action in (None, "pause"):
        if action:
            assert gw.http("POST", "/v1/campaigns/%d/%s" %
                           (c["id"], action))[0] == 200
        code, _, body = gw.http("DELETE", "/v1/firmware/%s" % fid)
        err = json.loads(body)
        assert code == 409 and err["error"] == "in_use", body
        assert "campaign %d" % c["id"] in err["detail"]
        assert gw.get_json("/v1/firmware/%s" % fid)["state"] == "complete"
    assert gw.http("POST", "/v1/campaigns/%d/cancel" % c["id"])[0] == 200
    assert get(gw, c["id"])["status"] == "cancelled"
    # What the device has not been sent is not sent: its write is
    # cancelled in its queue.
    wait_for(lambda: gw.get_json("/v1/ops/%d" % op["op"])["state"] ==
             "cancelled", 10, what="the URI write cancelled")
    assert gw.http("POST", "/v1/campaigns/%d/resume" % c["id"])[0] == 409
    assert gw.http("POST", "/v1/campaigns/%d/explode" % c["id"])[0] == 404
    assert gw.http("GET", "/v1/campaigns/999")[0] == 404
    # Cancelled, it no longer holds its image.
    assert gw.http("DELETE", "/v1/firmware/%s" % fid)[0] == 204
    assert gw.http("GET", "/v1/firmware/%s" % fid)[0] == 404


def observations(gw, ep):
    return {o["path"]: o for o in
            gw.get_json("/v1/observations?ep=" + ep)["observations"]}


def test_tag_targets_conflicts_and_observations(run_outpost, tmp_path,
                                                gateway_factory,
                                                node_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = camp_gateway(gateway_factory, pub)
    names = ["t-0", "t-1", "t-2", "t-3"]
    agents(gw, node_factory, tmp_path, pub, names)
    fid, _ = image(run_outpost, tmp_path, gw)
    for ep, tags in (("t-0", ["site-a", "canary"]),
                     ("t-1", ["canary", "site-a"]), ("t-2", ["site-a"]),
                     ("t-3", ["site-b"]),
                     ("never-seen", ["site-a", "canary"])):
        assert gw.http("PUT", "/v1/devices/%s/tags" % ep,
                       body=json.dumps(tags))[0] == 200
    # A client watches t-1's State already: the campaign shares it.
    assert gw.http("POST", "/v1/devices/t-1/observe/5/0/3")[0] == 201
    c = campaign(gw, {"image": fid, "target": {"tags": ["site-a", "canary"]},
                      "policy": {"max_concurrent": 3}})
    # Every tag, registered or not, in endpoint order.
    assert [d["ep"] for d in c["devices"]] == ["never-seen", "t-0", "t-1"]
    # Two campaigns never drive one device; others are free.
    err = campaign(gw, {"image": fid, "target": {"eps": ["t-2", "t-0"]}},
                   expect=409)
    assert "t-0" in err["detail"] and "campaign %d" % c["id"] in \
        err["detail"]
    other = campaign(gw, {"image": fid, "target": {"eps": ["t-3"]}})

    def states(cid):
        return {d["ep"]: d["state"] for d in get(gw, cid)["devices"]}
    wait_for(lambda: states(c["id"])["t-0"] == "succeeded" and
             states(c["id"])["t-1"] == "succeeded", 60, interval=0.2,
             what="the tagged devices updated")
    wait_for(lambda: get(gw, other["id"])["status"] == "done", 60,
             interval=0.2, what="the other campaign done")
    # Done devices are no longer watched by the gateway; the client's
    # observation stays.
    wait_for(lambda: "5/0/5" not in observations(gw, "t-1") and
             "5/0/3" not in observations(gw, "t-0"), 10,
             what="the campaign's observations released")
    o = observations(gw, "t-1")["5/0/3"]
    assert o["client"] and not o["held_by_gateway"]
    # The device that never registered waits with its write queued and
    # its observations held for when it comes.
    s = get(gw, c["id"])
    assert s["status"] == "running" and s["counts"]["announced"] == 1
    held = observations(gw, "never-seen")
    assert sorted(held) == ["5/0/3", "5/0/5"]
    assert all(o["held_by_gateway"] and not o["client"] and
               not o["established"] for o in held.values())
    op = [d["op"] for d in s["devices"] if d["ep"] == "never-seen"][0]
    # Decommissioned: removed from the campaign (not a failure), its
    # queued write cancelled, nothing held; the campaign is done.
    assert gw.http("DELETE", "/v1/devices/never-seen")[0] == 204
    s = get(gw, c["id"])
    assert s["status"] == "done" or wait_for(
        lambda: get(gw, c["id"])["status"] == "done", 10,
        what="the campaign done")
    s = get(gw, c["id"])
    assert s["counts"]["removed"] == 1 and s["counts"]["succeeded"] == 2
    assert [d["state"] for d in s["devices"]] == ["removed", "succeeded",
                                                  "succeeded"]
    assert gw.get_json("/v1/ops/%d" % op)["state"] == "cancelled"
    assert observations(gw, "never-seen") == {}
    # A DELETE of an endpoint no campaign, tag or registration holds.
    assert gw.http("DELETE", "/v1/devices/never-seen")[0] == 404
    # Kept as it ended across a restart (read back from the store).
    gw.restart()
    r = get(gw, c["id"])
    assert (r["status"], r["counts"], r["devices"]) == \
        (s["status"], s["counts"], s["devices"])


def tlv_state(v):
    """/5/0/3 as a Wakaama-style client sends it: one LwM2M TLV resource
    (id 3, one-byte value)."""
    return bytes([0xc1, 0x03, v])


class ScriptedClient:
    """A standard LwM2M client (a scripted device, not our agent) that
    notifies State in TLV and Update Result as text, in a campaign of its
    own; answers beyond the defaults (or instead of them) from answers."""

    def __init__(self, run_outpost, tmp_path, gateway_factory, devices, ep,
                 answers=None):
        key, pub = keygen(run_outpost, tmp_path)
        self.gw = camp_gateway(gateway_factory, pub)
        self.fid, _ = image(run_outpost, tmp_path, self.gw)
        table = {
            "GET 5/0/3": ("2.05", tlv_state(0), 11542, None),
            "GET 5/0/5": ("2.05", b"0", 0, None),
            "PUT 5/0/1": ("2.04", b"", None, None),
            "POST 5/0/2": ("2.04", b"", None, None)}
        table.update(answers or {})
        self.dev = devices(self.gw, ep, answers=table)
        self.c = campaign(self.gw, {"image": self.fid,
                                    "target": {"eps": [ep]}})

    def saw(self, key):
        return any(k == key for k, _ in self.dev.seen)

    def state(self):
        return get(self.gw, self.c["id"])["devices"][0]["state"]

    def finish(self):
        """Downloaded, updating, then Idle with Update Result 1: the
        campaign's summary once it is done."""
        self.dev.notify("5/0/3", tlv_state(2), 102, cf=11542)
        wait_for(lambda: self.saw("POST 5/0/2"), 10, what="the execute")
        self.dev.notify("5/0/3", tlv_state(3), 103, cf=11542)
        wait_for(lambda: self.state() == "updating", 10, what="updating")
        self.dev.notify("5/0/5", b"1", 104)
        self.dev.notify("5/0/3", tlv_state(0), 105, cf=11542)
        return wait_for(lambda: (lambda s: s["status"] == "done" and s)(
            get(self.gw, self.c["id"])), 10, what="the campaign done")


def test_wakaama_style_client(run_outpost, tmp_path, gateway_factory,
                              devices):
    """A standard LwM2M client that notifies State in TLV and Update Result
    as text: the campaign writes the URI, follows the notifications,
    executes at Downloaded and ends with the device's Update Result."""
    sc = ScriptedClient(run_outpost, tmp_path, gateway_factory, devices,
                        "wk-1")
    dev, saw, state, fid = sc.dev, sc.saw, sc.state, sc.fid
    wait_for(lambda: saw("PUT 5/0/1") and "5/0/3" in dev.observers and
             "5/0/5" in dev.observers, 10, what="the URI write, observed")
    uri = [m for k, m in dev.seen if k == "PUT 5/0/1"][0]["payload"]
    assert uri.decode().endswith("/fw/" + fid)
    dev.notify("5/0/3", tlv_state(1), 2, cf=11542)
    wait_for(lambda: state() == "downloading", 10, what="downloading")
    assert not saw("POST 5/0/2")
    s = sc.finish()
    assert s["devices"][0]["state"] == "succeeded"
    assert s["devices"][0]["result"] == 1


@pytest.mark.parametrize("state_now,verdict", [(1, "succeeded"),
                                               (0, "failed")])
def test_refused_uri_write_is_judged_by_a_read(run_outpost, tmp_path,
                                               gateway_factory, devices,
                                               state_now, verdict):
    """A client that refuses the URI write (as one that took an earlier
    copy, whose answer was lost, may refuse the repeat while it
    downloads): the campaign reads /5/0 and goes on when State says the
    download is under way; a device still Idle has refused, and fails."""
    sc = ScriptedClient(run_outpost, tmp_path, gateway_factory, devices,
                        "wk-2", answers={
                            "GET 5/0": ("2.05", json.dumps(
                                [{"bn": "/5/0/", "n": "3", "v": state_now},
                                 {"n": "5", "v": 0}]).encode(), 110, None),
                            "PUT 5/0/1": ("4.05", b"", None, None)})
    wait_for(lambda: sc.saw("GET 5/0"), 10,
             what="the read after the refusal")
    if verdict == "failed":
        wait_for(lambda: sc.state() == "failed", 10, what="failed")
        assert not sc.saw("POST 5/0/2")
        return
    wait_for(lambda: sc.state() == "downloading", 10, what="downloading")
    wait_for(lambda: "5/0/3" in sc.dev.observers, 10, what="observed")
    s = sc.finish()
    assert s["devices"][0]["state"] == "succeeded", s
    assert len([k for k, _ in sc.dev.seen if k == "PUT 5/0/1"]) == 1
