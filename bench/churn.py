"""Churn benchmark: what one round of node heartbeats costs, with grids reading Nodes or NodeUnits.

Run from the repository root:  python3 -m bench.churn [--nodes 500 5000] [--grids 20] [--nodes-per-unit 5]

Every kubelet re-posts its Node status at least every 5 minutes; each post is a
new resourceVersion. Metacontroller resyncs every parent whose cached
customize rules match the changed object (same apiVersion and kind, label
selector matches: ``matchesRelatedRule`` in its customize manager) and sends it
the full request. This script builds a fleet (Nodes about 7 KB each, shaped
like kubelet's; grids with one observed child per unit; one NodeGroup), asks
the real customize hooks for their rules, replays one heartbeat of every Node
against those rules, and counts wake-ups and the bytes each would ship. It also
runs the NodeGroup sync before and after the round to check that no NodeUnit
changes (so nothing relating NodeUnits is woken), and replays one membership
change (a node of a new site joins) for contrast. Times are one in-process
Flask call (parse, hook, encode) on this machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import copy
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from bench.nodegroup import STAMP, bench_node
from hooks import API_VERSION
from hooks.grids import workload_grid
from hooks.grids.children import METACONTROLLER_LAST_APPLIED
from hooks.grids.workload import DEPLOYMENT, STATEFULSET, WorkloadKind
from hooks.kube.selectors import matches
from hooks.nodegroups import nodegroup
from hooks.nodegroups.workload_readiness import WORKLOAD_GRID_KINDS, grid_resource, grid_type_key
from hooks.protocol import codec
from hooks.server.app import create_app
from hooks.sites.nodeunit import NODEUNIT_TYPE

KEY = "site"
HEARTBEAT = "2026-01-01T00:05:00Z"
ROUND_SECONDS = 300  # kubelet's longest Node status interval: every Node posts at least once in it
KIND_OF_RESOURCE = {  # what a customize rule's ``resource`` names, for the kind check Metacontroller makes
    "nodes": ("v1", "Node"),
    "nodeunits": (API_VERSION, "NodeUnit"),
    **{grid_resource(kind): (API_VERSION, kind.grid_kind) for kind in WORKLOAD_GRID_KINDS},
}


@dataclass
class Parent:
    """A Metacontroller parent as this simulation sees it: its route, cached rules and current request."""

    ref: str
    route: str
    rules: list[dict]
    request: dict
    request_bytes: int = 0


def rule_matches(rule: Mapping, obj: Mapping) -> bool:
    """Metacontroller's test for a changed related object: same apiVersion and kind, labels match."""
    api_version, kind = KIND_OF_RESOURCE[rule["resource"]]
    if obj.get("apiVersion") != api_version or obj.get("kind") != kind:
        return False
    return matches(rule.get("labelSelector") or {}, obj["metadata"].get("labels") or {})


def woken_by(parents: list[Parent], obj: Mapping) -> list[Parent]:
    return [p for p in parents if any(rule_matches(r, obj) for r in p.rules)]


def fleet(nodes: int, per_unit: int) -> dict:
    out = {}
    for i in range(nodes):
        name = f"edge-{i // per_unit:04d}-{i % per_unit}"
        out[name] = bench_node(name, f"site-{i // per_unit:04d}", ready=i % 20 != 0)
    return out


def heartbeat(node: dict, serial: int) -> dict:
    """The Node after one status post: new heartbeat times and resourceVersion, nothing else."""
    beat = {**node, "metadata": {**node["metadata"], "resourceVersion": str(200_000_000 + serial)}}
    conditions = [{**c, "lastHeartbeatTime": HEARTBEAT} for c in node["status"]["conditions"]]
    beat["status"] = {**node["status"], "conditions": conditions}
    return beat


