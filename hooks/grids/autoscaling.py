"""Per-unit autoscaling: one HorizontalPodAutoscaler per unit, and the unit's ``replicas`` left to it.

Who owns a unit's ``replicas`` is decided per unit from ``spec.autoscaling`` and the overrides'
``autoscaling`` blocks (:mod:`hooks.grids.autoscaling_spec`). When an autoscaler owns them (mode ``HPA`` or
``External``), the hook must never change them, and Metacontroller's default apply (a three-way merge with
its record of what it last applied, :mod:`hooks.grids.children`) decides what that takes:

- A field never sent is left to others: a child whose record holds no ``replicas`` gets none. That covers
  every child created while its unit is autoscaled (Kubernetes creates it with 1 replica, the autoscaler
  sets its own number at its next sync) and every template without ``replicas``. Metacontroller then has
  no reason to write the child when the autoscaler scales.
- A field sent before and no longer sent is *removed*, and the API server would default a Deployment's
  ``replicas`` to 1: a unit the grid scaled before autoscaling was switched on keeps getting its observed
  ``replicas``. Metacontroller merges the child into the very object it observed (the one the hook was
  sent) and writes the result with that object's ``resourceVersion``, so the value cannot change: either
  it is written back as it was, or the autoscaler wrote since and the write is refused as a conflict.
  Each scaling does cost one write of Metacontroller's record (the new number is recorded).
- That hand-over ends when such a unit is at 1 replica: removing the field then leaves 1, so the hook stops
  sending it (and a conflict again protects a scaling that came in between).

The value is put in after the child's revision stamp is computed (:mod:`hooks.grids.revision`), so neither
the stamp nor the rollout's notion of "updated" moves when the autoscaler scales. Kept children (failed,
held back by a rollout, unlisted) carry their observed ``replicas`` by the same rule
(:func:`hooks.grids.children.kept_child`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from hooks.grids.autoscaling_spec import EXTERNAL, HPA, Autoscaling
from hooks.grids.children import applied_record, child_annotations, child_labels, kept_child
from hooks.grids.grid_spec import WorkloadSpec
from hooks.grids.grid_status import named
from hooks.grids.grid_sync import UnitRender
from hooks.grids.json_patch import UNIT_PLACEHOLDER
from hooks.grids.limits import check_child_size
from hooks.kube.conditions import condition
from hooks.kube.errors import SpecError, brief
from hooks.kube.objects import integer, mapping
from hooks.protocol.partial import ANY, TEXT
from hooks.protocol.request import objects_of

HPA_KIND = "HorizontalPodAutoscaler"
HPA_API_VERSION = "autoscaling/v2"
HPA_TYPE = f"{HPA_KIND}.{HPA_API_VERSION}"
HPA_FIELDS = {"metadata": {"name": TEXT}, "status": ANY}
"""What the grid hooks read of an observed HorizontalPodAutoscaler (hooks.protocol.partial)."""
CONDITION = "Autoscaling"
REPORTED_CONDITIONS = (("AbleToScale", "ableToScale"), ("ScalingActive", "scalingActive"))
LIMITED_CONDITION = ("ScalingLimited", "scalingLimited")
LISTED = 10
"""At most this many units are named in a list or a message; counts are always exact."""
MESSAGE_LIMIT = 160
DEFAULT_REPLICAS = 1
"""What the API server sets when a Deployment or StatefulSet is written without ``replicas``."""
ACTIVE, CANNOT_SCALE, WAITING, EXTERNAL_ONLY = "Active", "CannotScale", "Waiting", "External"


class HasAutoscaling(Protocol):
    autoscaling: Autoscaling | None

    def applies_to(self, unit: str) -> bool: ...


@dataclass(frozen=True)
class UnitScaling:
    """Who owns one unit's replicas, and the autoscaler to render for it (``HPA`` mode)."""

    mode: str
    min_replicas: int | None = None
    max_replicas: int | None = None
    metrics: tuple[dict, ...] | None = None
    behavior: dict | None = None


