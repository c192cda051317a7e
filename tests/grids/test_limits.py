"""Every grid's cost is bounded: spec limits are whole-grid errors, unit limits fail one unit, children stay."""

from __future__ import annotations

import json

import pytest

from hooks.grids import service_grid, workload_grid
from hooks.grids.children import METACONTROLLER_LAST_APPLIED
from hooks.grids.limits import (
    ANNOTATION_HEADROOM,
    MAX_CHILD_BYTES,
    MAX_CHILD_JSON,
    MAX_OVERRIDES,
    MAX_PATCH_OPERATIONS,
    MAX_PATCH_OPERATIONS_PER_ENTRY,
    MAX_UNIT_PATCH_OPERATIONS,
    LimitExceeded,
    check_child_size,
    child_footprint,
)
from hooks.grids.overrides import apply_overrides, parse_overrides
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from hooks.kube.sizes import ANNOTATIONS_LIMIT, json_size
from tests.support.builders import NOW, children_map, deployment_spec, grid, observed, site_nodes, sync_request
from tests.support.service_builders import observed_service, service_spec, service_sync_request
from tests.support.service_builders import service_grid as sg

NODES = site_nodes(a=1, b=1, c=1)
ANNOTATIONS = "/spec/template/metadata/annotations"


def doubling(copies: int = 20) -> list[dict]:
    """A hostile patch: each copy puts the whole pod template into its own annotations."""
    ops = [{"op": "add", "path": ANNOTATIONS, "value": {}}]
    ops += [{"op": "copy", "from": "/spec/template", "path": f"{ANNOTATIONS}/x{i}"} for i in range(1, copies + 1)]
    return ops


def sync(overrides=None, children=None, kind=DEPLOYMENT, **spec) -> dict:
    parent = grid(kind.grid_kind, overrides=overrides or [], **spec)
    return workload_grid.sync(sync_request(parent, NODES, children, child_type=kind.child_type), kind, NOW)


def live(kind=DEPLOYMENT) -> dict:
    return children_map([observed(c) for c in sync(kind=kind)["children"]])


def synced(resp: dict) -> dict:
    return next(c for c in resp["status"]["conditions"] if c["type"] == "Synced")


def assert_every_child_kept(resp: dict, lives: dict) -> None:
    assert [c["metadata"]["name"] for c in resp["children"]] == sorted(c["metadata"]["name"] for c in lives.values())
    assert [c["spec"] for c in resp["children"]] == [lives[k]["spec"] for k in sorted(lives)]


class TestSpecLimits:
    """Over a limit of the spec: every child kept, ``Synced=False`` with the limit's reason (status kept)."""

    @pytest.mark.parametrize(
        ("spec", "reason", "message"),
        [
            (
                {"overrides": [{"replicas": 1}] * (MAX_OVERRIDES + 1)},
                "TooManyOverrides",
                "spec.overrides has 1,001 items, over the limit of 1,000",
            ),
            (
                {"overrides": [{"patch": [{"op": "test", "path": "/kind", "value": "Deployment"}] * 101}]},
                "TooManyPatchOperations",
                "spec.overrides[0].patch has 101 items, over the limit of 100",
            ),
            (
                {"overrides": [{"units": ["x"], "patch": [{"op": "remove", "path": "/spec/x"}] * 91}] * 11},
                "TooManyPatchOperations",
                "spec.overrides hold 1,001 patch operations in all, over the limit of 1,000",
            ),
            (
                {"template": {**deployment_spec(), "minReadySeconds": 1, "paused": False, "pad": "x" * MAX_CHILD_JSON}},
                "TemplateTooLarge",
                "spec.template is 258,",
            ),
            (
                {"templatePool": {"big": {**deployment_spec(), "pad": "x" * MAX_CHILD_JSON}}},
                "TemplateTooLarge",
                "spec.templatePool[big] is 258,",
            ),
            (
                {"overrides": [{"patch": [{"op": "add", "path": "/metadata/annotations/a", "value": "x" * 300_000}]}]},
                "PatchValueTooLarge",
                "spec.overrides[0].patch[0].value is 300,002 bytes as JSON, over the 258,000 a child can hold",
            ),
        ],
    )
    def test_keeps_every_child_and_names_the_limit(self, spec, reason, message):
        lives = live()
        resp = sync(children=lives, **spec)
        assert_every_child_kept(resp, lives)
        condition = synced(resp)
        assert (condition["status"], condition["reason"]) == ("False", reason)
        assert message in condition["message"] and "docs/reference.md#limits" in condition["message"]

    def test_at_the_limits_is_fine(self):
        overrides = [{"units": ["x"], "patch": [{"op": "remove", "path": "/spec/x"}] * 100}] * 10
        overrides += [{"replicas": 1}] * (MAX_OVERRIDES - 10)
        assert synced(sync(overrides))["status"] == "True"
        assert MAX_PATCH_OPERATIONS == 1_000 and MAX_PATCH_OPERATIONS_PER_ENTRY == 100

    def test_a_service_grid_template_too_large_keeps_every_service(self):
        nodes = site_nodes(a=1)
        lives = children_map(
            [observed_service(c) for c in service_grid.sync(service_sync_request(sg(), nodes), NOW)["children"]]
        )
        parent = sg(template=service_spec(externalName="x" * MAX_CHILD_JSON))
        resp = service_grid.sync(service_sync_request(parent, nodes, lives), NOW)
        assert [c["metadata"]["name"] for c in resp["children"]] == ["web-svc", "web-svc-a"]
        assert synced(resp)["reason"] == "TemplateTooLarge"


