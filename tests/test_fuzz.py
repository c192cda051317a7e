"""Hypothesis-driven fuzzing of whole requests through the HTTP app.

Valid requests are mutated at random (keys deleted, values replaced by other types, huge or unicode
strings, nulls) and the answers must never be 5xx, and a 200 must never leave out the child of a unit that
still has nodes: that is how a hook makes Metacontroller delete a running workload.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.app import create_app
from tests.builders import NOW, children_map, grid, observed, site_nodes, sync_request

FUZZ_EXAMPLES = 250
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


def base_request(kind: str, child_type: str) -> dict:
    nodes = site_nodes(a=2, b=1, c=1)
    parent = grid(kind, templatePool={"big": grid()["spec"]["template"]}, templates={"b": "big"})
    first = APP.test_client().post(f"/{kind.lower()}/sync", json=sync_request(parent, nodes, child_type=child_type))
    lives = [observed(c) for c in first.get_json()["children"]]
    return sync_request(parent, nodes, children_map(lives), child_type=child_type)


def units_with_nodes(req: dict, key: str) -> set[str]:
    nodes = (req.get("related") or {}).get("Node.v1")
    units = set()
    for n in (nodes or {}).values() if isinstance(nodes, dict) else ():
        labels = (
            n.get("metadata", {}).get("labels") if isinstance(n, dict) and isinstance(n.get("metadata"), dict) else None
        )
        if isinstance(labels, dict) and isinstance(labels.get(key), str) and labels[key]:
            units.add(labels[key])
    return units


def must_keep(req: dict, child_type: str) -> set[str]:
    """Names of observed children whose unit still has nodes (judged without the hook's own code)."""
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
    live = units_with_nodes(req, key)
    out = set()
    for child in observed_children.values():
        try:
            labels, child_name = child["metadata"]["labels"], child["metadata"]["name"]
        except (KeyError, TypeError):
            continue
        unit = labels.get(key) if isinstance(labels, dict) else None
        if isinstance(unit, str) and unit in live and child_name == f"{name}-{unit}":
            out.add(child_name)
    return out


CASES = [("DeploymentGrid", "Deployment.apps/v1"), ("StatefulSetGrid", "StatefulSet.apps/v1")]


@pytest.mark.parametrize(("kind", "child_type"), CASES)
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_sync_requests_never_5xx_nor_drop_live_children(kind, child_type, data):
    req = mutate(base_request(kind, child_type), data.draw)
    resp = APP.test_client().post(f"/{kind.lower()}/sync", data=json.dumps(req), content_type="application/json")
    assert resp.status_code < 500, resp.get_data(as_text=True)
    body = resp.get_json()
    if resp.status_code != 200:
        assert "error" in body
        return
    assert isinstance(body["children"], list) and isinstance(body["status"], dict)
    returned = {c["metadata"]["name"] for c in body["children"]}
    assert must_keep(req, child_type) <= returned


@pytest.mark.parametrize("kind", ["DeploymentGrid", "StatefulSetGrid"])
@settings(max_examples=FUZZ_EXAMPLES // 2, deadline=None)
@given(data=st.data())
def test_fuzzed_customize_requests_never_5xx(kind, data):
    req = mutate({"controller": {}, "parent": grid(kind, nodeSelector={"matchLabels": {"tier": "edge"}})}, data.draw)
    resp = APP.test_client().post(f"/{kind.lower()}/customize", data=json.dumps(req), content_type="application/json")
    assert resp.status_code < 500
    if resp.status_code == 200:
        assert set(resp.get_json()) == {"relatedResources"}
