"""Property: for any observed replicas of an autoscaled unit, the rendered child keeps them.

"Keeps" is judged the way Metacontroller applies the answer (tests/support/metacontroller_apply.py, read
from its source): the object it would write for the unit's child has exactly the observed ``replicas``,
whatever the grid sent before (Metacontroller's record with or without ``replicas``, and any value there),
whatever the template, the overrides and a rollout decide, and whether the unit renders or fails. A child
whose record holds no ``replicas`` is never sent any.
"""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.grids import workload_grid
from hooks.grids.workload import DEPLOYMENT
from tests.support.autoscaling_builders import PARENT_UID, autoscaling, by_kind, request
from tests.support.builders import NOW, deployment_spec, grid, site_nodes
from tests.support.metacontroller_apply import LAST_APPLIED, apply_update, as_stored

UNITS = ["a", "b", "c", "d"]

unit_cases = st.fixed_dictionaries(
    {
        "observed": st.integers(0, 2**31 - 1),
        "recorded": st.one_of(st.none(), st.integers(0, 500)),  # the replicas in Metacontroller's record
        "mode": st.sampled_from(["HPA", "External"]),
        "fails": st.booleans(),  # an override the unit cannot take: it keeps its child
    }
)


@st.composite
def fleets(draw):
    units = draw(st.dictionaries(st.sampled_from(UNITS), unit_cases, min_size=1, max_size=4))
    template = deployment_spec(replicas=draw(st.integers(0, 9)))
    if draw(st.booleans()):
        del template["replicas"]
    overrides = [{"units": [u], "autoscaling": {"mode": case["mode"]}} for u, case in units.items()]
    overrides += [{"units": [u], "images": {"missing": "nginx:1"}} for u, case in units.items() if case["fails"]]
    if draw(st.booleans()):
        overrides.append({"replicas": draw(st.integers(0, 9))})
    spec = {"autoscaling": autoscaling(minReplicas=1), "overrides": overrides, "template": template}
    if draw(st.booleans()):  # a rollout to a new image: some units keep their older child for now
        spec["rollout"] = {"steps": [{"units": [sorted(units)[0]]}], "maxUpdating": 1}
        spec["template"] = {**template, "template": copy.deepcopy(template["template"])}
        spec["template"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    return units, grid(**spec)


def observed_child(name: str, unit: str, case: dict) -> dict:
    """A Deployment the grid created before (its record with or without ``replicas``), scaled since."""
    desired = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": {"site": unit, "superedge.io/grid-selector": "web"}},
        "spec": {**deployment_spec(), "template": copy.deepcopy(deployment_spec()["template"])},
    }
    desired["spec"].pop("replicas")
    if case["recorded"] is not None:
        desired["spec"]["replicas"] = case["recorded"]
    stored = copy.deepcopy(desired)
    stored["spec"]["replicas"] = case["observed"]
    stored["metadata"].update({"uid": f"c-{name}", "resourceVersion": "7", "generation": 1})
    stored["status"] = {"observedGeneration": 1, "replicas": case["observed"], "readyReplicas": case["observed"]}
    return as_stored(desired, stored, PARENT_UID)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(fleets())
def test_the_rendered_child_keeps_the_observed_replicas(fleet):
    units, parent = fleet
    live = [observed_child(f"web-{u}", u, case) for u, case in units.items()]
    resp = workload_grid.sync(request(parent, site_nodes(**dict.fromkeys(units, 1)), live), DEPLOYMENT, NOW)
    desired = by_kind(resp)["Deployment"]
    for child in live:
        name = child["metadata"]["name"]
        sent = desired[name]
        written = apply_update(child, sent)
        assert written["spec"].get("replicas", 1) == child["spec"]["replicas"], (name, sent["spec"].get("replicas"))
        if '"replicas"' not in child["metadata"]["annotations"][LAST_APPLIED]:
            assert "replicas" not in sent["spec"], name  # never sent: never owned
    hpas = by_kind(resp).get("HorizontalPodAutoscaler", {})
    # a unit that cannot be rendered keeps its HPA as it is: none observed here, so none
    assert set(hpas) == {f"web-{u}" for u, case in units.items() if case["mode"] == "HPA" and not case["fails"]}
