"""Decoding a v2 request to just the fields its hook declared (see :mod:`hooks.protocol.partial`).

One msgspec pass over the body does the work: it splits the top level, the ``children`` and
``related`` maps by type, and decodes each declared related type straight into the declared fields,
skipping everything else without building Python objects for it. That is where a full parse spends
its time: a 5,000-node request holds about two million values, of which a hook needs some tens of
thousands. Observed children are kept as ``Raw`` slices of the body, each decoded to its declared
fields in a second, small step, and in full only when a hook asks (:func:`hooks.protocol.partial.whole`).

The answer must never differ from the reference path (``codec.loads`` of the whole body, then the
same hook), so:

- everything outside the declared fields that a hook may see (``parent``, the other top-level keys,
  ``ANY`` leaves, whole children) is decoded by ``codec.loads`` itself, never by a second JSON
  implementation (msgspec and orjson differ, e.g. on integers beyond 64 bits);
- a body that is not valid UTF-8 (msgspec does not check the bytes it skips), and any request that
  does not fit the plan -- malformed JSON, a top-level key other than those of a v2 sync request, a
  type the route did not declare, a Node that is not an object, a label that is not a string, ... --
  is decoded by the reference path: odd and malformed requests get exactly the reference answer or
  4xx error, only more slowly. Each such fallback is logged at INFO with its reason.

Known difference: a number outside the double range (``1e400``) inside a part no hook reads is
rejected (400) by the reference path and ignored here. Kubernetes never sends one (Go's encoding/json
cannot encode infinities).
"""

from __future__ import annotations

import codecs
import itertools
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TypedDict

import msgspec

from hooks.protocol import codec
from hooks.protocol.partial import ANY, TEXT, TEXT_MAP, Only, Partial, RequestReads, Shape

log = logging.getLogger("hooks.fast_decode")

Decoder = Callable[[bytes | bytearray], object]

SYNC_REQUEST_KEYS = ("controller", "parent", "children", "related", "finalizing")
"""Top-level keys of Metacontroller's v2 sync and finalize requests (docs/metacontroller.md, hook calls)."""

_UTF8_CHUNK = 1 << 20
_type_names = itertools.count()
_LEAF_TYPES = {TEXT: str, TEXT_MAP: dict[str, str], ANY: msgspec.Raw}


def decoder_for(reads: RequestReads | None) -> Decoder:
    """A ``bytes -> request`` function for a route: ``codec.loads`` when the route declared nothing."""
    if reads is None or not (reads.children or reads.related):
        return codec.loads
    plan = _Plan(reads)

    def decode(body: bytes | bytearray) -> object:
        if not _is_utf8(body):
            log.info("request decoded in full: not valid UTF-8")
            return codec.loads(body)
        try:
            return plan.decode(body)
        except (msgspec.MsgspecError, ValueError, RecursionError) as err:
            log.info("request decoded in full: %s", err)
        except Exception:  # a bug here must cost speed, never the answer
            log.exception("reduced decode failed; request decoded in full")
        return codec.loads(body)

    return decode


class _Plan:
    """A route's :class:`RequestReads` compiled to one msgspec type for the whole request."""

    def __init__(self, reads: RequestReads) -> None:
        self.children = {key: _Reduced(shape) for key, shape in reads.children.items()}
        self.related = {key: _Reduced(shape) for key, shape in reads.related.items()}
        maps = {
            "children": _keyed_struct("Children", {key: r.raw_map_type for key, r in self.children.items()}),
            "related": _keyed_struct("Related", {key: r.map_type for key, r in self.related.items()}),
        }
        request = _keyed_struct("Request", {key: maps.get(key, msgspec.Raw) for key in SYNC_REQUEST_KEYS})
        self.decoder = msgspec.json.Decoder(request)

    def decode(self, body: bytes | bytearray) -> dict:
        request = {}
        for key, value in _present(self.decoder.decode(body)):
            if key == "children":
                request[key] = {kind: self.children[kind].children(objs) for kind, objs in _present(value)}
            elif key == "related":
                request[key] = {kind: self.related[kind].related(objs) for kind, objs in _present(value)}
            else:
                request[key] = _load(value)
        return request


