"""``onFailure: Rollback``: the units that moved to a failing revision are rendered from the last completed one."""

from __future__ import annotations

from hooks.grids.history import ROLLBACK_REASON, STATE_LABEL
from hooks.grids.rollback import ROLLED_BACK_FROM
from hooks.grids.rollout_spec import spec_revision
from tests.support.builders import deployment_spec, grid, node, site_nodes
from tests.support.rollout_builders import applied, condition_of, images, records, sync

OLD, NEW, NEWER = "nginx:1.27", "nginx:1.28", "nginx:1.29"
T0, T1, T10, T11, T12, T20 = (f"2026-01-01T00:{m:02d}:00Z" for m in (0, 1, 10, 11, 12, 20))
ROLLBACK = {"steps": [{"name": "canary", "units": ["a"]}], "progressDeadlineSeconds": 300, "onFailure": "Rollback"}


def at(image: str, rollout: dict = ROLLBACK) -> dict:
    return grid(rollout=rollout, template=deployment_spec(image=image))


def settled(parent: dict, nodes: dict, now: str = T0) -> dict:
    """Children (workloads and records) after the grid's revision rolled out everywhere and completed."""
    children: dict = {}
    for _ in range(3):
        children = applied(sync(parent, nodes, children, now), children)
    return children


def state_of(response: dict) -> str:
    return response["status"]["rollout"]["state"]


def failing_canary(nodes: dict, rollout: dict = ROLLBACK) -> tuple[dict, dict]:
    """Revision NEW after its canary moved and never became ready, and the children at that point."""
    children = settled(at(OLD, rollout), nodes)
    children = applied(sync(at(NEW, rollout), nodes, children, T1), children, ready={"web-a": False})
    return at(NEW, rollout), children


def test_a_halt_first_records_the_rollback_then_the_moved_units_go_back_and_stay() -> None:
    nodes = site_nodes(a=1, b=1, c=1)
    new, children = failing_canary(nodes)
    halted = sync(new, nodes, children, T10)
    assert state_of(halted) == "Halted" and images(halted["children"])["web-a"] == NEW  # nothing moves yet
    record = records(halted["children"])[f"web-{spec_revision(new['spec'], 'DeploymentGrid')}"]
    assert record["metadata"]["labels"][STATE_LABEL] == "RolledBack"
    assert record["metadata"]["annotations"][ROLLBACK_REASON] == "1 unit(s) failed (a), more than maxFailedUnits 0"
    old_revision = spec_revision(at(OLD)["spec"], "DeploymentGrid")
    assert f"Rolling back to revision {old_revision}, the last that completed" in condition_of(halted)["message"]

    children = applied(halted, children)
    back = sync(new, nodes, children, T11)
    assert images(back["children"]) == {"web-a": OLD, "web-b": OLD, "web-c": OLD}
    assert state_of(back) == "RolledBack" and back["status"]["rollout"]["rolledBackTo"] == old_revision
    assert back["status"]["rollout"]["rolledBackUnits"] == 1 and back["status"]["states"]["a"]["rolledBack"] is True
    canary = {c["metadata"]["name"]: c for c in back["children"]}["web-a"]
    assert canary["metadata"]["annotations"][ROLLED_BACK_FROM] == spec_revision(new["spec"], "DeploymentGrid")
    assert "rolledBack" not in back["status"]["states"]["b"]
    condition = condition_of(back)
    assert (
        condition["reason"] == "RolledBack"
        and "(1 unit(s) failed (a), more than maxFailedUnits 0)" in (condition["message"])
    )
    children = applied(back, children)
    again = sync(new, nodes, children, T20)  # the canary is healthy on the old revision: nothing starts over
    assert images(again["children"]) == {"web-a": OLD, "web-b": OLD, "web-c": OLD} and state_of(again) == "RolledBack"
    assert again["status"]["rollout"]["rolledBackUnits"] == 1  # told apart from b and c by its mark
    assert applied(again, children) == children  # nothing to write: every child and record is as observed


