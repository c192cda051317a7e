"""A workload grid's revisions as ControllerRevision children: one per revision, pruned, never changing data."""

from __future__ import annotations

import copy

from hooks.grids.history import CR_TYPE, GRID_REVISION_LABEL, STATE_LABEL
from hooks.grids.rollout_spec import spec_revision
from hooks.grids.workload import DEPLOYMENT
from hooks.grids.workload_grid import sync as workload_sync
from tests.support.builders import deployment_spec, grid, site_nodes, sync_request
from tests.support.metacontroller_apply import apply_update, as_created, needs_update, with_generated_selector
from tests.support.rollout_builders import applied, images, records, sync

T0, T1, T2 = (f"2026-01-01T00:0{m}:00Z" for m in (0, 1, 2))
IMAGES = [f"nginx:1.{n}" for n in range(20, 30)]


def settle(parent: dict, nodes: dict, children: dict, now: str = T1, rounds: int = 3) -> tuple[dict, dict]:
    """The last answer and the children after a few syncs in which every changed child becomes ready."""
    response = {}
    for _ in range(rounds):
        response = sync(parent, nodes, children, now)
        children = applied(response, children)
    return response, children


def revision_of(parent: dict) -> str:
    return spec_revision(parent["spec"], "DeploymentGrid")


def test_each_revision_is_one_controller_revision_labelled_for_kubectl() -> None:
    parent = grid()
    response = sync(parent, site_nodes(a=1), {}, T0)
    [record] = records(response["children"]).values()
    revision = revision_of(parent)
    assert record["metadata"]["name"] == f"web-{revision}" and record["metadata"]["namespace"] == "shop"
    assert record["metadata"]["labels"] == {
        "superedge.io/grid-selector": "web",
        "superedge.io/grid-kind": "DeploymentGrid",
        GRID_REVISION_LABEL: revision,
    }
    assert record["revision"] == 1 and record["data"] == {"spec": {"template": parent["spec"]["template"]}}


def test_a_revision_is_marked_completed_once_every_unit_is_ready_on_it_and_stays_so() -> None:
    parent, nodes = grid(), site_nodes(a=1, b=1)
    first = sync(parent, nodes, {}, T0)
    assert STATE_LABEL not in next(iter(records(first["children"]).values()))["metadata"]["labels"]
    response, children = settle(parent, nodes, applied(first, {}))
    [record] = records(response["children"]).values()
    assert record["metadata"]["labels"][STATE_LABEL] == "Completed"
    broken = copy.deepcopy(children)
    broken["shop/web-a"]["status"]["readyReplicas"] = 0
    again = records(sync(parent, nodes, broken, T2)["children"])
    assert again[record["metadata"]["name"]]["metadata"]["labels"][STATE_LABEL] == "Completed"


def test_a_grid_without_units_completes_nothing() -> None:
    response, _ = settle(grid(), {}, {})
    [record] = records(response["children"]).values()
    assert STATE_LABEL not in record["metadata"]["labels"]


def test_new_revisions_are_numbered_and_the_history_is_pruned_to_the_limit() -> None:
    nodes, children = site_nodes(a=1), {}
    for n in range(5):
        parent = grid(template=deployment_spec(image=IMAGES[n]), revisionHistoryLimit=2)
        response, children = settle(parent, nodes, children)
    kept = records(response["children"])
    assert sorted(r["revision"] for r in kept.values()) == [3, 4, 5]  # the current one and the 2 newest others
    assert kept[f"web-{revision_of(parent)}"]["revision"] == 5
    assert images(response["children"]) == {"web-a": IMAGES[4]}


def test_a_spec_back_on_an_older_revision_renumbers_its_record_and_keeps_its_data() -> None:
    nodes, children = site_nodes(a=1), {}
    for image in (IMAGES[0], IMAGES[1], IMAGES[0]):
        parent = grid(template=deployment_spec(image=image))
        response, children = settle(parent, nodes, children)
    kept = records(response["children"])
    first = kept[f"web-{revision_of(parent)}"]
    assert first["revision"] == 3 and sorted(r["revision"] for r in kept.values()) == [2, 3]
    assert first["data"] == {"spec": {"template": deployment_spec(image=IMAGES[0])}}


def test_an_existing_record_is_sent_back_with_the_data_it_has() -> None:
    """Kubernetes refuses any change of a ControllerRevision's data: whatever an earlier release wrote stays."""
    parent, nodes = grid(), site_nodes(a=1)
    response, children = settle(parent, nodes, {})
    name = next(iter(records(response["children"])))
    children[f"shop/{name}"]["data"] = {"spec": {"template": {"written": "by another release"}}, "extra": 1}
    again = records(sync(parent, nodes, children, T2)["children"])
    assert again[name]["data"] == children[f"shop/{name}"]["data"]


def test_a_controller_that_does_not_declare_controller_revisions_gets_none() -> None:
    response = sync(grid(), site_nodes(a=1), {}, T0, history=False)
    assert {c["kind"] for c in response["children"]} == {"Deployment"}


def test_an_invalid_spec_keeps_the_history_too() -> None:
    parent, nodes = grid(), site_nodes(a=1)
    response, children = settle(parent, nodes, {})
    broken = grid(gridUniqKey="not a key")
    request = sync_request(broken, nodes, {k: v for k, v in children.items() if v["kind"] == "Deployment"})
    request["children"][CR_TYPE] = {k: v for k, v in children.items() if v["kind"] == "ControllerRevision"}
    kept = workload_sync(request, DEPLOYMENT, T2)
    assert {c["kind"] for c in kept["children"]} == {"Deployment", "ControllerRevision"}
    assert records(kept["children"]) == records(response["children"])


def test_metacontroller_updates_a_record_only_for_its_labels_and_number_never_its_data() -> None:
    """Kubernetes refuses a changed ``data``: Metacontroller's would-be update of a record, created as it creates
    children, leaves ``data`` exactly as stored, and is sent only when the state label or number changes."""
    parent, nodes = grid(), site_nodes(a=1)
    first = sync(parent, nodes, {}, T0)
    [desired] = records(first["children"]).values()
    created = as_created(desired, parent)
    key = f"shop/{desired['metadata']['name']}"
    children = {**applied(first, {}), key: created}
    for _ in range(2):
        answer = records(sync(parent, nodes, children, T1)["children"])[desired["metadata"]["name"]]
        update = apply_update(children[key], with_generated_selector(answer, "uid-1"))
        assert update["data"] == created["data"] and update["revision"] == 1
        children = {**applied(sync(parent, nodes, children, T1), children), key: update}
    assert update["metadata"]["labels"][STATE_LABEL] == "Completed"
    assert not needs_update(update, answer, "uid-1")
