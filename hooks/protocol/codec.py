"""JSON in and out of the hook server.

orjson is used for speed (requests reach tens of MB) and for sorted keys, so
the same response dict always yields the same bytes.
"""

from __future__ import annotations

import orjson

from hooks.kube.errors import RequestError
from hooks.protocol.partial import Partial


def loads(body: bytes | bytearray | memoryview) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise RequestError(f"request body is not valid JSON: {err}") from None


def dumps(obj: object) -> bytes:
    return orjson.dumps(obj, default=_builtin, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS)


def _builtin(obj: object) -> object:
    """Subclasses of dict/list/str/int as their base type; a reduced request object is refused.

    A :class:`~hooks.protocol.partial.Partial` lacks every field its hook did not declare: sending it would
    make Metacontroller apply a truncated object, so failing (HTTP 500, nothing changes) is safer.
    """
    if isinstance(obj, Partial):
        raise TypeError("a partially decoded request object reached the response; use hooks.protocol.partial.whole()")
    if isinstance(obj, dict):
        return dict(obj)
    if isinstance(obj, list):
        return list(obj)
    if isinstance(obj, str):
        return str.__str__(obj)
    if isinstance(obj, int):
        return int.__int__(obj)
    raise TypeError(f"type {type(obj).__name__} is not JSON serializable")
