"""Upgrading from an earlier release on a real cluster: every child stays (0 created, 0 deleted).

The earlier release is taken from this repository's history (``git archive``): its CRDs, controllers and
hook server are installed and run first, grids of every mode get their children, and then the README's
upgrade is done (CRDs, then the controllers and the hook server). Its revision history (ControllerRevisions)
and the NodeUnits' readiness appear; no Deployment, Service or NodeUnit is created or deleted, and every
one keeps its uid. Skipped without Metacontroller, or when the earlier release is not in the history.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from e2e.cluster import Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.manifests import REPO
from e2e.observe import audit_mark, child_writes, hold
from e2e.procs import poll
from e2e.scenario import (
    apply,
    deployment_template,
    grid,
    node_group,
    owned,
    service_grid,
    site_nodes,
    uids,
    unique,
    wait_ready,
)

PREVIOUS = os.environ.get("SERVICEGROUP_E2E_PREVIOUS", "e7e96951419194266bf283aaacd93a1890b0d663")
"""The earlier release: the commit of `main` the 0.2.0 rollout work (ControllerRevisions, readiness in
NodeUnits) started from. Any commit or tag of the history can be given."""


def previous_release(into: Path) -> Path:
    """The earlier release's hooks, CRDs and controllers, extracted from git into ``into``."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", PREVIOUS, "hooks", "crds", "metacontroller"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.skip(f"the earlier release {PREVIOUS} is not in this repository's history: {archive.stderr!r}")
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def records(kube: Kube, namespace: str, grid_name: str) -> list[dict]:
    listed = kube.kubectl(
        "-n", namespace, "get", "controllerrevisions", "-l", f"superedge.io/grid-selector={grid_name}", "-o", "json"
    )
    return json.loads(listed.stdout)["items"]


def test_upgrading_from_the_earlier_release_creates_and_deletes_no_child(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str, tmp_path: Path
) -> None:
    earlier = previous_release(tmp_path / "earlier")
    key = unique("e2e-upgrade")
    try:
        metacontroller.stop_hooks()
        metacontroller.start_hooks(code=earlier)
        metacontroller.install(earlier)
        site_nodes(make_node, key, {"alpha": 1, "beta": 1})
        rollout = {"steps": [{"name": "canary", "units": ["alpha"]}], "progressDeadlineSeconds": 60}
        apply(
            kube,
            node_group(key),
            grid("DeploymentGrid", "web", namespace, key, deployment_template("web"), rollout=rollout),
            grid("DeploymentGrid", "units", namespace, key, deployment_template("units"), siteSource="NodeUnits"),
            service_grid("web", namespace, key, "web"),
        )
        wait_ready(kube, "DeploymentGrid", namespace, "web", units=2)
        wait_ready(kube, "DeploymentGrid", namespace, "units", units=2)
        poll("the earlier release keeps no history", lambda: records(kube, namespace, "web") == [], 5)
        before = {
            **uids(owned(kube, "Deployment", namespace, "web")),
            **uids(owned(kube, "Deployment", namespace, "units")),
            **uids(owned(kube, "Service", namespace, "web")),
        }
        of_key = kube.list("NodeUnit", None, f"superedge.io/unit-key={key}")
        assert len(of_key) == 2 and not any("readySince" in n["spec"] for n in of_key)  # the earlier hooks served
        nodeunits = {n["metadata"]["name"]: n["metadata"]["uid"] for n in kube.list("NodeUnit", None)}
        assert len(before) == 7, before  # two Deployments per grid, the shared Service and one per site
        mark = audit_mark(metacontroller)
    finally:  # the README's upgrade: CRDs, then the controllers and the hook server (this release's)
        metacontroller.install()
        metacontroller.stop_hooks()
        metacontroller.start_hooks()

    for name in ("web", "units"):
        poll(f"{name}'s revision recorded and completed", lambda n=name: _completed(records(kube, namespace, n)), 90)
    poll(
        "the NodeUnits of the key say since when their site is Ready",
        lambda: all("readySince" in n["spec"] for n in kube.list("NodeUnit", None, f"superedge.io/unit-key={key}")),
        60,
    )
    hold(
        "every child keeps its uid after the upgrade",
        lambda: (
            None
            if {
                **uids(owned(kube, "Deployment", namespace, "web")),
                **uids(owned(kube, "Deployment", namespace, "units")),
                **uids(owned(kube, "Service", namespace, "web")),
            }
            == before
            else "a child was replaced"
        ),
        seconds=10,
    )
    writes = child_writes(mark, namespace, frozenset({"deployments", "services"}))
    writes += child_writes(mark, None, frozenset({"nodeunits"}))
    assert not [w for w in writes if w.startswith(("create", "delete"))], writes
    after = {n["metadata"]["name"]: n["metadata"]["uid"] for n in kube.list("NodeUnit", None)}
    assert {k: v for k, v in after.items() if k in nodeunits} == nodeunits


def _completed(found: list[dict]) -> bool:
    return len(found) == 1 and found[0]["metadata"]["labels"].get("superedge.io/revision-state") == "Completed"
