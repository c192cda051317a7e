"""Children carry lists Metacontroller replaces whole in the form the API server stores: no update per sync."""

from __future__ import annotations

import copy

import pytest

from hooks.grids import service_grid as service_grid_module
from hooks.grids import workload_grid
from hooks.grids.stored_form import in_stored_form, stored_claim_template
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from tests.support.api_server import stored_workload
from tests.support.builders import NOW, children_map, deployment_spec, grid, site_nodes, sync_request
from tests.support.metacontroller_apply import as_stored, list_map_key, needs_update
from tests.support.service_builders import service_grid, service_sync_request

PARENT_UID = "uid-1"  # the builders' grid uid


def applied(desired: dict, stored: dict) -> dict:
    """The child in the cluster after Metacontroller created ``desired`` and the API server stored ``stored``."""
    return as_stored(desired, stored, PARENT_UID)


def would_update(observed: dict, desired: dict) -> bool:
    return needs_update(observed, desired, PARENT_UID)


CLAIM = {
    "metadata": {"name": "data"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
}


def statefulset_template() -> dict:
    spec = deployment_spec("db")
    spec["serviceName"] = "db"
    spec["volumeClaimTemplates"] = [copy.deepcopy(CLAIM)]
    return spec


def projected_template() -> dict:
    spec = deployment_spec("web")
    pod = spec["template"]["spec"]
    pod["volumes"] = [
        {"name": "cfg", "configMap": {"name": "web"}},
        {
            "name": "token",
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"path": "token", "audience": "vault"}},
                    {
                        "downwardAPI": {
                            "items": [{"path": "site", "fieldRef": {"fieldPath": "metadata.labels['site']"}}]
                        }
                    },
                ]
            },
        },
    ]
    pod["containers"][0]["env"] = [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]
    pod["containers"][0]["ports"] = [{"containerPort": 8080, "name": "http"}]
    return spec


CASES = [
    pytest.param(STATEFULSET, "StatefulSetGrid", statefulset_template, id="statefulset-claim-templates"),
    pytest.param(DEPLOYMENT, "DeploymentGrid", projected_template, id="deployment-projected-volume"),
]


def syncs(kind, grid_kind, template, kubernetes, rounds):
    """Create the children, then sync ``rounds`` more times, Metacontroller applying any update it sees.

    Returns how many children each later sync would have updated.
    """
    parent = grid(grid_kind, template=template())
    nodes = site_nodes(a=1, b=1)
    desired = workload_grid.sync(sync_request(parent, nodes, child_type=kind.child_type), kind, NOW)["children"]
    lives = children_map([applied(c, stored_workload(c, kubernetes)) for c in desired])
    updates = []
    for _ in range(rounds):
        desired = workload_grid.sync(sync_request(parent, nodes, lives, kind.child_type), kind, NOW)["children"]
        changed = [c for c in desired if would_update(lives[f"shop/{c['metadata']['name']}"], c)]
        updates.append(len(changed))
        for child in changed:
            lives[f"shop/{child['metadata']['name']}"] = applied(child, stored_workload(child, kubernetes))
    return updates


@pytest.mark.parametrize(("kind", "grid_kind", "template"), CASES)
def test_quiet_grid_sends_no_update(kind, grid_kind, template):
    """Kubernetes 1.34+ stores exactly what the hooks send: no update after the create."""
    assert syncs(kind, grid_kind, template, (1, 36), 3) == [0, 0, 0]


@pytest.mark.parametrize(("kind", "grid_kind", "template"), CASES)
def test_quiet_grid_on_kubernetes_1_33_settles_after_one_update(kind, grid_kind, template):
    """1.33 adds ``creationTimestamp: null`` to claim templates: the stored list is sent back once, then nothing."""
    expected = [2, 0, 0] if kind is STATEFULSET else [0, 0, 0]
    assert syncs(kind, grid_kind, template, (1, 33), 3) == expected


