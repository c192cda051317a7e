"""What one grid may cost: every limit, checked before the cost is paid (docs/reference.md, "Limits").

A child must be storable: Metacontroller's default apply records the whole child as JSON in the
annotation ``metacontroller.k8s.io/last-applied-configuration``, and the API server refuses an object
whose annotations exceed 256 KiB. So a child whose JSON (plus its own annotations) does not fit can never
be created or updated; the hook refuses it itself, with a message, instead of rendering it on every sync.

The other limits bound the work one sync can be made to do: entries and patch operations are counted when
the spec is read (a whole-grid error), and a patch's effect on the child's size and the data it moves are
counted as each operation runs, so an operation that would pass a limit is refused before it is performed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from hooks.grids.children import METACONTROLLER_LAST_APPLIED
from hooks.kube.errors import SpecError
from hooks.kube.objects import mapping
from hooks.kube.sizes import ANNOTATIONS_LIMIT, annotations_size, json_size

ANNOTATION_HEADROOM = 4_096
"""Bytes of the annotation limit left for what is added after the hook's check: the revision stamp, the
grace-period and rollout marks (about 100 bytes each) and annotations controllers and tools add to the
live object (the Deployment controller's revision number)."""

MAX_CHILD_BYTES = ANNOTATIONS_LIMIT - ANNOTATION_HEADROOM
"""258,048: a rendered child's JSON plus its annotations plus the last-applied key must fit in this."""

MAX_CHILD_JSON = MAX_CHILD_BYTES - len(METACONTROLLER_LAST_APPLIED)
"""258,000: the most a child's JSON can be (with no annotation of its own); bounds templates and patches."""

MAX_PATCH_WORK = MAX_CHILD_JSON
"""Bytes of values one unit's patch operations may add, replace, test or copy in total."""

MAX_OVERRIDES = 1_000
"""Entries of ``spec.overrides`` (one per site for a thousand sites)."""

MAX_PATCH_OPERATIONS_PER_ENTRY = 100
"""Operations in one entry's ``patch``."""

MAX_PATCH_OPERATIONS = 1_000
"""Operations in all ``patch`` lists of a grid together (each is read and checked on every sync)."""

MAX_UNIT_PATCH_OPERATIONS = 100
"""Operations of the entries that apply to one unit (each costs a few microseconds per unit and sync)."""

TOO_MANY_OVERRIDES = "TooManyOverrides"
TOO_MANY_PATCH_OPERATIONS = "TooManyPatchOperations"
TEMPLATE_TOO_LARGE = "TemplateTooLarge"
PATCH_VALUE_TOO_LARGE = "PatchValueTooLarge"
CHILD_TOO_LARGE = "ChildTooLarge"
PATCH_TOO_COSTLY = "PatchTooCostly"

LIMITS_DOC = "docs/reference.md#limits"


class LimitExceeded(SpecError):
    """A grid (or one unit of it) over a limit; ``reason`` names the limit in the ``Synced`` condition."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def about(size: int) -> str:
    """``about 473 kB``: sizes in messages of unit errors are rounded, so that units whose children differ
    only by their names' lengths share one message (``Synced`` groups units by message)."""
    return f"about {size / 1000:,.0f} kB"


def check_count(count: int, limit: int, reason: str, what: str) -> None:
    """Refuse ``count`` items of ``what`` beyond ``limit`` (a whole-grid error)."""
    if count > limit:
        raise LimitExceeded(reason, f"{what} has {count:,} items, over the limit of {limit:,} ({LIMITS_DOC})")


def measured(value: object, what: str, reason: str = TEMPLATE_TOO_LARGE) -> int:
    """The JSON size of a part of the spec that ends up in a child; a part no child could hold is refused."""
    try:
        size = json_size(value)
    except orjson.JSONEncodeError as err:
        raise SpecError(f"{what} cannot be written as JSON: {err}") from None
    check_part_size(size, what, reason)
    return size


def check_part_size(size: int, what: str, reason: str) -> None:
    """Refuse a part of the spec of ``size`` JSON bytes when no child could hold it."""
    if size > MAX_CHILD_JSON:
        raise LimitExceeded(
            reason,
            f"{what} is {size:,} bytes as JSON, over the {MAX_CHILD_JSON:,} a child can hold: Metacontroller "
            f"stores each child in an annotation, which the API server caps at {ANNOTATIONS_LIMIT:,} bytes "
            f"({LIMITS_DOC})",
        )


def child_footprint(child: Mapping) -> int:
    """The bytes the child's annotations take once Metacontroller has recorded it: the last-applied key, the
    child as JSON (its value), and the child's own annotations (which that JSON also holds)."""
    own = mapping(mapping(child, "metadata"), "annotations")
    return len(METACONTROLLER_LAST_APPLIED) + json_size(child) + annotations_size(own)


def check_child_size(child: Mapping, what: str = "child") -> None:
    """Refuse a rendered child that the API server could never store with Metacontroller's record of it."""
    footprint = child_footprint(child)
    if footprint > MAX_CHILD_BYTES:
        raise LimitExceeded(
            CHILD_TOO_LARGE,
            f"{what} too large: with Metacontroller's last-applied copy of it, its annotations would take "
            f"{about(footprint)}, over the limit of {MAX_CHILD_BYTES:,} (the API server's {ANNOTATIONS_LIMIT:,}, "
            f"less {ANNOTATION_HEADROOM:,} kept free; {LIMITS_DOC})",
        )


def with_limit_reason(synced: dict, reasons: Mapping[str, str]) -> dict:
    """The ``Synced`` condition naming the limit units hit (``reasons``: unit -> a reason above) instead of
    ``UnitErrors``, so a grid over a limit can be told apart without parsing the message; if units hit
    several limits, the first reason in sorted order. The message already lists every cause."""
    if synced.get("reason") != "UnitErrors" or not reasons:
        return synced
    return {**synced, "reason": min(reasons.values())}


@dataclass
class Budget:
    """One unit's running totals while its overrides apply: the child's JSON size and the patch's work.

    ``size`` is exact as long as every change goes through :meth:`grow`; both checks run before the
    change is made, so a refused operation has not been performed.
    """

    size: int
    work: int = 0

    def grow(self, delta: int) -> None:
        if self.size + delta > MAX_CHILD_JSON:
            raise LimitExceeded(
                CHILD_TOO_LARGE,
                f"child too large: it would grow to {about(self.size + delta)} of JSON, over the "
                f"{MAX_CHILD_JSON:,} bytes that fit in Metacontroller's last-applied annotation ({LIMITS_DOC})",
            )
        self.size += delta

    def charge(self, work: int) -> None:
        if self.work + work > MAX_PATCH_WORK:
            raise LimitExceeded(
                PATCH_TOO_COSTLY,
                f"patch too costly: this unit's operations would add, replace, test or copy "
                f"{about(self.work + work)} of values, over the limit of {MAX_PATCH_WORK:,} ({LIMITS_DOC})",
            )
        self.work += work
