"""Sync and customize hooks of the workload grids: DeploymentGrid, StatefulSetGrid, DaemonSetGrid and
CronJobGrid (one engine; the kinds differ only by their :class:`~hooks.grids.workload.WorkloadKind`)."""

from __future__ import annotations

from collections.abc import Mapping

from hooks.grids import autoscaling, grid_sync
from hooks.grids.applied import track, with_applied, with_resync
from hooks.grids.children import child_order
from hooks.grids.config_refs import Configs, observed_configs, related_rules, with_unit_configs
from hooks.grids.grid_spec import WorkloadSpec, parse_workload_spec, template_for
from hooks.grids.grid_status import grid_status, synced_condition
from hooks.grids.limits import with_limit_reason
from hooks.grids.overrides import apply_overrides, unmatched_units
from hooks.grids.rollout import roll, with_rollout
from hooks.grids.rollout_spec import spec_revision
from hooks.grids.stored_form import in_stored_form, with_stored_claim_templates
from hooks.grids.workload import WorkloadKind, base_child, pin_to_unit, status_figures, unit_child_names
from hooks.grids.workload_checks import CheckedContainers, check_workload
from hooks.sites.site_spec import ANY_KEY, AllowedKeys


def customize(request: object, kind: WorkloadKind, allowed: AllowedKeys = ANY_KEY) -> dict:
    """The grid's sites: Nodes or NodeUnits of its key (see :func:`hooks.grids.grid_sync.customize`), and the
    ConfigMapGrids its spec names with their ConfigMaps (hooks.grids.config_refs)."""
    answer = grid_sync.customize(request, lambda spec: parse_spec(spec, kind), allowed)
    if answer["relatedResources"]:  # a valid spec whose key is allowed
        parent = request["parent"]  # checked by grid_sync.customize
        namespace = parent["metadata"].get("namespace") or ""
        answer["relatedResources"] += related_rules(parent.get("spec"), namespace)
    return answer


def sync(request: object, kind: WorkloadKind, now: str, allowed: AllowedKeys = ANY_KEY) -> dict:
    """One child per unit, each pinned to its unit (and, autoscaled, its HPA); observed children kept on any
    spec error.

    ``allowed``: the keys this installation allows as ``gridUniqKey`` (hooks.sites.site_spec.AllowedKeys).
    """
    hpas = autoscaling.observed_autoscalers(request)
    related = request.get("related") if isinstance(request, dict) else None  # grid_sync.sync checks the shape
    return grid_sync.sync(
        request,
        kind.child_type,
        lambda spec: parse_spec(spec, kind),
        lambda parent, spec, units, observed, at: render_units(parent, spec, kind, units, observed, at, hpas, related),
        now,
        lambda grid_name, observed: unit_child_names(kind, grid_name, observed),
        allowed,
        kept_types=(autoscaling.HPA_TYPE,),
    )


def parse_spec(spec: object, kind: WorkloadKind) -> WorkloadSpec:
    """The grid's spec, read with the kind's name in messages and its rules for ``overrides`` entries."""
    return parse_workload_spec(spec, kind.kind, kind.overrides)


