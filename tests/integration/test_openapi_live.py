"""
Live answers of a running gateway against doc/openapi.yaml: each answer's
status must be one the document lists for its operation, and its JSON body
must match that response's schema. The schema checker is a small one over
the parsed YAML (the OpenAPI 3.0 subset the document uses: $ref, allOf,
oneOf, anyOf, type with nullable, enum, required, properties,
additionalProperties, items and the bounds); besides the schema's rules it
refuses a property that the schema does not name, so a field the code adds
fails here until it is documented.
"""
import json
import os
import re
import time

import pytest
import yaml

from conftest import wait_for
from deployfiles import REPO
from fakedev import LOCATION_PATH
from test_queue import asleep, enqueue, wait_op

OPENAPI = os.path.join(REPO, "doc", "openapi.yaml")
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"
                       r"(Z|[+-]\d\d:\d\d)$")
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


@pytest.fixture(scope="module")
def doc():
    with open(OPENAPI) as fp:
        return yaml.safe_load(fp)


def deref(doc, node):
    """node itself, or what its $ref names (#/components/...)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def named_properties(doc, schema):
    """Every property a schema names, through allOf, oneOf and anyOf; None
    when it lets any property through (additionalProperties)."""
    schema = deref(doc, schema)
    if schema.get("additionalProperties", False) not in (False, None):
        return None
    names = set(schema.get("properties", {}))
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            more = named_properties(doc, sub)
            if more is None:
                return None
            names |= more
    return names


def check(doc, schema, value, where="$", whole=True):
    """The ways value breaks schema, as ["$.a.b: why", ...]. A branch of
    allOf, oneOf or anyOf is checked as part (whole=False): the names its
    object may have are those of all the branches together."""
    schema = deref(doc, schema)
    errs = []
    if value is None:
        return [] if schema.get("nullable") or not schema else \
            ["%s: null is not allowed" % where]
    for sub in schema.get("allOf", []):
        errs += check(doc, sub, value, where, False)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            ok = sum(not check(doc, sub, value, where, False)
                     for sub in schema[key])
            if ok == 0 or (key == "oneOf" and ok > 1):
                errs.append("%s: matches %d of the %s" % (where, ok, key))
    t = schema.get("type")
    if t == "integer":
        good = isinstance(value, int) and not isinstance(value, bool) or \
            isinstance(value, float) and value.is_integer()
    elif t == "number":
        good = isinstance(value, (int, float)) and \
            not isinstance(value, bool)
    elif t is not None:
        good = isinstance(value, TYPES[t])
    else:
        good = True
    if not good:
        return errs + ["%s: %r is not of type %s" % (where, value, t)]
    if "enum" in schema and value not in schema["enum"]:
        errs.append("%s: %r is not one of %s" % (where, value,
                                                 schema["enum"]))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or \
                len(value) > schema.get("maxLength", len(value)):
            errs.append("%s: %r is of a length out of bounds" % (where,
                                                                  value))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append("%s: %r does not match %s" % (where, value,
                                                      schema["pattern"]))
        if schema.get("format") == "date-time" and \
                not DATE_TIME.match(value):
            errs.append("%s: %r is not a date-time" % (where, value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < schema.get("minimum", value) or \
                value > schema.get("maximum", value):
            errs.append("%s: %r is out of bounds" % (where, value))
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            errs.append("%s: more than %d items" % (where,
                                                    schema["maxItems"]))
        for i, item in enumerate(value):
            errs += check(doc, schema.get("items", {}), item,
                          "%s[%d]" % (where, i))
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                errs.append("%s: lacks the required %r" % (where, name))
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, v in value.items():
            if name in props:
                errs += check(doc, props[name], v, "%s.%s" % (where, name))
            elif isinstance(extra, dict):
                errs += check(doc, extra, v, "%s.%s" % (where, name))
        if whole:
            known = named_properties(doc, schema)
            if known is not None:
                errs += ["%s: %r is not in the schema" % (where, name)
                         for name in sorted(set(value) - known)]
    return errs


def operation(doc, method, path):
    """The document's operation for a request path (no query)."""
    found = []
    for template, item in doc["paths"].items():
        rx = re.sub(r"\\\{(\w+)\\\}", lambda m: "(.+)" if m.group(1) ==
                    "path" else "([^/]+)", re.escape(template))
        if re.fullmatch(rx, path) and method.lower() in item:
            found.append(item[method.lower()])
    assert len(found) == 1, "%s %s: %d operations of the document" % (
        method, path, len(found))
    return found[0]