def stored(desired: dict, uid: str, namespace: str | None, status: dict | None) -> dict:
    """An object as Metacontroller created it: last-applied annotation, owner, server metadata, status."""
    live = copy.deepcopy(desired)
    meta = live["metadata"]
    meta.setdefault("annotations", {})[METACONTROLLER_LAST_APPLIED] = orjson.dumps(desired).decode()
    meta["labels"]["controller-uid"] = uid
    name = meta["name"]
    meta.update(uid=f"{name}-uid", resourceVersion="4242", generation=1, creationTimestamp=STAMP)
    meta["ownerReferences"] = [{"apiVersion": API_VERSION, "kind": "Parent", "name": "p", "uid": uid}]
    if namespace:
        meta["namespace"] = namespace
    if status is not None:
        live["status"] = status
    return live


def workload_status(kind: WorkloadKind) -> dict:
    status = {f: 2 for f in kind.status_figures}
    status["observedGeneration"] = 1
    return status


FLEET_KINDS = (DEPLOYMENT, STATEFULSET)
"""The fleet's grids alternate between these (their template is a Deployment or StatefulSet spec)."""


def grid_parent(index: int, source: str) -> tuple[WorkloadKind, dict]:
    kind = FLEET_KINDS[index % len(FLEET_KINDS)]
    template = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": f"svc-{index}"}},
        "template": {
            "metadata": {"labels": {"app": f"svc-{index}"}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": f"registry.example.com/team/svc-{index}:1.4.2",
                        "ports": [{"containerPort": 8080}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                    }
                ]
            },
        },
    }
    if kind is STATEFULSET:
        template["serviceName"] = f"svc-{index}"
    meta = {"name": f"svc-{index}", "namespace": f"team-{index % 5}", "uid": f"grid-{index}", "generation": 1}
    spec = {"gridUniqKey": KEY, "template": template, "siteSource": source}
    return kind, {"apiVersion": API_VERSION, "kind": kind.grid_kind, "metadata": meta, "spec": spec}


def sync_request(parent: dict, children: dict, related: dict) -> dict:
    return {"controller": {}, "parent": parent, "children": children, "related": related, "finalizing": False}


def build_grids(count: int, source: str, nodes: dict, nodeunits: dict) -> list[tuple[WorkloadKind, dict, dict]]:
    """(kind, grid with status, observed children by ``namespace/name``) for ``count`` grids in steady state."""
    out = []
    for g in range(count):
        kind, parent = grid_parent(g, source)
        related = {NODEUNIT_TYPE: nodeunits} if source == "NodeUnits" else {"Node.v1": nodes}
        desired = workload_grid.sync(sync_request(parent, {kind.child_type: {}}, related), kind, STAMP)
        ns = parent["metadata"]["namespace"]
        lives = [stored(c, parent["metadata"]["uid"], ns, workload_status(kind)) for c in desired["children"]]
        observed = {f"{ns}/{c['metadata']['name']}": c for c in lives}
        steady = workload_grid.sync(sync_request(parent, {kind.child_type: observed}, related), kind, STAMP)
        out.append((kind, {**parent, "status": steady["status"]}, observed))
    return out


def nodegroup_request(nodes: dict, grids: list[dict], nodeunits: dict) -> dict:
    parent = {"apiVersion": API_VERSION, "kind": "NodeGroup", "metadata": {"name": "sites", "uid": "ng"}}
    parent["spec"] = {"gridUniqKey": KEY}
    related: dict = {"Node.v1": nodes, **{grid_type_key(k): {} for k in WORKLOAD_GRID_KINDS}}
    for grid in grids:
        meta = grid["metadata"]
        related[f"{grid['kind']}.{API_VERSION}"][f"{meta['namespace']}/{meta['name']}"] = grid
    return sync_request(parent, {NODEUNIT_TYPE: nodeunits}, related)


def stored_nodeunits(children: list[dict]) -> dict:
    return {c["metadata"]["name"]: stored(c, "ng", None, None) for c in children}


