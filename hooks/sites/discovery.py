"""Sites from the request: the one place every grid kind learns which units exist.

A grid's customize hook asks for :func:`site_rules`; its sync hook calls
:func:`sites_from_request` on the ``related`` map Metacontroller sent back.
Both follow ``spec.siteSource``:

- ``Nodes``: the Nodes carrying ``gridUniqKey`` and matching ``nodeSelector``;
  units are the distinct label values (:func:`hooks.sites.units.group_by_unit`).
- ``NodeSummaries``: the summaries the node summary decorator keeps of those
  same Nodes (hooks.sites.node_summary), read as Nodes are read.
- ``NodeUnits``: the NodeUnits labelled with the key's label form; units are
  their ``spec.unit``, for those whose ``spec.gridUniqKey`` is exactly the key,
  narrowed by ``nodeSelector`` (which may only name units, see
  :mod:`hooks.sites.site_spec`). For the same cluster this gives the units Nodes
  would, as long as one NodeGroup without a ``nodeSelector`` covers the key.

In NodeUnits mode the answer also says which units the request *vouches for*
(:class:`Sites`): a unit with a live NodeUnit or a tombstone. A NodeUnit
that is simply absent may be one the garbage collector has not yet reached
or Metacontroller has not yet created, so a grid never treats absence as a
site that went away (see :func:`hooks.grids.grid_sync.sync`). Nodes are
different: Metacontroller sends the whole Node list from its cache, so a unit
without nodes there is gone. Summaries vouch only for the units they list; what
their absence means is decided per child (hooks.grids.unlisted).

When the request cannot tell which units exist, :class:`SitesUnavailable`
(a SpecError, so a caller that keeps every observed child on a SpecError does
so here too) names the reason for the ``Synced`` condition. Never answering
"no units" from a missing list is what keeps a fleet's workloads alive when
a NodeGroup is missing or a request is odd.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hooks.kube.errors import SpecError
from hooks.kube.selectors import selector_test, with_key_exists
from hooks.protocol.request import objects_of
from hooks.sites.node_summary import NODESUMMARY_TYPE, summary_ready_condition, summary_rule
from hooks.sites.nodeunit import NODEUNIT_TYPE, is_tombstone, nodeunit_rule, unit_of_nodeunit
from hooks.sites.readiness import Readiness, combined, nodeunit_readiness, unit_readiness
from hooks.sites.site_spec import NODES_SOURCE, NODESUMMARIES_SOURCE, NODEUNITS_SOURCE, SiteSpec
from hooks.sites.units import NODES, group_by_unit

NO_NODEUNITS = "NoNodeUnits"  # the Synced reason when the key has no NodeUnit at all
NO_NODESUMMARIES = "NoNodeSummaries"  # the Synced reason when no NodeSummary of the key passes the selector


class SitesUnavailable(SpecError):
    """The request does not say which units exist: keep every observed child, report ``reason``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Sites:
    """The units to render, and which other units the request positively knows to be gone.

    ``known`` is None when the source is complete (Nodes: a unit not in ``units``
    is gone), else the units that have a NodeUnit, live or tombstone: a unit
    outside ``known`` is merely unlisted, and its children must be left alone.
    """

    units: list[str]
    known: frozenset[str] | None = None
    members: Mapping[str, list[Mapping]] = field(default_factory=dict)
    """Each live unit's Nodes (sorted by name) or, with NodeUnits, its live NodeUnits (one per NodeGroup)."""
    source: str = NODES_SOURCE

    def vouches_for(self, unit: str) -> bool:
        """Whether the request says something about ``unit`` (so its absence from ``units`` means gone)."""
        return self.known is None or unit in self.known

    def readiness(self, unit: str, earliest: bool = True) -> Readiness:
        """A unit's readiness (hooks.sites.readiness), from its Nodes or what its NodeUnits say; unknown for a
        unit that is not live. ``earliest=False``: an online unit's ``ready_since`` need not be the earliest
        (:func:`~hooks.sites.readiness.unit_readiness` then reads its Nodes only until a Ready one)."""
        members = self.members.get(unit, ())
        if self.source == NODEUNITS_SOURCE:
            return combined(nodeunit_readiness(o) for o in members)
        if self.source == NODESUMMARIES_SOURCE:
            return unit_readiness(members, earliest, summary_ready_condition)
        return unit_readiness(members, earliest)


