"""Hypothesis-driven fuzzing of whole requests through the HTTP app.

Valid requests are mutated at random (keys deleted, values replaced by other types, huge or unicode
strings, nulls) and the answers must never be 5xx, and a 200 must never leave out the child of a unit that
still has nodes: that is how a hook makes Metacontroller delete a running workload.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.server.app import create_app, hook_table
from tests.support.builders import NOW, children_map, grid, observed, site_nodes, sync_request
from tests.support.kind_builders import (
    configmap_grid,
    cronjob_grid,
    cronjob_spec,
    daemonset_grid,
    daemonset_spec,
    observed_configmap,
    observed_cronjob,
    observed_daemonset,
    with_configs,
)
from tests.support.nodegroup_builders import fleet, ng_request, node_group
from tests.support.nodegroup_builders import workload_grid as ng_workload_grid
from tests.support.service_builders import observed_service, service_grid, service_sync_request, zone_request

FUZZ_EXAMPLES = 250
CM = "ConfigMap.v1"


pytestmark = pytest.mark.usefixtures("without_schema_check")


APP = create_app(clock=lambda: NOW)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.text(alphabet="\u00e9\u4e2d\U0001f600\u200b/.-_ ", min_size=1, max_size=10),
    st.just("x" * 100_000),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def paths(obj, prefix=()):
    """Every (path) to a value inside nested dicts/lists."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from paths(v, (*prefix, i))


def mutate(req: dict, draw) -> dict:
    req = copy.deepcopy(req)
    all_paths = [p for p in paths(req) if p]
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(all_paths))
        parent = req
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(junk)
        except (KeyError, IndexError, TypeError):
            continue
    return req


def first_sync(path: str, req: dict, live) -> dict:
    """``req`` with the children its first answer created, as the cluster would show them."""
    answer = APP.test_client().post(path, json=req).get_json()
    req = copy.deepcopy(req)
    (child_type,) = req["children"]
    req["children"][child_type] = children_map([live(c) for c in answer["children"]])
    return req