class Live:
    """Requests to a gateway, each answer checked against the document."""

    def __init__(self, doc, gw):
        self.doc, self.gw = doc, gw

    def __call__(self, method, path, expect, body=None, headers=None):
        status, hdrs, data = self.gw.http(method, path, body=body,
                                          headers=headers)
        assert status == expect, (method, path, status, data)
        op = operation(self.doc, method, path.split("?")[0])
        responses = op["responses"]
        assert str(status) in responses, \
            "%s %s answered %d, which %s does not list" % (
                method, path, status, op["operationId"])
        resp = deref(self.doc, responses[str(status)])
        if "content" not in resp:
            assert not data, (method, path, data)
            return hdrs, None
        ctype = hdrs.get("content-type", "").split(";")[0]
        assert ctype in resp["content"], (method, path, ctype)
        assert ctype.endswith("json"), (method, path, hdrs)
        value = json.loads(data)
        errs = check(self.doc, resp["content"][ctype]["schema"], value)
        assert not errs, "%s %s %d: %s\n%s" % (method, path, status,
                                               json.dumps(value),
                                               "\n".join(errs))
        return hdrs, value


def test_the_checker_finds_what_breaks_a_schema(doc):
    op = {"$ref": "#/components/schemas/Op"}
    good = {"op": 1, "ep": "a", "state": "queued", "method": "GET",
            "path": "3/0/0", "created_at": "2024-05-01T10:00:00Z"}
    assert check(doc, op, good) == []
    assert check(doc, op, {"op": 1, "state": "queued"}) == [
        "$: lacks the required 'ep'", "$: lacks the required 'method'",
        "$: lacks the required 'path'"]
    assert check(doc, op, dict(good, state="asleep"))
    assert check(doc, op, dict(good, op="1"))
    assert check(doc, op, dict(good, created_at="yesterday"))
    assert check(doc, op, dict(good, surprise=1)) == [
        "$: 'surprise' is not in the schema"]
    detail = {"$ref": "#/components/schemas/DeviceDetail"}
    assert check(doc, detail, {"ep": "a", "state": "awake",
                               "tags": ["x"]}) == []
    assert check(doc, detail, {"ep": "a", "state": "awake", "tags": [""]})
    assert check(doc, detail, {"ep": "a"}) == [
        "$: lacks the required 'state'"]
    page = operation(doc, "GET", "/v1/observations")["responses"]["200"]
    schema = page["content"]["application/json"]["schema"]
    assert check(doc, schema, {"observations": [], "next": None}) == []
    assert check(doc, schema, {"observations": []}) == [
        "$: lacks the required 'next'"]


