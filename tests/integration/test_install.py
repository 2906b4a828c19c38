"""
make install: the tree it lays under DESTDIR and PREFIX, the installed
binaries and configuration, and the systemd units (systemd-analyze verify,
and the hardening the units promise).
"""
import os
import re
import shutil
import stat
import subprocess

import pytest

from conftest import NODE_BIN, OUTPOST_BIN

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make_install(*args):
    """Runs make install (or another target in args) with the binaries the
    suite tests, never rebuilding them; returns make's output."""
    bdir = os.path.relpath(os.path.dirname(os.path.abspath(OUTPOST_BIN)),
                           REPO)
    b = "build" if bdir == "." else bdir
    targets = [os.path.relpath(os.path.abspath(p), REPO)
               for p in (OUTPOST_BIN, NODE_BIN)]
    cmd = ["make", "--no-print-directory", "-C", REPO, "B=" + b]
    for t in targets:
        cmd += ["-o", t]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def parse_unit(path):
    """A unit file as {section: [(key, value)]}, strictly: every line is a
    comment, a [section] or a key=value inside a section."""
    out, section = {}, None
    with open(path) as fp:
        for n, line in enumerate(fp, 1):
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            m = re.match(r"^\[(\w+)\]$", line)
            if m:
                section = m.group(1)
                out.setdefault(section, [])
                continue
            m = re.match(r"^([A-Za-z]+)=(.*)$", line)
            assert m and section, "%s:%d: not a unit line: %r" % (path, n,
                                                                 line)
            out[section].append((m.group(1), m.group(2)))
    return out


def values(unit, section, key):
    return [v for k, v in unit.get(section, []) if k == key]


def one(unit, section, key):
    v = values(unit, section, key)
    assert len(v) == 1, "%s= in [%s]: %r" % (key, section, v)
    return v[0]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    dest = tmp_path_factory.mktemp("destdir")
    make_install("install", "DESTDIR=%s" % dest, "PREFIX=/usr")
    return str(dest)


EXPECTED = {
    "usr/bin/outpost": 0o755,
    "usr/bin/outpost-node": 0o755,
    "usr/share/man/man8/outpost.8": 0o644,
    "usr/share/man/man8/outpost-node.8": 0o644,
    "usr/share/man/man5/gateway.ini.5": 0o644,
    "usr/share/doc/outpost/README.md": 0o644,
    "usr/share/doc/outpost/examples/gateway.ini.example": 0o644,
    "usr/share/doc/outpost/examples/node.ini.example": 0o644,
    "usr/lib/systemd/system/outpost.service": 0o644,
    "usr/lib/systemd/system/outpost-node.service": 0o644,
    "usr/lib/sysusers.d/outpost.conf": 0o644,
    "etc/outpost/gateway.ini": 0o644,
    "etc/outpost/node.ini": 0o644,
}


def test_tree(tree):
    found = set()
    for root, _, files in os.walk(tree):
        for f in files:
            found.add(os.path.relpath(os.path.join(root, f), tree))
    assert found == set(EXPECTED)
    for path, mode in EXPECTED.items():
        assert stat.S_IMODE(os.stat(os.path.join(tree, path)).st_mode) == \
            mode, path
    with open(os.path.join(tree, "etc/outpost/gateway.ini")) as a, \
            open(os.path.join(REPO, "gateway.ini.example")) as b:
        assert a.read() == b.read()


