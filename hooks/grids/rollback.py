"""``spec.rollout.onFailure: Rollback``: when a rollout halts, the units that moved go back to the last
revision that completed, without writing the grid's spec (GitOps-safe: the rollback is in what is rendered).

Two syncs, so that the decision outlives the failure it answers (once the units are back, nothing fails
any more, and a stateless hook would start the rollout again):

1. the rollout halts (more units failed than ``maxFailedUnits``): the grid's ControllerRevision of the
   current revision is marked ``RolledBack`` (hooks.grids.history), with the reason; nothing moves yet;
2. every later sync that sees the mark, until the spec changes to another revision: each unit whose child is
   on the current revision, and each new site, is rendered from the last completed revision's spec fields,
   with the annotation ``superedge.io/rolled-back-from: <revision>`` (outside the stamp), by which later
   syncs and people tell it from a unit that never moved; every other unit keeps its child. Nothing else
   moves.

A unit that moved and whose child is the same in both revisions is simply kept. A new site gets the
completed revision rather than the one that just failed. Without a completed revision (a grid whose first
revision failed, or whose controller keeps no history) there is nothing to go back to: the rollout stays
``Halted``, and the condition says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from hooks.grids.grid_sync import UnitRender
from hooks.grids.history import Record
from hooks.grids.revision import stamped
from hooks.grids.rollout_facts import ROLLED_BACK, Standing, UnitFacts
from hooks.grids.rollout_spec import RolloutSpec
from hooks.kube.errors import SpecError, brief
from hooks.kube.objects import mapping, with_annotation
from hooks.protocol.partial import TEXT

ROLLED_BACK_FROM = "superedge.io/rolled-back-from"
"""On a child rendered from the last completed revision: the revision it was rolled back from (not stamped)."""
ROLLED_BACK_FIELDS = {"metadata": {"annotations": {ROLLED_BACK_FROM: TEXT}}}
"""What :func:`rolled_back_from` reads of an observed child (hooks.protocol.partial)."""

RenderFrom = Callable[[str, Mapping | None], dict]
"""(unit, observed child) -> the unit's child rendered from the target revision (SpecError if it cannot be)."""


@dataclass(frozen=True)
class Rollback:
    """What a grid can roll back to this sync."""

    target: Record | None
    """The last completed revision (None: nothing to go back to)."""
    render: RenderFrom | None = None
    active: bool = False
    """The current revision is marked rolled back: render the moved units from ``target``."""
    reason: str | None = None
    """Why the current revision was rolled back (recorded on its ControllerRevision)."""
    missing: str = "the grid keeps no revision history (its controller does not declare ControllerRevision children)"
    """Why there is no target, for the condition."""

    @property
    def ready(self) -> bool:
        return self.active and self.target is not None and self.render is not None

    def plan(self) -> str:
        """What a halt leads to, for the Halted condition (phase 1)."""
        if self.target is None:
            return f"onFailure is Rollback, but there is nothing to roll back to: {self.missing}"
        return f"rolling back to revision {self.target.revision}, the last that completed"


def rolled_back_standing(spec: RolloutSpec, revision: str, facts: Iterable[UnitFacts], rollback: Rollback) -> Standing:
    """Where a rolled-back rollout stands: nothing moves; the units that moved (and new sites) are rolled back,
    every other unit is held."""
    assert rollback.target is not None
    facts = list(facts)
    members: list[list[UnitFacts]] = [[] for _ in spec.steps]
    for f in facts:
        if not f.departing:
            members[f.step].append(f)
    back = sorted(f.unit for f in facts if goes_back(f))
    held = frozenset(f.unit for f in facts if f.has_child and not f.updated and not f.broken and not goes_back(f))
    return Standing(
        spec,
        revision,
        members,
        None,
        ROLLED_BACK,
        held=held,
        rolled_back_to=rollback.target.revision,
        note=rollback.reason,
        rolled_back=back,
    )


def goes_back(f: UnitFacts) -> bool:
    """Rendered from the target: moved to the current revision, already rolled back from it, or new."""
    return f.updated or f.rolled_back or (not f.has_child and not f.departing)


def roll_back(
    renders: list[UnitRender], facts: Mapping[str, UnitFacts], rollback: Rollback, revision: str
) -> list[UnitRender]:
    """Units that moved to ``revision`` and new sites rendered from the target, marked so that later syncs (and
    people) know they were rolled back; the others keep their child."""
    out = []
    for r in renders:
        f = facts[r.unit]
        if r.unlisted or (f.broken and r.seen is not None):
            out.append(r)
        elif goes_back(f) or r.seen is None:
            out.append(_from_target(r, rollback, revision))
        else:
            out.append(replace(r, held=True))
    return out


def _from_target(r: UnitRender, rollback: Rollback, revision: str) -> UnitRender:
    assert rollback.render is not None
    try:
        child = stamped(rollback.render(r.unit, r.seen))
    except SpecError as err:
        return replace(r, child=None, error=brief(f"rolling back: {err}"))
    return replace(r, child=with_annotation(child, ROLLED_BACK_FROM, revision), error=None)


def rolled_back_from(seen: Mapping | None) -> str | None:
    """The revision an observed child was rolled back from, if it carries the mark."""
    value = mapping(mapping(seen, "metadata"), "annotations").get(ROLLED_BACK_FROM)
    return value if isinstance(value, str) else None