def test_live_answers_match_the_document(doc, gateway_factory, devices):
    gw, dev = asleep(gateway_factory, devices, "live-1",
                     {"GET 3/0/0": ("2.05", b"Outpost", 0, None),
                      "GET 3/0/9": ("2.05", b"87", 0, None)},
                     queue={"max_per_device": 1},
                     cache={"max_observations_per_device": 2})
    live = Live(doc, gw)

    _, health = live("GET", "/v1/health", 200)
    assert health["devices"] == 1
    _, page = live("GET", "/v1/devices", 200)
    assert [d["ep"] for d in page["devices"]] == ["live-1"]
    _, one = live("GET", "/v1/devices/live-1", 200)
    assert one["state"] == "sleeping"
    live("GET", "/v1/devices/live-1/tags", 200)

    # A read queued for the sleeping device, and the op it made.
    hdrs, queued = live("GET", "/v1/devices/live-1/r/3/0/0", 202)
    assert hdrs["location"] == "/v1/ops/%d" % queued["op"]
    assert (queued["ep"], queued["method"], queued["path"]) == (
        "live-1", "GET", "3/0/0")
    _, op = live("GET", hdrs["location"], 200)
    assert op == queued
    _, ops = live("GET", "/v1/devices/live-1/ops", 200)
    assert [o["op"] for o in ops["ops"]] == [op["op"]]
    _, full = live("GET", "/v1/devices/live-1/r/3/0/9", 429)
    assert full["error"] == "queue_full"

    # Once the device wakes, the op is done with the device's answer.
    assert dev.update()["code"] == "2.04"
    wait_op(gw, op["op"], "done")
    _, done = live("GET", hdrs["location"], 200)
    assert done["result"]["status"] == 200
    live("DELETE", hdrs["location"], 409)

    # Observations: made, made again, and listed a page at a time.
    live("POST", "/v1/devices/live-1/observe/3/0/9", 201)
    live("POST", "/v1/devices/live-1/observe/3/0/9", 200)
    live("POST", "/v1/devices/live-1/observe/3/0/0", 201)
    _, capped = live("POST", "/v1/devices/live-1/observe/3/0/1", 429)
    assert capped["error"] == "too_many_observations"
    _, first = live("GET", "/v1/observations?limit=1", 200)
    assert first["next"] == "live-1/3/0/0"
    _, last = live("GET", "/v1/observations?after=" + first["next"], 200)
    assert [o["path"] for o in last["observations"]] == ["3/0/9"]
    assert last["next"] is None
    live("GET", "/v1/observations?limit=0", 400)
    live("DELETE", "/v1/devices/live-1/observe/3/0/0", 204)

    # Error bodies.
    _, missing = live("GET", "/v1/devices/nobody", 404)
    assert missing["error"] == "not_found"
    live("GET", "/v1/ops/999999", 404)
    live("GET", "/v1/devices/nobody/r/3/0/0", 404)
    live("POST", "/v1/devices/nobody/observe/3/0/0", 404)
    live("GET", "/v1/devices?limit=5000", 400)

    # The object model.
    _, objs = live("GET", "/v1/objects", 200)
    assert {0, 1, 3, 5, 3303} <= {o["id"] for o in objs["objects"]}
    _, device = live("GET", "/v1/objects/3", 200)
    binding = [r for r in device["resources"] if r["id"] == 16]
    assert binding[0]["type"] == "String"
    live("GET", "/v1/objects/8", 404)
    live("GET", "/v1/objects/x", 400)
    assert gw.alive()


def test_live_composite_observation_answers_match_the_document(
        doc, gateway_factory, devices):
    """Observe-Composite made (201), made again (200), read by its
    Location, listed, refused, and cancelled by body and by id (204)."""
    gw = gateway_factory()
    devices(gw, "live-oc", answers={
        "FETCH ": ("2.05", b'[{"n":"/3/0/9","v":87}]', 110, None)})
    live = Live(doc, gw)
    body = '{"paths":["/3303/0/5700","/3/0/9"]}'
    hdrs, made = live("POST", "/v1/devices/live-oc/observe-composite", 201,
                      body=body)
    assert made["paths"] == ["/3/0/9", "/3303/0/5700"]
    loc = hdrs["location"]
    assert loc == "/v1/devices/live-oc/observe-composite/" + made["id"]
    hdrs, again = live("POST", "/v1/devices/live-oc/observe-composite", 200,
                       body='{"paths":["/3/0/9","/3303/0/5700","/3/0/9"]}')
    assert again["id"] == made["id"] and hdrs["location"] == loc
    _, one = live("GET", loc, 200)
    assert one["id"] == made["id"]
    _, page = live("GET", "/v1/observations?ep=live-oc", 200)
    assert [o["id"] for o in page["observations"]] == [made["id"]]
    live("POST", "/v1/devices/live-oc/observe-composite", 400,
         body='{"paths":["3/0/9"]}')
    live("POST", "/v1/devices/live-oc/observe-composite", 415, body=body,
         headers={"Content-Type": "text/plain"})
    live("POST", "/v1/devices/nobody/observe-composite", 404, body=body)
    live("DELETE", "/v1/devices/live-oc/observe-composite", 204, body=body)
    live("DELETE", "/v1/devices/live-oc/observe-composite", 404, body=body)
    live("GET", loc, 404)
    live("POST", "/v1/devices/live-oc/observe-composite", 201, body=body)
    live("DELETE", loc, 204)
    live("DELETE", loc, 404)
    assert gw.alive()


