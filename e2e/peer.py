"""The peer of the fleet benchmark: SuperEdge's application-grid-controller, doing the same job on the same plane.

Like Metacontroller it is built by hand from its public source and never committed here; the benchmark finds
it through two environment variables:

- ``SERVICEGROUP_SUPEREDGE_CONTROLLER``: the ``application-grid-controller`` binary (default: the cache's
  ``bin/application-grid-controller``, if present);
- ``SERVICEGROUP_SUPEREDGE_SOURCE``: the folder of the source it was built from; its CRDs (DeploymentGrid,
  StatefulSetGrid, ServiceGrid of ``superedge.io/v1``) are read from there at run time, so the CRDs always
  match the binary. They share group and kinds with this project's CRDs: a cluster holds one or the other.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from e2e.cluster import PEER_USER, Cluster, cache_dir
from e2e.procs import poll

BINARY_VARIABLE = "SERVICEGROUP_SUPEREDGE_CONTROLLER"
SOURCE_VARIABLE = "SERVICEGROUP_SUPEREDGE_SOURCE"
PROCESS = "application-grid-controller"
MANIFESTS = Path("pkg/application-grid-controller/manifests")
CRD_FILES = (
    "superedge.io_deploymentgrids.yaml",
    "superedge.io_statefulsetgrids.yaml",
    "superedge.io_servicegrids.yaml",
)
# Logged once its informers (grids, Deployments, Nodes) are in sync and its workers start.
READY_LINE = "Caches are synced for deployment-grid"


def find_binary() -> Path | None:
    """$SERVICEGROUP_SUPEREDGE_CONTROLLER, else the cache's bin/application-grid-controller, if it is a file."""
    given = os.environ.get(BINARY_VARIABLE)
    path = Path(given) if given else cache_dir() / "bin" / PROCESS
    return path if path.is_file() else None


def crd_paths(source: Path) -> list[Path]:
    """The controller's three CRD manifests inside its source tree (FileNotFoundError naming a missing one)."""
    paths = [source / MANIFESTS / name for name in CRD_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{SOURCE_VARIABLE}={source}: no {', '.join(missing)}")
    return paths


def find_source() -> Path | None:
    """$SERVICEGROUP_SUPEREDGE_SOURCE if it holds the CRD manifests, else None."""
    given = os.environ.get(SOURCE_VARIABLE)
    if not given:
        return None
    try:
        crd_paths(Path(given))
    except FileNotFoundError:
        return None
    return Path(given)


def controller_argv(binary: Path, kubeconfig: Path, qps: float, burst: int) -> list[str]:
    """Its command line: our kubeconfig, the client limits, no leader election (one replica; its default).

    Its worker count stays at its default (the number of CPUs). Its CRD preparer looks for manifests under
    /etc/superedge, finds none here, logs that and goes on: the benchmark installs the CRDs first.
    """
    return [str(binary), f"--kubeconfig={kubeconfig}", f"--kube-qps={qps:g}", f"--kube-burst={burst}", "--v=2"]


def established(crd: dict | None) -> bool:
    """The CRD's ``Established`` condition is True (a CRD just created may have no conditions yet)."""
    conditions = ((crd or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def install_crds(cluster: Cluster, source: Path) -> None:
    """Apply the peer's CRDs from its source and wait until they are Established.

    Polled here rather than with ``kubectl wait``, which fails at once on a CRD whose status has no
    conditions yet.
    """
    kube = cluster.kube()
    for path in crd_paths(source):
        kube.kubectl("apply", "--server-side", "-f", str(path))
        name = yaml.safe_load(path.read_text())["metadata"]["name"]
        url = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
        poll(f"CRD {name} Established", lambda url=url: established(kube.request("GET", url)), 60)


def start(cluster: Cluster, binary: Path, qps: float, burst: int) -> None:
    """Start the controller as its own identity (the audit log records its writes) and wait for its informers."""
    kubeconfig = cluster.kube(PEER_USER).kubeconfig
    proc = cluster.start_extra(PROCESS, controller_argv(binary, kubeconfig, qps, burst))
    poll(
        f"{PROCESS}: {READY_LINE!r} in its log",
        lambda: proc.check_alive() and READY_LINE in proc.log.read_text(errors="replace"),
        120,
    )
