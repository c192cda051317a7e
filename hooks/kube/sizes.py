"""How many bytes an object takes where Kubernetes counts them: as JSON, and in its annotations.

The API server refuses an object whose annotations (keys plus values, in bytes) exceed
:data:`ANNOTATIONS_LIMIT`, and etcd refuses a write larger than :data:`ETCD_REQUEST_LIMIT` (its default
``--max-request-bytes``). A controller that records what it applied in an annotation (Metacontroller does,
as ``kubectl apply`` does) stores a whole copy of the object there, written by Go's ``encoding/json``: so
the JSON size, counted the way Go writes it, decides whether the object can exist at all.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

ANNOTATIONS_LIMIT = 262_144
"""256 KiB: the API server's limit on the total size of one object's annotations (keys and values, bytes)."""

ETCD_REQUEST_LIMIT = 1_572_864
"""1.5 MiB: etcd's default limit on one request, so on one stored object."""

_GO_ESCAPED = (b"<", b">", b"&")
"""Go's encoding/json writes these as ``\\u003c`` and so on: 6 bytes for 1."""
_GO_ESCAPED_SEPARATORS = ("\u2028".encode(), "\u2029".encode())
"""Line and paragraph separators: 3 bytes in UTF-8, 6 as Go writes them (``\\u2028``)."""


def encoded_size(data: bytes) -> int:
    """The length of compact JSON ``data`` (as orjson writes it) once Go's encoding/json writes the same value.

    The two write the same bytes except for the escapes above (key order does not change the length); any
    other difference (float formatting, control characters) is a few bytes at most.
    """
    size = len(data)
    if b"<" in data or b">" in data or b"&" in data:
        size += 5 * sum(data.count(c) for c in _GO_ESCAPED)
    if b"\xe2\x80" in data:
        size += 3 * sum(data.count(c) for c in _GO_ESCAPED_SEPARATORS)
    return size


def json_size(value: object) -> int:
    """Bytes of ``value`` as compact JSON written by Go (raises ``orjson.JSONEncodeError`` for non-JSON values)."""
    return encoded_size(orjson.dumps(value))


def annotations_size(annotations: Mapping) -> int:
    """What the API server counts against :data:`ANNOTATIONS_LIMIT`: the UTF-8 bytes of every key and value."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items() if isinstance(v, str))
