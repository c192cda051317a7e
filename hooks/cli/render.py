"""Offline rendering: the children the server would answer for grids read from files and a Node list.

Each grid becomes the v2 sync request Metacontroller would send on first sight
(the grid as parent, no observed children, the Nodes as related objects) and
goes through the very sync function the server routes to. Grids from files
have no uid, generation or status; the hooks do not need them. A grid with
``siteSource: NodeUnits`` is given the NodeUnits a NodeGroup of its key
(without a nodeSelector) would keep for those Nodes, so it renders as in a
cluster that has one; a grid with ``siteSource: NodeSummaries`` is given the
summaries the node summary decorator would keep of them. Offline the renderer plays that NodeGroup, so "no
NodeUnit for the key" can only mean that no given Node carries the key: the
same "no units" a Nodes grid gets, reported as a note rather than as the
cluster's advice to create a NodeGroup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hooks.cli.lint import as_stored, field_warnings, override_warnings, pasted_template
from hooks.cli.rollout_plan import rollout_plan
from hooks.grids.children import GRID_SELECTOR_LABEL
from hooks.grids.config_refs import CONFIGMAPGRID_TYPE
from hooks.grids.configmap_grid import CONFIGMAP_GRID_LABEL, CONFIGMAP_TYPE
from hooks.grids.grid_kinds import GRID_KINDS, GROUP, GridKind
from hooks.grids.grid_status import group_by_message, units_phrase
from hooks.grids.history import CR_KIND
from hooks.kube.documents import Sourced
from hooks.kube.errors import RequestError, SpecError
from hooks.kube.names import label_key_error, label_safe
from hooks.kube.objects import mapping, string_map
from hooks.sites.discovery import NO_NODESUMMARIES, NO_NODEUNITS
from hooks.sites.node_summary import NODESUMMARY_TYPE, summary_of
from hooks.sites.nodeunit import NODEUNIT_TYPE, UNIT_KEY_LABEL, nodeunit_children, nodeunit_names, unit_key_value
from hooks.sites.units import NODES, discover_units

# Status is not printed, so without observed children the clock is irrelevant (except for the time a
# rollout records on new children); a fixed one keeps the output reproducible. ``--now`` overrides it.
RENDER_TIME = "1970-01-01T00:00:00Z"
CHILDREN_NOT_APPLIED = "ChildrenNotApplied"


class RenderError(ValueError):
    """One input cannot be rendered; the message is one line naming the input and the grid."""


@dataclass(frozen=True)
class Rendered:
    """One grid's children, plus a note when it rendered nothing (no node carries its key) and warnings.

    ``plan`` is the rollout plan (hooks.cli.rollout_plan) of a grid with ``spec.rollout``.
    """

    children: list[dict]
    note: str | None = None
    warnings: tuple[str, ...] = ()
    plan: list[str] | None = None


@dataclass(frozen=True)
class Sites:
    """The site inputs: Nodes by name and, when any were given, NodeUnits by name (else None)."""

    nodes: dict[str, dict]
    nodeunits: dict[str, dict] | None = None


def site_objects(items: Iterable[Sourced]) -> Sites:
    """Nodes and NodeUnits from the ``--nodes`` inputs (``kubectl get nodes,nodeunits -o yaml``).

    Given NodeUnits stand for the cluster's own: NodeUnits-mode grids then get those (tombstones and
    NodeGroups with a nodeSelector included) rather than the ones a NodeGroup would keep for the Nodes.
    Anything else is an error.
    """
    found: dict[str, dict[str, dict]] = {"Node": {}, "NodeUnit": {}}
    for item in items:
        kind = item.obj.get("kind")
        if kind not in found:
            raise RenderError(f"{item.where}: expected a Node or a NodeUnit, found {_kind_of(item.obj)}")
        meta = item.obj.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        if not isinstance(name, str) or not name:
            raise RenderError(f"{item.where}: {kind} without metadata.name")
        found[kind][name] = item.obj
    return Sites(found["Node"], found["NodeUnit"] or None)


def node_map(nodes: Iterable[Sourced]) -> dict[str, dict]:
    """The ``Node.v1`` map of a v2 request: node name -> Node (NodeUnits are set aside)."""
    return site_objects(nodes).nodes


@dataclass
class Outcome:
    """Everything a render run produced: children in input order, problems, and notes (printed as warnings)."""

    children: list[dict]
    errors: list[str]
    notes: list[str]
    plans: list[str] = field(default_factory=list)


def render_all(
    grids: Iterable[Sourced],
    nodes: Mapping[str, dict],
    default_namespace: str,
    observed: Iterable[Mapping] = (),
    now: str = RENDER_TIME,
    nodeunits: Mapping[str, dict] | None = None,
) -> Outcome:
    """Render every grid; one grid's error does not hide the others' (all are reported).

    Unknown fields are reported for every grid, whether it renders or not: a misspelt field is often
    the cause of the error that follows.

    ``observed`` are live children (``kubectl get deploy -o yaml``): each grid is then rendered as its next
    sync would be, which matters for a rollout (units held back keep their child).
    """
    outcome = Outcome([], [], [])
    seen: dict[tuple[str, str], str] = {}
    live = list(observed)
    grids = list(grids)
    configs = offline_configs(grids, nodes, default_namespace, live, now, nodeunits)
    for item in grids:
        if item.obj.get("kind") in GRID_KINDS:
            label = f"{item.where}: {item.obj['kind']} {describe(with_namespace(item.obj, default_namespace))}"
            outcome.notes += [f"{label}: {warning}" for warning in field_warnings(item.obj)]
        try:
            rendered = render_grid(item, nodes, default_namespace, live, now, nodeunits, configs)
        except RenderError as err:
            outcome.errors.append(str(err))
            continue
        key = (str(item.obj["kind"]), describe(with_namespace(item.obj, default_namespace)))
        if key in seen:
            outcome.errors.append(f"{item.where}: {key[0]} {key[1]} is also defined in {seen[key]}")
            continue
        seen[key] = item.where
        outcome.children += rendered.children
        outcome.plans += rendered.plan or []
        outcome.notes += rendered.warnings
        if rendered.note:
            outcome.notes.append(rendered.note)
    return outcome


def render_grid(
    item: Sourced,
    nodes: Mapping[str, dict],
    default_namespace: str,
    observed: Iterable[Mapping] = (),
    now: str = RENDER_TIME,
    nodeunits: Mapping[str, dict] | None = None,
    configs: Mapping[str, dict] | None = None,
) -> Rendered:
    """The children of one grid, each with its namespace set; RenderError for anything the server would refuse."""
    synced = sync_offline(item, nodes, default_namespace, observed, now, nodeunits, configs)
    parent, label, response = synced.parent, f"{item.where}: {synced.label}", synced.response
    if synced_reason(response) == NO_NODEUNITS:
        return Rendered([], f"{label}: no children: {no_offline_nodeunits(parent, nodeunits)}")
    if synced_reason(response) == NO_NODESUMMARIES:
        key = parent["spec"]["gridUniqKey"]
        why = "in a cluster this grid would keep its existing children and report Synced=False, NoNodeSummaries"
        return Rendered([], f"{label}: no children: no given Node carries the label {key!r} ({why})")
    failed = not_synced(response)
    if failed:
        raise RenderError(f"{label}: {failed}")
    children = synced.children()
    note = None if children else f"{label}: no children: {_ready_message(response)}"
    plan = rollout_plan(synced.label, parent, response, synced.request["children"], synced.request["related"])
    warnings = tuple(f"{label}: {warning}" for warning in override_warnings(response))
    return Rendered(children, note, warnings, plan)


@dataclass(frozen=True)
class Synced:
    """One grid's offline sync: the request its sync hook got (``parent`` is its parent) and the answer."""

    label: str
    request: dict
    response: dict

    @property
    def parent(self) -> dict:
        return self.request["parent"]

    def children(self) -> list[dict]:
        """The answer's children, each in the grid's namespace (Metacontroller puts them there).

        The grid's ControllerRevisions are its controller's own record of what it rendered, not something to
        apply or compare: they are left out (given with ``--observed``, they still feed ``--plan``).
        """
        namespace = self.parent["metadata"]["namespace"]
        answered = [c for c in self.response.get("children") or [] if c.get("kind") != CR_KIND]
        return [_in_namespace(child, namespace) for child in answered]


