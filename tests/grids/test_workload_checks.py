"""Well-formedness checks of rendered workloads, and image references."""

import copy

import pytest

from hooks.grids.workload import DEPLOYMENT, pin_to_unit
from hooks.grids.workload_checks import check_workload
from hooks.kube.errors import SpecError
from hooks.kube.images import image_error
from tests.support import k8s_schema


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web-a",
            "namespace": "shop",
            "labels": {"site": "a", "superedge.io/grid-selector": "web"},
            "annotations": {"superedge.io/grid-uniq-key": "site"},
        },
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 3,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "selector": {
                "matchLabels": {"app": "web", "site": "a"},
                "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["core"]}],
            },
            "template": {
                "metadata": {"labels": {"app": "web", "site": "a"}, "annotations": {"prometheus.io/scrape": "true"}},
                "spec": {
                    "nodeSelector": {"site": "a"},
                    "initContainers": [{"name": "migrate", "image": "busybox:1.36", "command": ["true"]}],
                    "containers": [
                        {
                            "name": "web",
                            "image": "registry.example.com:5000/shop/web:2.4.1@sha256:" + "a" * 64,
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "env": [
                                {"name": "SITE", "value": "a"},
                                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                            ],
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                        }
                    ],
                    "volumes": [{"name": "cache", "emptyDir": {}}],
                },
            },
        },
    }


