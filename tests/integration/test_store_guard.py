"""The store as bad luck and mistakes leave it: an empty or truncated
data.mdb, a schema written by a newer gateway, and a second gateway on the
same store or the same CoAP port. Each is refused at start with exit 78
(sysexits' EX_CONFIG) or a clear message, and nothing on disk is touched.
"""
import os
import subprocess

EX_CONFIG = 78


def _data(gw):
    return os.path.join(gw.store, "data.mdb")


def _stopped_with_devices(gateway_factory, n=20):
    """A gateway that stored n registrations, stopped cleanly."""
    gw = gateway_factory()
    for i in range(n):
        gw.register("guard-%d" % i)
    assert gw.stop() == 0
    return gw


def _refused(gw, text):
    gw.start(wait=False)
    rc = gw.wait_exit()
    assert rc == EX_CONFIG, "exit %r, log:\n%s" % (rc, gw.log())
    assert text in gw.log(), gw.log()
    assert gw.store in gw.log(), gw.log()


def test_empty_data_file_is_refused_not_started_empty(gateway_factory):
    gw = _stopped_with_devices(gateway_factory)
    with open(_data(gw), "r+b") as fp:
        fp.truncate(0)
    _refused(gw, "is empty (0 bytes)")
    assert os.path.getsize(_data(gw)) == 0      # left as it was found


def test_truncated_data_file_is_refused_without_a_crash(gateway_factory):
    gw = _stopped_with_devices(gateway_factory)
    size = os.path.getsize(_data(gw))
    assert size > 4 * 4096
    with open(_data(gw), "r+b") as fp:
        fp.truncate(size - 4096)
    _refused(gw, "is truncated")
    assert os.path.getsize(_data(gw)) == size - 4096


def test_schema_of_a_newer_gateway_is_refused(gateway_factory, tmp_path):
    gw = _stopped_with_devices(gateway_factory, n=1)
    dump = tmp_path / "schema.dump"
    dump.write_text("VERSION=3\nformat=bytevalue\ntype=btree\n"
                    "HEADER=END\n 736368656d61\n 63000000\nDATA=END\n")
    subprocess.run(["mdb_load", "-f", str(dump), "-s", "meta", gw.store],
                   check=True)
    _refused(gw, "written by a newer outpost")


def test_second_gateway_on_the_same_store_is_refused(gateway_factory):
    first = gateway_factory()
    first.register("held")
    second = gateway_factory(start=False)
    second.write_ini(sections={"store": {"path": first.store}})
    second.start(wait=False)
    rc = second.wait_exit()
    assert rc == EX_CONFIG, second.log()
    assert "in use by another outpost (pid %d)" % first.proc.pid in \
        second.log(), second.log()
    # The first goes on as before.
    assert first.get_json("/v1/devices/held")["ep"] == "held"
    first.register("after")


def test_second_gateway_on_the_same_coap_port_is_refused(gateway_factory):
    first = gateway_factory()
    second = gateway_factory(start=False)
    second.write_ini(sections={"coap": {
        "listen": "127.0.0.1:%d" % first.coap_port}})
    second.start(wait=False)
    rc = second.wait_exit()
    assert rc != 0
    assert "the port is in use" in second.log(), second.log()
    # Registrations still reach the first, and only it.
    first.register("one")
    assert first.get_json("/v1/devices/one")["ep"] == "one"


def test_a_killed_gateway_leaves_no_lock_behind(gateway_factory):
    gw = gateway_factory()
    gw.register("k")
    gw.kill9()
    gw.start()
    assert gw.get_json("/v1/devices/k")["ep"] == "k"
