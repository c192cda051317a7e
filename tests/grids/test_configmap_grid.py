"""ConfigMapGrid: one ConfigMap per unit, data rendered per site, overrides of keys, nothing lost on errors."""

from __future__ import annotations

import pytest

from hooks.grids import configmap_grid
from tests.support.builders import NOW, children_map, site_nodes, sync_request, unstamped
from tests.support.kind_builders import configmap_grid as cm_grid
from tests.support.kind_builders import observed_configmap

CM = "ConfigMap.v1"


def sync(req, now=NOW):
    return configmap_grid.sync(req, now)


def request(parent, nodes, children=None):
    return sync_request(parent, nodes, children_map(children or []), child_type=CM)


def by_name(resp):
    return {c["metadata"]["name"]: c for c in resp["children"]}


def synced(status):
    return next(c for c in status["conditions"] if c["type"] == "Synced")


def test_one_configmap_per_unit_with_the_unit_in_its_values():
    kids = by_name(sync(request(cm_grid(binaryData={"logo.png": "iVBORw0KGgo="}), site_nodes(a=2, b=1))))
    assert sorted(kids) == ["app-config-a", "app-config-b"]
    a = kids["app-config-a"]
    assert a["apiVersion"] == "v1" and a["kind"] == "ConfigMap" and a["metadata"]["namespace"] == "shop"
    assert a["metadata"]["labels"] == {
        "superedge.io/configmap-grid": "app-config",
        "superedge.io/grid-selector": "app-config",
        "site": "a",
    }
    assert unstamped(a["metadata"]["annotations"]) == {"superedge.io/grid-uniq-key": "site"}
    assert a["data"] == {"SITE": "a", "LOG_LEVEL": "info"}
    assert kids["app-config-b"]["data"] == {"SITE": "b", "LOG_LEVEL": "info"}
    assert a["binaryData"] == {"logo.png": "iVBORw0KGgo="}
    assert set(a) == {"apiVersion", "kind", "metadata", "data", "binaryData"}


def test_overrides_set_keys_per_unit_and_patches_remove_them():
    overrides = [
        {"units": ["b"], "data": {"LOG_LEVEL": "debug", "ENDPOINT": "https://{{unit}}.example.com"}},
        {"units": ["b"], "binaryData": {"key.bin": "AAEC"}},
        {"units": ["c"], "patch": [{"op": "remove", "path": "/data/LOG_LEVEL"}]},
        {"patch": [{"op": "add", "path": "/metadata/labels/team", "value": "ops-{{unit}}"}]},
    ]
    kids = by_name(sync(request(cm_grid(overrides=overrides), site_nodes(a=1, b=1, c=1))))
    assert kids["app-config-a"]["data"] == {"SITE": "a", "LOG_LEVEL": "info"}
    assert kids["app-config-b"]["data"] == {"SITE": "b", "LOG_LEVEL": "debug", "ENDPOINT": "https://b.example.com"}
    assert kids["app-config-b"]["binaryData"] == {"key.bin": "AAEC"}
    assert kids["app-config-c"]["data"] == {"SITE": "c"}
    assert kids["app-config-c"]["metadata"]["labels"]["team"] == "ops-c"


