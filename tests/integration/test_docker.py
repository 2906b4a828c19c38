"""
scripts/docker: the two multi-stage Dockerfiles, the broker's and
docker-compose.yml,
checked without a Docker engine: parsed strictly, their references
resolved, their configuration files loaded by the real binaries, and their
healthcheck commands run against a real gateway.
"""
import json
import os
import re
import subprocess

import pytest
import yaml

import deploybroker
from conftest import NODE_BIN, OUTPOST_BIN, free_port, wait_for
from deployfiles import (REPO, apt_installs, hostport, namespaces_ok,
                         needed_packages, run_in_namespaces,
                         parse_dockerfile, read_ini, sanitizer_build)

DOCKER = os.path.join(REPO, "scripts", "docker")
IMAGES = {
    # Dockerfile: (binary, built binary, config in the image, its path)
    "Dockerfile.gateway": ("outpost", OUTPOST_BIN, "gateway.ini",
                           "/etc/outpost/gateway.ini"),
    "Dockerfile.node": ("outpost-node", NODE_BIN, "node.ini",
                        "/etc/outpost/node.ini"),
}
# Packages of data a binary reads at run time, beside its libraries: the
# gateway reads a job's time zone from /usr/share/zoneinfo (tz.c).
DATA_PACKAGES = {
    "Dockerfile.gateway": {"tzdata"},
    "Dockerfile.node": set(),
}


def compose():
    with open(os.path.join(DOCKER, "docker-compose.yml")) as fp:
        return yaml.safe_load(fp)


def interpolate(value):
    """What compose makes of a string: "$$" is a literal "$"; any other "$"
    would be a variable, which these files must not use."""
    assert not re.search(r"\$(?!\$)", value.replace("$$", "")), value
    return value.replace("$$", "$")


def healthcheck_cmd(test):
    """A healthcheck's ["CMD", ...] as an argv."""
    assert isinstance(test, list) and test[0] == "CMD", test
    return test[1:]


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_dockerfile_stages(name):
    binary, built, ini, ini_path = IMAGES[name]
    stages = parse_dockerfile(os.path.join(DOCKER, name))
    assert len(stages) == 2
    build, runtime = stages
    assert build.image == "debian:bookworm" and build.name == "build"
    assert runtime.image in ("debian:bookworm", "debian:bookworm-slim")
    # The build stage has the compiler and the -dev packages, and makes
    # the binary with the project's Makefile.
    pkgs = apt_installs(build)
    assert "build-essential" in pkgs and "pkg-config" in pkgs
    for dev in ("libevent-dev", "libcoap3-dev", "libwolfssl-dev",
                "liblmdb-dev", "libinih-dev", "libcjson-dev",
                "libcbor-dev"):
        assert dev in pkgs, dev
    assert any(re.search(r"\bmake\b.*\b%s\b" % re.escape(binary), r)
               for r in build.all("RUN"))
    # The runtime stage: no compiler, no headers; from the build stage it
    # takes the binary and nothing else.
    rpkgs = apt_installs(runtime)
    assert not [p for p in rpkgs if p.endswith("-dev") or
                p in ("build-essential", "gcc", "make", "pkg-config")]
    copies = runtime.all("COPY")
    from_build = [c for c in copies if c.startswith("--from=")]
    assert from_build == ["--from=build /src/%s /usr/bin/%s" % (binary,
                                                                binary)]
    # Other COPYs come from the context and exist there.
    for c in copies:
        if c.startswith("--from="):
            continue
        src, dst = c.split()
        assert os.path.isfile(os.path.join(REPO, src)), src
    assert "scripts/docker/%s %s" % (ini, ini_path) in copies
    assert json.loads(runtime.all("ENTRYPOINT")[0]) == ["/usr/bin/" +
                                                        binary]
    assert json.loads(runtime.all("CMD")[0]) == ["-c", ini_path]
    user = runtime.all("USER")
    assert user and user[-1].split(":")[0] not in ("root", "0")


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_runtime_stage_installs_exactly_the_shared_libraries(name):
    """The runtime packages are those holding the libraries the binary
    links (readelf -d of the binary built here, on the same Debian), and
    the data it reads."""
    _, built, _, _ = IMAGES[name]
    if sanitizer_build(built):
        pytest.skip("a sanitizer build links other libraries than the "
                    "image's")
    runtime = parse_dockerfile(os.path.join(DOCKER, name))[-1]
    assert set(apt_installs(runtime)) == (needed_packages(built) |
                                          DATA_PACKAGES[name])