def sync_offline(
    item: Sourced,
    nodes: Mapping[str, dict],
    default_namespace: str,
    observed: Iterable[Mapping] = (),
    now: str = RENDER_TIME,
    nodeunits: Mapping[str, dict] | None = None,
    configs: Mapping[str, dict] | None = None,
) -> Synced:
    """Call the grid kind's sync hook on the request Metacontroller would send; RenderError when it cannot run.

    ``nodeunits`` are the cluster's NodeUnits (``kubectl get nodeunits``); without them a NodeUnits-mode
    grid gets those a NodeGroup of its key would keep for ``nodes``. ``configs``: namespace -> the related
    ConfigMapGrids and ConfigMaps a workload grid there is given (:func:`offline_configs`); without it, none.
    """
    obj = item.obj
    kind = _grid_kind(item)
    parent = with_namespace(dict(as_stored(obj)), default_namespace)
    label = f"{obj['kind']} {describe(parent)}"
    pasted = pasted_template(obj)
    if pasted:
        raise RenderError(f"{item.where}: {label}: InvalidSpec: {pasted}")
    children_of = {child_type: owned_children(parent, child_type, observed) for child_type in kind.child_types}
    units = offline_nodeunits(parent, nodes) if nodeunits is None else live_nodeunits(parent, nodeunits)
    request = {
        "controller": {},
        "parent": parent,
        "children": children_of,
        "related": {
            NODES: dict(nodes),
            NODESUMMARY_TYPE: {name: summary_of(node) for name, node in nodes.items()},
            **units,
            **(configs or {}).get(parent["metadata"]["namespace"], NO_CONFIGS),
        },
        "finalizing": False,
    }
    try:
        response = kind.sync(request, now)
    except (RequestError, SpecError) as err:
        raise RenderError(f"{item.where}: {label}: {err}") from None
    return Synced(label, request, response)