def test_a_grid_without_data_renders_empty_configmaps():
    parent = cm_grid()
    del parent["spec"]["data"]
    (child,) = sync(request(parent, site_nodes(a=1)))["children"]
    assert "data" not in child and "binaryData" not in child


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"data": {"bad key": "x"}}, "spec.data[bad key]: key 'bad key' must be at most 253 characters"),
        ({"data": {"..secret": "x"}}, "must not be '.', '..' or start with '..'"),
        ({"data": {"n": 5}}, "spec.data[n]: value must be a string"),
        ({"data": ["x"]}, "spec.data must be a map"),
        ({"binaryData": {"b": "not base64!"}}, "spec.binaryData[b]: is not valid base64"),
        ({"binaryData": {"b": "AAE"}}, "is not valid base64"),
        ({"binaryData": {"b": "AA\nEC"}}, "is not valid base64"),
        ({"data": {"k": "x"}, "binaryData": {"k": "AAEC"}}, "both hold the key 'k'"),
        ({"overrides": [{"replicas": 2}]}, "spec.overrides[0].replicas: a ConfigMapGrid has no replicas"),
        ({"overrides": [{"images": {"a": "b:1"}}]}, "unknown field(s) images; allowed: units, data, binaryData, patch"),
        ({"overrides": [{"data": {"k": 1}}]}, "spec.overrides[0].data[k]: value must be a string"),
        ({"overrides": [{"binaryData": {"k": "=="}}]}, "spec.overrides[0].binaryData[k]"),
    ],
)
def test_an_invalid_spec_keeps_every_configmap(spec, message):
    first = sync(request(cm_grid(), site_nodes(a=1, b=1)))["children"]
    data = spec.pop("data", None)
    parent = cm_grid(**spec)
    if data is not None:
        parent["spec"]["data"] = data
    resp = sync(request(parent, site_nodes(a=1, b=1), [observed_configmap(c) for c in first]))
    assert resp["children"] == first
    cond = synced(resp["status"])
    assert cond["reason"] == "InvalidSpec" and message in cond["message"], cond["message"]


@pytest.mark.parametrize(
    "patch, message",
    [
        ([{"op": "add", "path": "/data/bad key", "value": "x"}], "data[bad key]"),
        ([{"op": "add", "path": "/immutable", "value": True}], "immutable: a ConfigMap here holds only data"),
        ([{"op": "add", "path": "/binaryData", "value": {"SITE": "AAEC"}}], "both hold the key 'SITE'"),
        ([{"op": "replace", "path": "/data/SITE", "value": 7}], "data[SITE]: value must be a string"),
        ([{"op": "add", "path": "/metadata/uid", "value": "x"}], "metadata.uid: field is server-owned"),
    ],
)
def test_a_unit_whose_configmap_would_be_refused_keeps_its_own(patch, message):
    first = by_name(sync(request(cm_grid(), site_nodes(a=1, b=1))))
    live = [observed_configmap(c) for c in first.values()]
    resp = sync(request(cm_grid(overrides=[{"units": ["b"], "patch": patch}]), site_nodes(a=1, b=1), live))
    assert by_name(resp)["app-config-b"] == first["app-config-b"]
    assert message in resp["status"]["states"]["b"]["error"]
    assert synced(resp["status"])["reason"] == "UnitErrors"


def test_status_counts_units_whose_configmap_exists():
    first = by_name(sync(request(cm_grid(overrides=[{"units": ["gone"], "data": {}}]), site_nodes(a=1, b=1))))
    resp = sync(
        request(
            cm_grid(overrides=[{"units": ["gone"]}]), site_nodes(a=1, b=1), [observed_configmap(first["app-config-a"])]
        )
    )
    status = resp["status"]
    assert status["states"] == {"a": {"ready": True}, "b": {"ready": False}}
    assert status["units"] == 2 and status["readyUnits"] == 1
    assert status["unmatchedOverrideUnits"] == ["gone"]


def test_values_without_the_placeholder_are_shared_not_copied():
    big = "x" * 10_000
    kids = by_name(sync(request(cm_grid(data={"SITE": "{{unit}}", "BIG": big}), site_nodes(a=1, b=1))))
    assert kids["app-config-a"]["data"]["BIG"] is kids["app-config-b"]["data"]["BIG"]


def test_a_template_too_large_for_any_configmap_keeps_every_child():
    resp = sync(request(cm_grid(data={"BIG": "x" * 300_000}), site_nodes(a=1)))
    assert resp["children"] == [] and synced(resp["status"])["reason"] == "TemplateTooLarge"


def test_a_unit_whose_data_grows_past_the_limit_fails_alone():
    parent = cm_grid(
        data={"BIG": "{{unit}}" + "x" * 200_000}, overrides=[{"units": ["b"], "data": {"MORE": "y" * 80_000}}]
    )
    resp = sync(request(parent, site_nodes(a=1, b=1)))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["app-config-a"]
    assert synced(resp["status"])["reason"] == "ChildTooLarge"
