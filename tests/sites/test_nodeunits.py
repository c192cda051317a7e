"""Unit tests of NodeUnits: the objects, the NodeGroup writing them, and grids reading them (siteSource)."""

import copy

import pytest

from hooks.cli import render
from hooks.grids import service_grid as service_grid_module
from hooks.grids import workload_grid
from hooks.grids.children import kept_child
from hooks.grids.grace import MISSING_SINCE, mark_departing
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from hooks.kube.documents import Sourced
from hooks.kube.names import child_names, is_dns1035_label, is_label_value, pair_hash, short_hash
from hooks.nodegroups import nodegroup
from hooks.nodegroups.tombstones import DEFAULT_TOMBSTONE_SECONDS
from hooks.sites.discovery import SitesUnavailable, site_rules, sites_from_request
from hooks.sites.nodeunit import (
    GONE_SINCE,
    NODEUNIT_TYPE,
    nodeunit,
    nodeunit_children,
    unit_key_value,
    unit_of_nodeunit,
)
from hooks.sites.site_spec import parse_sites
from tests.support.builders import NOW, children_map, grid, node, observed, site_nodes, sync_request
from tests.support.nodegroup_builders import fleet, ng_request, node_group
from tests.support.nodegroup_builders import workload_grid as workload_grid_view
from tests.support.nodeunit_builders import nodeunits_of, nu_request
from tests.support.service_builders import observed_service, service_grid, service_sync_request

ZONE = "topology.kubernetes.io/zone"


def nu_grid(**spec):
    return grid(siteSource="NodeUnits", **spec)


def names(resp):
    return [c["metadata"]["name"] for c in resp["children"]]


def conditions(status):
    return {c["type"]: c for c in status["conditions"]}


class TestUnitKeyLabel:
    def test_unprefixed_key_is_its_own_label_value(self):
        assert unit_key_value("site") == "site"
        assert unit_key_value("Site_Key.v2") == "Site_Key.v2"

    def test_prefixed_key_gets_a_readable_hashed_stand_in(self):
        value = unit_key_value(ZONE)
        assert is_label_value(value)
        assert value == f"topology.kubernetes.io-zone-{short_hash(ZONE)}"

    def test_slash_and_dash_forms_stay_apart(self):
        assert unit_key_value("a.b/c") != unit_key_value("a.b-c") == "a.b-c"

    def test_longest_key_fits(self):
        key = ".".join(["p" * 63] * 3) + "/" + "n" * 63
        assert is_label_value(unit_key_value(key)) and len(unit_key_value(key)) <= 63


class TestNodeUnitObject:
    def test_shape(self):
        obj = nodeunit({"name": "sites"}, ZONE, "z1", ["n1", "n2"], child_names("sites", {}))
        assert obj == {
            "apiVersion": "superedge.io/v1",
            "kind": "NodeUnit",
            "metadata": {
                "name": "sites-z1",
                "labels": {"superedge.io/node-group": "sites", "superedge.io/unit-key": unit_key_value(ZONE)},
            },
            "spec": {"gridUniqKey": ZONE, "unit": "z1", "nodes": ["n1", "n2"], "nodeCount": 2},
        }

    @pytest.mark.parametrize(
        "obj",
        [
            {"spec": {"gridUniqKey": "zone", "unit": "a"}},
            {"spec": {"gridUniqKey": "site", "unit": ""}},
            {"spec": {"gridUniqKey": "site", "unit": 5}},
            {"spec": {"gridUniqKey": "site", "unit": "not a value"}},
            {"spec": "x"},
            {},
            "junk",
        ],
    )
    def test_other_keys_and_malformed_objects_stand_for_no_unit(self, obj):
        assert unit_of_nodeunit(obj, "site") is None

    def test_unit_read_back(self):
        assert unit_of_nodeunit(nodeunit({"name": "g"}, "site", "a", ["n"], child_names("g", {})), "site") == "a"

    def test_hash_collision_gives_the_later_unit_no_nodeunit(self):
        # "X" is not a valid name part, so it falls back to "g-x-<hash>", which is also the natural name of this unit:
        clash = f"x-{pair_hash('g', 'X')}"
        children, errors = nodeunit_children({"name": "g"}, "site", {"X": ["n1"], clash: ["n2"]}, child_names("g", {}))
        assert [c["spec"]["unit"] for c in children] == ["X"]
        assert list(errors) == [clash] and "already used by unit 'X'" in errors[clash]