def unit_scaling(grid: Autoscaling | None, overrides: Iterable[HasAutoscaling], unit: str) -> UnitScaling | None:
    """The unit's autoscaling after every matching override, or None when the grid owns its replicas.

    SpecError (fails this unit only) when an ``HPA`` unit ends up without ``maxReplicas`` or with
    ``minReplicas`` above it.
    """
    block = grid
    for entry in overrides:
        if entry.autoscaling is not None and entry.applies_to(unit):
            block = entry.autoscaling.over(block)
    if block is None or block.mode not in (None, HPA, EXTERNAL):
        return None
    mode = block.mode or HPA
    if mode == HPA:
        if block.max_replicas is None:
            raise SpecError("autoscaling: maxReplicas is required (in spec.autoscaling or a matching override)")
        if (block.min_replicas or 1) > block.max_replicas:
            raise SpecError(f"autoscaling: minReplicas {block.min_replicas} is above maxReplicas {block.max_replicas}")
    return UnitScaling(mode, block.min_replicas, block.max_replicas, block.metrics, block.behavior)


@dataclass(frozen=True)
class Scaling:
    """One sync's autoscaling: the units whose replicas an autoscaler owns, and the observed HPAs by name."""

    units: Mapping[str, UnitScaling]
    failed: frozenset[str] = frozenset()
    """Units whose autoscaling cannot be resolved (their render fails too): their HPA is kept as it is."""
    observed: Mapping[str, Mapping] = field(default_factory=dict)

    def owns_replicas(self, unit: str) -> bool:
        return unit in self.units


def plan(spec: WorkloadSpec, units: Iterable[str], observed: Mapping[str, Mapping]) -> Scaling:
    """Resolve every unit once per sync."""
    owned: dict[str, UnitScaling] = {}
    failed: set[str] = set()
    for unit in units:
        try:
            scaling = unit_scaling(spec.autoscaling, spec.overrides, unit)
        except SpecError:
            failed.add(unit)
            continue
        if scaling is not None:
            owned[unit] = scaling
    return Scaling(owned, frozenset(failed), observed)


def observed_autoscalers(request: object) -> dict[str, Mapping]:
    """The request's observed HPAs by name; nothing when the request cannot be read (the sync says why)."""
    children = request.get("children") if isinstance(request, dict) else None
    if not isinstance(children, dict) or not isinstance(children.get(HPA_TYPE, {}), dict):
        return {}
    out = {}
    for hpa in objects_of(children, HPA_TYPE):
        name = mapping(hpa, "metadata").get("name")
        if isinstance(name, str):
            out[name] = hpa
    return out


def without_replicas(child: dict) -> dict:
    """The rendered child without ``spec.replicas``: an autoscaler's value is put in after the stamp."""
    spec = child.get("spec")
    if not isinstance(spec, dict) or "replicas" not in spec:
        return child
    return {**child, "spec": {k: v for k, v in spec.items() if k != "replicas"}}


def with_replicas(renders: list[UnitRender], scaling: Scaling) -> list[UnitRender]:
    """Fresh children of autoscaled units carry their observed ``replicas`` while Metacontroller's record holds
    them, except at 1 (the default: see the module's docstring); otherwise none."""
    out = []
    for r in renders:
        fresh = r.child is not None and r.error is None and not r.held
        now = integer(mapping(r.seen, "spec"), "replicas") if r.seen is not None else None
        if fresh and scaling.owns_replicas(r.unit) and now not in (None, DEFAULT_REPLICAS) and _recorded(r.seen):
            r = replace(r, child={**r.child, "spec": {**r.child["spec"], "replicas": now}})
        out.append(r)
    return out


def _recorded(seen: Mapping) -> bool:
    """Whether Metacontroller's record of the observed child holds ``spec.replicas``."""
    record = applied_record(seen)
    return record is not None and "replicas" in mapping(record, "spec")


