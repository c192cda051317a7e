"""Children the hook asked for that do not appear: told apart from the normal latency of an apply."""

from __future__ import annotations

import copy

import pytest

from hooks.grids.applied import (
    APPLYING,
    GRACE_SECONDS,
    NOT_APPLIED_SINCE,
    RETRY_SECONDS,
    Pending,
    track,
    with_applied,
    with_resync,
)
from hooks.grids.revision import REVISION_ANNOTATION
from hooks.grids.service_grid import SHARED_ENTRY
from hooks.grids.service_grid import sync as service_sync
from hooks.grids.workload import DEPLOYMENT
from hooks.grids.workload_grid import sync as workload_sync
from tests.support.builders import children_map, deployment_spec, grid, observed, site_nodes, sync_request
from tests.support.nodeunit_builders import nodeunits_of, nu_request
from tests.support.rollout_builders import applied as after_apply
from tests.support.service_builders import observed_service, service_grid, service_sync_request

T0 = "2026-01-01T00:00:00Z"
T1 = "2026-01-01T00:00:01Z"
T20 = "2026-01-01T00:00:20Z"
T31 = "2026-01-01T00:00:31Z"
T40 = "2026-01-01T00:00:40Z"
T99 = "2026-01-01T00:01:39Z"


# -- the rule on its own ------------------------------------------------------------------------------


def test_a_child_sent_and_not_observed_is_applying_with_the_stamp_asked_for() -> None:
    out = track({"a": Pending("r1", None)}, None, T0)
    assert out.applying == {"a": "r1"} and out.since == {} and out.overdue == () and out.resync_after is None


def test_still_missing_after_metacontroller_applied_it_starts_the_clock_and_asks_for_a_resync() -> None:
    out = track({"a": Pending("r1", None)}, {APPLYING: {"a": "r1"}}, T1)
    assert out.applying == {"a": "r1"} and out.since == {"a": T1} and out.overdue == ()
    assert out.resync_after == GRACE_SECONDS


def test_named_once_the_clock_is_grace_seconds_old_and_then_resynced_to_send_it_again() -> None:
    missing = {APPLYING: {"a": "r1"}, NOT_APPLIED_SINCE: {"a": T1}}
    before = track({"a": Pending("r1", None)}, missing, T20)
    assert before.overdue == () and before.since == {"a": T1} and before.resync_after == 11
    after = track({"a": Pending("r1", None)}, missing, T31)
    assert after.overdue == ("a",) and after.since == {"a": T1} and after.resync_after == RETRY_SECONDS


def test_a_new_stamp_is_a_new_ask_but_a_named_entry_stays_named() -> None:
    assert track({"a": Pending("r2", None)}, {APPLYING: {"a": "r1"}}, T1).since == {}
    missing = {APPLYING: {"a": "r1"}, NOT_APPLIED_SINCE: {"a": T1}}
    assert track({"a": Pending("r2", None)}, missing, T20).since == {}  # not named yet: a new ask
    assert track({"a": Pending("r2", None)}, missing, T40).overdue == ("a",)
    assert track({"a": Pending("r2", "r0")}, missing, T40).overdue == ("a",)  # a refused update, changed again


def test_a_record_overtaken_by_the_observed_child_is_a_stale_status_and_starts_over() -> None:
    """The status read predates the write that cleared it: what it waited for (r1) is observed."""
    missing = {APPLYING: {"a": "r1"}, NOT_APPLIED_SINCE: {"a": T0}}
    out = track({"a": Pending("r2", "r1")}, missing, T99)
    assert out.since == {} and out.applying == {"a": "r2"} and out.overdue == ()


def test_an_entry_observed_or_no_longer_asked_for_is_dropped() -> None:
    previous = {APPLYING: {"a": "r1"}, NOT_APPLIED_SINCE: {"b": T0}}
    out = track({}, previous, T40)
    assert out == track({}, None, T40) and with_applied({}, out) == {}


@pytest.mark.parametrize("recorded", ["yesterday", "2026-01-01T00:05:00Z", 7])
def test_a_record_that_is_not_a_past_time_restarts_the_clock(recorded) -> None:
    out = track({"a": Pending("r1", None)}, {APPLYING: {"a": "r1"}, NOT_APPLIED_SINCE: {"a": recorded}}, T1)
    assert out.since == {"a": T1}


