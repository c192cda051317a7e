"""Unit tests of the ServiceGrid hooks as pure functions."""

import copy
import json

import pytest

from hooks.grids import service_grid
from hooks.grids.service import shared_name
from hooks.kube.names import is_dns1035_label, short_hash
from tests.support.builders import NOW, children_map, site_nodes, unstamped
from tests.support.service_builders import observed_service, service_spec, service_sync_request
from tests.support.service_builders import service_grid as sg


def sync(req, now=NOW):
    return service_grid.sync(req, now)


def by_name(resp):
    return {c["metadata"]["name"]: c for c in resp["children"]}


def conditions(resp):
    return {c["type"]: c for c in resp["status"]["conditions"]}


def test_shared_service_and_one_service_per_unit():
    resp = sync(service_sync_request(sg(), site_nodes(a=2, b=1)))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["web-svc", "web-svc-a", "web-svc-b"]
    shared = by_name(resp)["web-svc"]
    assert shared["apiVersion"] == "v1" and shared["kind"] == "Service"
    assert {**shared["metadata"], "annotations": unstamped(shared["metadata"]["annotations"])} == {
        "name": "web-svc",
        "namespace": "shop",
        "labels": {"superedge.io/grid-selector": "web"},
        "annotations": {"superedge.io/grid-uniq-key": "site", "topologyKeys": '["site"]'},
    }
    assert shared["spec"] == service_spec()
    a = by_name(resp)["web-svc-a"]
    assert a["metadata"]["labels"] == {"superedge.io/grid-selector": "web", "site": "a"}
    assert unstamped(a["metadata"]["annotations"]) == {"superedge.io/grid-uniq-key": "site"}
    assert a["spec"]["selector"] == {"app": "web", "site": "a"}
    assert a["spec"]["ports"] == service_spec()["ports"]


def test_topology_keys_is_a_json_list_holding_the_key():
    key = "topology.kubernetes.io/zone"
    resp = sync(service_sync_request(sg(gridUniqKey=key), site_nodes(key, a=1)))
    shared = by_name(resp)["web-svc"]
    assert json.loads(shared["metadata"]["annotations"]["topologyKeys"]) == [key]
    assert by_name(resp)["web-svc-a"]["spec"]["selector"] == {"app": "web", key: "a"}


def test_grid_labels_and_annotations_are_copied_except_apply_bookkeeping():
    parent = sg()
    parent["metadata"]["labels"] = {"team": "video"}
    parent["metadata"]["annotations"] = {
        "owner": "ops",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        "metacontroller.k8s.io/last-applied-configuration": "{}",
    }
    for child in sync(service_sync_request(parent, site_nodes(a=1)))["children"]:
        assert child["metadata"]["labels"]["team"] == "video"
        assert child["metadata"]["annotations"]["owner"] == "ops"
        assert not any(k.endswith("last-applied-configuration") for k in child["metadata"]["annotations"])


def test_nothing_is_invented_for_addresses():
    for child in sync(service_sync_request(sg(), site_nodes(a=1, b=1)))["children"]:
        assert "clusterIP" not in child["spec"] and "clusterIPs" not in child["spec"] and "type" not in child["spec"]
        assert all("nodePort" not in p for p in child["spec"]["ports"])