class _Reduced:
    """The declared shape of one object type, compiled to msgspec types.

    Reduced levels are TypedDicts (msgspec decodes them as plain dicts, without the keys that are
    absent); a type whose shape is ``ANY`` is taken whole.
    """

    def __init__(self, shape: Shape | str) -> None:
        self.whole = shape == ANY
        reduced = _msgspec_type(shape)
        self.any_paths = [] if self.whole else _any_paths(shape)
        self.only_paths = [] if self.whole else [(path, _Items(only)) for path, only in _only_paths(shape)]
        self.decoder = msgspec.json.Decoder(reduced)
        self.map_type = msgspec.Raw if self.whole else dict[str, reduced]
        self.raw_map_type = msgspec.Raw if self.whole else dict[str, msgspec.Raw]

    def related(self, objects: object) -> object:
        if self.whole:
            return _load(objects)
        return {name: self.finish(obj) for name, obj in objects.items()}

    def children(self, objects: object) -> object:
        if self.whole:
            return _load(objects)
        return {name: self.finish(self.decoder.decode(r), lambda r=r: _load(r)) for name, r in objects.items()}

    def finish(self, obj: dict, load_whole: Callable[[], object] | None = None) -> Partial:
        """Decode the ``ANY`` leaves with the reference decoder, keep the matching items of ``Only`` arrays,
        and mark the object as reduced."""
        for *parents, leaf in self.any_paths:
            holder = _holder(obj, parents)
            if holder is not None and leaf in holder:
                holder[leaf] = _load(holder[leaf])
        for (*parents, leaf), items in self.only_paths:
            holder = _holder(obj, parents)
            if holder is not None and leaf in holder:
                holder[leaf] = items.keep(holder[leaf])
        return Partial(obj, load_whole)


def _holder(obj: dict, parents: list[str]) -> dict | None:
    for name in parents:
        obj = obj.get(name)
        if obj is None:
            return None
    return obj


class _Items:
    """The items of an :class:`Only` array, decoded in one call each array (the others are dropped at once, so
    they never add up). Anything but an array of objects of the shape's types raises (-> full decode)."""

    def __init__(self, only: Only) -> None:
        self.value = only.value
        self.name = only.key
        fields = {only.key: str, **{k: _msgspec_type(v) for k, v in only.shape.items() if k != only.key}}
        self.items = msgspec.json.Decoder(list[TypedDict(f"Items{next(_type_names)}", fields, total=False)])
        self.declared = set(only.shape)

    def keep(self, raw: msgspec.Raw) -> list[dict]:
        kept = [item for item in self.items.decode(raw) if item.get(self.name) == self.value]
        if self.name not in self.declared:
            for item in kept:
                del item[self.name]
        return kept


def _keyed_struct(name: str, fields: Mapping[str, object]) -> type:
    """A Struct with one optional field per JSON key; any other key fails decoding (-> full decode)."""
    spec = [
        (f"f{i}", kind | msgspec.UnsetType, msgspec.field(default=msgspec.UNSET, name=key))
        for i, (key, kind) in enumerate(fields.items())
    ]
    return msgspec.defstruct(name, spec, forbid_unknown_fields=True)


def _present(struct: msgspec.Struct) -> Iterator[tuple[str, object]]:
    """(JSON key, value) of the fields the body had."""
    for field in msgspec.structs.fields(struct):
        value = getattr(struct, field.name)
        if value is not msgspec.UNSET:
            yield field.encode_name, value


def _load(raw: msgspec.Raw) -> object:
    return codec.loads(memoryview(raw))


def _msgspec_type(shape: Shape | list | str | Only) -> object:
    if isinstance(shape, str):
        return _LEAF_TYPES[shape]
    if isinstance(shape, Only):
        return msgspec.Raw
    if isinstance(shape, list):
        (item,) = shape
        if item == ANY or isinstance(item, Only) or _any_paths(item) or _only_paths(item):
            raise ValueError("ANY and Only are not supported inside a list shape; declare the list itself ANY")
        return list[_msgspec_type(item)]
    fields = {name: _msgspec_type(sub) for name, sub in shape.items()}
    return TypedDict(f"Reduced{next(_type_names)}", fields, total=False)


def _any_paths(shape: Shape) -> list[tuple[str, ...]]:
    paths = []
    for name, sub in shape.items():
        if sub == ANY:
            paths.append((name,))
        elif isinstance(sub, Mapping):
            paths.extend((name, *path) for path in _any_paths(sub))
    return paths


def _only_paths(shape: Shape) -> list[tuple[tuple[str, ...], Only]]:
    paths = []
    for name, sub in shape.items():
        if isinstance(sub, Only):
            paths.append(((name,), sub))
        elif isinstance(sub, Mapping):
            paths.extend(((name, *path), only) for path, only in _only_paths(sub))
    return paths


def _is_utf8(body: bytes | bytearray) -> bool:
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