@pytest.mark.parametrize("previous", [[], "x", {APPLYING: ["a"]}, {APPLYING: {"a": 1}}, {NOT_APPLIED_SINCE: ["a"]}])
def test_malformed_records_count_as_absent(previous) -> None:
    out = track({"a": Pending("r1", None)}, previous, T1)
    assert out.applying == {"a": "r1"} and out.since == {}


def test_the_earliest_resync_wins() -> None:
    assert with_resync({"resyncAfterSeconds": 5}, 30)["resyncAfterSeconds"] == 5
    assert with_resync({"resyncAfterSeconds": 50}, 30)["resyncAfterSeconds"] == 30
    assert with_resync({}, None) == {}


# -- through the DeploymentGrid sync hook -------------------------------------------------------------


def dg_sync(parent: dict, nodes: dict, children: dict, now: str) -> dict:
    return workload_sync(sync_request(parent, nodes, children), DEPLOYMENT, now)


def synced(response: dict) -> dict:
    return next(c for c in response["status"]["conditions"] if c["type"] == "Synced")


def with_status(parent: dict, response: dict) -> dict:
    """The grid as the next request shows it, after Metacontroller wrote the answer's status."""
    return {**parent, "status": copy.deepcopy(response["status"])}


def refused_create_story(refused: str = "c") -> list[dict]:
    """Three sites; the API server refuses ``refused``'s Deployment (a quota, say): ask, apply, deadline."""
    parent, nodes = grid(), site_nodes(a=1, b=1, c=1)
    ask = dg_sync(parent, nodes, {}, T0)
    children = {k: v for k, v in after_apply(ask, {}).items() if not k.endswith(f"-{refused}")}
    confirm = dg_sync(with_status(parent, ask), nodes, children, T1)
    wait = dg_sync(with_status(parent, confirm), nodes, children, T20)
    deadline = dg_sync(with_status(parent, wait), nodes, children, T31)
    return [ask, confirm, wait, deadline]


def test_a_refused_create_is_named_grace_seconds_after_metacontroller_applied_it() -> None:
    ask, confirm, wait, deadline = refused_create_story()
    assert synced(ask)["status"] == "True" and ask["status"][APPLYING].keys() == {"a", "b", "c"}
    assert synced(confirm)["status"] == "True" and confirm["status"][NOT_APPLIED_SINCE] == {"c": T1}
    assert confirm["status"][APPLYING] == {"c": ask["status"][APPLYING]["c"]}
    assert confirm["resyncAfterSeconds"] == GRACE_SECONDS
    assert wait["status"] == {**confirm["status"], "conditions": wait["status"]["conditions"]}
    assert wait["resyncAfterSeconds"] == 11
    condition = synced(deadline)
    assert (condition["status"], condition["reason"]) == ("False", "ChildrenNotApplied")
    assert condition["message"].startswith(f"1 unit(s) lack the child rendered for them {GRACE_SECONDS}s after")
    assert ": c (since when: status.notAppliedSince)" in condition["message"]
    assert "ResourceQuota" in condition["message"] and condition["lastTransitionTime"] == T31
    assert deadline["status"]["states"]["c"]["ready"] is False and deadline["status"]["readyUnits"] == 2
    assert deadline["resyncAfterSeconds"] == RETRY_SECONDS
    # Metacontroller keeps sending the child: it is in every answer
    assert {c["metadata"]["name"] for c in deadline["children"]} == {"web-a", "web-b", "web-c"}


def test_once_named_the_status_stays_the_same_until_the_child_appears() -> None:
    parent, nodes = grid(), site_nodes(a=1, b=1, c=1)
    *_, deadline = refused_create_story()
    children = {k: v for k, v in after_apply(deadline, {}).items() if not k.endswith("-c")}
    later = dg_sync(with_status(parent, deadline), nodes, children, T99)
    assert later["status"] == deadline["status"] and later["resyncAfterSeconds"] == RETRY_SECONDS
    # the quota is raised: the child appears, Synced turns True and both records are gone
    fixed = dg_sync(with_status(parent, later), nodes, after_apply(later, {}), T99)
    assert synced(fixed)["status"] == "True" and synced(fixed)["lastTransitionTime"] == T99
    assert APPLYING not in fixed["status"] and NOT_APPLIED_SINCE not in fixed["status"]