def test_live_device_management_answers_match_the_document(
        doc, gateway_factory, devices):
    """Create, Write-Attributes, Read-Composite and a device's refusal,
    live and queued, against the document."""
    gw, dev = asleep(gateway_factory, devices, "live-dm", {
        "POST 33605": ("2.01", b"", None, None, None,
                       [(LOCATION_PATH, b"33605"), (LOCATION_PATH, b"0")]),
        "PUT 3303/0/5700": ("2.04", b"", None, None),
        "FETCH ": ("2.05", b'[{"n":"/3/0/0","vs":"Outpost"}]', 110, None),
        "GET 3/0/7": ("4.04", b"no such resource", None, None),
        "DELETE 9/0": ("4.05", b"", None, None)})
    live = Live(doc, gw)
    tlv = {"Content-Type": "application/vnd.oma.lwm2m+tlv"}

    # Queued while it sleeps: the ops, and their results once done.
    ops = [enqueue(gw, "POST", "/v1/devices/live-dm/r/33605",
                   body=b"\xc1\x00\x78", headers=tlv),
           enqueue(gw, "PUT", "/v1/devices/live-dm/attributes/3303/0/5700",
                   body='{"pmin":5,"lt":null}'),
           enqueue(gw, "POST", "/v1/devices/live-dm/composite",
                   body='{"paths":["/3/0/0"]}'),
           enqueue(gw, "DELETE", "/v1/devices/live-dm/r/9/0")]
    _, listed = live("GET", "/v1/devices/live-dm/ops", 200)
    assert [o["method"] for o in listed["ops"]] == ["POST", "PUT", "FETCH",
                                                    "DELETE"]
    assert listed["ops"][1]["query"] == "pmin=5&lt"
    assert dev.update()["code"] == "2.04"
    for op in ops:
        wait_op(gw, op, "done")
    results = [live("GET", "/v1/ops/%d" % op, 200)[1]["result"]
               for op in ops]
    assert results[0]["location"] == "/v1/devices/live-dm/r/33605/0"
    assert results[1] == {"status": 204}
    assert results[2]["status"] == 200
    assert results[3]["device_code"] == "4.05"

    # Live, now that it is awake.
    hdrs, made = live("POST", "/v1/devices/live-dm/r/33605", 201,
                      body=b"\xc1\x00\x78", headers=tlv)
    assert made == {"path": "/33605/0"}
    assert hdrs["location"] == "/v1/devices/live-dm/r/33605/0"
    live("PUT", "/v1/devices/live-dm/attributes/3303/0/5700", 204,
         body='{"pmin":5,"pmax":60,"gt":30.5,"lt":10,"st":1}')
    _, bad = live("PUT", "/v1/devices/live-dm/attributes/3303/0/5700",
                  400, body='{"pmin":60,"pmax":5}')
    assert bad["error"] == "bad_request"
    live("PUT", "/v1/devices/live-dm/r/3303/0/5700?pmin=1", 400)
    _, values = live("POST", "/v1/devices/live-dm/composite", 200,
                     body='{"paths":["/3/0/0"]}')
    assert values[0]["vs"] == "Outpost"
    live("POST", "/v1/devices/live-dm/composite", 400,
         body='{"paths":["3"]}')
    live("POST", "/v1/devices/live-dm/composite", 415,
         body='{"paths":["/3"]}', headers={"Content-Type": "text/plain"})
    _, refused = live("GET", "/v1/devices/live-dm/r/3/0/7", 404)
    assert refused == {"error": "not_found", "device_code": "4.04",
                       "detail": "device live-dm answered 4.04 Not Found: "
                       "no such resource"}
    _, refused = live("DELETE", "/v1/devices/live-dm/r/9/0", 400)
    assert refused["device_code"] == "4.05"
    live("POST", "/v1/devices/live-dm/r/3/0/4", 400, body="0=x",
         headers={"Content-Type": "text/plain"})
    assert gw.alive()


