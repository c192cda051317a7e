"""Always-on checks against a real API server (no Metacontroller needed).

The API server accepts every CRD, manifest and example; every child the hooks render is created as
Metacontroller would create it, read back, and a new sync over the stored objects would make Metacontroller
change nothing (its own comparison rule, hooks/kube/metacontroller_apply.py); every status the hooks
write is accepted by the status subresource, survives the CRD's structural pruning unchanged, and a sync over
it is quiet.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.cluster import find_metacontroller_crds, kube_version, servicegroup_command
from e2e.examples import GRID_KINDS, example_docs, example_grids, example_sources, in_namespace
from e2e.hookclient import Hooks, child_types, object_key
from e2e.kube import Kube
from e2e.manifests import CONTROLLERS, CRDS, EXAMPLES, REPO, is_controller, load_docs
from e2e.procs import poll
from tests.support.metacontroller_apply import as_created, difference, go_equal, needs_update

# ---- acceptance ------------------------------------------------------------------------------------


def test_the_api_server_is_the_version_asked_for(kube: Kube) -> None:
    """The pinned version, or $SERVICEGROUP_E2E_KUBE_VERSION (the run on the oldest supported release):
    a claim "checked on 1.34" rests on this."""
    assert kube.request("GET", "/version")["gitVersion"] == kube_version()


@pytest.mark.parametrize("crd", sorted(p.name for p in CRDS.glob("*.yaml") if p.name != "kustomization.yaml"))
def test_crd_is_accepted_and_established(kube: Kube, crd: str) -> None:
    """The launcher applied crds/; each file is also a no-op server-side apply and its CRD is Established."""
    kube.kubectl("apply", "--server-side", "--dry-run=server", "-f", str(CRDS / crd))
    (doc,) = load_docs((CRDS / crd).read_text())
    stored = kube.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{doc['metadata']['name']}")
    conditions = {c["type"]: c["status"] for c in stored["status"]["conditions"]}
    assert conditions.get("Established") == "True" and conditions.get("NamesAccepted") == "True", conditions
    assert stored["status"]["acceptedNames"]["kind"] == doc["spec"]["names"]["kind"]


def _manifests(kube: Kube, controllers: bool) -> list[dict]:
    docs = load_docs(kube.kubectl("kustomize", str(CONTROLLERS)).stdout)
    return [d for d in docs if is_controller(d) == controllers and d["kind"] != "CustomResourceDefinition"]


def _dry_run_apply(kube: Kube, docs: list[dict]) -> None:
    """Client-side apply, dry run on the server, strict field validation (kubectl's default)."""
    out = kube.kubectl("apply", "--dry-run=server", "--validate=strict", "-f", "-", stdin=yaml.safe_dump_all(docs))
    assert out.stdout.count("(server dry run)") == len(docs), out.stdout


def test_shipped_manifests_are_accepted(kube: Kube) -> None:
    """Everything `kubectl apply -k metacontroller/` installs besides the controllers, as shipped."""
    docs = _manifests(kube, controllers=False)
    namespaces = [d for d in docs if d["kind"] == "Namespace"]
    kube.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(namespaces))  # dry runs need the namespace
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "ClusterRole"}
    _dry_run_apply(kube, docs)


def test_shipped_controllers_are_accepted(kube: Kube) -> None:
    """The CompositeControllers and the DecoratorController, as shipped, against Metacontroller's CRDs."""
    if not find_metacontroller_crds():
        pytest.skip("Metacontroller's CRDs not given: set SERVICEGROUP_METACONTROLLER_CRDS (see e2e/README.md)")
    docs = _manifests(kube, controllers=True)
    assert {d["kind"] for d in docs} == {"CompositeController", "DecoratorController"}
    _dry_run_apply(kube, docs)


