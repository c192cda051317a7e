"""Progressive rollout through the sync hook: which units move, which keep their child, and what status says."""

from __future__ import annotations

import copy

import pytest

from hooks.grids.revision import REVISION_ANNOTATION
from hooks.grids.rollout import SINCE_ANNOTATION
from tests.support.builders import deployment_spec, grid, node, site_nodes
from tests.support.nodeunit_builders import nodeunits_of
from tests.support.rollout_builders import applied, condition_of, images, steady, sync

OLD, NEW = "nginx:1.27", "nginx:1.28"
T0, T1, T2, T5, T20 = (f"2026-01-01T00:{m:02d}:00Z" for m in (0, 1, 2, 5, 20))
CANARY = {"steps": [{"name": "canary", "units": ["a"]}], "maxUpdating": 1, "progressDeadlineSeconds": 300}


def grids(rollout: dict, **spec) -> tuple[dict, dict]:
    """The grid before and after a template change (the new image)."""
    return grid(rollout=rollout, **spec), grid(rollout=rollout, template=deployment_spec(image=NEW), **spec)


def start(rollout: dict, nodes: dict, **spec) -> tuple[dict, dict]:
    old, new = grids(rollout, **spec)
    return new, steady(old, nodes, T0)


def test_without_rollout_every_unit_moves_at_once_and_nothing_new_is_written() -> None:
    nodes = site_nodes(a=1, b=1)
    before = steady(grid(), nodes, T0)
    response = sync(grid(template=deployment_spec(image=NEW)), nodes, before, T1)
    assert set(images(response["children"]).values()) == {NEW}
    assert "rollout" not in response["status"] and "resyncAfterSeconds" not in response
    assert all("updated" not in s for s in response["status"]["states"].values())
    assert all(SINCE_ANNOTATION not in c["metadata"].get("annotations", {}) for c in response["children"])
    assert [c["type"] for c in response["status"]["conditions"]] == ["Ready", "Synced"]


def test_the_canary_moves_first_and_the_rest_keep_their_children_unchanged() -> None:
    nodes = site_nodes(a=1, b=1, c=1)
    new, before = start(CANARY, nodes)
    response = sync(new, nodes, before, T1)
    assert images(response["children"]) == {"web-a": NEW, "web-b": OLD, "web-c": OLD}
    kept = {c["metadata"]["name"]: c for c in response["children"]}["web-b"]
    assert kept["metadata"]["annotations"] == before["shop/web-b"]["metadata"]["annotations"]
    assert "status" not in kept and "resourceVersion" not in kept["metadata"]
    moved = {c["metadata"]["name"]: c for c in response["children"]}["web-a"]
    assert moved["metadata"]["annotations"][SINCE_ANNOTATION] == T1
    rollout = response["status"]["rollout"]
    assert rollout["state"] == "Progressing" and rollout["step"] == "canary" and rollout["stepIndex"] == 0
    assert rollout["heldUnits"] == 2 and rollout["updating"] == ["a"] and rollout["updatedUnits"] == 0
    assert response["resyncAfterSeconds"] == 300
    condition = condition_of(response)
    assert (condition["status"], condition["reason"]) == ("False", "Progressing")
    # held units are not asked for: only the canary, whose new child is on its way, is applying
    assert condition_of(response, "Synced")["status"] == "True"
    assert list(response["status"]["applying"]) == ["a"] and "notAppliedSince" not in response["status"]
    assert response["status"]["states"]["b"]["ready"] is True and response["status"]["states"]["b"]["updated"] is False


def test_the_next_step_starts_only_when_every_earlier_unit_is_healthy() -> None:
    nodes = site_nodes(a=1, b=1, c=1)
    new, observed = start(CANARY, nodes)
    observed = applied(sync(new, nodes, observed, T1), observed, ready={"web-a": False})
    for _ in range(3):  # the canary is updated but not ready: nothing else moves, however often we sync
        response = sync(new, nodes, observed, T2)
        assert images(response["children"]) == {"web-a": NEW, "web-b": OLD, "web-c": OLD}
        assert response["resyncAfterSeconds"] == 240  # the canary's deadline: 300 s after T1
    observed = applied(response, observed, ready={"web-a": True})
    response = sync(new, nodes, observed, T2)
    assert images(response["children"]) == {"web-a": NEW, "web-b": NEW, "web-c": OLD}  # maxUpdating 1, sorted
    assert response["status"]["rollout"]["step"] == "remaining"
    observed = applied(response, observed)
    observed = applied(sync(new, nodes, observed, T2), observed)
    response = sync(new, nodes, observed, T2)
    assert set(images(response["children"]).values()) == {NEW}
    assert response["status"]["rollout"]["state"] == "Complete" and condition_of(response)["status"] == "True"
    assert "resyncAfterSeconds" not in response and "step" not in response["status"]["rollout"]