def test_live_mode_wait_on_a_sleeping_device(doc, gateway_factory,
                                             devices):
    gw, _ = asleep(gateway_factory, devices, "live-w", {})
    hdrs, err = Live(doc, gw)("GET", "/v1/devices/live-w/r/3/0/0"
                              "?mode=wait", 503)
    assert err["error"] == "unavailable" and int(hdrs["retry-after"]) >= 1


def test_live_job_answers_match_the_document(doc, gateway_factory,
                                             devices):
    """The job routes on scripted devices: a job made (201), held after
    its first group and continued, read, its devices a page and a state at
    a time; a scheduled one paused, resumed and cancelled; the jobs a page
    at a time, newest first; refusals (400 with field, 422, 404, 409)."""
    gw = gateway_factory(jobs={"poll_s": 1})
    names = ["live-j1", "live-j2", "live-j3"]
    for ep in names:
        devices(gw, ep, answers={"PUT 1/0/3": ("2.04", b"", None, None)})
    live = Live(doc, gw)
    step = {"op": "write", "path": "/1/0/3", "value": 60}

    hdrs, job = live("POST", "/v1/jobs", 201, body=json.dumps({
        "name": "live", "steps": [step], "target": {"endpoints": names},
        "rollout": {"group_size": 2, "approval": True,
                    "rate": {"per_minute": 600}}}))
    loc = hdrs["location"]
    assert loc == "/v1/jobs/%d" % job["id"]
    assert (job["status"], job["groups"], job["total"]) == ("running", 2, 3)
    wait_for(lambda: gw.get_json(loc)["status"] == "awaiting_approval", 10,
             what="the first group done")
    # The devices' records are answered as committed, the job from memory.
    wait_for(lambda: len(gw.get_json(loc + "/devices?state=succeeded")[
        "devices"]) == 2, what="the first group's records committed")
    _, held = live("GET", loc, 200)
    assert held["counts"]["succeeded"] == 2 and held["group"] == 0
    assert "continue" in held["reason"]
    _, page = live("GET", loc + "/devices?limit=1", 200)
    assert [d["ep"] for d in page["devices"]] == ["live-j1"]
    assert page["next"] == "live-j1"
    _, rest = live("GET", loc + "/devices?after=live-j1", 200)
    assert [d["ep"] for d in rest["devices"]] == ["live-j2", "live-j3"]
    assert rest["next"] is None
    _, ok = live("GET", loc + "/devices?state=succeeded", 200)
    assert [d["steps_done"] for d in ok["devices"]] == [1, 1]
    _, waiting = live("GET", loc + "/devices?state=pending", 200)
    assert [d["ep"] for d in waiting["devices"]] == ["live-j3"]
    live("GET", loc + "/devices?state=asleep", 400)
    live("GET", loc + "/devices?limit=0", 400)
    live("POST", loc + "/resume", 409)
    _, going = live("POST", loc + "/continue", 200)
    assert going["status"] == "running" and going["group"] == 1
    wait_for(lambda: gw.get_json(loc)["status"] == "done", 10,
             what="the job done")
    _, done = live("GET", loc, 200)
    assert done["counts"]["succeeded"] == 3 and done["finished_at"]
    live("POST", loc + "/cancel", 409)
    live("POST", loc + "/continue", 409)

    # Scheduled: paused, resumed (scheduled again), cancelled.
    hdrs, late = live("POST", "/v1/jobs", 201, body=json.dumps({
        "steps": [step], "target": {"endpoints": names},
        "schedule": {"start_at": int(time.time()) + 600}}))
    late_loc = hdrs["location"]
    assert late["status"] == "scheduled"
    assert live("POST", late_loc + "/pause", 200)[1]["status"] == "paused"
    assert live("POST", late_loc + "/resume", 200)[1]["status"] == \
        "scheduled"
    _, gone = live("POST", late_loc + "/cancel", 200)
    assert gone["status"] == "cancelled" and gone["counts"]["cancelled"] == 3
    _, first = live("GET", "/v1/jobs?limit=1", 200)
    assert [j["id"] for j in first["jobs"]] == [late["id"]]
    assert first["next"] == str(late["id"])
    _, older = live("GET", "/v1/jobs?after=" + first["next"], 200)
    assert [j["id"] for j in older["jobs"]] == [job["id"]]
    assert older["next"] is None
    live("GET", "/v1/jobs?limit=0", 400)

    # Refusals, nothing stored.
    _, bad = live("POST", "/v1/jobs", 400, body=json.dumps({
        "steps": [{"op": "reboot"}], "target": {"endpoints": names}}))
    assert bad["field"] == "steps[0].op"
    _, bad = live("POST", "/v1/jobs", 400, body="{not json")
    assert bad["field"] == "body"
    _, bad = live("POST", "/v1/jobs", 422, body=json.dumps({
        "steps": [{"op": "firmware", "image": "0123456789abcdef"}],
        "target": {"endpoints": names}}))
    assert bad["field"] == "steps" and "no such image" in bad["detail"]
    assert len(gw.get_json("/v1/jobs")["jobs"]) == 2
    live("GET", "/v1/jobs/999", 404)
    live("GET", "/v1/jobs/999/devices", 404)
    live("POST", "/v1/jobs/999/pause", 404)
    live("POST", loc + "/restart", 404)
    assert gw.alive()


