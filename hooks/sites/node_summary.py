"""NodeSummaries: what a grid reads of a Node, in an object that changes only when that does.

A kubelet posts its Node's status even when nothing in it changes (a new heartbeat time in every condition),
and Metacontroller resyncs every parent that relates a Node on each post. For a grid over a fleet that is a
full sync, carrying every Node and every child, for each post of any Node. The node summary decorator keeps,
for each Node, one NodeSummary of the same name owned by the Node: the Node's labels, and the status and
transition time of its ``Ready`` condition. A heartbeat changes neither, so Metacontroller does not write the
summary, and a grid with ``siteSource: NodeSummaries`` is not woken.

Two decorators share the work, because what a post costs Metacontroller depends on whether the decorator
that sees it has attachments: to find a Node's own summary, a decorator with attachments reads every summary
in its cache, so at N Nodes each post costs O(N) and the posts O(N^2) a second. So the summary decorator
ignores status changes, and a second decorator without attachments sees every post and copies the Ready
condition's status and transition time into one annotation on the Node (:data:`READY_ANNOTATION`). That
annotation changes only on a transition, which wakes the summary decorator; a heartbeat costs one small call
that writes nothing.

Labels are copied whole, so a grid's ``nodeSelector`` means what it means over Nodes.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks.kube.objects import mapping
from hooks.protocol.request import decorated_object
from hooks.sites.readiness import ready_condition

API_VERSION = "superedge.io/v1"
KIND = "NodeSummary"
RESOURCE = "nodesummaries"
NODESUMMARY_TYPE = f"{KIND}.{API_VERSION}"
"""The key of the NodeSummary list in a v2 request's ``related`` (and the decorator's ``attachments``) map."""
READY_ANNOTATION = "superedge.io/node-ready"
"""The Node annotation the ready mark decorator keeps: the ``Ready`` condition's status and transition time,
e.g. ``True 2026-12-05T10:00:00Z``. Absent while the Node has no ``Ready`` condition."""
READY = "ready"
"""The summary's ``spec`` field holding the Node's ``Ready`` condition: ``status`` and ``lastTransitionTime``."""


def sync(request: object) -> dict:
    """Sync hook of the node summary DecoratorController: the Node's one attachment, its summary.

    It always answers with the summary: an answer without it would make Metacontroller delete the summary,
    which a grid reading summaries takes for the Node being gone.
    """
    node = decorated_object(request)
    return {"attachments": [summary_of(node)]}


def mark(request: object) -> dict:
    """Sync hook of the ready mark DecoratorController: the Node's :data:`READY_ANNOTATION`, and nothing else.

    Labels, status and attachments are left out on purpose: Metacontroller would write a status it is given
    over the kubelet's, and this decorator has no attachments so that its calls read no summaries.
    """
    return {"annotations": {READY_ANNOTATION: ready_mark(decorated_object(request))}}


def ready_mark(node: Mapping) -> str | None:
    """What :data:`READY_ANNOTATION` holds for ``node``: the same fields as its summary's ``spec.ready``, so
    that the annotation changes whenever the summary would, other than by a label. (Called for every status
    post: it reads the condition alone, not the whole summary.)"""
    ready = summary_ready(node)
    if ready is None:
        return None
    return " ".join(ready.get(k, "") for k in ("status", "lastTransitionTime"))


def summary_ready(node: Mapping) -> dict | None:
    """The summary's ``spec.ready`` for ``node``: its Ready condition's status and transition time."""
    cond = ready_condition(node)
    if cond is None:
        return None
    return {k: cond[k] for k in ("status", "lastTransitionTime") if isinstance(cond.get(k), str)}


def summary_of(node: Mapping) -> dict:
    """The NodeSummary of ``node`` (its name, labels and Ready condition; nothing a heartbeat changes)."""
    meta = mapping(node, "metadata")
    labels = {k: v for k, v in mapping(meta, "labels").items() if isinstance(v, str)}
    ready = summary_ready(node)
    spec = {} if ready is None else {READY: ready}
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": meta["name"], "labels": labels},
        "spec": spec,
    }


def summary_ready_condition(summary: Mapping) -> Mapping | None:
    """The Ready condition a summary records (``spec.ready``), read as :func:`ready_condition` reads a Node's."""
    spec = summary.get("spec") if isinstance(summary, dict) else None
    cond = spec.get(READY) if isinstance(spec, dict) else None
    return cond if isinstance(cond, dict) else None


def summary_rule(selector: Mapping) -> dict:
    """The customize-hook rule relating the summaries of the Nodes a Node rule with ``selector`` would relate."""
    return {"apiVersion": API_VERSION, "resource": RESOURCE, "labelSelector": selector}
