"""Reading a grid's ``spec`` into checked values, or a SpecError that says what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hooks.errors import SpecError
from hooks.names import label_key_error
from hooks.overrides import Override, parse_overrides
from hooks.selectors import validate_selector
from hooks.site_source import NODES_SOURCE, parse_site_source

DEFAULT_TEMPLATE_NAMES = ("", "default")
MAX_GRACE_SECONDS = 10 * 365 * 24 * 3600
"""Ten years: longer makes no sense, and grace deadlines must stay inside the calendar."""


@dataclass(frozen=True)
class SiteSpec:
    """What every grid kind shares: which label defines units and which nodes count."""

    key: str
    node_selector: dict
    grace_seconds: int = 0
    source: str = NODES_SOURCE  # where units come from: Nodes or NodeUnits (hooks.site_source)


@dataclass(frozen=True)
class WorkloadSpec:
    """A DeploymentGrid/StatefulSetGrid spec after validation."""

    sites: SiteSpec
    template: dict
    pool: dict[str, dict] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    default_template: str = ""
    overrides: tuple[Override, ...] = ()


MAX_SPEC_DEPTH = 100
"""Deeper specs are refused: no Kubernetes object nests anywhere near this, and the JSON encoder stops at 254."""


def parse_sites(spec: object) -> SiteSpec:
    if not isinstance(spec, Mapping):
        raise SpecError("spec must be an object")
    _check_depth(spec)
    key = spec.get("gridUniqKey")
    problem = label_key_error(key)
    if problem:
        raise SpecError(f"spec.gridUniqKey {key!r} is not a valid label key: {problem}")
    selector = validate_selector(spec.get("nodeSelector"), "spec.nodeSelector")
    source = parse_site_source(spec, key, selector)
    return SiteSpec(key=key, node_selector=selector, grace_seconds=_grace_seconds(spec), source=source)


def _check_depth(spec: Mapping) -> None:
    """Refuse absurdly nested specs up front (iteratively: recursion would hit Python's own limit)."""
    level, depth = [spec], 1
    while level:
        if depth > MAX_SPEC_DEPTH:
            raise SpecError(f"spec nests deeper than {MAX_SPEC_DEPTH} levels")
        level = [
            v
            for node in level
            for v in (node.values() if isinstance(node, dict) else node)
            if isinstance(v, dict | list)
        ]
        depth += 1


def _grace_seconds(spec: Mapping) -> int:
    value = spec.get("unitRemovalGracePeriodSeconds", 0)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_GRACE_SECONDS:
        raise SpecError(f"spec.unitRemovalGracePeriodSeconds must be an integer from 0 to {MAX_GRACE_SECONDS}")
    return value


def parse_workload_spec(spec: object) -> WorkloadSpec:
    sites = parse_sites(spec)
    template = spec.get("template")
    if not isinstance(template, dict):
        raise SpecError("spec.template must be an object (a Deployment or StatefulSet spec)")
    pool = _string_map(spec, "templatePool", dict, "an object")
    templates = _string_map(spec, "templates", str, "a template name")
    default = spec.get("defaultTemplateName") or ""
    if not isinstance(default, str):
        raise SpecError("spec.defaultTemplateName must be a string")
    overrides = parse_overrides(spec.get("overrides"))
    return WorkloadSpec(sites, template, pool, templates, default, overrides)


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
