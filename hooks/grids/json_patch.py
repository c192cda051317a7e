"""RFC 6902 operations on a child, with its size and the work counted before each change is made.

Nothing the document shares is changed in place: an operation copies the containers on its path that it
does not own yet (path copying), so the child keeps sharing every other subtree with the template, the
spec and, after a ``copy``, with itself. That makes a ``copy`` cost nothing but the bookkeeping, whatever
it copies.

Every operation works out how many bytes the child's JSON gains or loses and how much work it does, asks
the unit's :class:`~hooks.grids.limits.Budget`, and only then builds the new document. Sizes are kept,
not recomputed: the child is measured once, a value from the spec was measured when the spec was read,
a subtree is measured at most once (its size is remembered, and derived for the containers an operation
copies), so a chain of copies that doubles the child is refused at the copy that would pass the limit,
after a few microseconds per operation. Work counts the bytes measured, compared or decoded, and one per
member of every container copied.

Semantics follow RFC 6902 (and the ``jsonpatch`` package, which the tests compare against): ``-``
appends to an array, indexes have no leading zeros, ``move`` into its own descendant is refused, ``test``
tells ``true`` from ``1``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import orjson

from hooks.grids.limits import Budget
from hooks.kube.sizes import encoded_size, json_size

UNIT_PLACEHOLDER = "{{unit}}"
OPS = ("add", "remove", "replace", "move", "copy", "test")
_INDEX = re.compile(r"0|[1-9][0-9]*")
_BAD_ESCAPE = re.compile(r"~[^01]|~$")

Container = dict | list


class PatchError(ValueError):
    """The operation does not apply to this document (a path that is not there, a failed test)."""


def pointer_tokens(path: str) -> tuple[str, ...]:
    """The unescaped reference tokens of a JSON pointer that starts with ``/``; ValueError if malformed."""
    bad = _BAD_ESCAPE.search(path)
    if bad:
        raise ValueError(f"invalid escape {bad.group()!r} (only ~0 and ~1)")
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:])


@dataclass(frozen=True)
class Operation:
    """One checked operation. ``value`` is kept with its JSON bytes and size, measured once per sync.

    Every ``{{unit}}`` in the path, ``from`` and the value's strings and keys becomes the unit value; unit
    values are label values (no ``/`` or ``~``), so tokens can be substituted one by one.
    """

    op: str
    path: str
    tokens: tuple[str, ...]
    source: tuple[str, ...] | None = None
    source_path: str | None = None
    value: object = None
    encoded: bytes = b""
    value_size: int = 0
    placeholders: int = 0

    def value_for(self, unit: str) -> object:
        """The value for ``unit``: plain text replacement of ``{{unit}}``, made in the value's JSON, where the
        placeholder can only stand inside strings and keys. Without a placeholder, the spec's own value
        (documents are never changed in place, so sharing it is safe)."""
        if not self.placeholders:
            return self.value
        return orjson.loads(self.encoded.replace(UNIT_PLACEHOLDER.encode(), _unit_json(unit)))

    def size_for(self, unit: str) -> int:
        """Bytes of :meth:`value_for` as JSON, without building it."""
        if not self.placeholders:
            return self.value_size
        return self.value_size + self.placeholders * (encoded_size(_unit_json(unit)) - len(UNIT_PLACEHOLDER))


def operation(op: str, path: str, source: str | None = None, *value: object) -> Operation:
    """An :class:`Operation` from checked members, with its value if given (raises orjson.JSONEncodeError if
    the value is not JSON)."""
    tokens = pointer_tokens(path)
    source_tokens = pointer_tokens(source) if source is not None else None
    if not value:
        return Operation(op, path, tokens, source_tokens, source)
    encoded = orjson.dumps(value[0])
    count = encoded.count(UNIT_PLACEHOLDER.encode())
    return Operation(op, path, tokens, source_tokens, source, value[0], encoded, encoded_size(encoded), count)


def _unit_json(unit: str) -> bytes:
    """The unit as it appears inside a JSON string (escaped, without quotes)."""
    return orjson.dumps(unit)[1:-1]


def _for_unit(tokens: tuple[str, ...], pointer: str, unit: str) -> tuple[str, ...]:
    if UNIT_PLACEHOLDER not in pointer:
        return tokens
    return tuple(t.replace(UNIT_PLACEHOLDER, unit) for t in tokens)


class Document:
    """A child under patching: nothing it shares is ever changed; the budget holds its size and work.

    Containers the document copied itself are *owned*: reachable from one place only, so later operations
    may change them in place (a container is copied at most once however many operations touch it). A
    ``copy`` makes a second reference to a subtree that may hold owned containers, so it ends ownership:
    the next operations copy their paths again.
    """

    def __init__(self, root: dict, budget: Budget) -> None:
        self.root = root
        self.budget = budget
        self._sizes: dict[int, tuple[object, int]] = {}
        """id -> (container, its JSON size); the container is held so that its id is never reused."""
        self._owned: dict[int, Container] = {}
        self.remember(root, budget.size)

    def size_of(self, value: object) -> int:
        """``value``'s JSON size: remembered, or measured once (and charged as work)."""
        known = self._known(value)
        if known is not None:
            return known
        size = json_size(value)
        self.budget.charge(size)
        self.remember(value, size)
        return size

    def _known(self, value: object) -> int | None:
        entry = self._sizes.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else None

    def remember(self, value: object, size: int) -> None:
        if isinstance(value, dict | list):
            self._sizes[id(value)] = (value, size)

    def share(self) -> None:
        """Every container may now be reachable from two places: none is changed in place any more."""
        self._owned.clear()

    def get(self, tokens: tuple[str, ...]) -> object:
        node = self.root
        for depth in range(len(tokens)):
            node = _step(node, tokens, depth)
        return node

    def edit(self, tokens: tuple[str, ...], change: Callable[[Container, str], int]) -> None:
        """Let ``change`` edit the container ``tokens`` point into, copying first what is not owned.

        ``change`` checks the budget before it writes and returns how many bytes the JSON grew. Owned
        containers form the top of any path (a copy's ancestors are copied with it), so the path splits
        into an owned top, changed in place, and a shared rest, copied (and charged) before ``change`` runs
        and linked in after it, so a refused change leaves the document as it was.
        """
        chain: list[Container] = [self.root]
        for depth in range(len(tokens) - 1):
            chain.append(_step(chain[-1], tokens, depth))
        if not isinstance(chain[-1], dict | list):
            raise PatchError(f"path not found: {_show(tokens[:-1])} is not an object or array")
        top = 0
        while top < len(chain) and id(chain[top]) in self._owned:
            top += 1
        self.budget.charge(sum(map(len, chain[top:])))
        new = [*chain[:top], *(_copied(c) for c in chain[top:])]
        delta = change(new[-1], tokens[-1])
        for depth in range(len(chain) - 1, -1, -1):
            if depth >= top:
                self._owned[id(new[depth])] = new[depth]
                if depth > 0:
                    new[depth - 1][_slot_key(new[depth - 1], tokens[depth - 1])] = new[depth]
            known = self._known(chain[depth])
            if known is not None:
                self.remember(new[depth], known + delta)
        self.root = new[0]