def test_the_recorded_start_is_kept_so_the_desired_child_does_not_change_between_syncs() -> None:
    nodes = site_nodes(a=1, b=1)
    new, observed = start(CANARY, nodes)
    observed = applied(sync(new, nodes, observed, T1), observed, ready={"web-a": False})
    first, second = sync(new, nodes, observed, T2), sync(new, nodes, observed, T5)
    assert first["children"] == second["children"]
    assert {c["metadata"]["name"]: c for c in first["children"]}["web-a"]["metadata"]["annotations"][
        SINCE_ANNOTATION
    ] == T1


@pytest.mark.parametrize(("max_updating", "moved"), [(2, 2), ("50%", 2), ("34%", 1), ("100%", 4)])
def test_max_updating_bounds_the_units_on_their_way(max_updating: object, moved: int) -> None:
    nodes = site_nodes(a=1, b=1, c=1, d=1)
    new, observed = start({"maxUpdating": max_updating}, nodes)
    response = sync(new, nodes, observed, T1)
    assert sorted(images(response["children"]).values()).count(NEW) == moved
    observed = applied(response, observed, default_ready=False)
    response = sync(new, nodes, observed, T2)  # those on their way are not healthy: nobody else moves
    assert sorted(images(response["children"]).values()).count(NEW) == moved
    assert response["status"]["rollout"]["updatingUnits"] == moved


def test_a_unit_not_healthy_by_the_deadline_halts_and_nothing_rolls_back() -> None:
    nodes = site_nodes(a=1, b=1, c=1)
    rollout = {"maxUpdating": 2, "progressDeadlineSeconds": 300}
    new, observed = start(rollout, nodes)
    observed = applied(sync(new, nodes, observed, T1), observed, ready={"web-a": False, "web-b": True})
    response = sync(new, nodes, observed, T20)
    assert images(response["children"]) == {"web-a": NEW, "web-b": NEW, "web-c": OLD}  # no move, no rollback
    rollout_status = response["status"]["rollout"]
    assert rollout_status["state"] == "Halted" and rollout_status["haltedUnits"] == 1
    assert rollout_status["halted"] == [{"unit": "a", "since": T1, "reason": "not healthy 300s after it was updated"}]
    condition = condition_of(response)
    assert condition["reason"] == "Halted" and condition["message"].startswith("a not healthy within 300s")
    assert "resyncAfterSeconds" not in response  # nothing left to time: a child event ends the halt
    # it clears by itself when the unit becomes healthy
    observed = applied(response, observed, ready={"web-a": True})
    response = sync(new, nodes, observed, T20)
    assert images(response["children"])["web-c"] == NEW and response["status"]["rollout"]["state"] == "Progressing"


def test_a_new_revision_clears_a_halt_and_starts_over_from_the_first_step() -> None:
    nodes = site_nodes(a=1, b=1, c=1)
    new, observed = start(CANARY, nodes)
    observed = applied(sync(new, nodes, observed, T1), observed, ready={"web-a": False})
    assert sync(new, nodes, observed, T20)["status"]["rollout"]["state"] == "Halted"
    back = grid(rollout=CANARY)  # the template edited back: a new revision (the old image)
    response = sync(back, nodes, observed, T20)
    assert images(response["children"]) == {"web-a": OLD, "web-b": OLD, "web-c": OLD}
    assert response["status"]["rollout"]["state"] == "Progressing"
    assert response["status"]["rollout"]["step"] == "canary"  # a moves back first; b and c are already there
    assert {c["metadata"]["name"]: c for c in response["children"]}["web-a"]["metadata"]["annotations"][
        SINCE_ANNOTATION
    ] == T20


def test_paused_moves_nobody_but_a_new_site_still_gets_the_current_render() -> None:
    nodes = site_nodes(a=1, b=1)
    new, observed = start({**CANARY, "paused": True}, nodes)
    nodes = {**nodes, "n-new": node("n-new", {"site": "z"})}
    response = sync(new, nodes, observed, T1)
    assert images(response["children"]) == {"web-a": OLD, "web-b": OLD, "web-z": NEW}
    assert condition_of(response)["reason"] == "Paused" and response["status"]["rollout"]["state"] == "Paused"


def test_an_earlier_unit_turning_unhealthy_makes_its_step_current_again() -> None:
    nodes = site_nodes(a=1, b=1, c=1)
    new, observed = start(CANARY, nodes)
    observed = applied(sync(new, nodes, observed, T1), observed)  # canary moved and healthy
    observed = applied(sync(new, nodes, observed, T2), observed, ready={"web-b": False})  # b on its way
    broken = copy.deepcopy(observed)
    broken["shop/web-a"]["status"]["readyReplicas"] = 0  # the canary goes bad, long after it moved
    response = sync(new, nodes, broken, T20)
    assert response["status"]["rollout"]["step"] == "canary" and response["status"]["rollout"]["state"] == "Halted"
    assert images(response["children"])["web-c"] == OLD


