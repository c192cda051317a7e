"""Warnings ``servicegroup render`` gives about a grid: mistakes that render without an error.

A typo in a field name (``imagePullPolicey``, ``unitRemovalGracePeriod``) is refused by kubectl's strict
field validation against the CRD's schema, but offline nothing would say so: the field would simply be
missing from the children. An override for ``units: [shangai-01]`` is valid and matches nothing. Both are
reported here, with the name the user probably meant.

The schemas are the grid CRDs' ``spec`` schemas, written by crds/generate.py into grid_schemas.json next to
this module (the package ships without crds/; a test keeps the two identical).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files

from hooks.kube.objects import pasted_object_error
from hooks.kube.schema_fields import pruned, suggest, unknown_fields

TOP_LEVEL = {"apiVersion": {}, "kind": {}, "metadata": {}, "spec": {}, "status": {}}
"""The fields of every grid object; ``metadata`` and ``status`` are not checked further."""


@cache
def spec_schemas() -> dict[str, dict]:
    """Grid kind -> the ``spec`` schema of its CRD."""
    return json.loads(files("hooks.cli").joinpath("grid_schemas.json").read_text())


def field_warnings(grid: Mapping) -> list[str]:
    """Unknown fields at the top level and under ``spec``, as the API server would refuse (or prune) them.

    A whole object pasted under a template is one error (:func:`pasted_template`), not four unknown fields.
    """
    schema = spec_schemas().get(str(grid.get("kind")))
    if schema is None:
        return []
    spec = grid.get("spec")
    if pasted_template(grid):
        spec = {k: v for k, v in spec.items() if k not in ("template", "templatePool")}
    found = unknown_fields({k: v for k, v in grid.items() if k != "spec"}, {"properties": TOP_LEVEL}, "")
    found += unknown_fields(spec, schema, "spec")
    return [f"{field}: the API server refuses it (kubectl apply) or drops it" for field in found]


def pasted_template(grid: Mapping) -> str | None:
    """ "spec.template must be a Deployment spec, not a Deployment" (or a templatePool entry), or None.

    Checked on the grid as written: the API server (and :func:`as_stored`) would prune the pasted object's
    ``apiVersion``, ``kind``, ``metadata`` and ``spec`` as unknown fields, leaving an empty template.
    """
    spec = grid.get("spec")
    if not isinstance(spec, Mapping):
        return None
    workload = str(grid.get("kind")).removesuffix("Grid")
    pool = spec.get("templatePool") if isinstance(spec.get("templatePool"), Mapping) else {}
    candidates = [("spec.template", spec.get("template"))]
    candidates += [(f"spec.templatePool[{name}]", entry) for name, entry in pool.items()]
    for field, template in candidates:
        problem = pasted_object_error(template, field, workload) if isinstance(template, Mapping) else None
        if problem:
            return problem
    return None


def as_stored(grid: Mapping) -> Mapping:
    """The grid as the API server would store it: unknown ``spec`` fields pruned (kubectl --validate=false).

    Rendering this rather than the file keeps the preview honest: a misspelt field never reaches a child in
    the cluster either.
    """
    schema = spec_schemas().get(str(grid.get("kind")))
    if schema is None or not isinstance(grid.get("spec"), Mapping):
        return grid
    return {**grid, "spec": pruned(grid["spec"], schema)}


def override_warnings(response: Mapping) -> list[str]:
    """Override ``units`` that match no site, each with the site it probably meant."""
    status = response.get("status") if isinstance(response.get("status"), Mapping) else {}
    unmatched = status.get("unmatchedOverrideUnits") or []
    sites = list(status.get("states") or {})
    warnings = []
    for unit in unmatched:
        meant = suggest(str(unit), sites)
        hint = f" (did you mean {meant}?)" if meant else ""
        warnings.append(f"spec.overrides: units entry {unit!r} matches no site{hint}")
    return warnings