class TestUnitLimits:
    """Over a limit for a unit: that unit keeps its observed child, the others render, Synced names both."""

    @pytest.mark.parametrize("kind", [DEPLOYMENT, STATEFULSET])
    def test_the_doubling_attack_keeps_every_observed_child(self, kind):
        lives = live(kind)
        resp = sync([{"patch": doubling()}], lives, kind)
        assert_every_child_kept(resp, lives)
        condition = synced(resp)
        assert (condition["status"], condition["reason"]) == ("False", "ChildTooLarge")
        assert condition["message"].startswith("all 3 units could not be rendered (an existing child is kept as it is)")
        assert "spec.overrides[0].patch[" in condition["message"] and "child too large" in condition["message"]
        for state in resp["status"]["states"].values():
            assert "over the 258,000 bytes that fit in Metacontroller's last-applied annotation" in state["error"]

    def test_only_the_units_over_a_limit_fail(self):
        lives = live()
        resp = sync([{"units": ["b"], "patch": doubling()}, {"replicas": 3}], lives)
        kids = {c["metadata"]["name"]: c for c in resp["children"]}
        assert kids["web-a"]["spec"]["replicas"] == kids["web-c"]["spec"]["replicas"] == 3
        assert kids["web-b"]["spec"] == lives["shop/web-b"]["spec"]
        condition = synced(resp)
        assert condition["reason"] == "ChildTooLarge" and "(unit b)" in condition["message"]
        assert set(resp["status"]["states"]["b"]) >= {"error"} and "error" not in resp["status"]["states"]["a"]

    def test_a_new_unit_over_a_limit_gets_no_child(self):
        resp = sync([{"patch": doubling()}])
        assert resp["children"] == [] and synced(resp)["reason"] == "ChildTooLarge"

    def test_too_many_operations_for_one_unit(self):
        ops = [{"op": "test", "path": "/kind", "value": "Deployment"}] * 60
        resp = sync([{"patch": ops}, {"units": ["a"], "patch": ops}])
        assert synced(resp)["reason"] == "TooManyPatchOperations"
        assert (
            "120 patch operations apply to this unit, over the limit of 100" in resp["status"]["states"]["a"]["error"]
        )
        assert [c["metadata"]["labels"]["site"] for c in resp["children"]] == ["b", "c"]
        assert MAX_UNIT_PATCH_OPERATIONS == 100

    def test_patch_work_is_bounded(self):
        big = "x" * 100_000
        ops = [
            {"op": "add", "path": "/metadata/annotations/big", "value": big},
            *[{"op": "test", "path": "/metadata/annotations/big", "value": big}] * 3,
        ]
        resp = sync([{"patch": ops}])
        assert synced(resp)["reason"] == "PatchTooCostly"
        assert (
            "spec.overrides[0].patch[3] (test /metadata/annotations/big): patch too costly" in synced(resp)["message"]
        )

    def test_replicas_and_images_count_towards_the_size(self):
        child = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}}, "pad": ""}
        child["pad"] = "x" * (MAX_CHILD_JSON - json_size(child))
        image = {"images": {"web": "nginx:1.28"}}
        with pytest.raises(
            LimitExceeded, match=r"^spec.overrides\[0\].images: child too large: it would grow to about 258 kB of JSON"
        ):
            apply_overrides(child, parse_overrides([image]), "a")
        with pytest.raises(LimitExceeded, match=r"^spec.overrides\[0\].replicas: child too large"):
            apply_overrides(child, parse_overrides([{"replicas": 1}]), "a")
        child["pad"] = child["pad"][:-18]  # the image gains 5 bytes, replicas 13
        assert json_size(apply_overrides(child, parse_overrides([image, {"replicas": 1}]), "a")) == MAX_CHILD_JSON

    def test_images_entries_over_many_containers_are_work(self):
        child = {"spec": {"template": {"spec": {"containers": [{"name": f"c{i}"} for i in range(10_000)]}}}}
        entries = [{"images": {"c0": "nginx:1.28"}}] * 30
        with pytest.raises(LimitExceeded, match=r"^spec.overrides\[25\].images: patch too costly"):
            apply_overrides(child, parse_overrides(entries), "a")

    def test_inherited_annotations_count_twice_and_are_checked_without_any_override(self):
        """A grid's annotations go into each child, and again into Metacontroller's copy of the child."""
        parent = grid(overrides=[])
        parent["metadata"]["annotations"] = {"example.com/notes": "n" * 140_000}  # fits the grid, not a child
        lives = live()
        resp = workload_grid.sync(sync_request(parent, NODES, lives), DEPLOYMENT, NOW)
        assert_every_child_kept(resp, lives)
        assert synced(resp)["reason"] == "ChildTooLarge"
        assert (
            "child too large: with Metacontroller's last-applied copy of it, its annotations would take about 28"
            in (resp["status"]["states"]["a"]["error"])
        )

    def test_a_shared_service_too_large_keeps_every_service(self):
        nodes = site_nodes(a=1)
        lives = children_map(
            [observed_service(c) for c in service_grid.sync(service_sync_request(sg(), nodes), NOW)["children"]]
        )
        parent = sg()
        parent["metadata"]["annotations"] = {"example.com/notes": "n" * 140_000}
        resp = service_grid.sync(service_sync_request(parent, nodes, lives), NOW)
        assert [c["metadata"]["name"] for c in resp["children"]] == ["web-svc", "web-svc-a"]
        assert (
            synced(resp)["reason"] == "ChildTooLarge"
            and "the shared Service web-svc too large" in synced(resp)["message"]
        )


