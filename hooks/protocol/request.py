"""Checks on the shape of Metacontroller's v2 hook requests.

Anything wrong here is Metacontroller's (or an impostor's) input, not the
user's spec, so it raises RequestError and the HTTP layer answers 4xx.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks.kube.errors import RequestError


def require_object(container: Mapping, key: str, where: str = "request") -> dict:
    value = container.get(key)
    if not isinstance(value, dict):
        raise RequestError(f"{where}.{key} must be a JSON object")
    return value


def parent_of(request: object, key: str = "parent") -> dict:
    """The request's parent object (or the one under ``key``), checked to carry metadata with a name."""
    if not isinstance(request, dict):
        raise RequestError("request body must be a JSON object")
    parent = require_object(request, key)
    meta = require_object(parent, "metadata", key)
    if not isinstance(meta.get("name"), str) or not meta["name"]:
        raise RequestError(f"{key}.metadata.name must be a non-empty string")
    return parent


def decorated_object(request: object) -> dict:
    """A DecoratorController request's object: ``object`` as Metacontroller sends it (v1 and v2), or ``parent``
    as some test tools and older docs name it."""
    if isinstance(request, dict) and "parent" not in request and "object" in request:
        return parent_of(request, "object")
    return parent_of(request)


def sync_parts(request: object) -> tuple[dict, dict, dict]:
    """(parent, children, related) of a v2 sync request."""
    parent = parent_of(request)
    children = require_object(request, "children")
    related = require_object(request, "related")
    for group in (children, related):
        for type_key, objects in group.items():
            if not isinstance(objects, dict):
                raise RequestError(f"request map entry {type_key!r} must be a JSON object")
    return parent, children, related


def objects_of(group: Mapping, type_key: str) -> list[dict]:
    """The objects of one ``Kind.group/version`` entry, skipping non-objects."""
    return [obj for obj in (group.get(type_key) or {}).values() if isinstance(obj, dict)]
