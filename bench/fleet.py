"""A synthetic edge fleet as Metacontroller sends it: full Nodes and observed children with status.

The objects imitate what the API server returns (``kubectl get -o json``): kubelet-posted Node status
with conditions, addresses, nodeInfo, capacity and 20+ image entries; CNI and kubelet annotations;
Deployments/StatefulSets with server metadata, managedFields, Metacontroller's last-applied annotation,
defaulted spec and full status. A Node is about 6.5 KB of JSON, so 5,000 nodes and 1,000 units make
a request of the size the performance targets were set for (about 35 MB; 39 MB here, docs/performance.md).
Everything is derived from a seeded RNG: the same size always gives the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import orjson

from tests.support.metacontroller_apply import controller_ref

UNIT_KEY = "edge.superedge.io/site"
NODES_PER_UNIT = 5
GRID_NAME = "checkout"
NAMESPACE = "retail"
BASE_TIME = "2025-11-03T08:14:%02dZ"

IMAGE_POOL = (
    ("registry.k8s.io/kube-proxy", "v1.29.4"),
    ("registry.k8s.io/pause", "3.9"),
    ("registry.k8s.io/coredns/coredns", "v1.11.1"),
    ("registry.k8s.io/metrics-server/metrics-server", "v0.7.1"),
    ("docker.io/flannel/flannel", "v0.25.1"),
    ("docker.io/flannel/flannel-cni-plugin", "v1.4.0-flannel1"),
    ("quay.io/calico/node", "v3.27.3"),
    ("quay.io/calico/cni", "v3.27.3"),
    ("quay.io/prometheus/node-exporter", "v1.8.0"),
    ("cr.fluentbit.io/fluent/fluent-bit", "3.0.4"),
    ("registry.example.com/retail/checkout-api", "2.14.7"),
    ("registry.example.com/retail/checkout-worker", "2.14.7"),
    ("registry.example.com/retail/inventory-sync", "1.9.3"),
    ("registry.example.com/retail/pos-gateway", "4.2.0"),
    ("registry.example.com/retail/receipt-printer-agent", "0.8.12"),
    ("registry.example.com/platform/envoy-sidecar", "1.30.1-edge"),
    ("registry.example.com/platform/otel-collector-contrib", "0.99.0"),
    ("registry.example.com/platform/edge-health-probe", "2024.05.2"),
    ("docker.io/library/nginx", "1.27.0-alpine"),
    ("docker.io/library/redis", "7.2.4-alpine"),
    ("docker.io/library/postgres", "16.3-bookworm"),
    ("ghcr.io/superedge/application-grid-wrapper", "v0.9.0"),
    ("ghcr.io/superedge/lite-apiserver", "v0.9.0"),
    ("ghcr.io/superedge/tunnel-edge", "v0.9.0"),
)


def unit_name(index: int) -> str:
    return f"store-{index:05d}"


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def _uuid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _condition(ctype: str, status: str, reason: str, message: str) -> dict:
    return {
        "type": ctype,
        "status": status,
        "lastHeartbeatTime": "2025-11-03T09:41:17Z",
        "lastTransitionTime": "2025-10-28T02:05:44Z",
        "reason": reason,
        "message": message,
    }


def _images(rng: random.Random) -> list[dict]:
    """20 image entries; every fourth lost its tag (a superseded pull), so it lists only its digest."""
    images = []
    for i, (repo, tag) in enumerate(rng.sample(IMAGE_POOL, 20)):
        names = [f"{repo}@sha256:{_hex(rng, 64)}"] + ([f"{repo}:{tag}"] if i % 4 else [])
        images.append({"names": names, "sizeBytes": rng.randint(300_000, 400_000_000)})
    return images


def make_node(rng: random.Random, unit: str, index: int) -> dict:
    """One Node as the API server returns it (about 6.5 KB of JSON)."""
    name = f"edge-{unit}-n{index}"
    ip = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    arch = "arm64" if index % 3 == 0 else "amd64"
    mac = ":".join(_hex(rng, 2) for _ in range(6))
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": _uuid(rng),
            "resourceVersion": str(rng.randint(10**7, 10**8)),
            "creationTimestamp": "2025-06-12T11:20:31Z",
            "labels": {
                "beta.kubernetes.io/arch": arch,
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": arch,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": "edge-box-4c8g",
                "topology.kubernetes.io/region": "cn-east",
                UNIT_KEY: unit,
                "superedge.io/edge-node": "enable",
            },
            "annotations": {
                "flannel.alpha.coreos.com/backend-data": orjson.dumps({"VNI": 1, "VtepMAC": mac}).decode(),
                "flannel.alpha.coreos.com/backend-type": "vxlan",
                "flannel.alpha.coreos.com/kube-subnet-manager": "true",
                "flannel.alpha.coreos.com/public-ip": ip,
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "projectcalico.org/IPv4Address": f"{ip}/24",
                "projectcalico.org/IPv4VXLANTunnelAddr": f"172.16.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {
            "podCIDR": f"10.244.{index % 256}.0/24",
            "podCIDRs": [f"10.244.{index % 256}.0/24"],
            "providerID": f"edge://{unit}/{name}",
        },
        "status": {
            "capacity": {
                "cpu": "4",
                "ephemeral-storage": "122749536Ki",
                "hugepages-1Gi": "0",
                "hugepages-2Mi": "0",
                "memory": "8024568Ki",
                "pods": "110",
            },
            "allocatable": {
                "cpu": "3800m",
                "ephemeral-storage": "113127519772",
                "hugepages-1Gi": "0",
                "hugepages-2Mi": "0",
                "memory": "7410168Ki",
                "pods": "110",
            },
            "conditions": [
                _condition("NetworkUnavailable", "False", "FlannelIsUp", "Flannel is running on this node"),
                _condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory"),
                _condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                _condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                _condition("Ready", "True", "KubeletReady", "kubelet is posting ready status. AppArmor enabled"),
            ],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": _hex(rng, 32),
                "systemUUID": _uuid(rng),
                "bootID": _uuid(rng),
                "kernelVersion": "5.15.0-107-generic",
                "osImage": "Ubuntu 22.04.4 LTS",
                "containerRuntimeVersion": "containerd://1.7.13",
                "kubeletVersion": "v1.29.4",
                "kubeProxyVersion": "v1.29.4",
                "operatingSystem": "linux",
                "architecture": arch,
            },
            "images": _images(rng),
        },
    }


def make_nodes(rng: random.Random, units: int, per_unit: int = NODES_PER_UNIT) -> dict:
    """The ``Node.v1`` map: ``per_unit`` nodes for each of ``units`` units."""
    nodes = {}
    for u in range(units):
        for i in range(per_unit):
            node = make_node(rng, unit_name(u), i)
            nodes[node["metadata"]["name"]] = node
    return nodes


def _container(name: str, image: str, port: int) -> dict:
    return {
        "name": name,
        "image": image,
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "env": [
            {"name": "SITE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['edge.superedge.io/site']"}}},
            {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"},
            {"name": "LOG_LEVEL", "value": "info"},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 10},
    }


def grid_parent(kind: str = "DeploymentGrid") -> dict:
    """A grid with a realistic two-container template, as the API server returns it (no status yet)."""
    labels = {"app.kubernetes.io/name": GRID_NAME, "app.kubernetes.io/part-of": "retail-edge"}
    template = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": GRID_NAME}},
        "template": {
            "metadata": {"labels": {"app": GRID_NAME, "tier": "edge"}},
            "spec": {
                "containers": [
                    _container("api", "registry.example.com/retail/checkout-api:2.14.7", 8080),
                    {"name": "envoy", "image": "registry.example.com/platform/envoy-sidecar:1.30.1-edge"},
                ],
                "tolerations": [{"key": "superedge.io/edge-node", "operator": "Exists", "effect": "NoSchedule"}],
            },
        },
    }
    spec = {"gridUniqKey": UNIT_KEY, "template": template}
    applied = {"apiVersion": "superedge.io/v1", "kind": kind, "metadata": {"name": GRID_NAME}, "spec": spec}
    return {
        "apiVersion": "superedge.io/v1",
        "kind": kind,
        "metadata": {
            "name": GRID_NAME,
            "namespace": NAMESPACE,
            "uid": "5b0e8a51-8f0d-4a39-9d0e-6c7f4c1d2e3f",
            "resourceVersion": "48213377",
            "generation": 3,
            "creationTimestamp": "2025-09-01T10:00:00Z",
            "labels": labels,
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": orjson.dumps(applied).decode()},
        },
        "spec": spec,
    }


def _fields_v1(obj: object) -> object:
    """A FieldsV1-like tree of ``obj`` (``f:`` keys down to leaves), as managedFields hold."""
    if isinstance(obj, dict):
        return {f"f:{k}": _fields_v1(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return {".": {}}
    return {}


def _defaulted(desired: dict) -> dict:
    """The desired child's spec as the API server stores it (defaults filled in)."""
    spec = orjson.loads(orjson.dumps(desired["spec"]))
    spec.setdefault("progressDeadlineSeconds", 600)
    spec.setdefault("revisionHistoryLimit", 10)
    rolling = {"maxSurge": "25%", "maxUnavailable": "25%"}
    spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": rolling})
    pod = spec["template"]
    pod["metadata"]["creationTimestamp"] = None
    pod_spec = pod["spec"]
    pod_spec.update(
        dnsPolicy="ClusterFirst",
        restartPolicy="Always",
        schedulerName="default-scheduler",
        securityContext={},
        terminationGracePeriodSeconds=30,
    )
    for c in pod_spec["containers"]:
        c.update(imagePullPolicy="IfNotPresent", terminationMessagePath="/dev/termination-log")
        c["terminationMessagePolicy"] = "File"
    return spec


