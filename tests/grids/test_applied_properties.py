"""Property: over any sequence of syncs in which children appear late or never, a child that appears within
GRACE_SECONDS of Metacontroller applying it is never named, one that never appears is named once its clock
is GRACE_SECONDS old, and a grid whose children are all observed as rendered keeps its status unchanged.

A small stand-in for Metacontroller drives the real sync hooks: after each answer it applies every child
whose stamp is new (the API server refuses some, and each accepted child becomes visible only after a
delay: the rate limit and the watch cache), then writes the answer's status. A sync within STALE_SECONDS of
the grid's last change may read the grid as it was before (Metacontroller's cache a moment behind): its
spec and status of then, which Metacontroller applies as it would.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.grids.applied import GRACE_SECONDS, NOT_APPLIED_SINCE
from hooks.grids.revision import observed_revision
from hooks.grids.service_grid import SHARED_ENTRY
from hooks.grids.service_grid import sync as service_sync
from hooks.grids.workload import DEPLOYMENT
from hooks.grids.workload_grid import sync as workload_sync
from hooks.kube.times import TIME_FORMAT, parse_time
from tests.support.builders import deployment_spec, grid, observed, site_nodes, sync_request
from tests.support.service_builders import observed_service, service_grid, service_spec, service_sync_request

UNITS = ["a", "b", "c", "d"]
STALE_SECONDS = 2
"""How long Metacontroller's cache may lag behind the grid's newest version (a watch event: milliseconds)."""
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Kind:
    """How the stand-in builds, syncs and observes one grid kind."""

    name: str

    def parent(self, version: int) -> dict:
        if self.name == "DeploymentGrid":
            return grid(template=deployment_spec(image=f"nginx:1.{27 + version}"))
        return service_grid(template=service_spec(ports=[{"name": "http", "port": 80, "targetPort": 8080 + version}]))

    def sync(self, parent: dict, nodes: dict, children: dict, now: str) -> dict:
        if self.name == "DeploymentGrid":
            return workload_sync(sync_request(parent, nodes, children), DEPLOYMENT, now)
        return service_sync(service_sync_request(parent, nodes, children), now)

    def observe(self, child: dict) -> dict:
        return observed(child) if self.name == "DeploymentGrid" else observed_service(child)

    def entry(self, child_name: str) -> str:
        """The unit (or the shared Service) a child belongs to, as status names it."""
        if child_name == "web-svc":
            return SHARED_ENTRY
        return child_name.removeprefix("web-svc-" if self.name == "ServiceGrid" else "web-")


@dataclass
class World:
    """The API server (versions of each child with the time each becomes visible) and the stored status."""

    kind: Kind
    refused: frozenset[str]
    delays: dict[str, int]
    versions: dict[str, list[tuple[datetime, dict]]] = field(default_factory=dict)
    parents: list[tuple[int, dict | None]] = field(default_factory=lambda: [(0, None)])
    """The grid's versions as (template version, status): a spec change or a status write adds one."""
    changed: datetime = START
    """When the newest version was made: a cache lags behind it for at most STALE_SECONDS."""

    @property
    def stored(self) -> dict | None:
        return self.parents[-1][1]

    def edit(self, version: int, at: datetime) -> None:
        if version != self.parents[-1][0]:
            self.parents.append((version, self.stored))
            self.changed = at

    def read(self, at: datetime, stale: bool) -> tuple[int, dict | None]:
        """The grid as Metacontroller's cache shows it: the version before the newest while that is recent."""
        lagging = stale and len(self.parents) > 1 and (at - self.changed).total_seconds() < STALE_SECONDS
        return self.parents[-2] if lagging else self.parents[-1]

    def visible(self, at: datetime) -> dict:
        out = {}
        for name, versions in self.versions.items():
            shown = [obj for when, obj in versions if when <= at]
            if shown:
                out[f"shop/{name}"] = shown[-1]
        return out

    def apply(self, response: dict, at: datetime) -> None:
        for child in response["children"]:
            name = child["metadata"]["name"]
            latest = self.versions.get(name, [])
            if self.kind.entry(name) in self.refused:
                continue
            if latest and observed_revision(latest[-1][1]) == observed_revision(child):
                continue
            delay = timedelta(seconds=self.delays.get(self.kind.entry(name), 0))
            self.versions.setdefault(name, []).append((at + delay, self.kind.observe(child)))
        if response["status"] != self.stored:  # Metacontroller compares with the object as stored now
            self.parents.append((self.parents[-1][0], copy.deepcopy(response["status"])))
            self.changed = at


@st.composite
def stories(draw):
    kind = Kind(draw(st.sampled_from(["DeploymentGrid", "ServiceGrid"])))
    units = draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=4, unique=True))
    entries = [*units, SHARED_ENTRY] if kind.name == "ServiceGrid" else units
    refused = frozenset(draw(st.lists(st.sampled_from(entries), unique=True, max_size=2)))
    delays = {e: draw(st.integers(0, GRACE_SECONDS - 1)) for e in entries}
    existing = draw(st.booleans())  # the children exist already (a refusal is then a refused update)
    syncs = draw(
        st.lists(
            st.tuples(st.integers(0, 45), st.sampled_from([1, 1, 1, 2]), st.booleans()),
            min_size=1,
            max_size=12,
        )
    )
    return kind, units, refused, delays, existing, syncs


