"""The previous release, 0.1.0, as the upgrade scenario installs it: its files, its hook server, its install.

The release is found by its commit, not by its tag (``v0.1.0`` names the same commit), so a fresh clone
without tags works. Its files come from ``git archive`` into a temp folder; its hook server runs from there
under gunicorn with this environment's packages (0.1.0 needs nothing they lack), as its own image would.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

from e2e.cluster import LOOPBACK, Cluster, free_port
from e2e.manifests import REPO, is_controller, load_docs, with_local_hooks

COMMIT = "87be6e04aaa0a06f06aaaf2eee6bb64d9be4e562"
VERSION = "0.1.0"
FOLDERS = ("hooks", "crds", "metacontroller")
IMAGE = "registry.example.com/servicegroup-hooks"


def extract(into: Path, commit: str = COMMIT) -> Path:
    """The release's hooks/, crds/ and metacontroller/ under ``into``; a clear error if the clone lacks it."""
    done = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit, *FOLDERS], capture_output=True, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"release {VERSION} (commit {commit}) is not in this clone's history: {done.stderr.decode().strip()}"
        )
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def start_hook_server(cluster: Cluster, tree: Path) -> None:
    """The release's hook server on the cluster's hook port: its own gunicorn config and app, from ``tree``.

    The working folder and PYTHONPATH are the release's, so ``hooks`` is its package, not this checkout's.
    """
    port = cluster.ports.setdefault("hooks", free_port())
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(PYTHONPATH=str(tree), HOOKS_BIND=f"{LOOPBACK}:{port}", HOOKS_WORKERS="2", HOOKS_LOG_LEVEL="info")
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:hooks.gunicorn_conf", "hooks.app:app"]
    cluster.start_hooks(argv, env, cwd=tree)


def install(cluster: Cluster, tree: Path) -> None:
    """0.1.0's install as its README said: ``kubectl apply -k metacontroller/`` (client-side; CRDs included)
    with the image set, the controllers' webhooks pointed at the local hook server."""
    kube = cluster.kube()
    if cluster.metacontroller_crds:
        kube.kubectl("apply", "--server-side", "-f", str(cluster.metacontroller_crds))
    mine = tree / "my-servicegroup"
    mine.mkdir(exist_ok=True)
    kustomization = {"resources": ["../metacontroller"], "images": [_image(VERSION)]}
    (mine / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    docs = [
        with_local_hooks(doc, cluster.hook_url) if is_controller(doc) else doc
        for doc in load_docs(kube.kubectl("kustomize", str(mine)).stdout)
    ]
    kube.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(docs))
    kube.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")


def _image(tag: str) -> dict:
    return {"name": "servicegroup-hooks", "newName": IMAGE, "newTag": tag}