def observed_child(rng: random.Random, desired: dict, parent: dict, ready: bool) -> dict:
    """What the API server returns for a child Metacontroller applied: server metadata and status added."""
    meta = desired["metadata"]
    labels = {**meta["labels"], "controller-uid": parent["metadata"]["uid"]}
    applied = {**desired, "metadata": {**meta, "labels": labels}}
    replicas = desired["spec"].get("replicas", 1)
    n = replicas if ready else replicas - 1
    generation = 3
    name = meta["name"]
    status = {
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": n,
        "availableReplicas": n,
        "conditions": [
            {
                "type": "Available",
                "status": "True" if ready else "False",
                "lastUpdateTime": "2025-10-28T02:07:10Z",
                "lastTransitionTime": "2025-10-28T02:07:10Z",
                "reason": "MinimumReplicasAvailable" if ready else "MinimumReplicasUnavailable",
                "message": "Deployment has minimum availability."
                if ready
                else "Deployment does not have minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": "2025-10-28T02:07:10Z",
                "lastTransitionTime": "2025-10-28T02:05:51Z",
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{name}-{_hex(rng, 10)}" has successfully progressed.',
            },
        ],
    }
    if not ready:
        status["unavailableReplicas"] = 1
    return {
        "apiVersion": desired["apiVersion"],
        "kind": desired["kind"],
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "uid": _uuid(rng),
            "resourceVersion": str(rng.randint(10**7, 10**8)),
            "generation": generation,
            "creationTimestamp": "2025-10-28T02:05:51Z",
            "labels": labels,
            "annotations": {
                **meta["annotations"],
                "deployment.kubernetes.io/revision": str(generation),
                "metacontroller.k8s.io/last-applied-configuration": orjson.dumps(applied).decode(),
            },
            "ownerReferences": [controller_ref(parent)],
            "managedFields": [
                {
                    "manager": "metacontroller",
                    "operation": "Update",
                    "apiVersion": desired["apiVersion"],
                    "time": "2025-10-28T02:05:51Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": _fields_v1({"metadata": applied["metadata"], "spec": desired["spec"]}),
                },
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "apiVersion": desired["apiVersion"],
                    "time": "2025-10-28T02:07:10Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": _fields_v1({"status": status}),
                    "subresource": "status",
                },
            ],
        },
        "spec": _defaulted(desired),
        "status": status,
    }