class TestNodeGroupWritesNodeUnits:
    def test_one_nodeunit_per_unit(self):
        resp = nodegroup.sync(ng_request(node_group(), fleet(down=("a-node-1",), a=3, b=1)), NOW)
        a, b = resp["children"]
        assert a["metadata"]["name"] == "sites-a" and b["metadata"]["name"] == "sites-b"
        assert "namespace" not in a["metadata"]
        assert a["spec"] == {
            "gridUniqKey": "site",
            "unit": "a",
            "nodes": ["a-node-0", "a-node-1", "a-node-2"],
            "nodeCount": 3,
        }
        assert a["metadata"]["labels"] == {"superedge.io/node-group": "sites", "superedge.io/unit-key": "site"}

    def test_node_health_is_not_in_nodeunits(self):
        healthy = nodegroup.sync(ng_request(node_group(), fleet(a=2)), NOW)
        sick = nodegroup.sync(ng_request(node_group(), fleet(down=("a-node-0", "a-node-1"), a=2)), NOW)
        assert healthy["children"] == sick["children"]
        assert healthy["status"] != sick["status"]

    def test_names_are_safe(self):
        nodes = fleet(**{"Shanghai_01": 1, "b" * 63: 1})
        children = nodegroup.sync(ng_request(node_group(), nodes), NOW)["children"]
        assert all(is_dns1035_label(c["metadata"]["name"]) for c in children)
        assert {c["spec"]["unit"] for c in children} == {"Shanghai_01", "b" * 63}

    def test_selector_narrows_nodeunits(self):
        nodes = fleet(a=1, b=1)
        nodes["a-node-0"]["metadata"]["labels"]["tier"] = "edge"
        parent = node_group(nodeSelector={"matchLabels": {"tier": "edge"}})
        assert [c["spec"]["unit"] for c in nodegroup.sync(ng_request(parent, nodes), NOW)["children"]] == ["a"]

    def test_vanished_unit_becomes_a_tombstone(self):
        lives = nodeunits_of(fleet(a=1, b=1))
        resp = nodegroup.sync(ng_request(node_group(), fleet(a=1), nodeunits=lives), NOW)
        assert names(resp) == ["sites-a", "sites-b"]
        gone = resp["children"][1]
        assert gone["spec"] == {"gridUniqKey": "site", "unit": "b", "nodes": [], "nodeCount": 0}
        assert gone["metadata"]["annotations"] == {GONE_SINCE: NOW}
        assert resp["resyncAfterSeconds"] == DEFAULT_TOMBSTONE_SECONDS
        assert resp["status"]["units"] == 1  # a tombstone is not a site

    def test_tombstone_keeps_its_clock_and_expires(self):
        stones = nodeunits_of(fleet(a=1), seen=nodeunits_of(fleet(a=1, b=1)))
        parent = node_group(unitTombstoneSeconds=600)
        later = nodegroup.sync(ng_request(parent, fleet(a=1), nodeunits=stones), "2026-01-01T00:09:00Z")
        assert later["children"][1]["metadata"]["annotations"] == {GONE_SINCE: NOW}
        assert later["resyncAfterSeconds"] == 60
        expired = nodegroup.sync(ng_request(parent, fleet(a=1), nodeunits=stones), "2026-01-01T00:10:00Z")
        assert names(expired) == ["sites-a"] and "resyncAfterSeconds" not in expired

    def test_site_that_comes_back_is_live_again(self):
        stones = nodeunits_of(fleet(a=1), seen=nodeunits_of(fleet(a=1, b=1)))
        resp = nodegroup.sync(ng_request(node_group(), fleet(a=1, b=2), nodeunits=stones), NOW)
        assert [c["spec"]["nodeCount"] for c in resp["children"]] == [1, 2]
        assert all("annotations" not in c["metadata"] for c in resp["children"])
        assert "resyncAfterSeconds" not in resp

    def test_nodeunit_of_another_key_is_dropped_not_tombstoned(self):
        old = nodeunits_of(fleet(a=1), key="site")
        parent = node_group(gridUniqKey="region")
        resp = nodegroup.sync(ng_request(parent, fleet(key="region", r=1), nodeunits=old), NOW)
        assert [c["spec"]["unit"] for c in resp["children"]] == ["r"]

    @pytest.mark.parametrize("value", [0, 59, -1, "3600", True, 10**12])
    def test_bad_tombstone_lifetime_is_an_invalid_spec(self, value):
        lives = nodeunits_of(fleet(a=1))
        resp = nodegroup.sync(ng_request(node_group(unitTombstoneSeconds=value), fleet(a=1), nodeunits=lives), NOW)
        assert conditions(resp["status"])["Synced"]["reason"] == "InvalidSpec"
        assert names(resp) == ["sites-a"]

    def test_name_collision_is_reported(self):
        clash = f"x-{pair_hash('g', 'X')}"
        resp = nodegroup.sync(ng_request(node_group(name="g"), fleet(**{"X": 1, clash: 1})), NOW)
        assert names(resp) == [f"g-{clash}"]
        assert resp["status"]["units"] == 2  # the status still shows both sites
        synced = conditions(resp["status"])["Synced"]
        assert (
            synced["status"] == "False" and synced["reason"] == "NodeUnitNameCollision" and clash in synced["message"]
        )

    def test_invalid_spec_keeps_nodeunits(self):
        lives = nodeunits_of(fleet(a=1, b=1))
        resp = nodegroup.sync(ng_request(node_group(gridUniqKey="bad key"), fleet(a=1), nodeunits=lives), NOW)
        assert names(resp) == ["sites-a", "sites-b"]  # b has no nodes here, yet its NodeUnit is kept
        assert [c["spec"] for c in resp["children"]] == [lives["sites-a"]["spec"], lives["sites-b"]["spec"]]
        assert all("uid" not in c["metadata"] and "resourceVersion" not in c["metadata"] for c in resp["children"])
        assert conditions(resp["status"])["Synced"]["reason"] == "InvalidSpec"

    @pytest.mark.parametrize("drop", ["Node.v1", "DeploymentGrid.superedge.io/v1"])
    def test_missing_related_list_keeps_nodeunits(self, drop):
        lives = nodeunits_of(fleet(a=1, b=1))
        req = ng_request(node_group(), {}, nodeunits=lives)
        del req["related"][drop]
        assert names(nodegroup.sync(req, NOW)) == ["sites-a", "sites-b"]


