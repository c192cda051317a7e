"""Per-unit autoscaling through the DeploymentGrid/StatefulSetGrid sync: HPAs, replicas left alone, status."""

import copy

import pytest

from hooks.grids import workload_grid
from hooks.grids.autoscaling import HPA_TYPE, unit_scaling
from hooks.grids.autoscaling_spec import Autoscaling
from hooks.grids.overrides import parse_overrides
from hooks.grids.revision import REVISION_ANNOTATION
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from hooks.kube.errors import SpecError
from tests.support.autoscaling_builders import (
    PARENT_UID,
    autoscaling,
    by_kind,
    created,
    external_metric,
    live_hpa,
    request,
)
from tests.support.builders import NOW, deployment_spec, grid, site_nodes
from tests.support.metacontroller_apply import apply_update, needs_update


def sync(req, kind=DEPLOYMENT):
    return workload_grid.sync(req, kind, NOW)


def steady(parent, nodes, replicas=None, kind=DEPLOYMENT):
    """The children a first sync creates, as the cluster then shows them (workloads scaled to ``replicas``
    by their autoscaler), and the HPAs as their controller reports them."""
    first = by_kind(sync(request(parent, nodes, [], kind.child_type), kind))
    live = [created(c, (replicas or {}).get(name)) for name, c in first.get(kind.kind, {}).items()]
    hpas = [live_hpa(h, 2, 2) for h in first.get("HorizontalPodAutoscaler", {}).values()]
    return live + hpas


# ---- who owns a unit's replicas ------------------------------------------------------------------------


def owner(grid_block, overrides, unit):
    scaling = unit_scaling(grid_block, parse_overrides(overrides), unit)
    return None if scaling is None else (scaling.mode, scaling.min_replicas, scaling.max_replicas)


def test_overrides_change_min_max_and_a_unit_opts_out():
    block = Autoscaling(min_replicas=2, max_replicas=6)
    overrides = [
        {"units": ["flagship"], "autoscaling": {"maxReplicas": 40}},
        {"units": ["flagship"], "autoscaling": {"minReplicas": 4}},
        {"units": ["kiosk"], "autoscaling": {"mode": "Disabled"}},
        {"units": ["franchise"], "autoscaling": {"mode": "External"}},
    ]
    assert owner(block, overrides, "branch") == ("HPA", 2, 6)
    assert owner(block, overrides, "flagship") == ("HPA", 4, 40)
    assert owner(block, overrides, "kiosk") is None
    assert owner(block, overrides, "franchise") == ("External", 2, 6)


def test_an_override_alone_autoscales_its_units():
    overrides = [{"units": ["hub"], "autoscaling": {"maxReplicas": 9}}]
    assert owner(None, overrides, "hub") == ("HPA", None, 9)
    assert owner(None, overrides, "branch") is None


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (Autoscaling(min_replicas=2), "maxReplicas is required"),
        (Autoscaling(min_replicas=7, max_replicas=6), "minReplicas 7 is above maxReplicas 6"),
    ],
)
def test_an_incomplete_hpa_fails_its_unit(block, message):
    with pytest.raises(SpecError, match=message):
        unit_scaling(block, (), "a")


def test_external_needs_no_max():
    assert owner(Autoscaling(mode="External"), [], "a") == ("External", None, None)


# ---- the HPA children ------------------------------------------------------------------------------------


def test_one_hpa_per_unit_targets_its_workload_and_reads_its_own_metric():
    parent = grid(autoscaling=autoscaling(minReplicas=2))
    kids = by_kind(sync(request(parent, site_nodes(a=1, b=1), [])))
    assert sorted(kids["HorizontalPodAutoscaler"]) == ["web-a", "web-b"]
    hpa = kids["HorizontalPodAutoscaler"]["web-a"]
    assert hpa["apiVersion"] == "autoscaling/v2" and hpa["metadata"]["namespace"] == "shop"
    assert hpa["metadata"]["labels"] == {"site": "a", "superedge.io/grid-selector": "web"}
    assert hpa["metadata"]["annotations"] == {"superedge.io/grid-uniq-key": "site"}
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web-a"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    assert hpa["spec"]["metrics"][0]["external"]["metric"]["selector"] == {"matchLabels": {"site": "a"}}