def autoscalers(
    renders: Iterable[UnitRender], scaling: Scaling, target: Mapping, parent_meta: Mapping, key: str
) -> list[dict]:
    """One HPA per unit in ``HPA`` mode that has a workload child; a unit that is unlisted or cannot be rendered
    keeps its own as it is (like its workload).

    ``target`` is the workload's ``apiVersion`` and ``kind``; the HPA is named like the unit's workload.
    """
    out = []
    for r in renders:
        seen = scaling.observed.get(r.name)
        has_workload = r.child is not None or r.seen is not None
        if r.unlisted or r.error is not None or r.unit in scaling.failed:
            if seen is not None:
                out.append(kept_child(seen))
            continue
        unit = scaling.units.get(r.unit)
        if unit is not None and unit.mode == HPA and has_workload:
            out.append(autoscaler(unit, {**target, "name": r.name}, parent_meta, key, r.unit))
    return out


def autoscaler(scaling: UnitScaling, target: Mapping, parent_meta: Mapping, key: str, unit: str) -> dict:
    """The unit's HorizontalPodAutoscaler; ``{{unit}}`` in its metrics becomes the unit (per-site metrics)."""
    spec: dict = {"scaleTargetRef": dict(target), "maxReplicas": scaling.max_replicas}
    if scaling.min_replicas is not None:
        spec["minReplicas"] = scaling.min_replicas
    if scaling.metrics is not None:
        spec["metrics"] = with_unit(list(scaling.metrics), unit)
    if scaling.behavior is not None:
        spec["behavior"] = scaling.behavior
    meta = {
        "name": target["name"],
        "labels": child_labels(parent_meta, key, unit),
        "annotations": child_annotations(parent_meta, key),
    }
    if parent_meta.get("namespace"):
        meta["namespace"] = parent_meta["namespace"]
    return {"apiVersion": HPA_API_VERSION, "kind": HPA_KIND, "metadata": meta, "spec": spec}


def with_unit(value: object, unit: str) -> object:
    """A copy of ``value`` with every ``{{unit}}`` in its strings and keys replaced by ``unit`` (plain text
    replacement, as in override patches; nothing else is interpreted)."""
    if isinstance(value, str):
        return value.replace(UNIT_PLACEHOLDER, unit)
    if isinstance(value, dict):
        return {k.replace(UNIT_PLACEHOLDER, unit): with_unit(v, unit) for k, v in value.items()}
    if isinstance(value, list):
        return [with_unit(v, unit) for v in value]
    return value


def check_storable(scaling: UnitScaling, target: Mapping, parent_meta: Mapping, key: str, unit: str) -> None:
    """LimitExceeded (fails the unit, which keeps its children) when the unit's HPA could not be stored with
    Metacontroller's record of it (hooks.grids.limits): the grid's annotations and the metrics are its bulk."""
    if scaling.mode == HPA:
        check_child_size(autoscaler(scaling, target, parent_meta, key, unit), "HorizontalPodAutoscaler")


def unit_state(scaling: UnitScaling, hpa: Mapping | None) -> dict:
    """``states[unit].autoscaling``: from the observed HPA only (its status figures and conditions).

    ``canScale`` is False when the HPA reports ``AbleToScale`` or ``ScalingActive`` False (the reason and
    message of the first are given), True when it reports both True, and absent until it reports.
    """
    if scaling.mode != HPA:
        return {"mode": scaling.mode}
    state: dict = {"mode": HPA}
    status = mapping(hpa, "status") if hpa is not None else {}
    for name in ("currentReplicas", "desiredReplicas"):
        value = integer(status, name)
        if value is not None:
            state[name] = value
    reported = {c.get("type"): c for c in status.get("conditions") or [] if isinstance(c, Mapping)}
    for ctype, name in (*REPORTED_CONDITIONS, LIMITED_CONDITION):
        if isinstance(reported.get(ctype, {}).get("status"), str):
            state[name] = reported[ctype]["status"]
    failing = next((reported[t] for t, name in REPORTED_CONDITIONS if state.get(name) == "False"), None)
    if failing is not None:
        state["canScale"] = False
        state["reason"] = str(failing.get("reason") or failing["type"])
        state["message"] = brief(str(failing.get("message") or ""), MESSAGE_LIMIT)
    elif all(state.get(name) == "True" for _, name in REPORTED_CONDITIONS):
        state["canScale"] = True
    return state


