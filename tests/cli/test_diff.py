"""``servicegroup diff``: per child, what a sync with this version creates, updates (fields added, changed,
removed) and deletes, compared the way Metacontroller compares; exit status 0 / 1 / 2 like diff(1).

Live children are made as a cluster makes them: the grid rendered by an *earlier* spec, created the way
Metacontroller creates objects (its last-applied record), plus defaults and status from the API server.
"""

from __future__ import annotations

import copy
import json

import pytest

from hooks.cli.render import render_grid
from hooks.kube.documents import Sourced
from tests.cli.test_cli import grid_doc, write
from tests.support.builders import deployment_spec, node
from tests.support.metacontroller_apply import LAST_APPLIED, as_created
from tests.support.nodeunit_builders import nodeunits_of

NOW = "2026-01-01T00:00:00Z"
NODES = [node("n-a", {"site": "a"}), node("n-b", {"site": "b"})]


def live_grid(**spec) -> dict:
    """A grid as ``kubectl get dg -o yaml`` shows it: with its uid."""
    grid = grid_doc(**spec)
    grid["metadata"]["uid"] = "grid-uid"
    return grid


def created(grid: dict, nodes: list[dict] = NODES) -> list[dict]:
    """The grid's children as the cluster stores them after Metacontroller created them."""
    rendered = render_grid(Sourced(grid, "old"), {n["metadata"]["name"]: n for n in nodes}, "default", (), NOW)
    out = []
    for child in rendered.children:
        live = as_created(child, grid)
        live["metadata"].update(uid=f"uid-{live['metadata']['name']}", resourceVersion="7", generation=1)
        live["spec"]["progressDeadlineSeconds"] = 600  # an API server default: never in last-applied
        live["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"] = "/dev/termination-log"
        live["status"] = {"replicas": 2, "readyReplicas": 2}
        out.append(live)
    return out


@pytest.fixture
def diff(monkeypatch, capsys, tmp_path):
    """Run ``servicegroup diff`` on grids, site objects and live children; returns (status, stdout, stderr)."""
    from tests.cli.test_cli import run

    def go(grids: list[dict], live: list[dict], sites: list[dict] = NODES, *extra: str) -> tuple[int, str, str]:
        argv = [
            "diff",
            "-f",
            write(tmp_path, "grids.yaml", grids),
            "--nodes",
            write(tmp_path, "sites.yaml", sites),
            "--live",
            write(tmp_path, "live.yaml", live or {"apiVersion": "v1", "kind": "List", "items": []}),
            "--now",
            NOW,
            *extra,
        ]
        return run(argv, "", monkeypatch, capsys)

    return go


REVISION = '    ~ metadata.annotations["superedge.io/revision"]: '


def body(out: str) -> list[str]:
    """Output lines without the summary line and the revision stamp's change (a hash of the whole child)."""
    return [line for line in out.splitlines() if not line.startswith(("servicegroup diff: ", REVISION))]


def test_nothing_changes_exit_0_and_only_the_summary(diff):
    grid = live_grid()
    code, out, err = diff([grid], created(grid))
    assert (code, err) == (0, "")
    assert out == "servicegroup diff: 0 to create, 0 to update, 0 to delete, 2 unchanged\n"


