"""The project's manifests as the layer installs them: hook URLs pointed at the local hook server."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

REPO = Path(__file__).resolve().parent.parent
CRDS = REPO / "crds"
CONTROLLERS = REPO / "metacontroller"
EXAMPLES = REPO / "examples"

# The in-cluster hook server (its Deployment, Service, PodDisruptionBudget and NetworkPolicy) is not
# installed: the layer runs the hook server on the host under gunicorn, where the tests can stop it, read
# its log and count its calls. In the cluster its pods would only be fake kwok pods (no image ever runs)
# that land on the tests' site nodes and add pods the scenarios did not ask for.
HOOK_SERVER_NAME = "servicegroup-hooks"


def load_docs(text: str) -> list[dict[str, Any]]:
    """Every non-empty YAML document of ``text``, with List objects flattened to their items."""
    docs: list[dict[str, Any]] = []
    for doc in yaml.safe_load_all(text):
        if not doc:
            continue
        if doc.get("kind") == "List":
            docs.extend(doc.get("items") or [])
        else:
            docs.append(doc)
    return docs


def is_hook_server_object(doc: dict[str, Any]) -> bool:
    return doc["metadata"].get("name") == HOOK_SERVER_NAME and doc["kind"] != "Namespace"


def hook_paths(doc: dict[str, Any]) -> list[str]:
    """The URL paths of every webhook of a Composite/DecoratorController."""
    hooks = doc.get("spec", {}).get("hooks", {})
    return [urlsplit(h["webhook"]["url"]).path for h in hooks.values() if "webhook" in h]


def with_local_hooks(doc: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A copy of a controller manifest whose webhook URLs keep their path but point at ``base_url``."""
    out = copy.deepcopy(doc)
    for hook in out.get("spec", {}).get("hooks", {}).values():
        if "webhook" in hook:
            hook["webhook"]["url"] = base_url + urlsplit(hook["webhook"]["url"]).path
    return out


def node_summary_decorators(base_url: str) -> list[dict[str, Any]]:
    """The node summary decorators (the ready mark's and the summary's) as a user applies them, on their own
    (they are not in the kustomization), with their hooks pointed at ``base_url``."""
    docs = load_docs((CONTROLLERS / "nodesummary-decorator.yaml").read_text())
    return [with_local_hooks(doc, base_url) for doc in docs]


def is_controller(doc: dict[str, Any]) -> bool:
    return doc.get("apiVersion", "").startswith("metacontroller.k8s.io/")


def sync_route(kind: str) -> str:
    """The sync hook path of the controller whose parent is ``kind`` (from the shipped manifests)."""
    return _routes()[kind]["sync"]


def customize_route(kind: str) -> str | None:
    return _routes()[kind].get("customize")


def _routes() -> dict[str, dict[str, str]]:
    """Parent kind -> hook name -> path, read from the shipped controller manifests."""
    plural_to_kind = {
        "deploymentgrids": "DeploymentGrid",
        "statefulsetgrids": "StatefulSetGrid",
        "servicegrids": "ServiceGrid",
        "nodegroups": "NodeGroup",
        "nodes": "Node",
    }
    routes: dict[str, dict[str, str]] = {}
    for path in sorted(CONTROLLERS.glob("*.yaml")):
        for doc in load_docs(path.read_text()):
            if not is_controller(doc):
                continue
            spec = doc["spec"]
            parent = spec.get("parentResource") or spec["resources"][0]
            hooks = spec["hooks"]
            routes[plural_to_kind[parent["resource"]]] = {
                name: urlsplit(h["webhook"]["url"]).path for name, h in hooks.items() if "webhook" in h
            }
    return routes
