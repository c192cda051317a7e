"""A rollout over a fleet that is never all online: offline units are deferred, failures are budgeted."""

from __future__ import annotations

from hooks.grids.rollout import SINCE_ANNOTATION
from tests.support.builders import deployment_spec, grid
from tests.support.nodeunit_builders import nodeunits_of
from tests.support.rollout_builders import applied, condition_of, images, sites, steady, sync

OLD, NEW = "nginx:1.27", "nginx:1.28"
EARLIER = "2025-12-31T23:50:00Z"  # ten minutes before T0: a unit dark since then is offline from T0 on
T0, T1, T2, T3, T5, T10, T20, T30 = (f"2026-01-01T00:{m:02d}:00Z" for m in (0, 1, 2, 3, 5, 10, 20, 30))
CANARY = {"steps": [{"name": "canary", "units": ["a"]}], "maxUpdating": 1, "progressDeadlineSeconds": 300}
OFF = (False, EARLIER)


def start(rollout: dict, nodes: dict, **spec) -> tuple[dict, dict]:
    """The grid after a template change, and its children as they were (every unit healthy on OLD)."""
    old = grid(rollout=rollout, **spec)
    return grid(rollout=rollout, template=deployment_spec(image=NEW), **spec), steady(old, nodes, T0)


def test_an_offline_canary_is_deferred_and_the_next_step_moves() -> None:
    nodes = sites(a=OFF, b=None, c=None)
    new, observed = start(CANARY, sites(a=None, b=None, c=None))
    response = sync(new, nodes, observed, T1)
    assert images(response["children"]) == {"web-a": OLD, "web-b": NEW, "web-c": OLD}
    rollout = response["status"]["rollout"]
    assert rollout["step"] == "remaining" and rollout["deferredUnits"] == 1 and rollout["deferred"] == ["a"]
    assert response["status"]["states"]["a"]["offline"] is True and "offline" not in response["status"]["states"]["b"]
    assert rollout["state"] == "Progressing" and "1 offline unit(s) (a) deferred" in condition_of(response)["message"]


def test_only_offline_units_left_is_its_own_state_and_they_catch_up_when_back() -> None:
    rollout = {"maxUpdating": 1, "progressDeadlineSeconds": 300}
    new, observed = start(rollout, sites(a=None, b=None, c=None))
    nodes = sites(a=None, b=OFF, c=OFF)
    for _ in range(2):
        observed = applied(sync(new, nodes, observed, T1), observed)
    response = sync(new, nodes, observed, T1)
    assert images(response["children"]) == {"web-a": NEW, "web-b": OLD, "web-c": OLD}
    assert response["status"]["rollout"]["state"] == "WaitingForOffline"
    condition = condition_of(response)
    assert condition["status"] == "False" and condition["reason"] == "WaitingForOffline"
    assert "only 2 offline unit(s) (b, c) left" in condition["message"]
    assert "resyncAfterSeconds" not in response  # nothing to time: a node coming back wakes the grid
    back = sites(a=None, b=(True, T2), c=(True, T2))  # both come back: one at a time (maxUpdating 1)
    response = sync(new, back, observed, T3)
    assert images(response["children"]) == {"web-a": NEW, "web-b": NEW, "web-c": OLD}
    assert response["status"]["rollout"]["state"] == "Progressing"


def test_a_dark_unit_is_not_moved_holds_its_step_and_is_deferred_once_offline() -> None:
    new, observed = start(CANARY, sites(a=None, b=None))
    nodes = sites(a=("Unknown", T0), b=None)  # dark for a minute: not yet offline (300 s)
    response = sync(new, nodes, observed, T1)
    assert images(response["children"]) == {"web-a": OLD, "web-b": OLD}
    assert response["status"]["rollout"]["step"] == "canary" and response["resyncAfterSeconds"] == 240
    response = sync(new, nodes, observed, T5)
    assert images(response["children"]) == {"web-a": OLD, "web-b": NEW}
    assert response["status"]["rollout"]["deferred"] == ["a"]


def test_offline_units_on_their_way_free_their_slot_and_never_fail() -> None:
    rollout = {"maxUpdating": 1, "progressDeadlineSeconds": 60}
    new, observed = start(rollout, sites(a=None, b=None))
    observed = applied(sync(new, sites(a=None, b=None), observed, T1), observed, ready={"web-a": False})
    response = sync(new, sites(a=None, b=None), observed, T20)
    assert response["status"]["rollout"]["state"] == "Halted"  # a did not become healthy in time
    response = sync(new, sites(a=(False, T10), b=None), observed, T20)  # a has been offline since T10
    assert images(response["children"]) == {"web-a": NEW, "web-b": NEW}
    assert response["status"]["rollout"]["state"] == "Progressing" and "failed" not in response["status"]["rollout"]


