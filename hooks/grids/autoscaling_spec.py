"""Reading ``spec.autoscaling`` and an override's ``autoscaling`` into checked values.

Both hold the ``autoscaling/v2`` HorizontalPodAutoscaler spec without ``scaleTargetRef`` (``minReplicas``,
``maxReplicas``, ``metrics``, ``behavior``) and ``mode``, which says who owns a unit's ``replicas``:

- ``HPA`` (the default once autoscaling is given): the grid keeps one HorizontalPodAutoscaler per unit;
- ``External``: something else does (a KEDA ScaledObject, an HPA of the user's own, ``kubectl scale``); the
  grid renders no autoscaler and, like with ``HPA``, never changes the unit's ``replicas``;
- ``Disabled``: the grid does, from the template or the override (the opt-out of one unit).

Checks here are per block; whether a unit's combination is complete (``maxReplicas`` given, at least
``minReplicas``) is known only per unit, after the overrides (:mod:`hooks.grids.autoscaling`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from hooks.grids.limits import measured
from hooks.kube.errors import SpecError
from hooks.kube.objects import holds_null
from hooks.kube.quantities import canonical

HPA, EXTERNAL, DISABLED = "HPA", "External", "Disabled"
MODES = (HPA, EXTERNAL, DISABLED)
FIELDS = ("mode", "minReplicas", "maxReplicas", "metrics", "behavior")
MAX_REPLICAS = 2**31 - 1
METRIC_SOURCES = ("object", "pods", "resource", "containerResource", "external")
SCALING_RULES = ("scaleUp", "scaleDown")


@dataclass(frozen=True)
class Autoscaling:
    """One autoscaling block; a field left None was not given (an override then keeps the grid's)."""

    mode: str | None = None
    min_replicas: int | None = None
    max_replicas: int | None = None
    metrics: tuple[dict, ...] | None = None
    behavior: dict | None = None

    def over(self, base: Autoscaling | None) -> Autoscaling:
        """This block laid over ``base``: every field given here replaces base's (lists and objects whole)."""
        if base is None:
            return self
        given = {
            name: value
            for name, value in (
                ("mode", self.mode),
                ("min_replicas", self.min_replicas),
                ("max_replicas", self.max_replicas),
                ("metrics", self.metrics),
                ("behavior", self.behavior),
            )
            if value is not None
        }
        return replace(base, **given)


def parse_autoscaling(value: object, where: str) -> Autoscaling | None:
    """Check one block (``spec.autoscaling`` or ``spec.overrides[i].autoscaling``); None when absent."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SpecError(f"{where} must be an object")
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise SpecError(f"{where} has unknown field(s) {', '.join(unknown)}; allowed: {', '.join(FIELDS)}")
    measured(value, where)  # no HPA could hold a larger one (hooks.grids.limits)
    mode = value.get("mode")
    if mode is not None and mode not in MODES:
        raise SpecError(f"{where}.mode must be one of {', '.join(MODES)}, got {mode!r}")
    return Autoscaling(
        mode=mode,
        min_replicas=_replicas(value.get("minReplicas"), f"{where}.minReplicas", 1),
        max_replicas=_replicas(value.get("maxReplicas"), f"{where}.maxReplicas", 1),
        metrics=_metrics(value.get("metrics"), f"{where}.metrics"),
        behavior=_behavior(value.get("behavior"), f"{where}.behavior"),
    )


def _replicas(value: object, where: str, least: int) -> int | None:
    """An int32 of at least ``least`` (an HPA's minReplicas of 0 needs an alpha feature gate: not offered)."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= MAX_REPLICAS:
        raise SpecError(f"{where} must be an integer from {least} to {MAX_REPLICAS}, got {value!r}")
    return value


def _metrics(value: object, where: str) -> tuple[dict, ...] | None:
    """The list as the API server stores it: no nulls (they would be dropped), quantities canonical."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise SpecError(f"{where} must be a list of metric specs")
    if not value:
        # The API server stores an empty list as its default metric, so the child would never match.
        raise SpecError(f"{where} must not be empty: leave it out for Kubernetes' default (80% average CPU)")
    out = []
    for i, metric in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(metric, dict) or not isinstance(metric.get("type"), str):
            raise SpecError(f"{at} must be an object with a 'type'")
        _no_nulls(metric, at)
        out.append(_with_canonical_target(metric, at))
    return tuple(out)


def _with_canonical_target(metric: dict, where: str) -> dict:
    """``metric`` with its target's ``value`` and ``averageValue`` as the API server writes them."""
    out = metric
    for source in METRIC_SOURCES:
        spec = metric.get(source)
        target = spec.get("target") if isinstance(spec, dict) else None
        if isinstance(target, dict):
            fixed = _canonical_fields(target, ("value", "averageValue"), f"{where}.{source}.target")
            if fixed is not target:
                out = {**out, source: {**spec, "target": fixed}}
    return out


def _behavior(value: object, where: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SpecError(f"{where} must be an object")
    _no_nulls(value, where)
    out = value
    for rule in SCALING_RULES:
        rules = value.get(rule)
        if isinstance(rules, dict):
            fixed = _canonical_fields(rules, ("tolerance",), f"{where}.{rule}")
            if fixed is not rules:
                out = {**out, rule: fixed}
    return out


def _canonical_fields(obj: Mapping, names: tuple[str, ...], where: str) -> Mapping:
    """``obj`` with the named quantities in canonical form (a copy only when one changes)."""
    out = obj
    for name in names:
        if name not in obj:
            continue
        text = canonical(obj[name])
        if text is None:
            raise SpecError(f"{where}.{name} must be a quantity such as 10, '500m' or '2Gi', got {obj[name]!r}")
        if text != obj[name]:
            out = {**out, name: text}
    return out


def _no_nulls(value: object, where: str) -> None:
    if holds_null(value):
        raise SpecError(f"{where} must not be or contain null (leave the field out instead)")
