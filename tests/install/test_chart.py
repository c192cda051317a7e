"""The Helm chart: its CRDs are the generated ones, and it installs what the kustomize path installs.

``helm lint`` / ``helm template`` run when a helm binary is found (PATH, or the cache e2e/build.sh fills;
CI builds it with ``e2e/build.sh helm``). Without one these tests are skipped, never passed.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from hooks.server import memory
from tests.install.test_hardening import quantity
from tests.install.test_manifests import CRDS, INSTALLED, ROOT

CHART = ROOT / "charts" / "servicegroup"
IMAGE = "registry.example.com/servicegroup-hooks"
HELM_LABELS = (
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/instance",
    "helm.sh/chart",
)


def helm_binary() -> str | None:
    cache = Path(os.environ.get("SERVICEGROUP_E2E_CACHE", Path.home() / ".cache" / "servicegroup-e2e"))
    found = shutil.which("helm")
    if found:
        return found
    cached = cache / "bin" / "helm"
    return str(cached) if cached.is_file() and os.access(cached, os.X_OK) else None


HELM = helm_binary()
KUBE = ("--kube-version", "1.36.3")  # the version the real-cluster layer runs (helm's default is 1.20)
needs_helm = pytest.mark.skipif(HELM is None, reason="no helm binary (build it: e2e/build.sh helm)")


def helm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HELM, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def template(*sets: str) -> list[dict]:
    done = helm("template", "servicegroup", str(CHART), *KUBE, "--include-crds", *(f"--set={s}" for s in sets))
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def key(obj: dict) -> tuple[str, str, str]:
    return obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def substance(obj: dict) -> dict:
    """The object without what only tells who installed it (Helm's labels) or documents it."""
    obj = copy.deepcopy(obj)
    labels = obj["metadata"].get("labels", {})
    for name in HELM_LABELS:
        labels.pop(name, None)
    if not labels:
        obj["metadata"].pop("labels", None)
    return obj


def test_chart_crds_are_the_generated_crds():
    generated = sorted(p.name for p in (ROOT / "crds").glob("*s.yaml"))
    assert sorted(p.name for p in (CHART / "crds").glob("*.yaml")) == generated
    for name in generated:
        assert (CHART / "crds" / name).read_text() == (ROOT / "crds" / name).read_text(), "run crds/generate.py"


def test_chart_version_follows_the_package():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert chart["version"] == chart["appVersion"] == package


def test_chart_values_offer_what_operators_set():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert {"repository", "tag", "pullPolicy"} <= set(values["image"])
    assert {"replicas", "resources", "namespace", "metacontroller"} <= set(values)
    assert {"workers", "threads", "readTimeoutSeconds", "maxRequestBytes"} <= set(values)
    assert values["namespace"]["name"] and values["metacontroller"]["namespace"] == "metacontroller"


def test_chart_memory_limit_covers_its_default_settings():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    limit = quantity(values["resources"]["limits"]["memory"])
    assert memory.needed(values["workers"], values["maxRequestBytes"]) <= limit


@needs_helm
def test_helm_lint_passes():
    done = helm("lint", "--strict", str(CHART), *KUBE, f"--set=image.repository={IMAGE}")
    assert done.returncode == 0, done.stdout + done.stderr


@needs_helm
def test_helm_template_without_an_image_fails_with_a_clear_message():
    done = helm("template", "servicegroup", str(CHART), *KUBE)
    assert done.returncode != 0 and "set image.repository" in done.stderr


@needs_helm
def test_helm_template_installs_what_kustomize_installs():
    """Same objects, same content, once Helm's own labels are set aside and the image is the same."""
    rendered = {key(o): o for o in template(f"image.repository={IMAGE}", "image.tag=0.2.0")}
    crds = {k: o for k, o in rendered.items() if k[0] == "CustomResourceDefinition"}
    assert {k[2]: o for k, o in crds.items()} == {d["metadata"]["name"]: d for d in CRDS}
    kustomized = {key(o): o for o in INSTALLED}
    rest = {k: o for k, o in rendered.items() if k[0] != "CustomResourceDefinition"}
    assert sorted(rest) == sorted(kustomized)
    for k, obj in kustomized.items():
        expected = copy.deepcopy(obj)
        if k == ("Deployment", "servicegroup-system", "servicegroup-hooks"):
            expected["spec"]["template"]["spec"]["containers"][0]["image"] = f"{IMAGE}:0.2.0"
        assert substance(rest[k]) == substance(expected), k


@needs_helm
def test_chart_values_reach_the_objects():
    objs = template(
        f"image.repository={IMAGE}",
        "image.tag=1.2.3",
        "replicas=3",
        "namespace.name=hooks",
        "namespace.create=false",
        "metacontroller.namespace=mc",
        "nodeZone.unitLabelKey=example.com/site",
        "resources.limits.memory=1Gi",
        "workers=3",
        "threads=16",
        "readTimeoutSeconds=5",
        "maxRequestBytes=268435456",
    )
    by_key = {key(o): o for o in objs}
    assert "Namespace" not in {k[0] for k in by_key}
    server = by_key[("Deployment", "hooks", "servicegroup-hooks")]
    container = server["spec"]["template"]["spec"]["containers"][0]
    assert server["spec"]["replicas"] == 3 and container["image"] == f"{IMAGE}:1.2.3"
    assert container["resources"]["limits"]["memory"] == "1Gi"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert {k: env[k] for k in ("HOOKS_WORKERS", "HOOKS_THREADS", "HOOKS_READ_TIMEOUT", "HOOKS_MAX_REQUEST_BYTES")} == {
        "HOOKS_WORKERS": "3",
        "HOOKS_THREADS": "16",
        "HOOKS_READ_TIMEOUT": "5",
        "HOOKS_MAX_REQUEST_BYTES": "268435456",
    }
    policy = by_key[("NetworkPolicy", "hooks", "servicegroup-hooks")]
    assert policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "mc"
    }
    urls = [
        hook["webhook"]["url"]
        for o in objs
        if o["kind"] in ("CompositeController", "DecoratorController")
        for hook in o["spec"]["hooks"].values()
    ]
    assert urls and all(u.startswith("http://servicegroup-hooks.hooks/") for u in urls)
    decorator = by_key[("DecoratorController", "", "servicegroup-nodezone")]
    assert decorator["metadata"]["annotations"]["superedge.io/unit-label-key"] == "example.com/site"
    assert decorator["spec"]["resources"][0]["ignoreStatusChanges"] is True  # where Metacontroller's CRD has it


