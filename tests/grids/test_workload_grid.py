"""Unit tests of the DeploymentGrid/StatefulSetGrid hooks as pure functions."""

import copy
import json

import pytest

from hooks.grids import workload_grid
from hooks.grids.children import METACONTROLLER_LAST_APPLIED
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from tests.support.builders import (
    NOW,
    children_map,
    deployment_spec,
    grid,
    node,
    observed,
    site_nodes,
    sync_request,
    unstamped,
)


def sync(req, kind=DEPLOYMENT, now=NOW):
    return workload_grid.sync(req, kind, now)


def by_name(resp):
    return {c["metadata"]["name"]: c for c in resp["children"]}


def test_one_child_per_unit_pinned_and_labelled():
    resp = sync(sync_request(grid(), site_nodes(a=2, b=1)))
    kids = by_name(resp)
    assert sorted(kids) == ["web-a", "web-b"]
    a = kids["web-a"]
    assert a["kind"] == "Deployment" and a["apiVersion"] == "apps/v1"
    assert a["metadata"]["namespace"] == "shop"
    assert a["metadata"]["labels"] == {"site": "a", "superedge.io/grid-selector": "web"}
    assert unstamped(a["metadata"]["annotations"]) == {"superedge.io/grid-uniq-key": "site"}
    assert a["spec"]["selector"]["matchLabels"] == {"app": "web", "site": "a"}
    assert a["spec"]["template"]["metadata"]["labels"] == {"app": "web", "site": "a"}
    assert a["spec"]["template"]["spec"]["nodeSelector"] == {"site": "a"}
    assert a["spec"]["replicas"] == 2


def test_user_node_selector_terms_are_kept_and_unit_wins():
    tmpl = deployment_spec()
    tmpl["template"]["spec"]["nodeSelector"] = {"disk": "ssd", "site": "elsewhere"}
    resp = sync(sync_request(grid(template=tmpl), site_nodes(a=1)))
    assert resp["children"][0]["spec"]["template"]["spec"]["nodeSelector"] == {"disk": "ssd", "site": "a"}


def test_template_is_not_mutated():
    parent = grid()
    before = copy.deepcopy(parent)
    req = sync_request(parent, site_nodes(a=1, b=1))
    sync(req)
    assert req["parent"] == before


def test_nodes_without_key_or_with_empty_value_are_ignored():
    nodes = site_nodes(a=1)
    nodes["bare"] = node("bare", {"other": "x"})
    nodes["empty"] = node("empty", {"site": ""})
    nodes["junk"] = {"metadata": "nonsense"}
    resp = sync(sync_request(grid(), nodes))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["web-a"]


def test_grid_labels_and_annotations_are_copied_except_apply_bookkeeping():
    parent = grid()
    parent["metadata"]["labels"] = {"team": "video"}
    parent["metadata"]["annotations"] = {
        "owner": "ops",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        "metacontroller.k8s.io/last-applied-configuration": "{}",
    }
    child = sync(sync_request(parent, site_nodes(a=1)))["children"][0]
    assert child["metadata"]["labels"]["team"] == "video"
    assert unstamped(child["metadata"]["annotations"]) == {"owner": "ops", "superedge.io/grid-uniq-key": "site"}


def test_prefixed_key_and_grid_node_selector():
    key = "topology.kubernetes.io/zone"
    nodes = site_nodes(key, a=1, b=1, dc=1)
    sel = {"matchExpressions": [{"key": key, "operator": "NotIn", "values": ["dc"]}]}
    resp = sync(sync_request(grid(gridUniqKey=key, nodeSelector=sel), nodes))
    assert sorted(by_name(resp)) == ["web-a", "web-b"]
    child = by_name(resp)["web-a"]
    assert child["metadata"]["annotations"]["superedge.io/grid-uniq-key"] == key
    assert child["spec"]["template"]["spec"]["nodeSelector"] == {key: "a"}


