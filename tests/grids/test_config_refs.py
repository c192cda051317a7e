"""Workload grids naming a ConfigMapGrid get each unit's own ConfigMap and a hash of its observed data."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.grids import configmap_grid, workload_grid
from hooks.grids.config_refs import CONFIG_HASH_ANNOTATION, referenced_names, related_rules
from hooks.grids.cronjob import CRONJOB
from hooks.grids.workload import DEPLOYMENT
from tests.support.builders import NOW, children_map, deployment_spec, grid, observed, site_nodes, sync_request
from tests.support.kind_builders import configmap_grid as cm_grid
from tests.support.kind_builders import cronjob_grid, with_configs


def configmaps(parent, nodes):
    return configmap_grid.sync(sync_request(parent, nodes, child_type="ConfigMap.v1"), NOW)["children"]


def using_config(name="app-config"):
    """A Deployment spec naming ``name`` in every place a pod can name a ConfigMap, and a plain one too."""
    template = deployment_spec()
    pod = template["template"]["spec"]
    pod["volumes"] = [
        {"name": "conf", "configMap": {"name": name, "items": [{"key": "SITE", "path": "site"}]}},
        {"name": "all", "projected": {"sources": [{"configMap": {"name": name}}, {"configMap": {"name": "plain"}}]}},
        {"name": "other", "configMap": {"name": "plain"}},
    ]
    container = pod["containers"][0]
    container["envFrom"] = [{"configMapRef": {"name": name}}, {"configMapRef": {"name": "plain"}}]
    container["env"] = [
        {"name": "SITE", "valueFrom": {"configMapKeyRef": {"name": name, "key": "SITE"}}},
        {"name": "X", "value": "1"},
    ]
    pod["initContainers"] = [{"name": "init", "image": "busybox:1.36", "envFrom": [{"configMapRef": {"name": name}}]}]
    return template


def request(parent, nodes, cm_parents=(), cms=(), children=(), child_type="Deployment.apps/v1"):
    req = sync_request(parent, nodes, children_map(list(children)), child_type=child_type)
    return with_configs(req, list(cm_parents), list(cms))


def sync(req, kind=DEPLOYMENT):
    return workload_grid.sync(req, kind, NOW)


def by_unit(resp, key="site"):
    return {c["metadata"]["labels"][key]: c for c in resp["children"]}


def synced(status):
    return next(c for c in status["conditions"] if c["type"] == "Synced")


NODES = site_nodes(a=1, b=1)


def test_every_reference_to_a_configmapgrid_names_the_units_configmap():
    cmg = cm_grid()
    kids = by_unit(sync(request(grid(template=using_config()), NODES, [cmg], configmaps(cmg, NODES))))
    pod = kids["a"]["spec"]["template"]
    spec = pod["spec"]
    assert spec["volumes"][0]["configMap"] == {"name": "app-config-a", "items": [{"key": "SITE", "path": "site"}]}
    assert spec["volumes"][1]["projected"]["sources"][0]["configMap"]["name"] == "app-config-a"
    assert spec["volumes"][1]["projected"]["sources"][1]["configMap"]["name"] == "plain"
    assert spec["volumes"][2]["configMap"]["name"] == "plain"
    container = spec["containers"][0]
    assert [e["configMapRef"]["name"] for e in container["envFrom"]] == ["app-config-a", "plain"]
    assert container["env"][0]["valueFrom"]["configMapKeyRef"] == {"name": "app-config-a", "key": "SITE"}
    assert spec["initContainers"][0]["envFrom"][0]["configMapRef"]["name"] == "app-config-a"
    assert (
        kids["b"]["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"] == "app-config-b"
    )
    hashes = {u: k["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION] for u, k in kids.items()}
    assert len(hashes["a"]) == 16 and hashes["a"] != hashes["b"]  # their data differ (SITE)


def test_the_template_is_never_changed():
    cmg = cm_grid()
    parent = grid(template=using_config())
    before = copy.deepcopy(parent)
    req = request(parent, NODES, [cmg], configmaps(cmg, NODES))
    sync(req)
    assert req["parent"] == before


def test_a_grid_naming_no_configmapgrid_renders_as_before():
    plain = grid(template=using_config("plain"))
    with_lists = sync(request(plain, NODES, [cm_grid()], configmaps(cm_grid(), NODES)))
    without = sync(request(plain, NODES))  # asked for, none exists
    assert with_lists["children"] == without["children"] and len(without["children"]) == 2
    assert CONFIG_HASH_ANNOTATION not in str(without["children"])


def test_the_hash_follows_the_observed_data_of_the_units_own_configmap_only():
    cmg = cm_grid()
    cms = configmaps(cmg, NODES)
    parent = grid(template=using_config())
    before = by_unit(sync(request(parent, NODES, [cmg], cms)))
    edited = copy.deepcopy(cms)
    b = next(c for c in edited if c["metadata"]["labels"]["site"] == "b")
    b["data"]["LOG_LEVEL"] = "debug"  # what the API server holds now, whatever the ConfigMapGrid says
    after = by_unit(sync(request(parent, NODES, [cmg], edited)))
    assert after["a"] == before["a"]
    assert after["b"] != before["b"]
    hash_of = lambda c: c["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION]  # noqa: E731
    assert hash_of(after["b"]) != hash_of(before["b"])


def test_a_unit_without_its_configmap_yet_keeps_its_child_and_says_so():
    cmg = cm_grid()
    cms = configmaps(cmg, NODES)
    parent = grid(template=using_config())
    first = by_unit(sync(request(parent, NODES, [cmg], cms)))
    only_a = [c for c in cms if c["metadata"]["labels"]["site"] == "a"]
    live = [observed(first["b"])]
    resp = sync(request(parent, NODES, [cmg], only_a, live))
    assert sorted(by_unit(resp)) == ["a", "b"] and by_unit(resp)["b"] == first["b"]
    cond = synced(resp["status"])
    assert cond["reason"] == "ConfigMapsPending" and "ConfigMapGrid 'app-config'" in cond["message"]
    assert (
        resp["status"]["states"]["b"]["error"]
        == "waiting for the ConfigMap of ConfigMapGrid 'app-config' for this unit"
    )
    # and a unit that has no child yet gets none until its ConfigMap exists
    fresh = sync(request(parent, NODES, [cmg], only_a))
    assert sorted(by_unit(fresh)) == ["a"]


def test_a_configmapgrid_of_another_key_is_an_error_of_every_unit():
    cmg = cm_grid(gridUniqKey="zone")
    resp = sync(request(grid(template=using_config()), NODES, [cmg], []))
    assert resp["children"] == []
    assert "has gridUniqKey 'zone', not 'site'" in resp["status"]["states"]["a"]["error"]


def test_configmaps_of_other_grids_keys_or_namespaces_are_not_used():
    cmg = cm_grid()
    cms = configmaps(cmg, NODES)
    stray = copy.deepcopy(cms)
    for c in stray:
        c["metadata"]["name"] += "-stray"
    stray[0]["metadata"]["annotations"]["superedge.io/grid-uniq-key"] = "zone"
    stray[1]["metadata"]["labels"]["superedge.io/configmap-grid"] = "other"
    resp = sync(request(grid(template=using_config()), NODES, [cmg], stray))
    assert resp["children"] == [] and synced(resp["status"])["reason"] == "ConfigMapsPending"


@pytest.mark.parametrize("label", [["app-config"], {"a": 1}, 7, None])
def test_a_configmap_with_a_grid_label_that_is_not_a_string_is_not_used(label):
    """Related objects are data from the API server's cache as Metacontroller passes them on; one that is not
    what a label can be is passed over like a stranger's ConfigMap, never a failed sync."""
    cmg = cm_grid()
    cms = configmaps(cmg, NODES)
    cms[0]["metadata"]["labels"]["superedge.io/configmap-grid"] = label
    resp = sync(request(grid(template=using_config()), NODES, [cmg], cms))
    assert synced(resp["status"])["reason"] == "ConfigMapsPending"
    assert len(resp["children"]) == 1