def test_statefulset_units_get_hpas_targeting_statefulsets():
    parent = grid("StatefulSetGrid", autoscaling=autoscaling())
    kids = by_kind(sync(request(parent, site_nodes(a=1), [], STATEFULSET.child_type), STATEFULSET))
    ref = kids["HorizontalPodAutoscaler"]["web-a"]["spec"]["scaleTargetRef"]
    assert ref == {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web-a"}
    assert "replicas" not in kids["StatefulSet"]["web-a"]["spec"]


def test_opted_out_and_external_units_get_no_hpa():
    overrides = [
        {"units": ["b"], "autoscaling": {"mode": "Disabled"}, "replicas": 5},
        {"units": ["c"], "autoscaling": {"mode": "External"}},
    ]
    parent = grid(autoscaling=autoscaling(), overrides=overrides)
    kids = by_kind(sync(request(parent, site_nodes(a=1, b=1, c=1), [])))
    assert sorted(kids["HorizontalPodAutoscaler"]) == ["web-a"]
    assert kids["Deployment"]["web-b"]["spec"]["replicas"] == 5
    assert "replicas" not in kids["Deployment"]["web-c"]["spec"]


def test_behavior_and_quantities_go_out_as_the_api_server_stores_them():
    behavior = {"scaleDown": {"stabilizationWindowSeconds": 0, "tolerance": 0.05}}
    parent = grid(autoscaling=autoscaling(metrics=[external_metric(average=1000)], behavior=behavior))
    hpa = by_kind(sync(request(parent, site_nodes(a=1), [])))["HorizontalPodAutoscaler"]["web-a"]
    assert hpa["spec"]["metrics"][0]["external"]["target"]["averageValue"] == "1k"
    assert hpa["spec"]["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 0, "tolerance": "50m"}}


def test_without_autoscaling_nothing_changes():
    kids = by_kind(sync(request(grid(), site_nodes(a=1), [])))
    assert set(kids) == {"Deployment"}
    assert kids["Deployment"]["web-a"]["spec"]["replicas"] == 2


# ---- replicas: never changed for an autoscaled unit --------------------------------------------------


def test_a_new_autoscaled_child_is_created_without_replicas():
    parent = grid(autoscaling=autoscaling(minReplicas=3))
    kids = by_kind(sync(request(parent, site_nodes(a=1), [])))
    assert "replicas" not in kids["Deployment"]["web-a"]["spec"]


def test_created_autoscaled_children_stay_quiet_whatever_the_autoscaler_sets():
    parent, nodes = grid(autoscaling=autoscaling()), site_nodes(a=1, b=1)
    live = steady(parent, nodes, replicas={"web-a": 5, "web-b": 3})
    answer = by_kind(sync(request(parent, nodes, live)))
    for child in live:
        if child["kind"] == "Deployment":
            desired = answer["Deployment"][child["metadata"]["name"]]
            assert "replicas" not in desired["spec"]
            assert not needs_update(child, desired, PARENT_UID), child["metadata"]["name"]


def test_switching_on_keeps_the_replicas_the_grid_set_and_scaling_never_reverts():
    nodes = site_nodes(a=1)
    before = steady(grid(), nodes)  # the grid set replicas: 2, and recorded them
    assert before[0]["spec"]["replicas"] == 2
    parent = grid(autoscaling=autoscaling())
    for now in (2, 5, 9):  # the autoscaler scales; each sync sends what it set
        live = copy.deepcopy(before)
        live[0]["spec"]["replicas"] = now
        desired = by_kind(sync(request(parent, nodes, live)))["Deployment"]["web-a"]
        assert desired["spec"]["replicas"] == now
        assert apply_update(live[0], desired)["spec"]["replicas"] == now


def test_the_hand_over_ends_at_one_replica():
    nodes = site_nodes(a=1)
    live = steady(grid(), nodes)
    live[0]["spec"]["replicas"] = 1
    desired = by_kind(sync(request(grid(autoscaling=autoscaling()), nodes, live)))["Deployment"]["web-a"]
    assert "replicas" not in desired["spec"]
    written = apply_update(live[0], desired)
    assert "replicas" not in written["spec"]  # sent without: the API server sets the default, 1, as it was


def test_the_stamp_does_not_move_when_the_autoscaler_scales():
    nodes, parent = site_nodes(a=1), grid(autoscaling=autoscaling())
    stamps = set()
    for now in (2, 7):
        live = steady(grid(), nodes)
        live[0]["spec"]["replicas"] = now
        desired = by_kind(sync(request(parent, nodes, live)))["Deployment"]["web-a"]
        stamps.add(desired["metadata"]["annotations"][REVISION_ANNOTATION])
    assert len(stamps) == 1


def test_switching_off_returns_to_the_template_and_removes_the_hpa():
    nodes = site_nodes(a=1)
    live = steady(grid(autoscaling=autoscaling()), nodes, replicas={"web-a": 5})
    kids = by_kind(sync(request(grid(), nodes, live)))
    assert set(kids) == {"Deployment"}  # Metacontroller deletes the HPA it no longer gets
    assert apply_update(live[0], kids["Deployment"]["web-a"])["spec"]["replicas"] == 2


def test_an_invalid_spec_keeps_hpas_and_the_autoscaled_replicas():
    nodes = site_nodes(a=1)
    live = steady(grid(), nodes)
    live[0]["spec"]["replicas"] = 6  # scaled by an HPA after the grid recorded 2
    hpa = live_hpa(
        by_kind(sync(request(grid(autoscaling=autoscaling()), nodes, [])))["HorizontalPodAutoscaler"]["web-a"], 6, 6
    )
    broken = grid(gridUniqKey="not a key", autoscaling=autoscaling())
    resp = sync(request(broken, nodes, [*live, hpa]))
    kids = by_kind(resp)
    assert resp["status"]["conditions"][-1]["reason"] == "InvalidSpec"
    assert set(kids["HorizontalPodAutoscaler"]) == {"web-a"}
    assert apply_update(live[0], kids["Deployment"]["web-a"])["spec"]["replicas"] == 6


def test_a_failing_unit_keeps_its_hpa_and_its_replicas():
    nodes = site_nodes(a=1)
    parent = grid(autoscaling=autoscaling())
    live = steady(parent, nodes, replicas={"web-a": 4})
    broken = grid(autoscaling=autoscaling(), overrides=[{"units": ["a"], "autoscaling": {"minReplicas": 9}}])
    resp = sync(request(broken, nodes, live))
    kids = by_kind(resp)
    assert "minReplicas 9 is above maxReplicas 6" in resp["status"]["states"]["a"]["error"]
    assert kids["HorizontalPodAutoscaler"]["web-a"]["spec"].get("minReplicas", 1) == 1  # kept as it was
    assert not needs_update(live[0], kids["Deployment"]["web-a"], PARENT_UID)


def test_a_unit_held_by_a_rollout_keeps_its_autoscaled_replicas():
    nodes = site_nodes(a=1, b=1)
    rollout = {"steps": [{"units": ["a"]}], "maxUpdating": 1}
    live = steady(grid(), nodes)  # recorded replicas: 2
    for child in live:
        child["spec"]["replicas"] = 8
    parent = grid(autoscaling=autoscaling(), rollout=rollout, template=deployment_spec(image="nginx:1.28"))
    resp = sync(request(parent, nodes, live))
    held = [u for u in ("a", "b") if resp["status"]["states"][u].get("updated") is False]
    assert held
    for child in live:
        assert apply_update(child, by_kind(resp)["Deployment"][child["metadata"]["name"]])["spec"]["replicas"] == 8


def test_a_departing_unit_keeps_its_hpa_during_the_grace_period():
    parent = grid(autoscaling=autoscaling(), unitRemovalGracePeriodSeconds=60)
    live = steady(parent, site_nodes(a=1, b=1))
    kids = by_kind(sync(request(parent, site_nodes(a=1), live)))
    assert sorted(kids["HorizontalPodAutoscaler"]) == ["web-a", "web-b"]


# ---- status ------------------------------------------------------------------------------------------------


def test_status_shows_each_units_autoscaler_and_a_summary():
    nodes = site_nodes(a=1, b=1)
    parent = grid(autoscaling=autoscaling(), overrides=[{"units": ["b"], "autoscaling": {"mode": "External"}}])
    first = by_kind(sync(request(parent, nodes, [])))
    hpa = live_hpa(first["HorizontalPodAutoscaler"]["web-a"], 3, 5)
    live = [created(c) for c in first["Deployment"].values()]
    status = sync(request(parent, nodes, [*live, hpa]))["status"]
    assert status["states"]["a"]["autoscaling"] == {
        "mode": "HPA",
        "currentReplicas": 3,
        "desiredReplicas": 5,
        "ableToScale": "True",
        "scalingActive": "True",
        "scalingLimited": "False",
        "canScale": True,
    }
    assert status["states"]["b"]["autoscaling"] == {"mode": "External"}
    assert status["autoscaling"] == {"state": "Active", "units": 1, "ableToScaleUnits": 1, "externalUnits": 1}
    autoscaled = next(c for c in status["conditions"] if c["type"] == "Autoscaling")
    assert (autoscaled["status"], autoscaled["reason"]) == ("True", "Active")


def test_a_unit_whose_hpa_cannot_scale_is_named():
    nodes = site_nodes(a=1, b=1)
    parent = grid(autoscaling=autoscaling())
    first = by_kind(sync(request(parent, nodes, [])))
    live = [created(c) for c in first["Deployment"].values()]
    hpas = [
        live_hpa(first["HorizontalPodAutoscaler"]["web-a"], 2, 2),
        live_hpa(
            first["HorizontalPodAutoscaler"]["web-b"], 2, 2, active="False", active_reason="FailedGetExternalMetric",
            active_message="the HPA was unable to compute the replica count: unable to get external metric",
        ),
    ]  # fmt: skip
    status = sync(request(parent, nodes, [*live, *hpas]))["status"]
    b = status["states"]["b"]["autoscaling"]
    assert (b["canScale"], b["reason"]) == (False, "FailedGetExternalMetric")
    assert status["states"]["b"]["ready"] is True  # its pods run: readiness is not autoscaling's business
    assert status["autoscaling"] == {
        "state": "CannotScale", "units": 2, "ableToScaleUnits": 1, "unableToScaleUnits": 1, "unableToScale": ["b"],
    }  # fmt: skip
    cond = next(c for c in status["conditions"] if c["type"] == "Autoscaling")
    assert cond["status"] == "False" and cond["reason"] == "CannotScale"
    assert cond["message"].startswith("1 of 2 autoscaled units cannot scale (b): b: FailedGetExternalMetric")


def test_hpas_not_reported_yet_are_waited_for():
    parent = grid(autoscaling=autoscaling())
    status = sync(request(parent, site_nodes(a=1), []))["status"]
    assert status["states"]["a"]["autoscaling"] == {"mode": "HPA"}
    assert status["autoscaling"]["state"] == "Waiting"
    cond = next(c for c in status["conditions"] if c["type"] == "Autoscaling")
    assert cond["reason"] == "Waiting" and cond["message"].endswith(": a")


def test_no_autoscaling_no_status_field():
    status = sync(request(grid(), site_nodes(a=1), []))["status"]
    assert "autoscaling" not in status
    assert [c["type"] for c in status["conditions"]] == ["Ready", "Synced"]


def test_a_request_without_the_hpa_type_still_renders_hpas():
    req = request(grid(autoscaling=autoscaling()), site_nodes(a=1), [])
    del req["children"][HPA_TYPE]  # an older controller manifest without the HPA child type: still answers
    assert by_kind(sync(req))["HorizontalPodAutoscaler"]


def test_removing_metacontrollers_record_ends_the_hand_over_at_any_number():
    """docs/autoscaling.md: without a record Metacontroller removes nothing, and records an answer without
    replicas, so later scalings cost no write."""
    nodes, parent = site_nodes(a=1), grid(autoscaling=autoscaling())
    live = steady(grid(), nodes)[0]
    live["spec"]["replicas"] = 6
    del live["metadata"]["annotations"]["metacontroller.k8s.io/last-applied-configuration"]
    desired = by_kind(sync(request(parent, nodes, [live])))["Deployment"]["web-a"]
    assert "replicas" not in desired["spec"]
    written = apply_update(live, desired)
    assert written["spec"]["replicas"] == 6
    assert '"replicas"' not in written["metadata"]["annotations"]["metacontroller.k8s.io/last-applied-configuration"]


def test_an_autoscaling_block_no_hpa_could_hold_is_refused():
    huge = [external_metric(name="m" * 300_000)]
    resp = sync(request(grid(autoscaling=autoscaling(metrics=huge)), site_nodes(a=1), []))
    synced = next(c for c in resp["status"]["conditions"] if c["type"] == "Synced")
    assert synced["reason"] == "TemplateTooLarge" and "spec.autoscaling is" in synced["message"]
    assert resp["children"] == []


def test_a_unit_whose_hpa_would_be_too_large_keeps_its_children():
    nodes = site_nodes(a=1)
    live = steady(grid(autoscaling=autoscaling()), nodes)
    parent = grid(autoscaling=autoscaling(metrics=[external_metric(name="m" * 200_000)]))
    parent["metadata"]["annotations"] = {"example.com/notes": "n" * 100_000}
    resp = sync(request(parent, nodes, live))
    assert resp["status"]["states"]["a"]["error"].startswith("HorizontalPodAutoscaler too large")
    kept = by_kind(resp)
    [metric] = kept["HorizontalPodAutoscaler"]["web-a"]["spec"]["metrics"]  # the observed HPA, as it was
    assert metric["external"]["metric"]["name"] == "queue_depth"
    assert not needs_update(live[0], kept["Deployment"]["web-a"], PARENT_UID)
