"""``servicegroup diff``: what syncing the grids with this version would do to the live children.

Each grid goes through its sync hook exactly as ``servicegroup render --observed`` does (the live children
as observed children, the clock now). Each answered child is then compared with the live one the way
Metacontroller compares them (hooks.kube.metacontroller_apply): fields the hooks send are set, fields its
last-applied record holds and the answer no longer has are **removed**, everything else stays. So the diff
shows what the update will write, removals included, which comparing rendered objects with live ones
(``kubectl diff``) cannot: a live object holds the API server's defaults and others' fields as well, so it
cannot tell a field the hooks stopped sending from one they never sent.

A child the answer has and the cluster has not is created; a live child of the grid the answer leaves out
is deleted; everything else is updated exactly when Metacontroller would send an update.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hooks.cli.field_diff import Change, field_changes
from hooks.cli.lint import field_warnings
from hooks.cli.render import (
    CHILDREN_NOT_APPLIED,
    RenderError,
    Sites,
    Synced,
    describe,
    offline_configs,
    sync_offline,
    with_namespace,
)
from hooks.grids.children import GRID_SELECTOR_LABEL
from hooks.grids.grid_kinds import GRID_KINDS
from hooks.kube.documents import Sourced
from hooks.kube.metacontroller_apply import LAST_APPLIED, apply_update, go_equal, with_generated_selector
from hooks.kube.objects import mapping, string_map

CREATE, UPDATE, DELETE = "create", "update", "delete"
SIGNS = {CREATE: "+", UPDATE: "~", DELETE: "-"}
CONTROLLER_UID = "controller-uid"


@dataclass(frozen=True)
class ChildDiff:
    """What happens to one child: CREATE, UPDATE (with its field changes) or DELETE."""

    action: str
    child: str
    grid: str
    changes: tuple[Change, ...] = ()
    note: str | None = None

    def lines(self) -> list[str]:
        head = f"{SIGNS[self.action]} {self.child} ({self.grid}): {self.action}"
        body = [f"    {change.line()}" for change in self.changes]
        return [head, *body, *([f"    ({self.note})"] if self.note else [])]


@dataclass
class DiffOutcome:
    """Every child that changes, how many stay as they are, and what could not be compared."""

    diffs: list[ChildDiff] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = {action: sum(d.action == action for d in self.diffs) for action in (CREATE, UPDATE, DELETE)}
        said = ", ".join(f"{n} to {action}" for action, n in counts.items())
        return f"{said}, {self.unchanged} unchanged"


def diff_all(
    grids: Iterable[Sourced], sites: Sites, live: Iterable[Mapping], default_namespace: str, now: str
) -> DiffOutcome:
    """Diff every grid; one grid's error does not hide the others'. Live children of no given grid are
    counted in a note, not compared."""
    outcome = DiffOutcome()
    observed = list(live)
    compared: set[int] = set()
    seen: dict[str, str] = {}
    grids = list(grids)
    configs = offline_configs(grids, sites.nodes, default_namespace, observed, now, sites.nodeunits)
    for item in grids:
        name = grid_label(item, default_namespace)
        if item.obj.get("kind") in GRID_KINDS:
            outcome.notes += [f"{item.where}: {name}: {warning}" for warning in field_warnings(item.obj)]
        if name in seen:
            outcome.errors.append(f"{item.where}: {name} is also defined in {seen[name]}")
            continue
        seen[name] = item.where
        try:
            synced = sync_offline(item, sites.nodes, default_namespace, observed, now, sites.nodeunits, configs)
        except RenderError as err:
            outcome.errors.append(str(err))
            continue
        diffs, unchanged, owned = diff_grid(synced)
        outcome.diffs += diffs
        outcome.unchanged += unchanged
        compared |= {id(child) for child in owned}
        outcome.notes += [f"{item.where}: {note}" for note in sync_notes(synced)]
    others = sum(id(child) not in compared for child in observed)
    if others:
        outcome.notes.append(f"{others} live children belong to no given grid: not compared")
    return outcome


def grid_label(item: Sourced, default_namespace: str) -> str:
    return f"{item.obj.get('kind')} {describe(with_namespace(item.obj, default_namespace))}"


def diff_grid(synced: Synced) -> tuple[list[ChildDiff], int, list[Mapping]]:
    """The grid's changes, its count of unchanged children, and the live children it owns."""
    owned = [child for children in synced.request["children"].values() for child in children.values()]
    live = {identity(child): child for child in owned}
    uid = mapping(synced.parent, "metadata").get("uid")
    diffs, unchanged = [], 0
    for desired in synced.children():
        ident = identity(desired)
        current = live.pop(ident, None)
        if current is None:
            diffs.append(ChildDiff(CREATE, ident, synced.label))
            continue
        diff = child_update(current, desired, uid, synced.label)
        if diff is None:
            unchanged += 1
        else:
            diffs.append(diff)
    diffs += [ChildDiff(DELETE, ident, synced.label) for ident in live]
    return diffs, unchanged, owned


