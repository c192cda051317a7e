"""``servicegroup render`` for a rollout: the step plan, and the next sync given the live children."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hooks.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]
GRID = "examples/rollout/deploymentgrid.yaml"
NODES = "examples/rollout/nodes.yaml"
OBSERVED = "examples/rollout/observed.yaml"


def run(capsys, monkeypatch, *argv: str) -> tuple[int, str, str]:
    monkeypatch.chdir(ROOT)
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(out: str) -> dict[str, tuple[str, str]]:
    """unit -> (step, next sync) from the plan's table."""
    table = [line.split(None, 2) for line in out.splitlines()[2:]]
    return {unit: (step, action) for step, unit, action in table}


def test_the_plan_without_children_creates_every_site_and_shows_the_steps(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "render", "--plan", "-f", GRID, "--nodes", NODES)
    assert code == 0 and err == ""
    assert out.splitlines()[0].startswith("DeploymentGrid retail/pos-api: rollout Progressing, revision ")
    plan = rows(out)
    assert {u: s for u, (s, _) in plan.items()} == {
        "store-hamburg-02": "canary",
        "store-berlin-01": "early",
        "store-cologne-04": "early",
        "store-dresden-05": "remaining",
        "store-leipzig-06": "remaining",
        "store-munich-03": "remaining",
    }
    assert all(action.startswith("create") for _, action in plan.values())
    assert list(plan) == sorted(plan, key=lambda u: (["canary", "early", "remaining"].index(plan[u][0]), u))


def test_the_plan_mid_rollout_shows_the_halt_and_who_waits(capsys, monkeypatch):
    args = ["render", "--plan", "-f", GRID, "--nodes", NODES, "--observed", OBSERVED]
    code, out, _ = run(capsys, monkeypatch, *args, "--now", "2026-03-02T09:20:00Z")
    assert code == 0 and "rollout Halted" in out.splitlines()[0] and "step early (2 of 3)" in out.splitlines()[0]
    plan = rows(out)
    assert plan["store-hamburg-02"][1] == "current"
    assert plan["store-berlin-01"][1].startswith("current, HALTED")
    assert all(plan[u][1].startswith("keep") for u in ("store-cologne-04", "store-munich-03"))
    code, out, _ = run(capsys, monkeypatch, *args, "--now", "2026-03-02T09:06:00Z")
    assert "rollout Progressing" in out and rows(out)["store-berlin-01"][1] == "current, not healthy yet"


def test_children_rendered_with_observed_ones_are_the_next_sync(capsys, monkeypatch):
    args = ["render", "-f", GRID, "--nodes", NODES, "--observed", OBSERVED, "--now", "2026-03-02T09:06:00Z"]
    code, out, err = run(capsys, monkeypatch, *args)
    assert code == 0, err
    images = {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]["image"]
        for d in yaml.safe_load_all(out)
        if d
    }
    assert images["pos-api-store-hamburg-02"].endswith(":2.5.0") and images["pos-api-store-munich-03"].endswith(
        ":2.4.1"
    )


def test_once_the_early_store_is_healthy_the_next_one_moves(capsys, monkeypatch, tmp_path):
    live = yaml.safe_load((ROOT / OBSERVED).read_text())
    for item in live["items"]:
        status = item["status"]
        status["readyReplicas"] = status["availableReplicas"] = status["updatedReplicas"] = status["replicas"]
    observed = tmp_path / "observed.yaml"
    observed.write_text(yaml.safe_dump(live))
    args = ["render", "--plan", "-f", GRID, "--nodes", NODES, "--observed", str(observed)]
    code, out, _ = run(capsys, monkeypatch, *args, "--now", "2026-03-02T09:20:00Z")
    assert code == 0 and rows(out)["store-cologne-04"][1].startswith("update")
    assert rows(out)["store-dresden-05"][1].startswith("keep")


def test_plan_of_grids_without_rollout_warns_and_a_bad_clock_is_refused(capsys, monkeypatch):
    code, out, err = run(
        capsys, monkeypatch, "render", "--plan", "-f", "examples/statefulsetgrid.yaml", "--nodes", "examples/nodes.yaml"
    )
    assert code == 0 and out == "" and "no grid has spec.rollout" in err
    with pytest.raises(SystemExit):
        cli.main(["render", "-f", GRID, "--nodes", NODES, "--now", "yesterday"])
    assert "is not a UTC time" in capsys.readouterr().err