@pytest.mark.parametrize("source", example_sources(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_is_accepted(kube: Kube, namespace: str, source: Path) -> None:
    """Every object of every example, created for real (server-side apply) in the test's namespace."""
    docs = example_docs(kube, source)
    objects = [in_namespace(d, namespace) for d in docs if d["kind"] != "Namespace"]
    assert objects, f"{source} has no objects"
    out = kube.kubectl("apply", "--server-side", "-f", "-", stdin=yaml.safe_dump_all(objects))
    assert out.stdout.count("serverside-applied") == len(objects), out.stdout
    for doc in docs:
        if doc["kind"] == "Namespace":
            _dry_run_apply(kube, [doc])


# ---- children and status ---------------------------------------------------------------------------


def _render(kube: Kube, grid: dict, nodes: list[dict], tmp_path: Path) -> list[dict]:
    """`servicegroup render` of the stored grid on the cluster's nodes (its public command line)."""
    grid_file, nodes_file = tmp_path / "grid.json", tmp_path / "nodes.json"
    grid_file.write_text(json.dumps(grid))
    nodes_file.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": nodes}))
    argv = [servicegroup_command(), "render", "-f", str(grid_file), "--nodes", str(nodes_file), "-o", "json"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["items"]


def _create_as_metacontroller(kube: Kube, grid: dict, children: list[dict]) -> list[dict]:
    """Create each child exactly as Metacontroller's create does, return them as stored."""
    stored = []
    for child in children:
        created = kube.create(as_created(child, grid))
        stored.append(kube.get(created["kind"], created["metadata"].get("namespace"), created["metadata"]["name"]))
    return stored


def _wait_observed(kube: Kube, children: list[dict]) -> list[dict]:
    """Children as stored once their controllers have seen them (status.observedGeneration current)."""

    def current() -> list[dict] | None:
        fresh = [kube.get(c["kind"], c["metadata"].get("namespace"), c["metadata"]["name"]) for c in children]
        workloads = [c for c in fresh if c["kind"] in ("Deployment", "StatefulSet")]
        seen = all(c.get("status", {}).get("observedGeneration") == c["metadata"]["generation"] for c in workloads)
        return fresh if seen else None

    return poll("children observed by their controllers", current, 60)


def _grid_with_children(kube: Kube, hooks: Hooks, nodes: list[dict], namespace: str, grid: dict, tmp_path: Path):
    """Apply the grid, render and create its children, return (stored grid, stored children)."""
    kube.kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(in_namespace(grid, namespace)))
    stored = kube.get(grid["kind"], namespace, grid["metadata"]["name"])
    rendered = _render(kube, stored, nodes, tmp_path)
    assert rendered, f"{grid['metadata']['name']} rendered no children on the example nodes"
    types = child_types(grid["kind"])
    assert all(f"{c['kind']}.{c['apiVersion']}" in types for c in rendered), "a child type the controller lacks"
    children = _wait_observed(kube, _create_as_metacontroller(kube, stored, rendered))
    # The grid's revision history is not printed by `servicegroup render`: create it from a sync, as
    # Metacontroller would on the first sync after the workloads.
    records = [c for c in hooks.sync(kube, stored, children)["children"] if c["kind"] == RECORD_KIND]
    assert all(f"{c['kind']}.{c['apiVersion']}" in types for c in records), "a child type the controller lacks"
    return stored, children + _create_as_metacontroller(kube, stored, records)


def _quiet_sync_failures(answer: dict, observed: list[dict], parent_uid: str) -> list[str]:
    """Why Metacontroller would act on this answer: children created, deleted or updated.

    A ControllerRevision's state label follows the units' readiness, which kwok changes meanwhile (the
    record of a revision every unit is ready on is marked Completed): the desired record is given the stored
    record's state; its immutable ``data`` and everything else are compared.
    """
    have = {object_key(c): c for c in observed}
    desired = {object_key(c): _state_of(have.get(object_key(c)), c) for c in answer["children"]}
    problems = [f"would create {k}" for k in desired.keys() - have.keys()]
    problems += [f"would delete {k}" for k in have.keys() - desired.keys()]
    for key in sorted(desired.keys() & have.keys()):
        if needs_update(have[key], desired[key], parent_uid):
            diff = "\n    ".join(difference(have[key], desired[key], parent_uid))
            problems.append(f"would update {have[key]['kind']} {key}:\n    {diff}")
    return problems


RECORD_KIND = "ControllerRevision"
RECORD_STATE = "superedge.io/revision-state"


def _state_of(stored: dict | None, desired: dict) -> dict:
    """``desired`` with a ControllerRevision's state label as ``stored`` has it (anything else as it is)."""
    if desired.get("kind") != RECORD_KIND or stored is None:
        return desired
    labels = {k: v for k, v in (desired["metadata"].get("labels") or {}).items() if k != RECORD_STATE}
    state = (stored["metadata"].get("labels") or {}).get(RECORD_STATE)
    if state is not None:
        labels[RECORD_STATE] = state
    return {**desired, "metadata": {**desired["metadata"], "labels": labels}}


def _grid_cases() -> list[Any]:
    return [pytest.param(grid, id=case_id) for case_id, grid in example_grids()]


@pytest.mark.parametrize("grid", _grid_cases())
def test_rendered_children_are_stable(kube, hooks, nodes, namespace, grid, tmp_path) -> None:
    """Children created as rendered, read back; a sync over the stored objects changes nothing."""
    assert grid["kind"] in GRID_KINDS
    stored, children = _grid_with_children(kube, hooks, nodes, namespace, grid, tmp_path)
    answer = hooks.sync(kube, stored, children)
    problems = _quiet_sync_failures(answer, children, stored["metadata"]["uid"])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("grid", [pytest.param(g, id=i) for i, g in example_grids()])
def test_children_draw_no_api_warnings(cluster, hooks, nodes, namespace, grid, tmp_path) -> None:
    """Creating the rendered children draws no Warning from the API server (deprecated fields, ...)."""
    kube = cluster.kube()  # its own client: only this test's warnings
    _grid_with_children(kube, hooks, nodes, namespace, grid, tmp_path)
    assert not kube.warnings, "\n".join(kube.warnings)


@pytest.mark.parametrize("grid", [pytest.param(g, id=i) for i, g in example_grids()])
def test_status_survives_the_status_subresource(kube, hooks, nodes, namespace, grid, tmp_path) -> None:
    """The status a sync answers is stored unchanged (no pruning, no defaulting) and a second sync is quiet."""
    stored, children = _grid_with_children(kube, hooks, nodes, namespace, grid, tmp_path)
    _check_status_round_trip(kube, hooks, stored, children)


def _check_status_round_trip(kube: Kube, hooks: Hooks, parent: dict, children: list[dict]) -> None:
    # One listing of the related objects for both syncs: a NodeGroup's status counts the grids of every
    # namespace, and other tests' namespaces come and go meanwhile.
    related = hooks.related(kube, parent)
    status = _status_as_written(hooks.sync(kube, parent, children, related), parent)
    written = kube.put_status({**parent, "status": status})
    meta = parent["metadata"]
    back = kube.get(parent["kind"], meta.get("namespace"), meta["name"])
    assert go_equal(back.get("status"), status), _status_diff(status, back.get("status"))
    assert go_equal(written.get("status"), status)
    # Metacontroller writes status only when it differs (composite/controller.go updateParentStatus):
    # a sync over the stored status must answer exactly what is stored, or every sync writes.
    again = _status_as_written(hooks.sync(kube, back, children, related), back)
    assert go_equal(again, back["status"]), _status_diff(back["status"], again)


def _status_as_written(answer: dict, parent: dict) -> dict:
    """The status Metacontroller writes: the hook's, plus observedGeneration = the parent's generation."""
    status = dict(answer.get("status") or {})
    status["observedGeneration"] = parent["metadata"]["generation"]
    return status


def _status_diff(sent: Any, stored: Any) -> str:
    return (
        f"sent:\n{json.dumps(sent, indent=1, sort_keys=True)}\nstored:\n{json.dumps(stored, indent=1, sort_keys=True)}"
    )


README_NODEGROUP = {
    "apiVersion": "superedge.io/v1",
    "kind": "NodeGroup",
    "metadata": {"name": "sites"},
    "spec": {"gridUniqKey": "site"},
}


def test_nodegroup_children_and_status(kube: Kube, hooks: Hooks, nodes: list[dict]) -> None:
    """The README's NodeGroup: its NodeUnits are created, read back, stable; its status survives."""
    group = {**README_NODEGROUP, "metadata": {"name": "e2e-api-sites"}}
    kube.kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(group))
    try:
        stored = kube.get("NodeGroup", None, group["metadata"]["name"])
        answer = hooks.sync(kube, stored, [])
        units = sorted({n["metadata"]["labels"]["site"] for n in nodes if "site" in n["metadata"]["labels"]})
        assert sorted(c["spec"]["unit"] for c in answer["children"]) == units
        children = _create_as_metacontroller(kube, stored, answer["children"])
        again = hooks.sync(kube, stored, children)
        problems = _quiet_sync_failures(again, children, stored["metadata"]["uid"])
        assert not problems, "\n".join(problems)
        _check_status_round_trip(kube, hooks, stored, children)
    finally:
        kube.delete("NodeGroup", None, group["metadata"]["name"])