class TestSiteSourceSpec:
    def test_default_is_nodes(self):
        assert parse_sites({"gridUniqKey": "site"}).source == "Nodes"
        assert parse_sites({"gridUniqKey": "site", "siteSource": None}).source == "Nodes"

    @pytest.mark.parametrize("value", ["nodeunits", "", 3, ["NodeUnits"]])
    def test_unknown_source_is_invalid(self, value):
        with pytest.raises(ValueError, match="siteSource must be one of Nodes, NodeUnits"):
            parse_sites({"gridUniqKey": "site", "siteSource": value})

    @pytest.mark.parametrize(
        "selector",
        [
            {"matchLabels": {"site": "a"}},
            {"matchExpressions": [{"key": "site", "operator": "In", "values": ["a", "b"]}]},
            {"matchExpressions": [{"key": "site", "operator": "NotIn", "values": ["a"]}]},
            {"matchExpressions": [{"key": "site", "operator": "Exists"}]},
        ],
    )
    def test_selector_on_the_key_is_allowed(self, selector):
        assert parse_sites({"gridUniqKey": "site", "siteSource": "NodeUnits", "nodeSelector": selector})

    @pytest.mark.parametrize(
        "selector",
        [
            {"matchLabels": {"tier": "edge"}},
            {"matchLabels": {"site": "a", "tier": "edge"}},
            {"matchExpressions": [{"key": "disk", "operator": "Exists"}]},
        ],
    )
    def test_other_selector_terms_are_invalid_with_nodeunits(self, selector):
        with pytest.raises(ValueError, match="may only use 'site'"):
            parse_sites({"gridUniqKey": "site", "siteSource": "NodeUnits", "nodeSelector": selector})
        assert parse_sites({"gridUniqKey": "site", "nodeSelector": selector}).source == "Nodes"


