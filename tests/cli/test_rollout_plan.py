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


OFFLINE = "examples/rollout-offline/"
OFFLINE_ARGS = ["render", "--plan", "-f", OFFLINE + "deploymentgrid.yaml", "--nodes", OFFLINE + "nodes.yaml"]


def test_the_plan_shows_offline_stores_deferred_and_a_failure_within_the_budget(capsys, monkeypatch):
    args = [*OFFLINE_ARGS, "--observed", OFFLINE + "observed.yaml", "--now", "2026-03-02T09:20:00Z"]
    code, out, err = run(capsys, monkeypatch, *args)
    assert code == 0, err
    head = out.splitlines()[0]
    assert "rollout Progressing" in head and "step remaining (3 of 3), 1 failed, 2 offline, deferred" in head
    plan = rows(out)
    assert plan["store-essen-03"][1].startswith("current, FAILED (within maxFailedUnits)")
    assert plan["store-kiel-04"] == ("wave-1", "keep (offline: deferred until it is back online)")
    assert plan["store-trier-07"][1] == "keep (offline: deferred until it is back online)"
    assert plan["store-ulm-08"][1] == "update (moves to the current revision)"  # mainz is on its way: one slot left


def test_the_plan_shows_which_stores_roll_back_and_which_never_moved(capsys, monkeypatch):
    args = [*OFFLINE_ARGS, "--observed", OFFLINE + "observed-rollback.yaml", "--now", "2026-03-02T09:25:00Z"]
    code, out, err = run(capsys, monkeypatch, *args)
    assert code == 0, err
    head = out.splitlines()[0]
    assert "rollout RolledBack" in head and ", rolled back to revision " in head
    target = head.rsplit(" ", 1)[-1]
    plan = rows(out)
    moved = ["store-aachen-01", "store-bonn-02", "store-essen-03", "store-luebeck-05", "store-mainz-06"]
    assert all(plan[u][1] == f"roll back to revision {target}" for u in moved)
    assert plan["store-kiel-04"][1] == "keep (never moved, offline)" and plan["store-ulm-08"][1] == "keep (never moved)"


def test_the_rolled_back_children_are_the_completed_revisions(capsys, monkeypatch):
    args = ["render", "-f", OFFLINE + "deploymentgrid.yaml", "--nodes", OFFLINE + "nodes.yaml"]
    args += ["--observed", OFFLINE + "observed-rollback.yaml", "--now", "2026-03-02T09:25:00Z"]
    code, out, err = run(capsys, monkeypatch, *args)
    assert code == 0, err
    children = [d for d in yaml.safe_load_all(out) if d]
    assert {d["kind"] for d in children} == {"Deployment"}  # the grid's ControllerRevisions are not printed
    image = {d["metadata"]["labels"]["site"]: d["spec"]["template"]["spec"]["containers"][0]["image"] for d in children}
    assert set(image.values()) == {"registry.example.com/kiosk:3.1.0"}
