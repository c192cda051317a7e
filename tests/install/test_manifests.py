"""The YAML users apply: CRDs, Metacontroller controllers and the install kustomization."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from hooks.grids.grid_kinds import GRID_KINDS
from hooks.server.app import create_app

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "metacontroller"


def load_all(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomize(directory: Path) -> list[dict]:
    """Resolve a kustomization's resources (files and nested directories), as kubectl -k would."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    docs = []
    for res in spec["resources"]:
        target = (directory / res).resolve()
        docs += kustomize(target) if target.is_dir() else load_all(target)
    return docs


INSTALLED = kustomize(INSTALL)
CRDS = kustomize(ROOT / "crds")
CONTROLLERS = [d for d in INSTALLED if d["kind"] in ("CompositeController", "DecoratorController")]


def test_kustomizations_install_crds_and_controllers_separately():
    """Removing the controllers (``kubectl delete -k metacontroller/``) must never delete a CRD: that would
    delete every grid, and the garbage collector every workload of every site."""
    kinds = {d["kind"] for d in INSTALLED}
    assert {"CompositeController", "DecoratorController", "Deployment", "Service"} <= kinds
    assert "CustomResourceDefinition" not in kinds
    assert {d["kind"] for d in CRDS} == {"CustomResourceDefinition"}
    names = {d["metadata"]["name"] for d in CRDS}
    assert {"deploymentgrids.superedge.io", "statefulsetgrids.superedge.io"} <= names


def test_crd_files_match_generator():
    spec = importlib.util.spec_from_file_location("gen", ROOT / "crds" / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for name, obj in gen.all_crds().items():
        assert (ROOT / "crds" / name).read_text() == gen.render(obj), f"run python crds/generate.py ({name} is stale)"


def test_crd_generator_runs_as_a_script_from_outside_the_package(tmp_path):
    """``python3 crds/generate.py`` needs the hooks package; the script finds this checkout's by itself."""
    script = ROOT / "crds" / "generate.py"
    code = f"import runpy; gen = runpy.run_path({str(script)!r}); print(' '.join(sorted(gen['all_crds']())))"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    generated = sorted(p.name for p in (ROOT / "crds").glob("*.yaml") if p.name != "kustomization.yaml")
    assert done.stdout.split() == generated


PARENT_PLURALS = {c["spec"]["parentResource"]["resource"] for c in CONTROLLERS if "parentResource" in c["spec"]}


@pytest.mark.parametrize("crd", CRDS, ids=lambda c: c["metadata"]["name"])
def test_crds_have_status_subresource_short_names_and_columns(crd):
    assert crd["spec"]["group"] == "superedge.io"
    version = crd["spec"]["versions"][0]
    assert version["name"] == "v1" and version["served"] and version["storage"]
    if crd["spec"]["names"]["plural"] in PARENT_PLURALS:  # Metacontroller ignores a parent without it
        assert version["subresources"]["status"] == {}
    assert crd["spec"]["names"]["shortNames"]
    columns = {c["name"] for c in version["additionalPrinterColumns"]}
    assert "Age" in columns


@pytest.mark.parametrize(
    "crd", [c for c in CRDS if "grid" in c["metadata"]["name"]], ids=lambda c: c["metadata"]["name"]
)
def test_grid_crds_validate_grid_uniq_key(crd):
    version = crd["spec"]["versions"][0]
    assert crd["spec"]["scope"] == "Namespaced"
    assert {"Units", "Ready"} <= {c["name"] for c in version["additionalPrinterColumns"]}
    key_schema = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["gridUniqKey"]
    pattern = re.compile(key_schema["pattern"])
    for good in ("site", "topology.kubernetes.io/zone", "a_b.c-d"):
        assert pattern.match(good)
    for bad in ("", "bad key", "-site", "Upper.Case/x"):
        assert not pattern.match(bad)


def test_grid_kinds_and_short_names():
    names = {c["spec"]["names"]["kind"]: c["spec"]["names"]["shortNames"] for c in CRDS}
    assert names["DeploymentGrid"] == ["dg"] and names["StatefulSetGrid"] == ["ssg"]


@pytest.mark.parametrize("ctl", CONTROLLERS, ids=lambda c: c["metadata"]["name"])
def test_controllers_use_v2_hooks_that_exist(ctl):
    routes = {rule.rule for rule in create_app().url_map.iter_rules()}
    hooks = ctl["spec"]["hooks"]
    assert hooks
    for name, hook in hooks.items():
        assert hook["version"] == "v2", f"{name} hook must be v2"
        url = urlparse(hook["webhook"]["url"])
        assert url.path in routes
        assert url.hostname == "servicegroup-hooks.servicegroup-system"


@pytest.mark.parametrize(
    "ctl", [c for c in CONTROLLERS if c["kind"] == "CompositeController"], ids=lambda c: c["metadata"]["name"]
)
def test_composite_controllers_generate_selector_and_update_children(ctl):
    spec = ctl["spec"]
    assert spec["generateSelector"] is True
    crd_resources = {(f"{c['spec']['group']}/v1", c["spec"]["names"]["plural"]) for c in CRDS}
    assert (spec["parentResource"]["apiVersion"], spec["parentResource"]["resource"]) in crd_resources
    for child in spec.get("childResources", []):
        assert child["updateStrategy"]["method"] in ("InPlace", "Recreate", "RollingInPlace", "RollingRecreate")
    # A parent's own status write must not resync it: every such resync is a full sync that changes nothing.
    assert spec["parentResource"]["ignoreStatusChanges"] is True


@pytest.mark.parametrize("grid_kind", ["DeploymentGrid", "StatefulSetGrid"])
def test_workload_controllers_declare_every_child_type_the_hooks_answer(grid_kind):
    """The workload, its HorizontalPodAutoscaler and its revision history (ControllerRevisions): a child type
    the controller does not declare would be created by Metacontroller but never observed (it has no informer
    for it), so created again on every sync and never updated or deleted; one it declares but the hook never
    answers would be deleted."""
    ctl = next(c for c in CONTROLLERS if c["spec"].get("parentResource", {}).get("resource") == f"{grid_kind.lower()}s")
    plural = {
        "Deployment": "deployments",
        "StatefulSet": "statefulsets",
        "HorizontalPodAutoscaler": "horizontalpodautoscalers",
        "ControllerRevision": "controllerrevisions",
    }
    declared = {(c["apiVersion"], c["resource"]) for c in ctl["spec"]["childResources"]}
    answered = {(t.partition(".")[2], plural[t.partition(".")[0]]) for t in GRID_KINDS[grid_kind].child_types}
    assert declared == answered
    assert ("autoscaling/v2", "horizontalpodautoscalers") in declared
    assert ("apps/v1", "controllerrevisions") in declared


def test_hook_server_service_matches_deployment():
    server = next(d for d in INSTALLED if d["kind"] == "Deployment")
    service = next(d for d in INSTALLED if d["kind"] == "Service")
    assert service["metadata"]["name"] == "servicegroup-hooks"
    assert service["metadata"]["namespace"] == server["metadata"]["namespace"] == "servicegroup-system"
    assert service["spec"]["selector"].items() <= server["spec"]["template"]["metadata"]["labels"].items()