def test_gateway_image_exposes_ports_and_checks_health():
    runtime = parse_dockerfile(os.path.join(DOCKER,
                                            "Dockerfile.gateway"))[-1]
    exposed = " ".join(runtime.all("EXPOSE")).split()
    assert sorted(exposed) == ["5683/udp", "5684/udp", "8080/tcp"]
    assert runtime.all("VOLUME") == ["/var/lib/outpost"]
    hc = runtime.all("HEALTHCHECK")
    assert len(hc) == 1 and "/v1/health" in hc[0]


@pytest.mark.parametrize("binary,ini", [(OUTPOST_BIN, "gateway.ini"),
                                        (NODE_BIN, "node.ini")])
def test_image_configs_are_valid(binary, ini, tmp_path):
    out = subprocess.run([binary, "-n", "-c", os.path.join(DOCKER, ini)],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert (out.returncode, out.stdout) == (0, "configuration OK\n"), \
        out.stderr


def test_compose_services_ports_volumes():
    doc = compose()
    assert set(doc["services"]) == {"gateway", "node", "broker"}
    gw_ini = read_ini(open(os.path.join(DOCKER, "gateway.ini")).read())
    http_port = hostport(gw_ini["http"]["listen"])[1]
    coap_port = hostport(gw_ini["coap"]["listen"])[1]
    for name, svc in doc["services"].items():
        b = svc["build"]
        ctx = os.path.normpath(os.path.join(DOCKER, b["context"]))
        assert ctx == REPO
        assert os.path.isfile(os.path.join(ctx, b["dockerfile"]))
        assert svc["image"] and svc["restart"] == "unless-stopped"
        for v in svc.get("volumes", []):
            src, dst = v.split(":")[:2]
            if src.startswith("."):
                assert os.path.isfile(os.path.join(DOCKER, src)), v
            else:
                assert src in doc["volumes"], v
    gw = doc["services"]["gateway"]
    assert sorted(gw["ports"]) == sorted([
        "%d:%d/udp" % (coap_port, coap_port), "5684:5684/udp",
        "127.0.0.1:%d:%d/tcp" % (http_port, http_port)])
    # The store is on the named volume.
    store = gw_ini["store"]["path"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in gw["volumes"]}
    assert any(store == m or store.startswith(m + "/") for m, src in
               mounts.items() if src == "outpost-data"), (store, mounts)
    assert mounts["/etc/outpost/gateway.ini"] == "./gateway.ini"
    node = doc["services"]["node"]
    assert node["deploy"]["replicas"] >= 2
    assert node["depends_on"]["gateway"]["condition"] == "service_healthy"
    node_ini = read_ini(open(os.path.join(DOCKER, "node.ini")).read())
    assert node_ini["node"]["gateway"] == "coap://gateway:%d" % coap_port
    for svc in doc["services"].values():
        hc = svc["healthcheck"]
        healthcheck_cmd(hc["test"])
        for k in ("interval", "timeout", "retries"):
            assert k in hc


def run_check(argv, env=None):
    return subprocess.run(argv, capture_output=True, text=True, timeout=10,
                          env=env).returncode


def test_gateway_healthchecks_ask_v1_health_of_a_real_gateway(gateway):
    """The compose and the Dockerfile healthchecks, run by bash against a
    running gateway: healthy; against a port nobody serves: not."""
    runtime = parse_dockerfile(os.path.join(DOCKER,
                                            "Dockerfile.gateway"))[-1]
    hc = runtime.all("HEALTHCHECK")[0]
    docker_argv = json.loads(hc[hc.index("CMD ") + 4:])
    compose_argv = [interpolate(a) for a in healthcheck_cmd(
        compose()["services"]["gateway"]["healthcheck"]["test"])]
    assert docker_argv == compose_argv
    for port, want in ((gateway.http_port, 0), (free_port(), 1)):
        argv = [a.replace("/dev/tcp/127.0.0.1/8080",
                          "/dev/tcp/127.0.0.1/%d" % port)
                for a in docker_argv]
        assert argv != docker_argv
        assert (run_check(argv) == 0) == (want == 0), argv


def test_node_healthcheck_asks_the_gateway_for_its_registration(gateway):
    argv = [interpolate(a) for a in healthcheck_cmd(
        compose()["services"]["node"]["healthcheck"]["test"])]
    argv = [a.replace("/dev/tcp/gateway/8080",
                      "/dev/tcp/127.0.0.1/%d" % gateway.http_port)
            for a in argv]
    gateway.register("hc-node-1")
    env = dict(os.environ, OUTPOST_TOKEN="any: this gateway has none")
    for host, healthy in (("hc-node-1", True), ("hc-node-2", False)):
        env["HOSTNAME"] = host
        assert (run_check(argv, env) == 0) == healthy, host


@pytest.mark.skipif(not namespaces_ok(),
                    reason="needs root, unshare and ip for namespaces")
def test_compose_gateway_and_agent_run_healthy_in_namespaces(tmp_path):
    """The gateway with the image's gateway.ini and the agent with its
    node.ini, each as its container would run them: own network with the
    ports of the files, "gateway" resolving, the host name as the agent's
    endpoint. Both compose healthchecks pass, the agent's only once it has
    registered."""
    doc = compose()
    gw_ini = open(os.path.join(DOCKER, "gateway.ini")).read()
    secret = doc["secrets"]["outpost_tokens"]["file"]
    assert doc["services"]["gateway"]["secrets"] == ["outpost_tokens"]
    tokens = tmp_path / "tokens"
    tokens.write_text(open(os.path.join(DOCKER, secret)).read())
    tokens.chmod(0o600)
    assert "/run/secrets/outpost_tokens" in gw_ini
    assert "/var/lib/outpost/data" in gw_ini
    gw_ini = gw_ini.replace("/run/secrets/outpost_tokens", str(tokens))
    gw_ini = gw_ini.replace("/var/lib/outpost/data", str(tmp_path / "data"))
    node_ini = open(os.path.join(DOCKER, "node.ini")).read()
    node_ini = node_ini.replace("/var/lib/outpost-node", str(tmp_path))
    env = {"OUTPOST": OUTPOST_BIN, "NODE": NODE_BIN}
    env.update(doc["services"]["node"]["environment"])
    gw_check = interpolate(healthcheck_cmd(
        doc["services"]["gateway"]["healthcheck"]["test"])[2])
    node_check = interpolate(healthcheck_cmd(
        doc["services"]["node"]["healthcheck"]["test"])[2])
    rc, out, gwlog, nodelog = run_in_namespaces(
        tmp_path, gw_ini, node_ini, ["gateway"], gw_check, node_check, env,
        ep="a1b2c3d4e5f6")
    assert rc == 0 and "node ok" in out and "stopped 0" in out, \
        "%s\n-- gateway:\n%s\n-- node:\n%s" % (out, gwlog, nodelog)


# -- the broker of the cloud link (Dockerfile.broker, mosquitto.conf) -------

def test_broker_dockerfile():
    """Debian's mosquitto on bookworm-slim, run as its own user with the
    compose file's configuration."""
    stages = parse_dockerfile(os.path.join(DOCKER, "Dockerfile.broker"))
    assert len(stages) == 1 and stages[0].image == "debian:bookworm-slim"
    st = stages[0]
    assert apt_installs(st) == ["mosquitto"]
    assert st.all("COPY") == ["scripts/docker/mosquitto.conf "
                              "/etc/mosquitto/mosquitto.conf"]
    assert json.loads(st.all("ENTRYPOINT")[0]) == ["/usr/sbin/mosquitto"]
    assert json.loads(st.all("CMD")[0]) == ["-c",
                                            "/etc/mosquitto/mosquitto.conf"]
    user = st.all("USER")[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0
    svc = compose()["services"]["broker"]
    assert svc["command"] == json.loads(st.all("CMD")[0])
    mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
    assert mounts["/etc/mosquitto/mosquitto.conf"] == "./mosquitto.conf"
    conf = open(os.path.join(DOCKER, "mosquitto.conf")).read()
    store = re.search(r"^persistence_location (\S+)$", conf, re.M).group(1)
    assert st.all("VOLUME") == [store.rstrip("/")]
    assert mounts[store.rstrip("/")] in compose()["volumes"]
    hc = st.all("HEALTHCHECK")[0]
    assert json.loads(hc[hc.index("CMD ") + 4:]) == [
        interpolate(a) for a in healthcheck_cmd(svc["healthcheck"]["test"])]


@pytest.mark.skipif(not deploybroker.mosquitto_ok(),
                    reason="mosquitto is not installed")
def test_compose_broker_runs_and_its_healthcheck_sees_it(tmp_path):
    """scripts/docker/mosquitto.conf run by a real mosquitto: the
    healthcheck passes while it listens and fails once it has stopped, and
    a message goes through it."""
    conf = open(os.path.join(DOCKER, "mosquitto.conf")).read()
    port = int(re.search(r"^listener (\d+)", conf, re.M).group(1))
    assert "127.0.0.1:%d:%d/tcp" % (port, port) in \
        compose()["services"]["broker"]["ports"]
    (tmp_path / "data").mkdir()
    b = deploybroker.Broker(tmp_path, conf, {
        "/var/lib/outpost-broker/": str(tmp_path / "data") + "/"})
    argv = [a.replace("/dev/tcp/127.0.0.1/%d" % port,
                      "/dev/tcp/127.0.0.1/%d" % b.port)
            for a in healthcheck_cmd(
                compose()["services"]["broker"]["healthcheck"]["test"])]
    try:
        assert run_check(argv) == 0
        sub = deploybroker.Client(b, "sub")
        pub = deploybroker.Client(b, "pub")
        assert sub.connected() and pub.connected(), b.output()
        sub.subscribe("outpost/docker-gw/events/#")
        pub.publish("outpost/docker-gw/events/registration/n1", "through")
        wait_for(lambda: sub.got("through"), what="the message")
        sub.close()
        pub.close()
    finally:
        b.stop()
    assert run_check(argv) != 0


def test_gateway_ini_cloud_section_is_valid(tmp_path):
    """The commented cloud link of the image's gateway.ini, uncommented:
    outpost -n takes it, and it names compose's broker on its port."""
    text = open(os.path.join(DOCKER, "gateway.ini")).read()
    lines = text.splitlines()
    start = lines.index("; [gateway]")
    section = [line[1:].strip() for line in lines[start:]
               if line.startswith(";")]
    ini = read_ini("\n".join(section))
    conf = open(os.path.join(DOCKER, "mosquitto.conf")).read()
    port = int(re.search(r"^listener (\d+)", conf, re.M).group(1))
    assert ini["cloud"]["broker"] == "mqtt://broker:%d" % port
    tokens = tmp_path / "tokens"
    tokens.write_text("0123456789abcdef0123456789abcdef admin\n")
    tokens.chmod(0o600)
    full = (text + "\n" + "\n".join(section) + "\n").replace(
        "/run/secrets/outpost_tokens", str(tokens)).replace(
        "/var/lib/outpost/data", str(tmp_path / "data"))
    path = tmp_path / "gateway.ini"
    path.write_text(full)
    out = subprocess.run([OUTPOST_BIN, "-n", "-c", str(path)],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert (out.returncode, out.stdout) == (0, "configuration OK\n"), \
        out.stderr
