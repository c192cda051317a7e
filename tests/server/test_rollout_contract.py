"""A rollout through the real Flask app: v2 response keys only, a resync for the deadline, status in the CRD."""

from __future__ import annotations

from pathlib import Path

import yaml

from hooks.server.app import create_app
from tests.install.test_nodegroup_manifests import schema_errors
from tests.support.builders import deployment_spec, grid, post, site_nodes
from tests.support.rollout_builders import applied, records, rollout_request, sites, steady

ROOT_DIR = Path(__file__).resolve().parents[2]
T1, T20 = "2026-01-01T00:01:00Z", "2026-01-01T00:20:00Z"
ROLLOUT = {"steps": [{"name": "canary", "units": ["a"]}], "progressDeadlineSeconds": 120}


def client_at(now: str):
    return create_app(clock=lambda: now).test_client()


def crd_status_schema(kind_file: str) -> dict:
    crd = yaml.safe_load((ROOT_DIR / "crds" / kind_file).read_text())
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]


def test_a_rollout_answers_only_v2_keys_and_asks_for_a_resync_at_the_deadline():
    nodes = site_nodes(a=1, b=1)
    observed = steady(grid(rollout=ROLLOUT), nodes, T1)
    new = grid(rollout=ROLLOUT, template=deployment_spec(image="nginx:1.28"))
    resp = post(client_at(T1), "/deploymentgrid/sync", rollout_request(new, nodes, observed))
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"status", "children", "resyncAfterSeconds"} and body["resyncAfterSeconds"] == 120
    assert len(body["children"]) == 4 and body["status"]["rollout"]["heldUnits"] == 1  # two sites, two records
    assert schema_errors(body["status"], crd_status_schema("deploymentgrids.yaml"), "status") == []


def test_a_halted_rollout_keeps_every_child_and_its_status_fits_the_crd():
    nodes = site_nodes(a=1, b=1)
    observed = steady(grid(rollout=ROLLOUT), nodes, T1)
    new = grid(rollout=ROLLOUT, template=deployment_spec(image="nginx:1.28"))
    moved = post(client_at(T1), "/deploymentgrid/sync", rollout_request(new, nodes, observed)).get_json()
    observed = applied(moved, observed, ready={"web-a": False})
    body = post(client_at(T20), "/deploymentgrid/sync", rollout_request(new, nodes, observed)).get_json()
    assert set(body) == {"status", "children"} and len(body["children"]) == 4  # two sites, two records
    assert body["status"]["rollout"]["state"] == "Halted"
    for crd in ("deploymentgrids.yaml", "statefulsetgrids.yaml"):
        assert schema_errors(body["status"], crd_status_schema(crd), "status") == []


def test_the_printer_column_shows_the_rollout_state():
    for crd_file in ("deploymentgrids.yaml", "statefulsetgrids.yaml"):
        crd = yaml.safe_load((ROOT_DIR / "crds" / crd_file).read_text())
        columns = {c["name"]: c for c in crd["spec"]["versions"][0]["additionalPrinterColumns"]}
        assert columns["Rollout"]["jsonPath"] == ".status.rollout.state" and "priority" not in columns["Rollout"]


def test_offline_sites_are_deferred_over_http_and_the_status_fits_the_crd():
    nodes = sites(a=(False, "2025-12-31T23:00:00Z"), b=None)
    observed = steady(grid(rollout=ROLLOUT), sites(a=None, b=None), T1)
    new = grid(rollout=ROLLOUT, template=deployment_spec(image="nginx:1.28"))
    body = post(client_at(T20), "/deploymentgrid/sync", rollout_request(new, nodes, observed)).get_json()
    rollout = body["status"]["rollout"]
    assert rollout["deferred"] == ["a"] and rollout["deferredUnits"] == 1 and rollout["step"] == "remaining"
    for crd in ("deploymentgrids.yaml", "statefulsetgrids.yaml"):
        assert schema_errors(body["status"], crd_status_schema(crd), "status") == []


def test_a_rollback_over_http_answers_records_and_a_status_that_fit_their_schemas():
    """Two syncs after the halt: the record marked, then the canary back on the completed revision. Every
    ControllerRevision answered is checked against the Kubernetes schema by the suite's hook wrapper."""
    rollout = {**ROLLOUT, "onFailure": "Rollback"}
    nodes = site_nodes(a=1, b=1)
    observed = steady(grid(rollout=rollout), nodes, T1)
    observed = applied(
        post(client_at(T1), "/deploymentgrid/sync", rollout_request(grid(rollout=rollout), nodes, observed)).get_json(),
        observed,
    )
    new = grid(rollout=rollout, template=deployment_spec(image="nginx:1.28"))
    moved = post(client_at(T1), "/deploymentgrid/sync", rollout_request(new, nodes, observed)).get_json()
    observed = applied(moved, observed, ready={"web-a": False})
    for _ in range(2):
        body = post(client_at(T20), "/deploymentgrid/sync", rollout_request(new, nodes, observed)).get_json()
        observed = applied(body, observed)
    assert body["status"]["rollout"]["state"] == "RolledBack" and "rolledBackTo" in body["status"]["rollout"]
    states = sorted(
        r["metadata"]["labels"].get("superedge.io/revision-state") for r in records(body["children"]).values()
    )
    assert states == ["Completed", "RolledBack"]
    assert schema_errors(body["status"], crd_status_schema("deploymentgrids.yaml"), "status") == []