def _copied(container: Container) -> Container:
    return dict(container) if isinstance(container, dict) else list(container)


def _slot_key(container: Container, token: str) -> str | int:
    return token if isinstance(container, dict) else int(token)


def apply(doc: Document, op: Operation, unit: str) -> None:
    """Apply ``op`` for ``unit``; PatchError if it does not apply, LimitExceeded if over a limit."""
    path = _for_unit(op.tokens, op.path, unit)
    if op.op in ("add", "replace"):
        size = op.size_for(unit)
        doc.budget.charge(size if op.placeholders else 0)  # decoding a value costs; sharing the spec's does not
        _put(doc, path, size, lambda: op.value_for(unit), replace=op.op == "replace")
    elif op.op == "remove":
        _remove(doc, path)
    elif op.op == "test":
        doc.budget.charge(op.size_for(unit))
        if not json_equal(doc.get(path), op.value_for(unit)):
            raise PatchError("test failed: the value there differs")
    elif op.op == "copy":
        value = doc.get(_for_unit(op.source, op.source_path, unit))
        doc.share()  # before the edit: an owned ancestor changed in place could come to hold itself
        _put(doc, path, doc.size_of(value), lambda: value)
    else:
        _move(doc, _for_unit(op.source, op.source_path, unit), path)


def _step(node: object, tokens: tuple[str, ...], depth: int) -> object:
    """``node``'s member named by ``tokens[depth]``."""
    token = tokens[depth]
    if isinstance(node, dict):
        if token not in node:
            raise PatchError(f"path not found: {_show(tokens[: depth + 1])} does not exist")
        return node[token]
    if isinstance(node, list):
        return node[_index(node, tokens, depth)]
    raise PatchError(f"path not found: {_show(tokens[:depth])} is not an object or array")


