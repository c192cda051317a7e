"""The kustomize patches docs/security.md gives do what it says, on the real kustomize in kubectl.

``kubectl kustomize`` runs when a kubectl binary is found (PATH, or the cache e2e/build.sh fills); without one
these tests are skipped, never passed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SECURITY = ROOT / "docs" / "security.md"


def kubectl_binary() -> str | None:
    found = shutil.which("kubectl")
    if found:
        return found
    cache = Path(os.environ.get("SERVICEGROUP_E2E_CACHE", Path.home() / ".cache" / "servicegroup-e2e"))
    cached = cache / "bin" / "kubectl"
    return str(cached) if cached.is_file() and os.access(cached, os.X_OK) else None


KUBECTL = kubectl_binary()
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="no kubectl binary (build it: e2e/build.sh)")


def documented_patches() -> list[dict]:
    """Every ``patches:`` entry of the YAML blocks in docs/security.md."""
    blocks = re.findall(r"```yaml\n(.*?)```", SECURITY.read_text(), flags=re.S)
    docs = [yaml.safe_load(_dedent(b)) for b in blocks]
    return [p for d in docs if isinstance(d, dict) for p in d.get("patches", [])]


def _dedent(block: str) -> str:
    lines = block.splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines)


def kustomized(tmp_path: Path, patches: list[dict]) -> list[dict]:
    (tmp_path / "metacontroller").symlink_to(ROOT / "metacontroller")
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({"resources": ["metacontroller"], "patches": patches}))
    done = subprocess.run([KUBECTL, "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def test_the_document_gives_both_patches():
    targets = [p["target"] for p in documented_patches()]
    assert targets == [
        {"kind": "Deployment", "name": "servicegroup-hooks"},
        {"kind": "ClusterRole", "name": "servicegroup-view-sites"},
    ]


@needs_kubectl
def test_the_documented_patches_set_the_keys_and_take_the_site_inventory_out_of_view(tmp_path):
    objs = {(o["kind"], o["metadata"]["name"]): o for o in kustomized(tmp_path, documented_patches())}
    server = objs[("Deployment", "servicegroup-hooks")]
    env = {e["name"]: e.get("value") for e in server["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HOOKS_ALLOWED_UNIQ_KEYS"] == "site,topology.kubernetes.io/zone"
    assert "labels" not in objs[("ClusterRole", "servicegroup-view-sites")]["metadata"]
    view = objs[("ClusterRole", "servicegroup-view")]
    assert view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
