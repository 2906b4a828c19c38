"""
doc/openapi.yaml against the route table of proxy/api.c, read from the
source at test time: every route and method of the code is in the document
with the role it needs, and the document has nothing the code does not. A
route added to api_routes[] fails this test until it is documented.
The document itself must pass a real OpenAPI validator: swagger-cli, the
npm package scripts/install-deps.sh installs at a pinned version.
"""
import os
import re
import subprocess

import pytest
import yaml

from deployfiles import REPO

API_C = os.path.join(REPO, "proxy", "api.c")
OPENAPI = os.path.join(REPO, "doc", "openapi.yaml")
INSTALL_DEPS = os.path.join(REPO, "scripts", "install-deps.sh")
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options",
                "trace"}
ROLES = {"AUTH_PUBLIC": "public", "AUTH_READ": "read",
         "AUTH_OPERATE": "operate", "AUTH_ADMIN": "admin",
         "AUTH_UNSET": "admin"}     # a row without a role is admin-only


def code_routes():
    """{openapi path: {method: role}} from api_routes[] of proxy/api.c.
    "{name...}" (the rest of the path) is "{name}" in OpenAPI."""
    with open(API_C) as fp:
        src = fp.read()
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    m = re.search(r"api_routes\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    assert m, "no api_routes[] table in proxy/api.c"
    rows = re.findall(r"\{\s*(\"[^\"]*\")\s*,\s*([A-Z_|\s]+?)\s*,\s*(\w+)"
                      r"\s*(?:,\s*(\w+)\s*)?(?:,\s*(\w+)\s*)?\}",
                      m.group(1))
    assert len(rows) == m.group(1).count('{ "'), \
        "a row of api_routes[] this test cannot read"
    out = {}
    for pattern, methods, _handler, get_role, change_role in rows:
        path = re.sub(r"\{(\w+)\.\.\.\}", r"{\1}", pattern.strip('"'))
        ms = {}
        for flag in methods.split("|"):
            name = flag.strip()
            assert name.startswith("EVHTTP_REQ_"), name
            method = name[len("EVHTTP_REQ_"):].lower()
            role = get_role if method == "get" else change_role
            ms[method] = ROLES[role or "AUTH_UNSET"]
        assert path not in out, "route %s twice" % path
        out[path] = ms
    return out


@pytest.fixture(scope="module")
def doc():
    with open(OPENAPI) as fp:
        return yaml.safe_load(fp)


def doc_routes(doc):
    return {path: {m: op.get("x-outpost-role") for m, op in item.items()
                   if m in HTTP_METHODS}
            for path, item in doc["paths"].items()}


def test_code_table_is_read():
    routes = code_routes()
    assert routes["/v1/health"] == {"get": "public"}
    assert "/v1/devices/{ep}/r/{path}" in routes
    assert len(routes) >= 10


def test_every_route_of_the_code_is_documented_and_only_those(doc):
    code, documented = code_routes(), doc_routes(doc)
    missing = sorted(set(code) - set(documented))
    extra = sorted(set(documented) - set(code))
    assert not missing, "routes of proxy/api.c missing from " \
        "doc/openapi.yaml: %s" % missing
    assert not extra, "routes of doc/openapi.yaml that proxy/api.c does " \
        "not have: %s" % extra
    for path in code:
        assert set(code[path]) == set(documented[path]), \
            "%s: the code answers %s, the document says %s" % (
                path, sorted(code[path]), sorted(documented[path]))


def test_each_operation_names_the_role_the_code_asks(doc):
    code = code_routes()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            role = code[path][method]
            assert op.get("x-outpost-role") == role, \
                "%s %s needs role %s" % (method.upper(), path, role)
            if role == "public":
                assert op.get("security") == [], (method, path)
            else:
                assert "security" not in op or op["security"], (method,
                                                                path)


def resolve(doc, ref):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        assert part in node, "unresolved $ref %s" % ref
        node = node[part]
    return node


def walk_refs(doc, node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                resolve(doc, v)
            else:
                walk_refs(doc, v)
    elif isinstance(node, list):
        for v in node:
            walk_refs(doc, v)


def test_document_is_well_formed(doc):
    assert str(doc["openapi"]).startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    walk_refs(doc, doc)
    ids = []
    for path, item in doc["paths"].items():
        params = [resolve(doc, p["$ref"]) if "$ref" in p else p
                  for p in item.get("parameters", [])]
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            ids.append(op["operationId"])
            assert op["responses"], (method, path)
            for status in op["responses"]:
                assert re.match(r"^[1-5]\d\d$", str(status)), status
            names = {p["name"] for p in params + [
                resolve(doc, p["$ref"]) if "$ref" in p else p
                for p in op.get("parameters", [])] if p["in"] == "path"}
            assert names == set(re.findall(r"\{(\w+)\}", path)), \
                "%s %s: path parameters %s" % (method, path, names)
    assert len(ids) == len(set(ids)), "operationIds are unique"


def validator():
    """The swagger-cli that scripts/install-deps.sh installs (its
    NPM_PREFIX, read from the script so that there is one place)."""
    with open(INSTALL_DEPS) as fp:
        m = re.search(r"^NPM_PREFIX=(\S+)$", fp.read(), re.M)
    assert m, "no NPM_PREFIX= in scripts/install-deps.sh"
    path = os.path.join(m.group(1), "node_modules", ".bin", "swagger-cli")
    if not os.access(path, os.X_OK):
        pytest.fail("%s not found (scripts/install-deps.sh)" % path)
    return path


def validate(path):
    return subprocess.run([validator(), "validate", path], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=120)


def test_a_validator_accepts_the_document():
    r = validate(OPENAPI)
    assert r.returncode == 0, "swagger-cli validate rejects " \
        "doc/openapi.yaml:\n%s" % r.stdout


def test_the_validator_rejects_a_broken_document(tmp_path):
    """The validator is not a no-op: an unquoted comma in a flow mapping
    (it makes the rest of the text a key of the schema) is refused."""
    with open(OPENAPI) as fp:
        text = fp.read()
    good = 'key: {type: string, description: "the signing key, in hex"}'
    assert good in text
    broken = tmp_path / "openapi.yaml"
    broken.write_text(text.replace(
        good, "key: {type: string, description: the signing key, in hex}"))
    r = validate(str(broken))
    assert r.returncode != 0, r.stdout
    assert "FirmwareImage" in r.stdout, r.stdout