class TestSitesMechanism:
    def test_rules_follow_the_source(self):
        nodes_mode = parse_sites({"gridUniqKey": "site", "nodeSelector": {"matchLabels": {"tier": "edge"}}})
        assert site_rules(nodes_mode) == [
            {
                "apiVersion": "v1",
                "resource": "nodes",
                "labelSelector": {
                    "matchLabels": {"tier": "edge"},
                    "matchExpressions": [{"key": "site", "operator": "Exists"}],
                },
            }
        ]
        units_mode = parse_sites({"gridUniqKey": ZONE, "siteSource": "NodeUnits"})
        assert site_rules(units_mode) == [
            {
                "apiVersion": "superedge.io/v1",
                "resource": "nodeunits",
                "labelSelector": {"matchLabels": {"superedge.io/unit-key": unit_key_value(ZONE)}},
            }
        ]

    def test_units_from_nodes_and_from_nodeunits_agree(self):
        nodes = site_nodes(b=2, a=1)
        by_nodes = sites_from_request(parse_sites({"gridUniqKey": "site"}), {"Node.v1": nodes})
        assert by_nodes.units == ["a", "b"] and by_nodes.vouches_for("zz")  # complete: absent means gone
        units_mode = parse_sites({"gridUniqKey": "site", "siteSource": "NodeUnits"})
        by_units = sites_from_request(units_mode, {NODEUNIT_TYPE: nodeunits_of(nodes)})
        assert by_units.units == ["a", "b"] and not by_units.vouches_for("zz")  # a partial set proves nothing

    def test_tombstones_are_known_but_not_units(self):
        stones = nodeunits_of(site_nodes(a=1), seen=nodeunits_of(site_nodes(a=1, b=1)))
        sites = sites_from_request(
            parse_sites({"gridUniqKey": "site", "siteSource": "NodeUnits"}), {NODEUNIT_TYPE: stones}
        )
        assert sites.units == ["a"] and sites.vouches_for("b") and not sites.vouches_for("c")

    @pytest.mark.parametrize(
        ("source", "related", "reason"),
        [
            ("Nodes", {}, "NodesNotObserved"),
            ("NodeUnits", {}, "NodeUnitsNotObserved"),
            ("NodeUnits", {"Node.v1": site_nodes(a=1)}, "NodeUnitsNotObserved"),
            ("NodeUnits", {NODEUNIT_TYPE: {}}, "NoNodeUnits"),
        ],
    )
    def test_unavailable_sites_say_why(self, source, related, reason):
        with pytest.raises(SitesUnavailable) as caught:
            sites_from_request(parse_sites({"gridUniqKey": "site", "siteSource": source}), related)
        assert caught.value.reason == reason


