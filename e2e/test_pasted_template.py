"""What a user sees on a real API server when a whole Deployment is pasted under a grid's ``template``.

The README's claim about this mistake is recorded here (no Metacontroller needed): kubectl's strict field
validation refuses the grid with one unknown-field error per pasted top-level key; with ``--validate=false``
the API server prunes them and stores an empty template, which the sync hook then reports.
"""

from __future__ import annotations

import json

from e2e.hookclient import Hooks
from e2e.kube import Kube
from tests.support.builders import deployment_spec

PASTED = ("apiVersion", "kind", "metadata", "spec")


def pasted_grid(namespace: str) -> dict:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": deployment_spec()}
    return {
        "apiVersion": "superedge.io/v1",
        "kind": "DeploymentGrid",
        "metadata": {"name": "pasted", "namespace": namespace},
        "spec": {"gridUniqKey": "site", "template": deployment},
    }


def test_kubectl_apply_refuses_a_pasted_deployment_with_unknown_field_errors(kube: Kube, namespace: str) -> None:
    """Refused by client-side apply (four unknown fields) and by server-side apply (one), nothing stored."""
    body = json.dumps(pasted_grid(namespace))
    client_side = kube.kubectl("apply", "-f", "-", stdin=body, check=False)
    assert client_side.returncode != 0, client_side.stdout
    for key in PASTED:
        assert f'unknown field "spec.template.{key}"' in client_side.stderr, client_side.stderr
    server_side = kube.kubectl("apply", "--server-side", "-f", "-", stdin=body, check=False)
    assert server_side.returncode != 0, server_side.stdout
    assert "field not declared in schema" in server_side.stderr, server_side.stderr
    assert ".spec.template." in server_side.stderr, server_side.stderr
    for done in (client_side, server_side):
        assert "must be a Deployment spec" not in done.stderr  # the hook's message never shows here
    assert kube.get_or_none("DeploymentGrid", namespace, "pasted") is None
    print(f"\nkubectl apply: {client_side.stderr.strip()}\nkubectl apply --server-side: {server_side.stderr.strip()}")


def test_without_validation_the_template_is_stored_empty_and_the_hook_says_so(
    kube: Kube, hooks: Hooks, nodes: list[dict], namespace: str
) -> None:
    done = kube.kubectl("apply", "--validate=false", "-f", "-", stdin=json.dumps(pasted_grid(namespace)))
    assert "created" in done.stdout, done.stdout
    stored = kube.get("DeploymentGrid", namespace, "pasted")
    assert stored["spec"]["template"] == {}
    answer = hooks.sync(kube, stored, [])
    assert [c["kind"] for c in answer["children"]] == ["ControllerRevision"]  # no workload; the revision's record
    synced = next(c for c in answer["status"]["conditions"] if c["type"] == "Synced")
    assert synced["status"] == "False" and synced["reason"] == "UnitErrors", synced
    assert "containers" in synced["message"], synced
    print(f"\nkubectl apply --validate=false: {done.stdout.strip()}\nSynced: {synced['reason']}: {synced['message']}")
