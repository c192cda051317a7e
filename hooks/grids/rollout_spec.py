"""``spec.rollout`` read into checked values, and the grid-level revision of a workload grid.

A rollout says in which order units move to what the grid renders now: ordered steps of units (by name
and/or by the labels of their nodes), how many units of a step may be on their way at once
(``maxUpdating``), how long a unit may take to become healthy (``progressDeadlineSeconds``) and whether
the rollout is ``paused``. The decisions per sync are made in :mod:`hooks.grids.rollout`; this module only
validates, so that a typo is one ``InvalidSpec`` (every child kept) rather than a half-understood plan.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import orjson

from hooks.kube.errors import SpecError
from hooks.kube.names import is_dns1035_label, is_label_value
from hooks.kube.selectors import LabelTest, selector_test, validate_selector
from hooks.sites.site_spec import NODEUNITS_SOURCE, SiteSpec, check_unit_terms_only

DEFAULT_DEADLINE_SECONDS = 600
"""As a Deployment's own ``progressDeadlineSeconds`` default: ten minutes to become healthy."""
MAX_DEADLINE_SECONDS = 10 * 365 * 24 * 3600
DEFAULT_OFFLINE_AFTER_SECONDS = 300
"""Five minutes without a Ready node: longer than a node's restart or a short link outage (a node is marked
not Ready some 40 s after its last heartbeat), short enough not to hold a rollout long."""
HALT, ROLLBACK = "Halt", "Rollback"
ON_FAILURE = (HALT, ROLLBACK)
REMAINING_STEP = "remaining"
"""The name of the implicit last step: every unit no step names."""
PERCENT = re.compile(r"^([1-9][0-9]?|100)%\Z")
BUDGET_PERCENT = re.compile(r"^([0-9]|[1-9][0-9]|100)%\Z")
REVISION_FIELDS = ("template", "templatePool", "templates", "defaultTemplateName", "overrides")
"""The spec fields that shape a workload grid's children (besides the sites): the grid-level revision."""
STEP_FIELDS = {"name", "units", "nodeSelector", "maxUpdating"}
ROLLOUT_FIELDS = {
    "steps",
    "maxUpdating",
    "progressDeadlineSeconds",
    "paused",
    "offlineAfterSeconds",
    "maxFailedUnits",
    "onFailure",
}