def test_live_alarm_answers_match_the_document(doc, gateway_factory,
                                               devices):
    """The alarm routes: rules made (201), listed, read, refused (400 with
    field, 409 for gateway.ini's, 413), deleted (204); an alarm raised by a
    value read through the proxy, listed a page and a filter at a time,
    read, acknowledged (200, then 409), 404s."""
    gw = gateway_factory()
    devices(gw, "live-a1", answers={"GET 3/0/7": ("2.05", b"90", 0, None)})
    live = Live(doc, gw)
    hdrs, rule = live("POST", "/v1/alarm-rules", 201, body=json.dumps({
        "kind": "threshold", "path": "3/0/7", "above": 80,
        "hysteresis": 5, "hold_s": 0, "push": False, "ep": "live-a1",
        "severity": "minor", "name": "hot"}))
    assert hdrs["location"] == "/v1/alarm-rules/" + rule["id"]
    live("POST", "/v1/alarm-rules", 201, body=json.dumps({
        "kind": "rate", "path": "health/mem", "below": -1,
        "per": "minute", "window": 3, "tag": "site-a"}))
    live("POST", "/v1/alarm-rules", 201, body=json.dumps({
        "kind": "offline", "state": "asleep", "for_s": 60}))
    _, rules = live("GET", "/v1/alarm-rules", 200)
    assert [r["id"] for r in rules["rules"]][:2] == ["ini-expired",
                                                    "ini-failure"]
    live("GET", "/v1/alarm-rules/ini-failure", 200)
    _, bad = live("POST", "/v1/alarm-rules", 400, body=json.dumps({
        "kind": "silence", "for_s": 0}))
    assert bad["field"] == "for_s"
    _, bad = live("POST", "/v1/alarm-rules", 400, body="{not json")
    assert bad["field"] is None
    live("POST", "/v1/alarm-rules", 413, body="{" + " " * 5000 + "}")
    live("DELETE", "/v1/alarm-rules/ini-expired", 409)
    live("GET", "/v1/alarm-rules/999", 404)

    assert gw.http("GET", "/v1/devices/live-a1/r/3/0/7")[0] == 200
    _, page = live("GET", "/v1/alarms?state=active&ep=live-a1", 200)
    assert len(page["alarms"]) == 1 and page["next"] is None
    alarm = page["alarms"][0]
    assert alarm["value"] == 90 and alarm["severity"] == "minor"
    _, one = live("GET", "/v1/alarms/%d" % alarm["id"], 200)
    assert one["acked"] is None
    _, one = live("POST", "/v1/alarms/%d/ack" % alarm["id"], 200,
                  body=json.dumps({"by": "live"}))
    assert one["acked"]["by"] == "live"
    live("POST", "/v1/alarms/%d/ack" % alarm["id"], 409)
    live("POST", "/v1/alarms/%d/ack" % alarm["id"], 400,
         body=json.dumps({"who": "x"}))
    live("GET", "/v1/alarms?severity=minor&limit=1", 200)
    live("GET", "/v1/alarms?state=sleeping", 400)
    live("GET", "/v1/alarms?severity=fatal", 400)
    live("GET", "/v1/alarms?after=x", 400)
    live("GET", "/v1/alarms/999", 404)
    live("POST", "/v1/alarms/999/ack", 404)
    live("DELETE", "/v1/alarm-rules/" + rule["id"], 204)
    _, page = live("GET", "/v1/alarms?state=cleared", 200)
    assert [a["id"] for a in page["alarms"]] == [alarm["id"]]
    assert page["alarms"][0]["note"] == "rule deleted"
    assert gw.alive()