def child_update(live: Mapping, desired: Mapping, parent_uid: Any, grid: str) -> ChildDiff | None:
    """The update Metacontroller would send for ``desired`` over ``live``, as field changes; None for none.

    Metacontroller adds ``controller-uid: <grid uid>`` to every child it applies; a grid read from a file
    has no uid, and then the live child's own label stands in for it.
    """
    labels = string_map(mapping(live, "metadata"), "labels")
    uid = parent_uid if isinstance(parent_uid, str) and parent_uid else labels.get(CONTROLLER_UID, "")
    try:
        written = apply_update(dict(live), with_generated_selector(dict(desired), uid))
    except ValueError as err:  # a last-applied record that is not JSON: Metacontroller cannot update it either
        return ChildDiff(UPDATE, identity(live), grid, note=f"its {LAST_APPLIED} annotation is not JSON: {err}")
    if go_equal(written, live):
        return None
    changes = tuple(field_changes(without_record(live), without_record(written)))
    return ChildDiff(UPDATE, identity(live), grid, changes, update_note(live, changes))


def update_note(live: Mapping, changes: tuple[Change, ...]) -> str | None:
    if LAST_APPLIED not in string_map(mapping(live, "metadata"), "annotations"):
        return f"no {LAST_APPLIED} annotation: fields the hooks no longer send are kept, not removed"
    if not changes:
        return "only Metacontroller's record of what it applied changes: one write, the object stays as it is"
    return None


def without_record(obj: Mapping) -> dict:
    """The object without Metacontroller's last-applied annotation (shown as the fields it changes instead)."""
    meta = dict(mapping(obj, "metadata"))
    annotations = {k: v for k, v in mapping(meta, "annotations").items() if k != LAST_APPLIED}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return {**obj, "metadata": meta}


def identity(obj: Mapping) -> str:
    """``Deployment shop/web-a``: how a child is named in the output and matched with its live object."""
    return f"{obj.get('kind')} {describe(obj)}"


def sync_notes(synced: Synced) -> list[str]:
    """A ``Synced=False`` answer: the grid keeps the children it cannot render (they show as unchanged).

    ``ChildrenNotApplied`` is left out: it says the live children differ from the answer, which is what
    the diff itself shows, child by child.
    """
    status = mapping(synced.response, "status")
    conditions = status.get("conditions") if isinstance(status.get("conditions"), list) else []
    return [
        f"{synced.label}: Synced=False, {cond.get('reason')}: {cond.get('message')}"
        for cond in conditions
        if isinstance(cond, Mapping)
        and cond.get("type") == "Synced"
        and cond.get("status") == "False"
        and cond.get("reason") != CHILDREN_NOT_APPLIED
    ]


def live_children(objects: Iterable[Sourced]) -> list[dict]:
    """The live objects that are children of some grid (``superedge.io/grid-selector``); others are ignored."""
    return [item.obj for item in objects if GRID_SELECTOR_LABEL in string_map(mapping(item.obj, "metadata"), "labels")]