def test_the_model_sees_the_old_loop():
    """Without the stored form, claim templates (replaced whole) differ from what the API server keeps."""
    parent = grid("StatefulSetGrid", template=statefulset_template())
    child = workload_grid.sync(
        sync_request(parent, site_nodes(a=1), child_type=STATEFULSET.child_type), STATEFULSET, NOW
    )["children"][0]
    bare = copy.deepcopy(child)
    bare["spec"]["volumeClaimTemplates"] = [copy.deepcopy(CLAIM)]
    assert would_update(applied(bare, stored_workload(bare)), bare)
    assert list_map_key([CLAIM], [CLAIM], [CLAIM]) == ""  # no key field: Metacontroller replaces the list whole


def test_claim_template_defaults_are_the_api_servers():
    """Kubernetes v1.36.3: apps/v1 conversion sets apiVersion/kind; core/v1 defaults volumeMode and phase."""
    assert stored_claim_template(CLAIM) == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {**CLAIM["spec"], "volumeMode": "Filesystem"},
        "status": {"phase": "Pending"},
    }
    block = {**CLAIM, "spec": {**CLAIM["spec"], "volumeMode": "Block"}, "status": {"phase": "Bound"}}
    assert stored_claim_template(block) == {"apiVersion": "v1", "kind": "PersistentVolumeClaim", **block}


def test_existing_statefulset_gets_its_own_claim_templates_back():
    """Claim templates are immutable: whatever the API server returned is what an update carries."""
    parent = grid("StatefulSetGrid", template=statefulset_template())
    first = workload_grid.sync(
        sync_request(parent, site_nodes(a=1), child_type=STATEFULSET.child_type), STATEFULSET, NOW
    )
    live = stored_workload(first["children"][0], (1, 33))
    live["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = "older"
    req = sync_request(parent, site_nodes(a=1), children_map([live]), STATEFULSET.child_type)
    sent = workload_grid.sync(req, STATEFULSET, NOW)["children"][0]
    assert sent["spec"]["volumeClaimTemplates"] == live["spec"]["volumeClaimTemplates"]


def test_stored_form_does_not_touch_its_input():
    child = {"spec": {"volumeClaimTemplates": [copy.deepcopy(CLAIM)], "template": projected_template()["template"]}}
    before = copy.deepcopy(child)
    out = in_stored_form(child)
    assert child == before and out != before
    plain = {"spec": deployment_spec()}
    assert in_stored_form(plain) is plain  # nothing to change: the very same object


class TestListsMergedByAKeyNeedDistinctKeys:
    """Metacontroller merges these lists by a key field; two items sharing it collapse on every update."""

    @pytest.mark.parametrize(
        ("field", "items", "message"),
        [
            ("env", [{"name": "SITE", "value": "a"}, {"name": "SITE", "value": "b"}], "'SITE' is set twice"),
            (
                "ports",
                [{"containerPort": 53, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}],
                "53 is listed twice",
            ),
        ],
    )
    def test_duplicate_key_is_a_unit_error(self, field, items, message):
        template = deployment_spec()
        template["template"]["spec"]["containers"][0][field] = items
        resp = workload_grid.sync(sync_request(grid(template=template), site_nodes(a=1)), DEPLOYMENT, NOW)
        assert resp["children"] == []
        assert message in resp["status"]["states"]["a"]["error"]

    def test_the_model_shows_why(self):
        """What Metacontroller would send for 53/TCP + 53/UDP once the child exists: the TCP entry is gone."""
        ports = [{"containerPort": 53, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}]
        assert list_map_key(ports) == "containerPort"
        child = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "x"}, "spec": {"ports": ports}}
        assert would_update(applied(child, copy.deepcopy(child)), child)

    def test_service_ports_sharing_a_number_are_an_invalid_spec(self):
        template = {
            "selector": {"app": "dns"},
            "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53}],
        }
        resp = service_grid_module.sync(
            service_sync_request(service_grid("dns", template=template), site_nodes(a=1)), NOW
        )
        synced = next(c for c in resp["status"]["conditions"] if c["type"] == "Synced")
        assert synced["reason"] == "InvalidSpec" and "port 53 is used by another port" in synced["message"]