def run(kind: Kind, units: list[str], refused, delays, existing: bool, syncs, stale_reads: bool):
    """Every sync of the story as (time, the status it read, its answer), then the world after it."""
    nodes = site_nodes(**dict.fromkeys(units, 1))
    world = World(kind, frozenset(), {})
    if existing:  # version 0 of every child, landed long ago and accepted, and a settled status
        for _ in range(2):
            world.apply(kind.sync(parent_of(kind, *world.parents[-1]), nodes, world.visible(START), at_(START)), START)
    world.refused, world.delays = refused, delays
    at, out = START, []
    for seconds, version, stale in syncs:
        at += timedelta(seconds=seconds)
        world.edit(version, at)
        # a stale read shows an older version of the grid as a whole: its spec and status of that moment
        read, status = world.read(at, stale and stale_reads)
        response = kind.sync(parent_of(kind, read, status), nodes, world.visible(at), at_(at))
        out.append((at, status, response))
        world.apply(response, at)
    return out, world, nodes


def parent_of(kind: Kind, version: int, status: dict | None) -> dict:
    return {**kind.parent(version), "status": copy.deepcopy(status)} if status else kind.parent(version)


def at_(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


def named(response: dict, at: datetime) -> set[str]:
    """Entries whose clock is GRACE_SECONDS old: the ones Synced names."""
    since = response["status"].get(NOT_APPLIED_SINCE, {})
    return {e for e, t in since.items() if (at - parse_time(t)).total_seconds() >= GRACE_SECONDS}


def synced(response: dict) -> dict:
    return next(c for c in response["status"]["conditions"] if c["type"] == "Synced")


@settings(max_examples=150, deadline=None)
@given(stories(), st.booleans())
def test_a_child_that_appears_within_the_grace_period_is_never_named(story, stale_reads) -> None:
    kind, units, refused, delays, existing, syncs = story
    history, _, _ = run(kind, units, refused, delays, existing, syncs, stale_reads)
    for at, _, response in history:
        assert named(response, at) <= refused, (at, response["status"])
        not_applied = synced(response)["reason"] == "ChildrenNotApplied"
        assert not_applied == bool(named(response, at)), response["status"]


@settings(max_examples=150, deadline=None)
@given(stories())
def test_a_child_that_never_appears_is_named_grace_seconds_after_the_sync_that_saw_it_applied(story) -> None:
    kind, units, refused, delays, existing, syncs = story
    history, _, _ = run(kind, units, refused, delays, existing, syncs, stale_reads=False)
    asked_at: dict[str, tuple[str | None, datetime]] = {}  # the stamp asked, and when a sync first read it
    for at, status, response in history:
        sent = {kind.entry(c["metadata"]["name"]): observed_revision(c) for c in response["children"]}
        recorded = (status or {}).get("applying") or {}
        for entry in refused:
            if entry in asked_at and asked_at[entry][0] != sent.get(entry):
                del asked_at[entry]  # a new ask: its own clock
            if entry not in asked_at and recorded.get(entry) == sent.get(entry):
                asked_at[entry] = (sent.get(entry), at)
        due = {e for e, (_, t) in asked_at.items() if (at - t).total_seconds() >= GRACE_SECONDS}
        assert due <= named(response, at), (at, asked_at, response["status"])
        if due:
            assert synced(response)["reason"] == "ChildrenNotApplied"
        waiting = set(response["status"].get(NOT_APPLIED_SINCE, {})) - named(response, at)
        if waiting:  # Metacontroller is asked back no later than the earliest deadline
            assert response["resyncAfterSeconds"] <= GRACE_SECONDS


@settings(max_examples=100, deadline=None)
@given(stories(), st.booleans())
def test_once_every_child_is_observed_the_status_no_longer_changes(story, stale_reads) -> None:
    """After any story without refusals, two syncs (one to ask, one to see it landed) reach a quiet status
    that every later sync answers unchanged (Metacontroller writes nothing) without asking for a resync."""
    kind, units, _, delays, existing, syncs = story
    history, world, nodes = run(kind, units, frozenset(), delays, existing, syncs, stale_reads)
    at = history[-1][0]
    for step in range(4):
        at += timedelta(seconds=GRACE_SECONDS if step < 2 else 600)
        read = world.stored
        response = kind.sync(parent_of(kind, *world.parents[-1]), nodes, world.visible(at), at_(at))
        world.apply(response, at)
        if step >= 2:
            assert response["status"] == read and "resyncAfterSeconds" not in response
            assert "applying" not in read and NOT_APPLIED_SINCE not in read and synced(response)["status"] == "True"
