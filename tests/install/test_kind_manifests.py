"""Every grid kind the hook server serves is installed: its CRD, its controller (with every child type the hook
answers) and the aggregated roles that let `view`/`edit` users read and write it."""

from __future__ import annotations

import pytest

from hooks.grids.grid_kinds import GRID_KINDS, customize_route, sync_route
from tests.install.test_manifests import CONTROLLERS, CRDS, INSTALLED

RESOURCES = {
    "Deployment.apps/v1": "deployments",
    "StatefulSet.apps/v1": "statefulsets",
    "DaemonSet.apps/v1": "daemonsets",
    "CronJob.batch/v1": "cronjobs",
    "ConfigMap.v1": "configmaps",
    "Service.v1": "services",
    "HorizontalPodAutoscaler.autoscaling/v2": "horizontalpodautoscalers",
    "ControllerRevision.apps/v1": "controllerrevisions",
}
"""Metacontroller's child type key -> the resource a controller names (for the kinds of this release)."""


def crd_of(kind: str) -> dict:
    (crd,) = [c for c in CRDS if c["spec"]["names"]["kind"] == kind]
    return crd


def role(name: str) -> dict:
    (found,) = [d for d in INSTALLED if d["kind"] == "ClusterRole" and d["metadata"]["name"] == name]
    return found


@pytest.mark.parametrize("kind", sorted(GRID_KINDS))
def test_every_grid_kind_has_a_crd_and_a_controller_for_all_its_child_types(kind):
    crd = crd_of(kind)
    assert crd["spec"]["scope"] == "Namespaced"
    plural = crd["spec"]["names"]["plural"]
    (ctl,) = [c for c in CONTROLLERS if c["spec"].get("parentResource", {}).get("resource") == plural]
    children = [(c["apiVersion"], c["resource"]) for c in ctl["spec"]["childResources"]]
    wanted = [(t.partition(".")[2], RESOURCES[t]) for t in GRID_KINDS[kind].child_types]
    assert children == wanted
    urls = {name: hook["webhook"]["url"] for name, hook in ctl["spec"]["hooks"].items()}
    assert urls["sync"].endswith(sync_route(kind)) and urls["customize"].endswith(customize_route(kind))


def test_view_and_edit_roles_cover_every_grid_kind():
    plurals = {crd_of(kind)["spec"]["names"]["plural"] for kind in GRID_KINDS}
    view, edit = role("servicegroup-view"), role("servicegroup-edit")
    assert set(view["rules"][0]["resources"]) == plurals
    assert set(view["rules"][1]["resources"]) == {f"{p}/status" for p in plurals}
    assert set(edit["rules"][0]["resources"]) == plurals
