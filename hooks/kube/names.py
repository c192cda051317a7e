"""Kubernetes name and label rules, and the safe child-name scheme.

Child names must be DNS-1035 labels; unit values are label values, which may
hold characters (upper case, ``_``, ``.``) a name may not. When the natural
``<parent>-<unit>`` is not a valid name, a deterministic fallback keeps a
readable prefix and appends a hash of the parent's name *and* the unit value
(:func:`pair_hash`), so neither two units of one parent nor the same unit of two
parents share a fallback name, and the same pair always gets the same one.

Release 0.1.0 hashed the unit value alone, so two parents whose names share a long
prefix named their children for one unit alike. A child that exists under that
older name keeps it (:func:`child_names`): an upgrade renames nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")

NAME_MAX = 63
STATEFULSET_NAME_MAX = 52  # pods add "-<controller-revision-hash>" to the name
HASH_LEN = 8


def is_dns1035_label(name: str, max_len: int = NAME_MAX) -> bool:
    return len(name) <= max_len and DNS1035_LABEL.match(name) is not None


def is_dns1123_subdomain(name: str) -> bool:
    if not name or len(name) > 253:
        return False
    return all(DNS1123_LABEL.match(part) for part in name.split("."))


def is_label_value(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 63 and LABEL_VALUE.match(value) is not None


def label_key_error(key: object) -> str | None:
    """Why ``key`` is not a valid label key, or None when it is."""
    if not isinstance(key, str) or not key:
        return "must be a non-empty string"
    return _label_key_error(key)


@lru_cache(maxsize=4096)
def _label_key_error(key: str) -> str | None:
    """Cached: the selector and labels of every unit's child repeat the same few keys."""
    prefix, slash, name = key.rpartition("/")
    if slash and not is_dns1123_subdomain(prefix):
        return f"prefix {prefix!r} is not a DNS subdomain"
    if len(name) > 63 or not LABEL_NAME.match(name):
        return f"name part {name!r} must be 1-63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric"
    return None


NameOf = Callable[[str], str]
"""unit -> the name of that unit's child (one parent's naming rule in one sync)."""


def short_hash(text: str) -> str:
    """The first 8 hex digits of sha256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LEN]


def pair_hash(parent: str, unit: str) -> str:
    """The first 8 hex digits of sha256 of ``parent``, a NUL byte and ``unit`` (UTF-8).

    Neither a name nor a label value can hold NUL, so the pair is read back unambiguously:
    ``("ab", "c")`` and ``("a", "bc")`` hash differently. By hand:
    ``printf '%s\\0%s' web Shanghai_01 | sha256sum | cut -c1-8``.
    """
    return short_hash(f"{parent}\0{unit}")


def sanitize(text: str) -> str:
    """Lower-case ``text`` and squeeze anything not allowed in a DNS-1035 label into ``-``."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower())
    return re.sub(r"-{2,}", "-", cleaned)


def child_name(base: str, unit: str, max_len: int = NAME_MAX) -> str:
    """Name of the child of ``base`` for ``unit``: ``base-unit``, or a readable prefix and :func:`pair_hash`."""
    natural = f"{base}-{unit}"
    if is_dns1035_label(natural, max_len):
        return natural
    return hashed_name(natural, pair_hash(base, unit), max_len)


def legacy_child_name(base: str, unit: str, max_len: int = NAME_MAX) -> str:
    """The name release 0.1.0 gave the child of ``base`` for ``unit``: its fallback hashed the unit alone."""
    natural = f"{base}-{unit}"
    if is_dns1035_label(natural, max_len):
        return natural
    return hashed_name(natural, short_hash(unit), max_len)


@dataclass(frozen=True)
class ChildNames:
    """The name of each unit's child of one parent in one sync (call it with the unit).

    :func:`child_name`, except for a unit whose child was observed under its 0.1.0 name
    (``kept``: unit -> that name), which keeps it: renaming would delete the child and create it again.
    """

    base: str
    max_len: int = NAME_MAX
    kept: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, unit: str) -> str:
        return self.kept.get(unit) or child_name(self.base, unit, self.max_len)


def child_names(base: str, observed: Mapping[str, str], max_len: int = NAME_MAX) -> ChildNames:
    """The naming rule of ``base``'s children, given its observed children: child name -> the unit it is for.

    An observed child keeps its name when that is its unit's 0.1.0 name and differs from today's; the
    caller tells which unit a child is for from what the child itself says (its unit label, a NodeUnit's
    ``spec.unit``), so a child is never taken for another unit's.
    """
    kept = {
        unit: name
        for name, unit in observed.items()
        if name == legacy_child_name(base, unit, max_len) and name != child_name(base, unit, max_len)
    }
    return ChildNames(base, max_len, kept)


def suffixed_name(base: str, suffix: str, max_len: int = NAME_MAX) -> str:
    """``base-suffix`` (one child per grid, e.g. the shared Service) or a fallback hashed on ``base``.

    The hash is taken over ``base`` so that two grids whose names sanitise alike
    still get distinct names.
    """
    natural = f"{base}-{suffix}"
    if is_dns1035_label(natural, max_len):
        return natural
    return hashed_name(natural, short_hash(base), max_len)


def hashed_name(natural: str, suffix: str, max_len: int = NAME_MAX) -> str:
    """Readable prefix of ``natural`` (sanitised, truncated, no leading digit) plus ``-`` and ``suffix``."""
    prefix = sanitize(natural)[: max_len - len(suffix) - 1].strip("-")
    prefix = prefix.lstrip("0123456789-")
    return f"{prefix}-{suffix}" if prefix else f"u-{suffix}"


def label_safe(value: str) -> str:
    """``value`` if it is a valid label value, else a valid, deterministic stand-in for it."""
    if is_label_value(value):
        return value
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", value)[: 63 - HASH_LEN - 1].strip("-_.")
    suffix = short_hash(value)
    return f"{cleaned}-{suffix}" if cleaned else suffix