def test_live_history_answers_match_the_document(doc, gateway_factory,
                                                 devices):
    """The history routes: a device's series, a window raw and by step,
    the CSV form, a page and its cursor, and the refusals (400 naming the
    parameter, 404 for a device or a path with no history)."""
    gw = gateway_factory(history={"paths": "3/0/*"})
    devices(gw, "live-h", answers={"GET 3/0/9": ("2.05", b"87", 0, None)})
    live = Live(doc, gw)

    def points():
        _, w = live("GET", "/v1/devices/live-h/history/3/0/9", 200)
        return w

    # Each read is a point once committed (one a millisecond: each waits
    # for the one before).
    for n in range(1, 4):
        status, _, body = gw.http("GET", "/v1/devices/live-h/r/3/0/9")
        assert status == 200 and body == b"87", (status, body)
        if n == 1:
            wait_for(lambda: gw.get_json("/v1/devices/live-h/history")[
                "series"], 10, what="the series committed")
        w = wait_for(lambda: len(points()["points"]) == n and points(),
                     10, what="point %d committed" % n)
    _, page = live("GET", "/v1/devices/live-h/history", 200)
    assert [s["path"] for s in page["series"]] == ["3/0/9"]
    assert page["next"] is None
    assert [p["v"] for p in w["points"]] == [87, 87, 87]
    assert w["step"] is None and w["next"] is None
    _, w = live("GET", "/v1/devices/live-h/history/3/0/9?step=1d", 200)
    assert len(w["buckets"]) == 1 and w["step"] == 86400
    b = w["buckets"][0]
    assert (b["count"], b["min"], b["max"], b["mean"]) == (3, 87, 87, 87)
    _, p1 = live("GET", "/v1/devices/live-h/history/3/0/9?limit=2", 200)
    assert len(p1["points"]) == 2 and p1["next"]
    _, p2 = live("GET", "/v1/devices/live-h/history/3/0/9?limit=2&from=%s"
                 "&to=%s&after=%s" % (p1["from"], p1["to"], p1["next"]),
                 200)
    assert len(p2["points"]) == 1 and p2["next"] is None
    status, hdrs, body = gw.http(
        "GET", "/v1/devices/live-h/history/3/0/9?step=60&limit=1",
        headers={"Accept": "text/csv"})
    assert status == 200, body
    assert hdrs["content-type"].startswith("text/csv")
    assert body.decode().startswith("t,min,max,mean,count\r\n")

    for q, field in (("from=yesterday", "from"), ("step=0", "step"),
                     ("limit=10001", "limit"), ("after=zz", "after"),
                     ("from=200&to=100", "from")):
        _, bad = live("GET", "/v1/devices/live-h/history/3/0/9?" + q, 400)
        assert bad["detail"].startswith(field), (q, bad)
    live("GET", "/v1/devices/nobody/history", 404)
    live("GET", "/v1/devices/nobody/history/3/0/9", 404)
    _, none = live("GET", "/v1/devices/live-h/history/3/0/1", 404)
    assert "3/0/1" in none["detail"]
