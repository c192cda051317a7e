"""Reading a grid's ``spec`` into checked values, or a SpecError that says what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hooks.grids.autoscaling_spec import Autoscaling, parse_autoscaling
from hooks.grids.history import DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT
from hooks.grids.limits import measured
from hooks.grids.overrides import WORKLOAD_RULES, EntryRules, Override, parse_overrides
from hooks.grids.rollout_spec import RolloutSpec, parse_rollout
from hooks.kube.errors import SpecError
from hooks.kube.objects import pasted_object_error
from hooks.sites.site_spec import SiteSpec, parse_sites

DEFAULT_TEMPLATE_NAMES = ("", "default")


@dataclass(frozen=True)
class WorkloadSpec:
    """A workload grid's spec after validation."""

    sites: SiteSpec
    template: dict
    pool: dict[str, dict] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    default_template: str = ""
    overrides: tuple[Override, ...] = ()
    rollout: RolloutSpec | None = None
    """None: every unit gets what is rendered now at once (SuperEdge's behaviour)."""
    autoscaling: Autoscaling | None = None
    """``spec.autoscaling``; overrides may change it per unit (hooks.grids.autoscaling)."""
    history_limit: int = DEFAULT_HISTORY_LIMIT
    """``spec.revisionHistoryLimit``: older revisions kept as ControllerRevisions (hooks.grids.history)."""


def parse_workload_spec(
    spec: object, kind: str = "Deployment or StatefulSet", rules: EntryRules = WORKLOAD_RULES
) -> WorkloadSpec:
    """``kind`` names the workload in messages (``spec.template must be a Deployment spec, not ...``); ``rules``
    say what its ``overrides`` entries may set."""
    sites = parse_sites(spec)
    template = spec.get("template")
    if not isinstance(template, dict):
        raise SpecError(f"spec.template must be an object (a {kind} spec)")
    _check_not_an_object(template, "spec.template", kind)
    measured(template, "spec.template")
    pool = _string_map(spec, "templatePool", dict, "an object")
    for name, entry in pool.items():
        _check_not_an_object(entry, f"spec.templatePool[{name}]", kind)
        measured(entry, f"spec.templatePool[{name}]")
    templates = _string_map(spec, "templates", str, "a template name")
    default = spec.get("defaultTemplateName") or ""
    if not isinstance(default, str):
        raise SpecError("spec.defaultTemplateName must be a string")
    overrides = parse_overrides(spec.get("overrides"), rules)
    rollout = parse_rollout(spec.get("rollout"), sites)
    if not rules.replicas and spec.get("autoscaling") is not None:
        raise SpecError(f"spec.autoscaling: a {rules.grid_kind} has no replicas to autoscale")
    autoscaling = parse_autoscaling(spec.get("autoscaling"), "spec.autoscaling")
    limit = _history_limit(spec.get("revisionHistoryLimit"))
    return WorkloadSpec(sites, template, pool, templates, default, overrides, rollout, autoscaling, limit)


def _history_limit(value: object) -> int:
    if value is None:
        return DEFAULT_HISTORY_LIMIT
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_HISTORY_LIMIT:
        raise SpecError(f"spec.revisionHistoryLimit must be an integer from 0 to {MAX_HISTORY_LIMIT}")
    return value


def _check_not_an_object(template: Mapping, field: str, kind: str) -> None:
    problem = pasted_object_error(template, field, kind)
    if problem:
        raise SpecError(problem)


def _string_map(spec: Mapping, name: str, value_type: type, what: str) -> dict:
    value = spec.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"spec.{name} must be a map")
    for key, item in value.items():
        if not isinstance(item, value_type):
            raise SpecError(f"spec.{name}[{key}] must be {what}")
    return value


def template_for(spec: WorkloadSpec, unit: str) -> dict:
    """The template a unit uses: ``templates[unit]``, else the default name, else ``template``.

    A name missing from ``templatePool`` fails only this unit.
    """
    name = spec.templates.get(unit) or spec.default_template
    if name in DEFAULT_TEMPLATE_NAMES:
        return spec.template
    if name not in spec.pool:
        raise SpecError(f"template {name!r} is not in spec.templatePool")
    return spec.pool[name]