def test_a_field_the_hooks_no_longer_send_is_shown_removed(diff):
    """The case comparing rendered with live objects cannot show: the live object keeps the field either way."""
    old = deployment_spec()
    old["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Always"
    live = created(live_grid(template=old))
    code, out, _ = diff([live_grid()], live)
    assert code == 1
    assert body(out) == [
        "~ Deployment shop/web-a (DeploymentGrid shop/web): update",
        '    - spec.template.spec.containers[name=web].imagePullPolicy: "Always"',
        "~ Deployment shop/web-b (DeploymentGrid shop/web): update",
        '    - spec.template.spec.containers[name=web].imagePullPolicy: "Always"',
    ]
    assert out.splitlines()[-1] == "servicegroup diff: 0 to create, 2 to update, 0 to delete, 0 unchanged"
    assert sum(line.startswith(REVISION) for line in out.splitlines()) == 2


def test_changed_and_added_fields_and_server_defaults_left_alone(diff):
    live = created(live_grid())
    new = deployment_spec(image="nginx:1.28")
    new["template"]["spec"]["containers"][0]["args"] = ["--quiet"]
    code, out, _ = diff([live_grid(template=new)], live)
    assert code == 1
    lines = body(out)
    assert '    ~ spec.template.spec.containers[name=web].image: "nginx:1.27" -> "nginx:1.28"' in lines
    assert '    + spec.template.spec.containers[name=web].args: ["--quiet"]' in lines
    assert not any("terminationMessagePath" in line or "progressDeadlineSeconds" in line for line in lines)
    assert not any("last-applied" in line or "status" in line for line in lines)


def test_a_new_site_is_created_and_a_gone_site_deleted(diff):
    grid = live_grid()
    live = created(grid)
    sites = [node("n-a", {"site": "a"}), node("n-c", {"site": "c"})]
    code, out, _ = diff([grid], live, sites)
    assert code == 1
    assert body(out) == [
        "+ Deployment shop/web-c (DeploymentGrid shop/web): create",
        "- Deployment shop/web-b (DeploymentGrid shop/web): delete",
    ]
    assert out.splitlines()[-1] == "servicegroup diff: 1 to create, 0 to update, 1 to delete, 1 unchanged"


def test_a_child_without_a_last_applied_record_keeps_what_the_hooks_stop_sending(diff):
    old = deployment_spec()
    old["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Always"
    live = created(live_grid(template=old))
    for child in live:
        del child["metadata"]["annotations"][LAST_APPLIED]
    code, out, _ = diff([live_grid()], live)
    assert code == 1  # the hooks' fields are all there already, but the record is written
    assert "imagePullPolicy" not in out
    assert "(no metacontroller.k8s.io/last-applied-configuration annotation: fields the hooks" in out


def test_only_the_record_changing_is_one_write_and_said_so(diff):
    """A field the hooks send that the record lacks but the live object has (as an API server default)."""
    new = deployment_spec()
    new["progressDeadlineSeconds"] = 600
    grid = live_grid(template=new)
    live = created(grid)
    for child in live:
        annotations = child["metadata"]["annotations"]
        record = json.loads(annotations[LAST_APPLIED])
        del record["spec"]["progressDeadlineSeconds"]
        annotations[LAST_APPLIED] = json.dumps(record)
    code, out, _ = diff([grid], live)
    assert code == 1
    assert body(out)[:2] == [
        "~ Deployment shop/web-a (DeploymentGrid shop/web): update",
        "    (only Metacontroller's record of what it applied changes: one write, the object stays as it is)",
    ]


def test_a_grid_without_uid_matches_its_children_by_their_controller_uid(diff):
    grid = live_grid()
    live = created(grid)
    del grid["metadata"]["uid"]
    assert diff([grid], live)[0] == 0


def test_the_clusters_nodeunits_decide_a_nodeunits_grid(diff):
    """Given NodeUnits stand for the cluster's: a NodeUnit of site c (no node in the given list) gets a child."""
    grid = live_grid(siteSource="NodeUnits")
    units = nodeunits_of({n["metadata"]["name"]: n for n in [*NODES, node("n-c", {"site": "c"})]})
    live = created(grid)
    code, out, _ = diff([grid], live, [*NODES, *units.values()])
    assert code == 1 and body(out) == ["+ Deployment shop/web-c (DeploymentGrid shop/web): create"]
    assert diff([grid], live)[0] == 0  # from the Nodes alone: sites a and b, nothing to do


def test_an_invalid_grid_keeps_its_children_with_a_warning(diff):
    grid = live_grid()
    live = created(grid)
    broken = copy.deepcopy(grid)
    broken["spec"]["overrides"] = [{"patch": [{"op": "remove", "path": "/spec/nothing"}]}]
    code, out, err = diff([broken], live)
    assert code == 0 and "2 unchanged" in out
    assert "warning: " in err and "Synced=False" in err


def test_unknown_grid_fields_are_warned_and_their_removal_shown(diff):
    """A field the CRDs do not know is pruned by the API server: its children lose it on the next sync."""
    old = deployment_spec()
    old["template"]["spec"]["containers"][0]["imagePullPolicey"] = "Always"
    live = created(live_grid())
    for child in live:  # a child rendered before the CRD pruned the misspelt field
        child["spec"]["template"]["spec"]["containers"][0]["imagePullPolicey"] = "Always"
        child["metadata"]["annotations"] = as_created(
            {**child, "metadata": {k: v for k, v in child["metadata"].items() if k != "annotations"}}, live_grid()
        )["metadata"]["annotations"]
    code, out, err = diff([live_grid(template=old)], live)
    assert "unknown field spec.template.template.spec.containers[0].imagePullPolicey" in err
    assert code == 1 and '    - spec.template.spec.containers[name=web].imagePullPolicey: "Always"' in out


def test_children_of_grids_not_given_are_counted_not_compared(diff):
    grid = live_grid()
    other = live_grid(name="api")
    code, _, err = diff([grid], created(grid) + created(other))
    assert code == 0 and "warning: 2 live children belong to no given grid: not compared" in err


@pytest.mark.parametrize(
    ("sites", "expected"),
    [
        ([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}], "expected a Node or a NodeUnit"),
        ("::: not yaml", "sites.yaml"),
    ],
)
def test_bad_input_exits_2_with_one_line(diff, sites, expected):
    grid = live_grid()
    code, out, err = diff([grid], created(grid), sites)
    assert code == 2 and out == "" and err.startswith("error: ") and expected in err


def test_a_grid_that_cannot_be_rendered_exits_2_after_diffing_the_others(diff):
    grid = live_grid()
    pasted = live_grid(name="api", template={"apiVersion": "apps/v1", "kind": "Deployment", "spec": {}})
    code, out, err = diff([grid, pasted], created(grid))
    assert code == 2 and "2 unchanged" in out and "must be a Deployment spec, not a Deployment" in err
