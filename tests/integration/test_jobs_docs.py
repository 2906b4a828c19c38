"""
The job requests of the documentation, sent to a real gateway with
scripted devices: every ```json job block of doc/jobs.md (a whole request),
every ```json job-step block (one step, sent with a target of one device)
and the body of every curl that POSTs to /v1/jobs in README.md and
doc/outpost.8 is taken (201, a Job as doc/openapi.yaml has it, whose
stored request is taken again as it is), and every ```json job-refused
FIELD block is refused with 400 naming FIELD, nothing stored. When the
parser and the documentation drift apart, this fails until they agree.

The examples' image ids stand for an image uploaded here, and their times
are moved on by whole weeks when they have come too near (the window's
hours and the weekday stay). The two jobs of its software section run
on a real outpost-node. The events doc/jobs.md names are checked in
test_events.py.
"""
import datetime
import json
import os
import re

import yaml

from conftest import wait_for
from deployfiles import REPO
from test_firmware import keygen, make_image, post_manifest, put_image, sign
from test_node_software import lines, sw_setup, upload, wait_res
from test_openapi_live import OPENAPI, check

JOBS_MD = os.path.join(REPO, "doc", "jobs.md")
README = os.path.join(REPO, "README.md")
MAN = os.path.join(REPO, "doc", "outpost.8")
WEEK = 7 * 86400


def read(path):
    with open(path) as fp:
        return fp.read()


def md_blocks():
    """[(kind, field, text)] of the ```json job... blocks of doc/jobs.md."""
    return [(m.group(1), m.group(2), m.group(3)) for m in re.finditer(
        r"^```json (job|job-step|job-refused)(?: (\S+))?\n(.*?)^```$",
        read(JOBS_MD), re.M | re.S)]


def curl_bodies(text):
    """The bodies of the curl commands of text that POST to /v1/jobs:
    -d '...' followed by the URL."""
    out = []
    for m in re.finditer(r"-d '([^']*)'", text):
        url = re.search(r"https?://\S+", text[m.end():])
        if url and re.fullmatch(r"https?://[^/]+/v1/jobs",
                                url.group(0).rstrip("'\"")):
            out.append(m.group(1))
    return out


def readme_bodies():
    fences = re.findall(r"^```sh\n(.*?)^```$", read(README), re.M | re.S)
    return curl_bodies("\n".join(fences))


def man_bodies():
    blocks = re.findall(r"^\.Bd -literal[^\n]*\n(.*?)^\.Ed$", read(MAN),
                        re.M | re.S)
    text = "\n".join(blocks).replace("\\e", "\\").replace("\\&", "")
    return curl_bodies(text)


def examples():
    """[(where, request dict, None or the field of its refusal)]."""
    out = []
    for i, (kind, field, text) in enumerate(md_blocks()):
        body = json.loads(text)
        if kind == "job-step":
            body = {"steps": [body], "target": {"endpoints": ["node-1"]}}
        out.append(("doc/jobs.md block %d" % (i + 1), body,
                    field if kind == "job-refused" else None))
    for where, bodies in (("README.md", readme_bodies()),
                          ("doc/outpost.8", man_bodies())):
        out += [("%s curl %d" % (where, i + 1), json.loads(b), None)
                for i, b in enumerate(bodies)]
    return out


def test_the_examples_are_found():
    """The markers are read: a test that finds nothing proves nothing."""
    kinds = [k for k, _, _ in md_blocks()]
    assert kinds.count("job") >= 15 and kinds.count("job-step") >= 10
    assert kinds.count("job-refused") >= 2
    assert len(readme_bodies()) >= 1
    assert len(man_bodies()) >= 8
    ops = {s["op"] for _, b, _ in examples() for s in b["steps"]
           if isinstance(s, dict) and "op" in s}
    assert ops >= {"write", "partial-write", "execute", "write-attributes",
                   "create", "delete", "firmware", "software"}


def parse_time(v):
    if isinstance(v, int):
        return v
    return int(datetime.datetime.fromisoformat(
        v.replace("Z", "+00:00")).timestamp())