@dataclass(frozen=True)
class Scaled:
    """What autoscaling adds to a workload grid's answer: the HPAs, ``status.autoscaling``, the condition."""

    children: list[dict]
    status: dict | None = None
    conditions: tuple[dict, ...] = ()

    def into(self, status: dict) -> dict:
        """``status`` with ``status.autoscaling`` (when some unit is autoscaled)."""
        return {**status, "autoscaling": self.status} if self.status is not None else status


def finish(
    renders: list[UnitRender],
    scaling: Scaling,
    target: Mapping,
    parent_meta: Mapping,
    key: str,
    states: dict[str, dict],
) -> Scaled:
    """The HPAs (:func:`autoscalers`) and each autoscaled unit's state added to ``states`` (in place)."""
    children = autoscalers(renders, scaling, target, parent_meta, key)
    summary_ = with_states(states, scaling, {r.unit: r.name for r in renders})
    if summary_ is None:
        return Scaled(children)
    status, cond = summary_
    return Scaled(children, status, (cond,) if cond is not None else ())


def with_states(states: dict[str, dict], scaling: Scaling, names: Mapping[str, str]) -> tuple[dict, dict] | None:
    """Add each autoscaled unit's state; return ``status.autoscaling`` and the ``Autoscaling`` condition, or
    None when no unit is autoscaled. ``names`` maps a unit to its workload's (and HPA's) name."""
    by_mode: dict[str, list[str]] = {HPA: [], EXTERNAL: []}
    for unit, unit_scaling_ in sorted(scaling.units.items()):
        if unit not in states:
            continue
        hpa = scaling.observed.get(names[unit]) if unit in names else None
        states[unit] = {**states[unit], "autoscaling": unit_state(unit_scaling_, hpa)}
        by_mode[unit_scaling_.mode].append(unit)
    hpa_units = by_mode[HPA]
    if not hpa_units and not by_mode[EXTERNAL]:
        return None
    can = [u for u in hpa_units if states[u]["autoscaling"].get("canScale") is True]
    cannot = [u for u in hpa_units if states[u]["autoscaling"].get("canScale") is False]
    return summary(len(hpa_units), len(can), cannot, len(by_mode[EXTERNAL])), _condition(hpa_units, can, cannot, states)


def summary(units: int, can: int, cannot: list[str], external: int) -> dict:
    """``status.autoscaling``: counts at any fleet size, at most LISTED units named."""
    if not units:
        state = EXTERNAL_ONLY
    elif cannot:
        state = CANNOT_SCALE
    else:
        state = ACTIVE if can == units else WAITING
    out: dict = {"state": state, "units": units, "ableToScaleUnits": can}
    if cannot:
        out["unableToScaleUnits"] = len(cannot)
        out["unableToScale"] = cannot[:LISTED]
    if external:
        out["externalUnits"] = external
    return out


def _condition(units: list[str], can: list[str], cannot: list[str], states: Mapping[str, Mapping]) -> dict | None:
    """The ``Autoscaling`` condition, when some unit has an HPA of the grid."""
    if not units:
        return None
    if cannot:
        causes = "; ".join(
            f"{u}: {states[u]['autoscaling']['reason']} {states[u]['autoscaling']['message']}".rstrip()
            for u in cannot[:3]
        )
        return condition(
            CONDITION,
            False,
            CANNOT_SCALE,
            f"{len(cannot)} of {len(units)} autoscaled units cannot scale ({named(cannot, 3)}): {causes}",
        )
    if len(can) == len(units):
        return condition(CONDITION, True, ACTIVE, f"the autoscalers of all {len(units)} autoscaled units can scale")
    waiting = sorted(set(units) - set(can))
    return condition(
        CONDITION, False, WAITING, f"{len(waiting)} of {len(units)} autoscalers have not reported yet: {named(waiting)}"
    )
