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
from hooks.grids.history import COMPLETED, CR_TYPE, ROLLED_BACK, History, history_children, read_history
from hooks.grids.limits import with_limit_reason
from hooks.grids.overrides import apply_overrides, unmatched_units
from hooks.grids.rollback import Rollback
from hooks.grids.rollout import Decision, roll, with_rollout
from hooks.grids.rollout_spec import REVISION_FIELDS, ROLLBACK, revision_input, spec_revision
from hooks.grids.stored_form import in_stored_form, with_stored_claim_templates
from hooks.grids.workload import WorkloadKind, base_child, pin_to_unit, status_figures, unit_child_names
from hooks.grids.workload_checks import CheckedContainers, check_workload
from hooks.kube.errors import SpecError
from hooks.kube.names import NameOf
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
    """One child per unit, each pinned to its unit (and, autoscaled, its HPA), and the grid's revision history;
    observed children kept on any spec error.

    ``allowed``: the keys this installation allows as ``gridUniqKey`` (hooks.sites.site_spec.AllowedKeys).
    """
    hpas = autoscaling.observed_autoscalers(request)
    related = request.get("related") if isinstance(request, dict) else None  # grid_sync.sync checks the shape
    return grid_sync.sync(
        request,
        kind.child_type,
        lambda spec: parse_spec(spec, kind),
        lambda parent, spec, units, observed, at: render_units(
            parent, spec, kind, units, observed, at, hpas, observed_records(request), related
        ),
        now,
        lambda grid_name, observed: unit_child_names(kind, grid_name, observed),
        allowed,
        kept_types=(autoscaling.HPA_TYPE, CR_TYPE),
    )


def parse_spec(spec: object, kind: WorkloadKind) -> WorkloadSpec:
    """The grid's spec, read with the kind's name in messages and its rules for ``overrides`` entries."""
    return parse_workload_spec(spec, kind.kind, kind.overrides)


def observed_records(request: Mapping) -> Mapping | None:
    """The observed ControllerRevisions, or None when the controller does not declare them (no history)."""
    records = request["children"].get(CR_TYPE)
    return None if records is None else {k: v for k, v in records.items() if isinstance(v, dict)}


def render_units(
    parent: Mapping,
    spec: WorkloadSpec,
    kind: WorkloadKind,
    units: grid_sync.UnitSet,
    observed: Mapping,
    now: str,
    hpas: Mapping | None = None,
    records: Mapping | None = None,
    related: Mapping | None = None,
) -> dict:
    """Render every unit; a unit that fails, or is unlisted, keeps its observed child and is named in status.

    With ``spec.rollout``, hooks.grids.rollout decides which units get their fresh child and which keep the
    observed one. A child sent and not observed is tracked by hooks.grids.applied. Autoscaled units
    (hooks.grids.autoscaling) keep their observed replicas and get an HPA (``hpas``: the observed ones by name).
    ``records`` are the observed ControllerRevisions (None: the controller keeps no history). ``related``: the
    request's related objects, where the ConfigMapGrids the spec names are (hooks.grids.config_refs).
    """
    meta = parent["metadata"]
    configs = observed_configs(parent["spec"], related or {}, meta.get("namespace") or "", spec.sites.key)
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
    revision = spec_revision(parent["spec"], kind.grid_kind)
    history = None
    if records is not None:
        data = {"spec": revision_input(parent["spec"])}
        history = read_history(records, meta["name"], revision, data, spec.history_limit)
    decision = None
    if spec.rollout is not None:
        rollback = rollback_of(parent, spec, kind, history, name_of, configs)
        renders, decision = roll(renders, spec.rollout, revision, spec.sites, units, kind.ready, now, rollback)
    scaling = autoscaling.plan(spec, units.all, hpas or {})
    renders = autoscaling.with_replicas(renders, scaling)
    rendered = grid_sync.assemble(renders, unit_children)
    target = {"apiVersion": kind.api_version, "kind": kind.kind}
    scaled = autoscaling.finish(renders, scaling, target, parent["metadata"], spec.sites.key, rendered.states)
    records_now = []
    if history is not None:
        records_now = history_children(updated_history(history, decision, rendered, units), meta, kind.grid_kind)
    desired = sorted([*rendered.desired, *scaled.children, *records_now], key=child_order)
    applied = track(rendered.pending, parent.get("status"), now)
    synced = synced_condition(
        rendered.errors, len(rendered.states), applied.overdue, rendered.unlisted, units.found.source
    )
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


def updated_history(
    history: History, decision: Decision | None, rendered: grid_sync.Rendered, units: grid_sync.UnitSet
) -> History:
    """The current record marked Completed once every online unit is healthy on it (without a rollout: every
    live unit ready on its fresh child), or RolledBack when a halted rollout is to roll back."""
    if decision is not None:
        if decision.rollback_due is not None:
            return history.with_current(ROLLED_BACK, decision.rollback_due)
        return history.with_current(COMPLETED if decision.completed else None)
    live = [rendered.states[u] for u in units.live if u in rendered.states]
    clean = not rendered.errors and not rendered.pending and not rendered.unlisted
    done = clean and bool(live) and all(s["ready"] for s in live)  # a revision deployed nowhere never completed
    return history.with_current(COMPLETED if done else None)


def rollback_of(
    parent: Mapping,
    spec: WorkloadSpec,
    kind: WorkloadKind,
    history: History | None,
    name_of: NameOf,
    configs: Configs | None = None,
) -> Rollback | None:
    """What this grid can roll back to (hooks.grids.rollback); None without a history. The old revision is
    rendered with the units' ConfigMaps as they are now (``configs``): a revision records the spec, not the
    configuration data."""
    assert spec.rollout is not None
    if history is None or spec.rollout.on_failure != ROLLBACK:
        return None
    target = history.last_completed()
    if target is None:
        return Rollback(None, missing="no earlier revision of this grid has completed")
    others = {k: v for k, v in parent["spec"].items() if k not in REVISION_FIELDS}
    try:
        old = parse_spec({**others, **target.spec}, kind)
    except SpecError as err:
        return Rollback(None, missing=f"revision {target.revision} cannot be read: {err}")
    checked = CheckedContainers()
    render = lambda unit, seen: render_unit(parent, old, kind, unit, name_of(unit), checked, seen, configs)  # noqa: E731
    return Rollback(target, render, history.rolled_back, history.current.reason)


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