def parents_for(source: str, nodes: dict, nodeunits: dict, grid_count: int) -> list[Parent]:
    """The NodeGroup and ``grid_count`` grids with ``siteSource: source``, with rules from the real customize hooks."""
    grids = build_grids(grid_count, source, nodes, nodeunits)
    related = {NODEUNIT_TYPE: nodeunits} if source == "NodeUnits" else {"Node.v1": nodes}
    parents = []
    for kind, grid, observed in grids:
        rules = workload_grid.customize({"parent": grid}, kind)["relatedResources"]
        route = f"/{kind.grid_kind.lower()}/sync"
        request = sync_request(grid, {kind.child_type: observed}, related)
        parents.append(Parent(f"{kind.grid_kind}/{grid['metadata']['name']}", route, rules, request))
    ng_req = nodegroup_request(nodes, [g for _, g, _ in grids], nodeunits)
    ng_rules = nodegroup.customize(ng_req)["relatedResources"]
    parents.append(Parent("NodeGroup/sites", "/nodegroup/sync", ng_rules, ng_req))
    for p in parents:
        p.request_bytes = len(codec.dumps(p.request))
    return parents


def call_seconds(client, parent: Parent, repeat: int) -> float:
    """Best of ``repeat`` in-process HTTP calls (parse, hook, encode), in seconds."""
    body = codec.dumps(parent.request)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        resp = client.post(parent.route, data=body, content_type="application/json")
        times.append(time.perf_counter() - start)
        if resp.status_code != 200:
            raise SystemExit(f"{parent.ref}: {resp.status_code} {resp.get_data(as_text=True)[:200]}")
    return min(times)


@dataclass
class Tally:
    calls: int = 0
    bytes_in: int = 0

    def add(self, parent: Parent) -> None:
        self.calls += 1
        self.bytes_in += parent.request_bytes


def heartbeat_round(parents: list[Parent], nodes: dict) -> dict[str, Tally]:
    """Replay one status post of every Node; tally wake-ups by parent kind."""
    tallies: dict[str, Tally] = {}
    for serial, node in enumerate(nodes.values()):
        for parent in woken_by(parents, heartbeat(node, serial)):
            tallies.setdefault(parent.ref.split("/")[0], Tally()).add(parent)
    return tallies


def nodeunits_after_round(nodes: dict, grids: list[dict], nodeunits: dict) -> tuple[bytes, bytes, bytes, bytes]:
    """NodeGroup children and status bytes before and after every Node heartbeats once."""
    before = nodegroup.sync(nodegroup_request(nodes, grids, nodeunits), STAMP)
    beaten = {name: heartbeat(n, i) for i, (name, n) in enumerate(nodes.items())}
    after = nodegroup.sync(nodegroup_request(beaten, grids, nodeunits), STAMP)
    return (
        codec.dumps(before["children"]),
        codec.dumps(after["children"]),
        codec.dumps(before["status"]),
        codec.dumps(after["status"]),
    )


def mb(n: float) -> str:
    """Bytes in decimal units, sized to be readable."""
    if n < 1e6:
        return f"{n / 1e3:,.1f} KB"
    return f"{n / 1e6:,.1f} MB" if n < 1e9 else f"{n / 1e9:,.1f} GB"


def report_mode(label: str, parents: list[Parent], tallies: dict[str, Tally], seconds: dict[str, float]) -> None:
    """Per parent kind: wake-ups and their bytes, then what a coalescing work queue can actually run.

    Metacontroller's work queue holds a parent at most once and never syncs one
    parent twice at a time, so a parent whose sync takes ``t`` seconds runs at
    most ``ROUND_SECONDS / t`` times per round however often it is woken:
    beyond that, wake-ups merge and the parent is simply synced back to back.
    """
    wakeups = sum(t.calls for t in tallies.values())
    print(f"  siteSource: {label}: {wakeups:,} wake-ups, {mb(sum(t.bytes_in for t in tallies.values()))} per round")
    print(
        f"    {'parent kind':16s} {'n':>3s} {'wake-ups':>9s} {'request':>9s} {'bytes':>9s} {'ms/call':>8s}"
        f" {'runs':>7s} {'run bytes':>10s} {'CPU s':>7s}"
    )
    cpu_total = 0.0
    for kind in sorted({p.ref.split("/")[0] for p in parents}):
        mine = [p for p in parents if p.ref.startswith(kind + "/")]
        t = tallies.get(kind, Tally())
        each = t.calls // len(mine)
        runs = min(each, int(ROUND_SECONDS / seconds[kind])) * len(mine)
        cpu = runs * seconds[kind]
        cpu_total += cpu
        print(
            f"    {kind:16s} {len(mine):3d} {t.calls:9,} {mb(mine[0].request_bytes):>9s} {mb(t.bytes_in):>9s}"
            f" {seconds[kind] * 1000:8.1f} {runs:7,} {mb(runs * mine[0].request_bytes):>10s} {cpu:7,.0f}"
        )
    print(
        f"    hook CPU per {ROUND_SECONDS} s round (runs x ms/call): {cpu_total:,.0f} s"
        f" = {cpu_total / ROUND_SECONDS:.2f} cores"
    )