def test_only_the_units_that_moved_are_rendered_again_the_others_keep_their_child() -> None:
    rollout = {**ROLLBACK, "maxFailedUnits": 1, "steps": [{"name": "canary", "units": ["a"]}]}
    nodes = site_nodes(a=1, b=1, c=1, d=1)
    children = settled(at(OLD, rollout), nodes)
    children = applied(sync(at(NEW, rollout), nodes, children, T1), children, ready={"web-a": False})
    moved = sync(at(NEW, rollout), nodes, children, T10)  # a failed within the budget: b moves
    children = applied(moved, children, ready={"web-b": False})
    halted = sync(at(NEW, rollout), nodes, children, T20)
    assert state_of(halted) == "Halted"
    children = applied(halted, children)
    children["shop/web-d"]["metadata"]["labels"]["marker"] = "never moved"  # held units are kept as they are
    back = sync(at(NEW, rollout), nodes, children, T20)
    assert images(back["children"]) == {"web-a": OLD, "web-b": OLD, "web-c": OLD, "web-d": OLD}
    kept = {c["metadata"]["name"]: c for c in back["children"]}["web-d"]
    assert kept["metadata"]["labels"]["marker"] == "never moved"


def test_a_new_site_during_a_rollback_gets_the_completed_revision() -> None:
    nodes = site_nodes(a=1, b=1)
    new, children = failing_canary(nodes)
    children = applied(sync(new, nodes, children, T10), children)
    grown = {**nodes, "z-0": node("z-0", {"site": "z"})}
    back = sync(new, grown, children, T11)
    assert images(back["children"]) == {"web-a": OLD, "web-b": OLD, "web-z": OLD}


def test_a_new_revision_ends_the_rollback_and_rolls_out_from_the_first_step() -> None:
    nodes = site_nodes(a=1, b=1)
    new, children = failing_canary(nodes)
    children = applied(sync(new, nodes, children, T10), children)
    children = applied(sync(new, nodes, children, T11), children)
    newer = sync(at(NEWER), nodes, children, T12)
    assert images(newer["children"]) == {"web-a": NEWER, "web-b": OLD} and state_of(newer) == "Progressing"
    assert "rolledBackTo" not in newer["status"]["rollout"]


def test_the_spec_back_on_a_rolled_back_revision_tries_it_again() -> None:
    nodes = site_nodes(a=1, b=1)
    new, children = failing_canary(nodes)
    for now in (T10, T11):
        children = applied(sync(new, nodes, children, now), children)
    children = applied(sync(at(NEWER), nodes, children, T12), children)
    retry = sync(new, nodes, children, T20)
    assert state_of(retry) == "Progressing" and images(retry["children"])["web-a"] == NEW
    record = records(retry["children"])[f"web-{spec_revision(new['spec'], 'DeploymentGrid')}"]
    assert STATE_LABEL not in record["metadata"]["labels"] and record["revision"] == 4


def test_without_a_completed_revision_there_is_nothing_to_roll_back_to() -> None:
    nodes = site_nodes(a=1, b=1)
    children = applied(sync(at(NEW), nodes, {}, T1), {}, ready={"web-a": False, "web-b": False})
    halted = sync(at(NEW), nodes, children, T10)
    assert state_of(halted) == "Halted"
    assert "nothing to roll back to: no earlier revision of this grid has completed" in condition_of(halted)["message"]
    assert all(STATE_LABEL not in r["metadata"]["labels"] for r in records(halted["children"]).values())


def test_without_revision_history_there_is_nothing_to_roll_back_to() -> None:
    nodes = site_nodes(a=1, b=1)
    new, children = failing_canary(nodes)
    workloads = {k: v for k, v in children.items() if v["kind"] == "Deployment"}
    halted = sync(new, nodes, workloads, T10, history=False)
    assert state_of(halted) == "Halted" and "keeps no revision history" in condition_of(halted)["message"]


def test_on_failure_halt_leaves_a_recorded_rollback_and_the_rollout_carries_on() -> None:
    nodes = site_nodes(a=1, b=1)
    new, children = failing_canary(nodes)
    for now in (T10, T11):
        children = applied(sync(new, nodes, children, now), children, ready={"web-a": True})
    assert images(children) == {"web-a": OLD, "web-b": OLD}
    halt = {**ROLLBACK, "onFailure": "Halt"}
    resumed = sync(at(NEW, halt), nodes, children, T12)
    assert state_of(resumed) == "Progressing" and images(resumed["children"])["web-a"] == NEW