NO_CONFIGS = {CONFIGMAPGRID_TYPE: {}, CONFIGMAP_TYPE: {}}


def offline_configs(
    grids: list[Sourced],
    nodes: Mapping[str, dict],
    default_namespace: str,
    observed: list[Mapping],
    now: str = RENDER_TIME,
    nodeunits: Mapping[str, dict] | None = None,
) -> dict[str, dict]:
    """Namespace -> the related ConfigMapGrids and ConfigMaps Metacontroller would give a workload grid there.

    The ConfigMapGrids are those among the inputs. Their ConfigMaps are the live ones given with
    ``--observed`` (labelled ``superedge.io/configmap-grid``) or, for a ConfigMapGrid none of whose ConfigMaps
    was given, the ones it renders itself: what the cluster will hold once it has applied them.
    """
    out: dict[str, dict] = {}
    for cm in observed:
        meta = mapping(cm, "metadata")
        if (
            cm.get("kind") == "ConfigMap"
            and CONFIGMAP_GRID_LABEL in labels_of(cm)
            and isinstance(meta.get("name"), str)
        ):
            namespace = meta.get("namespace") or default_namespace
            related = out.setdefault(namespace, {CONFIGMAPGRID_TYPE: {}, CONFIGMAP_TYPE: {}})
            related[CONFIGMAP_TYPE][f"{namespace}/{meta['name']}"] = {
                **cm,
                "metadata": {**meta, "namespace": namespace},
            }
    for item in grids:
        if item.obj.get("kind") != "ConfigMapGrid" or not isinstance(item.obj.get("metadata"), Mapping):
            continue
        grid = with_namespace(dict(as_stored(item.obj)), default_namespace)
        namespace, name = grid["metadata"]["namespace"], grid["metadata"].get("name")
        if not isinstance(name, str):
            continue
        related = out.setdefault(namespace, {CONFIGMAPGRID_TYPE: {}, CONFIGMAP_TYPE: {}})
        related[CONFIGMAPGRID_TYPE][f"{namespace}/{name}"] = grid
        own = label_safe(name)
        if any(labels_of(cm).get(CONFIGMAP_GRID_LABEL) == own for cm in related[CONFIGMAP_TYPE].values()):
            continue
        try:
            rendered = render_grid(item, nodes, default_namespace, (), now, nodeunits).children
        except RenderError:
            continue  # reported when the ConfigMapGrid itself is rendered
        related[CONFIGMAP_TYPE].update({f"{namespace}/{cm['metadata']['name']}": cm for cm in rendered})
    return out