def test_a_change_rendering_one_unit_differently_moves_only_that_unit() -> None:
    nodes = site_nodes(a=1, b=1, c=1)
    rollout = {"steps": [{"units": ["c"]}]}
    observed = steady(grid(rollout=rollout), nodes, T0)
    changed = grid(rollout=rollout, overrides=[{"units": ["b"], "images": {"web": NEW}}])
    response = sync(changed, nodes, observed, T1)
    assert images(response["children"]) == {"web-a": OLD, "web-b": NEW, "web-c": OLD}
    status = response["status"]["rollout"]
    assert status["updatedUnits"] == 2 and status["step"] == "remaining"  # c (step 1) had nothing to do


def test_a_step_by_node_labels_takes_a_unit_when_any_of_its_nodes_matches() -> None:
    nodes = {
        "a-0": node("a-0", {"site": "a"}),
        "b-0": node("b-0", {"site": "b"}),
        "b-1": node("b-1", {"site": "b", "ring": "canary"}),
    }
    rollout = {"steps": [{"name": "canary", "nodeSelector": {"matchLabels": {"ring": "canary"}}}]}
    new, observed = start(rollout, nodes)
    response = sync(new, nodes, observed, T1)
    assert images(response["children"]) == {"web-a": OLD, "web-b": NEW}


def test_departing_units_are_in_no_step_and_keep_their_child() -> None:
    nodes = site_nodes(a=1, b=1)
    new, observed = start({"maxUpdating": 2}, nodes, unitRemovalGracePeriodSeconds=3600)
    response = sync(new, site_nodes(a=1), observed, T1)  # b's node is gone: b departs
    assert images(response["children"]) == {"web-a": NEW, "web-b": OLD}
    assert response["status"]["rollout"]["units"] == 1 and "removalAt" in response["status"]["states"]["b"]
    assert response["resyncAfterSeconds"] == 600  # the rollout's deadline is sooner than b's removal


def test_a_unit_that_cannot_be_rendered_blocks_its_step_without_using_the_allowance() -> None:
    nodes = site_nodes(a=1, b=1, c=1)
    rollout = {"steps": [{"units": ["a", "b"], "maxUpdating": 1}]}
    observed = steady(grid(rollout=rollout), nodes, T0)
    new = grid(rollout=rollout, template=deployment_spec(image=NEW), templates={"a": "nope"})
    response = sync(new, nodes, observed, T1)
    assert images(response["children"]) == {"web-a": OLD, "web-b": NEW, "web-c": OLD}
    progressing = condition_of(response, "Rollout")  # b is still on its way: not stuck yet
    assert (
        progressing["reason"] == "Progressing"
        and "the step waits for a, which cannot be rendered" in (progressing["message"])
    )
    observed = applied(response, observed)
    response = sync(new, nodes, observed, T1)
    assert images(response["children"])["web-c"] == OLD  # step 1 is not done while a cannot be rendered
    assert condition_of(response, "Synced")["reason"] == "UnitErrors"
    stuck = condition_of(response, "Rollout")  # nothing else can move: the column says so (it used to say Progressing)
    assert stuck["reason"] == "Stuck" and response["status"]["rollout"]["state"] == "Stuck"
    assert stuck["message"].startswith("the step cannot complete: a cannot be rendered")


def test_an_invalid_rollout_keeps_every_child() -> None:
    nodes = site_nodes(a=1)
    observed = steady(grid(), nodes, T0)
    response = sync(grid(rollout={"maxUpdating": 0}, template=deployment_spec(image=NEW)), nodes, observed, T1)
    assert images(response["children"]) == {"web-a": OLD}
    synced = condition_of(response, "Synced")
    assert synced["reason"] == "InvalidSpec" and "maxUpdating" in synced["message"]


def test_a_child_updated_before_the_rollout_is_not_timed_and_gets_no_annotation() -> None:
    nodes = site_nodes(a=1)
    observed = steady(grid(), nodes, T0)
    response = sync(grid(rollout=CANARY), nodes, observed, T1)
    child = next(c for c in response["children"] if c["kind"] == "Deployment")
    assert SINCE_ANNOTATION not in child["metadata"]["annotations"]
    assert (
        child["metadata"]["annotations"][REVISION_ANNOTATION]
        == (observed["shop/web-a"]["metadata"]["annotations"][REVISION_ANNOTATION])
    )
    assert response["status"]["rollout"]["state"] == "Complete"


def test_nodeunits_grids_roll_out_by_unit_name() -> None:
    rollout = {"steps": [{"nodeSelector": {"matchExpressions": [{"key": "site", "operator": "In", "values": ["b"]}]}}]}
    units = nodeunits_of(site_nodes(a=1, b=2))
    old = grid(rollout=rollout, siteSource="NodeUnits")
    new = grid(rollout=rollout, siteSource="NodeUnits", template=deployment_spec(image=NEW))
    observed = applied(sync(old, {}, {}, T0, nodeunits=units), {})
    response = sync(new, {}, observed, T1, nodeunits=units)
    assert images(response["children"]) == {"web-a": OLD, "web-b": NEW}
