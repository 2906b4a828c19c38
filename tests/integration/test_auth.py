"""API tokens: roles per route (read, operate, admin), 401/403 as JSON with
WWW-Authenticate, /v1/health open, token-bucket limits per token and per
client address (429 with Retry-After), the token file re-read on SIGHUP, and
a bad token file stopping the start without its tokens in the log."""
import hashlib
import http.client
import json
import os

import pytest

ADMIN = "admin-token-0123456789abcdef"
OPERATE = "operate-token-0123456789abcdef"
READ = "read-token-0123456789abcdef"
INI_ADMIN = "ini-admin-token-0123456789"


def bearer(token):
    return {"Authorization": "Bearer " + token}


def write_tokens(path, lines):
    with open(path, "w") as fp:
        fp.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


@pytest.fixture
def authgw(gateway_factory, tmp_path):
    path = str(tmp_path / "tokens")
    write_tokens(path, ["# test tokens", "", ADMIN + " admin",
                        OPERATE + "\toperate", "  " + READ + "  read  "])
    gw = gateway_factory(auth={"token_file": path, "admin_token": INI_ADMIN,
                               "token_rate": 0, "addr_rate": 0})
    gw.token_file = path
    return gw


def error_doc(status, hdrs, body, code):
    assert hdrs["content-type"].startswith("application/json"), hdrs
    doc = json.loads(body)
    assert doc["error"] == code, doc
    assert doc["detail"]
    return doc


def test_health_is_open_and_the_rest_is_not(authgw):
    assert authgw.http("GET", "/v1/health")[0] == 200
    for method, path in [("GET", "/v1/devices"), ("GET", "/metrics"),
                         ("GET", "/v1/observations"),
                         ("DELETE", "/v1/devices/x"),
                         ("PUT", "/v1/devices/x/r/3/0/1")]:
        status, hdrs, body = authgw.http(method, path)
        assert status == 401, (method, path)
        assert hdrs["www-authenticate"] == 'Bearer realm="outpost"'
        error_doc(status, hdrs, body, "unauthorized")


@pytest.mark.parametrize("header", [
    "Bearer wrong-token-0123456789abcdef", "Bearer " + ADMIN[:-1],
    "Bearer " + ADMIN + "x", "Basic " + ADMIN, "Bearer", "Bearer ",
    ADMIN, "Bearer " + "a" * 5000])
def test_unknown_tokens_are_401(authgw, header):
    status, hdrs, body = authgw.http("GET", "/v1/devices",
                                     headers={"Authorization": header})
    assert status == 401
    assert hdrs["www-authenticate"].startswith('Bearer realm="outpost"')
    error_doc(status, hdrs, body, "unauthorized")


def test_unknown_token_says_invalid_token(authgw):
    status, hdrs, _ = authgw.http("GET", "/v1/devices",
                                  headers=bearer("x" * 20))
    assert status == 401
    assert 'error="invalid_token"' in hdrs["www-authenticate"]


# (method, path, role it needs); the device does not exist, so a request
# that passes authorization gets 404 (or 200 for lists).
ROUTES = [
    ("GET", "/v1/devices", "read"),
    ("GET", "/metrics", "read"),
    ("GET", "/v1/observations", "read"),
    ("GET", "/v1/devices/nodev", "read"),
    ("GET", "/v1/devices/nodev/ops", "read"),
    ("GET", "/v1/ops/1", "read"),
    ("PUT", "/v1/devices/nodev/r/3/0/1", "operate"),
    ("POST", "/v1/devices/nodev/r/3/0/4", "operate"),
    ("POST", "/v1/devices/nodev/observe/3/0/9", "operate"),
    ("DELETE", "/v1/ops/1", "operate"),
    ("DELETE", "/v1/devices/nodev", "admin"),
    ("POST", "/v1/devices", "admin"),
    ("PUT", "/v1/devices/nodev/credential", "admin"),
    ("GET", "/v1/devices/nodev/tags", "read"),
    ("PUT", "/v1/devices/nodev/tags", "admin"),
    ("GET", "/v1/firmware", "read"),
    ("POST", "/v1/firmware", "admin"),
    ("DELETE", "/v1/firmware/1", "admin"),
    ("GET", "/v1/campaigns", "read"),
    ("POST", "/v1/campaigns", "admin"),
]
RANK = {"read": 1, "operate": 2, "admin": 3}


