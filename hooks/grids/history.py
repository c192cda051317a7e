"""A workload grid's revisions, kept as ``ControllerRevision`` children (as StatefulSets and DaemonSets keep
theirs): the one place a rollback can read the last good revision from, without any state in the hooks.

One ControllerRevision per revision (hooks.grids.rollout_spec.spec_revision), named ``<grid>-<revision>``:

- ``data``: ``{"spec": {...}}``, the spec fields that shape the children (template, templatePool,
  templates, defaultTemplateName, overrides) as they were: what a rollback renders from. Kubernetes refuses
  any change of ``data``, so an existing record is always sent back with the data it has;
- ``revision``: 1, 2, 3...; the current revision has the highest number (a revision the spec comes back to
  is renumbered, as Deployments do);
- labels: ``superedge.io/grid-selector: <grid>`` (``kubectl get controllerrevisions -l
  superedge.io/grid-selector=<grid>`` lists the history), ``superedge.io/grid-kind``,
  ``superedge.io/grid-revision: <revision>`` and ``superedge.io/revision-state``: ``Completed`` once every
  online unit was healthy on it (kept from then on), ``RolledBack`` once a rollout of it failed beyond
  ``maxFailedUnits`` with ``onFailure: Rollback`` (the annotation ``superedge.io/rollback-reason`` says why).

Besides the current revision, the newest ``spec.revisionHistoryLimit`` (default 10) are kept, and the last
completed one while the current one has not completed (a rollback needs it); the others are left out, so
Metacontroller deletes them. Records are written only when the grid's controller declares the child type
(Metacontroller then sends its key in ``children``, possibly empty): with a controller of an older release
the hooks write none. Metacontroller would create them, but, having no informer for an undeclared type,
never see them again: it would try to create them on every sync and never update or delete them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from hooks.grids.children import GRID_SELECTOR_LABEL
from hooks.kube.names import label_safe, suffixed_name
from hooks.kube.objects import integer, mapping, string_map
from hooks.protocol.partial import whole

CR_KIND = "ControllerRevision"
CR_API_VERSION = "apps/v1"
CR_TYPE = f"{CR_KIND}.{CR_API_VERSION}"
"""The key of ControllerRevisions in a v2 request's ``children``."""
GRID_KIND_LABEL = "superedge.io/grid-kind"
GRID_REVISION_LABEL = "superedge.io/grid-revision"
STATE_LABEL = "superedge.io/revision-state"
ROLLBACK_REASON = "superedge.io/rollback-reason"
COMPLETED, ROLLED_BACK = "Completed", "RolledBack"
DEFAULT_HISTORY_LIMIT = 10
MAX_HISTORY_LIMIT = 1000


@dataclass(frozen=True)
class Record:
    """One revision of the grid, as observed (or about to be created)."""

    revision: str
    number: int
    data: object
    """As observed (Kubernetes refuses any change of it), or what a new record is created with."""
    state: str | None = None
    reason: str | None = None

    @property
    def spec(self) -> Mapping | None:
        """The spec fields the revision rendered from, or None when the record does not hold them."""
        spec = mapping(self.data, "spec")
        return spec if isinstance(spec.get("template"), Mapping) else None


@dataclass(frozen=True)
class History:
    """The grid's records by revision, and the one for what the grid renders now."""

    records: dict[str, Record]
    current: Record
    limit: int

    @property
    def rolled_back(self) -> bool:
        return self.current.state == ROLLED_BACK

    def last_completed(self) -> Record | None:
        """The newest completed revision other than the current one that still holds its spec fields."""
        done = [r for r in self.records.values() if r.state == COMPLETED and r.revision != self.current.revision]
        done = [r for r in done if r.spec is not None]
        return max(done, key=lambda r: r.number, default=None)

    def with_current(self, state: str | None, reason: str | None = None) -> History:
        """The history with the current record's state set (a Completed record stays Completed)."""
        if self.current.state == COMPLETED or state is None:
            return self
        return replace(self, current=replace(self.current, state=state, reason=reason or self.current.reason))


def record_name(grid_name: str, revision: str) -> str:
    return suffixed_name(grid_name, revision)


def read_history(observed: Mapping[str, Mapping], grid_name: str, revision: str, data: dict, limit: int) -> History:
    """The records among the observed ControllerRevisions, and the current one (new, or renumbered when the
    spec came back to an older revision: then a former rollback of it no longer counts)."""
    records: dict[str, Record] = {}
    for obj in observed.values():
        record = _record(obj)
        if record is not None and mapping(obj, "metadata").get("name") == record_name(grid_name, record.revision):
            records[record.revision] = record
    newest = max((r.number for r in records.values()), default=0)
    current = records.get(revision)
    if current is None:
        same_name = next((o for o in observed.values() if _name(o) == record_name(grid_name, revision)), None)
        kept = whole(same_name).get("data", data) if same_name is not None else data  # data cannot change
        current = Record(revision, newest + 1, kept)
    elif current.number < newest:
        current = replace(current, number=newest + 1, state=COMPLETED if current.state == COMPLETED else None)
    records[revision] = current
    return History(records, current, limit)


def _record(obj: Mapping) -> Record | None:
    labels = string_map(mapping(obj, "metadata"), "labels")
    revision = labels.get(GRID_REVISION_LABEL)
    number = integer(obj, "revision")
    if not revision or number is None:
        return None
    state = labels.get(STATE_LABEL)
    reason = string_map(mapping(obj, "metadata"), "annotations").get(ROLLBACK_REASON)
    known = state if state in (COMPLETED, ROLLED_BACK) else None
    return Record(revision, number, whole(obj).get("data", {}), known, reason)


def _name(obj: Mapping) -> object:
    return mapping(obj, "metadata").get("name")


def history_children(history: History, parent_meta: Mapping, kind: str) -> list[dict]:
    """The records to keep (the current one, the newest ``limit`` others, the last completed one while the
    current has not completed), each as it should be."""
    others = sorted((r for r in history.records.values() if r.revision != history.current.revision), key=_newest)
    keep = others[: history.limit]
    target = history.last_completed()
    if history.current.state != COMPLETED and target is not None and target not in keep:
        keep.append(target)
    return [record_child(r, parent_meta, kind) for r in [history.current, *keep]]


def _newest(record: Record) -> tuple[int, str]:
    return (-record.number, record.revision)


def record_child(record: Record, parent_meta: Mapping, kind: str) -> dict:
    """The desired ControllerRevision of ``record``: its data as observed (immutable), our labels."""
    labels = {
        GRID_SELECTOR_LABEL: label_safe(parent_meta["name"]),
        GRID_KIND_LABEL: kind,
        GRID_REVISION_LABEL: record.revision,
    }
    if record.state is not None:
        labels[STATE_LABEL] = record.state
    meta: dict = {"name": record_name(parent_meta["name"], record.revision), "labels": labels}
    if parent_meta.get("namespace"):
        meta["namespace"] = parent_meta["namespace"]
    if record.reason and record.state == ROLLED_BACK:
        meta["annotations"] = {ROLLBACK_REASON: record.reason}
    return {
        "apiVersion": CR_API_VERSION,
        "kind": CR_KIND,
        "metadata": meta,
        "data": record.data,
        "revision": record.number,
    }
