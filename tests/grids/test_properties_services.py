"""Property tests for ServiceGrid and the node zone decorator over random nodes, grids and labels."""

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.grids import service_grid
from hooks.kube.errors import RequestError
from hooks.kube.names import is_dns1035_label
from hooks.sites import node_zone
from tests.grids.test_properties import clusters, label_values
from tests.support.builders import NOW, children_map, reordered
from tests.support.service_builders import observed_service, service_spec, service_sync_request, zone_request
from tests.support.service_builders import service_grid as sg

grid_names = st.from_regex(r"\A[a-z0-9]([-a-z0-9.]{0,70}[a-z0-9])?\Z", fullmatch=True)
templates = st.sampled_from(
    [
        service_spec(),
        service_spec(type="NodePort", ports=[{"name": "http", "port": 80, "nodePort": 30080}]),
        service_spec(clusterIP="10.96.0.9"),
        service_spec(clusterIP="None"),
        service_spec(trafficDistribution="PreferClose"),
    ]
)


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), grid_names, templates)
def test_one_service_per_unit_selecting_only_its_unit(cluster, name, template):
    key, units, nodes = cluster
    req = service_sync_request(sg(name=name, gridUniqKey=key, template=template), nodes)
    resp = service_grid.sync(req, NOW)
    kids = resp["children"]
    names = [c["metadata"]["name"] for c in kids]
    assert len(names) == len(units) + 1 and len(set(names)) == len(names)
    assert all(is_dns1035_label(n) for n in names)
    shared = [c for c in kids if key not in c["metadata"]["labels"]]
    assert len(shared) == 1 and shared[0]["spec"] == template
    assert json.loads(shared[0]["metadata"]["annotations"]["topologyKeys"]) == [key]
    per_unit = [c for c in kids if key in c["metadata"]["labels"]]
    assert sorted(c["metadata"]["labels"][key] for c in per_unit) == sorted(units)
    for child in per_unit:
        unit = child["metadata"]["labels"][key]
        assert child["spec"]["selector"] == {**template["selector"], key: unit}
        assert child["spec"].get("clusterIP") in (None, "None")
        assert all("nodePort" not in p for p in child["spec"]["ports"])
        assert "topologyKeys" not in child["metadata"]["annotations"]
    assert resp["status"]["units"] == len(units)
    again = service_grid.sync(reordered(req), NOW)  # the same request, every map in reverse order
    assert json.dumps(again, sort_keys=True) == json.dumps(resp, sort_keys=True)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.sampled_from([{"gridUniqKey": "bad key"}, {"template": []}, {"perUnitServices": 1}]))
def test_invalid_spec_never_drops_an_observed_service(cluster, bad):
    key, _, nodes = cluster
    rendered = service_grid.sync(service_sync_request(sg(gridUniqKey=key), nodes), NOW)["children"]
    lives = children_map([observed_service(c) for c in rendered])
    parent = sg(gridUniqKey=key)
    parent["spec"].update(bad)
    resp = service_grid.sync(service_sync_request(parent, nodes, lives), NOW)
    assert sorted(c["metadata"]["name"] for c in resp["children"]) == sorted(c["metadata"]["name"] for c in rendered)


zone = node_zone.ZONE_LABEL
owned = node_zone.ZONE_SET_ANNOTATION
values = st.one_of(label_values, st.just(""))
label_maps = st.dictionaries(st.sampled_from(["site", zone, "other"]), values, max_size=3)
annotation_maps = st.dictionaries(
    st.sampled_from([owned, node_zone.CONFLICT_ANNOTATION, "x"]), st.one_of(values, st.integers()), max_size=3
)


def applied(current: dict, changes: dict) -> dict:
    out = dict(current)
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


@settings(max_examples=200)
@given(label_maps, annotation_maps)
def test_zone_decorator_converges_and_never_touches_a_foreign_zone(labels, annotations):
    answer = node_zone.sync(zone_request(labels, annotations))
    assert set(answer.response) == {"labels", "annotations"}
    assert set(answer.response["labels"]) <= {zone}
    strings = {k: v for k, v in annotations.items() if isinstance(v, str)}
    ours = zone in labels and strings.get(owned) == labels[zone]
    if zone in labels and not ours:
        assert answer.response["labels"] == {}
    new_labels = applied(labels, answer.response["labels"])
    new_annotations = applied(strings, answer.response["annotations"])
    if labels.get("site") and (zone not in labels or ours):
        assert new_labels[zone] == labels["site"] == new_annotations[owned]
    settled = node_zone.sync(zone_request(new_labels, new_annotations)).response
    assert settled == {"labels": {}, "annotations": {}}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
PLACES = {
    "node labels": lambda r: r["parent"]["metadata"],
    "node annotations": lambda r: r["parent"]["metadata"],
    "controller metadata": lambda r: r["controller"],
    "controller annotations": lambda r: r["controller"]["metadata"],
    "node": lambda r: r,
}
FIELDS = {
    "node labels": "labels",
    "node annotations": "annotations",
    "controller metadata": "metadata",
    "controller annotations": "annotations",
    "node": "parent",
}


@settings(max_examples=150)
@given(st.sampled_from(sorted(PLACES)), json_values)
def test_zone_decorator_fails_only_with_a_request_error(place, junk):
    """Whatever odd JSON arrives, the answer is a 200 or a 4xx, never a 5xx."""
    req = zone_request({"site": "a"})
    PLACES[place](req)[FIELDS[place]] = junk
    with contextlib.suppress(RequestError):
        answer = node_zone.sync(req)
        assert set(answer.response) == {"labels", "annotations"}
