"""Device tags: GET and PUT /v1/devices/{ep}/tags for registered and
unregistered endpoints, tags with provisioning, the ?tag= filter of the
device list (with paging), tags that survive a restart and go with a
decommission, refusals that leave the old tags in place, and the roles."""
import json

import pytest

from test_auth import ADMIN, OPERATE, READ, authgw, bearer  # noqa: F401
from test_dtls import post_json


def put_tags(gw, ep, doc, headers=None, raw=None):
    body = raw if raw is not None else json.dumps(doc)
    status, _, data = gw.http("PUT", "/v1/devices/%s/tags" % ep, body=body,
                              headers=dict({"Content-Type":
                                            "application/json"},
                                           **(headers or {})))
    return status, (json.loads(data) if data else None)


def tags(gw, ep):
    doc = gw.get_json("/v1/devices/%s/tags" % ep)
    assert doc["ep"] == ep
    return doc["tags"]


def listed(gw, query):
    return [d["ep"] for d in gw.devices(query)["devices"]]


def test_set_get_replace(gateway):
    gw = gateway
    gw.register("node-1")
    assert tags(gw, "node-1") == []
    status, doc = put_tags(gw, "node-1", ["site-a", "canary", "site-a"])
    assert status == 200, doc
    assert doc == {"ep": "node-1", "tags": ["canary", "site-a"]}
    assert tags(gw, "node-1") == ["canary", "site-a"]
    assert gw.device("node-1")["tags"] == ["canary", "site-a"]
    # The object form replaces the whole set.
    status, doc = put_tags(gw, "node-1", {"tags": ["beta"]})
    assert status == 200 and doc["tags"] == ["beta"]
    assert tags(gw, "node-1") == ["beta"]
    assert listed(gw, "?tag=site-a") == []
    assert listed(gw, "?tag=beta") == ["node-1"]
    # An empty list clears.
    assert put_tags(gw, "node-1", [])[0] == 200
    assert tags(gw, "node-1") == []
    assert gw.device("node-1")["tags"] == []


def test_unregistered_endpoint_and_restart(gateway):
    gw = gateway
    # Tags of an endpoint that never registered: kept, not listed.
    assert put_tags(gw, "later-1", ["site-b"])[0] == 200
    assert tags(gw, "later-1") == ["site-b"]
    assert listed(gw, "?tag=site-b") == []
    status, _, _ = gw.http("GET", "/v1/devices/later-1")
    assert status == 404
    gw.restart()
    assert tags(gw, "later-1") == ["site-b"]
    # It registers: the tags were waiting for it.
    gw.register("later-1")
    assert listed(gw, "?tag=site-b") == ["later-1"]
    assert gw.device("later-1")["tags"] == ["site-b"]
    gw.kill9()
    gw.start()
    assert tags(gw, "later-1") == ["site-b"]
    assert listed(gw, "?tag=site-b") == ["later-1"]


def test_list_filter_and_pages(gateway):
    gw = gateway
    for i in range(5):
        gw.register("dev-%d" % i)
    for i in (0, 2, 3, 4):
        assert put_tags(gw, "dev-%d" % i, ["site-a"] +
                        (["canary"] if i % 2 == 0 else []))[0] == 200
    assert put_tags(gw, "gone-1", ["site-a"])[0] == 200    # unregistered
    assert listed(gw, "?tag=site-a") == ["dev-0", "dev-2", "dev-3", "dev-4"]
    assert listed(gw, "?tag=canary") == ["dev-0", "dev-2", "dev-4"]
    assert listed(gw, "?tag=nothing") == []
    assert len(listed(gw, "")) == 5
    # Pages: limit and after as without a tag.
    doc = gw.devices("?tag=site-a&limit=2")
    assert [d["ep"] for d in doc["devices"]] == ["dev-0", "dev-2"]
    assert doc["next"] == "dev-2"
    doc = gw.devices("?tag=site-a&limit=2&after=dev-2")
    assert [d["ep"] for d in doc["devices"]] == ["dev-3", "dev-4"]
    assert doc["next"] is None
    # With a state filter too.
    assert listed(gw, "?tag=canary&state=awake") == ["dev-0", "dev-2",
                                                      "dev-4"]
    assert listed(gw, "?tag=canary&state=expired") == []
    status, _, body = gw.http("GET", "/v1/devices?tag=bad%20tag")
    assert status == 400 and b"tag must be" in body


def test_list_by_name_prefix(gateway):
    gw = gateway
    for ep in ("a", "dev", "dev-1", "dev-2", "dev-3", "dew", "devx"):
        gw.register(ep)
    assert put_tags(gw, "dev-2", ["site-a"])[0] == 200
    assert put_tags(gw, "dev", ["site-a"])[0] == 200
    assert listed(gw, "?prefix=dev") == ["dev", "dev-1", "dev-2", "dev-3",
                                         "devx"]
    assert listed(gw, "?prefix=dev-") == ["dev-1", "dev-2", "dev-3"]
    assert listed(gw, "?prefix=zz") == []
    assert listed(gw, "?prefix=dev&tag=site-a") == ["dev", "dev-2"]
    # pages within the prefix; the last one says so
    doc = gw.devices("?prefix=dev&limit=2")
    assert [d["ep"] for d in doc["devices"]] == ["dev", "dev-1"]
    assert doc["next"] == "dev-1"
    doc = gw.devices("?prefix=dev&limit=3&after=dev-1")
    assert [d["ep"] for d in doc["devices"]] == ["dev-2", "dev-3", "devx"]
    assert doc["next"] is None
    for bad in ("", "x" * 64):
        status, _, body = gw.http("GET", "/v1/devices?prefix=" + bad)
        assert status == 400 and b"prefix must be" in body


