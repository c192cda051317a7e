"""DaemonSetGrid: one DaemonSet per unit, pinned by node affinity, readiness from the DaemonSet's figures."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.grids import workload_grid
from hooks.grids.daemonset import DAEMONSET, daemonset_ready, in_node_affinity
from tests.support.builders import NOW, children_map, site_nodes, sync_request, unstamped
from tests.support.kind_builders import daemonset_grid, daemonset_spec, observed_daemonset

DS = "DaemonSet.apps/v1"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def sync(req, now=NOW):
    return workload_grid.sync(req, DAEMONSET, now)


def request(parent, nodes, children=None):
    return sync_request(parent, nodes, children_map(children or []), child_type=DS)


def by_name(resp):
    return {c["metadata"]["name"]: c for c in resp["children"]}


def terms_of(child):
    return child["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]


def conditions(status):
    return {c["type"]: c for c in status["conditions"]}


def test_one_daemonset_per_unit_pinned_by_node_affinity():
    resp = sync(request(daemonset_grid(), site_nodes(a=2, b=1)))
    kids = by_name(resp)
    assert sorted(kids) == ["agent-a", "agent-b"]
    a = kids["agent-a"]
    assert a["kind"] == "DaemonSet" and a["apiVersion"] == "apps/v1"
    assert a["metadata"]["namespace"] == "shop"
    assert a["metadata"]["labels"] == {"site": "a", "superedge.io/grid-selector": "agent"}
    assert unstamped(a["metadata"]["annotations"]) == {"superedge.io/grid-uniq-key": "site"}
    assert a["spec"]["selector"]["matchLabels"] == {"app": "agent", "site": "a"}
    assert a["spec"]["template"]["metadata"]["labels"] == {"app": "agent", "site": "a"}
    assert terms_of(a) == [{"matchExpressions": [{"key": "site", "operator": "In", "values": ["a"]}]}]
    assert "nodeSelector" not in a["spec"]["template"]["spec"]
    assert "replicas" not in a["spec"]


def test_the_unit_is_anded_into_every_term_of_the_users_affinity():
    """Terms are ORed: the unit must be in each, or one term alone would admit other sites' nodes."""
    template = daemonset_spec()
    pod = template["template"]["spec"]
    pod["nodeSelector"] = {"disk": "ssd"}
    pod["affinity"] = {
        "nodeAffinity": {
            REQUIRED: {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "arch", "operator": "In", "values": ["arm64"]}]},
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]},
                    {},
                ]
            },
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 1, "preference": {"matchExpressions": [{"key": "x", "operator": "Exists"}]}}
            ],
        },
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": []},
    }
    before = copy.deepcopy(template)
    child = sync(request(daemonset_grid(template=template), site_nodes(a=1)))["children"][0]
    unit = {"key": "site", "operator": "In", "values": ["a"]}
    assert terms_of(child) == [
        {"matchExpressions": [{"key": "arch", "operator": "In", "values": ["arm64"]}, unit]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}], "matchExpressions": [unit]},
        {},  # an empty term matches no node in Kubernetes; it stays one
    ]
    affinity = child["spec"]["template"]["spec"]["affinity"]
    assert affinity["podAntiAffinity"] == before["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert (
        affinity["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        == (before["template"]["spec"]["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"])
    )
    assert child["spec"]["template"]["spec"]["nodeSelector"] == {"disk": "ssd"}
    assert template == before, "the template is shared, never changed"


def test_a_term_already_holding_the_unit_is_not_given_it_twice():
    parent = daemonset_grid(
        overrides=[
            {
                "patch": [
                    {
                        "op": "add",
                        "path": "/spec/template/spec/affinity",
                        "value": {
                            "nodeAffinity": {
                                REQUIRED: {
                                    "nodeSelectorTerms": [
                                        {
                                            "matchExpressions": [
                                                {"key": "site", "operator": "In", "values": ["{{unit}}"]}
                                            ]
                                        }
                                    ]
                                }
                            }
                        },
                    }
                ]
            }
        ]
    )
    child = sync(request(parent, site_nodes(a=1)))["children"][0]
    assert terms_of(child) == [{"matchExpressions": [{"key": "site", "operator": "In", "values": ["a"]}]}]


def test_a_user_term_on_the_key_is_kept_and_the_unit_still_added():
    """The user's own requirement on the key is never replaced: with another site's value, no node matches."""
    template = daemonset_spec()
    expr = {"key": "site", "operator": "In", "values": ["b"]}
    template["template"]["spec"]["affinity"] = {
        "nodeAffinity": {REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": [expr]}]}}
    }
    child = sync(request(daemonset_grid(template=template), site_nodes(a=1)))["children"][0]
    assert terms_of(child) == [{"matchExpressions": [expr, {"key": "site", "operator": "In", "values": ["a"]}]}]


@pytest.mark.parametrize(
    "affinity, message",
    [
        ("anti", "spec.template.spec.affinity must be an object"),
        ({"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": {"x": 1}}}}, "nodeSelectorTerms must be a list"),
        ({"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": 3}]}}}, r"\[0\]\.matchExpressions"),
        ({"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": ["x"]}}}, r"nodeSelectorTerms\[0\] must be an object"),
    ],
)
def test_a_malformed_affinity_fails_its_unit_and_keeps_its_child(affinity, message):
    good = sync(request(daemonset_grid(), site_nodes(a=1)))["children"][0]
    template = daemonset_spec()
    template["template"]["spec"]["affinity"] = affinity
    resp = sync(request(daemonset_grid(template=template), site_nodes(a=1), [observed_daemonset(good)]))
    assert resp["children"] == [good]
    assert re.search(message, resp["status"]["states"]["a"]["error"])


