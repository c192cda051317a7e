"""Unit tests of the NodeGroup hooks and their helpers, as pure functions."""

import copy

import pytest

from hooks.nodegroups import nodegroup
from hooks.nodegroups.nodegroup_status import MAX_LISTED_WORKLOADS
from hooks.sites.units import discover_units, group_by_unit, node_ready
from tests.support.builders import NOW
from tests.support.nodegroup_builders import fleet, health_node, ng_request, node_group, workload_grid


def sync(req, now=NOW):
    return nodegroup.sync(req, now)


def conditions(status):
    return {c["type"]: c for c in status["conditions"]}


class TestNodeHealth:
    def test_ready_condition_true_only(self):
        assert node_ready(health_node("n", {}, ready=True))
        assert not node_ready(health_node("n", {}, ready=False))

    @pytest.mark.parametrize(
        "status",
        [None, "x", {}, {"conditions": "x"}, {"conditions": [None, {"type": "Ready"}]}, {"conditions": [{}]}],
    )
    def test_odd_or_missing_status_is_not_ready(self, status):
        node = {"metadata": {"name": "n", "labels": {}}}
        if status is not None:
            node["status"] = status
        assert not node_ready(node)

    def test_unknown_ready_status_is_not_ready(self):
        node = health_node("n", {})
        node["status"]["conditions"][1]["status"] = "Unknown"
        assert not node_ready(node)

    def test_group_by_unit_and_discover_units_agree(self):
        nodes = [*fleet(a=2, b=1).values(), {"metadata": "junk"}, health_node("x", {"other": "1"})]
        grouped = group_by_unit(nodes, "site", {})
        assert list(grouped) == ["a", "b"]
        names = {u: [n["metadata"]["name"] for n in ns] for u, ns in grouped.items()}
        assert names == discover_units(nodes, "site", {}) == {"a": ["a-node-0", "a-node-1"], "b": ["b-node-0"]}


class TestUnits:
    def test_nodes_and_node_health_per_unit(self):
        resp = sync(ng_request(node_group(), fleet(down=("a-node-1",), a=3, b=1)))
        assert [c["metadata"]["name"] for c in resp["children"]] == ["sites-a", "sites-b"]
        status = resp["status"]
        assert status["units"] == 2 and status["readyUnits"] == 2
        assert status["nodeUnits"]["a"] == {
            "nodes": ["a-node-0", "a-node-1", "a-node-2"],
            "readyNodes": 2,
            "notReadyNodes": 1,
            "workloads": 0,
            "readyWorkloads": 0,
            "notReadyWorkloads": [],
            "ready": True,
        }

    def test_unit_without_ready_node_is_not_ready(self):
        status = sync(ng_request(node_group(), fleet(down=("b-node-0",), a=1, b=1)))["status"]
        assert status["nodeUnits"]["b"]["ready"] is False
        assert status["readyUnits"] == 1
        ready = conditions(status)["AllUnitsReady"]
        assert ready["status"] == "False" and ready["reason"] == "UnitsNotReady"
        assert ready["message"] == "1 of 2 units are ready"

    def test_node_group_selector_narrows_nodes_and_units(self):
        nodes = fleet(a=1, b=1, dc=1)
        nodes["a-node-0"]["metadata"]["labels"]["tier"] = "edge"
        nodes["b-node-0"]["metadata"]["labels"]["tier"] = "edge"
        parent = node_group(nodeSelector={"matchLabels": {"tier": "edge"}})
        assert sorted(sync(ng_request(parent, nodes))["status"]["nodeUnits"]) == ["a", "b"]

    def test_prefixed_key(self):
        key = "topology.kubernetes.io/zone"
        status = sync(ng_request(node_group(gridUniqKey=key), fleet(key, z1=1, z2=2)))["status"]
        assert status["units"] == 2 and status["nodeUnits"]["z2"]["nodes"] == ["z2-node-0", "z2-node-1"]

    def test_no_units(self):
        status = sync(ng_request(node_group(), {}))["status"]
        assert status["units"] == 0 and status["nodeUnits"] == {}
        assert conditions(status)["AllUnitsReady"]["reason"] == "NoUnits"

    def test_all_units_ready(self):
        grids = [workload_grid("shop", "web", {"a": True, "b": True})]
        status = sync(ng_request(node_group(), fleet(a=1, b=1), grids))["status"]
        ready = conditions(status)["AllUnitsReady"]
        assert ready["status"] == "True" and ready["reason"] == "AllUnitsReady"
        assert conditions(status)["Synced"]["status"] == "True"


