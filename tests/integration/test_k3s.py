"""
scripts/k3s: the manifests, checked without a cluster: parsed, their
references resolved (labels, services, volumes, the Secret's keys), the
gateway.ini of the ConfigMap and the node.ini of the agent's ConfigMap
loaded by the real binaries, and the agent's readiness probe run against a
real gateway.
"""
import os
import re
import subprocess

import pytest
import yaml

import deploybroker
from conftest import NODE_BIN, OUTPOST_BIN, wait_for
from deployfiles import (REPO, hostport, namespaces_ok, parse_dockerfile,
                         read_ini, run_in_namespaces)

K3S = os.path.join(REPO, "scripts", "k3s")
NS = "outpost"
WORKLOADS = ("StatefulSet", "DaemonSet", "Deployment")


SECRET_EXAMPLES = [os.path.join("secrets", f) for f in
                   ("gateway-secret.yaml", "node-probe-secret.yaml",
                    "broker-secret.yaml")]


def kustomization():
    with open(os.path.join(K3S, "kustomization.yaml")) as fp:
        return yaml.safe_load(fp)


def test_reapplying_never_touches_the_secret():
    """kubectl apply -k again (after a ConfigMap edit) must not put the
    Secret's empty placeholder over the tokens the operator created."""
    for f in kustomization()["resources"]:
        with open(os.path.join(K3S, f)) as fp:
            kinds = [doc["kind"] for doc in yaml.safe_load_all(fp)]
        assert "Secret" not in kinds, f


@pytest.fixture(scope="module")
def objs():
    """Every object of the kustomization, and the Secret the operator
    creates from its example, by (kind, name)."""
    kust = kustomization()
    files = sorted(f for f in os.listdir(K3S) if f.endswith(".yaml") and
                   f != "kustomization.yaml")
    assert sorted(kust["resources"]) == files, "kustomization lists all"
    out = {}
    for f in kust["resources"] + SECRET_EXAMPLES:
        with open(os.path.join(K3S, f)) as fp:
            for doc in yaml.safe_load_all(fp):
                assert doc["apiVersion"] and doc["kind"], f
                meta = doc["metadata"]
                if doc["kind"] != "Namespace":
                    assert meta["namespace"] == NS, (f, meta)
                key = (doc["kind"], meta["name"])
                assert key not in out, key
                out[key] = doc
    return out


def gateway_ini(objs):
    return objs[("ConfigMap", "outpost-gateway")]["data"]["gateway.ini"]


def pod(objs, kind, name):
    return objs[(kind, name)]["spec"]["template"]["spec"]


def container(spec):
    assert len(spec["containers"]) == 1
    return spec["containers"][0]


def mounts(c):
    return {m["name"]: m for m in c.get("volumeMounts", [])}


def config_path(c, volume, key):
    """The file the container's -c names must be where the volume mounts
    the ConfigMap's key."""
    args = c["args"]
    path = args[args.index("-c") + 1]
    assert path == os.path.join(mounts(c)[volume]["mountPath"], key)
    assert "subPath" not in mounts(c)[volume], \
        "a subPath mount never sees ConfigMap updates"
    return path


def test_namespace_and_labels(objs):
    assert ("Namespace", NS) in objs
    for (kind, name), o in objs.items():
        if kind in WORKLOADS:
            sel = o["spec"]["selector"]["matchLabels"]
            labels = o["spec"]["template"]["metadata"]["labels"]
            assert sel.items() <= labels.items(), name
        if kind == "Service":
            pods = [x for (k, _), x in objs.items()
                    if k in WORKLOADS and
                    o["spec"]["selector"].items() <=
                    x["spec"]["template"]["metadata"]["labels"].items()]
            assert len(pods) == 1, "service %s selects one workload" % name


