"""Our output is known-valid Kubernetes: the schema checker itself, and a broad set of rendered grids.

tests/conftest.py already checks every child any test produces; the grids here are
chosen to exercise as many template and override shapes as possible in one place.
"""

import copy

import kubernetes_validate
import pytest

from hooks.grids import workload_grid
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from tests.conftest import produced_children, schema_checked
from tests.support import k8s_schema
from tests.support.builders import NOW, deployment_spec, grid, site_nodes, sync_request


def valid_deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web-a", "namespace": "shop", "labels": {"site": "a"}},
        "spec": deployment_spec(),
    }


def with_change(path: list, value: object) -> dict:
    obj = valid_deployment()
    node = obj
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return obj


INVALID = [
    with_change(["spec", "replicas"], "2"),
    with_change(["spec", "replicass"], 2),
    with_change(["spec", "template", "spec", "containers", 0, "imagePullPolicy"], 3),
    with_change(["spec", "template", "spec", "containers", 0, "resources"], {"limit": {"cpu": "1"}}),
    with_change(["metadata", "labels"], ["site"]),
    with_change(["spec", "paused"], None),
]


class TestChecker:
    def test_valid_object_has_no_problems(self):
        assert k8s_schema.problems(valid_deployment()) == []

    @pytest.mark.parametrize("obj", INVALID)
    def test_invalid_objects_are_caught(self, obj):
        assert k8s_schema.problems(obj)
        with pytest.raises(AssertionError, match=f"Kubernetes {k8s_schema.KUBERNETES_VERSION}"):
            k8s_schema.assert_valid(obj)

    @pytest.mark.parametrize("obj", [valid_deployment(), *INVALID[:5]])
    def test_agrees_with_the_packages_own_entry_point(self, obj):
        try:
            kubernetes_validate.validate(obj, k8s_schema.KUBERNETES_VERSION, strict=True)
            official_ok = True
        except kubernetes_validate.ValidationError:
            official_ok = False
        assert official_ok is (k8s_schema.problems(obj) == [])

    def test_target_version_ships_with_the_package(self):
        assert k8s_schema.SCHEMA_DIR.is_dir()
        assert k8s_schema.schema_file("apps/v1", "StatefulSet") == "statefulset-apps-v1.json"
        assert k8s_schema.schema_file("v1", "Service") == "service-v1.json"
        assert k8s_schema.schema_file("networking.k8s.io/v1", "Ingress") == "ingress-networking-v1.json"

    def test_generic_by_kind(self):
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "s-svc"},
            "spec": {"selector": {"app": "s"}, "ports": [{"port": 80}], "trafficDistribution": "PreferClose"},
        }
        assert k8s_schema.problems(service) == []
        service["spec"]["ports"][0]["port"] = "eighty"
        assert k8s_schema.problems(service)

    def test_our_own_kinds_use_our_crd_schema(self):
        dg = {"apiVersion": "superedge.io/v1", "kind": "DeploymentGrid", "metadata": {"name": "g"}}
        dg["spec"] = {"gridUniqKey": "site", "template": deployment_spec()}
        assert k8s_schema.problems(dg) == []
        dg["spec"]["overrides"] = [{"replicas": -1}]
        assert k8s_schema.problems(dg) == ["spec/overrides/0/replicas: -1 is less than the minimum of 0"]

    def test_unknown_kind_is_an_error_not_a_pass(self):
        with pytest.raises(LookupError):
            k8s_schema.problems({"apiVersion": "example.com/v1", "kind": "Gadget"})


class TestSuiteWideHook:
    def test_sync_hooks_are_wrapped_for_the_session(self):
        assert getattr(workload_grid.sync, "schema_checked", False)

    def test_wrapper_fails_a_hook_that_produces_an_invalid_child(self):
        bad = INVALID[0]
        hook = schema_checked(lambda request, now: {"status": {}, "children": [bad]})
        with pytest.raises(AssertionError, match="spec/replicas"):
            hook({"children": {}}, NOW)

    def test_kept_children_are_not_counted_as_produced(self):
        kept = valid_deployment()
        fresh = with_change(["metadata", "name"], "web-b")
        live = copy.deepcopy(kept)
        live["status"] = {"replicas": 2}
        live["metadata"]["uid"] = "u"
        request = {"children": {"Deployment.apps/v1": {"shop/web-a": live}}}
        assert produced_children(request, {"children": [kept, fresh]}) == [fresh]