class TestWorkloads:
    def test_grids_in_several_namespaces_and_both_kinds(self):
        grids = [
            workload_grid("shop", "web", {"a": True, "b": False}),
            workload_grid("video", "transcode", {"a": False, "b": False}),
            workload_grid("db", "pg", {"a": True, "b": True}, kind="StatefulSetGrid"),
            workload_grid("shop", "cart", {"a": True, "b": True}),
        ]
        status = sync(ng_request(node_group(), fleet(a=1, b=1), grids))["status"]
        a, b = status["nodeUnits"]["a"], status["nodeUnits"]["b"]
        assert a["workloads"] == b["workloads"] == 4
        assert a["notReadyWorkloads"] == ["video/DeploymentGrid/transcode"] and a["readyWorkloads"] == 3
        assert b["notReadyWorkloads"] == ["shop/DeploymentGrid/web", "video/DeploymentGrid/transcode"]
        assert status["readyUnits"] == 0

    def test_grids_of_other_keys_and_service_grids_are_ignored(self):
        grids = [
            workload_grid("shop", "web", {"a": True}),
            workload_grid("shop", "zoned", {"a": False}, key="zone"),
            workload_grid("shop", "svc", {"a": False}, kind="ServiceGrid"),
        ]
        unit = sync(ng_request(node_group(), fleet(a=1), grids))["status"]["nodeUnits"]["a"]
        assert unit["workloads"] == 1 and unit["notReadyWorkloads"] == [] and unit["ready"]

    def test_same_name_in_two_namespaces_are_two_workloads(self):
        grids = [workload_grid("team-1", "web", {"a": False}), workload_grid("team-2", "web", {"a": True})]
        unit = sync(ng_request(node_group(), fleet(a=1), grids))["status"]["nodeUnits"]["a"]
        assert unit["workloads"] == 2 and unit["notReadyWorkloads"] == ["team-1/DeploymentGrid/web"]

    def test_unit_missing_from_grid_states_is_not_ready_there(self):
        grids = [workload_grid("shop", "web", {"a": True}), workload_grid("shop", "new", None)]
        units = sync(ng_request(node_group(), fleet(a=1, b=1), grids))["status"]["nodeUnits"]
        assert units["a"]["notReadyWorkloads"] == ["shop/DeploymentGrid/new"]
        assert units["b"]["notReadyWorkloads"] == ["shop/DeploymentGrid/new", "shop/DeploymentGrid/web"]

    def test_units_where_an_autoscaler_cannot_scale_are_counted(self):
        grids = [
            workload_grid("shop", "web", {"a": True, "b": True}),
            workload_grid("shop", "api", {"a": True, "b": True}),
            workload_grid("db", "pg", {"a": True, "b": True}, kind="StatefulSetGrid"),
        ]
        grids[0]["status"]["states"]["a"]["autoscaling"] = {"mode": "HPA", "canScale": False}
        grids[1]["status"]["states"]["a"]["autoscaling"] = {"mode": "HPA", "canScale": False, "reason": "x"}
        grids[2]["status"]["states"]["b"]["autoscaling"] = {"mode": "HPA", "canScale": True}
        grids[2]["status"]["states"]["a"]["autoscaling"] = {"mode": "HPA"}  # not reported yet: not counted
        status = sync(ng_request(node_group(), fleet(a=1, b=1), grids))["status"]
        a, b = status["nodeUnits"]["a"], status["nodeUnits"]["b"]
        assert a["unableToScaleWorkloads"] == 2
        assert a["unableToScale"] == ["shop/DeploymentGrid/api", "shop/DeploymentGrid/web"]
        assert a["ready"] is True  # the pods run; they just do not follow the load
        assert "unableToScaleWorkloads" not in b and "unableToScale" not in b
        assert status["unitsUnableToScale"] == 1

    def test_nothing_about_scaling_when_every_autoscaler_can_scale(self):
        grid = workload_grid("shop", "web", {"a": True})
        grid["status"]["states"]["a"]["autoscaling"] = {"mode": "HPA", "canScale": True}
        status = sync(ng_request(node_group(), fleet(a=1), [grid]))["status"]
        assert "unitsUnableToScale" not in status and "unableToScale" not in status["nodeUnits"]["a"]

    def test_grid_selector_excluding_a_unit_is_not_expected_there(self):
        only_a = {"matchExpressions": [{"key": "site", "operator": "In", "values": ["a"]}]}
        grids = [workload_grid("shop", "web", {"a": True}, selector=only_a)]
        units = sync(ng_request(node_group(), fleet(a=1, b=1), grids))["status"]["nodeUnits"]
        assert units["a"]["workloads"] == 1 and units["a"]["ready"]
        assert units["b"]["workloads"] == 0 and units["b"]["ready"]

    def test_grid_selector_on_other_node_labels(self):
        nodes = fleet(a=2, b=1)
        nodes["a-node-1"]["metadata"]["labels"]["gpu"] = "yes"
        grids = [workload_grid("ml", "infer", {}, selector={"matchLabels": {"gpu": "yes"}})]
        units = sync(ng_request(node_group(), nodes, grids))["status"]["nodeUnits"]
        assert units["a"]["notReadyWorkloads"] == ["ml/DeploymentGrid/infer"] and units["b"]["workloads"] == 0

    def test_grid_with_unreadable_selector_is_judged_only_where_it_reports(self):
        grids = [workload_grid("shop", "web", {"a": False, "gone": False}, selector={"matchLabels": "bad"})]
        units = sync(ng_request(node_group(), fleet(a=1, b=1), grids))["status"]["nodeUnits"]
        assert units["a"]["notReadyWorkloads"] == ["shop/DeploymentGrid/web"]
        assert units["b"]["workloads"] == 0

    def test_only_a_literal_true_is_ready(self):
        grid = workload_grid("shop", "web", {"a": True})
        grid["status"]["states"] = {"a": {"ready": "true"}, "b": "ready", "c": {"ready": 1}}
        units = sync(ng_request(node_group(), fleet(a=1, b=1, c=1), [grid]))["status"]["nodeUnits"]
        assert all(u["notReadyWorkloads"] == ["shop/DeploymentGrid/web"] for u in units.values())

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda g: g.update(spec="x"),
            lambda g: g.update(metadata=None),
            lambda g: g["metadata"].pop("namespace"),
            lambda g: g["metadata"].update(name=5),
        ],
    )
    def test_malformed_grids_are_skipped(self, mangle):
        bad = workload_grid("shop", "bad", {"a": False})
        mangle(bad)
        grids = [workload_grid("shop", "web", {"a": True})]
        req = ng_request(node_group(), fleet(a=1), grids)
        req["related"]["DeploymentGrid.superedge.io/v1"]["shop/bad"] = bad
        unit = sync(req)["status"]["nodeUnits"]["a"]
        assert unit["workloads"] == 1 and unit["ready"]

    @pytest.mark.parametrize("status", ["x", {"states": "x"}, {"states": None}])
    def test_unreadable_grid_status_counts_as_not_ready(self, status):
        grid = workload_grid("shop", "web", None)
        grid["status"] = status
        unit = sync(ng_request(node_group(), fleet(a=1), [grid]))["status"]["nodeUnits"]["a"]
        assert unit["notReadyWorkloads"] == ["shop/DeploymentGrid/web"]

    def test_not_ready_list_is_capped_but_counts_are_whole(self):
        grids = [workload_grid(f"ns-{i:02d}", "web", {"a": False}) for i in range(MAX_LISTED_WORKLOADS + 5)]
        unit = sync(ng_request(node_group(), fleet(a=1), grids))["status"]["nodeUnits"]["a"]
        assert len(unit["notReadyWorkloads"]) == MAX_LISTED_WORKLOADS
        assert unit["notReadyWorkloads"][0] == "ns-00/DeploymentGrid/web"
        assert unit["workloads"] - unit["readyWorkloads"] == MAX_LISTED_WORKLOADS + 5