@dataclass(frozen=True)
class MaxUpdating:
    """A count (``3``) or a percentage of the step's units (``"25%"``)."""

    count: int = 1
    percent: int | None = None

    def of(self, units: int) -> int:
        """How many units may be on their way at once in a step of ``units`` units.

        A percentage rounds down (the safe side) but is at least 1, so every step can move.
        """
        if self.percent is None:
            return self.count
        return max(1, units * self.percent // 100)

    def __str__(self) -> str:
        return f"{self.percent}%" if self.percent is not None else str(self.count)


@dataclass(frozen=True)
class MaxFailed:
    """A count (``2``) or a percentage of the rollout's units (``"5%"``, rounded down: ``0%`` and small fleets
    may tolerate none)."""

    count: int = 0
    percent: int | None = None

    def of(self, units: int) -> int:
        if self.percent is None:
            return self.count
        return units * self.percent // 100

    def __str__(self) -> str:
        return f"{self.percent}%" if self.percent is not None else str(self.count)


@dataclass(frozen=True)
class Step:
    name: str
    units: frozenset[str]
    node_selector: dict | None
    """None: the step picks no unit by node labels (an empty selector ``{}`` picks every unit)."""
    max_updating: MaxUpdating

    def picks(self, unit: str, node_labels: list[Mapping]) -> bool:
        """Whether ``unit`` is in this step: named, or one of its nodes' label sets matches the selector."""
        if unit in self.units:
            return True
        return self.node_selector is not None and any(self._selects(labels) for labels in node_labels)

    @cached_property
    def _selects(self) -> LabelTest:
        """The node selector's test, built once per parsed spec (it is run for every Node of the grid)."""
        return selector_test(self.node_selector or {})


@dataclass(frozen=True)
class RolloutSpec:
    steps: tuple[Step, ...]
    """The user's steps in order, then the implicit ``remaining`` step (always last, selecting nothing)."""
    deadline_seconds: int = DEFAULT_DEADLINE_SECONDS
    paused: bool = False
    offline_after: int = DEFAULT_OFFLINE_AFTER_SECONDS
    """A unit without a Ready node for this long is offline: deferred (hooks.grids.rollout)."""
    max_failed: MaxFailed = MaxFailed()
    on_failure: str = HALT

    @property
    def uses_node_labels(self) -> bool:
        return any(step.node_selector is not None for step in self.steps)


def parse_rollout(value: object, sites: SiteSpec) -> RolloutSpec | None:
    """``spec.rollout`` checked; None when absent (every unit at once, as SuperEdge does)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SpecError("spec.rollout must be an object")
    _no_unknown(value, ROLLOUT_FIELDS, "spec.rollout")
    default = parse_max_updating(value.get("maxUpdating"), "spec.rollout.maxUpdating")
    steps = value.get("steps")
    if steps is None:
        steps = []
    if not isinstance(steps, list):
        raise SpecError("spec.rollout.steps must be a list")
    parsed = [_step(item, i, default, sites) for i, item in enumerate(steps)]
    names = [s.name for s in parsed]
    for name in names:
        if name == REMAINING_STEP or names.count(name) > 1:
            what = "is reserved for the implicit last step" if name == REMAINING_STEP else "is used twice"
            raise SpecError(f"spec.rollout.steps: step name {name!r} {what}")
    remaining = Step(REMAINING_STEP, frozenset(), None, default)
    return RolloutSpec(
        steps=(*parsed, remaining),
        deadline_seconds=_seconds(value.get("progressDeadlineSeconds"), "progressDeadlineSeconds", 1),
        paused=_paused(value.get("paused")),
        offline_after=_seconds(value.get("offlineAfterSeconds"), "offlineAfterSeconds", 0),
        max_failed=parse_max_failed(value.get("maxFailedUnits")),
        on_failure=_on_failure(value.get("onFailure")),
    )


def _step(item: object, index: int, default: MaxUpdating, sites: SiteSpec) -> Step:
    field = f"spec.rollout.steps[{index}]"
    if not isinstance(item, dict):
        raise SpecError(f"{field} must be an object")
    _no_unknown(item, STEP_FIELDS, field)
    name = item.get("name")
    if name is None:
        name = f"step-{index + 1}"
    if not isinstance(name, str) or not is_dns1035_label(name):
        raise SpecError(f"{field}.name must be a DNS-1035 label (lower case, digits, '-'), not {name!r}")
    units = item.get("units")
    if units is not None and (not isinstance(units, list) or not all(is_label_value(u) and u for u in units)):
        raise SpecError(f"{field}.units must be a list of unit values (label values)")
    raw_selector = item.get("nodeSelector")
    selector = None if raw_selector is None else validate_selector(raw_selector, f"{field}.nodeSelector")
    if units is None and selector is None:
        raise SpecError(f"{field} picks no unit: give units, nodeSelector or both")
    if selector is not None and sites.source == NODEUNITS_SOURCE:
        check_unit_terms_only(selector, sites.key, f"{field}.nodeSelector")
    max_updating = item.get("maxUpdating")
    own = default if max_updating is None else parse_max_updating(max_updating, f"{field}.maxUpdating")
    return Step(name, frozenset(units or ()), selector, own)


def parse_max_updating(value: object, field: str) -> MaxUpdating:
    """An integer of at least 1, or a percentage from ``1%`` to ``100%``; absent means 1."""
    if value is None:
        return MaxUpdating()
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return MaxUpdating(count=value)
    if isinstance(value, str) and PERCENT.match(value):
        return MaxUpdating(percent=int(value[:-1]))
    raise SpecError(f"{field} must be an integer of at least 1 or a percentage from 1% to 100%, not {value!r}")


def parse_max_failed(value: object) -> MaxFailed:
    """An integer of at least 0, or a percentage from ``0%`` to ``100%``; absent means 0."""
    if value is None:
        return MaxFailed()
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return MaxFailed(count=value)
    if isinstance(value, str) and BUDGET_PERCENT.match(value):
        return MaxFailed(percent=int(value[:-1]))
    raise SpecError(
        f"spec.rollout.maxFailedUnits must be an integer of at least 0 or a percentage from 0% to 100%, not {value!r}"
    )


DEFAULT_SECONDS = {
    "progressDeadlineSeconds": DEFAULT_DEADLINE_SECONDS,
    "offlineAfterSeconds": DEFAULT_OFFLINE_AFTER_SECONDS,
}


def _seconds(value: object, name: str, least: int) -> int:
    if value is None:
        return DEFAULT_SECONDS[name]
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= MAX_DEADLINE_SECONDS:
        raise SpecError(f"spec.rollout.{name} must be an integer from {least} to {MAX_DEADLINE_SECONDS}")
    return value


def _on_failure(value: object) -> str:
    if value is None:
        return HALT
    if value not in ON_FAILURE:
        raise SpecError(f"spec.rollout.onFailure must be one of {', '.join(ON_FAILURE)}, not {value!r}")
    return value


def _paused(value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise SpecError("spec.rollout.paused must be true or false")
    return value


def _no_unknown(obj: Mapping, known: set[str], field: str) -> None:
    """Unknown fields are an error: the CRD prunes them, so only objects that bypass it get here, and a
    misspelt ``maxUpdating`` silently meaning 1 is worse than a clear InvalidSpec."""
    unknown = sorted(set(obj) - known)
    if unknown:
        raise SpecError(f"{field} has unknown field(s): {', '.join(unknown)}")


def revision_input(spec: Mapping) -> dict:
    """The spec fields that shape a workload grid's children (REVISION_FIELDS), those that are set."""
    return {name: spec[name] for name in REVISION_FIELDS if spec.get(name) is not None}


def spec_revision(spec: Mapping, kind: str) -> str:
    """16 hex digits of sha256 over the grid's kind and the spec fields that shape children (REVISION_FIELDS),
    sorted-key JSON.

    It names "what the grid renders now" for people (status, ``kubectl get``) and names the grid's
    ControllerRevision of it (hooks.grids.history; the kind keeps a DeploymentGrid's and a StatefulSetGrid's
    of one name apart). Whether a unit is on it is decided per unit by the child's own stamp
    (hooks.grids.revision), which also covers grid labels and annotations and the unit's own overrides.
    """
    shaping = {"kind": kind, **revision_input(spec)}
    return hashlib.sha256(orjson.dumps(shaping, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
