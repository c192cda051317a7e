"""The node summary decorator and grids reading its NodeSummaries (``siteSource: NodeSummaries``)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.grids.children import kept_child
from hooks.kube.errors import RequestError
from hooks.server.app import create_app
from hooks.sites import node_summary
from hooks.sites.discovery import NO_NODESUMMARIES, SitesUnavailable, site_rules, sites_from_request
from hooks.sites.node_summary import NODESUMMARY_TYPE, READY_ANNOTATION, summary_of
from hooks.sites.site_spec import NODESUMMARIES_SOURCE, SiteSpec
from hooks.sites.units import NODES
from tests.support.builders import children_map, grid, observed, post, site_nodes, sync_request
from tests.support.nodegroup_builders import health_node

T0, T1, T2 = (f"2026-01-01T00:{m:02d}:00Z" for m in (0, 1, 2))
CLIENT = create_app().test_client()


def summary_request(node: dict) -> dict:
    """As Metacontroller v4.17 sends a v2 DecoratorController request: the Node under ``object``."""
    return {"controller": {"metadata": {"name": "servicegroup-nodesummary"}}, "object": node, "attachments": {}}


def test_a_summary_holds_the_labels_and_the_ready_condition_and_nothing_a_heartbeat_changes() -> None:
    node = health_node("edge-1", {"site": "a", "zone": "z"}, True, T0, heartbeat=T1)
    later = health_node("edge-1", {"site": "a", "zone": "z"}, True, T0, heartbeat=T2)
    assert summary_of(node) == {
        "apiVersion": "superedge.io/v1",
        "kind": "NodeSummary",
        "metadata": {"name": "edge-1", "labels": {"site": "a", "zone": "z"}},
        "spec": {"ready": {"status": "True", "lastTransitionTime": T0}},
    }
    assert summary_of(later) == summary_of(node)


def test_a_summary_changes_when_the_node_goes_not_ready_or_is_relabelled() -> None:
    node = health_node("edge-1", {"site": "a"}, True, T0)
    assert summary_of(health_node("edge-1", {"site": "a"}, False, T1)) != summary_of(node)
    assert summary_of(health_node("edge-1", {"site": "b"}, True, T0)) != summary_of(node)


def test_a_node_without_a_ready_condition_has_a_summary_without_one() -> None:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "edge-1"}}
    assert summary_of(node)["spec"] == {} and summary_of(node)["metadata"]["labels"] == {}


def test_the_hook_always_answers_with_the_nodes_one_summary_over_http() -> None:
    node = health_node("edge-1", {"site": "a"}, True, T0)
    resp = CLIENT.post("/nodesummary/sync", data=json.dumps(summary_request(node)), content_type="application/json")
    assert resp.status_code == 200
    assert resp.get_json() == {"attachments": [summary_of(node)]}


def test_a_request_without_a_named_node_is_refused_rather_than_answered_without_the_summary() -> None:
    with pytest.raises(RequestError):
        node_summary.sync({"object": {"metadata": {}}})


# The ready mark decorator: what wakes the summary decorator, which ignores status posts.


def mark_of(node: dict) -> str | None:
    return node_summary.mark(summary_request(node))["annotations"][READY_ANNOTATION]


def test_the_ready_mark_holds_the_ready_condition_and_nothing_a_heartbeat_changes() -> None:
    node = health_node("edge-1", {"site": "a"}, True, T0, heartbeat=T1)
    assert mark_of(node) == f"True {T0}"
    assert mark_of(health_node("edge-1", {"site": "a"}, True, T0, heartbeat=T2)) == mark_of(node)
    assert mark_of(health_node("edge-1", {"site": "b"}, True, T0, heartbeat=T2)) == mark_of(node)


def test_the_ready_mark_is_removed_while_the_node_has_no_ready_condition() -> None:
    assert mark_of({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "edge-1"}}) is None


@given(st.sampled_from([True, False, "Unknown"]), st.sampled_from([T0, T1, None]))
def test_the_ready_mark_changes_whenever_the_summary_changes_other_than_by_a_label(ready, since) -> None:
    """The summary decorator sees only label and annotation changes: every status change its summary would
    show must change the mark, or the summary would keep an old readiness."""
    base = health_node("edge-1", {"site": "a"}, True, T0)
    other = health_node("edge-1", {"site": "a"}, ready, since, heartbeat=T2)
    assert (mark_of(other) == mark_of(base)) == (summary_of(other) == summary_of(base))


def test_the_ready_mark_answers_with_one_annotation_and_never_a_status_over_http() -> None:
    """A status in the answer would be written over the kubelet's; attachments would be made children."""
    node = health_node("edge-1", {"site": "a"}, False, T1)
    resp = CLIENT.post("/nodeready/sync", data=json.dumps(summary_request(node)), content_type="application/json")
    assert resp.status_code == 200
    assert resp.get_json() == {"annotations": {READY_ANNOTATION: f"False {T1}"}}


def test_a_mark_request_without_a_node_is_refused_over_http() -> None:
    resp = CLIENT.post("/nodeready/sync", data=json.dumps({"controller": {}}), content_type="application/json")
    assert resp.status_code == 400


SPEC = SiteSpec(key="site", node_selector={"matchLabels": {"tier": "edge"}}, source=NODESUMMARIES_SOURCE)
NODE_SPEC = SiteSpec(key="site", node_selector={"matchLabels": {"tier": "edge"}})


def as_summaries(nodes: list[dict]) -> dict:
    return {NODESUMMARY_TYPE: {n["metadata"]["name"]: summary_of(n) for n in nodes}}


def as_nodes(nodes: list[dict]) -> dict:
    return {NODES: {n["metadata"]["name"]: n for n in nodes}}


