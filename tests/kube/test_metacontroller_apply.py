"""The Python copy of Metacontroller's comparison rule (shared by the unit suite and e2e/) on hand-made cases.

No cluster: these pin down the rule the API-server checks rely on, so a check that passes there cannot
pass because the rule was too lenient. Expected results follow pkg/dynamic/apply/apply.go and
pkg/controller/common/manage_children.go of Metacontroller v4.17.2.
"""

from __future__ import annotations

import copy

from hooks.kube.metacontroller_apply import LAST_APPLIED, apply_update, go_equal, go_json, needs_update
from tests.support.metacontroller_apply import as_created

PARENT = {"apiVersion": "superedge.io/v1", "kind": "DeploymentGrid", "metadata": {"name": "g", "uid": "u-1"}}


def desired() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "g-a", "namespace": "ns", "labels": {"site": "a"}},
        "spec": {
            "replicas": 1,
            "template": {"spec": {"containers": [{"name": "c", "image": "x:1", "ports": [{"containerPort": 80}]}]}},
            "list": [{"value": 1}],
        },
    }


def stored(want: dict) -> dict:
    """What an API server returns for a created object: server metadata, defaults, status."""
    live = as_created(want, PARENT)
    live["metadata"].update({"uid": "c-1", "resourceVersion": "5", "generation": 1, "creationTimestamp": "t"})
    live["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"] = "/dev/termination-log"
    live["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = "TCP"
    live["status"] = {"replicas": 1}
    return live


def test_unchanged_child_needs_no_update() -> None:
    assert not needs_update(stored(desired()), desired(), "u-1")


def test_a_changed_scalar_needs_an_update() -> None:
    want = desired()
    want["spec"]["template"]["spec"]["containers"][0]["image"] = "x:2"
    assert needs_update(stored(desired()), want, "u-1")


def test_defaults_inside_merge_key_lists_are_kept() -> None:
    """containers (key name) and ports (key containerPort) merge item by item: server defaults survive."""
    new = apply_update(
        stored(desired()),
        desired() | {"metadata": {**desired()["metadata"], "labels": {"site": "a", "controller-uid": "u-1"}}},
    )
    container = new["spec"]["template"]["spec"]["containers"][0]
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["ports"][0]["protocol"] == "TCP"


def test_a_list_without_merge_key_is_replaced_whole() -> None:
    """Server additions inside a list of objects without a known key make every sync an update."""
    live = stored(desired())
    live["spec"]["list"][0]["added"] = "by-server"
    assert needs_update(live, desired(), "u-1")


def test_int_and_float_differ_as_in_go() -> None:
    want = desired()
    want["spec"]["replicas"] = 1.0
    assert needs_update(stored(desired()), want, "u-1")
    assert not go_equal(1, 1.0) and not go_equal(True, 1)


def test_field_dropped_from_desired_is_removed_only_if_last_applied_had_it() -> None:
    live = stored(desired())
    live["spec"]["paused"] = True  # set by someone else: not in last-applied, so kept
    assert not needs_update(live, desired(), "u-1")
    want = copy.deepcopy(desired())
    del want["spec"]["replicas"]  # in last-applied and gone from desired: removed
    assert needs_update(live, want, "u-1")


def test_status_and_system_fields_never_count() -> None:
    live = stored(desired())
    live["status"] = {"replicas": 7}
    live["metadata"]["resourceVersion"] = "99"
    assert not needs_update(live, desired(), "u-1")


def test_last_applied_is_go_json() -> None:
    created = as_created({"metadata": {"name": "n", "annotations": {"a": "<&>"}}}, PARENT)
    text = created["metadata"]["annotations"][LAST_APPLIED]
    assert text == go_json(
        {"metadata": {"name": "n", "annotations": {"a": "<&>"}, "labels": {"controller-uid": "u-1"}}}
    )
    assert "\\u003c\\u0026\\u003e" in text and ", " not in text