class TestUnitsComeAndGo:
    def test_site_appears_then_another_vanishes(self):
        parent = node_group()
        grids = [workload_grid("shop", "web", {"a": True, "b": True}), workload_grid("video", "enc", {"a": True})]
        first = sync(ng_request(parent, fleet(a=1), grids), now="2026-01-01T00:00:00Z")["status"]
        assert first["units"] == 1 and first["readyUnits"] == 1
        assert first["nodeUnits"]["a"]["workloads"] == 2

        parent["status"] = first
        second = sync(ng_request(parent, fleet(a=1, b=1), grids), now="2026-01-02T00:00:00Z")["status"]
        assert second["units"] == 2 and second["readyUnits"] == 1
        assert second["nodeUnits"]["b"]["notReadyWorkloads"] == ["video/DeploymentGrid/enc"]
        assert conditions(second)["AllUnitsReady"]["lastTransitionTime"] == "2026-01-02T00:00:00Z"
        assert conditions(second)["Synced"]["lastTransitionTime"] == "2026-01-01T00:00:00Z"

        parent["status"] = second
        third = sync(ng_request(parent, fleet(b=2), grids), now="2026-01-03T00:00:00Z")["status"]
        assert list(third["nodeUnits"]) == ["b"] and third["units"] == 1
        assert third["nodeUnits"]["b"]["nodes"] == ["b-node-0", "b-node-1"]
        assert conditions(third)["AllUnitsReady"]["lastTransitionTime"] == "2026-01-02T00:00:00Z"