def test_customize_asks_for_nodes_with_key_and_selector():
    sel = {"matchLabels": {"tier": "edge"}}
    resp = workload_grid.customize({"parent": grid(nodeSelector=sel)}, DEPLOYMENT)
    assert resp == {
        "relatedResources": [
            {
                "apiVersion": "v1",
                "resource": "nodes",
                "labelSelector": {
                    "matchLabels": {"tier": "edge"},
                    "matchExpressions": [{"key": "site", "operator": "Exists"}],
                },
            }
        ]
    }


def test_customize_with_invalid_spec_asks_for_nothing():
    assert workload_grid.customize({"parent": grid(gridUniqKey="bad key")}, DEPLOYMENT) == {"relatedResources": []}


def test_statefulset_grid_uses_shorter_name_limit():
    unit = "s" * 45
    resp = sync(
        sync_request(grid("StatefulSetGrid"), site_nodes(**{unit: 1}), child_type="StatefulSet.apps/v1"), STATEFULSET
    )
    child = resp["children"][0]
    assert child["kind"] == "StatefulSet"
    assert len(child["metadata"]["name"]) <= 52


class TestTemplatePool:
    def pool_grid(self, **extra):
        return grid(
            templatePool={"big": deployment_spec(replicas=7), "canary": deployment_spec(image="nginx:1.28")},
            templates={"a": "big", "c": "missing"},
            **extra,
        )

    def test_units_pick_their_template(self):
        resp = sync(sync_request(self.pool_grid(), site_nodes(a=1, b=1)))
        kids = by_name(resp)
        assert kids["web-a"]["spec"]["replicas"] == 7
        assert kids["web-b"]["spec"]["replicas"] == 2

    def test_default_template_name(self):
        resp = sync(sync_request(self.pool_grid(defaultTemplateName="canary"), site_nodes(a=1, b=1)))
        image = by_name(resp)["web-b"]["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == "nginx:1.28"

    def test_missing_pool_entry_fails_only_that_unit_and_keeps_its_child(self):
        good = sync(sync_request(grid(), site_nodes(c=1)))["children"][0]
        live = observed(good)
        resp = sync(sync_request(self.pool_grid(), site_nodes(a=1, c=1), children_map([live])))
        kids = by_name(resp)
        assert sorted(kids) == ["web-a", "web-c"]
        assert kids["web-c"]["spec"] == good["spec"]
        assert "status" not in kids["web-c"]
        assert "resourceVersion" not in kids["web-c"]["metadata"]
        synced = {c["type"]: c for c in resp["status"]["conditions"]}["Synced"]
        assert (
            synced["status"] == "False"
            and "template 'missing' is not in spec.templatePool (unit c)" in synced["message"]
        )
        assert "missing" in resp["status"]["states"]["c"]["error"]

    def test_failing_unit_without_observed_child_renders_nothing(self):
        resp = sync(sync_request(self.pool_grid(), site_nodes(c=1)))
        assert resp["children"] == []
        assert resp["status"]["units"] == 1


class TestInvalidSpec:
    @pytest.mark.parametrize(
        "spec_change",
        [
            {"gridUniqKey": "not a key"},
            {"gridUniqKey": None},
            {"template": "nginx"},
            {"template": None},
            {"templatePool": []},
            {"templates": {"a": 3}},
            {"nodeSelector": {"matchLabels": "x"}},
            {"defaultTemplateName": 5},
        ],
    )
    def test_observed_children_are_kept_and_condition_set(self, spec_change):
        rendered = sync(sync_request(grid(), site_nodes(a=1, b=1)))["children"]
        lives = [observed(c) for c in rendered]
        parent = grid()
        parent["status"] = {"units": 2, "readyUnits": 2, "conditions": []}
        for k, v in spec_change.items():
            if v is None:
                parent["spec"].pop(k)
            else:
                parent["spec"][k] = v
        resp = sync(sync_request(parent, site_nodes(a=1, b=1), children_map(lives)))
        assert sorted(c["metadata"]["name"] for c in resp["children"]) == ["web-a", "web-b"]
        assert resp["status"]["units"] == 2
        synced = [c for c in resp["status"]["conditions"] if c["type"] == "Synced"]
        assert synced[0]["status"] == "False" and synced[0]["reason"] == "InvalidSpec"

    def test_non_object_spec(self):
        parent = grid()
        parent["spec"] = "oops"
        resp = sync(sync_request(parent, site_nodes(a=1)))
        assert resp["children"] == [] and resp["status"]["conditions"][0]["reason"] == "InvalidSpec"

    def test_missing_node_list_keeps_children(self):
        live = observed(sync(sync_request(grid(), site_nodes(a=1)))["children"][0])
        req = sync_request(grid(), {}, children_map([live]))
        del req["related"]["Node.v1"]
        resp = sync(req)
        assert [c["metadata"]["name"] for c in resp["children"]] == ["web-a"]
        assert resp["status"]["conditions"][-1]["reason"] == "NodesNotObserved"


def test_kept_child_prefers_metacontroller_last_applied():
    desired = sync(sync_request(grid(), site_nodes(a=1)))["children"][0]
    live = observed(desired)
    live["spec"]["progressDeadlineSeconds"] = 600  # a server default
    live["metadata"]["annotations"][METACONTROLLER_LAST_APPLIED] = json.dumps(desired)
    parent = grid(gridUniqKey="bad key")
    resp = sync(sync_request(parent, site_nodes(a=1), children_map([live])))
    assert resp["children"] == [desired]


def test_kept_child_carries_the_replicas_someone_else_set_since():
    """A kept child is left as it is: ``kubectl scale`` (or an autoscaler) changed replicas after the grid
    recorded them, and sending the record back would undo that."""
    desired = sync(sync_request(grid(), site_nodes(a=1)))["children"][0]
    live = observed(desired)
    live["spec"]["replicas"] = 7
    live["metadata"]["annotations"][METACONTROLLER_LAST_APPLIED] = json.dumps(desired)
    resp = sync(sync_request(grid(gridUniqKey="bad key"), site_nodes(a=1), children_map([live])))
    assert resp["children"] == [{**desired, "spec": {**desired["spec"], "replicas": 7}}]


def test_kept_child_never_starts_sending_replicas_it_did_not_record():
    template = deployment_spec()
    del template["replicas"]
    desired = sync(sync_request(grid(template=template), site_nodes(a=1)))["children"][0]
    live = observed(desired)
    live["spec"]["replicas"] = 7
    live["metadata"]["annotations"][METACONTROLLER_LAST_APPLIED] = json.dumps(desired)
    resp = sync(sync_request(grid(gridUniqKey="bad key"), site_nodes(a=1), children_map([live])))
    assert resp["children"] == [desired]


def test_kept_child_without_record_drops_top_level_nulls():
    """A live object holding ``spec: null`` is sent back without it: a null would ask the merge to clear it."""
    live = observed(sync(sync_request(grid(), site_nodes(a=1)))["children"][0])
    live["spec"] = None
    live["metadata"]["finalizers"] = None
    resp = sync(sync_request(grid(gridUniqKey="bad key"), site_nodes(a=1), children_map([live])))
    [kept] = resp["children"]
    assert "spec" not in kept and "finalizers" not in kept["metadata"]
    assert kept["metadata"]["name"] == live["metadata"]["name"]


class TestStatus:
    def test_ready_units_count_only_current_available_children(self):
        kids = sync(sync_request(grid(), site_nodes(a=1, b=1, c=1, d=1)))["children"]
        by = {c["metadata"]["name"]: c for c in kids}
        stale = observed(by["web-c"])
        stale["metadata"]["generation"] = 2
        lives = [observed(by["web-a"]), observed(by["web-b"], ready=False), stale]
        resp = sync(sync_request(grid(), site_nodes(a=1, b=1, c=1, d=1), children_map(lives)))
        status = resp["status"]
        assert status["units"] == 4 and status["readyUnits"] == 1
        assert status["states"]["a"] == {
            "observedGeneration": 1,
            "replicas": 2,
            "updatedReplicas": 2,
            "readyReplicas": 2,
            "availableReplicas": 2,
            "ready": True,
        }
        assert status["states"]["d"] == {"ready": False}
        ready = status["conditions"][0]
        assert ready["type"] == "Ready" and ready["status"] == "False" and ready["message"] == "1 of 4 units are ready"

    def test_a_stuck_update_with_old_pods_still_serving_is_not_ready(self):
        """Found on a real cluster: a new pod that cannot be scheduled leaves the old pod serving; the ready and
        available counts then reach the desired count, but ``status.replicas`` still counts the old pod."""
        kids = sync(sync_request(grid(template=deployment_spec(replicas=1)), site_nodes(a=1)))["children"]
        live = observed(kids[0])
        live["status"].update({"replicas": 2, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1})
        resp = sync(sync_request(grid(template=deployment_spec(replicas=1)), site_nodes(a=1), children_map([live])))
        assert resp["status"]["states"]["a"]["ready"] is False
        live["status"]["replicas"] = 1  # the old pod is gone
        resp = sync(sync_request(grid(template=deployment_spec(replicas=1)), site_nodes(a=1), children_map([live])))
        assert resp["status"]["states"]["a"]["ready"] is True

    def test_all_ready(self):
        kids = sync(sync_request(grid(), site_nodes(a=1)))["children"]
        resp = sync(sync_request(grid(), site_nodes(a=1), children_map([observed(kids[0])])))
        assert resp["status"]["conditions"][0]["status"] == "True"

    def test_no_units(self):
        resp = sync(sync_request(grid(), {}))
        assert resp == {"children": [], "status": resp["status"]}
        assert resp["status"]["units"] == 0 and resp["status"]["conditions"][0]["reason"] == "NoUnits"

    def test_transition_time_is_stable_while_status_holds(self):
        parent = grid()
        first = sync(sync_request(parent, site_nodes(a=1)), now="2026-01-01T00:00:00Z")
        parent["status"] = first["status"]
        second = sync(sync_request(parent, site_nodes(a=1, b=1)), now="2026-01-02T00:00:00Z")
        assert [c["lastTransitionTime"] for c in second["status"]["conditions"]] == ["2026-01-01T00:00:00Z"] * 2
        parent["status"] = second["status"]
        live = [observed(c) for c in second["children"]]
        third = sync(sync_request(parent, site_nodes(a=1, b=1), children_map(live)), now="2026-01-03T00:00:00Z")
        assert third["status"]["conditions"][0]["lastTransitionTime"] == "2026-01-03T00:00:00Z"


def test_vanished_unit_child_is_not_returned():
    kids = sync(sync_request(grid(), site_nodes(a=1, b=1)))["children"]
    resp = sync(sync_request(grid(), site_nodes(a=1), children_map([observed(c) for c in kids])))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["web-a"]


def test_last_applied_of_another_object_is_not_trusted():
    """An edited or copied record must not make the hook send (and keep) a different object."""
    desired = sync(sync_request(grid(), site_nodes(a=1)))["children"][0]
    live = observed(desired)
    other = {**desired, "metadata": {**desired["metadata"], "name": "web-old"}}
    live["metadata"]["annotations"][METACONTROLLER_LAST_APPLIED] = json.dumps(other)
    resp = sync(sync_request(grid(gridUniqKey="bad key"), site_nodes(a=1), children_map([live])))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["web-a"]
    live["metadata"]["annotations"][METACONTROLLER_LAST_APPLIED] = json.dumps({"metadata": {}})
    resp = sync(sync_request(grid(gridUniqKey="bad key"), site_nodes(a=1), children_map([live])))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["web-a"]


def test_unit_error_messages_are_kept_short():
    big = "x" * 5000
    parent = grid(templatePool={}, templates={"a": big[:60]})
    parent["spec"]["templates"] = {"a": big}
    resp = sync(sync_request(parent, site_nodes(a=1)))
    assert len(resp["status"]["states"]["a"]["error"]) <= 300


def test_absurdly_deep_spec_is_invalid_not_a_crash():
    deep = cur = {}
    for _ in range(300):
        cur["x"] = {}
        cur = cur["x"]
    tmpl = deployment_spec()
    tmpl["template"]["spec"]["affinity"] = deep
    resp = sync(sync_request(grid(template=tmpl), site_nodes(a=1)))
    assert resp["children"] == [] and "deeper than" in resp["status"]["conditions"][-1]["message"]
