"""Decoding a v2 request to just the fields its hook declared (see :mod:`hooks.partial`).

msgspec walks the request once to find where each part starts and ends (``Raw`` views into the body,
no copies), then decodes the declared object types into the declared fields only, skipping the rest
without building Python objects for it. That is where a full parse spends its time: a 5,000-node
request has a few hundred thousand values, of which a hook needs a few thousand.

The answer must never differ from the reference path (``codec.loads`` of the whole body, then the
same hook), so:

- everything outside the declared shapes (``parent``, undeclared types, ``ANY`` leaves, whole
  children) is decoded by ``codec.loads`` itself, never by a second JSON implementation;
- a body that is not valid UTF-8 (msgspec does not check the bytes it skips) and any request whose
  layout does not fit the declared shapes (a Node that is not an object, a label that is not a
  string, malformed JSON, ...) is decoded by the reference path, so odd and malformed requests get
  exactly the reference answer or 4xx error, only more slowly.

Known difference: a number outside the double range (``1e400``) inside a part no hook reads is
rejected (400) by the reference path and ignored here. Kubernetes never sends one (Go's encoding/json
cannot encode infinities).
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Callable, Mapping
from typing import TypedDict

import msgspec

from hooks import codec
from hooks.partial import ANY, TEXT, TEXT_MAP, Partial, RequestReads, Shape

Decoder = Callable[[bytes], object]

_RAW_MAP = msgspec.json.Decoder(dict[str, msgspec.Raw])
_UTF8_CHUNK = 1 << 20
_LEAF_TYPES = {TEXT: str, TEXT_MAP: dict[str, str], ANY: msgspec.Raw}
_names = itertools.count()


def decoder_for(reads: RequestReads | None) -> Decoder:
    """A ``bytes -> request`` function for a route: ``codec.loads`` when the route declared nothing."""
    if reads is None or not (reads.children or reads.related):
        return codec.loads
    children = {key: _Reduced(shape) for key, shape in reads.children.items()}
    related = {key: _Reduced(shape) for key, shape in reads.related.items()}

    def decode(body: bytes) -> object:
        if not _is_utf8(body):
            return codec.loads(body)
        try:
            return _decode(body, children, related)
        except (msgspec.MsgspecError, ValueError, RecursionError):
            return codec.loads(body)

    return decode


def _decode(body: bytes, children: Mapping[str, _Reduced], related: Mapping[str, _Reduced]) -> dict:
    request = {}
    for key, raw in _RAW_MAP.decode(body).items():
        if key == "children":
            request[key] = {t: _objects(r, children.get(t), keep_whole=True) for t, r in _RAW_MAP.decode(raw).items()}
        elif key == "related":
            request[key] = {t: _objects(r, related.get(t), keep_whole=False) for t, r in _RAW_MAP.decode(raw).items()}
        else:
            request[key] = _load(raw)
    return request


def _objects(raw: msgspec.Raw, reduced: _Reduced | None, keep_whole: bool) -> object:
    """One ``"namespace/name" -> object`` map: reduced when its type has a shape, else in full."""
    if reduced is None:
        return _load(raw)
    if not keep_whole:
        return {name: reduced.finish(obj) for name, obj in reduced.map_decoder.decode(raw).items()}
    objects = _RAW_MAP.decode(raw)
    return {name: reduced.finish(reduced.decoder.decode(r), lambda r=r: _load(r)) for name, r in objects.items()}


def _load(raw: msgspec.Raw) -> object:
    return codec.loads(memoryview(raw))


class _Reduced:
    """One shape compiled to msgspec types (TypedDicts: decoded as plain dicts, missing keys absent)."""

    def __init__(self, shape: Shape) -> None:
        self.any_paths = _any_paths(shape)
        self.decoder = msgspec.json.Decoder(_msgspec_type(shape))
        self.map_decoder = msgspec.json.Decoder(dict[str, _msgspec_type(shape)])

    def finish(self, obj: dict, load_whole: Callable[[], object] | None = None) -> Partial:
        """Decode the ``ANY`` leaves with the reference decoder and mark the object as reduced."""
        for *parents, leaf in self.any_paths:
            holder = obj
            for name in parents:
                holder = holder.get(name)
                if holder is None:
                    break
            if holder is not None and leaf in holder:
                holder[leaf] = _load(holder[leaf])
        return Partial(obj, load_whole)


def _msgspec_type(shape: Shape | str) -> object:
    if isinstance(shape, str):
        return _LEAF_TYPES[shape]
    fields = {name: _msgspec_type(sub) for name, sub in shape.items()}
    return TypedDict(f"Reduced{next(_names)}", fields, total=False)


def _any_paths(shape: Shape) -> list[tuple[str, ...]]:
    paths = []
    for name, sub in shape.items():
        if sub == ANY:
            paths.append((name,))
        elif not isinstance(sub, str):
            paths.extend((name, *path) for path in _any_paths(sub))
    return paths


def _is_utf8(body: bytes) -> bool:
    """Whether ``body`` is valid UTF-8, as the reference decoder requires of every byte."""
    if body.isascii():
        return True
    check = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(body)
    try:
        for start in range(0, len(body), _UTF8_CHUNK):
            check.decode(view[start : start + _UTF8_CHUNK])
        check.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
