"""Helm day 2, as the README says it, on an API server of its own (no pod needs to run).

Every Helm command here is read from the README (or from the chart's NOTES) and run verbatim under bash:
the offline preview and the check against a fresh cluster, a failed install and its cleanup, an install of
a chart whose CRDs are the previous release's (0.1.0's), the upgrade with changed CRDs, and the uninstall.
Between the two, what happens to a stored grid holding a template field the new CRDs do not declare is read
from the API server and from etcd itself.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from e2e import readme
from e2e.cluster import Cluster, cache_dir, find_metacontroller_crds
from e2e.kube import Kube
from e2e.manifests import REPO
from e2e.previous_release import COMMIT

CHART = REPO / "charts" / "servicegroup"
GRID_CRDS = ("deploymentgrids", "statefulsetgrids", "servicegrids", "nodegroups", "nodeunits")
"""The CRDs 0.1.0 shipped."""
CURRENT_CRDS = tuple(sorted(p.stem for p in (CHART / "crds").glob("*.yaml")))
"""The CRDs this chart ships (0.2.0 added the DaemonSetGrid, CronJobGrid and ConfigMapGrid kinds)."""
TYPO = "imagePullPolicey"


def helm_binary() -> Path:
    found = shutil.which("helm")
    return Path(found) if found else cache_dir() / "bin" / "helm"


def previous_chart(into: Path) -> Path:
    """The chart as a 0.1.0 Helm user's CRDs were: this chart with 0.1.0's CRD files, version 0.1.0."""
    chart = into / "charts" / "servicegroup"
    shutil.copytree(CHART, chart)
    for newer in set(CURRENT_CRDS) - set(GRID_CRDS):
        (chart / "crds" / f"{newer}.yaml").unlink()
    for name in GRID_CRDS:
        shown = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{COMMIT}:crds/{name}.yaml"], capture_output=True, check=True, timeout=60
        )
        (chart / "crds" / f"{name}.yaml").write_bytes(shown.stdout)
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    meta.update(version="0.1.0", appVersion="0.1.0")
    (chart / "Chart.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    return into


def current_chart(into: Path) -> Path:
    (into / "charts").mkdir(parents=True)
    (into / "charts" / "servicegroup").symlink_to(CHART)
    return into


def grid_crds(kube: Kube) -> set[str]:
    return {
        c["metadata"]["name"] for c in kube.list("CustomResourceDefinition") if c["spec"]["group"] == "superedge.io"
    }


def etcd_object(cluster: Cluster, key: str) -> dict:
    """The object as etcd holds it (custom resources are stored as JSON)."""
    done = subprocess.run(
        [str(cluster.bin / "etcdctl"), f"--endpoints=http://127.0.0.1:{cluster.ports['etcd']}", "get", key,
         "--print-value-only"],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return json.loads(done.stdout)


def typo_grid() -> dict:
    container = {"name": "web", "image": "registry.k8s.io/echoserver:1.10", TYPO: "Always"}
    template = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}},
    }
    return {
        "apiVersion": "superedge.io/v1",
        "kind": "DeploymentGrid",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"gridUniqKey": "site", "template": template},
    }


def container_of(grid: dict) -> dict:
    return grid["spec"]["template"]["template"]["spec"]["containers"][0]


def test_helm_install_upgrade_with_changed_crds_and_uninstall_as_documented(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    helm = helm_binary()
    if not helm.is_file():
        pytest.fail(f"no helm binary at {helm}: bash e2e/build.sh helm", pytrace=False)
    if not find_metacontroller_crds():
        pytest.skip("no Metacontroller CRDs: set SERVICEGROUP_METACONTROLLER_CRDS (see e2e/README.md)")
    cluster: Cluster = request.getfixturevalue("own_cluster")  # started only when the test can run
    kube = cluster.kube()
    tools = [helm.parent, cluster.kube_bin]
    kube.kubectl("apply", "--server-side", "-f", str(cluster.metacontroller_crds))  # Metacontroller is installed
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "metacontroller"}})
    current, previous = current_chart(tmp_path / "current"), previous_chart(tmp_path / "previous")

    def run(command: str, where: Path, check: bool = True) -> subprocess.CompletedProcess:
        return readme.run(command, where, cluster.kubeconfig, tools, check=check)

    # ---- The preview and the check on a fresh cluster --------------------------------------------------
    for command in readme.commands("Install into a cluster", containing="--dry-run=server"):
        run(command, current)
    assert {d["kind"] for d in yaml.safe_load_all((current / "servicegroup.yaml").read_text()) if d} >= {
        "CustomResourceDefinition", "CompositeController", "Deployment", "Namespace",
    }  # fmt: skip
    assert grid_crds(kube) == set(), "the dry run created CRDs"
    refused = run("kubectl apply --dry-run=server -f servicegroup.yaml", current, check=False)
    assert refused.returncode != 0 and 'namespaces "servicegroup-system" not found' in refused.stderr

    # ---- A failed install leaves the CRDs; the documented cleanup removes them -------------------------
    blocker = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "servicegroup-view"},
    }
    kube.kubectl("create", "-f", "-", stdin=json.dumps(blocker))  # an object of the chart made by someone else
    install = readme.commands("Install into a cluster", containing="--set image.tag=")[0]
    failed = run(install, previous, check=False)
    assert failed.returncode != 0 and "servicegroup-view" in failed.stderr, failed.stderr
    assert grid_crds(kube) == {f"{n}.superedge.io" for n in GRID_CRDS}, "the failed install left no CRDs?"
    for command in readme.commands("Install into a cluster", containing="helm list"):
        run(command, previous)  # from the chart whose install failed (its CRDs are the ones to remove)
    assert grid_crds(kube) == set()
    kube.kubectl("delete", "clusterrole", "servicegroup-view")

    # ---- Install with 0.1.0's CRDs; a grid with a field the new CRDs do not declare ----------------------
    installed = run(install, previous)
    assert "STATUS: deployed" in installed.stdout
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    kube.kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(typo_grid()))
    stored_before = kube.get("DeploymentGrid", "shop", "web")
    assert container_of(stored_before)[TYPO] == "Always"

    # ---- Upgrade: the CRD step needs --force-conflicts (Helm wrote the CRDs), then helm upgrade ----------
    crd_step, upgrade_step = readme.commands("Upgrade", containing="helm upgrade")
    plain = run(crd_step.replace(" --force-conflicts", ""), current, check=False)
    assert plain.returncode != 0 and 'conflict with "helm"' in plain.stderr, plain.stderr
    run(crd_step, current)
    kube.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    schema = kube.get("CustomResourceDefinition", None, "deploymentgrids.superedge.io")["spec"]["versions"][0]
    assert "properties" in schema["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["template"]
    upgraded = run(upgrade_step, current)
    assert "STATUS: deployed" in upgraded.stdout and "REVISION: 2" in upgraded.stdout
    release = json.loads(run("helm list -n metacontroller -o json", current).stdout)
    assert [(r["name"], r["chart"], r["status"]) for r in release] == [
        ("servicegroup", "servicegroup-0.2.0", "deployed")
    ]

    # ---- What became of the unknown field: pruned on read at once, in etcd until the next write ---------
    read = kube.get("DeploymentGrid", "shop", "web")
    assert TYPO not in container_of(read)
    assert read["metadata"]["resourceVersion"] == stored_before["metadata"]["resourceVersion"]
    key = "/registry/superedge.io/deploymentgrids/shop/web"
    assert container_of(etcd_object(cluster, key))[TYPO] == "Always", "etcd was rewritten by the CRD change"
    kube.merge_patch("DeploymentGrid", "shop", "web", {"metadata": {"labels": {"team": "shop"}}})
    assert TYPO not in container_of(etcd_object(cluster, key)), "the next write stores the pruned grid"
    assert (
        kube.get("DeploymentGrid", "shop", "web")["metadata"]["generation"] == stored_before["metadata"]["generation"]
    )

    # ---- Uninstall as the chart's NOTES and the README say: CRDs and grids stay; then removing everything --
    notes = run("helm get notes servicegroup -n metacontroller", current).stdout
    from_notes = re.search(r"`(helm uninstall [^`]+)`", notes)
    assert from_notes and from_notes.group(1) == readme.commands("Uninstall", containing="helm")[0], notes
    run(from_notes.group(1), current)
    assert kube.get_or_none("DeploymentGrid", "shop", "web") is not None
    assert grid_crds(kube) == {f"{n}.superedge.io" for n in CURRENT_CRDS}
    assert not kube.kubectl("get", "compositecontrollers", "-o", "name").stdout.strip(), "controllers left"
    for command in readme.commands("Uninstall", containing="charts/servicegroup/crds"):
        run(command, current)
    assert grid_crds(kube) == set()
