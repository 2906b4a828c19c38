"""Command line and gateway.ini: -n, --version, -h, errors with line numbers,
and refusals to start."""
import os
import socket

import pytest

from conftest import EXAMPLE_INI


def write(tmp_path, text, name="gw.ini"):
    (tmp_path / name).write_text(text)
    return name


def test_version(run_outpost):
    for opt in ("--version", "-V"):
        rc, out, err = run_outpost(opt)
        assert rc == 0, err
        assert out == "outpost 0.1.0\n"


def test_help_prints_usage(run_outpost):
    for opt in ("-h", "--help"):
        rc, out, err = run_outpost(opt)
        assert rc == 0, err
        assert out.startswith("usage: outpost")
        for flag in ("-c", "-n", "--version", "SIGHUP"):
            assert flag in out


def test_unknown_option_is_refused_with_usage(run_outpost):
    """A usage error exits 2, as getopt tools do (1 is a failed run)."""
    for args in (("--bogus",), ("-c", "x.ini", "extra")):
        rc, out, err = run_outpost(*args)
        assert rc == 2, (args, err)
        assert "usage: outpost" in err
        assert out == ""


def test_check_accepts_a_good_file_and_touches_nothing(tmp_path,
                                                       run_outpost):
    store = tmp_path / "store"
    name = write(tmp_path, "[http]\nlisten = 127.0.0.1:1\n[coap]\n"
                 "listen = 127.0.0.1:2\n[store]\npath = %s\n"
                 "[registry]\nawake_window = 1\n" % store)
    rc, out, err = run_outpost("-n", "-c", name)
    assert rc == 0, err
    assert out == "configuration OK\n"
    assert not store.exists(), "-n must not open the store"


def test_example_config_passes_check(run_outpost):
    rc, out, err = run_outpost("-n", "-c", os.path.abspath(EXAMPLE_INI))
    assert rc == 0, err
    assert out == "configuration OK\n"


def test_example_config_runs_with_only_addresses_changed(gateway_factory):
    """Every key of the example is valid at run time, not only for -n."""
    gw = gateway_factory(start=False)
    text = open(EXAMPLE_INI).read()
    text = text.replace("listen = 127.0.0.1:8080",
                        "listen = 127.0.0.1:%d" % gw.http_port)
    text = text.replace("listen = 127.0.0.1:5683",
                        "listen = 127.0.0.1:%d" % gw.coap_port)
    text = text.replace("secure_listen = 127.0.0.1:5684",
                        "secure_listen = 127.0.0.1:%d" % gw.coaps_port)
    text = text.replace("path = ./data", "path = %s" % gw.store)
    assert text.count(str(gw.http_port)) == 1
    assert text.count(str(gw.coap_port)) == 1
    gw.write_ini(text=text)
    gw.start()
    assert gw.get_json("/v1/health")["status"] == "ok"
    assert os.path.isdir(gw.store)


CONFIG_ERRORS = [
    ("below_minimum",
     "[registry]\nmin_lifetime = 1\nawake_window = 0\n",
     "gw.ini:3: [registry] awake_window: 0 is below the minimum 1"),
    ("above_maximum",
     "[registry]\nawake_window = 86401\n",
     "gw.ini:2: [registry] awake_window: 86401 is above the maximum 86400"),
    ("not_a_number",
     "[gateway]\n\n[registry]\nawake_window = 12abc\n",
     "gw.ini:4: [registry] awake_window: '12abc' is not a whole number"),
    ("unknown_section",
     "[foo]\nbar = 1\n",
     "gw.ini:1: unknown section [foo]"),
    ("empty_unknown_section",
     "[gateway]\nlog_level = info\n\n[ bogus ]\n; nothing here\n",
     "gw.ini:4: unknown section [bogus]"),
    ("unknown_key",
     "[http]\nlisten = 127.0.0.1:8080\n\nbogus = 1\n",
     "gw.ini:4: [http] unknown key 'bogus'"),
    ("listen_no_port",
     "[http]\nlisten = x\n",
     "gw.ini:2: [http] listen: 'x': expected HOST:PORT or [HOST]:PORT"),
    ("listen_bad_port",
     "[coap]\nlisten = 127.0.0.1:70000\n",
     "gw.ini:2: [coap] listen: '127.0.0.1:70000': port must be 1..65535"),
    ("listen_name_not_number",
     "[http]\nlisten = localhost:80\n",
     "gw.ini:2: [http] listen: 'localhost:80': host must be a numeric"),
    ("max_body_below_1024",
     "[http]\nmax_body = 1023\n",
     "gw.ini:2: [http] max_body: 1023 is below the minimum 1024"),
    ("syntax_error",
     "[http]\nlisten = 127.0.0.1:8080\nthis is not ini\n",
     "gw.ini:3: syntax error"),
    ("unclosed_section",
     "; comment\n[http\nlisten = 127.0.0.1:8080\n",
     "gw.ini:2: syntax error"),
    ("key_twice",
     "[registry]\nawake_window = 1\nawake_window = 2\n",
     "gw.ini:3: [registry] awake_window: set more than once"),
    ("bad_log_level",
     "[gateway]\nlog_level = loud\n",
     "gw.ini:2: [gateway] log_level: 'loud' is not one of"),
    ("first_error_wins",
     "[http]\nmax_body = 1\n[registry]\nbogus = 2\n",
     "gw.ini:2: [http] max_body: 1 is below the minimum 1024"),
    ("min_above_max_lifetime",
     "[registry]\nmin_lifetime = 10\nmax_lifetime = 5\n",
     "gw.ini:3: [registry] min_lifetime 10 is above max_lifetime 5"),
    ("default_outside_lifetimes",
     "[registry]\nmax_lifetime = 100\n",
     "gw.ini:2: [registry] default_lifetime 86400 is outside"),
]