BAD = [
    ("not json", "JSON array"),
    ('{"tags": ["a"], "extra": 1}', "one member"),
    ('"site-a"', "array of strings"),
    ('["a", 1]', "tags[1] is not a string"),
    ('["a", "has space"]', "tags[1] is not a tag"),
    ('["' + "x" * 33 + '"]', "tags[0] is not a tag"),
    (json.dumps(["t%d" % i for i in range(17)]), "more than 16"),
    ('["a\\u0000b"]', "NUL"),
    ("", "JSON array"),
]


@pytest.mark.parametrize("body,says", BAD)
def test_bad_bodies_leave_the_old_tags(gateway, body, says):
    gw = gateway
    assert put_tags(gw, "node-1", ["keep"])[0] == 200
    status, doc = put_tags(gw, "node-1", None, raw=body)
    assert status == 400, doc
    assert doc["error"] == "bad_request" and says in doc["detail"], doc
    assert tags(gw, "node-1") == ["keep"]


def test_bad_endpoints(gateway):
    gw = gateway
    long_ep = "e" * 64
    for method in ("GET", "PUT"):
        status, _, body = gw.http(method, "/v1/devices/%s/tags" % long_ep,
                                  body="[]" if method == "PUT" else None)
        assert status == 400 and b"ep must be 1..63" in body, body
    status, _, body = gw.http("PUT", "/v1/devices/a%3Fb/tags", body="[]")
    assert status == 400, body
    # 63 is fine; /tags is never taken for a device resource.
    assert put_tags(gw, "e" * 63, ["x"])[0] == 200
    assert tags(gw, "e" * 63) == ["x"]
    status, _, _ = gw.http("POST", "/v1/devices/node-1/tags", body="[]")
    assert status == 405


def test_provisioning_with_tags(gateway):
    gw = gateway
    status, _, body = post_json(gw, "/v1/devices",
                                {"ep": "prov-1", "x509": True,
                                 "tags": ["site-c", "canary"]})
    assert status == 201, body
    assert json.loads(body)["tags"] == ["canary", "site-c"]
    assert tags(gw, "prov-1") == ["canary", "site-c"]
    # A refused provisioning (the ep has a credential) changes no tag.
    status, _, _ = post_json(gw, "/v1/devices",
                             {"ep": "prov-1", "x509": True,
                              "tags": ["other"]})
    assert status == 409
    assert tags(gw, "prov-1") == ["canary", "site-c"]
    # A bad tag refuses the whole body: no credential either.
    status, _, body = post_json(gw, "/v1/devices",
                                {"ep": "prov-2", "x509": True,
                                 "tags": ["bad tag"]})
    assert status == 400 and b"not a tag" in body
    assert tags(gw, "prov-2") == []
    status, _, body = post_json(gw, "/v1/devices",
                                {"ep": "prov-2", "x509": True})
    assert status == 201 and "tags" not in json.loads(body)
    # Tags are not part of a credential's replacement.
    status, _, body = gw.http("PUT", "/v1/devices/prov-1/credential",
                              body=json.dumps({"x509": True,
                                               "tags": ["x"]}))
    assert status == 400 and b"unknown member" in body


def test_decommission_drops_tags(gateway):
    gw = gateway
    gw.register("node-1")
    assert put_tags(gw, "node-1", ["site-a"])[0] == 200
    assert gw.http("DELETE", "/v1/devices/node-1")[0] == 204
    assert tags(gw, "node-1") == []
    assert listed(gw, "?tag=site-a") == []
    # Provisioned only, with tags.
    assert post_json(gw, "/v1/devices", {"ep": "prov-1", "x509": True,
                                         "tags": ["t"]})[0] == 201
    assert gw.http("DELETE", "/v1/devices/prov-1")[0] == 204
    assert tags(gw, "prov-1") == []
    # Tagged only: there is something to decommission.
    assert put_tags(gw, "tagged-1", ["t"])[0] == 200
    assert gw.http("DELETE", "/v1/devices/tagged-1")[0] == 204
    assert tags(gw, "tagged-1") == []
    assert gw.http("DELETE", "/v1/devices/tagged-1")[0] == 404
    gw.restart()
    assert tags(gw, "node-1") == [] and tags(gw, "tagged-1") == []


def test_roles(authgw):
    gw = authgw
    for token in (READ, OPERATE):
        status, _ = put_tags(gw, "node-1", ["a"], headers=bearer(token))
        assert status == 403
        status, _, _ = gw.http("GET", "/v1/devices/node-1/tags",
                               headers=bearer(token))
        assert status == 200
    status, doc = put_tags(gw, "node-1", ["a"], headers=bearer(ADMIN))
    assert status == 200, doc
    status, _, body = gw.http("GET", "/v1/devices/node-1/tags",
                              headers=bearer(READ))
    assert json.loads(body)["tags"] == ["a"]
    status, _, _ = gw.http("GET", "/v1/devices/node-1/tags")
    assert status == 401