def test_replicas_in_overrides_is_an_invalid_spec_that_keeps_every_child():
    first = sync(request(daemonset_grid(), site_nodes(a=1, b=1)))["children"]
    live = [observed_daemonset(c) for c in first]
    resp = sync(request(daemonset_grid(overrides=[{"units": ["a"], "replicas": 3}]), site_nodes(a=1, b=1), live))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["agent-a", "agent-b"]
    synced = conditions(resp["status"])["Synced"]
    assert synced["reason"] == "InvalidSpec"
    assert "spec.overrides[0].replicas: a DaemonSetGrid has no replicas" in synced["message"]


def test_a_patch_adding_replicas_fails_only_its_unit():
    patch = [{"op": "add", "path": "/spec/replicas", "value": 2}]
    resp = sync(request(daemonset_grid(overrides=[{"units": ["a"], "patch": patch}]), site_nodes(a=1, b=1)))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["agent-b"]
    assert "spec.replicas: a DaemonSet has no replicas" in resp["status"]["states"]["a"]["error"]


def test_images_and_unit_patches_per_site():
    overrides = [
        {"units": ["b"], "images": {"agent": "registry.example.com/agent:1.1"}},
        {
            "patch": [
                {
                    "op": "add",
                    "path": "/spec/template/spec/containers/0/env",
                    "value": [{"name": "SITE", "value": "{{unit}}"}],
                }
            ]
        },
    ]
    kids = by_name(sync(request(daemonset_grid(overrides=overrides), site_nodes(a=1, b=1))))
    containers = {u: kids[f"agent-{u}"]["spec"]["template"]["spec"]["containers"][0] for u in "ab"}
    assert containers["a"]["image"] == "registry.example.com/agent:1.0"
    assert containers["b"]["image"] == "registry.example.com/agent:1.1"
    assert containers["a"]["env"] == [{"name": "SITE", "value": "a"}]


def test_status_reports_the_daemonset_figures_and_readiness():
    first = sync(request(daemonset_grid(), site_nodes(a=2, b=1)))["children"]
    kids = {c["metadata"]["name"]: c for c in first}
    live = [observed_daemonset(kids["agent-a"], nodes=2), observed_daemonset(kids["agent-b"], ready=False)]
    status = sync(request(daemonset_grid(), site_nodes(a=2, b=1), live))["status"]
    assert status["states"]["a"] == {
        "observedGeneration": 1,
        "desiredNumberScheduled": 2,
        "currentNumberScheduled": 2,
        "updatedNumberScheduled": 2,
        "numberReady": 2,
        "numberAvailable": 2,
        "numberMisscheduled": 0,
        "ready": True,
    }
    assert status["states"]["b"]["ready"] is False and status["states"]["b"]["numberUnavailable"] == 1
    assert status["units"] == 2 and status["readyUnits"] == 1


def _ds(generation=1, **status):
    return {"metadata": {"name": "x", "generation": generation}, "status": status}