class TestGridInNodeUnitsMode:
    def test_customize_asks_for_nodeunits_and_no_nodes(self):
        resp = workload_grid.customize({"parent": nu_grid()}, DEPLOYMENT)
        assert resp == {
            "relatedResources": [
                {
                    "apiVersion": "superedge.io/v1",
                    "resource": "nodeunits",
                    "labelSelector": {"matchLabels": {"superedge.io/unit-key": "site"}},
                }
            ]
        }

    def test_customize_of_invalid_selector_asks_for_nothing(self):
        parent = nu_grid(nodeSelector={"matchLabels": {"tier": "edge"}})
        assert workload_grid.customize({"parent": parent}, DEPLOYMENT) == {"relatedResources": []}

    @pytest.mark.parametrize(
        ("kind", "child_type"), [(DEPLOYMENT, "Deployment.apps/v1"), (STATEFULSET, "StatefulSet.apps/v1")]
    )
    def test_children_are_those_of_nodes_mode(self, kind, child_type):
        nodes = site_nodes(a=2, b=1)
        by_nodes = workload_grid.sync(sync_request(grid(), nodes, child_type=child_type), kind, NOW)
        by_units = workload_grid.sync(nu_request(nu_grid(), nodeunits_of(nodes), child_type=child_type), kind, NOW)
        assert by_units["children"] == by_nodes["children"] and names(by_units) == ["web-a", "web-b"]
        assert by_units["status"] == by_nodes["status"]

    def test_prefixed_key(self):
        nodes = site_nodes(ZONE, z1=1, z2=1)
        resp = workload_grid.sync(nu_request(nu_grid(gridUniqKey=ZONE), nodeunits_of(nodes, ZONE)), DEPLOYMENT, NOW)
        assert names(resp) == ["web-z1", "web-z2"]
        assert resp["children"][0]["spec"]["template"]["spec"]["nodeSelector"] == {ZONE: "z1"}

    def test_only_nodeunits_of_the_exact_key_count(self):
        """A NodeUnit carrying the same label form but another gridUniqKey (a label-form collision) is ignored."""
        units = nodeunits_of(site_nodes(a=1))
        stranger = copy.deepcopy(units["sites-a"])
        stranger["metadata"]["name"] = "other-b"
        stranger["spec"].update(gridUniqKey="zone", unit="b")
        units["other-b"] = stranger
        assert names(workload_grid.sync(nu_request(nu_grid(), units), DEPLOYMENT, NOW)) == ["web-a"]

    def test_two_nodegroups_of_one_key_give_each_unit_once(self):
        units = {**nodeunits_of(site_nodes(a=1, b=1)), **nodeunits_of(site_nodes(b=1, c=1), group="more")}
        assert names(workload_grid.sync(nu_request(nu_grid(), units), DEPLOYMENT, NOW)) == ["web-a", "web-b", "web-c"]

    def test_nodes_sent_anyway_are_ignored(self):
        req = nu_request(nu_grid(), nodeunits_of(site_nodes(a=1)))
        req["related"]["Node.v1"] = site_nodes(a=1, zz=1)
        assert names(workload_grid.sync(req, DEPLOYMENT, NOW)) == ["web-a"]

    @pytest.mark.parametrize(
        ("selector", "expected"),
        [
            ({"matchExpressions": [{"key": "site", "operator": "In", "values": ["a", "c"]}]}, ["web-a", "web-c"]),
            ({"matchExpressions": [{"key": "site", "operator": "NotIn", "values": ["a"]}]}, ["web-b", "web-c"]),
            ({"matchLabels": {"site": "b"}}, ["web-b"]),
        ],
    )
    def test_selector_picks_units_by_name(self, selector, expected):
        nodes = site_nodes(a=1, b=1, c=1)
        resp = workload_grid.sync(nu_request(nu_grid(nodeSelector=selector), nodeunits_of(nodes)), DEPLOYMENT, NOW)
        assert names(resp) == expected
        by_nodes = workload_grid.sync(sync_request(grid(nodeSelector=selector), nodes), DEPLOYMENT, NOW)
        assert resp == by_nodes

    def test_selector_that_picks_no_unit_gives_no_children(self):
        """NodeUnits exist for the key: an empty pick is the user's choice, not a missing NodeGroup."""
        selector = {"matchExpressions": [{"key": "site", "operator": "In", "values": ["nowhere"]}]}
        lives = children_map([observed(c) for c in self.rendered(site_nodes(a=1))])
        req = nu_request(nu_grid(nodeSelector=selector), nodeunits_of(site_nodes(a=1)), lives)
        resp = workload_grid.sync(req, DEPLOYMENT, NOW)
        assert resp["children"] == [] and resp["status"]["units"] == 0

    def test_absent_nodeunit_keeps_its_child_unchanged(self):
        lives = children_map([observed(c) for c in self.rendered(site_nodes(a=1, b=1))])
        resp = workload_grid.sync(nu_request(nu_grid(), nodeunits_of(site_nodes(a=1)), lives), DEPLOYMENT, NOW)
        assert names(resp) == ["web-a", "web-b"]
        assert resp["children"][1] == kept_child(lives["shop/web-b"])
        synced = conditions(resp["status"])["Synced"]
        assert synced["status"] == "False" and synced["reason"] == "UnitsWithoutNodeUnit" and "b" in synced["message"]
        assert resp["status"]["units"] == 2  # b's child still runs

    def test_tombstone_removes_its_child(self):
        lives = children_map([observed(c) for c in self.rendered(site_nodes(a=1, b=1))])
        stones = nodeunits_of(site_nodes(a=1), seen=nodeunits_of(site_nodes(a=1, b=1)))
        resp = workload_grid.sync(nu_request(nu_grid(), stones, lives), DEPLOYMENT, NOW)
        assert names(resp) == ["web-a"]
        assert conditions(resp["status"])["Synced"]["status"] == "True"

    def test_tombstone_starts_the_grace_period(self):
        lives = children_map([observed(c) for c in self.rendered(site_nodes(a=1, b=1))])
        stones = nodeunits_of(site_nodes(a=1), seen=nodeunits_of(site_nodes(a=1, b=1)))
        resp = workload_grid.sync(
            nu_request(nu_grid(unitRemovalGracePeriodSeconds=300), stones, lives), DEPLOYMENT, NOW
        )
        assert names(resp) == ["web-a", "web-b"]
        assert resp["children"][1]["metadata"]["annotations"][MISSING_SINCE] == NOW
        assert resp["resyncAfterSeconds"] == 300

    def test_departure_begun_finishes_after_the_tombstone_expired(self):
        """The grid's own mark is the recorded evidence: a grace period longer than the tombstone still ends."""
        made = self.rendered(site_nodes(a=1, b=1))
        lives = children_map(
            [observed(mark_departing(c, NOW) if c["metadata"]["name"] == "web-b" else c) for c in made]
        )
        parent = nu_grid(unitRemovalGracePeriodSeconds=7200)
        half = workload_grid.sync(
            nu_request(parent, nodeunits_of(site_nodes(a=1)), lives), DEPLOYMENT, "2026-01-01T01:00:00Z"
        )
        assert names(half) == ["web-a", "web-b"] and half["resyncAfterSeconds"] == 3600
        done = workload_grid.sync(
            nu_request(parent, nodeunits_of(site_nodes(a=1)), lives), DEPLOYMENT, "2026-01-01T02:00:00Z"
        )
        assert names(done) == ["web-a"]

    @staticmethod
    def rendered(nodes):
        return workload_grid.sync(sync_request(grid(), nodes), DEPLOYMENT, NOW)["children"]


