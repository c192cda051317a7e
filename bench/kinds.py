"""Benchmark of the DaemonSetGrid, CronJobGrid and ConfigMapGrid sync hooks, and of a DeploymentGrid that
names a ConfigMapGrid, on steady-state requests (the targets of docs/performance.md).

    python3 -m bench.kinds [--sizes 5000] [--repeat 5] [--json out.json]

The fleet is bench/fleet.py's (5 full Nodes per unit, 1,000 units at 5,000 nodes). Each kind's request holds
every unit's child as the API server returns it (server metadata, managedFields, Metacontroller's
last-applied annotation, the kind's status); the DeploymentGrid's ``configs`` variant also carries the
ConfigMapGrid and its 1,000 ConfigMaps as related objects, which its hook reads to rewrite references and
hash each unit's data. Measured as bench/run.py measures: the floor (``orjson.loads`` of the body), the
in-process path (the route's decoder, the hook, ``codec.dumps``), an HTTP round trip through a fresh
gunicorn worker, and that worker's peak memory. Not a test: it prints figures and asserts nothing about
time.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fleet import (  # noqa: E402
    GRID_NAME,
    NAMESPACE,
    NODES_PER_UNIT,
    UNIT_KEY,
    _fields_v1,
    _uuid,
    grid_parent,
    make_nodes,
)
from bench.run import Server, machine, median_time, route_decoder, same_answer  # noqa: E402
from hooks.grids.children import METACONTROLLER_LAST_APPLIED  # noqa: E402
from hooks.protocol import codec  # noqa: E402
from hooks.server.app import hook_table  # noqa: E402
from tests.support.metacontroller_apply import controller_ref  # noqa: E402

NOW = "2025-11-03T10:00:00Z"
CONFIG_NAME = "checkout-config"


def pod_template() -> dict:
    return copy.deepcopy(grid_parent()["spec"]["template"]["template"])


def daemonset_template() -> dict:
    template = pod_template()
    return {"selector": {"matchLabels": {"app": GRID_NAME}}, "template": template}


def cronjob_template() -> dict:
    pod = pod_template()
    pod["spec"]["restartPolicy"] = "OnFailure"
    return {"schedule": "30 2 * * *", "timeZone": "Europe/Berlin", "jobTemplate": {"spec": {"template": pod}}}


def config_data() -> dict:
    """About 2 KB per unit: a few settings with the unit in them and a small file."""
    lines = "\n".join(f"option_{i} = value-{i}-{{{{unit}}}}" for i in range(40))
    return {"SITE_ID": "{{unit}}", "REGION": "eu-central", "LOG_LEVEL": "info", "app.conf": lines}


def configs_template() -> dict:
    template = copy.deepcopy(grid_parent()["spec"]["template"])
    pod = template["template"]["spec"]
    pod["containers"][0]["envFrom"] = [{"configMapRef": {"name": CONFIG_NAME}}]
    pod["volumes"] = [{"name": "config", "configMap": {"name": CONFIG_NAME}}]
    return template


def parent_of(kind: str, spec: dict, name: str = GRID_NAME) -> dict:
    parent = grid_parent(kind)
    parent["metadata"]["name"] = name
    parent["spec"] = {"gridUniqKey": UNIT_KEY, **spec}
    return parent


def status_of(child: dict, rng: random.Random) -> dict:
    """The status the kind's controller would show for a healthy child (ConfigMaps have none)."""
    kind = child["kind"]
    if kind == "DaemonSet":
        n = NODES_PER_UNIT
        return {
            "observedGeneration": 3,
            "desiredNumberScheduled": n,
            "currentNumberScheduled": n,
            "updatedNumberScheduled": n,
            "numberReady": n,
            "numberAvailable": n,
            "numberMisscheduled": 0,
        }
    if kind == "CronJob":
        return {"lastScheduleTime": "2025-11-03T01:30:00Z", "lastSuccessfulTime": "2025-11-03T01:31:12Z"}
    if kind == "Deployment":
        return {
            "observedGeneration": 3,
            "replicas": 2,
            "updatedReplicas": 2,
            "readyReplicas": 2,
            "availableReplicas": 2,
        }
    return {}


def observed(child: dict, parent: dict, rng: random.Random) -> dict:
    """A child as the API server returns it after Metacontroller applied it."""
    meta = child["metadata"]
    labels = {**meta["labels"], "controller-uid": parent["metadata"]["uid"]}
    applied = {**child, "metadata": {**meta, "labels": labels}}
    live = copy.deepcopy(applied)
    live["metadata"].update(
        uid=_uuid(rng),
        resourceVersion=str(rng.randint(10**7, 10**8)),
        generation=3,
        creationTimestamp="2025-10-28T02:05:51Z",
        ownerReferences=[controller_ref(parent)],
        managedFields=[
            {
                "manager": "metacontroller",
                "operation": "Update",
                "apiVersion": child["apiVersion"],
                "time": "2025-10-28T02:05:51Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": _fields_v1({k: v for k, v in applied.items() if k not in ("apiVersion", "kind")}),
            }
        ],
    )
    live["metadata"]["annotations"][METACONTROLLER_LAST_APPLIED] = orjson.dumps(applied).decode()
    status = status_of(child, rng)
    if status:
        live["status"] = status
    return live


