"""The hook server's deployment is hardened as docs/security.md promises."""

from pathlib import Path

from hooks.server import memory
from hooks.server.settings import DEFAULT_MAX_REQUEST_BYTES, from_environ
from tests.install.test_manifests import INSTALLED

ROOT = Path(__file__).resolve().parents[2]


def only(kind: str, name: str = "servicegroup-hooks") -> dict:
    matches = [d for d in INSTALLED if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}"
    return matches[0]


def test_server_runs_two_hardened_replicas():
    server = only("Deployment")
    pod = server["spec"]["template"]["spec"]
    assert server["spec"]["replicas"] >= 2
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert pod["terminationGracePeriodSeconds"] > 20


def test_disruption_budget_keeps_one_server():
    pdb = only("PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"] == only("Deployment")["spec"]["selector"]


def test_network_policy_admits_only_metacontroller_namespace():
    policy = only("NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    (peer,) = rule["from"]
    assert peer == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "metacontroller"}}}
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]


def test_rbac_aggregates_into_builtin_roles():
    view = only("ClusterRole", "servicegroup-view")
    edit = only("ClusterRole", "servicegroup-edit")
    assert view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    assert edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
    assert "rbac.authorization.k8s.io/aggregate-to-view" not in edit["metadata"]["labels"]
    grid_plurals = {"deploymentgrids", "statefulsetgrids"}
    assert grid_plurals <= set(view["rules"][0]["resources"])
    assert grid_plurals <= set(edit["rules"][0]["resources"])


def test_the_site_inventory_has_a_role_of_its_own():
    """NodeGroups and NodeUnits list node names: their read access can be kept out of view on its own."""
    view = only("ClusterRole", "servicegroup-view")
    sites = only("ClusterRole", "servicegroup-view-sites")
    assert not {"nodegroups", "nodeunits"} & {r for rule in view["rules"] for r in rule["resources"]}
    assert sites["rules"] == [
        {"apiGroups": ["superedge.io"], "resources": ["nodegroups", "nodeunits"], "verbs": ["get", "list", "watch"]}
    ]
    assert sites["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"


def test_dockerfile_ends_as_non_root_user():
    lines = [ln.strip() for ln in (ROOT / "Dockerfile").read_text().splitlines() if ln.strip()]
    users = [ln for ln in lines if ln.startswith("USER ")]
    assert users and users[-1].split()[1].split(":")[0] not in ("root", "0")
    assert lines.index(users[-1]) > max(i for i, ln in enumerate(lines) if ln.startswith(("RUN ", "COPY ")))


QUANTITY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def quantity(text: str) -> int:
    """A Kubernetes memory quantity in binary units (what the manifests use) as bytes."""
    return int(text[:-2]) * QUANTITY[text[-2:]]


def server_settings(container: dict) -> dict[str, str]:
    """The container's HOOKS_* variables, over the server's defaults."""
    env = {e["name"]: e["value"] for e in container["env"] if e["name"].startswith("HOOKS_")}
    return vars(from_environ(env))


def test_memory_limit_covers_the_workers_bodies_and_computations():
    """docs/performance.md (Memory): workers x (idle + body budget + one working set) + master, a fifth spare."""
    (container,) = only("Deployment")["spec"]["template"]["spec"]["containers"]
    settings = server_settings(container)
    limit = quantity(container["resources"]["limits"]["memory"])
    assert memory.needed(settings["workers"], settings["max_request_bytes"]) <= limit
    assert settings["max_request_bytes"] == DEFAULT_MAX_REQUEST_BYTES and settings["read_timeout"] == 10
    assert settings["threads"] > 50  # 50 half-sent requests on one worker leave a thread for the probes
