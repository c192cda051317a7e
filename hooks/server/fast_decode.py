"""Decoding a v2 request to just the fields its hook declared (see :mod:`hooks.protocol.partial`).

One msgspec pass over the body does the work: it splits the top level, the ``children`` and
``related`` maps by type, and decodes each declared related type straight into the declared fields,
skipping everything else without building Python objects for it. That is where a full parse spends
its time: a 5,000-node request holds about two million values, of which a hook needs some tens of
thousands. Observed children are kept as ``Raw`` slices of the body, each decoded to its declared
fields in a second, small step, and in full only when a hook asks (:func:`hooks.protocol.partial.whole`).
``Only`` arrays (a Node's conditions) are kept as slices too and decoded when a hook first reads them
(:class:`hooks.protocol.partial.LazyItems`).

The answer must never differ from the reference path (``codec.loads`` of the whole body, then the
same hook), so:

- everything outside the declared fields that a hook may see (``parent``, the other top-level keys,
  ``ANY`` leaves, whole children) is decoded by ``codec.loads`` itself, never by a second JSON
  implementation (msgspec and orjson differ, e.g. on integers beyond 64 bits);
- a request that has the shape of a sync request but does not fit the plan -- malformed JSON, a type the
  route did not declare, a Node that is not an object, a label that is not a string, ... -- is decoded by
  the reference path: odd and malformed requests get exactly the reference answer or 4xx error, only more
  slowly. Each such fallback is logged at INFO with its reason. (An ``Only`` array whose items turn out not
  to be of its shape when it is read is read in full, by ``codec.loads``, as the reference path has it.)

What the reference path would refuse anyway is refused (400, :class:`BodyRefused`) without a full decode,
which for JSON made of small objects costs tens of times the body in memory: a body that is not a JSON
object, or not valid UTF-8; a sync request whose ``parent`` is not an object, or whose ``children`` or
``related`` (or the map of one of the route's types in them) are not objects, as the plan itself finds.
Top-level keys other than those of a sync request are skipped: no hook reads them. A full decode is done
only for bodies of at most :data:`FULL_DECODE_MAX_BYTES`, and a ``parent`` or ``controller`` larger than
that is refused: Kubernetes objects are far smaller.

Known difference: a number outside the double range (``1e400``) inside a part no hook reads is
rejected (400) by the reference path and ignored here. Kubernetes never sends one (Go's encoding/json
cannot encode infinities).
"""

from __future__ import annotations

import codecs
import itertools
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TypedDict

import msgspec

from hooks.kube.errors import RequestError
from hooks.protocol import codec
from hooks.protocol.partial import (
    ANY,
    TEXT,
    TEXT_MAP,
    LazyItems,
    Only,
    Partial,
    RequestReads,
    Shape,
    field_paths,
)

log = logging.getLogger("hooks.fast_decode")

Decoder = Callable[[bytes | bytearray], object]

SYNC_REQUEST_KEYS = ("controller", "parent", "children", "related", "finalizing")
"""Top-level keys of Metacontroller's v2 sync and finalize requests (docs/metacontroller.md, hook calls)."""

FULL_DECODE_MAX_BYTES = 4 * 1024 * 1024
"""The largest body decoded in full (routes that declare no reads; requests that do not fit a route's plan) and
the largest ``parent``. A full decode peaks at about 6 times the body for Kubernetes JSON and about 30 times
for JSON of empty objects (hooks/server/memory.py); Kubernetes stores objects of at most 1.5 MiB (etcd's
default request limit), and customize and decorator requests carry one or two of them."""

_LEADING_SPACE = re.compile(rb"[ \t\r\n]*")

_UTF8_CHUNK = 1 << 20
_type_names = itertools.count()
_LEAF_TYPES = {TEXT: str, TEXT_MAP: dict[str, str], ANY: msgspec.Raw}


class BodyRefused(RequestError):
    """A request refused on its shape or size before any full decode (HTTP 400).

    For a shape, the reference path would refuse it too, possibly with another message.
    """


def decoder_for(reads: RequestReads | None) -> Decoder:
    """A ``bytes -> request`` function for a route: :func:`full_decode` when the route declared nothing."""
    if reads is None or not (reads.children or reads.related):
        return full_decode
    plan = _Plan(reads)

    def decode(body: bytes | bytearray) -> object:
        require_object(body)
        if not _is_utf8(body):
            raise BodyRefused("request body is not valid UTF-8")
        try:
            return plan.decode(body)
        except BodyRefused:
            raise
        except msgspec.ValidationError as err:
            if _NOT_OBJECTS_OF_OBJECTS.match(str(err)):
                raise BodyRefused(f"request does not have the shape of a sync request: {err}") from None
            log.info("request decoded in full: %s", err)
        except (msgspec.MsgspecError, ValueError, RecursionError) as err:
            log.info("request decoded in full: %s", err)
        except Exception:  # a bug here must cost speed, never the answer
            log.exception("reduced decode failed; request decoded in full")
        return full_decode(body)

    return decode


def full_decode(body: bytes | bytearray) -> object:
    """The reference decode (``codec.loads``), for bodies that are JSON objects of at most FULL_DECODE_MAX_BYTES."""
    require_object(body)
    if len(body) > FULL_DECODE_MAX_BYTES:
        raise BodyRefused(
            f"request body of {len(body)} bytes would need a full decode, done only up to {FULL_DECODE_MAX_BYTES} "
            "bytes (for routes without a reduced decode and requests that do not fit it)"
        )
    return codec.loads(body)


