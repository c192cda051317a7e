"""NodeSummaries: what a grid reads of a Node, in an object that changes only when that does.

A kubelet posts its Node's status even when nothing in it changes (a new heartbeat time in every condition),
and Metacontroller resyncs every parent that relates a Node on each post. For a grid over a fleet that is a
full sync, carrying every Node and every child, for each post of any Node. The node summary decorator keeps,
for each Node, one NodeSummary of the same name owned by the Node: the Node's labels, and the status and
transition time of its ``Ready`` condition. A heartbeat changes neither, so Metacontroller does not write the
summary, and a grid with ``siteSource: NodeSummaries`` is not woken. What a post still costs is the
decorator's own sync: one Node in, one small object out, compared with the one that exists.

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
READY = "ready"
"""The summary's ``spec`` field holding the Node's ``Ready`` condition: ``status`` and ``lastTransitionTime``."""


def sync(request: object) -> dict:
    """Sync hook of the node summary DecoratorController: the Node's one attachment, its summary.

    It always answers with the summary: an answer without it would make Metacontroller delete the summary,
    which a grid reading summaries takes for the Node being gone.
    """
    node = decorated_object(request)
    return {"attachments": [summary_of(node)]}


def summary_of(node: Mapping) -> dict:
    """The NodeSummary of ``node`` (its name, labels and Ready condition; nothing a heartbeat changes)."""
    meta = mapping(node, "metadata")
    labels = {k: v for k, v in mapping(meta, "labels").items() if isinstance(v, str)}
    spec: dict = {}
    cond = ready_condition(node)
    if cond is not None:
        spec[READY] = {k: cond[k] for k in ("status", "lastTransitionTime") if isinstance(cond.get(k), str)}
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