class TestNoNodeUnitsSafety:
    """Never delete a fleet's workloads because a NodeGroup is missing."""

    def lives(self):
        return children_map([observed(c) for c in TestGridInNodeUnitsMode.rendered(site_nodes(a=1, b=1, c=1))])

    def previous(self):
        return {"units": 3, "readyUnits": 3, "states": {"a": {"ready": True}}, "conditions": []}

    @pytest.mark.parametrize(
        "nodeunits",
        [
            {},  # no NodeGroup at all
            nodeunits_of(site_nodes("zone", a=1), "zone"),  # a NodeGroup of another key only
            {"junk": {"spec": "x"}, "bad": {"spec": {"gridUniqKey": "site", "unit": ""}}},  # nothing readable
        ],
    )
    def test_every_observed_child_is_kept(self, nodeunits):
        parent = nu_grid()
        parent["status"] = self.previous()
        resp = workload_grid.sync(nu_request(parent, nodeunits, self.lives()), DEPLOYMENT, NOW)
        assert names(resp) == ["web-a", "web-b", "web-c"]
        assert all("status" not in c and "uid" not in c["metadata"] for c in resp["children"])
        assert resp["status"]["units"] == 3 and resp["status"]["states"] == {"a": {"ready": True}}
        synced = conditions(resp["status"])["Synced"]
        assert synced["status"] == "False" and synced["reason"] == "NoNodeUnits"
        assert "create a NodeGroup" in synced["message"] and synced["lastTransitionTime"] == NOW

    def test_missing_nodeunit_list_keeps_children(self):
        req = nu_request(nu_grid(), {}, self.lives())
        del req["related"][NODEUNIT_TYPE]
        resp = workload_grid.sync(req, DEPLOYMENT, NOW)
        assert names(resp) == ["web-a", "web-b", "web-c"]
        assert conditions(resp["status"])["Synced"]["reason"] == "NodeUnitsNotObserved"

    def test_invalid_selector_keeps_children(self):
        parent = nu_grid(nodeSelector={"matchLabels": {"tier": "edge"}})
        resp = workload_grid.sync(nu_request(parent, nodeunits_of(site_nodes(a=1)), self.lives()), DEPLOYMENT, NOW)
        assert names(resp) == ["web-a", "web-b", "web-c"]
        synced = conditions(resp["status"])["Synced"]
        assert synced["reason"] == "InvalidSpec" and "'tier'" in synced["message"]

    def test_nodegroup_created_later_resumes_normal_sync(self):
        parent = nu_grid()
        first = workload_grid.sync(nu_request(parent, {}, self.lives()), DEPLOYMENT, NOW)
        parent["status"] = first["status"]
        later = "2026-01-02T00:00:00Z"
        resp = workload_grid.sync(
            nu_request(parent, nodeunits_of(site_nodes(a=1, b=1, c=1)), self.lives()), DEPLOYMENT, later
        )
        assert names(resp) == ["web-a", "web-b", "web-c"]
        synced = conditions(resp["status"])["Synced"]
        assert synced["status"] == "True" and synced["lastTransitionTime"] == later


