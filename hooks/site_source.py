"""``spec.siteSource``: whether a grid finds its sites in Nodes or in NodeUnit objects.

``Nodes`` (the default) is SuperEdge's behaviour. ``NodeUnits`` reads the
NodeUnits a NodeGroup keeps, which carry only the site's unit value and node
names; so the grid's ``nodeSelector`` can then only pick units by name (terms
on ``gridUniqKey``). Any other term would need Node labels the grid no longer
sees, and is an invalid spec rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks.errors import SpecError

NODES_SOURCE = "Nodes"
NODEUNITS_SOURCE = "NodeUnits"
SITE_SOURCES = (NODES_SOURCE, NODEUNITS_SOURCE)


def parse_site_source(spec: Mapping, key: str, selector: Mapping) -> str:
    """The checked ``spec.siteSource`` (absent or null means ``Nodes``) given the validated key and selector."""
    source = spec.get("siteSource")
    if source is None:
        return NODES_SOURCE
    if source not in SITE_SOURCES:
        raise SpecError(f"spec.siteSource must be one of {', '.join(SITE_SOURCES)}, not {source!r}")
    if source == NODEUNITS_SOURCE:
        _check_unit_terms_only(selector, key)
    return source


def _check_unit_terms_only(selector: Mapping, key: str) -> None:
    """With NodeUnits, every selector term must be about ``key``: a NodeUnit has no other node labels."""
    others = [k for k in selector.get("matchLabels", {}) if k != key]
    others += [e["key"] for e in selector.get("matchExpressions", ()) if e["key"] != key]
    if others:
        raise SpecError(
            f"spec.nodeSelector may only use {key!r} (unit names) with siteSource NodeUnits; "
            f"it also uses {', '.join(repr(k) for k in sorted(set(others)))}"
        )