def test_without_the_related_lists_names_are_rendered_as_they_are():
    """Metacontroller may still use a customize answer from before the grid named a ConfigMap (up to 20 minutes,
    e.g. right after the upgrade): no child of the grid can have a rewritten name yet, so rendering the names
    unchanged changes nothing, and grids with plain ConfigMaps are not frozen meanwhile."""
    parent = grid(template=using_config())
    resp = sync(sync_request(parent, NODES))
    assert synced(resp["status"])["status"] == "True"
    assert [c["spec"]["template"]["spec"]["containers"][0]["envFrom"][0] for c in resp["children"]] == [
        {"configMapRef": {"name": "app-config"}}
    ] * 2
    assert CONFIG_HASH_ANNOTATION not in str(resp["children"])


def test_cronjob_pods_get_their_units_configmap():
    cmg = cm_grid()
    template = copy.deepcopy(cronjob_grid()["spec"]["template"])
    template["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [
        {"configMapRef": {"name": "app-config"}}
    ]
    parent = cronjob_grid(template=template)
    resp = sync(request(parent, NODES, [cmg], configmaps(cmg, NODES), child_type="CronJob.batch/v1"), CRONJOB)
    pod = by_unit(resp)["a"]["spec"]["jobTemplate"]["spec"]["template"]
    assert pod["spec"]["containers"][0]["envFrom"] == [{"configMapRef": {"name": "app-config-a"}}]
    assert CONFIG_HASH_ANNOTATION in pod["metadata"]["annotations"]


