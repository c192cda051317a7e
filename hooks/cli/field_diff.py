"""Field-by-field differences between two versions of one object: what was added, changed and removed.

Lists whose items share one of Metacontroller's merge keys (containers by ``name``, ports by ``port``...)
are compared item by item under that key, so one changed container reads as one change of that container,
not as a replaced list; other lists are compared by position.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from hooks.kube.metacontroller_apply import go_equal, list_map_key

ADDED, CHANGED, REMOVED = "+", "~", "-"
SHOWN_CHARACTERS = 160
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class Change:
    """One field: ``sign`` is ADDED, CHANGED or REMOVED; ``old``/``new`` are None where absent."""

    sign: str
    path: str
    old: Any = None
    new: Any = None

    def line(self) -> str:
        if self.sign == ADDED:
            return f"+ {self.path}: {shown(self.new)}"
        if self.sign == REMOVED:
            return f"- {self.path}: {shown(self.old)}"
        return f"~ {self.path}: {shown(self.old)} -> {shown(self.new)}"


def field_changes(old: Any, new: Any, path: str = "") -> list[Change]:
    """Every field where ``new`` differs from ``old``, in a stable order (keys sorted, list items in order)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return _object_changes(old, new, path)
    if isinstance(old, list) and isinstance(new, list):
        key = list_map_key(old, new)
        return _keyed_changes(old, new, path, key) if key else _positional_changes(old, new, path)
    return [] if go_equal(old, new) else [Change(CHANGED, path or ".", old, new)]


def _object_changes(old: dict, new: dict, path: str) -> list[Change]:
    out: list[Change] = []
    for key in sorted(old.keys() | new.keys(), key=str):
        sub = field_path(path, key)
        if key not in new:
            out.append(Change(REMOVED, sub, old=old[key]))
        elif key not in old:
            out.append(Change(ADDED, sub, new=new[key]))
        else:
            out += field_changes(old[key], new[key], sub)
    return out


def _keyed_changes(old: list, new: list, path: str, key: str) -> list[Change]:
    before = {str(item[key]): item for item in old}
    after = {str(item[key]): item for item in new}
    out: list[Change] = []
    for name in [*before, *(n for n in after if n not in before)]:
        sub = f"{path}[{key}={name}]"
        if name not in after:
            out.append(Change(REMOVED, sub, old=before[name]))
        elif name not in before:
            out.append(Change(ADDED, sub, new=after[name]))
        else:
            out += field_changes(before[name], after[name], sub)
    return out


def _positional_changes(old: list, new: list, path: str) -> list[Change]:
    out: list[Change] = []
    for i in range(max(len(old), len(new))):
        sub = f"{path}[{i}]"
        if i >= len(new):
            out.append(Change(REMOVED, sub, old=old[i]))
        elif i >= len(old):
            out.append(Change(ADDED, sub, new=new[i]))
        else:
            out += field_changes(old[i], new[i], sub)
    return out


def field_path(parent: str, key: object) -> str:
    """``spec.replicas``; a key with dots or slashes in brackets: ``metadata.labels["superedge.io/x"]``."""
    text = str(key)
    if _PLAIN_KEY.match(text):
        return f"{parent}.{text}" if parent else text
    return f"{parent}[{json.dumps(text)}]"


def shown(value: Any) -> str:
    """A value on one line as JSON, cut after SHOWN_CHARACTERS characters."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"