def site_rules(sites: SiteSpec) -> list[dict]:
    """The customize hook's ``relatedResources`` for these sites (depends only on the spec)."""
    if sites.source == NODEUNITS_SOURCE:
        return [nodeunit_rule(sites.key)]
    if sites.source == NODESUMMARIES_SOURCE:
        return [summary_rule(with_key_exists(sites.node_selector, sites.key))]
    return [node_rule(sites)]


def node_rule(sites: SiteSpec) -> dict:
    """The Nodes that carry the key and pass the nodeSelector (narrow: every change of one resyncs the parent)."""
    return {"apiVersion": "v1", "resource": "nodes", "labelSelector": with_key_exists(sites.node_selector, sites.key)}


def sites_from_request(sites: SiteSpec, related: Mapping) -> Sites:
    """The sorted unit values of these sites (and, for NodeUnits, the units known at all), or SitesUnavailable."""
    if sites.source == NODEUNITS_SOURCE:
        return _units_from_nodeunits(sites, related)
    if sites.source == NODESUMMARIES_SOURCE:
        return _units_from_summaries(sites, related)
    if NODES not in related:
        raise SitesUnavailable("NodesNotObserved", "the request carried no Node list")
    members = group_by_unit(objects_of(related, NODES), sites.key, sites.node_selector)
    return Sites(list(members), members=members)


def _units_from_nodeunits(sites: SiteSpec, related: Mapping) -> Sites:
    """Live units (a NodeUnit with nodes, from any NodeGroup of the key) and every unit that has a NodeUnit.

    A unit live in one NodeGroup and a tombstone in another is live: one NodeGroup still sees its nodes.
    """
    if NODEUNIT_TYPE not in related:
        raise SitesUnavailable("NodeUnitsNotObserved", "the request carried no NodeUnit list")
    live: dict[str, list[Mapping]] = {}
    known: set[str] = set()
    for obj in objects_of(related, NODEUNIT_TYPE):
        unit = unit_of_nodeunit(obj, sites.key)
        if unit:
            known.add(unit)
            if not is_tombstone(obj):
                live.setdefault(unit, []).append(obj)
    if not known:
        raise SitesUnavailable(
            NO_NODEUNITS,
            f"no NodeUnit exists for gridUniqKey {sites.key!r}: create a NodeGroup for this key "
            "(every observed child is kept meanwhile)",
        )
    # A unit's only label is the key, so a selector over unit names is a selector over {key: unit}.
    test = selector_test(sites.node_selector)
    units = sorted(u for u in live if test({sites.key: u}))
    return Sites(units, frozenset(known), {u: live[u] for u in units}, NODEUNITS_SOURCE)


def _units_from_summaries(sites: SiteSpec, related: Mapping) -> Sites:
    """Units as from Nodes, read from their summaries. None at all is "not known", never "no sites": summaries
    appear only once the decorator has run, and a grid must not take that moment for every site gone."""
    if NODESUMMARY_TYPE not in related:
        raise SitesUnavailable("NodeSummariesNotObserved", "the request carried no NodeSummary list")
    members = group_by_unit(objects_of(related, NODESUMMARY_TYPE), sites.key, sites.node_selector)
    if not members:
        raise SitesUnavailable(
            NO_NODESUMMARIES,
            f"no NodeSummary of a node with {sites.key!r} matches the nodeSelector: is the node summary decorator "
            "installed? (every observed child is kept meanwhile)",
        )
    # Absence is not proof here (hooks.grids.unlisted): the units vouched for are those with summaries.
    return Sites(list(members), frozenset(members), members, NODESUMMARIES_SOURCE)