def labels_of(obj: Mapping) -> Mapping:
    return string_map(mapping(obj, "metadata"), "labels")


def owned_children(parent: Mapping, child_type: str, observed: Iterable[Mapping]) -> dict[str, Mapping]:
    """The v2 ``children`` map Metacontroller would send: observed objects of the type, in the grid's namespace,
    labelled as its children (``superedge.io/grid-selector``)."""
    kind_name, _, api_version = child_type.partition(".")
    meta = parent["metadata"]
    out = {}
    for obj in observed:
        own = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
        labels = own.get("labels") if isinstance(own.get("labels"), Mapping) else {}
        if (
            obj.get("kind") == kind_name
            and obj.get("apiVersion") == api_version
            and own.get("namespace", meta["namespace"]) == meta["namespace"]
            and labels.get(GRID_SELECTOR_LABEL) == label_safe(str(meta.get("name")))
            and isinstance(own.get("name"), str)
        ):
            out[f"{meta['namespace']}/{own['name']}"] = obj
    return out


def offline_nodeunits(parent: Mapping, nodes: Mapping[str, dict]) -> dict:
    """``{NodeUnit type: map}`` for the grid's key, as a NodeGroup named ``offline`` would keep them; else ``{}``."""
    spec = parent.get("spec")
    key = spec.get("gridUniqKey") if isinstance(spec, Mapping) else None
    if not isinstance(key, str) or label_key_error(key):
        return {}  # the sync hook reports the bad key
    units = discover_units(nodes.values(), key, {})
    children, _ = nodeunit_children({"name": "offline"}, key, units, nodeunit_names("offline", key, ()))
    return {NODEUNIT_TYPE: {c["metadata"]["name"]: c for c in children}}


def live_nodeunits(parent: Mapping, nodeunits: Mapping[str, dict]) -> dict:
    """``{NodeUnit type: map}`` of the given NodeUnits that Metacontroller would send the grid: those labelled
    with its key (the customize hook's selector); the sync hook checks ``spec.gridUniqKey`` itself."""
    spec = parent.get("spec")
    key = spec.get("gridUniqKey") if isinstance(spec, Mapping) else None
    if not isinstance(key, str) or label_key_error(key):
        return {}
    wanted = unit_key_value(key)
    labelled = {
        n: u for n, u in nodeunits.items() if string_map(mapping(u, "metadata"), "labels").get(UNIT_KEY_LABEL) == wanted
    }
    return {NODEUNIT_TYPE: labelled}