def test_the_grid_relates_the_summaries_of_the_nodes_it_would_relate() -> None:
    (rule,) = site_rules(SPEC)
    (node_rule,) = site_rules(NODE_SPEC)
    assert rule == {**node_rule, "apiVersion": "superedge.io/v1", "resource": "nodesummaries"}


NODE_STATES = st.tuples(
    st.sampled_from(["a", "b", "c", ""]),
    st.sampled_from(["edge", "core"]),
    st.sampled_from([True, False, "Unknown"]),
    st.sampled_from([T0, T1, T2, None]),
)


@given(st.lists(NODE_STATES, max_size=8))
def test_summaries_give_the_units_and_readiness_their_nodes_give(states: list) -> None:
    nodes = [
        health_node(f"n{i}", {"site": site, "tier": tier}, ready, since, heartbeat=T2)
        for i, (site, tier, ready, since) in enumerate(states)
    ]
    from_nodes = sites_from_request(NODE_SPEC, as_nodes(nodes))
    if not from_nodes.units:
        with pytest.raises(SitesUnavailable) as err:
            sites_from_request(SPEC, as_summaries(nodes))
        assert err.value.reason == NO_NODESUMMARIES
        return
    from_summaries = sites_from_request(SPEC, as_summaries(nodes))
    assert from_summaries.units == from_nodes.units
    for unit in from_nodes.units:
        for earliest in (True, False):
            assert from_summaries.readiness(unit, earliest) == from_nodes.readiness(unit, earliest)


def test_a_request_without_the_summary_list_keeps_every_child() -> None:
    with pytest.raises(SitesUnavailable):
        sites_from_request(SPEC, {})


# A grid reading summaries, through the hook server's own route (so through its reduced request decoding).

SUMMARISED = "superedge.io/unit-summarised"


def grid_sync(nodes: dict, children: list[dict], source: str = NODESUMMARIES_SOURCE, **spec) -> dict:
    req = sync_request(grid(siteSource=source, **spec), {}, children_map(children))
    if source == NODESUMMARIES_SOURCE:
        req["related"] = as_summaries(list(nodes.values()))
    else:
        req["related"] = as_nodes(list(nodes.values()))
    resp = post(CLIENT, "/deploymentgrid/sync", req)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def live(resp: dict) -> list[dict]:
    """The children of a response as the API server would show them."""
    return [observed(c) for c in resp["children"] if c["kind"] == "Deployment"]


def deployments(resp: dict) -> dict[str, dict]:
    return {c["metadata"]["name"]: c for c in resp["children"] if c["kind"] == "Deployment"}


def synced(resp: dict) -> dict:
    return next(c for c in resp["status"]["conditions"] if c["type"] == "Synced")


def test_the_child_of_every_unit_the_summaries_list_is_marked() -> None:
    resp = grid_sync(site_nodes(a=1, b=2), [])
    assert {name: c["metadata"]["annotations"][SUMMARISED] for name, c in deployments(resp).items()} == {
        "web-a": "true",
        "web-b": "true",
    }


def test_after_a_switch_a_unit_without_summaries_yet_keeps_its_child_unchanged() -> None:
    """Children of a grid that read Nodes carry no mark: absence of a summary proves nothing for them."""
    before = live(grid_sync(site_nodes(a=1, b=1), [], source="Nodes"))
    resp = grid_sync(site_nodes(a=1), before)
    children = deployments(resp)
    assert sorted(children) == ["web-a", "web-b"]
    assert children["web-b"] == kept_child(before[1])
    assert children["web-a"]["metadata"]["annotations"][SUMMARISED] == "true"
    assert synced(resp)["reason"] == "UnitsWithoutNodeSummary" and "web" not in synced(resp)["message"].split(":")[0]


def test_a_marked_child_whose_unit_has_no_summaries_left_goes_as_with_nodes() -> None:
    before = live(grid_sync(site_nodes(a=1, b=1), []))
    resp = grid_sync(site_nodes(a=1), before)
    assert sorted(deployments(resp)) == ["web-a"] and synced(resp)["status"] == "True"
    by_nodes = grid_sync(site_nodes(a=1), before, source="Nodes")
    assert sorted(deployments(by_nodes)) == ["web-a"]


def test_a_marked_child_whose_unit_has_no_summaries_left_gets_the_grace_period() -> None:
    before = live(grid_sync(site_nodes(a=1, b=1), [], unitRemovalGracePeriodSeconds=60))
    resp = grid_sync(site_nodes(a=1), before, unitRemovalGracePeriodSeconds=60)
    assert "superedge.io/unit-missing-since" in deployments(resp)["web-b"]["metadata"]["annotations"]
    assert "removalAt" in resp["status"]["states"]["b"]


def test_no_summary_at_all_keeps_every_child() -> None:
    before = live(grid_sync(site_nodes(a=1, b=1), []))
    resp = grid_sync({}, before)
    assert sorted(deployments(resp)) == ["web-a", "web-b"] and synced(resp)["reason"] == NO_NODESUMMARIES


def test_reading_nodes_again_takes_the_mark_off_and_renders_the_same_children_otherwise() -> None:
    nodes = site_nodes(a=1, b=1)
    marked = grid_sync(nodes, [])
    by_nodes = grid_sync(nodes, live(marked), source="Nodes")
    for name, child in deployments(by_nodes).items():
        mark_off = {k: v for k, v in deployments(marked)[name]["metadata"]["annotations"].items() if k != SUMMARISED}
        assert child["metadata"]["annotations"] == mark_off
        assert {**child, "metadata": None} == {**deployments(marked)[name], "metadata": None}
