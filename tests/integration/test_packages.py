"""
The Debian package lists of the deployment files follow the libraries the
Makefile builds with (its PKGS, pkg-config modules): a library added there
must also be added to the Dockerfiles' build stages and to the arm64 cross
setup, or those builds break where no test here would run them.
"""
import os
import re
import subprocess

import pytest

from deployfiles import REPO, apt_installs, parse_dockerfile


def makefile_pkgs():
    with open(os.path.join(REPO, "Makefile")) as fp:
        m = re.search(r"^PKGS\s*:=\s*(.+)$", fp.read(), re.M)
    assert m, "no PKGS in the Makefile"
    return m.group(1).split()


def dev_package(module):
    """The Debian package that ships module's .pc file (native)."""
    out = subprocess.run(["pkg-config", "--variable=pcfiledir", module],
                         capture_output=True, text=True)
    assert out.returncode == 0, "pkg-config knows no %s" % module
    pc = os.path.join(out.stdout.strip(), module + ".pc")
    owner = subprocess.run(["dpkg", "-S", pc], capture_output=True,
                           text=True)
    assert owner.returncode == 0, "no package ships %s" % pc
    return owner.stdout.split(":")[0]


@pytest.fixture(scope="module")
def dev_packages():
    return {dev_package(m) for m in makefile_pkgs()}


@pytest.mark.parametrize("dockerfile", ["Dockerfile.gateway",
                                        "Dockerfile.node"])
def test_docker_build_stages_install_every_dev_package(dockerfile,
                                                       dev_packages):
    build = parse_dockerfile(os.path.join(REPO, "scripts", "docker",
                                          dockerfile))[0]
    missing = dev_packages - set(apt_installs(build))
    assert not missing, "%s: add %s to the build stage" % (
        dockerfile, sorted(missing))


def test_cross_setup_covers_every_dev_package(dev_packages):
    """install-cross-deps.sh installs each -dev package for arm64, or
    unpacks it when it is not Multi-Arch: same."""
    with open(os.path.join(REPO, "scripts", "install-cross-deps.sh")) as fp:
        text = fp.read()

    def words(var):
        m = re.search(r'^%s="([^"]*)"' % var, text, re.M)
        assert m, var
        return set(m.group(1).split())
    covered = words("ARM_PKGS") | words("UNPACK_PKGS")
    missing = dev_packages - covered
    assert not missing, "scripts/install-cross-deps.sh: add %s" % sorted(
        missing)
    for pkg in words("UNPACK_PKGS"):
        ma = subprocess.run(["apt-cache", "show", pkg], capture_output=True,
                            text=True).stdout
        assert "Multi-Arch: same" not in ma.split("\n\n")[0], \
            "%s is Multi-Arch: same: install it, do not unpack it" % pkg