def test_a_refused_update_is_named_and_the_unit_stays_ready_on_its_old_child() -> None:
    parent, nodes = grid(), site_nodes(a=1, b=1)
    before = after_apply(dg_sync(parent, nodes, {}, T0), {})
    settled = dg_sync(parent, nodes, before, T0)
    changed = {**grid(template=deployment_spec(image="nginx:1.28")), "status": settled["status"]}
    ask = dg_sync(changed, nodes, before, T1)
    assert ask["status"]["readyUnits"] == 2 and ask["status"][APPLYING].keys() == {"a", "b"}
    # the API server takes b's new child and refuses a's (an invalid quantity in an override, say)
    took_b = {**before, "shop/web-b": after_apply(ask, before)["shop/web-b"]}
    confirm = dg_sync(with_status(changed, ask), nodes, took_b, T20)
    deadline = dg_sync(with_status(changed, confirm), nodes, took_b, "2026-01-01T00:00:50Z")
    assert synced(confirm)["status"] == "True" and synced(deadline)["reason"] == "ChildrenNotApplied"
    assert deadline["status"]["states"]["a"]["ready"] is True and deadline["status"]["readyUnits"] == 2


def test_quiet_changes_nothing_and_asks_for_no_resync() -> None:
    parent, nodes = grid(), site_nodes(a=1, b=1)
    first = dg_sync(parent, nodes, {}, T0)
    children = after_apply(first, {})
    second = dg_sync(with_status(parent, first), nodes, children, T1)
    third = dg_sync(with_status(parent, second), nodes, children, T99)
    assert third["status"] == second["status"] and "resyncAfterSeconds" not in third
    assert APPLYING not in third["status"] and NOT_APPLIED_SINCE not in third["status"]


def test_upgrade_stamping_every_child_anew_flips_no_condition() -> None:
    """A new release that renders every child differently: Ready and Synced never move."""
    parent, nodes = grid(), site_nodes(a=1, b=1, c=1)
    first = dg_sync(parent, nodes, {}, T0)
    children = after_apply(first, {})
    quiet = dg_sync(with_status(parent, first), nodes, children, T1)
    old_release = copy.deepcopy(children)
    for child in old_release.values():
        child["metadata"]["annotations"][REVISION_ANNOTATION] = "0" * 16
    ask = dg_sync(with_status(parent, quiet), nodes, old_release, T20)
    done = dg_sync(with_status(parent, ask), nodes, children, T99)
    for response in (ask, done):
        assert response["status"]["conditions"] == quiet["status"]["conditions"]
    assert ask["status"][APPLYING].keys() == {"a", "b", "c"} and done["status"] == quiet["status"]


def test_unit_errors_take_precedence_and_a_failed_unit_is_not_tracked() -> None:
    parent, nodes = grid(templates={"a": "missing"}), site_nodes(a=1, b=1)
    response = dg_sync({**parent, "status": {NOT_APPLIED_SINCE: {"a": T0, "b": T0}}}, nodes, {}, T99)
    assert synced(response)["reason"] == "UnitErrors"
    assert response["status"][NOT_APPLIED_SINCE] == {"b": T0}


def test_an_invalid_spec_keeps_the_records_as_they_are() -> None:
    *_, deadline = refused_create_story()
    broken = {**grid(gridUniqKey="bad key!"), "status": deadline["status"]}
    response = dg_sync(broken, site_nodes(a=1), {}, T99)
    assert synced(response)["reason"] == "InvalidSpec"
    assert response["status"][NOT_APPLIED_SINCE] == deadline["status"][NOT_APPLIED_SINCE]