def statefulset() -> dict:
    child = deployment()
    child["kind"] = "StatefulSet"
    del child["spec"]["strategy"]
    child["spec"]["serviceName"] = "web"
    child["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    ]
    return child


@pytest.mark.parametrize("make", [deployment, statefulset])
def test_realistic_workloads_pass_and_are_schema_valid(make):
    child = make()
    check_workload(child)
    k8s_schema.assert_valid(child)


def broken(path: str, value: object = None, delete: bool = False) -> dict:
    child = deployment()
    *parents, last = path.split("/")
    node = child
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if delete:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return child


POD = "spec/template/spec"
C0 = f"{POD}/containers/0"

# (child, what the error names, whether the Kubernetes OpenAPI schema alone also refuses it).
# False: the schema accepts it, yet the API server's own validation refuses it, the kubelet cannot
# pull it (images), or Metacontroller's three-way merge keeps fighting it (status, server-owned
# metadata). That is why the hook checks these itself rather than relying on a schema.
BROKEN = [
    (broken("status", {}), "status: a desired child may only hold", False),
    (broken("metadata/resourceVersion", "1"), "metadata.resourceVersion: field is server-owned", False),
    (broken("metadata/generateName", "x-"), "metadata.generateName: field is not settable", False),
    (broken("metadata/labels/tier", 3), "metadata.labels[tier]: 3 is not a valid label value", True),
    (broken("metadata/labels/bad key", "x"), "invalid label key", False),
    (broken("metadata/annotations/note", 1), "metadata.annotations[note]: value must be a string", True),
    (broken("metadata/finalizers", "x"), "metadata.finalizers: must be a list of strings", True),
    (broken("spec/replicas", -1), "spec.replicas: must be an integer from 0", False),
    (broken("spec/replicas", 1.5), "spec.replicas", True),
    (broken("spec/replicas", True), "spec.replicas", True),
    (broken("spec/replicas", 2**31), "spec.replicas", False),
    (broken("spec/minReadySeconds", "10"), "spec.minReadySeconds", True),
    (broken("spec/paused", "yes"), "spec.paused: must be true or false", True),
    (broken("spec/selector", None), "spec.selector: must not be empty", True),
    (broken("spec/selector/matchLabels/app", "api"), "spec.selector: does not match the pod template's labels", False),
    (broken("spec/selector/matchExpressions/0/operator", "Like"), "operator must be one of", False),
    (broken("spec/template/metadata/labels/app", "web x"), "spec.template.metadata.labels[app]", False),
    (broken(f"{POD}/containers", []), "containers: must be a non-empty list", False),
    (broken(f"{POD}/containers", None, delete=True), "containers: must be a non-empty list", True),
    (broken(f"{POD}/initContainers", {}), "initContainers: must be a list", True),
    (broken(f"{POD}/containers/0", "web"), "containers[0]: must be an object", True),
    (broken(f"{C0}/name", None, delete=True), "containers[0].name: must be a DNS-1123 label", True),
    (broken(f"{C0}/name", "Web"), "containers[0].name", False),
    (broken(f"{C0}/name", "migrate"), "'migrate' is used by another container", False),
    (broken(f"{C0}/image", None, delete=True), "containers[0].image: image must be a non-empty string", False),
    (broken(f"{C0}/image", ""), "containers[0].image", False),
    (broken(f"{C0}/image", "nginx:1.27 "), "not a valid image reference", False),
    (broken(f"{POD}/initContainers/0/image", "BusyBox"), "initContainers[0].image", False),
    (broken(f"{C0}/env/0/value", 8080), "env[0].value: must be a string", True),
    (broken(f"{C0}/env/0/name", ""), "env[0].name", False),
    (broken(f"{C0}/env", {"SITE": "a"}), "env: must be a list", True),
    (broken(f"{C0}/ports/0/containerPort", 0), "containerPort: must be an integer from 1 to 65535", False),
    (broken(f"{C0}/ports/0/containerPort", "8080"), "containerPort", True),
    (broken(f"{POD}/nodeSelector/disk", 1), "nodeSelector: values must be strings", True),
]


@pytest.mark.parametrize(("child", "cause", "schema_too"), BROKEN, ids=[c for _, c, _ in BROKEN])
def test_broken_workloads_are_refused_with_the_path(child, cause, schema_too):
    with pytest.raises(SpecError, match="rendered child is invalid") as err:
        check_workload(child)
    assert cause in str(err.value)


@pytest.mark.parametrize(("child", "cause", "schema_too"), BROKEN, ids=[c for _, c, _ in BROKEN])
def test_which_refusals_the_schema_alone_would_catch(child, cause, schema_too):
    assert bool(k8s_schema.problems(child)) is schema_too


def test_statefulset_specific_fields():
    child = statefulset()
    child["spec"]["serviceName"] = 5
    with pytest.raises(SpecError, match=r"spec\.serviceName"):
        check_workload(child)
    child = statefulset()
    child["spec"]["volumeClaimTemplates"][0]["metadata"] = {}
    with pytest.raises(SpecError, match=r"volumeClaimTemplates\[0\]\.metadata\.name"):
        check_workload(child)


@pytest.mark.parametrize(
    "path",
    [
        "metadata",
        "metadata/labels",
        "metadata/annotations",
        "spec/selector",
        "spec/selector/matchLabels",
        "spec/template",
        "spec/template/metadata",
        "spec/template/metadata/labels",
        "spec/template/spec",
        "spec/template/spec/nodeSelector",
    ],
)
@pytest.mark.parametrize("value", ["x", [], 3])
def test_pinning_needs_objects_where_invariants_are_written(path, value):
    with pytest.raises(SpecError, match=path.replace("/", ".") + " must be an object"):
        pin(broken(path, value))


def test_pinning_accepts_absent_parts():
    pin({"apiVersion": "apps/v1", "kind": "Deployment"})
    pin(copy.deepcopy(broken("spec/selector", None, delete=True)))


def pin(child: dict) -> dict:
    return pin_to_unit(DEPLOYMENT, child, {"name": "web", "namespace": "shop"}, "site", "a", "web-a")


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.27",
        "library/nginx:1.27-alpine",
        "registry.k8s.io/echoserver:1.10",
        "localhost:5000/team/app_x__y:v1.0.0",
        "[fd00::1]:5000/app:1",
        "ghcr.io/org/app@sha256:" + "0" * 64,
        "Registry.Example.com/app:TAG_1",
    ],
)
def test_good_images(image):
    assert image_error(image) is None


@pytest.mark.parametrize(
    "image",
    ["", "Nginx", "nginx:", "nginx:1 .27", " nginx", "nginx\n", "a//b", "app/-x", "x:1:2", "nginx:café", 5, None, {}],
)
def test_bad_images(image):
    assert image_error(image)


def test_shared_container_lists_are_checked_once_but_changed_ones_again():
    from hooks.grids.workload_checks import CheckedContainers

    checked = CheckedContainers()
    good = deployment()
    check_workload(good, checked)
    pod_spec = good["spec"]["template"]["spec"]
    assert checked.seen(pod_spec.get("initContainers"), pod_spec["containers"])
    bad = copy.deepcopy(good)
    bad["spec"]["template"]["spec"]["containers"][0]["image"] = "Not An Image"
    with pytest.raises(SpecError, match="image"):
        check_workload(bad, checked)