def test_template_is_not_mutated():
    parent = sg(template=service_spec(type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    before = copy.deepcopy(parent)
    req = service_sync_request(parent, site_nodes(a=1, b=1))
    sync(req)
    assert req["parent"] == before


class TestFixedAddresses:
    """User-given addresses stay on the shared Service; per-unit Services cannot share them."""

    def test_fixed_cluster_ip_is_kept_on_the_shared_service_only(self):
        tmpl = service_spec(clusterIP="10.96.0.50", clusterIPs=["10.96.0.50"])
        kids = by_name(sync(service_sync_request(sg(template=tmpl), site_nodes(a=1))))
        assert kids["web-svc"]["spec"]["clusterIP"] == "10.96.0.50"
        assert kids["web-svc"]["spec"]["clusterIPs"] == ["10.96.0.50"]
        assert "clusterIP" not in kids["web-svc-a"]["spec"] and "clusterIPs" not in kids["web-svc-a"]["spec"]

    def test_node_port_and_load_balancer_fields_stay_on_the_shared_service(self):
        tmpl = service_spec(
            type="LoadBalancer",
            ports=[{"name": "http", "port": 80, "nodePort": 30080}],
            externalTrafficPolicy="Local",
            loadBalancerSourceRanges=["10.0.0.0/8"],
            externalIPs=["192.0.2.7"],
            sessionAffinity="ClientIP",
        )
        kids = by_name(sync(service_sync_request(sg(template=tmpl), site_nodes(a=1))))
        assert kids["web-svc"]["spec"] == tmpl
        unit = kids["web-svc-a"]["spec"]
        assert unit == {
            "type": "ClusterIP",
            "selector": {"app": "web", "site": "a"},
            "ports": [{"name": "http", "port": 80}],
            "sessionAffinity": "ClientIP",
        }

    def test_headless_stays_headless_per_unit(self):
        tmpl = service_spec(clusterIP="None")
        kids = by_name(sync(service_sync_request(sg(template=tmpl), site_nodes(a=1))))
        assert kids["web-svc-a"]["spec"]["clusterIP"] == "None"

    def test_traffic_distribution_is_kept_everywhere(self):
        tmpl = service_spec(trafficDistribution="PreferSameZone")
        for child in sync(service_sync_request(sg(template=tmpl), site_nodes(a=1)))["children"]:
            assert child["spec"]["trafficDistribution"] == "PreferSameZone"


class TestPerUnitServicesSkipped:
    @pytest.mark.parametrize(
        ("spec", "reason"),
        [
            ({"perUnitServices": False}, "Disabled"),
            ({"template": {"ports": [{"port": 80}]}}, "TemplateHasNoSelector"),
            ({"template": {"selector": {}, "ports": [{"port": 80}]}}, "TemplateHasNoSelector"),
            ({"template": {"type": "ExternalName", "externalName": "db.example.com"}}, "ExternalName"),
        ],
    )
    def test_only_the_shared_service_and_a_condition_says_why(self, spec, reason):
        resp = sync(service_sync_request(sg(**spec), site_nodes(a=1, b=1)))
        assert [c["metadata"]["name"] for c in resp["children"]] == ["web-svc"]
        cond = conditions(resp)["PerUnitServices"]
        assert cond["status"] == "False" and cond["reason"] == reason and cond["message"]
        assert conditions(resp)["Synced"]["status"] == "True"
        assert resp["status"]["units"] == 2

    def test_rendered_condition(self):
        cond = conditions(sync(service_sync_request(sg(), site_nodes(a=1))))["PerUnitServices"]
        assert cond["status"] == "True" and cond["reason"] == "Rendered"


class TestNames:
    def test_grid_name_that_makes_an_invalid_service_name_falls_back(self):
        for name in ("web.v2", "g" * 60, "0web"):
            resp = sync(service_sync_request(sg(name=name), site_nodes(a=1, b=1)))
            names = [c["metadata"]["name"] for c in resp["children"]]
            assert all(is_dns1035_label(n) for n in names), names
            assert len(set(names)) == 3
            assert shared_name(name) in names and shared_name(name).endswith(short_hash(name))

    def test_fallback_is_a_fixed_hash_and_distinct_per_grid(self):
        # printf '%s' web.v2 | sha256sum | cut -c1-8
        assert shared_name("web.v2") == "web-v2-svc-ce1e9129"
        assert shared_name("web.v2") != shared_name("web-v2") == "web-v2-svc"
        assert shared_name("g" * 60 + "a") != shared_name("g" * 60 + "b")

    def test_unit_values_that_are_not_names(self):
        resp = sync(service_sync_request(sg(), site_nodes(**{"Site_A": 1, "site.a": 1})))
        names = [c["metadata"]["name"] for c in resp["children"]]
        assert len(set(names)) == 3 and all(is_dns1035_label(n) for n in names)


class TestInvalidSpec:
    @pytest.mark.parametrize(
        "spec_change",
        [
            {"gridUniqKey": "not a key"},
            {"gridUniqKey": None},
            {"template": "web"},
            {"template": None},
            {"template": {"selector": ["app"]}},
            {"template": {"selector": {"app": "not valid!"}}},
            {"template": {"selector": {"bad key": "x"}}},
            {"perUnitServices": "yes"},
            {"nodeSelector": {"matchLabels": "x"}},
        ],
    )
    def test_observed_services_are_kept_and_condition_set(self, spec_change):
        rendered = sync(service_sync_request(sg(), site_nodes(a=1, b=1)))["children"]
        parent = sg()
        parent["status"] = {"units": 2, "readyUnits": 2, "conditions": []}
        for k, v in spec_change.items():
            if v is None:
                parent["spec"].pop(k)
            else:
                parent["spec"][k] = v
        lives = children_map([observed_service(c) for c in rendered])
        resp = sync(service_sync_request(parent, site_nodes(a=1, b=1), lives))
        assert sorted(c["metadata"]["name"] for c in resp["children"]) == ["web-svc", "web-svc-a", "web-svc-b"]
        assert all("status" not in c and "uid" not in c["metadata"] for c in resp["children"])
        assert resp["status"]["units"] == 2
        assert conditions(resp)["Synced"]["reason"] == "InvalidSpec"

    def test_missing_node_list_keeps_services(self):
        lives = [observed_service(c) for c in sync(service_sync_request(sg(), site_nodes(a=1)))["children"]]
        req = service_sync_request(sg(), {}, children_map(lives))
        del req["related"]["Node.v1"]
        resp = sync(req)
        assert [c["metadata"]["name"] for c in resp["children"]] == ["web-svc", "web-svc-a"]
        assert conditions(resp)["Synced"]["reason"] == "NodesNotObserved"


def test_customize_asks_for_nodes_with_key_and_selector():
    sel = {"matchLabels": {"tier": "edge"}}
    resp = service_grid.customize({"parent": sg(nodeSelector=sel)})
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
    assert service_grid.customize({"parent": sg(gridUniqKey="bad key")}) == {"relatedResources": []}


def test_node_selector_narrows_units():
    sel = {"matchExpressions": [{"key": "site", "operator": "In", "values": ["a"]}]}
    resp = sync(service_sync_request(sg(nodeSelector=sel), site_nodes(a=1, b=1)))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["web-svc", "web-svc-a"]


class TestStatus:
    def test_a_unit_is_ready_when_its_services_exist(self):
        kids = by_name(sync(service_sync_request(sg(), site_nodes(a=1, b=1))))
        lives = children_map([observed_service(kids["web-svc"]), observed_service(kids["web-svc-a"])])
        status = sync(service_sync_request(sg(), site_nodes(a=1, b=1), lives))["status"]
        assert status["units"] == 2 and status["readyUnits"] == 1
        assert status["states"] == {"a": {"ready": True}, "b": {"ready": False}}
        assert conditions({"status": status})["Ready"]["message"] == "1 of 2 units are ready"

    def test_no_unit_is_ready_without_the_shared_service(self):
        kids = by_name(sync(service_sync_request(sg(), site_nodes(a=1))))
        lives = children_map([observed_service(kids["web-svc-a"])])
        assert sync(service_sync_request(sg(), site_nodes(a=1), lives))["status"]["readyUnits"] == 0

    def test_without_per_unit_services_the_shared_one_decides(self):
        parent = sg(perUnitServices=False)
        shared = sync(service_sync_request(parent, site_nodes(a=1, b=1)))["children"][0]
        status = sync(service_sync_request(parent, site_nodes(a=1, b=1), children_map([observed_service(shared)])))
        assert status["status"]["readyUnits"] == 2

    def test_no_units_still_keeps_the_shared_service(self):
        resp = sync(service_sync_request(sg(), {}))
        assert [c["metadata"]["name"] for c in resp["children"]] == ["web-svc"]
        assert conditions(resp)["Ready"]["reason"] == "NoUnits"

    def test_transition_times_are_stable(self):
        parent = sg()
        first = sync(service_sync_request(parent, site_nodes(a=1)), now="2026-01-01T00:00:00Z")
        parent["status"] = first["status"]
        landed = children_map([observed_service(c) for c in first["children"]])
        second = sync(service_sync_request(parent, site_nodes(a=1, b=1), landed), now="2026-01-02T00:00:00Z")
        assert {c["lastTransitionTime"] for c in second["status"]["conditions"]} == {"2026-01-01T00:00:00Z"}
        parent["status"] = second["status"]
        parent["spec"]["perUnitServices"] = False
        landed = children_map([observed_service(c) for c in second["children"]])
        third = sync(service_sync_request(parent, site_nodes(a=1, b=1), landed), now="2026-01-03T00:00:00Z")
        assert conditions(third)["PerUnitServices"]["lastTransitionTime"] == "2026-01-03T00:00:00Z"
        assert conditions(third)["Synced"]["lastTransitionTime"] == "2026-01-01T00:00:00Z"


def test_vanished_unit_loses_its_service_and_the_shared_one_stays():
    kids = sync(service_sync_request(sg(), site_nodes(a=1, b=1)))["children"]
    lives = children_map([observed_service(c) for c in kids])
    resp = sync(service_sync_request(sg(), site_nodes(a=1), lives))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["web-svc", "web-svc-a"]


def test_same_request_same_answer():
    req = service_sync_request(sg(), site_nodes(a=1, b=2, c=1))
    assert json.dumps(sync(req), sort_keys=True) == json.dumps(sync(copy.deepcopy(req)), sort_keys=True)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"selector": None}, "null"),
        ({"type": "Bogus"}, "spec.template.type"),
        ({"ports": "80"}, "ports must be a list"),
        ({"ports": [{"port": 0}]}, "ports[0].port"),
        ({"ports": [{"port": 80, "protocol": "HTTP"}]}, "ports[0].protocol"),
        ({"ports": [{"port": 80, "targetPort": 1.5}]}, "ports[0].targetPort"),
    ],
)
def test_template_the_api_server_would_refuse_is_an_invalid_spec(change, expected):
    first = sync(service_sync_request(sg(), site_nodes(a=1)))
    broken = sg(template={**service_spec(), **change})
    resp = sync(
        service_sync_request(broken, site_nodes(a=1), children_map([observed_service(c) for c in first["children"]]))
    )
    assert sorted(c["metadata"]["name"] for c in resp["children"]) == ["web-svc", "web-svc-a"]
    synced = {c["type"]: c for c in resp["status"]["conditions"]}["Synced"]
    assert synced["reason"] == "InvalidSpec" and expected in synced["message"]
