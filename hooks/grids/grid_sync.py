"""The sync/customize skeleton every grid kind shares: sites, one child per unit, nothing lost.

A grid kind supplies only how to read its spec and how to render its children;
the sites come from :mod:`hooks.sites.discovery` (Nodes, NodeSummaries or NodeUnits, per ``spec.siteSource``)
and the error paths (invalid spec, no way to tell the units, a unit that fails,
two units wanting one name, a unit the request says nothing about) are handled
here once, so every kind keeps observed children in exactly the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import orjson

from hooks.grids.applied import Pending
from hooks.grids.children import kept_child, kept_children, observed_units
from hooks.grids.grace import departing_units, with_departures
from hooks.grids.grid_status import invalid_spec_status
from hooks.grids.limits import check_child_size
from hooks.grids.revision import landed, observed_revision, revision_of_stamped, stamped
from hooks.grids.unlisted import unlisted_units, with_summary_marks
from hooks.kube.errors import SpecError, brief
from hooks.kube.names import NameOf
from hooks.protocol.request import objects_of, parent_of, sync_parts
from hooks.sites.discovery import Sites, site_rules, sites_from_request
from hooks.sites.site_spec import ANY_KEY, AllowedKeys, SiteSpec


class HasSites(Protocol):
    sites: SiteSpec


Spec = TypeVar("Spec", bound=HasSites)
Parse = Callable[[object], Spec]
Render = Callable[[dict, Spec, "UnitSet", dict, str], dict]
"""(parent, spec, units, observed children by name, now) -> response."""
Naming = Callable[[str, Mapping[str, str]], NameOf]
"""(grid name, observed children's units by child name) -> the name of each unit's child in this sync:
the kind's :func:`hooks.kube.names.child_names` (an observed child keeps its 0.1.0 name)."""


@dataclass(frozen=True)
class UnitSet:
    """The units one sync renders, found once (hooks.sites.discovery) for every part of the kind's render.

    ``all`` (sorted) holds the live units, the unlisted ones (whose observed child the kind must keep as it
    is: :func:`render_per_unit` does so when given them as ``unlisted``) and the departing ones.
    """

    all: list[str]
    live: frozenset[str]
    unlisted: frozenset[str] = frozenset()
    found: Sites = field(default_factory=lambda: Sites([]))
    """What discovery found: each live unit's Nodes or NodeUnits (a rollout reads node labels and readiness)."""
    name_of: NameOf = field(kw_only=True)
    """unit -> the name of its child, chosen once per sync from the observed children (``Naming``)."""


def customize(request: object, parse: Parse, allowed: AllowedKeys = ANY_KEY) -> dict:
    """Ask Metacontroller for the grid's sites: Nodes or NodeUnits of its key (see ``site_rules``).

    Depends only on the parent's spec (Metacontroller caches it per generation). An invalid spec, or a key
    ``allowed`` refuses, asks for nothing (so no node name is even fetched); the sync hook then reports it.
    """
    parent = parent_of(request)
    try:
        sites = parse(parent.get("spec")).sites
        allowed.check(sites.key)
    except SpecError:
        return {"relatedResources": []}
    return {"relatedResources": site_rules(sites)}


def sync(
    request: object,
    child_type: str,
    parse: Parse,
    render: Render,
    now: str,
    naming: Naming,
    allowed: AllowedKeys = ANY_KEY,
    kept_types: tuple[str, ...] = (),
) -> dict:
    """Discover the units and hand them to ``render``; keep every observed child when that is impossible.

    A grid whose key ``allowed`` refuses is such a case: ``Synced=False`` (``UniqKeyNotAllowed``), nothing new.

    ``naming`` gives the kind's name for each unit's child, built once here from the observed children
    (the grace period, unlisted units and the render all use that one rule). ``kept_types`` are the kind's
    other child types (an HPA per unit): kept as they are with the rest.

    A unit's child leaves only when the request vouches that the unit is gone (Nodes, a tombstone NodeUnit,
    or no summaries left of a unit its child says had them) and then after the grace period; a unit the
    request is silent about keeps its child unchanged (:mod:`hooks.grids.unlisted`).
    """
    parent, children, related = sync_parts(request)
    observed = {obj["metadata"]["name"]: obj for obj in named(objects_of(children, child_type))}
    try:
        spec = parse(parent.get("spec"))
        allowed.check(spec.sites.key)
        sites = sites_from_request(spec.sites, related)
    except SpecError as err:  # an invalid spec or key, or no way to tell which units exist (hooks.sites.discovery)
        others = [obj for t in kept_types for obj in named(objects_of(children, t))]
        return keep_everything(parent, observed, err.reason, str(err), now, others)
    key = spec.sites.key
    name_of = naming(parent["metadata"]["name"], observed_units(observed.values(), key))
    unlisted = unlisted_units(observed.values(), key, sites, name_of)
    staying = [*sites.units, *unlisted]
    departing = departing_units(observed.values(), key, staying, spec.sites.grace_seconds, now, name_of)
    units = UnitSet(sorted({*staying, *departing}), frozenset(sites.units), unlisted, sites, name_of=name_of)
    response = with_summary_marks(render(parent, spec, units, observed, now), sites, key, name_of)
    return with_departures(response, departing, spec.sites, now, name_of)


@dataclass(frozen=True)
class UnitChildren:
    """How one grid kind names, renders and judges its per-unit child."""

    name: Callable[[str], str]
    render: Callable[[str], dict]
    state: Callable[[Mapping | None], dict]


@dataclass
class Rendered:
    desired: list[dict]
    states: dict[str, dict]
    errors: dict[str, str]
    pending: dict[str, Pending] = field(default_factory=dict)
    """Unit -> the stamp of the fresh child sent for it, which its observed child (if any) does not carry
    (hooks.grids.revision), and the observed one's: what hooks.grids.applied tracks until it appears."""
    unlisted: list[str] = field(default_factory=list)
    """Units whose observed child was kept as it is because the request does not list them (hooks.grids.unlisted)."""
    reasons: dict[str, str] = field(default_factory=dict)
    """Units in ``errors`` that hit a limit, with the limit's reason (hooks.grids.limits)."""


@dataclass(frozen=True)
class UnitRender:
    """One unit before assembly: its child's name, the observed child, and the fresh render or the error.

    ``held`` asks :func:`assemble` to keep the observed child instead of the fresh one (a rollout holding the
    unit back, hooks.grids.rollout); a held child is not compared with the fresh stamp. ``unlisted`` marks a
    unit no NodeUnit lists (hooks.grids.unlisted): held, and not rendered at all.
    """

    unit: str
    name: str
    seen: Mapping | None
    child: dict | None
    error: str | None = None
    held: bool = False
    unlisted: bool = False
    reason: str | None = None
    """With ``error``: the limit the unit hit (hooks.grids.limits), for the ``Synced`` reason."""


def render_per_unit(
    units: list[str],
    observed: Mapping,
    kind: UnitChildren,
    reserved: Mapping[str, str] | None = None,
    unlisted: frozenset[str] = frozenset(),
) -> Rendered:
    """Render every unit; a unit that fails keeps its observed child and is named in ``errors``.

    ``reserved`` maps names already taken by other children of the grid to a
    description of their owner, so no unit can ever claim one of them. A rendered
    child is stamped; a unit whose observed child lacks that stamp (or that has none) is ``pending``.
    A unit in ``unlisted`` is not rendered: its observed child is sent back as it is.
    """
    return assemble(render_each(units, observed, kind, reserved, unlisted), kind)


def render_each(
    units: list[str],
    observed: Mapping,
    kind: UnitChildren,
    reserved: Mapping[str, str] | None = None,
    unlisted: frozenset[str] = frozenset(),
) -> list[UnitRender]:
    """Each unit's fresh, stamped child, its error, or (``unlisted``) its observed child held as it is.

    A child that could not be stored with Metacontroller's record of it is an error of its unit
    (:func:`hooks.grids.limits.check_child_size`), checked here for every kind.
    """
    out: list[UnitRender] = []
    owners: dict[str, str] = dict(reserved or {})
    for unit in units:
        name = kind.name(unit)
        seen = observed.get(name)
        try:
            if name in owners:
                raise SpecError(f"child name {name!r} is already used by {owners[name]}")
            owners[name] = f"unit {unit!r}"
            if unit in unlisted and seen is not None:
                out.append(UnitRender(unit, name, seen, None, held=True, unlisted=True))
            else:
                out.append(UnitRender(unit, name, seen, fresh_child(kind, unit)))
        except SpecError as err:
            if owners.get(name) != f"unit {unit!r}":
                seen = None  # the child of that name belongs to another unit (or another child)
            reason = None if err.reason == SpecError.reason else err.reason  # a limit, ConfigMaps pending...
            out.append(UnitRender(unit, name, seen, None, brief(str(err)), reason=reason))
    return out


def fresh_child(kind: UnitChildren, unit: str) -> dict:
    """The unit's rendered child, stamped, if the API server could store it (hooks.grids.limits) and it can
    be written as JSON at all (patches can nest values deeper than a JSON encoder goes)."""
    try:
        child = kind.render(unit)
        check_child_size(child)
        return stamped(child)
    except orjson.JSONEncodeError as err:
        raise SpecError(f"rendered child cannot be written as JSON: {err}") from None


def assemble(renders: list[UnitRender], kind: UnitChildren) -> Rendered:
    """Children and states: a failed or held unit keeps its observed child; a fresh one is compared with it.

    The comparison never touches readiness (``states[unit].ready`` judges the workload that runs): a
    child sent a moment ago is normally not observed yet, and one the API server refuses leaves the old
    child running. It only feeds ``pending``, which hooks.grids.applied turns into ``Synced``.
    """
    out = Rendered([], {}, {})
    for r in renders:
        fresh = r.error is None and not r.held
        child = r.child if fresh else (kept_child(r.seen) if r.seen is not None else None)
        if child is not None:
            out.desired.append(child)
        state = kind.state(r.seen)
        if r.unlisted:
            out.unlisted.append(r.unit)
        if r.error is not None:
            out.errors[r.unit] = r.error
            state["error"] = r.error
            if r.reason is not None:
                out.reasons[r.unit] = r.reason
        elif fresh and not landed(child, r.seen):
            out.pending[r.unit] = Pending(revision_of_stamped(child), observed_revision(r.seen))
        out.states[r.unit] = state
    return out


def keep_everything(
    parent: Mapping, observed: Mapping, reason: str, message: str, now: str, others: Sequence[Mapping] = ()
) -> dict:
    """The answer that changes nothing: every observed child (``observed`` by name, and ``others``) as it is."""
    kept = kept_children([*observed.values(), *others])
    created = parent["metadata"].get("creationTimestamp")
    status = invalid_spec_status(parent.get("status"), reason, brief(message), now, created)
    return {"status": status, "children": kept}


def named(objects: list[dict]) -> list[dict]:
    """Observed objects that have a usable name (anything else cannot be matched or kept)."""
    return [o for o in objects if isinstance(o.get("metadata"), dict) and isinstance(o["metadata"].get("name"), str)]
