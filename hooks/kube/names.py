"""Kubernetes name and label rules, and the safe child-name scheme.

Child names must be DNS-1035 labels; unit values are label values, which may
hold characters (upper case, ``_``, ``.``) a name may not. When the natural
``<grid>-<unit>`` is not a valid name, a deterministic fallback keeps a
readable prefix and appends a hash of the unit value, so two units never share
a name and the same unit always gets the same one.
"""

from __future__ import annotations

import hashlib
import re

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
    prefix, slash, name = key.rpartition("/")
    if slash and not is_dns1123_subdomain(prefix):
        return f"prefix {prefix!r} is not a DNS subdomain"
    if len(name) > 63 or not LABEL_NAME.match(name):
        return f"name part {name!r} must be 1-63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric"
    return None


def unit_hash(unit: str) -> str:
    return hashlib.sha256(unit.encode()).hexdigest()[:HASH_LEN]


def sanitize(text: str) -> str:
    """Lower-case ``text`` and squeeze anything not allowed in a DNS-1035 label into ``-``."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower())
    return re.sub(r"-{2,}", "-", cleaned)


def child_name(base: str, unit: str, max_len: int = NAME_MAX) -> str:
    """Name of the child of ``base`` for ``unit``: ``base-unit`` or its hashed fallback."""
    natural = f"{base}-{unit}"
    if is_dns1035_label(natural, max_len):
        return natural
    return hashed_name(natural, unit, max_len)


def suffixed_name(base: str, suffix: str, max_len: int = NAME_MAX) -> str:
    """``base-suffix`` (one child per grid, e.g. the shared Service) or a fallback hashed on ``base``.

    The hash is taken over ``base`` so that two grids whose names sanitise alike
    still get distinct names.
    """
    natural = f"{base}-{suffix}"
    if is_dns1035_label(natural, max_len):
        return natural
    return hashed_name(natural, base, max_len)


def hashed_name(natural: str, hash_source: str, max_len: int = NAME_MAX) -> str:
    """Readable prefix of ``natural`` plus ``-`` and the first hex digits of sha256(hash_source)."""
    prefix = sanitize(natural)[: max_len - HASH_LEN - 1].strip("-")
    prefix = prefix.lstrip("0123456789-")
    suffix = unit_hash(hash_source)
    return f"{prefix}-{suffix}" if prefix else f"u-{suffix}"


def label_safe(value: str) -> str:
    """``value`` if it is a valid label value, else a valid, deterministic stand-in for it."""
    if is_label_value(value):
        return value
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", value)[: 63 - HASH_LEN - 1].strip("-_.")
    suffix = unit_hash(value)
    return f"{cleaned}-{suffix}" if cleaned else suffix
