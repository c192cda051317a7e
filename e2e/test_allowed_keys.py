"""HOOKS_ALLOWED_UNIQ_KEYS on a real cluster with Metacontroller: a grid with another key creates nothing and
says why; a grid that had children before the setting keeps them exactly; an allowed key works as ever."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.cluster import Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.observe import audit_mark, child_writes, hold
from e2e.procs import poll
from e2e.scenario import apply, deployment_template, dg_condition, grid, owned, uids, unique, wait_ready


@pytest.fixture
def restrict(metacontroller: Cluster, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Restart the hook server with HOOKS_ALLOWED_UNIQ_KEYS set; restart it unrestricted afterwards."""

    def to(keys: str) -> None:
        monkeypatch.setenv("HOOKS_ALLOWED_UNIQ_KEYS", keys)
        metacontroller.stop_hooks()
        metacontroller.start_hooks()

    yield to
    monkeypatch.delenv("HOOKS_ALLOWED_UNIQ_KEYS", raising=False)
    metacontroller.stop_hooks()
    metacontroller.start_hooks()


def refused(kube: Kube, namespace: str, name: str) -> dict:
    return poll(
        f"{name}: Synced=False, UniqKeyNotAllowed",
        lambda: (c := dg_condition(kube, namespace, name, "Synced")).get("reason") == "UniqKeyNotAllowed" and c,
        90,
    )


def test_a_key_that_is_not_allowed_creates_nothing_and_keeps_what_exists(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str, restrict
) -> None:
    allowed, other = unique("e2e-allowed"), unique("e2e-per-node")
    make_node(unique("keys-n"), {allowed: "alpha", other: "alpha"})
    apply(kube, grid("DeploymentGrid", "before", namespace, other, deployment_template("before")))
    wait_ready(kube, "DeploymentGrid", namespace, "before", units=1)
    existing = uids(owned(kube, "Deployment", namespace, "before"))
    assert len(existing) == 1

    restrict(allowed)
    start = audit_mark(metacontroller)
    apply(
        kube,
        grid("DeploymentGrid", "after", namespace, other, deployment_template("after")),
        grid("DeploymentGrid", "ok", namespace, allowed, deployment_template("ok")),
    )
    condition = refused(kube, namespace, "after")
    assert f"'{other}' is not allowed" in condition["message"] and f"'{allowed}'" in condition["message"]
    wait_ready(kube, "DeploymentGrid", namespace, "ok", units=1)

    # the grid from before: a label change makes Metacontroller sync it under the new setting
    kube.merge_patch("DeploymentGrid", namespace, "before", {"metadata": {"labels": {"touched": "yes"}}})
    refused(kube, namespace, "before")

    def nothing_new() -> str | None:
        if owned(kube, "Deployment", namespace, "after"):
            return "the refused grid got a child"
        now = uids(owned(kube, "Deployment", namespace, "before"))
        return None if now == existing else f"the existing child changed: {now} (was {existing})"

    hold("no child created for, or taken from, refused grids", nothing_new, 10)
    writes = child_writes(start, namespace, frozenset({"deployments"}))
    assert not [w for w in writes if "/ok-" not in w and w.startswith(("create", "delete"))], writes
