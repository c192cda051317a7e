"""Every hook route's answer to a fixed set of requests, and the offline render of the examples, as bytes.

tests/server/test_determinism.py runs this module (``python -m tests.support.determinism``) in processes with
different ``PYTHONHASHSEED`` values. Two hook-server replicas have different hash seeds, and Metacontroller
compares what they answer with what exists: an answer that followed the iteration order of a set of strings
would differ from replica to replica and rewrite children for nothing. Many units with mixed names make
such an order show.
"""

from __future__ import annotations

import contextlib
import io
import sys

from hooks.cli.main import main as cli
from hooks.server.app import hook_table
from tests.support.builders import NOW, children_map, deployment_spec, grid, node, observed, site_nodes, sync_request
from tests.support.nodegroup_builders import fleet, ng_request, node_group, workload_grid
from tests.support.nodeunit_builders import nodeunits_of, nu_request
from tests.support.service_builders import service_grid, service_sync_request, zone_request

UNITS = [f"site-{i:02d}" for i in range(20)] + [f"Zone_{i}" for i in range(10)] + ["x" * 63, "a.b", "9"]
CLI_RUNS = [
    ["render", "-f", "examples/shop/", "-f", "examples/overrides/", "--nodes", "examples/nodes.yaml", "-o", "json"],
    ["render", "-f", "examples/statefulsetgrid.yaml", "--nodes", "examples/nodes.yaml"],
    ["render", "--plan", "-f", "examples/rollout/deploymentgrid.yaml", "--nodes", "examples/rollout/nodes.yaml"],
    [
        "render",
        "-f",
        "examples/rollout/deploymentgrid.yaml",
        "--nodes",
        "examples/rollout/nodes.yaml",
        "--observed",
        "examples/rollout/observed.yaml",
        "--now",
        NOW,
    ],
]


def _nodes() -> dict:
    nodes = site_nodes(**dict.fromkeys(UNITS[:20], 2))
    for i, unit in enumerate(UNITS[20:]):
        nodes[f"z-{i}"] = node(f"z-{i}", {"site": unit, "ring": "canary" if i % 2 else "main"})
    return nodes


def _workload_requests(table: dict) -> list[tuple[str, dict]]:
    nodes = _nodes()
    steps = [{"units": UNITS[:3]}, {"nodeSelector": {"matchLabels": {"ring": "canary"}}, "maxUpdating": 2}]
    parent = grid(
        unitRemovalGracePeriodSeconds=600,
        overrides=[
            {"units": UNITS[5:12], "replicas": 3},
            {"units": ["Zone_1", "site-19"], "images": {"web": "nginx:1.28"}},
        ],
        rollout={"steps": steps, "maxUpdating": "25%", "progressDeadlineSeconds": 60},
    )
    first = table["/deploymentgrid/sync"](sync_request(parent, nodes), NOW)["children"]
    lives = children_map([observed(c, ready=i % 3 != 0) for i, c in enumerate(first)])
    changed = {**parent, "spec": {**parent["spec"], "template": deployment_spec(image="nginx:1.29")}}
    gone = {name: n for name, n in nodes.items() if not name.startswith(("site-04", "site-13"))}
    broken = grid(templates={u: f"missing-{i % 3}" for i, u in enumerate(UNITS[::2])})
    plain = table["/deploymentgrid/sync"](sync_request(grid(), nodes), NOW)["children"]
    moved = grid(template=deployment_spec(image="nginx:1.29"))  # no rollout: every unit's child is behind
    # ... and has been, long enough to be named (hooks.grids.applied); the records listed in reverse order
    moved["status"] = {"notAppliedSince": {u: "2025-12-31T00:00:00Z" for u in reversed(UNITS)}}
    return [
        ("/deploymentgrid/sync", sync_request(parent, nodes)),
        ("/deploymentgrid/sync", sync_request(changed, gone, lives)),
        ("/deploymentgrid/sync", sync_request(moved, nodes, children_map([observed(c) for c in plain]))),
        ("/deploymentgrid/sync", sync_request(broken, nodes, lives)),
        ("/statefulsetgrid/sync", sync_request(grid("StatefulSetGrid"), nodes, child_type="StatefulSet.apps/v1")),
        ("/deploymentgrid/customize", {"controller": {}, "parent": parent}),
    ]


def _site_requests(table: dict) -> list[tuple[str, dict]]:
    nodes = _nodes()
    health = fleet(down=("site-03-node-0", "site-07-node-1"), **dict.fromkeys(UNITS[:20], 2))
    grids = [
        workload_grid(ns, name, {u: (i + j) % 4 != 0 for j, u in enumerate(UNITS[:20])})
        for i, (ns, name) in enumerate([("shop", "web"), ("video", "encode"), ("db", "pg"), ("edge", "cache")])
    ]
    seen = nodeunits_of(health, grids=grids)
    fewer = {name: n for name, n in health.items() if not name.startswith("site-1")}
    partial = {name: nu for i, (name, nu) in enumerate(sorted(seen.items())) if i % 4}
    nu_parent = grid(siteSource="NodeUnits")
    nu_lives = children_map(
        [observed(c) for c in table["/deploymentgrid/sync"](nu_request(nu_parent, seen), NOW)["children"]]
    )
    return [
        ("/servicegrid/sync", service_sync_request(service_grid(), nodes)),
        ("/nodegroup/sync", ng_request(node_group(), fewer, grids, nodeunits=seen)),
        ("/nodegroup/customize", {"controller": {}, "parent": node_group()}),
        ("/deploymentgrid/sync", nu_request(nu_parent, partial, nu_lives)),
        ("/nodezone/sync", zone_request({"site": "Zone_3"})),
    ]


def answers() -> list[tuple[str, bytes]]:
    """(what, the exact bytes answered) for every request and every CLI run above."""
    from hooks.protocol import codec

    table = hook_table()
    out = [(route, codec.dumps(table[route](req, NOW))) for route, req in _workload_requests(table)]
    out += [(route, codec.dumps(table[route](req, NOW))) for route, req in _site_requests(table)]
    for argv in CLI_RUNS:
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = cli(argv)
        out.append((" ".join(argv), f"exit {code}\n{stderr.getvalue()}{stdout.getvalue()}".encode()))
    return out


def main() -> None:
    for what, body in answers():
        sys.stdout.buffer.write(what.encode() + b"\n" + body + b"\n")


if __name__ == "__main__":
    main()
