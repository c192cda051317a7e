"""Calls the running hook server the way Metacontroller does (v2 requests, docs/metacontroller.md).

The request is built from what the API server stores: the parent as stored, its observed children, and
the related objects the customize hook asks for, listed with the API server's own label selection.
"""

from __future__ import annotations

from typing import Any

import requests

from e2e.kube import RESOURCES, Kube
from e2e.manifests import CONTROLLERS, is_controller, load_docs

_PLURAL_TO_KIND = {plural: kind for kind, (_, plural, _) in RESOURCES.items()}


def type_key(kind: str, api_version: str) -> str:
    """v2 map key of a type: ``Kind.group/version``, core types ``Kind.version`` (e.g. ``Node.v1``)."""
    return f"{kind}.{api_version}"


def object_key(obj: dict) -> str:
    """v2 map key of an object: ``namespace/name``, or ``name`` when cluster-scoped."""
    meta = obj["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]


def controller_manifest(parent_kind: str) -> dict:
    """The shipped CompositeController whose parent is ``parent_kind``."""
    for path in sorted(CONTROLLERS.glob("*.yaml")):
        for doc in load_docs(path.read_text()):
            if doc.get("kind") != "CompositeController" or not is_controller(doc):
                continue
            if _PLURAL_TO_KIND.get(doc["spec"]["parentResource"]["resource"]) == parent_kind:
                return doc
    raise KeyError(f"no CompositeController for {parent_kind} in {CONTROLLERS}")


def child_types(parent_kind: str) -> dict[str, tuple[str, str]]:
    """Type key -> (kind, apiVersion) of every child type the controller declares."""
    out = {}
    for child in controller_manifest(parent_kind)["spec"]["childResources"]:
        kind = _PLURAL_TO_KIND[child["resource"]]
        out[type_key(kind, child["apiVersion"])] = (kind, child["apiVersion"])
    return out


def hook_path(parent_kind: str, hook: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(controller_manifest(parent_kind)["spec"]["hooks"][hook]["webhook"]["url"]).path


class Hooks:
    """A client of one hook server."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.trust_env = False

    def post(self, path: str, body: dict) -> dict:
        response = self.session.post(self.base_url + path, json=body, timeout=30)
        if response.status_code != 200:
            raise AssertionError(f"POST {path}: HTTP {response.status_code}: {response.text[:2000]}")
        return response.json()

    def related(self, kube: Kube, parent: dict) -> dict[str, dict[str, dict]]:
        """The related objects Metacontroller would send: each customize rule listed from the API server."""
        answer = self.post(hook_path(parent["kind"], "customize"), {"controller": {}, "parent": parent})
        related: dict[str, dict[str, dict]] = {}
        for rule in answer.get("relatedResources") or []:
            kind = _PLURAL_TO_KIND[rule["resource"]]
            items = kube.list(kind, selector=rule.get("labelSelector"))
            group = related.setdefault(type_key(kind, rule["apiVersion"]), {})
            for item in items:
                item.setdefault("apiVersion", rule["apiVersion"])
                item.setdefault("kind", kind)
                group[object_key(item)] = item
        return related

    def sync(self, kube: Kube, parent: dict, children: list[dict], related: dict | None = None) -> dict[str, Any]:
        """One sync call with ``parent`` and its observed ``children`` as the API server stores them.

        ``related`` (from :meth:`related`) pins the related objects, so two calls can compare answers while
        other tests change the cluster; by default they are listed now."""
        observed: dict[str, dict[str, dict]] = {key: {} for key in child_types(parent["kind"])}
        for child in children:
            observed[type_key(child["kind"], child["apiVersion"])][object_key(child)] = child
        request = {
            "controller": controller_manifest(parent["kind"]),
            "parent": parent,
            "children": observed,
            "related": self.related(kube, parent) if related is None else related,
            "finalizing": False,
        }
        return self.post(hook_path(parent["kind"], "sync"), request)