def steady(route: str, parent: dict, child_type: str, node_map: dict, related: dict | None = None) -> dict:
    """A steady-state request: the children the hook renders, observed, and the status it gave for them."""
    hook = hook_table()[route]
    rng = random.Random(7)
    request = {"parent": parent, "children": {child_type: {}}, "related": {"Node.v1": node_map, **(related or {})}}
    first = hook(request, "2025-10-28T02:05:51Z")
    children = {f"{NAMESPACE}/{c['metadata']['name']}": observed(c, parent, rng) for c in first["children"]}
    previous = hook({**request, "children": {child_type: children}}, "2025-10-28T02:07:10Z")
    parent = {**parent, "status": {**previous["status"], "observedGeneration": 3}}
    return {
        "controller": {"metadata": {"name": f"{parent['kind'].lower()}-controller"}},
        "parent": parent,
        "children": {child_type: children},
        "related": request["related"],
        "finalizing": False,
    }


def requests(nodes: int) -> dict[str, tuple[str, dict]]:
    """Case name -> (route, request) for ``nodes`` nodes."""
    node_map = make_nodes(random.Random(7), max(1, nodes // NODES_PER_UNIT))
    config = parent_of("ConfigMapGrid", {"data": config_data()}, CONFIG_NAME)
    config_request = steady("/configmapgrid/sync", config, "ConfigMap.v1", node_map)
    config_grids = {f"{NAMESPACE}/{CONFIG_NAME}": config_request["parent"]}
    related = {
        "ConfigMapGrid.superedge.io/v1": config_grids,
        "ConfigMap.v1": config_request["children"]["ConfigMap.v1"],
    }
    return {
        "DaemonSetGrid": (
            "/daemonsetgrid/sync",
            steady(
                "/daemonsetgrid/sync",
                parent_of("DaemonSetGrid", {"template": daemonset_template()}),
                "DaemonSet.apps/v1",
                node_map,
            ),
        ),
        "CronJobGrid": (
            "/cronjobgrid/sync",
            steady(
                "/cronjobgrid/sync",
                parent_of("CronJobGrid", {"template": cronjob_template()}),
                "CronJob.batch/v1",
                node_map,
            ),
        ),
        "ConfigMapGrid": ("/configmapgrid/sync", config_request),
        "DeploymentGrid+configs": (
            "/deploymentgrid/sync",
            steady(
                "/deploymentgrid/sync",
                parent_of("DeploymentGrid", {"template": configs_template()}),
                "Deployment.apps/v1",
                node_map,
                related,
            ),
        ),
    }


def in_process(route: str, body: bytes, decode: Callable[[bytes], object]) -> bytes:
    return codec.dumps(hook_table()[route](decode(body), NOW))


def measure(case: str, route: str, request: dict, repeat: int, min_seconds: float) -> dict:
    body = orjson.dumps(request)
    decode = route_decoder(route)
    answer = in_process(route, body, decode)
    if in_process(route, body, codec.loads) != answer:
        raise AssertionError(f"{case}: the route's decoder and a full parse gave different answers")
    floor = median_time(lambda: orjson.loads(body), repeat, min_seconds)
    fast = median_time(lambda: in_process(route, body, decode), repeat, min_seconds)
    server = Server()
    try:

        def post() -> None:
            status, data = server.request("POST", route, body)
            if status != 200 or not same_answer(data, answer):
                raise AssertionError(f"{case}: HTTP answer differs from the in-process one (status {status})")

        round_trip = median_time(post, repeat, min_seconds)
        peak = server.memory_mb("VmHWM")
    finally:
        server.stop()
    units = len(next(iter(request["children"].values())))
    return {
        "case": case,
        "units": units,
        "request_mb": len(body) / 1e6,
        "floor_s": floor,
        "in_process_s": fast,
        "round_trip_s": round_trip,
        "in_process_x": fast / floor,
        "round_trip_x": round_trip / floor,
        "worker_peak_mb": peak,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| case | units | request MB | floor s | in-process s (x floor) | round trip s (x floor) | worker peak MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['units']:,} | {r['request_mb']:.1f} | {r['floor_s']:.3f} "
            f"| {r['in_process_s']:.3f} ({r['in_process_x']:.2f}x) "
            f"| {r['round_trip_s']:.3f} ({r['round_trip_x']:.2f}x) "
            f"| {r['worker_peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000", help="node counts, comma-separated (5 nodes per unit)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--cases", default="", help="only these cases, comma-separated")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    info = machine()
    print(f"# {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, load {info['loadavg']}", flush=True)
    rows = []
    for nodes in (int(s) for s in args.sizes.split(",")):
        for case, (route, request) in requests(nodes).items():
            if args.cases and case not in args.cases.split(","):
                continue
            rows.append({"nodes": nodes, **measure(case, route, request, args.repeat, args.min_seconds)})
            print(f"# {nodes} nodes, {case} done", file=sys.stderr, flush=True)
    print(table(rows))
    print(f"# load average after: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