def render_units(
    parent: Mapping,
    spec: WorkloadSpec,
    kind: WorkloadKind,
    units: grid_sync.UnitSet,
    observed: Mapping,
    now: str,
    hpas: Mapping | None = None,
    related: Mapping | None = None,
) -> dict:
    """Render every unit; a unit that fails, or is unlisted, keeps its observed child and is named in status.

    With ``spec.rollout``, hooks.grids.rollout decides which units get their fresh child and which keep the
    observed one. A child sent and not observed is tracked by hooks.grids.applied. Autoscaled units
    (hooks.grids.autoscaling) keep their observed replicas and get an HPA (``hpas``: the observed ones by name).
    ``related``: the request's related objects, where the ConfigMapGrids the spec names are
    (hooks.grids.config_refs).
    """
    namespace = parent["metadata"].get("namespace") or ""
    configs = observed_configs(parent["spec"], related or {}, namespace, spec.sites.key)
    checked = CheckedContainers()  # one per sync: units share the template's container lists
    name_of = units.name_of
    unit_children = grid_sync.UnitChildren(
        name=name_of,
        render=lambda unit: render_unit(
            parent, spec, kind, unit, name_of(unit), checked, observed.get(name_of(unit)), configs
        ),
        state=lambda seen: _unit_state(kind, seen),
    )
    renders = grid_sync.render_each(units.all, observed, unit_children, unlisted=units.unlisted)
    decision = None
    if spec.rollout is not None:
        revision = spec_revision(parent["spec"])
        renders, decision = roll(renders, spec.rollout, revision, spec.sites, units, kind.ready, now)
    scaling = autoscaling.plan(spec, units.all, hpas or {})
    renders = autoscaling.with_replicas(renders, scaling)
    rendered = grid_sync.assemble(renders, unit_children)
    target = {"apiVersion": kind.api_version, "kind": kind.kind}
    scaled = autoscaling.finish(renders, scaling, target, parent["metadata"], spec.sites.key, rendered.states)
    desired = sorted([*rendered.desired, *scaled.children], key=child_order)
    applied = track(rendered.pending, parent.get("status"), now)
    synced = synced_condition(rendered.errors, len(rendered.states), applied.overdue, rendered.unlisted)
    synced = with_limit_reason(synced, rendered.reasons)
    extra = [*([decision.condition] if decision is not None else []), *scaled.conditions]
    created = parent["metadata"].get("creationTimestamp")
    status = grid_status(rendered.states, synced, parent.get("status"), now, extra, created)
    status = scaled.into(with_applied(status, applied))
    unmatched = unmatched_units(spec.overrides, units.all)
    if unmatched:
        status["unmatchedOverrideUnits"] = unmatched
    response = {"status": status, "children": desired}
    response = with_rollout(response, decision) if decision is not None else response
    return with_resync(response, applied.resync_after)


def render_unit(
    parent: Mapping,
    spec: WorkloadSpec,
    kind: WorkloadKind,
    unit: str,
    name: str,
    checked: CheckedContainers | None = None,
    seen: Mapping | None = None,
    configs: Configs | None = None,
) -> dict:
    """Resolution order: template choice -> child ``name`` -> overrides in order -> invariants -> the unit's
    ConfigMaps for the ConfigMapGrids it names (``configs``, hooks.grids.config_refs) -> well-formedness.

    Then lists Metacontroller replaces whole are put in the form the API server stores
    (:mod:`hooks.grids.stored_form`), with ``seen`` (the unit's observed child, if any) giving
    an existing StatefulSet's own immutable claim templates back.
    """
    meta = parent["metadata"]
    child = base_child(kind, meta, template_for(spec, unit), name)
    child = apply_overrides(child, spec.overrides, unit)
    child = pin_to_unit(kind, child, meta, spec.sites.key, unit, name)
    if configs is not None:
        child = with_unit_configs(child, kind.pod_path, configs, spec.sites.key, unit)
    check_workload(child, checked, kind)
    scaling = autoscaling.unit_scaling(spec.autoscaling, spec.overrides, unit)
    if scaling is not None:
        child = autoscaling.without_replicas(child)  # the autoscaler's value goes in after the stamp
        autoscaling.check_storable(scaling, {"apiVersion": kind.api_version, "kind": kind.kind, "name": name}, meta,
                                   spec.sites.key, unit)  # fmt: skip
    return with_stored_claim_templates(in_stored_form(child, kind.pod_path), seen)


def _unit_state(kind: WorkloadKind, seen: Mapping | None) -> dict:
    state = status_figures(kind, seen) if seen is not None else {}
    state["ready"] = kind.ready(seen)
    return state
