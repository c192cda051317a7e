"""JSON in and out of the hook server.

orjson is used for speed (requests reach tens of MB) and for sorted keys, so
the same response dict always yields the same bytes.
"""

from __future__ import annotations

import orjson

from hooks.errors import RequestError


def loads(body: bytes) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise RequestError(f"request body is not valid JSON: {err}") from None


def dumps(obj: object) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
