"""Tolerant reads of Kubernetes objects as they arrive in requests.

Observed objects come from the API server and are well-formed in practice,
but a hook must never answer 5xx on odd input: these accessors treat a
missing or wrongly typed field as absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EMPTY: Mapping[str, Any] = {}


def mapping(obj: object, key: str) -> Mapping[str, Any]:
    """``obj[key]`` when both are mappings, else an empty mapping.

    JSON gives dicts, so ``dict`` is tested first: a plain type check, where ``Mapping`` alone goes through the
    ABC machinery, and this runs tens of thousands of times per sync of a large fleet.
    """
    if isinstance(obj, (dict, Mapping)):
        value = obj.get(key)
        if isinstance(value, (dict, Mapping)):
            return value
    return EMPTY


def integer(obj: Mapping, key: str, default: int | None = None) -> int | None:
    """``obj[key]`` when it is an int (bools excluded), else ``default``."""
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def string_map(obj: Mapping, key: str) -> dict[str, str]:
    """The string-valued entries of a label/annotation-like map."""
    return {k: v for k, v in mapping(obj, key).items() if isinstance(k, str) and isinstance(v, str)}


def holds_null(value: object) -> bool:
    """Whether ``value`` is or contains a JSON null.

    The API server drops nulls from what it stores, so a desired object holding one never equals the live
    object and Metacontroller would update it on every sync (docs/metacontroller.md, three-way merge).
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if item is None:
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


_OBJECT_ONLY_FIELDS = ("apiVersion", "kind", "metadata")


def pasted_object_error(template: Mapping, field: str, kind: str) -> str | None:
    """Why ``template`` is a whole object rather than the ``kind`` spec ``field`` must hold, or None.

    Pasting a whole Deployment (``apiVersion``, ``kind``, ``metadata``, ``spec``) under ``template`` is the
    commonest grid mistake; without this, it is reported as whatever check fails first deep inside
    (``containers: must be a non-empty list``), which does not point at the cause.
    """
    if "spec" not in template or not any(key in template for key in _OBJECT_ONLY_FIELDS):
        return None
    found = template.get("kind")
    what = found if isinstance(found, str) and found else "whole object"
    article = "a" if what == "whole object" or what[0].lower() not in "aeiou" else "an"
    return f"{field} must be a {kind} spec, not {article} {what}: put the fields of its 'spec' directly under {field}"


def with_annotation(obj: Mapping, key: str, value: str) -> dict:
    """``obj`` with one annotation set, copying only the path to it (metadata, annotations); the rest of
    ``obj`` is shared, and ``obj`` itself is not changed."""
    meta = mapping(obj, "metadata")
    return {**obj, "metadata": {**meta, "annotations": {**mapping(meta, "annotations"), key: value}}}
