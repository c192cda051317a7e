"""The part of a grid's spec that says where its sites are: key, node selector, source, grace period.

Every grid kind and the NodeGroup share it. ``spec.siteSource`` says whether a grid finds its sites in
Nodes, in NodeSummaries or in NodeUnit objects.
``Nodes`` (the default) is SuperEdge's behaviour. ``NodeSummaries`` reads the
summaries the node summary decorator keeps of each Node (its labels and Ready
condition, hooks.sites.node_summary): the same units, without a resync per
heartbeat. ``NodeUnits`` reads the
NodeUnits a NodeGroup keeps, which carry only the site's unit value and node
names; so the grid's ``nodeSelector`` can then only pick units by name (terms
on ``gridUniqKey``). Any other term would need Node labels the grid no longer
sees, and is an invalid spec rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hooks.kube.errors import SpecError
from hooks.kube.names import label_key_error
from hooks.kube.selectors import validate_selector

NODES_SOURCE = "Nodes"
NODEUNITS_SOURCE = "NodeUnits"
NODESUMMARIES_SOURCE = "NodeSummaries"
SITE_SOURCES = (NODES_SOURCE, NODEUNITS_SOURCE, NODESUMMARIES_SOURCE)
MAX_GRACE_SECONDS = 10 * 365 * 24 * 3600
"""Ten years: longer makes no sense, and grace deadlines must stay inside the calendar."""


@dataclass(frozen=True)
class SiteSpec:
    """What every grid kind shares: which label defines units and which nodes count."""

    key: str
    node_selector: dict
    grace_seconds: int = 0
    source: str = NODES_SOURCE  # where units come from: Nodes, NodeSummaries or NodeUnits (parse_site_source)


class UniqKeyNotAllowed(SpecError):
    """The spec names a ``gridUniqKey`` this installation does not allow (:class:`AllowedKeys`)."""

    reason = "UniqKeyNotAllowed"


@dataclass(frozen=True)
class AllowedKeys:
    """Which label keys grids and NodeGroups may use as ``gridUniqKey``: an installation's choice.

    A key is also what a grid lists its units by (``status.states``): with ``kubernetes.io/hostname`` every
    node name would show in the status of a grid anyone in its namespace can read. ``keys`` None allows any
    key; the hook server sets it from ``HOOKS_ALLOWED_UNIQ_KEYS`` and hands it to the hooks as an argument.
    """

    keys: frozenset[str] | None = None

    @classmethod
    def only(cls, keys: Iterable[str]) -> AllowedKeys:
        return cls(frozenset(keys))

    def check(self, key: str) -> None:
        """UniqKeyNotAllowed (a SpecError, so every observed child is kept) unless ``key`` is allowed."""
        if self.keys is None or key in self.keys:
            return
        allowed = ", ".join(repr(k) for k in sorted(self.keys))
        raise UniqKeyNotAllowed(
            f"spec.gridUniqKey {key!r} is not allowed by this installation, which allows only {allowed} "
            "(hook server setting HOOKS_ALLOWED_UNIQ_KEYS): nothing is created, existing children are kept"
        )


ANY_KEY = AllowedKeys()
"""No restriction (the default)."""


MAX_SPEC_DEPTH = 100
"""Deeper specs are refused: no Kubernetes object nests anywhere near this, and the JSON encoder stops at 254."""


def parse_sites(spec: object) -> SiteSpec:
    if not isinstance(spec, Mapping):
        raise SpecError("spec must be an object")
    _check_depth(spec)
    key = spec.get("gridUniqKey")
    if key is None:
        raise SpecError("spec.gridUniqKey is required: the node label key whose values name the sites")
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


def parse_site_source(spec: Mapping, key: str, selector: Mapping) -> str:
    """The checked ``spec.siteSource`` (absent or null means ``Nodes``) given the validated key and selector."""
    source = spec.get("siteSource")
    if source is None:
        return NODES_SOURCE
    if source not in SITE_SOURCES:
        raise SpecError(f"spec.siteSource must be one of {', '.join(SITE_SOURCES)}, not {source!r}")
    if source == NODEUNITS_SOURCE:
        check_unit_terms_only(selector, key, "spec.nodeSelector")
    return source


def check_unit_terms_only(selector: Mapping, key: str, field: str) -> None:
    """With NodeUnits, every selector term must be about ``key``: a NodeUnit carries no other node labels."""
    others = [k for k in selector.get("matchLabels", {}) if k != key]
    others += [e["key"] for e in selector.get("matchExpressions", ()) if e["key"] != key]
    if others:
        raise SpecError(
            f"{field} may only use {key!r} (unit names) with siteSource NodeUnits, which carry no node labels; "
            f"it also uses {', '.join(repr(k) for k in sorted(set(others)))}"
        )
