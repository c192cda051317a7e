"""Fields of an object that a structural schema does not declare: what the API server would prune.

``servicegroup render`` runs offline, where no API server refuses ``imagePullPolicey``; this walk reports
the same unknown fields kubectl's strict field validation refuses, each with the declared field the user
probably meant. Plain data in, plain data out: the schema is a CRD's ``openAPIV3Schema`` (or part of it).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

_PRESERVE = "x-kubernetes-preserve-unknown-fields"
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class UnknownField:
    """One undeclared field: its path (kubectl's notation) and the closest declared name, if any is close."""

    path: str
    suggestion: str | None = None

    def __str__(self) -> str:
        hint = f" (did you mean {self.suggestion}?)" if self.suggestion else ""
        return f"unknown field {self.path}{hint}"


def unknown_fields(value: object, schema: Mapping, path: str) -> list[UnknownField]:
    """Every field in ``value`` that ``schema`` does not declare, in document order."""
    return list(_walk(value, schema, path))


def _walk(value: object, schema: Mapping, path: str) -> Iterator[UnknownField]:
    if isinstance(value, Mapping):
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            for key, item in value.items():
                if key in properties:
                    yield from _walk(item, properties[key], _join(path, key))
                elif not schema.get(_PRESERVE):
                    yield UnknownField(_join(path, key), suggest(str(key), properties))
        elif isinstance(schema.get("additionalProperties"), Mapping):
            for key, item in value.items():
                yield from _walk(item, schema["additionalProperties"], _join(path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            yield from _walk(item, schema["items"], f"{path}[{index}]")


def suggest(key: str, known: Mapping | list) -> str | None:
    """The declared name ``key`` most likely stands for: same letters in another case, else a close spelling."""
    names = [str(name) for name in known]
    for name in names:
        if name.lower() == key.lower():
            return name
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.75)
    if close:
        return close[0]
    longer = [name for name in names if name.startswith(key) and len(key) >= 6]  # unitRemovalGracePeriod
    return longer[0] if len(longer) == 1 else None


def _join(path: str, key: object) -> str:
    text = str(key)
    if _PLAIN_KEY.match(text):
        return f"{path}.{text}" if path else text
    return f"{path}[{text}]"


def pruned(value: object, schema: Mapping) -> object:
    """``value`` without the fields ``schema`` does not declare: what the API server stores for a CRD object.

    A copy; ``value`` is left as it is. Objects with ``x-kubernetes-preserve-unknown-fields`` keep everything.
    """
    if isinstance(value, Mapping):
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            keep = schema.get(_PRESERVE)
            return {
                k: pruned(v, properties[k]) if k in properties else v
                for k, v in value.items()
                if k in properties or keep
            }
        if isinstance(schema.get("additionalProperties"), Mapping):
            return {k: pruned(v, schema["additionalProperties"]) for k, v in value.items()}
        return dict(value)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [pruned(item, schema["items"]) for item in value]
    return value
