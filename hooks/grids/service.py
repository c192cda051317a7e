"""ServiceGrid children: one shared Service that is named alike in every site, plus one Service per unit.

The shared Service ``<grid>-svc`` is the name apps call. Its annotation
``topologyKeys`` lets a site-aware proxy (SuperEdge's application-grid-wrapper)
keep calls inside the caller's site; its template may also set
``trafficDistribution`` for stock kube-proxy. The per-unit Services
``<grid>-svc-<unit>`` select only that unit's pods, so each site can also be
addressed on purpose from anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from hooks.grids.children import child_annotations, child_labels
from hooks.grids.limits import measured
from hooks.kube.conditions import condition
from hooks.kube.errors import SpecError
from hooks.kube.names import ChildNames, child_names, is_label_value, label_key_error, suffixed_name
from hooks.kube.objects import holds_null, pasted_object_error
from hooks.sites.site_spec import SiteSpec, parse_sites

SERVICE_TYPE = "Service.v1"
SHARED_SUFFIX = "svc"
TOPOLOGY_KEYS_ANNOTATION = "topologyKeys"
HEADLESS = "None"

# A per-unit Service is an in-cluster address of one site. Whatever exposes the
# Service outside the cluster, or pins an address, cannot be shared by several
# Services (a fixed clusterIP or nodePort) or would multiply per site (a cloud
# load balancer, node ports), so it stays on the shared Service only.
EXPOSED_TYPES = ("NodePort", "LoadBalancer")
EXPOSURE_FIELDS = (
    "externalIPs",
    "externalTrafficPolicy",
    "healthCheckNodePort",
    "loadBalancerIP",
    "loadBalancerSourceRanges",
    "loadBalancerClass",
    "allocateLoadBalancerNodePorts",
)


@dataclass(frozen=True)
class ServiceGridSpec:
    """A ServiceGrid spec after validation."""

    sites: SiteSpec
    template: dict
    per_unit: bool = True


def parse_service_spec(spec: object) -> ServiceGridSpec:
    sites = parse_sites(spec)
    template = spec.get("template")
    if not isinstance(template, dict):
        raise SpecError("spec.template must be an object (a Service spec)")
    pasted = pasted_object_error(template, "spec.template", "Service")
    if pasted:
        raise SpecError(pasted)
    measured(template, "spec.template")  # first: the checks below walk the template
    _check_template(template)
    per_unit = spec.get("perUnitServices", True)
    if not isinstance(per_unit, bool):
        raise SpecError("spec.perUnitServices must be true or false")
    return ServiceGridSpec(sites, template, per_unit)


SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
PROTOCOLS = ("TCP", "UDP", "SCTP")


def _check_template(template: dict) -> None:
    """What the API server would refuse, or silently change, reported as an invalid spec instead."""
    if holds_null(template):
        raise SpecError("spec.template must not hold null values (the API server drops them)")
    service_type = template.get("type", "ClusterIP")
    if service_type not in SERVICE_TYPES:
        raise SpecError(f"spec.template.type must be one of {', '.join(SERVICE_TYPES)}, got {service_type!r}")
    _check_selector(template.get("selector"))
    _check_ports(template.get("ports"))


def _check_ports(ports: object) -> None:
    if ports is None:
        return
    if not isinstance(ports, list):
        raise SpecError("spec.template.ports must be a list")
    numbers: set[int] = set()
    for i, port in enumerate(ports):
        where = f"spec.template.ports[{i}]"
        if not isinstance(port, dict):
            raise SpecError(f"{where} must be an object")
        number = port.get("port")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
            raise SpecError(f"{where}.port must be an integer from 1 to 65535, got {number!r}")
        if port.get("protocol", "TCP") not in PROTOCOLS:
            raise SpecError(f"{where}.protocol must be one of {', '.join(PROTOCOLS)}")
        target = port.get("targetPort", number)
        if not isinstance(target, int | str) or isinstance(target, bool):
            raise SpecError(f"{where}.targetPort must be a port number or name")
        if number in numbers:
            raise SpecError(
                f"{where}.port {number} is used by another port: Metacontroller's default apply merges Service "
                "ports by port number, so every update of the existing Service would send a list the API server "
                "refuses (for 53/TCP and 53/UDP, use two ServiceGrids or different port numbers)"
            )
        numbers.add(number)


def _check_selector(selector: object) -> None:
    """A Service selector is a plain map of label key to value (the API server would reject anything else)."""
    if selector is None:
        return
    if not isinstance(selector, dict):
        raise SpecError("spec.template.selector must be a map of label key to value")
    for key, value in selector.items():
        problem = label_key_error(key)
        if problem:
            raise SpecError(f"spec.template.selector: label key {key!r} {problem}")
        if not is_label_value(value):
            raise SpecError(f"spec.template.selector[{key}]: {value!r} is not a valid label value")


def shared_name(grid_name: str) -> str:
    """``<grid>-svc``, SuperEdge's name; a grid name that makes it invalid falls back to a hashed name."""
    return suffixed_name(grid_name, SHARED_SUFFIX)