def scenario(nodes_count: int, args: argparse.Namespace) -> None:
    nodes = fleet(nodes_count, args.nodes_per_unit)
    units = nodes_count // args.nodes_per_unit
    print(f"{nodes_count:,} nodes, {units:,} units, {args.grids} grids, 1 NodeGroup (key {KEY!r})")
    first_ng = nodegroup.sync(nodegroup_request(nodes, [], {}), STAMP)
    nodeunits = stored_nodeunits(first_ng["children"])
    client = create_app(clock=lambda: STAMP, max_bytes=1 << 31).test_client()
    logging.getLogger("hooks").setLevel(logging.WARNING)  # one log line per call would drown the figures

    modes = {}
    for source in ("Nodes", "NodeUnits"):
        parents = parents_for(source, nodes, nodeunits, args.grids)
        seconds = {}
        for kind in ("DeploymentGrid", "StatefulSetGrid", "NodeGroup"):
            seconds[kind] = call_seconds(client, next(p for p in parents if p.ref.startswith(kind)), args.repeat)
        modes[source] = (parents, seconds)
        report_mode(source, parents, heartbeat_round(parents, nodes), seconds)

    same = [p.request["children"] for p in modes["Nodes"][0][:-1]] == [
        p.request["children"] for p in modes["NodeUnits"][0][:-1]
    ]
    grids = [p.request["parent"] for p in modes["NodeUnits"][0][:-1]]
    before, after, status_before, status_after = nodeunits_after_round(nodes, grids, nodeunits)
    writes = 0 if before == after else "some"
    print(f"  NodeUnits: {len(nodeunits):,} objects, {mb(len(before))}; NodeGroup sync before vs after the round:")
    print(f"    NodeUnit children bytes identical: {before == after} -> {writes} NodeUnit writes")
    print(f"    NodeGroup status bytes identical: {status_before == status_after}")
    print(f"  (grids' observed children identical in both modes: {same})")
    membership_change(modes, nodes, nodeunits, grids)


def membership_change(modes: dict, nodes: dict, nodeunits: dict, grids: list[dict]) -> None:
    """One node of a brand-new site joins: who is woken, in each mode."""
    newcomer = bench_node("edge-new-0", "site-new", ready=True)
    for source, (parents, _) in modes.items():
        direct = woken_by(parents, newcomer)
        line = f"  new site, siteSource {source}: the new Node wakes {len(direct)} parents"
        line += f" ({mb(sum(p.request_bytes for p in direct))})"
        if source == "NodeUnits":
            grown = {**nodes, "edge-new-0": newcomer}
            children = nodegroup.sync(nodegroup_request(grown, grids, nodeunits), STAMP)["children"]
            created = [c for c in children if c["metadata"]["name"] not in nodeunits]
            second = [p for c in created for p in woken_by(parents, stored(c, "ng", None, None))]
            grid_bytes = sum(p.request_bytes for p in second)
            line += (
                f"; the NodeGroup writes {len(created)} NodeUnit, which wakes {len(second)} grids ({mb(grid_bytes)})"
                " and its NodeGroup once more"
            )
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--nodes-per-unit", type=int, default=5)
    parser.add_argument("--grids", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2, help="timed calls per parent kind (best is kept)")
    args = parser.parse_args()
    for count in args.nodes:
        scenario(count, args)


if __name__ == "__main__":
    main()