def test_a_config_change_moves_sites_one_at_a_time_under_a_rollout():
    cmg = cm_grid()
    nodes = site_nodes(a=1, b=1, c=1)
    cms = configmaps(cmg, nodes)
    parent = grid(template=using_config(), rollout={"maxUpdating": 1})
    first = by_unit(sync(request(parent, nodes, [cmg], cms)))
    live = [observed(c) for c in first.values()]
    edited = copy.deepcopy(cms)
    for c in edited:
        if c["metadata"]["labels"]["site"] in ("a", "b"):
            c["data"]["LOG_LEVEL"] = "debug"
    step = by_unit(sync(request(parent, nodes, [cmg], edited, live)))
    moved = [u for u in "abc" if step[u] != first[u]]
    assert moved == ["a"], "one site at a time, and never c (its data did not change)"


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.text(max_size=5), min_size=3, max_size=3),
    st.sampled_from(["a", "b", "c"]),
    st.text(max_size=5),
)
def test_changing_one_units_data_changes_that_units_child_only(values, unit, new):
    nodes = site_nodes(a=1, b=1, c=1)
    cmg = cm_grid(data={"V": "x"})
    cms = configmaps(cmg, nodes)
    for c in cms:
        c["data"]["V"] = values[c["metadata"]["labels"]["site"]]
    parent = grid(template=using_config())
    before = by_unit(sync(request(parent, nodes, [cmg], cms)))
    changed = copy.deepcopy(cms)
    for c in changed:
        if c["metadata"]["labels"]["site"] == unit:
            c["data"]["V"] = new
    after = by_unit(sync(request(parent, nodes, [cmg], changed)))
    for u in "abc":
        assert (after[u] == before[u]) == (u != unit or new == values[unit])


def test_referenced_names_are_found_in_templates_pools_and_patches():
    spec = {
        "template": using_config("one"),
        "templatePool": {"big": using_config("two")},
        "overrides": [
            {
                "patch": [
                    {
                        "op": "add",
                        "path": "/spec/template/spec/volumes/-",
                        "value": {"name": "v", "configMap": {"name": "three"}},
                    }
                ]
            },
            {"patch": [{"op": "replace", "path": "/spec/template/spec/volumes/0/configMap/name", "value": "four"}]},
            {
                "patch": [
                    {"op": "replace", "path": "/spec/template/spec/volumes/0/configMap/name", "value": "x-{{unit}}"}
                ]
            },
        ],
    }
    assert referenced_names(spec) == ["four", "one", "plain", "three", "two"]


def test_customize_asks_for_the_named_configmapgrids_and_their_configmaps_in_the_grids_namespace():
    parent = grid(template=using_config())
    rules = workload_grid.customize({"parent": parent}, DEPLOYMENT)["relatedResources"]
    assert rules[1:] == [
        {
            "apiVersion": "superedge.io/v1",
            "resource": "configmapgrids",
            "namespace": "shop",
            "names": ["app-config", "plain"],
        },
        {
            "apiVersion": "v1",
            "resource": "configmaps",
            "namespace": "shop",
            "labelSelector": {
                "matchExpressions": [
                    {"key": "superedge.io/configmap-grid", "operator": "In", "values": ["app-config", "plain"]}
                ]
            },
        },
    ]
    assert workload_grid.customize({"parent": grid()}, DEPLOYMENT)["relatedResources"][1:] == []
    assert related_rules({"template": {}}, "shop") == []


@pytest.mark.parametrize("bad", [{"gridUniqKey": "bad key"}, {"template": "x"}])
def test_customize_of_an_invalid_spec_asks_for_nothing(bad):
    parent = grid(template=using_config())
    parent["spec"].update(bad)
    assert workload_grid.customize({"parent": parent}, DEPLOYMENT) == {"relatedResources": []}
