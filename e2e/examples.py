"""The project's examples as the layer applies them: into a test's own namespace."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from e2e.kube import Kube
from e2e.manifests import EXAMPLES, load_docs
from hooks.grids import grid_kinds

GRID_KINDS = tuple(grid_kinds.GRID_KINDS)
NODES_FILE = EXAMPLES / "nodes.yaml"  # input for `servicegroup render`, not an object set to apply
RENDER_INPUTS = ("nodes.yaml", "observed.yaml", "observed-*.yaml")
"""File names that hold `servicegroup render` inputs (Nodes, live children) in any example folder: applying
them would add sites or workloads every other test of the shared cluster would see."""


def is_render_input(path: Path) -> bool:
    return any(path.match(pattern) for pattern in RENDER_INPUTS)


def example_sources() -> list[Path]:
    """Every example: a kustomization folder as one source, every other YAML file by itself."""
    sources: list[Path] = []
    for path in sorted(EXAMPLES.rglob("*.y*ml")):
        if is_render_input(path) or (path.parent != EXAMPLES and (path.parent / "kustomization.yaml").exists()):
            continue
        sources.append(path)
    sources += sorted(p.parent for p in EXAMPLES.rglob("kustomization.yaml"))
    return sources


def example_docs(kube: Kube, source: Path) -> list[dict[str, Any]]:
    """The objects of one example (kustomize folders built by kubectl's kustomize)."""
    if source.is_dir():
        return load_docs(kube.kubectl("kustomize", str(source)).stdout)
    return load_docs(source.read_text())


def example_grids() -> list[tuple[str, dict[str, Any]]]:
    """(id, grid) for every grid object in every example file."""
    out = []
    for path in sorted(EXAMPLES.rglob("*.y*ml")):
        if is_render_input(path):
            continue
        for doc in load_docs(path.read_text()):
            if doc.get("kind") in GRID_KINDS:
                out.append((f"{path.relative_to(EXAMPLES)}:{doc['metadata']['name']}", doc))
    return out


def in_namespace(doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    """A copy of a namespaced object moved into ``namespace``."""
    out = copy.deepcopy(doc)
    out["metadata"]["namespace"] = namespace
    return out


def example_nodes() -> list[dict[str, Any]]:
    """The Nodes of examples/nodes.yaml as objects to create (status is kwok's to write)."""
    nodes = []
    for doc in load_docs(NODES_FILE.read_text()):
        meta = doc["metadata"]
        nodes.append(
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": meta["name"], "labels": meta.get("labels", {})}}
        )
    return nodes
