"""``spec.rollout.onFailure: Rollback``: when a rollout halts, the units that moved go back to the last
revision that completed, without writing the grid's spec (GitOps-safe: the rollback is in what is rendered).

Two syncs, so that the decision outlives the failure it answers (once the units are back, nothing fails
any more, and a stateless hook would start the rollout again):

1. the rollout halts (more units failed than ``maxFailedUnits``): the grid's ControllerRevision of the
   current revision is marked ``RolledBack`` (hooks.grids.history), with the reason; nothing moves yet;
2. every later sync that sees the mark, until the spec changes to another revision: each unit whose child is
   on the current revision, and each new site, is rendered from the last completed revision's spec fields;
   every other unit keeps its child (it never moved). Nothing else moves.

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
    """Where a rolled-back rollout stands: nothing moves, every unit not on the current revision is held."""
    assert rollback.target is not None
    facts = list(facts)
    members: list[list[UnitFacts]] = [[] for _ in spec.steps]
    for f in facts:
        if not f.departing:
            members[f.step].append(f)
    held = frozenset(f.unit for f in facts if f.has_child and not f.updated and not f.broken)
    target = rollback.target
    return Standing(
        spec, revision, members, None, ROLLED_BACK, held=held, rolled_back_to=target.revision, note=rollback.reason
    )


def roll_back(renders: list[UnitRender], facts: Mapping[str, UnitFacts], rollback: Rollback) -> list[UnitRender]:
    """Units on the current revision and new sites rendered from the target; the others keep their child."""
    out = []
    for r in renders:
        f = facts[r.unit]
        if r.unlisted or (f.broken and r.seen is not None):
            out.append(r)
        elif f.updated or r.seen is None:
            out.append(_from_target(r, rollback))
        else:
            out.append(replace(r, held=True))
    return out


def _from_target(r: UnitRender, rollback: Rollback) -> UnitRender:
    assert rollback.render is not None
    try:
        return replace(r, child=stamped(rollback.render(r.unit, r.seen)), error=None)
    except SpecError as err:
        return replace(r, child=None, error=brief(f"rolling back: {err}"))