PREVIOUS = {
    "units": 1,
    "readyUnits": 1,
    "nodeUnits": {"a": {"nodes": ["n"], "ready": True}},
    "conditions": [{"type": "Synced", "status": "True", "reason": "Synced", "lastTransitionTime": "old"}],
}


class TestBadInput:
    @pytest.mark.parametrize(
        "spec",
        [
            "oops",
            {},
            {"gridUniqKey": "not a key"},
            {"gridUniqKey": 5},
            {"gridUniqKey": "site", "nodeSelector": {"matchLabels": "x"}},
            {"gridUniqKey": "site", "nodeSelector": {"matchExpressions": [{"key": "a", "operator": "Near"}]}},
        ],
    )
    def test_invalid_spec_keeps_previous_status(self, spec):
        parent = node_group()
        parent["spec"] = spec
        parent["status"] = copy.deepcopy(PREVIOUS)
        resp = sync(ng_request(parent, fleet(a=1, b=1)))
        assert resp["children"] == []
        status = resp["status"]
        assert status["nodeUnits"] == PREVIOUS["nodeUnits"] and status["units"] == 1
        synced = conditions(status)["Synced"]
        assert synced["status"] == "False" and synced["reason"] == "InvalidSpec" and synced["lastTransitionTime"] == NOW

    def test_invalid_spec_without_previous_status(self):
        parent = node_group(gridUniqKey="bad key")
        status = sync(ng_request(parent, fleet(a=1)))["status"]
        assert [c["reason"] for c in status["conditions"]] == ["InvalidSpec"]

    @pytest.mark.parametrize(
        ("drop", "reason"),
        [
            ("Node.v1", "NodesNotObserved"),
            ("DeploymentGrid.superedge.io/v1", "GridsNotObserved"),
            ("StatefulSetGrid.superedge.io/v1", "GridsNotObserved"),
        ],
    )
    def test_missing_related_list_keeps_previous_status(self, drop, reason):
        parent = node_group()
        parent["status"] = copy.deepcopy(PREVIOUS)
        req = ng_request(parent, fleet(a=1, b=1))
        del req["related"][drop]
        status = sync(req)["status"]
        assert status["units"] == 1 and status["nodeUnits"] == PREVIOUS["nodeUnits"]
        synced = conditions(status)["Synced"]
        assert synced["status"] == "False" and synced["reason"] == reason

    def test_malformed_nodes_are_skipped(self):
        nodes = fleet(a=1)
        nodes.update({"junk": {"metadata": "x"}, "bare": {"metadata": {"name": "bare"}}, "str": "node"})
        assert sync(ng_request(node_group(), nodes))["status"]["units"] == 1