def utc(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def adapt(body, image, now):
    """body with its image ids as the uploaded image's, and its times
    moved on by whole weeks when the first is less than an hour ahead."""
    for s in body.get("steps", []):
        if isinstance(s, dict) and "image" in s:
            s["image"] = image
    sched = body.get("schedule", {})
    times = [parse_time(sched[k]) for k in ("start_at", "end_at")
             if k in sched]
    if times and min(times) < now + 3600:
        weeks = (now + 3600 - min(times) + WEEK - 1) // WEEK
        for k in ("start_at", "end_at"):
            if k in sched:
                sched[k] = utc(parse_time(sched[k]) + weeks * WEEK)
    return body


def test_old_examples_are_moved_on_by_whole_weeks():
    """An example whose times have come near or passed is moved on by
    whole weeks: after the hour to come, its length, weekday and time of
    day kept; one far enough ahead is left as it is."""
    now = parse_time("2031-03-05T12:00:00Z")
    body = adapt({"steps": [{"op": "firmware", "image": "3f2a9c0d1e4b5a67"}],
                  "schedule": {"start_at": "2026-12-14T22:00:00Z",
                               "end_at": 1797375600}}, "0123456789abcdef",
                 now)
    start = parse_time(body["schedule"]["start_at"])
    end = parse_time(body["schedule"]["end_at"])
    assert now + 3600 <= start < now + 3600 + WEEK
    assert (start - parse_time("2026-12-14T22:00:00Z")) % WEEK == 0
    assert end - start == 1797375600 - parse_time("2026-12-14T22:00:00Z")
    assert body["steps"][0]["image"] == "0123456789abcdef"
    ahead = {"schedule": {"start_at": utc(now + 7200)}}
    assert adapt(json.loads(json.dumps(ahead)), "x", now) == ahead


def names(cases, key):
    out = set()
    for _, body, _ in cases:
        out |= set(body.get("target", {}).get(key, []))
    return out


def test_every_documented_request_is_taken(gateway_factory, devices,
                                           run_outpost, tmp_path):
    with open(OPENAPI) as fp:
        doc = yaml.safe_load(fp)
    job_schema = {"$ref": "#/components/schemas/Job"}
    key, pub = keygen(run_outpost, tmp_path)
    gw = gateway_factory(firmware={"trusted_keys": pub})
    img, data = make_image(tmp_path, "pkg.tar", 4000)
    image = post_manifest(gw, sign(run_outpost, key, img, 1))["id"]
    assert put_image(gw, image, data)[0] == 201
    cases = examples()
    # The named endpoints are scripted devices that take every write and
    # execute; one more carries every tag the examples name.
    tags = sorted(names(cases, "tags"))
    assert 0 < len(tags) <= 16, tags
    for ep in sorted(names(cases, "endpoints")) + ["tagged-1"]:
        devices(gw, ep, answers={})
    assert gw.http("PUT", "/v1/devices/tagged-1/tags",
                   body=json.dumps(tags))[0] == 200
    now = int(datetime.datetime.now().timestamp())
    stored = 0
    for where, body, field in cases:
        body = adapt(body, image, now)
        status, hdrs, out = gw.http("POST", "/v1/jobs",
                                    body=json.dumps(body))
        answer = json.loads(out)
        if field is not None:
            assert status == 400, (where, status, answer)
            assert answer["field"] == field, (where, answer)
            assert len(gw.get_json("/v1/jobs?limit=1000")["jobs"]) == stored
            continue
        assert status == 201, (where, body, answer)
        stored += 1
        assert hdrs["location"] == "/v1/jobs/%d" % answer["id"], where
        errs = check(doc, job_schema, answer)
        assert not errs, (where, errs)
        # What the gateway keeps of it is a request it takes as it is.
        status, _, again = gw.http("POST", "/v1/jobs",
                                   body=json.dumps(answer["request"]))
        assert status == 201, (where, answer["request"], again)
        stored += 1
        again = json.loads(again)
        assert again["request"] == answer["request"], where
        assert again["total"] == answer["total"], where
        for jid in (answer["id"], again["id"]):
            status, _, out = gw.http("POST", "/v1/jobs/%d/cancel" % jid)
            assert status == 200, (where, out)
    assert len(gw.get_json("/v1/jobs?limit=1000")["jobs"]) == stored
    assert gw.alive()


def md_job(name):
    """The job request of doc/jobs.md whose name is name."""
    for kind, _, text in md_blocks():
        body = json.loads(text)
        if kind == "job" and body.get("name") == name:
            return body
    raise AssertionError("no job named %r in doc/jobs.md" % name)


def test_the_software_jobs_run_on_outpost_node(run_outpost, tmp_path,
                                               gateway_factory,
                                               node_factory):
    """The two jobs of "Software packages on outpost-node" on a real agent
    tagged edge: 2.1.0 installed and activated, then the update to 2.2.0
    (Uninstall for an update, install, activate); each job done, /9/0
    where doc/jobs.md says, and each command run once a job."""
    gw, _, (key, _) = sw_setup(run_outpost, tmp_path, gateway_factory,
                               node_factory)
    marks = tmp_path / "marks"
    assert gw.http("PUT", "/v1/devices/sw-1/tags",
                   body='["edge"]')[0] == 200
    now = int(datetime.datetime.now().timestamp())
    for name, version, seq in (("edge-agent 2.1.0", "2.1.0", 7),
                               ("edge-agent 2.2.0", "2.2.0", 8)):
        uri, _ = upload(run_outpost, tmp_path, gw, key, "edge-agent",
                        version, seq)
        body = adapt(md_job(name), uri.rsplit("/", 1)[1], now)
        status, _, out = gw.http("POST", "/v1/jobs", body=json.dumps(body))
        assert status == 201, out
        loc = "/v1/jobs/%d" % json.loads(out)["id"]
        wait_for(lambda: gw.get_json(loc)["status"] != "running", 60,
                 what="%s finished (%s)" % (name, gw.get_json(
                     loc + "/devices")))
        job = gw.get_json(loc)
        assert job["status"] == "done", (job, gw.get_json(loc + "/devices"))
        assert job["counts"]["succeeded"] == 1, job
        wait_res(gw, {7: "4", 12: "1", 0: "edge-agent", 1: version})
    assert len(lines(marks / "install")) == 2
    assert len(lines(marks / "activate")) == 2
    assert [ln.split()[1:2] + ln.split()[-1:]
            for ln in lines(marks / "uninstall")] == [["2.1.0", "1"]]
