"""
Fleet jobs on real outpost-node agents: a firmware step (the image's URI
written to /5/0/1 until State is Downloaded, then /5/0/2 executed until
the Update Result is success, each condition heard by observation), and
a software package installed, activated and uninstalled through LwM2M
Software Management (/9/0) by one job, with the agent's [software]
commands run in order.
"""
import json

from conftest import wait_for
from test_campaign import agents, image
from test_firmware import keygen
from test_jobs import devs, get, job, wait_status
from test_node_software import sw_setup, upload, wait_res


def test_firmware_step_updates_agents(run_outpost, tmp_path, gateway_factory,
                                      node_factory):
    key, pub = keygen(run_outpost, tmp_path)
    gw = gateway_factory(firmware={"trusted_keys": pub},
                         jobs={"poll_s": 3600})
    names = ["jf-%d" % i for i in range(3)]
    agents(gw, node_factory, tmp_path, pub, names)
    fid, data = image(run_outpost, tmp_path, gw)
    j = job(gw, {"name": "firmware 3", "target": {"endpoints": names},
                 "rollout": {"max_concurrent": 2},
                 "steps": [{"op": "firmware", "image": fid}]})
    done = wait_status(gw, j["id"], "done", timeout=60)
    assert done["counts"]["succeeded"] == 3, done
    for ep in names:
        assert (tmp_path / ("applied-" + ep)).read_bytes() == data
        rec = devs(gw, j["id"])[ep]
        assert rec["steps_done"] == 2 and rec["attempts"] == 1
    # a second update of the same image: the agents refuse it (the
    # sequence number is installed), the job says which step failed
    again = job(gw, {"target": {"endpoints": names[:1]},
                     "rollout": {"failure": {"group_percent": 100},
                                 "retries": 0},
                     "steps": [{"op": "firmware", "image": fid}]})
    done = wait_status(gw, again["id"], "done", timeout=60)
    assert done["counts"]["failed"] == 1
    assert "5/0/5" in devs(gw, again["id"])[names[0]]["error"]


def test_software_install_activate_uninstall(run_outpost, tmp_path,
                                             gateway_factory, node_factory):
    gw, node, (key, _) = sw_setup(run_outpost, tmp_path, gateway_factory,
                                  node_factory)
    uri, data = upload(run_outpost, tmp_path, gw, key, "telemetry", "1.4", 5)
    fid = uri.rsplit("/", 1)[1]
    j = job(gw, {"name": "telemetry 1.4", "target": {"endpoints": ["sw-1"]},
                 "steps": [{"op": "software", "image": fid,
                            "action": "install"},
                           {"op": "software", "action": "activate"},
                           {"op": "software", "action": "uninstall"}]})
    done = wait_status(gw, j["id"], "done", timeout=60)
    assert done["counts"]["succeeded"] == 1, devs(gw, j["id"])
    marks = tmp_path / "marks"
    for name in ("install", "activate", "uninstall"):
        lines = (marks / name).read_text().splitlines()
        assert len(lines) == 1 and lines[0].startswith("telemetry 1.4 ")
    assert not (marks / "deactivate").exists()
    wait_res(gw, {7: "0"})
    rec = devs(gw, j["id"])["sw-1"]
    assert rec["steps_done"] == 4 and rec["state"] == "succeeded"
    assert get(gw, j["id"])["request"]["steps"][0]["image"] == fid