def no_offline_nodeunits(parent: Mapping, nodeunits: Mapping[str, dict] | None = None) -> str:
    """Why a NodeUnits grid has no units offline: no given NodeUnit, or no given Node, carries its key."""
    key = parent["spec"]["gridUniqKey"]  # valid: the sync hook checked the spec before looking for NodeUnits
    if nodeunits is not None:
        return (
            f"no given NodeUnit is of the key {key!r} "
            "(in a cluster this grid would keep its existing children and report Synced=False, NoNodeUnits)"
        )
    return (
        f"no given Node carries the label {key!r}, so a NodeGroup of that key would keep no NodeUnit "
        "(in a cluster this grid would keep its existing children and report Synced=False, NoNodeUnits)"
    )


def with_namespace(obj: dict, default_namespace: str) -> dict:
    """The grid with ``metadata.namespace`` set (its own wins, as with ``kubectl apply -n``)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return obj  # the sync hook reports the missing metadata
    namespace = meta.get("namespace") or default_namespace
    return {**obj, "metadata": {**meta, "namespace": namespace}}


def describe(obj: Mapping) -> str:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
    return f"{meta.get('namespace') or ''}/{meta.get('name') or '?'}".lstrip("/")


def synced_reason(response: Mapping) -> str | None:
    """The reason of a ``Synced=False`` condition in a sync answer, or None."""
    condition = _failed_synced(response)
    return None if condition is None else condition.get("reason")


def _failed_synced(response: Mapping) -> Mapping | None:
    status = response.get("status")
    conditions = status.get("conditions") if isinstance(status, Mapping) else None
    for cond in conditions if isinstance(conditions, list) else []:
        if isinstance(cond, Mapping) and cond.get("type") == "Synced" and cond.get("status") == "False":
            return cond
    return None


def not_synced(response: Mapping) -> str | None:
    """Why a sync answer says ``Synced=False``: the failed units and their errors, else the condition; or None.

    Offline there is no previous child to keep, so per-unit errors are named
    from ``status.states`` rather than with the condition's "kept" wording; an
    error shared by several units is named once with them (``all 1,000 units: ...``).
    """
    synced = _failed_synced(response)
    if synced is None or synced.get("reason") == CHILDREN_NOT_APPLIED:
        return None  # with observed children: those are the children the next sync applies
    status = response["status"]
    states = status.get("states") if isinstance(status.get("states"), Mapping) else {}
    failed = {
        unit: str(state["error"]) for unit, state in states.items() if isinstance(state, Mapping) and state.get("error")
    }
    if not failed:
        return f"{synced.get('reason')}: {synced.get('message')}"
    groups = group_by_message(failed)
    return "; ".join(f"{units_phrase(units, len(states))}: {message}" for message, units in groups)


def _grid_kind(item: Sourced) -> GridKind:
    kind = item.obj.get("kind")
    if kind not in GRID_KINDS:
        known = ", ".join(sorted(GRID_KINDS))
        raise RenderError(f"{item.where}: {_kind_of(item.obj)} is not a grid kind this version renders ({known})")
    api_version = item.obj.get("apiVersion")
    if not isinstance(api_version, str) or api_version.split("/")[0] != GROUP:
        raise RenderError(f"{item.where}: {kind} must have apiVersion {GROUP}/v1, found {api_version!r}")
    return GRID_KINDS[kind]


def _in_namespace(child: dict, namespace: str) -> dict:
    """Children of a namespaced parent live in its namespace (Metacontroller puts them there)."""
    meta = child.get("metadata") or {}
    return child if meta.get("namespace") else {**child, "metadata": {**meta, "namespace": namespace}}


def _ready_message(response: Mapping) -> str:
    status = response.get("status") or {}
    for cond in status.get("conditions") or []:
        if isinstance(cond, Mapping) and cond.get("type") == "Ready":
            return str(cond.get("message"))
    return "no units"


def _kind_of(obj: Mapping) -> str:
    kind = obj.get("kind")
    return f"kind {kind!r}" if isinstance(kind, str) and kind else "an object without kind"