def test_a_unit_no_nodeunit_lists_keeps_its_child_and_is_not_tracked() -> None:
    nodes = site_nodes(a=1, b=1)
    parent = grid(siteSource="NodeUnits")
    units = nodeunits_of(nodes)
    first = workload_sync(nu_request(parent, units), DEPLOYMENT, T0)
    children = after_apply(first, {})
    only_a = {k: v for k, v in units.items() if v["spec"].get("nodes") and "a" in k.split("-")}
    assert len(only_a) == 1
    changed = {**grid(siteSource="NodeUnits", template=deployment_spec(image="nginx:1.28")), "status": first["status"]}
    response = workload_sync(nu_request(changed, only_a, children), DEPLOYMENT, T1)
    assert response["status"][APPLYING].keys() == {"a"}  # b is unlisted: its child is kept, nothing is asked


# -- through the ServiceGrid sync hook ----------------------------------------------------------------


def sg_sync(parent: dict, nodes: dict, children: dict, now: str) -> dict:
    return service_sync(service_sync_request(parent, nodes, children), now)


@pytest.mark.parametrize("per_unit", [True, False])
def test_a_refused_shared_service_is_named_and_no_unit_is_ready(per_unit: bool) -> None:
    parent, nodes = service_grid(perUnitServices=per_unit), site_nodes(a=1)
    ask = sg_sync(parent, nodes, {}, T0)
    units = children_map([observed_service(c) for c in ask["children"] if c["metadata"]["name"] != "web-svc"])
    confirm = sg_sync(with_status(parent, ask), nodes, units, T1)
    deadline = sg_sync(with_status(parent, confirm), nodes, units, T40)
    assert confirm["status"][NOT_APPLIED_SINCE] == {SHARED_ENTRY: T1}
    assert synced(deadline)["reason"] == "ChildrenNotApplied" and SHARED_ENTRY in synced(deadline)["message"]
    assert deadline["status"]["readyUnits"] == 0


def test_a_refused_unit_service_is_named_by_its_unit() -> None:
    parent, nodes = service_grid(), site_nodes(a=1, b=1)
    ask = sg_sync(parent, nodes, {}, T0)
    landed = children_map([observed_service(c) for c in ask["children"] if c["metadata"]["name"] != "web-svc-b"])
    confirm = sg_sync(with_status(parent, ask), nodes, landed, T1)
    deadline = sg_sync(with_status(parent, confirm), nodes, landed, T40)
    assert synced(deadline)["reason"] == "ChildrenNotApplied" and ": b (since" in synced(deadline)["message"]
    quiet = sg_sync(with_status(parent, deadline), nodes, landed, T99)
    assert quiet["status"] == deadline["status"]


def test_a_service_landed_with_another_stamp_is_ready_while_its_update_is_applying() -> None:
    parent, nodes = service_grid(), site_nodes(a=1)
    first = sg_sync(parent, nodes, {}, T0)
    landed = children_map([observed_service(c) for c in first["children"]])
    for child in landed.values():
        child["metadata"]["annotations"][REVISION_ANNOTATION] = "0" * 16
    response = sg_sync(with_status(parent, first), nodes, landed, T1)
    assert response["status"]["readyUnits"] == 1 and synced(response)["status"] == "True"
    assert response["status"][NOT_APPLIED_SINCE].keys() == {SHARED_ENTRY, "a"}


def test_observed_children_of_the_right_stamp_are_what_clears_a_record() -> None:
    parent, nodes = grid(), site_nodes(a=1)
    first = dg_sync(parent, nodes, {}, T0)
    stale = {k: observed(v) for k, v in children_map(first["children"]).items()}
    for child in stale.values():
        child["metadata"]["annotations"][REVISION_ANNOTATION] = "f" * 16
    response = dg_sync(with_status(parent, first), nodes, stale, T1)
    assert response["status"][NOT_APPLIED_SINCE] == {"a": T1}


def test_a_grid_first_status_is_stamped_with_its_creation_time_on_every_read_before_it_is_stored() -> None:
    parent, nodes = grid(), site_nodes(a=1)
    parent["metadata"]["creationTimestamp"] = T0
    first = dg_sync(parent, nodes, {}, T1)
    lagging = dg_sync(parent, nodes, after_apply(first, {}), T20)  # the cache has not seen the first status
    for response in (first, lagging):
        assert {c["lastTransitionTime"] for c in response["status"]["conditions"]} == {T0}