class TestCustomize:
    def test_asks_for_nodes_of_key_and_all_workload_grids(self):
        parent = node_group(nodeSelector={"matchLabels": {"tier": "edge"}})
        assert nodegroup.customize({"parent": parent}) == {
            "relatedResources": [
                {
                    "apiVersion": "v1",
                    "resource": "nodes",
                    "labelSelector": {
                        "matchLabels": {"tier": "edge"},
                        "matchExpressions": [{"key": "site", "operator": "Exists"}],
                    },
                },
                {"apiVersion": "superedge.io/v1", "resource": "deploymentgrids", "labelSelector": {}},
                {"apiVersion": "superedge.io/v1", "resource": "statefulsetgrids", "labelSelector": {}},
                {"apiVersion": "superedge.io/v1", "resource": "daemonsetgrids", "labelSelector": {}},
                {"apiVersion": "superedge.io/v1", "resource": "cronjobgrids", "labelSelector": {}},
            ]
        }

    def test_no_rule_names_a_namespace(self):
        rules = nodegroup.customize({"parent": node_group()})["relatedResources"]
        assert all("namespace" not in r and "names" not in r for r in rules)

    def test_invalid_spec_asks_for_nothing(self):
        assert nodegroup.customize({"parent": node_group(gridUniqKey="bad key")}) == {"relatedResources": []}


def test_request_is_not_mutated():
    parent = node_group()
    req = ng_request(parent, fleet(a=2), [workload_grid("shop", "web", {"a": True})])
    before = copy.deepcopy(req)
    sync(req)
    assert req == before


@pytest.mark.parametrize("spec", [{}, {"gridUniqKey": "bad key!"}])
def test_the_first_status_is_stamped_with_the_creation_time(spec):
    """Also when the spec is invalid: a sync on a cache lagging the first write answers the same times."""
    parent = node_group(**spec)
    parent["metadata"]["creationTimestamp"] = "2025-12-31T23:00:00Z"
    status = sync(ng_request(parent, fleet(a=1)), now=NOW)["status"]
    assert {c["lastTransitionTime"] for c in status["conditions"]} == {"2025-12-31T23:00:00Z"}


class TestSiteReadiness:
    """NodeUnits say since when their site has (or has not) had a Ready node, and change only when it flips."""

    T1, T2, T3, T4 = (f"2026-01-01T00:0{m}:00Z" for m in (1, 2, 3, 4))

    def nodes(self, states: dict[str, tuple], heartbeat: str = "2026-01-01T00:00:00Z") -> dict:
        """node name -> (ready, since); the unit is the name's prefix before ``-``."""
        return {
            name: health_node(name, {"site": name.split("-")[0]}, ready, since, heartbeat)
            for name, (ready, since) in states.items()
        }

    def units(self, nodes: dict, seen: dict | None = None) -> dict:
        children = sync(ng_request(node_group(), nodes, nodeunits=seen))["children"]
        return {c["spec"]["unit"]: c for c in children}

    def test_each_nodeunit_says_since_when_its_site_is_online_or_dark(self):
        units = self.units(self.nodes({"a-0": (True, self.T2), "a-1": (True, self.T1), "b-0": (False, self.T3)}))
        assert units["a"]["spec"]["readySince"] == self.T1 and "notReadySince" not in units["a"]["spec"]
        assert units["b"]["spec"]["notReadySince"] == self.T3 and "readySince" not in units["b"]["spec"]

    def test_nodes_that_do_not_say_add_nothing(self):
        spec = self.units(fleet(a=1))["a"]["spec"]
        assert "readySince" not in spec and "notReadySince" not in spec

    def test_heartbeats_and_one_node_of_an_online_site_flapping_leave_the_nodeunits_unchanged(self):
        first = self.units(self.nodes({"a-0": (True, self.T1), "a-1": (True, self.T2), "b-0": (False, self.T1)}))
        seen = {c["metadata"]["name"]: c for c in first.values()}
        later = self.nodes(
            {"a-0": (False, self.T3), "a-1": (True, self.T2), "b-0": ("Unknown", self.T4)}, heartbeat=self.T4
        )
        assert self.units(later, seen) == first  # a stayed online, b stayed dark: nothing to write

    def test_a_site_going_dark_and_coming_back_changes_its_nodeunit(self):
        first = self.units(self.nodes({"a-0": (True, self.T1)}))
        seen = {c["metadata"]["name"]: c for c in first.values()}
        dark = self.units(self.nodes({"a-0": ("Unknown", self.T2)}), seen)
        assert dark["a"]["spec"]["notReadySince"] == self.T2 and "readySince" not in dark["a"]["spec"]
        seen = {c["metadata"]["name"]: c for c in dark.values()}
        back = self.units(self.nodes({"a-0": (True, self.T4)}), seen)
        assert back["a"]["spec"]["readySince"] == self.T4