@pytest.mark.parametrize("text,message", [c[1:] for c in CONFIG_ERRORS],
                         ids=[c[0] for c in CONFIG_ERRORS])
def test_check_reports_file_and_line(tmp_path, run_outpost, text, message):
    name = write(tmp_path, text)
    rc, out, err = run_outpost("-n", "-c", name)
    assert rc == 1, (out, err)
    assert "configuration OK" not in out
    assert message in err, err


def test_missing_file_is_an_error(tmp_path, run_outpost):
    rc, out, err = run_outpost("-n", "-c", "nope.ini")
    assert rc == 1
    assert "nope.ini: No such file or directory" in err


def test_start_with_bad_config_exits_1(gateway_factory):
    gw = gateway_factory(start=False)
    gw.write_ini(extra="[registry]\nawake_window = 0\n")
    line = open(gw.ini).read().count("\n")
    gw.start(wait=False)
    assert gw.wait_exit() == 1
    assert "gateway.ini:%d: [registry] awake_window: 0 is below the " \
        "minimum 1" % line in gw.log()
    with pytest.raises(OSError):
        gw.http("GET", "/v1/health", timeout=1)


def test_start_fails_when_http_port_is_taken(gateway_factory):
    gw = gateway_factory(start=False)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", gw.http_port))
        s.listen()
        gw.start(wait=False)
        assert gw.wait_exit() == 1
    assert "http: cannot listen on 127.0.0.1:%d" % gw.http_port in gw.log()


def test_start_fails_when_coap_port_is_taken(gateway_factory):
    gw = gateway_factory(start=False)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", gw.coap_port))
        gw.start(wait=False)
        assert gw.wait_exit() == 1
    assert "coap: cannot listen on 127.0.0.1:%d" % gw.coap_port in gw.log()


def test_minimal_config_runs_and_logs_its_listeners(gateway):
    log = gateway.log()
    assert "outpost 0.1.0 started" in log
    assert "http: listening on 127.0.0.1:%d" % gateway.http_port in log
    assert "coap: listening on 127.0.0.1:%d" % gateway.coap_port in log
    assert os.path.isdir(gateway.store)


def test_every_error_is_reported_in_one_run(tmp_path, run_outpost):
    """As a compiler does: each error on its own line, in line order, with
    its file and line, for -n and for a start alike."""
    name = write(tmp_path, "[http]\ntimeout = 0\ngarbage\nbogus = 1\n"
                 "[nosuch]\n[registry]\nmax_lifetime = 100\n"
                 "min_lifetime = 200\n")
    for args in (("-n", "-c", name), ("-c", name)):
        rc, out, err = run_outpost(*args)
        assert rc == 1 and "configuration OK" not in out, err
        lines = [l for l in err.splitlines() if "error: " in l]
        assert [l.split("error: ", 1)[1].split(": ", 1)[0] for l in lines] \
            == ["%s:%d" % (name, n) for n in (2, 3, 4, 5, 8)], err


def test_check_loads_the_files_a_start_reads(tmp_path, run_outpost):
    """outpost -n loads certificates and keys as the start would: a
    missing one fails the check, naming it."""
    base = "[store]\npath = %s\n" % (tmp_path / "store")
    cases = [
        ("[http]\ntls_listen = 127.0.0.1:8443\ntls_cert = %s\n"
         "tls_key = %s\n" % (tmp_path / "no.pem", tmp_path / "no.key"),
         "no.pem"),
        ("[coap]\nkey_file = %s\nrpk = 1\n" % (tmp_path / "nokey.pem"),
         "nokey.pem"),
        ("[firmware]\ntrusted_keys = %s\n" % (tmp_path / "nokeys"),
         "nokeys"),
    ]
    for text, missing in cases:
        name = write(tmp_path, base + text)
        rc, out, err = run_outpost("-n", "-c", name)
        assert rc == 1 and "configuration OK" not in out, (text, err)
        assert missing in err and "error: " in err, err
    # Not PEM at all is refused too.
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key\n")
    name = write(tmp_path, base + "[coap]\nkey_file = %s\nrpk = 1\n" % bad)
    rc, out, err = run_outpost("-n", "-c", name)
    assert rc == 1 and "not PEM" in err, err


def test_log_lines_carry_journal_priorities(gateway_factory):
    """When stderr is the journal's stream (JOURNAL_STREAM names its
    device and inode), each line starts with its syslog priority, so that
    journalctl -p warning finds the warnings; errors are labelled errors."""
    gw = gateway_factory(start=False)
    open(gw.logfile, "ab").close()
    st = os.stat(gw.logfile)
    os.environ["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
    try:
        gw.start()
        gw.register("prio")
        gw.stop()
        with open(os.path.join(gw.store, "data.mdb"), "r+b") as fp:
            fp.truncate(0)          # refused at start: an error
        gw.start(wait=False)
        assert gw.wait_exit() != 0
    finally:
        del os.environ["JOURNAL_STREAM"]
    lines = gw.log().splitlines()
    assert lines and all(l[:3] in ("<3>", "<4>", "<6>", "<7>")
                         for l in lines), lines
    assert any(l.startswith("<6>outpost: outpost ") and "started" in l
               for l in lines), lines
    assert any(l.startswith("<3>outpost: error: store: ") for l in lines), \
        lines
    # Without the journal, no prefixes.
    gw2 = gateway_factory()
    assert not any(l.startswith("<") for l in gw2.log().splitlines())