def rich_template() -> dict:
    spec = deployment_spec(app="shop")
    pod = spec["template"]["spec"]
    pod["initContainers"] = [{"name": "migrate", "image": "registry.example.com/shop/migrate:3", "args": ["up"]}]
    pod["containers"][0].update(
        {
            "ports": [{"name": "http", "containerPort": 8080}],
            "env": [{"name": "LOG_LEVEL", "value": "info"}],
            "resources": {"requests": {"cpu": "250m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
            "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
        }
    )
    pod["volumes"] = [{"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}}]
    pod["tolerations"] = [{"key": "edge", "operator": "Exists", "effect": "NoSchedule"}]
    pod["nodeSelector"] = {"kubernetes.io/arch": "arm64"}
    spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    return spec


def rich_statefulset_template() -> dict:
    spec = rich_template()
    del spec["strategy"]
    spec["serviceName"] = "shop"
    spec["podManagementPolicy"] = "Parallel"
    spec["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}},
        }
    ]
    return spec


EVERY_KIND_OF_OVERRIDE = [
    {
        "patch": [
            {
                "op": "add",
                "path": "/spec/template/spec/containers/0/env/-",
                "value": {"name": "SITE", "value": "{{unit}}"},
            }
        ]
    },
    {"patch": [{"op": "add", "path": "/metadata/annotations/example.com~1site", "value": "{{unit}}"}]},
    {
        "patch": [
            {"op": "add", "path": "/spec/template/metadata/annotations", "value": {"example.com/site": "{{unit}}"}}
        ]
    },
    {"units": ["shanghai-01"], "replicas": 7},
    {"units": ["beijing-02"], "images": {"shop": "nginx:1.28", "migrate": "registry.example.com/shop/migrate:4"}},
    {
        "units": ["Edge_Site.3"],
        "replicas": 0,
        "patch": [
            {"op": "replace", "path": "/spec/template/spec/containers/0/resources/limits/memory", "value": "512Mi"}
        ],
    },
    {
        "units": ["beijing-02"],
        "patch": [
            {"op": "copy", "from": "/spec/template/spec/tolerations/0", "path": "/spec/template/spec/tolerations/-"}
        ],
    },
    {"patch": [{"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "shop"}]},
]


CASES = {
    "plain": (DEPLOYMENT, {}),
    "rich": (DEPLOYMENT, {"template": rich_template()}),
    "overrides": (DEPLOYMENT, {"template": rich_template(), "overrides": EVERY_KIND_OF_OVERRIDE}),
    "pool": (
        DEPLOYMENT,
        {
            "template": rich_template(),
            "templatePool": {"small": deployment_spec(app="shop", replicas=1)},
            "templates": {"beijing-02": "small"},
            "overrides": [{"units": ["beijing-02"], "images": {"shop": "nginx:1.28"}}],
        },
    ),
    "prefixed-key": (DEPLOYMENT, {"gridUniqKey": "topology.kubernetes.io/zone"}),
    "statefulset": (STATEFULSET, {"template": rich_statefulset_template()}),
    "statefulset-overrides": (
        STATEFULSET,
        {"template": rich_statefulset_template(), "overrides": EVERY_KIND_OF_OVERRIDE},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broad_set_of_rendered_children_is_valid_kubernetes(case):
    kind, spec = CASES[case]
    key = spec.get("gridUniqKey", "site")
    units = {"shanghai-01": 2, "beijing-02": 1, "Edge_Site.3": 1, "x" * 60: 1}
    parent = grid(kind.grid_kind, name="shop", **copy.deepcopy(spec))
    parent["metadata"]["labels"] = {"app.kubernetes.io/part-of": "shop"}
    parent["metadata"]["annotations"] = {"example.com/owner": "retail-ops"}
    resp = workload_grid.sync(sync_request(parent, site_nodes(key, **units), child_type=kind.child_type), kind, NOW)
    assert len(resp["children"]) == len(units)
    assert not any("error" in s for s in resp["status"]["states"].values())
    for child in resp["children"]:
        k8s_schema.assert_valid(child)