def test_request_is_not_mutated():
    req = nu_request(nu_grid(), nodeunits_of(site_nodes(a=1, b=2)))
    before = copy.deepcopy(req)
    workload_grid.sync(req, DEPLOYMENT, NOW)
    assert req == before


class TestServiceGridInNodeUnitsMode:
    """ServiceGrids share the engine (hooks.grids.grid_sync), so they read NodeUnits the same way."""

    def test_customize_asks_for_nodeunits(self):
        rules = service_grid_module.customize({"parent": service_grid(siteSource="NodeUnits")})["relatedResources"]
        assert [(r["apiVersion"], r["resource"]) for r in rules] == [("superedge.io/v1", "nodeunits")]

    def test_services_are_those_of_nodes_mode(self):
        nodes = site_nodes(a=1, b=2)
        by_nodes = service_grid_module.sync(service_sync_request(service_grid(), nodes), NOW)
        req = nu_request(service_grid(siteSource="NodeUnits"), nodeunits_of(nodes), child_type="Service.v1")
        by_units = service_grid_module.sync(req, NOW)
        assert by_units == by_nodes
        assert names(by_units) == ["web-svc", "web-svc-a", "web-svc-b"]

    def test_no_nodeunits_keeps_every_service(self):
        made = service_grid_module.sync(service_sync_request(service_grid(), site_nodes(a=1)), NOW)["children"]
        lives = children_map([observed_service(c) for c in made])
        req = nu_request(service_grid(siteSource="NodeUnits"), {}, lives, child_type="Service.v1")
        resp = service_grid_module.sync(req, NOW)
        assert names(resp) == ["web-svc", "web-svc-a"]
        assert conditions(resp["status"])["Synced"]["reason"] == "NoNodeUnits"


