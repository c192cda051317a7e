"""A rollout through the real Flask app: v2 response keys only, a resync for the deadline, status in the CRD."""

from __future__ import annotations

from pathlib import Path

import yaml

from hooks.server.app import create_app
from tests.install.test_nodegroup_manifests import schema_errors
from tests.support.builders import deployment_spec, grid, post, site_nodes, sync_request
from tests.support.rollout_builders import applied, steady

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
    resp = post(client_at(T1), "/deploymentgrid/sync", sync_request(new, nodes, observed))
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"status", "children", "resyncAfterSeconds"} and body["resyncAfterSeconds"] == 120
    assert len(body["children"]) == 2 and body["status"]["rollout"]["heldUnits"] == 1
    assert schema_errors(body["status"], crd_status_schema("deploymentgrids.yaml"), "status") == []


def test_a_halted_rollout_keeps_every_child_and_its_status_fits_the_crd():
    nodes = site_nodes(a=1, b=1)
    observed = steady(grid(rollout=ROLLOUT), nodes, T1)
    new = grid(rollout=ROLLOUT, template=deployment_spec(image="nginx:1.28"))
    moved = post(client_at(T1), "/deploymentgrid/sync", sync_request(new, nodes, observed)).get_json()
    observed = applied(moved, observed, ready={"web-a": False})
    body = post(client_at(T20), "/deploymentgrid/sync", sync_request(new, nodes, observed)).get_json()
    assert set(body) == {"status", "children"} and len(body["children"]) == 2
    assert body["status"]["rollout"]["state"] == "Halted"
    for crd in ("deploymentgrids.yaml", "statefulsetgrids.yaml"):
        assert schema_errors(body["status"], crd_status_schema(crd), "status") == []


def test_the_printer_column_shows_the_rollout_state():
    for crd_file in ("deploymentgrids.yaml", "statefulsetgrids.yaml"):
        crd = yaml.safe_load((ROOT_DIR / "crds" / crd_file).read_text())
        columns = {c["name"]: c for c in crd["spec"]["versions"][0]["additionalPrinterColumns"]}
        assert columns["Rollout"]["jsonPath"] == ".status.rollout.state" and "priority" not in columns["Rollout"]
