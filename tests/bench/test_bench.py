"""The benchmark (bench/) is not part of the suite; this only keeps it from rotting, at a tiny size."""

import random

import orjson

from bench import run
from bench.fleet import NODES_PER_UNIT, UNIT_KEY, make_node


def test_generated_node_looks_like_a_real_one():
    node = make_node(random.Random(1), "store-00001", 0)
    assert node["metadata"]["labels"][UNIT_KEY] == "store-00001"
    assert len(node["status"]["conditions"]) == 5 and len(node["status"]["images"]) >= 20
    assert 5_000 < len(orjson.dumps(node)) < 8_000


def test_measure_and_table_at_a_tiny_size(tmp_path):
    result = run.measure(nodes=10 * NODES_PER_UNIT, repeat=1, min_seconds=0)
    assert result.units == 10 and result.request_bytes > 10 * NODES_PER_UNIT * 5_000
    assert result.floor_s > 0 and result.round_trip_s > 0 and result.worker_peak_mb >= result.worker_idle_mb > 0
    assert "| 50 | 10 |" in run.table([result])
    out = tmp_path / "bench.json"
    assert run.main(["--sizes", "5", "--repeat", "1", "--min-seconds", "0", "--json", str(out)]) == 0
    assert orjson.loads(out.read_bytes())["results"][0]["nodes"] == 5


def test_the_rollout_variant_is_mid_rollout_and_answers_like_a_full_parse():
    from bench.rollout import mid_rollout_request
    from hooks.server.app import hook_table

    hook = hook_table()[run.ROUTE]
    request = mid_rollout_request(200 * NODES_PER_UNIT, hook)
    rollout = hook(request, run.NOW)["status"]["rollout"]
    assert rollout["state"] == "Progressing" and rollout["step"] == "wave-1"
    assert 0 < rollout["updatedUnits"] < rollout["units"] and rollout["heldUnits"] > 0
    assert rollout["steps"][1]["units"] == 100
    result = run.measure(nodes=10 * NODES_PER_UNIT, repeat=1, min_seconds=0, variant="rollout")
    assert result.variant == "rollout" and "| rollout |" in run.table([result])


def test_the_offline_variant_defers_a_tenth_of_the_units_and_carries_the_revision_history():
    from bench.rollout import mid_rollout_request
    from hooks.server.app import hook_table

    hook = hook_table()[run.ROUTE]
    request = mid_rollout_request(200 * NODES_PER_UNIT, hook, offline_every=10)
    assert len(request["children"]["ControllerRevision.apps/v1"]) == 2  # the old revision and the new one
    answer = hook(request, run.NOW)
    offline = [u for u, state in answer["status"]["states"].items() if state.get("offline")]
    assert len(offline) == 20 and answer["status"]["rollout"]["state"] == "Progressing"
    assert answer["status"]["rollout"]["deferredUnits"] > 0
    result = run.measure(nodes=10 * NODES_PER_UNIT, repeat=1, min_seconds=0, variant="rollout-offline")
    assert "| rollout-offline |" in run.table([result])


def test_profile_prints_the_phases_of_each_variant(capsys):
    assert run.main(["--profile", "50", "--repeat", "1", "--variants", "steady,rollout"]) == 0
    out = capsys.readouterr().out
    assert "# 50 nodes (steady)" in out and "# 50 nodes (rollout)" in out and out.count("cProfile") == 2
