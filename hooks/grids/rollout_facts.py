"""What a rollout knows of each unit in one sync, and where the rollout stands: plain data, derived from the
request alone (hooks.grids.rollout decides, hooks.grids.rollout_status words it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hooks.grids.rollout_spec import RolloutSpec
from hooks.kube.times import parse_time

COMPLETE, PROGRESSING, PAUSED, HALTED = "Complete", "Progressing", "Paused", "Halted"
WAITING_FOR_OFFLINE = "WaitingForOffline"
"""Every online unit is healthy; only offline units keep an older child (they move when back online)."""
DEGRADED = "Degraded"
"""Every step is done, but some units failed within ``maxFailedUnits`` (they keep their new child)."""
STUCK = "Stuck"
"""The current step waits only for units that cannot be rendered: nothing moves until the spec is fixed."""
ROLLED_BACK = "RolledBack"
"""Halted with ``onFailure: Rollback``: the units that moved are rendered from the last completed revision."""


@dataclass(frozen=True)
class UnitFacts:
    """What the rollout knows of one unit this sync (all derived from the request)."""

    unit: str
    step: int
    has_child: bool
    updated: bool
    ready: bool
    since: str | None = None
    """When the unit started moving to its current child (only for an updated child that records it)."""
    broken: bool = False
    """The unit cannot be rendered (it keeps its child; Synced names it): it cannot move."""
    departing: bool = False
    """In its grace period (no nodes): in no step; it keeps its child unless that is already updated."""
    offline: bool = False
    """No Ready node for ``offlineAfterSeconds``: it never holds its step, is never moved, never fails."""
    dark: bool = False
    """No Ready node, not yet for ``offlineAfterSeconds``: it is not moved (it could not start anything)."""
    online_since: str | None = None
    """Since when the unit has had a Ready node (None: not known). The earliest such time for a unit on its way
    (updated, not ready), the only units whose deadline (:attr:`started`) is read; for the others, a time it
    has been online since."""
    offline_at: str | None = None
    """When a dark unit becomes offline."""
    rolled_back: bool = False
    """Its observed child was rolled back from the current revision (hooks.grids.rollback)."""

    @property
    def healthy(self) -> bool:
        return self.updated and self.ready

    @property
    def started(self) -> str | None:
        """When the unit's progress deadline started: when it started moving or, if later, when it came back
        online (a unit that moved and then lost its nodes gets its full deadline once it reconnects)."""
        start, back = parse_time(self.since), parse_time(self.online_since)
        if start is None:
            return None
        return self.online_since if back is not None and back > start else self.since


@dataclass(frozen=True)
class Standing:
    """Where the rollout stands after this sync's decision."""

    spec: RolloutSpec
    revision: str
    members: list[list[UnitFacts]]
    """The units of each step (departing ones in none)."""
    current: int | None
    """The first step not done (None: every step is done)."""
    state: str
    moving: list[str] = field(default_factory=list)
    on_way: list[UnitFacts] = field(default_factory=list)
    """Units of the current step counting against its maxUpdating (before this sync's moves)."""
    failed: list[UnitFacts] = field(default_factory=list)
    """Units of the steps up to the current one not healthy ``progressDeadlineSeconds`` after they moved."""
    budget: int = 0
    """``maxFailedUnits`` as a count of the rollout's units."""
    deferred: list[str] = field(default_factory=list)
    """Offline units of the steps up to the current one that keep an older child until they are back."""
    held: frozenset[str] = frozenset()
    blocked: list[str] = field(default_factory=list)
    """Units of the current step that cannot be rendered."""
    rolled_back_to: str | None = None
    rolled_back: list[str] = field(default_factory=list)
    """Units rendered from the last completed revision (RolledBack only)."""
    note: str | None = None
    """One more sentence for the condition: what a halt leads to with onFailure Rollback, or why a revision
    was rolled back."""

    @property
    def everyone(self) -> list[UnitFacts]:
        return [f for m in self.members for f in m]