def workload_request(kind: str, child_type: str) -> dict:
    """A workload grid whose pods name a ConfigMapGrid, with the related ConfigMapGrid and ConfigMaps."""
    template = grid()["spec"]["template"]
    template["template"]["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "conf"}}]
    parent = grid(kind, template=template, templatePool={"big": grid()["spec"]["template"]}, templates={"b": "big"})
    nodes = site_nodes(a=2, b=1, c=1)
    config = configmap_grid("conf")
    configmaps = APP.test_client().post("/configmapgrid/sync", json=sync_request(config, nodes, child_type=CM))
    req = with_configs(sync_request(parent, nodes, child_type=child_type), [config], configmaps.get_json()["children"])
    return first_sync(f"/{kind.lower()}/sync", req, observed)


def configmap_request() -> dict:
    parent = configmap_grid(overrides=[{"units": ["a"], "data": {"X": "{{unit}}"}}], unitRemovalGracePeriodSeconds=30)
    return first_sync(
        "/configmapgrid/sync", sync_request(parent, site_nodes(a=2, b=1), child_type=CM), observed_configmap
    )


def daemonset_request() -> dict:
    parent = daemonset_grid(templatePool={"big": daemonset_spec("big")}, templates={"b": "big"})
    req = sync_request(parent, site_nodes(a=2, b=1, c=1), child_type="DaemonSet.apps/v1")
    return first_sync("/daemonsetgrid/sync", req, observed_daemonset)


def cronjob_request() -> dict:
    parent = cronjob_grid(templatePool={"big": cronjob_spec("big")}, templates={"b": "big"})
    req = sync_request(parent, site_nodes(a=2, b=1, c=1), child_type="CronJob.batch/v1")
    return first_sync("/cronjobgrid/sync", req, lambda child: observed_cronjob(child, active=[{"name": "j"}]))


def service_request() -> dict:
    req = service_sync_request(service_grid(unitRemovalGracePeriodSeconds=30), site_nodes(a=2, b=1))
    return first_sync("/servicegrid/sync", req, observed_service)


def nodegroup_request() -> dict:
    return ng_request(
        node_group(), fleet(a=2, b=1, down=("b-0",)), [ng_workload_grid("shop", "web", ready={"a": True})]
    )


def units_with_nodes(req: dict, key: str) -> set[str]:
    """Units that still have a Node carrying ``key`` (judged without the hook's own code)."""
    related = req.get("related")
    nodes = related.get("Node.v1") if isinstance(related, dict) else None
    units = set()
    for n in nodes.values() if isinstance(nodes, dict) else ():
        meta = n.get("metadata") if isinstance(n, dict) else None
        labels = meta.get("labels") if isinstance(meta, dict) else None
        unit = labels.get(key) if isinstance(labels, dict) else None
        if isinstance(unit, str) and unit:
            units.add(unit)
    return units


def per_unit_services_wanted(spec: dict) -> bool:
    """Whether a ServiceGrid spec asks for per-unit Services (else removing them is what the user wants)."""
    template = spec.get("template")
    if spec.get("perUnitServices") is False or not isinstance(template, dict):
        return False
    return bool(template.get("selector")) and template.get("type") != "ExternalName"


def must_keep(req: dict, child_type: str, suffix: str, live_units: Callable = units_with_nodes) -> set[str]:
    """Names of observed children whose unit still exists (``live_units``), judged without the hook's own code."""
    try:
        parent, observed_children = req["parent"], req["children"][child_type]
        spec, name = parent["spec"], parent["metadata"]["name"]
        key = spec["gridUniqKey"]
    except (KeyError, TypeError):
        return set()
    if not isinstance(observed_children, dict) or not isinstance(key, str) or not isinstance(name, str):
        return set()
    if isinstance(spec.get("nodeSelector"), dict) and spec["nodeSelector"]:
        return set()  # a selector may legitimately remove units
    if suffix == "-svc" and not per_unit_services_wanted(spec):
        return set()
    live = live_units(req, key)
    out = set()
    for child in observed_children.values():
        try:
            labels, child_name = child["metadata"]["labels"], child["metadata"]["name"]
        except (KeyError, TypeError):
            continue
        unit = labels.get(key) if isinstance(labels, dict) else None
        if isinstance(unit, str) and unit in live and child_name == f"{name}{suffix}-{unit}":
            out.add(child_name)
    return out


SYNC_CASES = {
    "/deploymentgrid/sync": (
        lambda: workload_request("DeploymentGrid", "Deployment.apps/v1"),
        "Deployment.apps/v1",
        "",
    ),
    "/statefulsetgrid/sync": (
        lambda: workload_request("StatefulSetGrid", "StatefulSet.apps/v1"),
        "StatefulSet.apps/v1",
        "",
    ),
    "/daemonsetgrid/sync": (daemonset_request, "DaemonSet.apps/v1", ""),
    "/cronjobgrid/sync": (cronjob_request, "CronJob.batch/v1", ""),
    "/configmapgrid/sync": (configmap_request, CM, ""),
    "/servicegrid/sync": (service_request, "Service.v1", "-svc"),
    "/nodegroup/sync": (nodegroup_request, None, ""),
    "/nodezone/sync": (lambda: zone_request({"site": "a", "zone": "x"}), None, ""),
    "/nodesummary/sync": (lambda: {**zone_request({"site": "a"}), "attachments": {}}, None, ""),
    "/nodeready/sync": (lambda: zone_request({"site": "a"}), None, ""),
}
OTHER_CASES = {
    "/deploymentgrid/customize": lambda: {"controller": {}, "parent": grid(nodeSelector={"matchLabels": {"t": "e"}})},
    "/statefulsetgrid/customize": lambda: {"controller": {}, "parent": grid("StatefulSetGrid")},
    "/daemonsetgrid/customize": lambda: {"controller": {}, "parent": daemonset_grid()},
    "/cronjobgrid/customize": lambda: {"controller": {}, "parent": cronjob_grid()},
    "/configmapgrid/customize": lambda: {"controller": {}, "parent": configmap_grid()},
    "/servicegrid/customize": lambda: {"controller": {}, "parent": service_grid()},
    "/nodegroup/customize": lambda: {"controller": {}, "parent": node_group()},
}


def test_every_post_route_is_fuzzed():
    assert set(hook_table()) == set(SYNC_CASES) | set(OTHER_CASES)


def post(path: str, req: object):
    return APP.test_client().post(path, data=json.dumps(req), content_type="application/json")


@pytest.mark.parametrize("path", sorted(SYNC_CASES))
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_sync_requests_never_5xx_nor_drop_live_children(path, data):
    build, child_type, suffix = SYNC_CASES[path]
    req = mutate(build(), data.draw)
    resp = post(path, req)
    assert resp.status_code < 500, resp.get_data(as_text=True)
    body = resp.get_json()
    if resp.status_code != 200:
        assert "error" in body
        return
    if child_type is None:
        return
    assert isinstance(body["children"], list) and isinstance(body["status"], dict)
    returned = {c["metadata"]["name"] for c in body["children"]}
    assert must_keep(req, child_type, suffix) <= returned


@pytest.mark.parametrize("path", sorted(OTHER_CASES))
@settings(max_examples=FUZZ_EXAMPLES // 2, deadline=None)
@given(data=st.data())
def test_fuzzed_customize_requests_never_5xx(path, data):
    resp = post(path, mutate(OTHER_CASES[path](), data.draw))
    assert resp.status_code < 500
    if resp.status_code == 200:
        assert set(resp.get_json()) == {"relatedResources"}