def test_gateway_statefulset(objs):
    sts = objs[("StatefulSet", "outpost-gateway")]
    spec = sts["spec"]
    assert spec["replicas"] == 1, "LMDB has one writer"
    svc = objs[("Service", spec["serviceName"])]
    assert svc["spec"]["clusterIP"] == "None"
    ps = pod(objs, "StatefulSet", "outpost-gateway")
    assert ps["hostNetwork"] is True
    assert ps["dnsPolicy"] == "ClusterFirstWithHostNet"
    c = container(ps)
    ini = read_ini(gateway_ini(objs))
    http = hostport(ini["http"]["listen"])[1]
    coap = hostport(ini["coap"]["listen"])[1]
    coaps = hostport(ini["coap"]["secure_listen"])[1]
    want = {("UDP", coap), ("UDP", coaps), ("TCP", http)}
    assert {(p["protocol"], p["containerPort"]) for p in c["ports"]} == want
    assert {(p["protocol"], p["port"]) for p in svc["spec"]["ports"]} == want
    for probe in ("livenessProbe", "readinessProbe"):
        get = c[probe]["httpGet"]
        assert (get["path"], get["port"]) == ("/v1/health", http), probe
    # The store is on the claim's volume.
    claims = {t["metadata"]["name"]: t for t in spec["volumeClaimTemplates"]}
    data = mounts(c)["data"]["mountPath"]
    assert "data" in claims and \
        claims["data"]["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claims["data"]["spec"]["resources"]["requests"]["storage"]
    store = ini["store"]["path"]
    assert store == data or store.startswith(data + "/")
    vols = {v["name"]: v for v in ps["volumes"]}
    assert vols["config"]["configMap"]["name"] == "outpost-gateway"
    config_path(c, "config", "gateway.ini")
    assert vols["secrets"]["secret"]["secretName"] == \
        "outpost-gateway-secrets"
    assert mounts(c)["secrets"]["readOnly"] is True
    assert c["resources"]["limits"]["memory"]
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_gateway_files_from_the_secret_exist_in_it(objs):
    """Every /etc/outpost/secrets/NAME the ini names, uncommented or
    commented out, is a key of the Secret or one the comments ask for."""
    secret = objs[("Secret", "outpost-gateway-secrets")]
    text = gateway_ini(objs)
    live = re.findall(r"^\s*\w+\s*=\s*/etc/outpost/secrets/(\S+)", text,
                      re.M)
    assert live, "the ini uses the Secret"
    for name in live:
        assert name in secret["stringData"], name


def test_gateway_ini_of_the_configmap_is_valid(objs, tmp_path):
    """outpost -n on the ConfigMap's gateway.ini, with the Secret's files
    where the pod would have them."""
    secret = objs[("Secret", "outpost-gateway-secrets")]
    sdir = tmp_path / "secrets"
    sdir.mkdir()
    for name, value in secret["stringData"].items():
        (sdir / name).write_text(value)
    ini = gateway_ini(objs).replace("/etc/outpost/secrets/",
                                    str(sdir) + "/")
    path = tmp_path / "gateway.ini"
    path.write_text(ini)
    # As shipped, the Secret holds no token: the check says what the start
    # would, and the pod does not run until the operator adds one.
    out = subprocess.run([OUTPOST_BIN, "-n", "-c", str(path)],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert out.returncode == 1 and \
        "refusing to run without authentication" in out.stderr, out.stderr
    with open(str(sdir / "tokens"), "a") as fp:
        fp.write("0123456789abcdef0123456789abcdef admin\n")
    out = subprocess.run([OUTPOST_BIN, "-n", "-c", str(path)],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert (out.returncode, out.stdout) == (0, "configuration OK\n"), \
        out.stderr
    # And a broken one is refused, so the check above means something.
    path.write_text(ini.replace("[store]", "[store]\nno_such_key = 1"))
    out = subprocess.run([OUTPOST_BIN, "-n", "-c", str(path)],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert out.returncode == 1 and "no_such_key" in out.stderr


def test_node_daemonset(objs, tmp_path):
    ds = objs[("DaemonSet", "outpost-node")]
    ps = ds["spec"]["template"]["spec"]
    assert ps["hostNetwork"] is True
    assert ps["dnsPolicy"] == "ClusterFirstWithHostNet"
    c = container(ps)
    config_path(c, "config", "node.ini")
    text = objs[("ConfigMap", "outpost-node")]["data"]["node.ini"]
    ini = read_ini(text)
    # The gateway is the headless service, on the gateway's CoAP port.
    m = re.match(r"^coap://([^:/]+):(\d+)$", ini["node"]["gateway"])
    assert m, ini["node"]["gateway"]
    svc = objs[("Service", "outpost-gateway")]
    assert m.group(1) == "outpost-gateway.%s.svc.cluster.local" % NS
    gw = read_ini(gateway_ini(objs))
    assert int(m.group(2)) == hostport(gw["coap"]["listen"])[1]
    assert {"UDP": int(m.group(2))}.items() <= {
        p["protocol"]: p["port"] for p in svc["spec"]["ports"]
        if p["name"] == "coap"}.items()
    state = [v for v in ps["volumes"] if v["name"] == "state"][0]
    assert mounts(c)["state"]["mountPath"] == os.path.dirname(
        ini["node"]["config_path"])
    assert state["hostPath"]["path"] == mounts(c)["state"]["mountPath"]
    path = tmp_path / "node.ini"
    path.write_text(text.replace(os.path.dirname(ini["node"]["config_path"]),
                                 str(tmp_path)))
    out = subprocess.run([NODE_BIN, "-n", "-c", str(path)],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert (out.returncode, out.stdout) == (0, "configuration OK\n"), \
        out.stderr


def test_images_and_users_match_the_dockerfiles(objs):
    with open(os.path.join(REPO, "scripts/docker/docker-compose.yml")) as fp:
        images = {s["build"]["dockerfile"]: s["image"]
                  for s in yaml.safe_load(fp)["services"].values()}
    for kind, name, dockerfile in (
            ("StatefulSet", "outpost-gateway",
             "scripts/docker/Dockerfile.gateway"),
            ("DaemonSet", "outpost-node", "scripts/docker/Dockerfile.node"),
            ("Deployment", "outpost-broker",
             "scripts/docker/Dockerfile.broker")):
        ps = pod(objs, kind, name)
        user = parse_dockerfile(os.path.join(REPO, dockerfile))[-1].all(
            "USER")[-1]
        uid = int(user.split(":")[0])
        assert container(ps)["image"] == images[dockerfile]
        assert ps["securityContext"]["runAsUser"] == uid
        assert ps["securityContext"]["runAsNonRoot"] is True


def test_node_readiness_probe_asks_a_real_gateway(objs, gateway):
    c = container(pod(objs, "DaemonSet", "outpost-node"))
    argv = c["readinessProbe"]["exec"]["command"]
    assert "livenessProbe" not in c
    fqdn = "/dev/tcp/outpost-gateway.%s.svc.cluster.local/8080" % NS
    assert fqdn in argv[-1]
    argv = [a.replace(fqdn, "/dev/tcp/127.0.0.1/%d" % gateway.http_port)
            for a in argv]
    gateway.register("k3s-node-1")
    env = dict(os.environ, OUTPOST_TOKEN="any: this gateway has none")
    for host, ready in (("k3s-node-1", True), ("k3s-node-9", False)):
        env["HOSTNAME"] = host
        rc = subprocess.run(argv, env=env, timeout=10).returncode
        assert (rc == 0) == ready, host


def http_probe_cmd(probe):
    """A kubelet httpGet probe as a bash command: a 2xx or 3xx passes."""
    get = probe["httpGet"]
    assert get.get("scheme", "HTTP") == "HTTP"
    return ("exec 3<>/dev/tcp/127.0.0.1/%d && printf 'GET %s HTTP/1.0"
            "\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -Eq ' [23][0-9][0-9] '"
            % (get["port"], get["path"]))


def pod_files(objs, tmp_path, tokens=None):
    """The gateway.ini and node.ini of the ConfigMaps, with the Secret's
    files (tokens replaced when given) and the volumes' paths in
    tmp_path."""
    sdir = tmp_path / "secrets"
    sdir.mkdir()
    data = dict(objs[("Secret", "outpost-gateway-secrets")]["stringData"])
    if tokens is not None:
        data["tokens"] = tokens
    for name, value in data.items():
        (sdir / name).write_text(value)
        (sdir / name).chmod(0o440)
    gw_ini = gateway_ini(objs).replace("/etc/outpost/secrets/",
                                       str(sdir) + "/")
    c = container(pod(objs, "StatefulSet", "outpost-gateway"))
    gw_ini = gw_ini.replace(mounts(c)["data"]["mountPath"],
                            str(tmp_path / "pv"))
    node_ini = objs[("ConfigMap", "outpost-node")]["data"]["node.ini"]
    c = container(pod(objs, "DaemonSet", "outpost-node"))
    node_ini = node_ini.replace(mounts(c)["state"]["mountPath"],
                                str(tmp_path))
    return gw_ini, node_ini


def probes(objs):
    gw = container(pod(objs, "StatefulSet", "outpost-gateway"))
    node = container(pod(objs, "DaemonSet", "outpost-node"))
    assert http_probe_cmd(gw["livenessProbe"]) == \
        http_probe_cmd(gw["readinessProbe"])
    env = node["env"][0]
    assert env["name"] == "OUTPOST_TOKEN"
    ref = env["valueFrom"]["secretKeyRef"]
    assert ("Secret", ref["name"]) in objs
    assert ref["key"] in objs[("Secret", ref["name"])]["stringData"]
    return (http_probe_cmd(gw["readinessProbe"]),
            node["readinessProbe"]["exec"]["command"][2])


needs_ns = pytest.mark.skipif(not namespaces_ok(),
                              reason="needs root, unshare and ip")


@needs_ns
def test_pods_run_ready_in_namespaces(objs, tmp_path):
    """The gateway and the agent as their pods would run them (host
    network: the files' ports; the service's name resolving; the host name
    as endpoint), with a token in the Secret: both probes pass, the agent's
    only once it has registered."""
    probe_token = "k3s-probe-token-0123456789abcdef"
    gw_ini, node_ini = pod_files(objs, tmp_path, tokens=(
        "k3s-admin-token-0123456789abcdef admin\n%s read\n" % probe_token))
    gw_check, node_check = probes(objs)
    rc, out, gwlog, nodelog = run_in_namespaces(
        tmp_path, gw_ini, node_ini,
        ["outpost-gateway.%s.svc.cluster.local" % NS], gw_check, node_check,
        {"OUTPOST": OUTPOST_BIN, "NODE": NODE_BIN,
         "OUTPOST_TOKEN": probe_token}, ep="k3s-field-node-7")
    assert rc == 0 and "node ok" in out and "stopped 0" in out, \
        "%s\n-- gateway:\n%s\n-- node:\n%s" % (out, gwlog, nodelog)


@needs_ns
def test_gateway_with_the_secret_as_shipped_refuses_to_start(objs,
                                                             tmp_path):
    """No token in the Secret: the gateway, whose HTTP port is on the
    host's network, does not start (the pod is never ready)."""
    gw_ini, node_ini = pod_files(objs, tmp_path)
    gw_check, node_check = probes(objs)
    rc, out, gwlog, _ = run_in_namespaces(
        tmp_path, gw_ini, node_ini, [], gw_check, node_check,
        {"OUTPOST": OUTPOST_BIN, "NODE": NODE_BIN, "OUTPOST_TOKEN": ""})
    assert rc == 1 and "gateway exited" in out, out
    assert "refusing to run without authentication" in gwlog, gwlog


# -- the broker of the cloud link (broker.yaml) -----------------------------

def broker_conf(objs):
    return objs[("ConfigMap", "outpost-broker")]["data"]


def test_broker_deployment(objs):
    """One mosquitto with its persistence on the claim, the ConfigMap's
    files and the TLS Secret mounted where mosquitto.conf names them, and
    the Service on the port of its one listener."""
    dep = objs[("Deployment", "outpost-broker")]
    assert dep["spec"]["replicas"] == 1
    assert dep["spec"]["strategy"]["type"] == "Recreate", \
        "one pod at a time writes the persistence file"
    ps = pod(objs, "Deployment", "outpost-broker")
    c = container(ps)
    conf = broker_conf(objs)["mosquitto.conf"]
    assert config_path(c, "config", "mosquitto.conf")
    listeners = re.findall(r"^listener (\d+)\s*$", conf, re.M)
    assert listeners == ["8883"], listeners
    svc = objs[("Service", "outpost-broker")]
    assert [(p["protocol"], p["port"], p["targetPort"])
            for p in svc["spec"]["ports"]] == [("TCP", 8883, 8883)]
    assert [(p["protocol"], p["containerPort"]) for p in c["ports"]] == \
        [("TCP", 8883)]
    for probe in ("livenessProbe", "readinessProbe"):
        assert c[probe]["tcpSocket"]["port"] == 8883, probe
    vols = {v["name"]: v for v in ps["volumes"]}
    claim = vols["data"]["persistentVolumeClaim"]["claimName"]
    pvc = objs[("PersistentVolumeClaim", claim)]
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    store = re.search(r"^persistence_location (\S+)$", conf, re.M).group(1)
    assert store.rstrip("/") == mounts(c)["data"]["mountPath"]
    assert "persistence true" in conf
    # Every file the configuration names is in a volume that holds it.
    tls = mounts(c)["tls"]["mountPath"]
    secret = objs[("Secret", vols["tls"]["secret"]["secretName"])]
    cfg = mounts(c)["config"]["mountPath"]
    for key, path in re.findall(r"^(\w+) (/\S+)$", conf, re.M):
        if key == "persistence_location":
            continue
        d, name = os.path.split(path)
        if d == tls:
            assert name in secret["stringData"], (key, path)
        else:
            assert d == cfg and name in broker_conf(objs), (key, path)
    assert "require_certificate true" in conf
    assert "use_identity_as_username true" in conf
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert c["resources"]["limits"]["memory"]


def acl_lines(text):
    return [" ".join(line.split()) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_broker_acl_is_the_one_of_doc_cloud_md(objs):
    with open(os.path.join(REPO, "doc", "cloud.md")) as fp:
        doc = fp.read()
    blocks = [b for b in re.findall(r"^```[a-z]*\n(.*?)^```$", doc,
                                    re.M | re.S) if "acl_file" in b]
    assert len(blocks) == 1
    assert acl_lines(broker_conf(objs)["acl"]) == acl_lines(blocks[0])


@pytest.fixture
def broker(objs, tmp_path):
    """The ConfigMap's mosquitto.conf and acl run by a real mosquitto, with
    a CA, the broker's certificate and client certificates for two sites
    and the ACL's two services."""
    if not deploybroker.mosquitto_ok():
        pytest.skip("mosquitto is not installed")
    tls = tmp_path / "tls"
    tls.mkdir()
    deploybroker.make_pki(str(tls), ["site-1", "site-2", "cloud-ops",
                                     "cloud-dashboard"])
    conf = broker_conf(objs)
    (tmp_path / "acl").write_text(conf["acl"])
    (tmp_path / "data").mkdir()
    b = deploybroker.Broker(tmp_path, conf["mosquitto.conf"], {
        "/etc/mosquitto/tls/": str(tls) + "/",
        "/etc/mosquitto/conf/acl": str(tmp_path / "acl"),
        "/var/lib/outpost-broker/": str(tmp_path / "data") + "/"})
    b.tls = str(tls)
    clients = []

    def client(name):
        c = deploybroker.Client(b, name, b.tls)
        clients.append(c)
        return c
    b.client = client
    yield b
    for c in clients:
        c.close()
    b.stop()


def test_broker_keeps_sites_and_roles_apart(broker):
    """With the ConfigMap's files: a gateway publishes only under its own
    id and reads only its own requests; the dashboard cannot reach the ops
    request topic nor read its answers; a client without a certificate
    gets nowhere."""
    site1, site2 = broker.client("site-1"), broker.client("site-2")
    ops, dash = broker.client("cloud-ops"), broker.client("cloud-dashboard")
    for c in (site1, site2, ops, dash):
        assert c.connected(), broker.output()
    site1.subscribe("outpost/site-1/req/#")
    site2.subscribe("outpost/site-2/req/#", "outpost/site-1/req/#")
    ops.subscribe("outpost/+/events/#", "outpost/+/res/#")
    dash.subscribe("outpost/+/res/view", "outpost/+/res/ops")

    # Events: a site's own arrive, one forged for another site does not
    # (the broker drops it, and keeps order: the own one comes after).
    site1.publish("outpost/site-2/events/registration/x", "forged")
    site1.publish("outpost/site-1/events/registration/x", "own")
    wait_for(lambda: ops.got("own"), what="site-1's own event")
    assert ops.got("forged") == []

    # Requests: the dashboard's view request reaches site-1, its ops one
    # does not; site-2 reads neither (cloud-ops's request to site-2, sent
    # after, arrives at site-2 and shows it would have had them by then).
    dash.publish("outpost/site-1/req/ops", "dash-ops")
    dash.publish("outpost/site-1/req/view", "dash-view")
    wait_for(lambda: site1.got("dash-view"), what="the view request")
    ops.publish("outpost/site-2/req/ops", "ops-to-2")
    wait_for(lambda: site2.got("ops-to-2"), what="site-2's own request")
    assert site1.got("dash-ops") == []
    assert site2.got("dash-view") == [] and site2.got("dash-ops") == []

    # Answers: the dashboard reads those of view only.
    site1.publish("outpost/site-1/res/ops", "answer-ops")
    site1.publish("outpost/site-1/res/view", "answer-view")
    wait_for(lambda: ops.got("answer-view"), what="answers at cloud-ops")
    wait_for(lambda: dash.got("answer-view"), what="answer at the dashboard")
    assert ops.got("answer-ops") and dash.got("answer-ops") == []

    # No client certificate: no session.
    assert deploybroker.refused_without_certificate(broker, broker.tls)


def test_gateway_cloud_section_of_the_configmap_is_valid(objs, tmp_path):
    """The commented [cloud] section of the gateway's ConfigMap, uncommented
    (with files where the Secret would put them): outpost -n takes it, and
    it names the broker's service on the port of its listener."""
    text = gateway_ini(objs)
    lines = text.splitlines()
    start = [i for i, line in enumerate(lines)
             if line.strip() == "; [gateway]"]
    assert len(start) == 1, "one commented [gateway] id and [cloud] section"
    section = []
    for line in lines[start[0]:]:
        if not line.strip().startswith(";"):
            break
        section.append(line.strip()[1:].strip())
    ini = read_ini("\n".join(section))
    svc = objs[("Service", "outpost-broker")]
    host = "%s.%s.svc.cluster.local" % (svc["metadata"]["name"], NS)
    assert ini["cloud"]["broker"] == "mqtts://%s:%d" % (
        host, svc["spec"]["ports"][0]["port"])
    sdir = tmp_path / "secrets"
    sdir.mkdir()
    secret = objs[("Secret", "outpost-gateway-secrets")]
    files = dict(secret["stringData"],
                 tokens="0123456789abcdef0123456789abcdef admin\n")
    for name in re.findall(r"/etc/outpost/secrets/(\S+)",
                           "\n".join(section)):
        files[name] = "-"
    for name, value in files.items():
        (sdir / name).write_text(value)
    full = (text + "\n" + "\n".join(section) + "\n").replace(
        "/etc/outpost/secrets/", str(sdir) + "/")
    path = tmp_path / "gateway.ini"
    path.write_text(full)
    out = subprocess.run([OUTPOST_BIN, "-n", "-c", str(path)],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert (out.returncode, out.stdout) == (0, "configuration OK\n"), \
        out.stderr
