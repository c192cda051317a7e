"""NodeGroup benchmark: request size, status size and hook time for a large fleet.

Run from the repository root:  python3 -m bench.nodegroup [--units 1000] [--nodes-per-unit 5] [--grids 20]

Nodes are shaped like real kubelet-reported Nodes (labels, annotations,
conditions, addresses, capacity, image list: about 6 KB each), because
Metacontroller sends them whole. Grids carry a full ``status.states`` map over
every unit. Times are the best of ``--repeat`` runs on this machine; nothing
here is asserted.
"""

from __future__ import annotations

import argparse
import gc
import time

import orjson

from hooks.nodegroups import nodegroup
from hooks.nodegroups.workload_readiness import WORKLOAD_GRID_KINDS, grid_type_key
from hooks.server.app import create_app

STAMP = "2026-01-01T00:00:00Z"


def bench_node(name: str, unit: str, ready: bool) -> dict:
    """A Node about the size kubelet reports: the hook reads only its name, labels and Ready condition."""
    conditions = [
        {"type": t, "status": "False", "reason": f"KubeletHas{r}", "message": f"kubelet has {r.lower()}"}
        for t, r in (
            ("MemoryPressure", "SufficientMemory"),
            ("DiskPressure", "NoDiskPressure"),
            ("PIDPressure", "SufficientPID"),
        )
    ]
    conditions.append(
        {
            "type": "Ready",
            "status": "True" if ready else "False",
            "reason": "KubeletReady",
            "message": "kubelet is posting ready status",
        }
    )
    for c in conditions:
        c.update(lastHeartbeatTime=STAMP, lastTransitionTime=STAMP)
    images = [
        {
            "names": [
                f"registry.example.com/team/app-{i}@sha256:{'ab' * 32}",
                f"registry.example.com/team/app-{i}:v1.{i}",
            ],
            "sizeBytes": 10_000_000 + i,
        }
        for i in range(25)
    ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"{name}-0000-0000-0000-000000000000",
            "resourceVersion": "123456789",
            "creationTimestamp": STAMP,
            "labels": {
                "site": unit,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "edge-box-8c16g",
                "topology.kubernetes.io/region": "cn-east",
                "tier": "edge",
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
                "projectcalico.org/IPv4Address": "10.20.30.40/24",
            },
        },
        "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"], "providerID": f"edge://{name}"},
        "status": {
            "capacity": {"cpu": "8", "memory": "16318256Ki", "pods": "110", "ephemeral-storage": "102684600Ki"},
            "allocatable": {"cpu": "7800m", "memory": "15613744Ki", "pods": "110", "ephemeral-storage": "94634127204"},
            "conditions": conditions,
            "addresses": [{"type": "InternalIP", "address": "10.20.30.40"}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": "f" * 32,
                "systemUUID": "e" * 36,
                "bootID": "d" * 36,
                "kernelVersion": "6.1.0-18-amd64",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.7.13",
                "kubeletVersion": "v1.31.2",
                "kubeProxyVersion": "v1.31.2",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
            "images": images,
        },
    }


def bench_grid(index: int, grids: int, units: list[str], rollout: bool) -> dict:
    """A grid whose status covers every unit: in steady state one unit in 50 has this or another grid not ready."""
    kind = WORKLOAD_GRID_KINDS[index % len(WORKLOAD_GRID_KINDS)]
    states = {}
    for i, unit in enumerate(units):
        ok = not rollout and not (i % 50 == 0 and (i // 50) % grids == index)
        n = 2 if ok else 0
        states[unit] = {
            "observedGeneration": 1,
            "replicas": 2,
            "updatedReplicas": n,
            "readyReplicas": n,
            "availableReplicas": n,
            "ready": ok,
        }
    return {
        "apiVersion": "superedge.io/v1",
        "kind": kind.grid_kind,
        "metadata": {"name": f"svc-{index}", "namespace": f"team-{index % 5}", "uid": f"uid-{index}", "generation": 1},
        "spec": {
            "gridUniqKey": "site",
            "template": {"replicas": 2, "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
        },
        "status": {"units": len(units), "states": states},
    }


def build_request(units: int, per_unit: int, grids: int, rollout: bool) -> dict:
    names = [f"site-{u:04d}" for u in range(units)]
    nodes = {}
    for u, unit in enumerate(names):
        for n in range(per_unit):
            name = f"edge-{u:04d}-{n}"
            nodes[name] = bench_node(name, unit, ready=(u * per_unit + n) % 20 != 0)
    related: dict = {"Node.v1": nodes, **{grid_type_key(k): {} for k in WORKLOAD_GRID_KINDS}}
    for g in range(grids):
        grid = bench_grid(g, grids, names, rollout)
        related[f"{grid['kind']}.superedge.io/v1"][f"{grid['metadata']['namespace']}/{grid['metadata']['name']}"] = grid
    parent = {
        "apiVersion": "superedge.io/v1",
        "kind": "NodeGroup",
        "metadata": {"name": "sites", "uid": "ng"},
        "spec": {"gridUniqKey": "site"},
    }
    return {"controller": {}, "parent": parent, "children": {}, "related": related, "finalizing": False}


def rss_mb() -> float:
    """Resident memory of this process (Linux), to show what a full parse of the request costs."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / (1024 * 1024)
    except OSError:
        return float("nan")


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def scenario(label: str, args: argparse.Namespace, rollout: bool) -> None:
    body = orjson.dumps(build_request(args.units, args.nodes_per_unit, args.grids, rollout))
    gc.collect()
    before = rss_mb()
    parsed = orjson.loads(body)
    parse_mb = rss_mb() - before
    nodes_bytes = len(orjson.dumps(parsed["related"]["Node.v1"]))
    response = nodegroup.sync(parsed, STAMP)
    status_bytes = len(orjson.dumps(response["status"]))
    client = create_app(clock=lambda: STAMP).test_client()
    parse = best(lambda: orjson.loads(body), args.repeat)
    hook = best(lambda: nodegroup.sync(parsed, STAMP), args.repeat)
    http = best(lambda: client.post("/nodegroup/sync", data=body, content_type="application/json"), args.repeat)
    mb, status = 1024 * 1024, response["status"]
    grids_mb = (len(body) - nodes_bytes) / mb
    print(f"{label}: {args.units} units, {args.units * args.nodes_per_unit} nodes, {args.grids} grids")
    print(f"  request      {len(body) / mb:8.2f} MB  (nodes {nodes_bytes / mb:.2f} MB, grids {grids_mb:.2f} MB)")
    print(f"  status       {status_bytes / 1024:8.1f} KB  ({status['readyUnits']} of {status['units']} units ready)")
    print(f"  parse floor  {parse * 1000:8.1f} ms  (orjson.loads of the request; +{parse_mb:.0f} MB resident)")
    print(f"  hook         {hook * 1000:8.1f} ms  (pure function on the parsed request)")
    print(f"  http         {http * 1000:8.1f} ms  (Flask in-process: parse, hook, encode; {http / parse:.2f}x floor)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--nodes-per-unit", type=int, default=5)
    parser.add_argument("--grids", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scenario("steady state (1 node in 20 down, 1 unit in 50 with a grid not ready)", args, rollout=False)
    scenario("fleet-wide rollout (every grid not ready in every unit)", args, rollout=True)


if __name__ == "__main__":
    main()