def unit_service_names(grid_name: str, observed: Mapping[str, str]) -> ChildNames:
    """The names of the per-unit Services, ``<grid>-svc-<unit>``, in one sync (``observed``: name -> unit)."""
    return child_names(f"{grid_name}-{SHARED_SUFFIX}", observed)


def shared_service(parent_meta: Mapping, spec: ServiceGridSpec) -> dict:
    """The template as is (user-given clusterIP and nodePorts included), plus grid metadata and topologyKeys."""
    key = spec.sites.key
    annotations = child_annotations(parent_meta, key)
    annotations[TOPOLOGY_KEYS_ANNOTATION] = json.dumps([key])
    # The shared Service belongs to no unit: a key label inherited from the grid would say otherwise.
    labels = {k: v for k, v in child_labels(parent_meta, key, None).items() if k != key}
    return _service(shared_name(parent_meta["name"]), parent_meta, labels, annotations, spec.template)


def unit_service(parent_meta: Mapping, spec: ServiceGridSpec, unit: str, name: str) -> dict:
    """A ClusterIP (or headless) Service ``name`` selecting only ``unit``'s pods; no topologyKeys.

    A site-aware proxy would otherwise drop every endpoint for callers outside
    the unit, which defeats addressing one site on purpose.
    """
    key = spec.sites.key
    template = spec.template
    body = {k: v for k, v in template.items() if k not in EXPOSURE_FIELDS}
    body["selector"] = {**template["selector"], key: unit}
    if template.get("type") in EXPOSED_TYPES:
        body["type"] = "ClusterIP"
    if not is_headless(template):
        body.pop("clusterIP", None)
        body.pop("clusterIPs", None)
    if isinstance(template.get("ports"), list):
        body["ports"] = [_without_node_port(p) for p in template["ports"]]
    return _service(name, parent_meta, child_labels(parent_meta, key, unit), child_annotations(parent_meta, key), body)


def is_headless(template: Mapping) -> bool:
    """``clusterIP: None`` is not an address: any number of Services may be headless."""
    ips = template.get("clusterIPs")
    return template.get("clusterIP") == HEADLESS or (isinstance(ips, list) and HEADLESS in ips)


def _without_node_port(port: object) -> object:
    return {k: v for k, v in port.items() if k != "nodePort"} if isinstance(port, dict) else port


def _service(name: str, parent_meta: Mapping, labels: dict, annotations: dict, spec: dict) -> dict:
    meta: dict = {"name": name, "labels": labels, "annotations": annotations}
    if parent_meta.get("namespace"):
        meta["namespace"] = parent_meta["namespace"]
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def per_unit_condition(spec: ServiceGridSpec) -> dict:
    """Whether per-unit Services are rendered, and why not when they are not (condition ``PerUnitServices``)."""
    if not spec.per_unit:
        return condition("PerUnitServices", False, "Disabled", "spec.perUnitServices is false")
    if spec.template.get("type") == "ExternalName":
        return condition(
            "PerUnitServices", False, "ExternalName", "an ExternalName Service has no endpoints to split per unit"
        )
    if not spec.template.get("selector"):
        return condition(
            "PerUnitServices",
            False,
            "TemplateHasNoSelector",
            "the template has no selector (its endpoints are managed by hand), so per-unit Services were skipped; "
            "only the shared Service is kept",
        )
    return condition("PerUnitServices", True, "Rendered", "one Service per unit selects only that unit's pods")