@pytest.mark.parametrize("method,path,need", ROUTES)
def test_roles_per_route(authgw, method, path, need):
    for token, role in [(READ, "read"), (OPERATE, "operate"),
                        (ADMIN, "admin"), (INI_ADMIN, "admin")]:
        status, hdrs, body = authgw.http(method, path, body=b"{}" if
                                         method in ("PUT", "POST") else None,
                                         headers=bearer(token))
        if RANK[role] >= RANK[need]:
            assert status not in (401, 403, 429), (role, status, body)
        else:
            assert status == 403, (role, method, path, status)
            assert 'error="insufficient_scope"' in hdrs["www-authenticate"]
            assert 'scope="%s"' % need in hdrs["www-authenticate"]
            error_doc(status, hdrs, body, "forbidden")


def test_scheme_is_case_insensitive(authgw):
    status, _, _ = authgw.http("GET", "/v1/devices",
                               headers={"Authorization": "bearer " + READ})
    assert status == 200


def test_tokens_never_logged(authgw):
    authgw.http("GET", "/v1/devices", headers=bearer(READ))
    authgw.http("DELETE", "/v1/devices/x", headers=bearer(READ))
    authgw.http("GET", "/v1/devices", headers=bearer(ADMIN + "x"))
    log = authgw.log()
    assert "403" in log and "401" in log
    for t in (ADMIN, OPERATE, READ, INI_ADMIN):
        assert t not in log and t[:12] not in log