Sync = Callable[[dict, str], dict]


def steady_state_request(
    nodes: int,
    sync: Sync,
    *,
    kind: str = "DeploymentGrid",
    child_type: str = "Deployment.apps/v1",
    seed: int = 7,
    not_ready_every: int = 50,
) -> dict:
    """A steady-state sync request for ``nodes`` nodes (5 per unit): every unit has its child.

    ``sync`` is the hook itself: it renders the desired children once from an empty state, they are
    then "observed" with server fields and status (one unit in ``not_ready_every`` not ready), and the
    parent carries the status the hook gave for them, as after the previous sync: so the answer does
    not depend on the clock.
    """
    rng = random.Random(seed)
    node_map = make_nodes(rng, max(1, nodes // NODES_PER_UNIT))
    parent = grid_parent(kind)
    history = {RECORD_TYPE: {}} if kind in HISTORY_KINDS else {}
    request = {"parent": parent, "children": {child_type: {}, **history}, "related": {"Node.v1": node_map}}
    first = sync(request, "2025-10-28T02:05:51Z")
    children = {}
    for i, desired in enumerate(c for c in first["children"] if c["kind"] != RECORD_KIND):
        child = observed_child(rng, desired, parent, ready=(i % not_ready_every) != 1)
        children[f"{NAMESPACE}/{child['metadata']['name']}"] = child
    observed = {child_type: children, **({RECORD_TYPE: stored_records(rng, first, parent)} if history else {})}
    previous = sync({**request, "children": observed}, "2025-10-28T02:07:10Z")
    if history:
        observed[RECORD_TYPE] = stored_records(rng, previous, parent)
    parent = {**parent, "status": {**previous["status"], "observedGeneration": 3}}
    return {
        "controller": {
            "apiVersion": "metacontroller.k8s.io/v1alpha1",
            "kind": "CompositeController",
            "metadata": {"name": f"{kind.lower()}-controller", "uid": "2f9c1d8e-0d1b-4a8e-9a51-0b7e6c5d4f3a"},
        },
        "parent": parent,
        "children": observed,
        "related": {"Node.v1": node_map},
        "finalizing": False,
    }


RECORD_KIND = "ControllerRevision"
RECORD_TYPE = "ControllerRevision.apps/v1"
HISTORY_KINDS = ("DeploymentGrid", "StatefulSetGrid")
"""Grid kinds whose controllers declare ControllerRevision children (their revision history)."""


def stored_records(rng: random.Random, answer: dict, parent: dict) -> dict:
    """The ControllerRevisions of a sync answer as the API server stores them after Metacontroller wrote them."""
    out = {}
    for desired in answer["children"]:
        if desired["kind"] != RECORD_KIND:
            continue
        meta = desired["metadata"]
        applied = {
            **desired,
            "metadata": {**meta, "labels": {**meta["labels"], "controller-uid": parent["metadata"]["uid"]}},
        }
        record = {
            **applied,
            "metadata": {
                **applied["metadata"],
                "uid": _uuid(rng),
                "resourceVersion": str(rng.randint(10**7, 10**8)),
                "creationTimestamp": "2025-10-28T02:05:51Z",
                "annotations": {"metacontroller.k8s.io/last-applied-configuration": orjson.dumps(applied).decode()},
            },
        }
        out[f"{NAMESPACE}/{meta['name']}"] = record
    return out