def _index(items: list, tokens: tuple[str, ...], depth: int, insert: bool = False) -> int:
    token = tokens[depth]
    if not _INDEX.fullmatch(token):
        raise PatchError(f"{token!r} is not an array index (at {_show(tokens[:depth])})")
    index = int(token)
    if index > len(items) or (index == len(items) and not insert):
        raise PatchError(f"index {index} is out of range: {_show(tokens[:depth])} has {len(items)} items")
    return index


def _show(tokens: tuple[str, ...]) -> str:
    text = "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens) or "the root"
    return text if len(text) <= 80 else text[:77] + "..."


def _existing(container: Container, key: str, tokens: tuple[str, ...]) -> str | int:
    """Where an existing member sits: its key, or its index in an array."""
    if isinstance(container, dict):
        if key not in container:
            raise PatchError(f"path not found: {_show(tokens)} does not exist")
        return key
    return _index(container, tokens, len(tokens) - 1)


def _member_overhead(container: Container, key: str, count: int) -> int:
    """Bytes a member takes besides its value in a container of ``count`` members: its key and colon in an
    object, and the comma that separates it from the others."""
    comma = 1 if count > 1 else 0
    return _key_size(key) + 1 + comma if isinstance(container, dict) else comma


@functools.lru_cache(maxsize=1024)
def _key_size(key: str) -> int:
    return json_size(key)


def member_delta(obj: dict, key: str, size: int) -> int:
    """Bytes ``obj``'s JSON gains when ``obj[key]`` is set to a value of ``size`` bytes."""
    if key in obj:
        return size - json_size(obj[key])
    return size + _member_overhead(obj, key, len(obj) + 1)


def _put(doc: Document, tokens: tuple[str, ...], size: int, make: Callable[[], object], replace: bool = False) -> None:
    """Add (or, with ``replace``, replace) the value ``make`` gives, of ``size`` bytes, once the budget allows."""

    def change(container: Container, key: str) -> int:
        if replace or (isinstance(container, dict) and key in container):
            slot = _existing(container, key, tokens)
            delta = size - doc.size_of(container[slot])
        elif isinstance(container, dict):
            slot, delta = key, size + _member_overhead(container, key, len(container) + 1)
        else:
            slot = len(container) if key == "-" else _index(container, tokens, len(tokens) - 1, insert=True)
            delta = size + _member_overhead(container, key, len(container) + 1)
        doc.budget.grow(delta)
        value = make()
        doc.remember(value, size)
        if isinstance(container, list) and not replace:
            container.insert(slot, value)
        else:
            container[slot] = value
        return delta

    doc.edit(tokens, change)


def _remove(doc: Document, tokens: tuple[str, ...]) -> object:
    """Remove the value at ``tokens`` and return it."""
    removed: list[object] = []

    def change(container: Container, key: str) -> int:
        slot = _existing(container, key, tokens)
        value = container[slot]
        delta = -(doc.size_of(value) + _member_overhead(container, key, len(container)))
        doc.budget.grow(delta)
        del container[slot]
        removed.append(value)
        return delta

    doc.edit(tokens, change)
    return removed[0]


def _move(doc: Document, source: tuple[str, ...], tokens: tuple[str, ...]) -> None:
    if tokens != source and tokens[: len(source)] == source:
        raise PatchError("cannot move a value into itself")
    value = doc.get(source)
    if tokens == source:
        return
    size = doc.size_of(value)
    _remove(doc, source)
    _put(doc, tokens, size, lambda: value)


def json_equal(a: object, b: object) -> bool:
    """RFC 6902 equality: numbers by value, ``true`` only equal to ``true`` (Python says ``True == 1``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == len(b) and all(k in b and json_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b
