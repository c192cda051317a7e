"""Progressive rollout on a real cluster: a canary that cannot become ready halts the rollout.

Skipped without Metacontroller, like every scenario of the full loop.
"""

from __future__ import annotations

from e2e.cluster import Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.observe import hold
from e2e.procs import poll
from e2e.scenario import IMAGE, apply, deployment_template, dg_condition, grid, owned, site_nodes, unique, wait_ready

DEADLINE = 20
NEW_IMAGE = "registry.k8s.io/echoserver:1.11"


def images(kube: Kube, namespace: str) -> dict[str, str]:
    return {
        name: dep["spec"]["template"]["spec"]["containers"][0]["image"]
        for name, dep in owned(kube, "Deployment", namespace, "web").items()
    }


def rollout_condition(kube: Kube, namespace: str) -> dict:
    return dg_condition(kube, namespace, "web", "Rollout")


def test_a_canary_that_cannot_start_halts_the_rollout(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """The new template's pods cannot be scheduled: the canary site never gets healthy, the rollout halts
    after its deadline, the other sites keep the old image; editing the template back resumes it."""
    key = unique("e2e-rollout")
    site_nodes(make_node, key, {"alpha": 1, "beta": 1, "gamma": 1})
    rollout = {"progressDeadlineSeconds": DEADLINE, "steps": [{"name": "canary", "units": ["alpha"]}]}
    good = deployment_template("web")
    apply(kube, grid("DeploymentGrid", "web", namespace, key, good, rollout=rollout))
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)

    bad = deployment_template("web", image=NEW_IMAGE)
    bad["template"]["spec"]["nodeSelector"] = {"e2e.example.com/no-such-node": "true"}  # never schedulable
    kube.merge_patch("DeploymentGrid", namespace, "web", {"spec": {"template": bad}})
    poll("the canary on the new image", lambda: images(kube, namespace).get("web-alpha") == NEW_IMAGE, 30)
    halted = poll("Rollout=Halted", lambda: rollout_condition(kube, namespace).get("reason") == "Halted", DEADLINE + 40)
    assert halted
    status = kube.get("DeploymentGrid", namespace, "web")["status"]
    assert [h["unit"] for h in status["rollout"]["halted"]] == ["alpha"], status["rollout"]
    assert status["states"]["alpha"]["ready"] is False
    hold(
        "beta and gamma keep the old image while halted",
        lambda: (
            None
            if {images(kube, namespace).get(f"web-{s}") for s in ("beta", "gamma")} == {IMAGE}
            else str(images(kube, namespace))
        ),
        seconds=10,
    )
    columns = kube.kubectl("-n", namespace, "get", "dg", "web").stdout
    assert "Halted" in columns, columns  # kubectl get dg shows the halt at a glance

    # Roll back: the template as it was (a merge patch keeps keys it does not name, so null the selector).
    back = {**good, "template": {**good["template"], "spec": {**good["template"]["spec"], "nodeSelector": None}}}
    kube.merge_patch("DeploymentGrid", namespace, "web", {"spec": {"template": back}})
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)
    poll("Rollout=Complete", lambda: rollout_condition(kube, namespace).get("reason") == "Complete", 30)
    assert set(images(kube, namespace).values()) == {IMAGE}