def test_installed_binaries_run_on_the_installed_config(tree, tmp_path):
    out = subprocess.run([os.path.join(tree, "usr/bin/outpost"),
                          "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("outpost ")
    for binary, ini in (("outpost", "gateway.ini"),
                        ("outpost-node", "node.ini")):
        out = subprocess.run([os.path.join(tree, "usr/bin", binary), "-n",
                              "-c", os.path.join(tree, "etc/outpost", ini)],
                             capture_output=True, text=True,
                             cwd=str(tmp_path))
        assert (out.returncode, out.stdout) == (0, "configuration OK\n"), \
            out.stderr


def test_reinstall_keeps_the_operators_config_and_uninstall_removes_rest(
        tmp_path):
    dest = str(tmp_path / "d")
    make_install("install", "DESTDIR=" + dest, "PREFIX=/opt/op")
    ini = os.path.join(dest, "etc/outpost/gateway.ini")
    with open(ini, "a") as fp:
        fp.write("\n[queue]\nmax_per_device = 8\n")
    mine = open(ini).read()
    make_install("install", "DESTDIR=" + dest, "PREFIX=/opt/op")
    assert open(ini).read() == mine
    assert os.path.exists(os.path.join(dest, "opt/op/bin/outpost"))
    make_install("uninstall", "DESTDIR=" + dest, "PREFIX=/opt/op")
    left = [os.path.relpath(os.path.join(r, f), dest)
            for r, _, fs in os.walk(dest) for f in fs]
    assert sorted(left) == ["etc/outpost/gateway.ini", "etc/outpost/node.ini"]


def test_units_paths_user_state_and_hardening(tree):
    users = set()
    with open(os.path.join(tree, "usr/lib/sysusers.d/outpost.conf")) as fp:
        for line in fp:
            f = line.split()
            if f and f[0] == "u":
                users.add(f[1])
    for name, binary, ini in (("outpost", "outpost", "gateway.ini"),
                              ("outpost-node", "outpost-node", "node.ini")):
        path = os.path.join(tree, "usr/lib/systemd/system/%s.service" % name)
        assert not re.search(r"@[A-Z]+@", open(path).read()), \
            "a placeholder left in " + path
        u = parse_unit(path)
        assert one(u, "Service", "Type") == "notify"
        assert one(u, "Service", "ExecStart") == \
            "/usr/bin/%s -c /etc/outpost/%s" % (binary, ini)
        assert one(u, "Service", "ExecStartPre") == \
            "/usr/bin/%s -n -c /etc/outpost/%s" % (binary, ini)
        assert one(u, "Service", "User") in users
        assert one(u, "Service", "StateDirectory") == name
        assert one(u, "Service", "WorkingDirectory") == "%S/" + name
        assert one(u, "Service", "ProtectSystem") == "strict"
        assert one(u, "Service", "NoNewPrivileges") == "yes"
        assert one(u, "Service", "CapabilityBoundingSet") == ""
        assert one(u, "Service", "AmbientCapabilities") == ""
        assert re.match(r"^\d+[KMG]$", one(u, "Service", "MemoryMax"))
        assert one(u, "Service", "Restart") == "on-failure"
        assert re.match(r"^\d+s$", one(u, "Service", "WatchdogSec"))
        assert one(u, "Install", "WantedBy") == "multi-user.target"
    gw = parse_unit(os.path.join(tree,
                                 "usr/lib/systemd/system/outpost.service"))
    assert one(gw, "Service", "ExecReload") == "/bin/kill -HUP $MAINPID"
    node = parse_unit(os.path.join(
        tree, "usr/lib/systemd/system/outpost-node.service"))
    assert not values(node, "Service", "ExecReload"), \
        "the agent does not reload on SIGHUP"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_and_security(tmp_path):
    # Installed with real paths (no DESTDIR) so that verify finds the
    # binaries that ExecStart names.
    root = str(tmp_path)
    make_install("install", "PREFIX=%s/usr" % root,
                 "SYSCONFDIR=%s/etc" % root)
    units = [os.path.join(root, "usr/lib/systemd/system", u)
             for u in ("outpost.service", "outpost-node.service")]
    out = subprocess.run(["systemd-analyze", "verify", "--man=no"] + units,
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    for unit in units:
        out = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                              "--no-pager", unit],
                             capture_output=True, text=True)
        m = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)",
                      out.stdout)
        assert m, out.stdout + out.stderr
        assert float(m.group(1)) <= 2.0 and m.group(2) == "OK", m.group(0)


@pytest.mark.skipif(shutil.which("groff") is None,
                    reason="groff is not installed")
@pytest.mark.parametrize("page", ["outpost.8", "outpost-node.8",
                                  "gateway.ini.5"])
def test_man_pages_format_without_warnings(page):
    out = subprocess.run(["groff", "-mdoc", "-ww", "-z", "-t",
                          os.path.join(REPO, "doc", page)],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    text = subprocess.run(["groff", "-mdoc", "-Tutf8", os.path.join(
        REPO, "doc", page)], capture_output=True, text=True).stdout
    text = re.sub(".\x08", "", text)       # overstrike bold
    assert "NAME" in text and "DESCRIPTION" in text