class TestOfflineRender:
    """``servicegroup render`` gives a NodeUnits grid the NodeUnits a NodeGroup of its key would keep."""

    def render(self, **spec):
        parent = grid(**spec)
        parent["metadata"] = {"name": "web", "namespace": "shop"}
        item = Sourced(parent, "grid.yaml")
        return render.render_grid(item, site_nodes(a=1, b=2), "default").children

    def test_same_children_as_nodes_mode(self):
        assert self.render(siteSource="NodeUnits") == self.render()
        assert [c["metadata"]["name"] for c in self.render(siteSource="NodeUnits")] == ["web-a", "web-b"]

    def test_selector_on_units_applies(self):
        selector = {"matchExpressions": [{"key": "site", "operator": "NotIn", "values": ["a"]}]}
        assert [c["metadata"]["name"] for c in self.render(siteSource="NodeUnits", nodeSelector=selector)] == ["web-b"]

    def test_bad_key_is_still_reported_by_the_hook(self):
        with pytest.raises(render.RenderError, match="gridUniqKey"):
            self.render(siteSource="NodeUnits", gridUniqKey="bad key")


class TestTombstonesFromGridStatus:
    """A NodeGroup also tombstones a site that a NodeUnits-mode grid still lists although it has no node."""

    def grid_listing(self, *units, source="NodeUnits"):
        parent = workload_grid_view("shop", "web", {u: True for u in units})
        parent["spec"]["siteSource"] = source
        return parent

    def test_site_that_vanished_while_no_nodegroup_existed(self):
        req = ng_request(node_group(), fleet(a=1), grids=[self.grid_listing("a", "b")])
        resp = nodegroup.sync(req, NOW)
        assert names(resp) == ["sites-a", "sites-b"]
        assert resp["children"][1]["spec"]["nodes"] == [] and resp["resyncAfterSeconds"] == DEFAULT_TOMBSTONE_SECONDS

    def test_a_nodegroup_with_a_node_selector_never_tombstones_a_site_it_does_not_see(self):
        """Two NodeGroups of one key, split by region: a site live under the other one is not gone (found in
        review: its tombstone would have removed the site's workloads once the other NodeGroup was deleted)."""
        east = {"matchLabels": {"region": "east"}}
        nodes = {"a-node-0": node("a-node-0", {"site": "a", "region": "east"})}  # b's node is in the west
        req = ng_request(node_group(nodeSelector=east), nodes, grids=[self.grid_listing("a", "b")])
        assert names(nodegroup.sync(req, NOW)) == ["sites-a"]

    def test_nodes_mode_grids_do_not_count(self):
        req = ng_request(node_group(), fleet(a=1), grids=[self.grid_listing("a", "b", source=None)])
        assert names(nodegroup.sync(req, NOW)) == ["sites-a"]

    def test_expired_tombstone_stays_while_a_grid_still_lists_the_site(self):
        stones = nodeunits_of(fleet(a=1), seen=nodeunits_of(fleet(a=1, b=1)))
        later = "2026-01-03T00:00:00Z"  # two days: past the default lifetime
        listed = nodegroup.sync(ng_request(node_group(), fleet(a=1), [self.grid_listing("a", "b")], stones), later)
        assert names(listed) == ["sites-a", "sites-b"]
        assert listed["children"][1]["metadata"]["annotations"] == {GONE_SINCE: NOW}  # the clock is not restarted
        assert "resyncAfterSeconds" not in listed  # the grid's status change will wake the NodeGroup
        done = nodegroup.sync(ng_request(node_group(), fleet(a=1), [self.grid_listing("a")], stones), later)
        assert names(done) == ["sites-a"]

    def test_stuck_child_is_removed_once_the_nodegroup_sees_the_grid(self):
        """Hook server down past the lifetime: the grid keeps b's child, reports it, and the NodeGroup answers."""
        lives = children_map([observed(c) for c in TestGridInNodeUnitsMode.rendered(site_nodes(a=1, b=1))])
        grid_resp = workload_grid.sync(nu_request(nu_grid(), nodeunits_of(site_nodes(a=1)), lives), DEPLOYMENT, NOW)
        assert names(grid_resp) == ["web-a", "web-b"]  # b is unlisted: kept
        reporting = {**nu_grid(), "status": grid_resp["status"]}
        stones = nodeunits_of(site_nodes(a=1), seen=nodeunits_of(site_nodes(a=1)), grids=[reporting])
        after = workload_grid.sync(nu_request(nu_grid(), stones, lives), DEPLOYMENT, NOW)
        assert names(after) == ["web-a"]
