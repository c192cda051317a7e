"""Fixtures of the real-cluster layer: one cluster per session, one namespace per test.

The cluster's working folder (logs of every component, the audit log) is deleted after a passing
session and kept, with its path printed, after any failure.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import signal
from collections.abc import Callable, Iterator

import pytest

from e2e.cluster import Cluster, find_metacontroller, find_metacontroller_crds, missing_binaries
from e2e.examples import example_nodes
from e2e.hookclient import Hooks
from e2e.kube import Kube
from e2e.procs import poll

_state: dict[str, object] = {"cluster": None, "failed": False, "own": []}
KEEP_VARIABLE = "SERVICEGROUP_E2E_KEEP"  # set (non-empty): keep the working folder after a passing run too


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM ends the run like Ctrl-C does, so session teardown stops every process."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests without Metacontroller first, in file order: once the session's Metacontroller runs it acts on
    every grid, and the API-server checks create the children of example grids themselves."""
    items.sort(key=lambda item: "metacontroller" in getattr(item, "fixturenames", ()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """On a failure, name the log folder and any component that died, in the test's report."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)  # own_cluster keeps its folder when the test failed
    for cluster in [_state["cluster"], *_state["own"]]:
        if report.failed and isinstance(cluster, Cluster):
            dead = cluster.failed_components()
            text = f"component logs: {cluster.logs}"
            if dead:
                text += "\nexited on their own: " + ", ".join(f"{n}\n{cluster.procs[n].tail()}" for n in dead)
            report.sections.append(("servicegroup-e2e", text))


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo) -> None:
    """Ctrl-C or SIGTERM: keep the logs (runs before session teardown)."""
    _state["failed"] = True


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """The control plane, kwok and the hook server, with crds/ and metacontroller/ installed."""
    missing = missing_binaries()
    if missing:
        pytest.fail(f"missing binaries {missing}: run bash e2e/build.sh first (or bash e2e/run)", pytrace=False)
    the_cluster = Cluster()
    _state["cluster"] = the_cluster
    atexit.register(the_cluster.stop)  # if teardown never runs (e.g. a second Ctrl-C)
    try:
        the_cluster.start()
        yield the_cluster
    except BaseException:
        _state["failed"] = True
        raise
    finally:
        the_cluster.stop()
        # testsfailed counts real failures (and strict xfails that passed), not expected failures
        keep = bool(_state["failed"]) or request.session.testsfailed > 0 or bool(os.environ.get(KEEP_VARIABLE))
        the_cluster.cleanup(keep=keep)


@pytest.fixture
def own_cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """A control plane of the test's own (etcd, API server, controller manager, scheduler, kwok), with nothing
    of the project installed: for tests that install another release or another way than the session's
    cluster. Stopped after the test; its folder is kept when the test failed (or SERVICEGROUP_E2E_KEEP)."""
    missing = missing_binaries()
    if missing:
        pytest.fail(f"missing binaries {missing}: run bash e2e/build.sh first (or bash e2e/run)", pytrace=False)
    own = Cluster()
    _state["own"].append(own)
    atexit.register(own.stop)
    try:
        own.start_control_plane()
        yield own
    finally:
        own.stop()
        failed = any(
            getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call")
        )
        own.cleanup(keep=failed or bool(_state["failed"]) or bool(os.environ.get(KEEP_VARIABLE)))
        _state["own"].remove(own)


@pytest.fixture(scope="session")
def kube(cluster: Cluster) -> Kube:
    return cluster.kube()


@pytest.fixture(scope="session")
def hooks(cluster: Cluster) -> Hooks:
    """A client of the layer's hook server, calling it as Metacontroller would (e2e/hookclient.py)."""
    return Hooks(cluster.hook_url)


@pytest.fixture(scope="session")
def metacontroller(cluster: Cluster) -> Cluster:
    """Metacontroller running against the cluster; the test is skipped when no binary is given."""
    binary, crds = find_metacontroller(), find_metacontroller_crds()
    if not binary:
        pytest.skip("no Metacontroller binary: set SERVICEGROUP_METACONTROLLER (see e2e/README.md)")
    if not crds:
        pytest.skip("no Metacontroller CRDs: set SERVICEGROUP_METACONTROLLER_CRDS (see e2e/README.md)")
    cluster.start_metacontroller()
    return cluster


def _namespace_name(node_name: str) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", node_name.lower()).strip("-")[:40].strip("-")
    return f"{base}-{secrets.token_hex(3)}"


@pytest.fixture
def namespace(request: pytest.FixtureRequest, kube: Kube) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards (with everything in it)."""
    name = _namespace_name(request.node.name)
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    kube.delete("Namespace", None, name)


NodeFactory = Callable[..., dict]


@pytest.fixture
def make_node(kube: Kube) -> Iterator[NodeFactory]:
    """Create a kwok node with labels, wait until it is Ready; every node made is deleted afterwards."""
    made: list[str] = []

    def factory(name: str, labels: dict[str, str], ready: bool = True) -> dict:
        kube.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}})
        made.append(name)
        if ready:
            wait_node_ready(kube, name)
        return kube.get("Node", None, name)

    yield factory
    for name in made:
        kube.delete("Node", None, name)


def wait_node_ready(kube: Kube, name: str, timeout: float = 30) -> None:
    def ready() -> bool:
        conditions = kube.get("Node", None, name).get("status", {}).get("conditions") or []
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    poll(f"node {name} Ready (kwok)", ready, timeout)


@pytest.fixture(scope="session")
def nodes(kube: Kube) -> list[dict]:
    """The nodes of examples/nodes.yaml (three sites of the key ``site``), created once and Ready."""
    for node in example_nodes():
        if kube.get_or_none("Node", None, node["metadata"]["name"]) is None:
            kube.create(node)
    for node in example_nodes():
        wait_node_ready(kube, node["metadata"]["name"])
    return [kube.get("Node", None, n["metadata"]["name"]) for n in example_nodes()]
