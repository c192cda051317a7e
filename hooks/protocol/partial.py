"""Partially decoded request objects: what a hook declares it reads, and nothing else.

A steady-state sync request is mostly bytes no hook looks at (Node images, conditions, managedFields,
children's last-applied annotations). Each hook may declare, per object type of a v2 request, the
fields it reads (a *shape*); the HTTP layer then decodes only those (:mod:`hooks.server.fast_decode`) and the
pure functions keep working on plain dicts of the usual layout, just with fewer keys.

The contract a hook signs by declaring a shape:

- it reads only the declared fields of those objects (a test compares the answer with the one from a
  full decode, on random requests);
- it never puts a reduced object into its answer. Observed children are the objects hooks send back
  (``kept_child``): :func:`whole` gives the complete child. A reduced object that reaches the response
  encoder anyway is refused (HTTP 500, Metacontroller changes nothing) rather than sent without its
  undeclared fields.

Routes without declared reads (hooks.server.route_reads) are decoded in full, so a new hook is correct by
default; docs/performance.md shows how to declare a hook's reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import SupportsIndex, Union

TEXT = "text"
"""Leaf: a JSON string. Anything else sends the whole request down the full decode."""
TEXT_MAP = "text-map"
"""Leaf: an object of strings (labels, annotations). Anything else sends the request down the full decode."""
ANY = "any"
"""Leaf: any JSON value, decoded exactly as the full decode would."""


@dataclass(frozen=True)
class Only:
    """An array of objects of which only the items whose ``key`` is ``value`` are kept, each reduced to
    ``shape``: a hook that reads one entry of a list (the ``Ready`` condition of a Node) declares this, and
    must then ignore every other item, which the full decode keeps. Each array is decoded by itself and its
    other items dropped at once, so they never add up (a Node has five conditions; 5,000 Nodes' kept would
    add some 10 MB).

    The array is a :class:`LazyItems`, decoded when first read: a hook that needs it for some objects only
    (a rollout reads a unit's Nodes until it finds a Ready one; a grid without a rollout reads none) does not
    pay for the others. An array whose items are not of the shape is then read as the full decode reads it
    (all its items, as they are), which a hook ignoring the other items reads the same way."""

    key: str
    value: str
    shape: Mapping


Shape = Mapping[str, Union["Shape", list, str, Only]]
"""Field name -> leaf marker, nested shape, ``[shape]`` for an array of objects each reduced to
``shape`` (no ``ANY`` inside an array), or :class:`Only`. Fields not named are skipped undecoded."""


@dataclass(frozen=True)
class RequestReads:
    """What a hook reads of the two large maps of a v2 request, per ``Kind.group/version`` key.

    ``children`` objects stay decodable in full (:func:`whole`), because hooks may send an observed
    child back unchanged; ``related`` objects are only ever read. ``parent`` and the other top-level
    keys are always decoded in full. List every type the route receives: a type given the shape
    ``ANY`` is decoded whole; a type not listed makes that request take the full decode (correct,
    slower, logged).
    """

    children: Mapping[str, Shape | str] = field(default_factory=dict)
    related: Mapping[str, Shape | str] = field(default_factory=dict)


def merge_shapes(*shapes: Shape | str) -> Shape | str:
    """One shape reading what each of ``shapes`` reads, so modules can declare their own reads.

    ``ANY`` anywhere wins over a narrower shape of the same field; two declarations of one field must
    otherwise agree (a leaf and a nested shape of one field cannot be merged).
    """
    if ANY in shapes:
        return ANY
    if all(isinstance(s, Mapping) for s in shapes):
        merged: dict = {}
        for shape in shapes:
            for name, sub in shape.items():
                merged[name] = merge_shapes(merged[name], sub) if name in merged else sub
        return merged
    first, *rest = shapes
    if any(s != first for s in rest):
        raise ValueError(f"cannot merge shapes {shapes!r}")
    return first


class LazyItems(list):
    """A list whose items are loaded when it is first read, then kept: the value of an :class:`Only` array in
    a reduced object. Reading it (iterating, so also ``list()`` and ``sorted()``, indexing, ``len``, ``in``,
    ``==``, ``index``, ``count``, ``copy``, ``lazy + other``) loads it first: hooks only read request objects,
    and see the loaded items however they read them. (C code that reads a list's storage directly, as
    ``other + lazy`` does, would see it empty before then.)"""

    __slots__ = ("_load", "_source")

    def __init__(self, load: Callable[[object], list], source: object) -> None:
        # list.__init__ is not called: the list starts empty, and this runs for every Node of a request
        self._load: Callable[[object], list] | None = load
        self._source = source

    @property
    def loaded(self) -> bool:
        """Whether the items were read (so loaded) yet."""
        return self._load is None

    def _loaded(self) -> list:
        if self._load is not None:
            load, self._load = self._load, None
            list.extend(self, load(self._source))
            self._source = None
        return self

    def __iter__(self) -> Iterator:
        return list.__iter__(self._loaded())

    def __reversed__(self) -> Iterator:
        return list.__reversed__(self._loaded())

    def __len__(self) -> int:
        return list.__len__(self._loaded())

    def __getitem__(self, index: SupportsIndex | slice) -> object:
        return list.__getitem__(self._loaded(), index)

    def __contains__(self, item: object) -> bool:
        return list.__contains__(self._loaded(), item)

    def __eq__(self, other: object) -> bool:
        return list.__eq__(self._loaded(), other)

    def __ne__(self, other: object) -> bool:
        return list.__ne__(self._loaded(), other)

    __hash__ = None  # type: ignore[assignment]  # unhashable, as a list

    def __add__(self, other: list) -> list:
        return list.__add__(self._loaded(), other)

    def __repr__(self) -> str:
        return list.__repr__(self._loaded())

    def index(self, *args: object) -> int:
        return list.index(self._loaded(), *args)

    def count(self, item: object) -> int:
        return list.count(self._loaded(), item)

    def copy(self) -> list:
        return list.copy(self._loaded())


Path = tuple[str, ...]


def field_paths(shape: Shape | str) -> frozenset[Path]:
    """The paths of the fields ``shape`` decodes exactly as a full decode does: its ``TEXT``, ``TEXT_MAP`` and
    ``ANY`` leaves (``ANY`` itself: the root). The items of ``[shape]`` and :class:`Only` arrays are reduced,
    so those arrays are not among them."""
    if shape == ANY:
        return frozenset({()})
    if not isinstance(shape, Mapping):
        return frozenset()
    paths: set[Path] = set()
    for name, sub in shape.items():
        if isinstance(sub, str):
            paths.add((name,))
        else:
            paths.update((name, *path) for path in field_paths(sub) if path)
    return frozenset(paths)


class Partial(dict):
    """A dict holding only the declared fields of a JSON object; never to be sent back as it is."""

    __slots__ = ("_held", "_load_whole")

    def __init__(
        self, fields: Mapping, load_whole: Callable[[], dict] | None = None, held: frozenset[Path] = frozenset()
    ) -> None:
        dict.__init__(self, fields)  # not super(): this runs for every Node and child of a request
        self._load_whole = load_whole
        self._held = held

    def whole(self) -> dict:
        """The complete object, decoded now (only top-level objects of ``children`` can be)."""
        if self._load_whole is None:
            raise TypeError("only an observed child can be decoded whole")
        return self._load_whole()

    def holds(self, paths: frozenset[Path]) -> bool:
        """Whether each of ``paths`` is, or lies below, a field decoded as a full decode would (``held``, the
        :func:`field_paths` of the shape this object was reduced to): then reading those paths here gives what
        reading them in the whole object gives, absent fields included."""
        return _covers(self._held, paths)


@lru_cache(maxsize=256)
def _covers(held: frozenset[Path], wanted: frozenset[Path]) -> bool:
    """Cached: one reduced type's ``held`` is the same frozenset for all its objects, and a frozenset keeps its
    hash, so each check after the first is one lookup."""
    return all(any(path[:i] in held for i in range(len(path) + 1)) for path in wanted)


def whole(obj: Mapping) -> Mapping:
    """``obj`` complete: a reduced observed child is decoded in full, anything else is returned as is."""
    return obj.whole() if isinstance(obj, Partial) else obj


def whole_unless_holding(obj: Mapping, paths: frozenset[Path]) -> Mapping:
    """``obj`` when reading ``paths`` (:func:`field_paths`) in it gives what reading them in the whole object
    gives (it is not reduced, or :meth:`Partial.holds` them), else the whole object: a hook that reads only
    those fields of an observed child it sends back then skips its full decode."""
    return obj if not isinstance(obj, Partial) or obj.holds(paths) else obj.whole()