def require_object(body: bytes | bytearray | memoryview, what: str = "request body") -> None:
    """Refuse a body whose first byte after white space does not open a JSON object."""
    start = _LEADING_SPACE.match(body).end()
    if body[start : start + 1] != b"{":
        raise BodyRefused(f"{what} must be a JSON object")


class _Plan:
    """A route's :class:`RequestReads` compiled to one msgspec type for the whole request."""

    def __init__(self, reads: RequestReads) -> None:
        self.children = {key: _Reduced(shape) for key, shape in reads.children.items()}
        self.related = {key: _Reduced(shape) for key, shape in reads.related.items()}
        maps = {
            "children": _keyed_struct("Children", {key: r.raw_map_type for key, r in self.children.items()}),
            "related": _keyed_struct("Related", {key: r.map_type for key, r in self.related.items()}),
        }
        fields = {key: maps.get(key, msgspec.Raw) for key in SYNC_REQUEST_KEYS}
        self.decoder = msgspec.json.Decoder(_keyed_struct("Request", fields, other_keys=True))

    def decode(self, body: bytes | bytearray) -> dict:
        request = {}
        for key, value in _present(self.decoder.decode(body)):
            if key == "children":
                request[key] = {kind: self.children[kind].children(objs) for kind, objs in _present(value)}
            elif key == "related":
                request[key] = {kind: self.related[kind].related(objs) for kind, objs in _present(value)}
            else:
                _require_kubernetes_sized(key, value)
                request[key] = _load(value)
        return request


def _require_kubernetes_sized(key: str, raw: msgspec.Raw) -> None:
    """``parent`` and ``controller`` are one Kubernetes object each (``finalizing`` a boolean), decoded in full:
    refused when larger than any object Kubernetes stores, and the parent unless it is an object."""
    view = memoryview(raw)
    if key == "parent":
        require_object(view, "request.parent")
    if len(view) > FULL_DECODE_MAX_BYTES:
        raise BodyRefused(f"request.{key} of {len(view)} bytes is larger than any object Kubernetes stores")


class _Reduced:
    """The declared shape of one object type, compiled to msgspec types.

    Reduced levels are TypedDicts (msgspec decodes them as plain dicts, without the keys that are
    absent); a type whose shape is ``ANY`` is taken whole.
    """

    def __init__(self, shape: Shape | str) -> None:
        self.whole = shape == ANY
        self.held = field_paths(shape)
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
        """Decode the ``ANY`` leaves with the reference decoder, make ``Only`` arrays load their matching items
        when read, and mark the object as reduced."""
        for *parents, leaf in self.any_paths:
            holder = _holder(obj, parents)
            if holder is not None and leaf in holder:
                holder[leaf] = _load(holder[leaf])
        for (*parents, leaf), items in self.only_paths:
            holder = _holder(obj, parents)
            if holder is not None and leaf in holder:
                holder[leaf] = items.later(holder[leaf])
        return Partial(obj, load_whole, self.held)


def _holder(obj: dict, parents: list[str]) -> dict | None:
    for name in parents:
        obj = obj.get(name)
        if obj is None:
            return None
    return obj


class _Items:
    """The items of an :class:`Only` array, decoded when the hook first reads the array (:class:`LazyItems`), in
    one call per array (the others are dropped at once, so they never add up).

    Only an array gets this far (anything else fails the plan: full decode). An array with an item that is
    not an object of the shape's types is then read in full by the reference decoder, as the full decode
    would have it: the hook, which ignores the other items, reads the same there.
    """

    def __init__(self, only: Only) -> None:
        self.value = only.value
        self.name = only.key
        fields = {only.key: str, **{k: _msgspec_type(v) for k, v in only.shape.items() if k != only.key}}
        self.items = msgspec.json.Decoder(list[TypedDict(f"Items{next(_type_names)}", fields, total=False)])
        self.declared = set(only.shape)

    def later(self, raw: msgspec.Raw) -> LazyItems:
        if bytes(memoryview(raw)[:1]) != b"[":
            raise ValueError(f"an array of items with {self.name} {self.value!r} was expected")
        return LazyItems(self.load, raw)

    def load(self, raw: msgspec.Raw) -> list:
        try:
            return self.keep(raw)
        except msgspec.DecodeError as err:  # an item of other types
            log.info("array read in full: %s", err)
            return _load(raw)

    def keep(self, raw: msgspec.Raw) -> list[dict]:
        kept = [item for item in self.items.decode(raw) if item.get(self.name) == self.value]
        if self.name not in self.declared:
            for item in kept:
                del item[self.name]
        return kept


def _keyed_struct(name: str, fields: Mapping[str, object], other_keys: bool = False) -> type:
    """A Struct with one optional field per JSON key; any other key is skipped if ``other_keys``, else it fails
    decoding (-> full decode)."""
    spec = [
        (f"f{i}", kind | msgspec.UnsetType, msgspec.field(default=msgspec.UNSET, name=key))
        for i, (key, kind) in enumerate(fields.items())
    ]
    return msgspec.defstruct(name, spec, forbid_unknown_fields=not other_keys)


_NOT_OBJECTS_OF_OBJECTS = re.compile(r"Expected `object`, got `[^`]+` - at `\$\.(children|related)(\.[^`\[]+)?`$")
"""msgspec's error when the plan met ``children`` or ``related``, or the map of one of the route's types in them,
that is not an object: the reference path refuses those too. Errors deeper in (a Node that is not an object, a
label that is not a string) are odd content the hooks skip, and go to the full decode; so do types the route
did not declare (``Object contains unknown field``)."""


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
