"""The README's upgrade check and uninstall, on a real cluster with Metacontroller.

It uninstalls the controllers and installs them again, as the README says, and checks that nothing a grid
owns is touched in between; the scenarios that run after it use the reinstalled controllers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from e2e.cluster import Cluster, servicegroup_command
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.manifests import CONTROLLERS
from e2e.observe import hold
from e2e.procs import poll
from e2e.scenario import apply, deployment_template, grid, owned, site_nodes, uids, unique, wait_ready

HOOK_SERVER_NAMESPACE = "servicegroup-system"


def upgrade_check(kube: Kube, namespace: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """README, Upgrade, step 1 (``servicegroup diff``), on the test's namespace."""
    sites, children = workdir / "sites.yaml", workdir / "children.yaml"
    sites.write_text(kube.kubectl("get", "nodes,nodeunits", "-o", "yaml").stdout)
    selector = "superedge.io/grid-selector"
    children.write_text(kube.kubectl("-n", namespace, "get", "deploy,sts,svc", "-l", selector, "-o", "yaml").stdout)
    grids = kube.kubectl("-n", namespace, "get", "dg,ssg,sg", "-o", "yaml").stdout
    return subprocess.run(
        [servicegroup_command(), "diff", "-f", "-", "--nodes", str(sites), "--live", str(children)],
        input=grids,
        capture_output=True,
        text=True,
        check=False,
    )


def test_upgrade_check_and_uninstall_keep_every_workload(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str, tmp_path: Path
) -> None:
    key = unique("e2e-life")
    site_nodes(make_node, key, {"alpha": 1, "beta": 1})
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web")))
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=2)
    before = uids(owned(kube, "Deployment", namespace, "web"))

    diff = upgrade_check(kube, namespace, tmp_path)
    assert diff.returncode == 0, diff.stdout + diff.stderr  # nothing would change
    assert diff.stdout == "servicegroup diff: 0 to create, 0 to update, 0 to delete, 2 unchanged\n", diff.stdout

    # README, Uninstall: remove the controllers (the hook server objects are not installed here).
    kube.kubectl("delete", "-k", str(CONTROLLERS), "--ignore-not-found")
    kube.kubectl("wait", "--for=delete", f"namespace/{HOOK_SERVER_NAMESPACE}", "--timeout=120s", check=False)
    grid_uid = kube.get("DeploymentGrid", namespace, "web")["metadata"]["uid"]
    hold(
        "the grid and its children stay without the controllers",
        lambda: (
            None
            if uids(owned(kube, "Deployment", namespace, "web")) == before
            and kube.get("DeploymentGrid", namespace, "web")["metadata"]["uid"] == grid_uid
            else "grid or children gone"
        ),
        seconds=15,
    )
    assert kube.get_or_none("CustomResourceDefinition", None, "deploymentgrids.superedge.io") is not None

    metacontroller.install()  # reinstall: the grid is picked up again, its children untouched
    kube.merge_patch("DeploymentGrid", namespace, "web", {"metadata": {"labels": {"e2e-resynced": "yes"}}})
    poll(
        "the reinstalled controller syncs the grid again",
        lambda: all(
            d["metadata"].get("labels", {}).get("e2e-resynced") == "yes"
            for d in owned(kube, "Deployment", namespace, "web").values()
        ),
        60,
    )
    assert uids(owned(kube, "Deployment", namespace, "web")) == before
