"""The DaemonSetGrid kind: one DaemonSet per unit, whose pods run on that unit's nodes and nowhere else.

A DaemonSet has no replicas: its controller runs one pod on every node its pod template admits. So the
unit is put where that controller looks, the template's **required node affinity**, as one more
requirement (``<gridUniqKey> In [<unit>]``) ANDed into every node selector term the template already has
(the terms are ORed, so adding it to only one would let the others reach other sites). The user's terms,
expressions and fields are all kept; the template's ``nodeSelector`` is left as the user wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks.grids.overrides import EntryRules
from hooks.grids.workload import WorkloadKind, as_object, is_current
from hooks.grids.workload_checks import Invalid
from hooks.kube.errors import SpecError
from hooks.kube.names import NAME_MAX
from hooks.kube.objects import integer, mapping

REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def in_node_affinity(pod_spec: dict, key: str, unit: str, where: str) -> dict:
    """``pod_spec`` whose required node affinity admits only nodes with ``key=unit`` (and what it admitted)."""
    where = f"{where}.affinity"
    affinity = as_object(pod_spec.get("affinity"), where)
    node_affinity = as_object(affinity.get("nodeAffinity"), f"{where}.nodeAffinity")
    required = as_object(node_affinity.get(REQUIRED), f"{where}.nodeAffinity.{REQUIRED}")
    terms_at = f"{where}.nodeAffinity.{REQUIRED}.nodeSelectorTerms"
    terms = required.get("nodeSelectorTerms")
    if terms is not None and not isinstance(terms, list):
        raise SpecError(f"rendered child is invalid: {terms_at} must be a list")
    requirement = {"key": key, "operator": "In", "values": [unit]}
    if terms:
        pinned = [with_requirement(t, requirement, f"{terms_at}[{i}]") for i, t in enumerate(terms)]
    else:
        pinned = [{"matchExpressions": [requirement]}]
    required = {**required, "nodeSelectorTerms": pinned}
    return {**pod_spec, "affinity": {**affinity, "nodeAffinity": {**node_affinity, REQUIRED: required}}}


def with_requirement(term: object, requirement: dict, where: str) -> dict:
    """One node selector term with ``requirement`` ANDed in (once). An empty term matches no node in
    Kubernetes, so it is left empty rather than turned into one that matches the unit's nodes."""
    term = as_object(term, where)
    expressions = term.get("matchExpressions")
    if expressions is not None and not isinstance(expressions, list):
        raise SpecError(f"rendered child is invalid: {where}.matchExpressions must be a list")
    if not expressions and not term.get("matchFields"):
        return term
    expressions = expressions or []
    if requirement in expressions:
        return term
    return {**term, "matchExpressions": [*expressions, requirement]}


def daemonset_ready(observed: Mapping | None) -> bool:
    """Ready means: observed, current, and on every node that should run the pod (``desiredNumberScheduled``)
    the pod is of the newest template (``updatedNumberScheduled``), ready and available, and no pod runs
    where it should not (``numberMisscheduled``). A unit whose nodes should run none (every node tainted) is
    ready: nothing is missing there."""
    if observed is None or not is_current(observed):
        return False
    status = mapping(observed, "status")
    desired = integer(status, "desiredNumberScheduled", 0) or 0
    ready = integer(status, "numberReady", 0) or 0
    available = integer(status, "numberAvailable", ready)
    updated = integer(status, "updatedNumberScheduled", 0) or 0
    misplaced = integer(status, "numberMisscheduled", 0) or 0
    return min(ready, available if available is not None else ready, updated) >= desired and misplaced == 0


def check_daemonset(child: Mapping) -> None:
    """A DaemonSet spec has no ``replicas`` (a patch can add one): the API server would drop it, and the
    child would never be stored as sent (an update on every sync)."""
    if "replicas" in mapping(child, "spec"):
        raise Invalid("spec.replicas", "a DaemonSet has no replicas (it runs one pod per admitted node)")


DAEMONSET = WorkloadKind(
    grid_kind="DaemonSetGrid",
    kind="DaemonSet",
    api_version="apps/v1",
    name_max=NAME_MAX,
    status_figures=(
        "observedGeneration",
        "desiredNumberScheduled",
        "currentNumberScheduled",
        "updatedNumberScheduled",
        "numberReady",
        "numberAvailable",
        "numberUnavailable",
        "numberMisscheduled",
    ),
    placement=in_node_affinity,
    ready=daemonset_ready,
    counts=("minReadySeconds", "revisionHistoryLimit"),
    checks=check_daemonset,
    overrides=EntryRules("DaemonSetGrid", replicas=False),
)