def test_a_child_nested_too_deep_to_write_fails_its_unit_only():
    deep: object = "x"
    for _ in range(90):
        deep = {"a": deep}
    at = "/spec/extra"
    ops = [
        {"op": "add", "path": at, "value": deep},
        {"op": "copy", "from": at, "path": at + "/a" * 89 + "/b"},
        {"op": "copy", "from": at, "path": at + "/a" * 89 + "/c"},  # 90 levels, then 180 more
    ]
    resp = sync([{"units": ["a"], "patch": ops}], live())
    assert "rendered child cannot be written as JSON" in resp["status"]["states"]["a"]["error"]
    assert len(resp["children"]) == 3 and synced(resp)["reason"] == "UnitErrors"


class TestChildFootprint:
    """What the API server will count: the last-applied key, the child's JSON as Go writes it, its annotations."""

    def test_counts_the_key_the_json_and_the_annotations(self):
        child = {"kind": "Deployment", "metadata": {"annotations": {"a": "<&>"}}}
        go_json = json.dumps(child, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")
        go_json = go_json.replace("&", "\\u0026")
        assert child_footprint(child) == len(METACONTROLLER_LAST_APPLIED) + len(go_json) + len("a") + len("<&>")

    def test_the_boundary(self):
        def child(pad: int) -> dict:
            return {"metadata": {"name": "x"}, "spec": {"pad": "x" * pad}}

        base = child_footprint(child(0))
        check_child_size(child(MAX_CHILD_BYTES - base))
        with pytest.raises(LimitExceeded, match="over the limit of 258,048"):
            check_child_size(child(MAX_CHILD_BYTES - base + 1))
        assert MAX_CHILD_BYTES == ANNOTATIONS_LIMIT - ANNOTATION_HEADROOM == 258_048