def test_a_unit_back_online_gets_its_full_deadline_from_when_it_came_back() -> None:
    rollout = {"maxUpdating": 1, "progressDeadlineSeconds": 300}
    new, observed = start(rollout, sites(a=None, b=None))
    observed = applied(sync(new, sites(a=None, b=None), observed, T1), observed, ready={"web-a": False})
    assert observed["shop/web-a"]["metadata"]["annotations"][SINCE_ANNOTATION] == T1
    back = sites(a=(True, T20), b=None)  # a was offline for a while and is back since T20
    response = sync(new, back, observed, T20.replace("20:00", "22:00"))
    rollout_status = response["status"]["rollout"]
    assert rollout_status["state"] == "Progressing" and rollout_status["updating"] == ["a"]
    assert response["resyncAfterSeconds"] == 180  # 300 s from T20
    response = sync(new, back, observed, T30)
    assert response["status"]["rollout"]["state"] == "Halted"
    assert response["status"]["rollout"]["failed"][0] == {
        "unit": "a",
        "since": T20,
        "reason": "not healthy 300s after it was updated",
    }


def test_failures_within_the_budget_let_the_rollout_go_on_and_beyond_it_halt() -> None:
    rollout = {**CANARY, "maxFailedUnits": 1}
    nodes = sites(a=None, b=None, c=None)
    new, observed = start(rollout, nodes)
    observed = applied(sync(new, nodes, observed, T1), observed, ready={"web-a": False})  # the canary fails
    response = sync(new, nodes, observed, T10)
    assert images(response["children"]) == {"web-a": NEW, "web-b": NEW, "web-c": OLD}  # a stays on its child
    status = response["status"]["rollout"]
    assert status["state"] == "Progressing" and status["step"] == "remaining"
    assert status["failedUnits"] == 1 and status["failed"][0]["unit"] == "a" and "halted" not in status
    assert response["status"]["states"]["a"]["failed"] is True and "failed" not in response["status"]["states"]["b"]
    assert "1 unit(s) failed (a) (within spec.rollout.maxFailedUnits 1)" in condition_of(response)["message"]
    observed = applied(response, observed, ready={"web-b": False})  # b fails too: beyond the budget
    response = sync(new, nodes, observed, T20)
    assert images(response["children"]) == {"web-a": NEW, "web-b": NEW, "web-c": OLD}
    status = response["status"]["rollout"]
    assert status["state"] == "Halted" and status["failedUnits"] == 2 and status["haltedUnits"] == 2
    condition = condition_of(response)
    assert (
        condition["reason"] == "Halted"
        and "(2 failed, more than spec.rollout.maxFailedUnits 1)" in (condition["message"])
    )


def test_a_percentage_budget_is_of_the_rollouts_units_rounded_down() -> None:
    nodes = sites(a=None, b=None, c=None, d=None)
    new, observed = start({"maxUpdating": 2, "maxFailedUnits": "50%", "progressDeadlineSeconds": 60}, nodes)
    observed = applied(sync(new, nodes, observed, T1), observed, default_ready=False)  # a and b fail
    response = sync(new, nodes, observed, T10)
    assert response["status"]["rollout"]["failedUnits"] == 2 and response["status"]["rollout"]["state"] == "Progressing"
    new3, observed3 = start({"maxUpdating": 2, "maxFailedUnits": "49%", "progressDeadlineSeconds": 60}, nodes)
    observed3 = applied(sync(new3, nodes, observed3, T1), observed3, ready={"web-a": False})  # 49% of 4 is 1
    assert sync(new3, nodes, observed3, T10)["status"]["rollout"]["state"] == "Progressing"


def test_every_step_done_with_failures_within_the_budget_is_degraded() -> None:
    nodes = sites(a=None, b=None)
    new, observed = start({"maxUpdating": 2, "maxFailedUnits": 1, "progressDeadlineSeconds": 60}, nodes)
    observed = applied(sync(new, nodes, observed, T1), observed, ready={"web-a": False})
    response = sync(new, nodes, observed, T10)
    assert response["status"]["rollout"]["state"] == "Degraded" and "step" not in response["status"]["rollout"]
    condition = condition_of(response)
    assert (
        condition["reason"] == "Degraded"
        and "1 unit(s) failed (a), within spec.rollout.maxFailedUnits (1)" in (condition["message"])
    )


def test_nodeunits_grids_defer_the_sites_their_nodeunits_say_are_offline() -> None:
    units = nodeunits_of(sites(a=OFF, b=None, c=None))
    assert units["sites-a"]["spec"]["notReadySince"] == EARLIER
    old = grid(rollout=CANARY, siteSource="NodeUnits")
    new = grid(rollout=CANARY, siteSource="NodeUnits", template=deployment_spec(image=NEW))
    observed = applied(sync(old, {}, {}, T0, nodeunits=units), {})
    response = sync(new, {}, observed, T1, nodeunits=units)
    assert images(response["children"]) == {"web-a": OLD, "web-b": NEW, "web-c": OLD}
    assert response["status"]["rollout"]["deferred"] == ["a"]