def hook_env(objs: list[dict]) -> dict:
    server = next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "servicegroup-hooks")
    return {e["name"]: e.get("value") for e in server["spec"]["template"]["spec"]["containers"][0]["env"]}


@needs_helm
def test_allowed_uniq_keys_reach_the_hook_server():
    assert "HOOKS_ALLOWED_UNIQ_KEYS" not in hook_env(template(f"image.repository={IMAGE}"))
    objs = template(f"image.repository={IMAGE}", "allowedUniqKeys={site,topology.kubernetes.io/zone}")
    assert hook_env(objs)["HOOKS_ALLOWED_UNIQ_KEYS"] == "site,topology.kubernetes.io/zone"


@needs_helm
def test_chart_keeps_the_site_inventory_out_of_view_on_request():
    roles = {
        o["metadata"]["name"]: o
        for o in template(f"image.repository={IMAGE}", "rbac.aggregateSites=false")
        if o["kind"] == "ClusterRole"
    }
    assert not any("aggregate" in k for k in roles["servicegroup-view-sites"]["metadata"]["labels"])
    assert roles["servicegroup-view"]["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"


@needs_helm
def test_chart_without_the_decorator_or_aggregation():
    objs = template(f"image.repository={IMAGE}", "nodeZone.enabled=false", "rbac.aggregate=false")
    assert "DecoratorController" not in {o["kind"] for o in objs}
    roles = [o for o in objs if o["kind"] == "ClusterRole"]
    assert roles and not any("aggregate" in k for r in roles for k in r["metadata"]["labels"])


@needs_helm
def test_chart_installs_the_node_summary_decorators_only_when_asked():
    def summaries(*sets: str) -> dict[str, dict]:
        objs = template(f"image.repository={IMAGE}", *sets)
        return {
            o["metadata"]["name"]: o
            for o in objs
            if o["kind"] == "DecoratorController" and "zone" not in o["metadata"]["name"]
        }

    assert summaries() == {}
    shipped = {
        d["metadata"]["name"]: d
        for d in yaml.safe_load_all((ROOT / "metacontroller" / "nodesummary-decorator.yaml").read_text())
    }
    found = summaries("nodeSummaries.enabled=true")
    assert set(found) == set(shipped)
    for name, dc in found.items():
        assert dc["spec"] == {**shipped[name]["spec"], "hooks": dc["spec"]["hooks"]}
        shipped_path = urlparse(shipped[name]["spec"]["hooks"]["sync"]["webhook"]["url"]).path
        assert dc["spec"]["hooks"]["sync"]["webhook"]["url"].endswith(shipped_path)