@pytest.mark.parametrize(
    "observed, ready",
    [
        (None, False),
        (_ds(), False),  # no status yet
        (_ds(observedGeneration=1, desiredNumberScheduled=0, numberReady=0, currentNumberScheduled=0), True),
        (
            _ds(
                observedGeneration=1,
                desiredNumberScheduled=2,
                numberReady=2,
                updatedNumberScheduled=2,
                numberAvailable=2,
            ),
            True,
        ),
        (_ds(observedGeneration=1, desiredNumberScheduled=2, numberReady=2, updatedNumberScheduled=2), True),
        (
            _ds(
                observedGeneration=1,
                desiredNumberScheduled=2,
                numberReady=2,
                updatedNumberScheduled=1,
                numberAvailable=2,
            ),
            False,
        ),
        (
            _ds(
                observedGeneration=1,
                desiredNumberScheduled=2,
                numberReady=1,
                updatedNumberScheduled=2,
                numberAvailable=1,
            ),
            False,
        ),
        (
            _ds(
                observedGeneration=1,
                desiredNumberScheduled=2,
                numberReady=2,
                updatedNumberScheduled=2,
                numberAvailable=1,
            ),
            False,
        ),
        (
            _ds(
                observedGeneration=1,
                desiredNumberScheduled=1,
                numberReady=1,
                updatedNumberScheduled=1,
                numberMisscheduled=1,
            ),
            False,
        ),
        (_ds(2, observedGeneration=1, desiredNumberScheduled=1, numberReady=1, updatedNumberScheduled=1), False),
    ],
)
def test_daemonset_readiness(observed, ready):
    assert daemonset_ready(observed) is ready


def test_a_rollout_waits_for_the_daemonsets_own_readiness():
    """With spec.rollout, a site whose new DaemonSet pods are not all updated holds the next site."""
    rollout = {"maxUpdating": 1}
    parent = daemonset_grid(rollout=rollout)
    first = sync(request(parent, site_nodes(a=1, b=1)))["children"]
    live = [observed_daemonset(c) for c in first]
    changed = daemonset_grid(rollout=rollout, template=daemonset_spec(image="registry.example.com/agent:2.0"))
    step1 = by_name(sync(request(changed, site_nodes(a=1, b=1), live)))
    image = lambda c: c["spec"]["template"]["spec"]["containers"][0]["image"]  # noqa: E731
    assert image(step1["agent-a"]).endswith(":2.0") and image(step1["agent-b"]).endswith(":1.0")
    # a's DaemonSet took the change but its pod is not updated yet: b waits
    stuck = observed_daemonset(step1["agent-a"], generation=2, updatedNumberScheduled=0)
    step2 = by_name(sync(request(changed, site_nodes(a=1, b=1), [stuck, live[1]])))
    assert image(step2["agent-b"]).endswith(":1.0")
    healthy = observed_daemonset(step1["agent-a"], generation=2)
    step3 = by_name(sync(request(changed, site_nodes(a=1, b=1), [healthy, live[1]])))
    assert image(step3["agent-b"]).endswith(":2.0")


label = st.from_regex(r"\A[a-z]([a-z0-9]{0,5})\Z", fullmatch=True)
operators = st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"])


@st.composite
def requirements(draw):
    op = draw(operators)
    req = {"key": draw(st.sampled_from(["site", "arch", "disk"])), "operator": op}
    if op in ("In", "NotIn"):
        req["values"] = draw(st.lists(label, min_size=1, max_size=3))
    return req


def matches(requirement, labels):
    value = labels.get(requirement["key"])
    op = requirement["operator"]
    if op == "In":
        return value in requirement["values"]
    if op == "NotIn":
        return value not in requirement["values"]
    return (value is not None) == (op == "Exists")


def admitted(terms, labels):
    """Kubernetes' rule: terms are ORed, expressions in a term ANDed; an empty term matches nothing."""
    return any(t.get("matchExpressions") and all(matches(r, labels) for r in t["matchExpressions"]) for t in terms)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(requirements(), max_size=3).map(lambda e: {"matchExpressions": e} if e else {}), max_size=3),
    label,
    st.lists(st.fixed_dictionaries({"site": label, "arch": label, "disk": label}), min_size=1, max_size=6),
)
def test_pinned_affinity_admits_a_node_only_if_it_is_the_units_and_the_user_admitted_it(terms, unit, nodes):
    pod_spec = {"affinity": {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": terms}}}} if terms else {}
    pinned = terms_of({"spec": {"template": {"spec": in_node_affinity(pod_spec, "site", unit, "spec.template.spec")}}})
    for labels in nodes:
        user = admitted(terms, labels) if terms else True
        assert admitted(pinned, labels) == (user and labels["site"] == unit)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"autoscaling": {"maxReplicas": 3}}, "spec.autoscaling: a DaemonSetGrid has no replicas to autoscale"),
        (
            {"overrides": [{"autoscaling": {"mode": "Disabled"}}]},
            "spec.overrides[0].autoscaling: a DaemonSetGrid has no",
        ),
    ],
)
def test_autoscaling_a_daemonsetgrid_is_an_invalid_spec(spec, message):
    synced = conditions(sync(request(daemonset_grid(**spec), site_nodes(a=1)))["status"])["Synced"]
    assert synced["reason"] == "InvalidSpec" and message in synced["message"]