def burst(gw, n, headers):
    """n requests on one keep-alive connection: the statuses and the
    first 429's headers and body."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=5)
    out, first = [], None
    try:
        for _ in range(n):
            conn.request("GET", "/v1/devices", headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            out.append(resp.status)
            if resp.status == 429 and first is None:
                first = ({k.lower(): v for k, v in resp.getheaders()}, body)
    finally:
        conn.close()
    return out, first


def test_rate_limit_per_token(gateway_factory):
    gw = gateway_factory(auth={"read_token": READ, "admin_token": ADMIN,
                               "token_rate": 1, "token_burst": 3,
                               "addr_rate": 0})
    statuses, first = burst(gw, 10, bearer(READ))
    # A full bucket of 3, then at most a few refills at 1/s before the
    # tenth request: some are refused.
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses
    hdrs, body = first
    assert int(hdrs["retry-after"]) >= 1
    error_doc(429, hdrs, body, "too_many_requests")
    # Another token has its own bucket.
    assert gw.http("GET", "/v1/devices", headers=bearer(ADMIN))[0] == 200
    # /v1/health is not limited.
    assert all(gw.http("GET", "/v1/health")[0] == 200 for _ in range(5))


def test_rate_limit_per_address(gateway_factory):
    gw = gateway_factory(auth={"read_token": READ, "admin_token": ADMIN,
                               "token_rate": 0, "addr_rate": 1,
                               "addr_burst": 4})
    # Requests without a token count too: guessing is limited.
    statuses, first = burst(gw, 12, {})
    assert statuses[:4] == [401] * 4
    assert 429 in statuses
    assert int(first[0]["retry-after"]) >= 1
    # The address is limited whatever token it shows.
    status, hdrs, _ = gw.http("GET", "/v1/devices", headers=bearer(ADMIN))
    assert status == 429 and int(hdrs["retry-after"]) >= 1


def test_no_limit_and_no_auth_without_tokens(gateway):
    # The default test gateway: loopback, no tokens, open.
    statuses, _ = burst(gateway, 300, {})
    assert set(statuses) == {200}
    assert "no API token configured" in gateway.log()


def test_token_file_reloaded_on_sighup(authgw):
    new = "new-token-0123456789abcdefgh"
    assert authgw.http("GET", "/v1/devices", headers=bearer(new))[0] == 401
    write_tokens(authgw.token_file, [new + " read"])
    authgw.reload(expect="http: 2 API tokens")
    assert authgw.http("GET", "/v1/devices", headers=bearer(new))[0] == 200
    assert authgw.http("GET", "/v1/devices", headers=bearer(READ))[0] == 401
    # The ini's token stays.
    assert authgw.http("GET", "/v1/devices",
                       headers=bearer(INI_ADMIN))[0] == 200
    # A bad file keeps what runs, and says where without the token.
    write_tokens(authgw.token_file, [new + " read", ADMIN + " root"])
    line = authgw.reload(expect="keeping the running tokens")
    assert "line 2" in line and ADMIN not in line
    assert authgw.http("GET", "/v1/devices", headers=bearer(new))[0] == 200
    assert authgw.http("GET", "/v1/devices", headers=bearer(ADMIN))[0] == 401


@pytest.mark.parametrize("lines,msg", [
    (["short read"], "line 1: a token must be 16..128 characters"),
    ([ADMIN + " root"], "line 1: the role must be read, operate or admin"),
    ([ADMIN], "line 1: expected TOKEN ROLE"),
    ([ADMIN + " read extra"], "line 1: text after the role"),
    (["# c", ADMIN + " read", ADMIN + " admin"], "line 3: a token appears"),
    (["bad\"token-0123456789abc read"], "line 1: a token may hold only"),
    ([INI_ADMIN + " read"], "a token of the ini appears again"),
])
def test_bad_token_file_stops_the_start(gateway_factory, tmp_path, lines,
                                        msg):
    path = str(tmp_path / "tokens")
    write_tokens(path, lines)
    gw = gateway_factory(start=False, auth={"token_file": path,
                                            "admin_token": INI_ADMIN})
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    log = gw.log()
    assert msg in log, log
    assert ADMIN not in log and "short" not in log


def test_missing_token_file_stops_the_start(gateway_factory, tmp_path):
    gw = gateway_factory(start=False,
                         auth={"token_file": str(tmp_path / "none")})
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    assert "No such file or directory" in gw.log()


def test_addresses_have_buckets_of_their_own(gateway_factory):
    gw = gateway_factory(auth={"read_token": READ, "token_rate": 0,
                               "addr_rate": 1, "addr_burst": 2})
    statuses, _ = burst(gw, 6, bearer(READ))
    assert 429 in statuses
    # Another loopback address is not held back by the first one's use.
    conn = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=5,
                                      source_address=("127.0.0.2", 0))
    try:
        conn.request("GET", "/v1/devices", headers=bearer(READ))
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def test_misses_count_against_the_address_but_not_health(gateway_factory):
    gw = gateway_factory(auth={"read_token": READ, "token_rate": 0,
                               "addr_rate": 1, "addr_burst": 3})
    conn = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=5)
    statuses = []
    try:
        for path in ["/v1/nothing"] * 5 + ["/v1/health"] * 3:
            conn.request("DELETE" if path == "/v1/health" else "GET", path)
            resp = conn.getresponse()
            resp.read()
            statuses.append(resp.status)
    finally:
        conn.close()
    # Unknown routes and wrong methods (405) are scans: limited.
    assert statuses[:3] == [404] * 3 and 429 in statuses[3:]
    assert set(statuses[3:5]) <= {404, 429}
    assert set(statuses[5:]) <= {405, 429}
    # The probe's route is never limited.
    assert all(gw.http("GET", "/v1/health")[0] == 200 for _ in range(5))


def test_token_file_may_hold_hashes(gateway_factory, tmp_path):
    path = str(tmp_path / "tokens")
    digest = hashlib.sha256(OPERATE.encode()).hexdigest()
    write_tokens(path, ["sha256:%s operate" % digest])
    gw = gateway_factory(auth={"token_file": path, "admin_token": "sha256:"
                               + hashlib.sha256(ADMIN.encode()).hexdigest()})
    assert gw.http("GET", "/v1/devices", headers=bearer(OPERATE))[0] == 200
    assert gw.http("DELETE", "/v1/devices/x", headers=bearer(ADMIN))[0] == 404
    status, _, _ = gw.http("DELETE", "/v1/devices/x", headers=bearer(OPERATE))
    assert status == 403
    # The hash itself is no token.
    assert gw.http("GET", "/v1/devices", headers=bearer(
        "sha256:" + digest))[0] == 401


def test_whoami_names_the_tokens_role(authgw, gateway):
    for tok, role in [(ADMIN, "admin"), (INI_ADMIN, "admin"),
                      (OPERATE, "operate"), (READ, "read")]:
        status, _, body = authgw.http("GET", "/v1/whoami",
                                      headers=bearer(tok))
        assert status == 200 and json.loads(body) == {"role": role}, tok
    assert authgw.http("GET", "/v1/whoami")[0] == 401
    # without tokens the API is open, and every request is admin
    status, _, body = gateway.http("GET", "/v1/whoami")
    assert status == 200 and json.loads(body)["role"] == "admin"
