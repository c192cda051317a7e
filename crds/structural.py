"""Structural CRD schemas for the grid templates, made from the official Kubernetes OpenAPI schemas.

A CRD field declared as an untyped object (``x-kubernetes-preserve-unknown-fields``) lets any typo through:
the API server keeps ``imagePullPolicey`` in a grid's template and the hook passes it on. With the real
``DeploymentSpec`` / ``StatefulSetSpec`` / ``ServiceSpec`` schema in the CRD, the API server prunes unknown
fields and kubectl's strict field validation refuses them, exactly as for a native Deployment.

The schemas come from the ``kubernetes-validate`` package (the upstream OpenAPI documents of each Kubernetes
minor version, offline, already used by the tests). They are JSON Schema with ``$ref``s and nullable type lists;
a CRD needs a *structural* schema, so this module:

- inlines every ``$ref`` (a CRD cannot refer to anything);
- turns ``["string", "null"]`` type lists into the single type (the API server drops nulls of such fields);
- marks int-or-string fields (``IntOrString``) with ``x-kubernetes-int-or-string`` and resource quantities
  (string or number) as ``x-kubernetes-preserve-unknown-fields`` without a type, so ``cpu: 0.5`` still applies;
- marks objects the upstream schema leaves open (``FieldsV1``, raw extensions) with
  ``x-kubernetes-preserve-unknown-fields`` so nothing inside them is pruned;
- drops what would only cost size or tie the CRD to one Kubernetes release: descriptions, ``enum`` lists (a
  newer cluster may accept new values; the API server still checks the children), list/map merge markers
  (``x-kubernetes-list-type`` and friends: they need key defaults a CRD cannot always give), and the
  ``required`` list of the spec itself (the hook adds the selector; its own checks name what is missing).

Fields added to Kubernetes after the chosen version are pruned from grids: :data:`KUBERNETES_VERSION` says
which one the CRDs describe (docs/decisions.md).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

KUBERNETES_VERSION = "1.36"
"""The Kubernetes minor whose schemas the CRDs carry: the API server version the real-cluster layer runs."""

DEPLOYMENT_SPEC = "io.k8s.api.apps.v1.DeploymentSpec"
STATEFULSET_SPEC = "io.k8s.api.apps.v1.StatefulSetSpec"
SERVICE_SPEC = "io.k8s.api.core.v1.ServiceSpec"
DAEMONSET_SPEC = "io.k8s.api.apps.v1.DaemonSetSpec"
CRONJOB_SPEC = "io.k8s.api.batch.v1.CronJobSpec"
HPA_SPEC = "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec"

_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_DROPPED = {
    "description",
    "enum",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-group-version-kind",
    "x-kubernetes-unions",
}


@cache
def definitions(version: str = KUBERNETES_VERSION) -> dict[str, dict]:
    """Every upstream definition of that Kubernetes minor, by name (``io.k8s.api.apps.v1.DeploymentSpec``)."""
    folder = files("kubernetes_validate") / "kubernetes-json-schema" / f"v{version}.0-local-strict"
    return json.loads((folder / "_definitions.json").read_text())["$defs"]


def structural(name: str, version: str = KUBERNETES_VERSION) -> dict:
    """The structural schema of one upstream definition, for a CRD field (its top-level ``required`` dropped)."""
    schema = _convert(definitions(version)[name], definitions(version), ())
    schema.pop("required", None)
    return schema


def _convert(node: dict, defs: dict[str, dict], seen: tuple[str, ...]) -> dict:
    ref = node.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[-1]
        if name == _INT_OR_STRING:
            return {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
        if name == _QUANTITY:
            return {"x-kubernetes-preserve-unknown-fields": True}
        if name in seen:  # a recursive type (none in these specs today): keep whatever is there
            return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        return _convert(defs[name], defs, (*seen, name))
    out: dict = {}
    kind = _single_type(node.get("type"))
    if kind:
        out["type"] = kind
    if "format" in node and kind in ("integer", "number", "string"):
        out["format"] = node["format"]
    if "properties" in node:
        out["properties"] = {key: _convert(value, defs, seen) for key, value in node["properties"].items()}
        required = [key for key in node.get("required", []) if key in node["properties"]]
        if required:
            out["required"] = required
    elif isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = _convert(node["additionalProperties"], defs, seen)
    elif kind == "object":
        out["x-kubernetes-preserve-unknown-fields"] = True
    if "items" in node:
        out["items"] = _convert(node["items"], defs, seen)
    for key, value in node.items():
        if key.startswith("x-kubernetes-") and key not in _DROPPED:
            out[key] = value
    return out


def _single_type(value: object) -> str | None:
    if isinstance(value, list):
        kinds = [v for v in value if v != "null"]
        return kinds[0] if len(kinds) == 1 else None
    return value if isinstance(value, str) else None
