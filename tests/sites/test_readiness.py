"""Since when a unit has (or has not) had a Ready node: from its Nodes and from its NodeUnit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.sites.readiness import (
    UNKNOWN,
    Readiness,
    kept_readiness,
    nodeunit_readiness,
    readiness_fields,
    unit_readiness,
)
from tests.support.nodegroup_builders import health_node

T0, T1, T2, T3 = (f"2026-01-01T00:{m:02d}:00Z" for m in (0, 1, 2, 3))


def nodes(*states: tuple[bool | str, str | None]) -> list[dict]:
    return [health_node(f"n{i}", {"site": "a"}, ready, since) for i, (ready, since) in enumerate(states)]


def test_a_unit_with_a_ready_node_is_online_since_its_oldest_ready_node() -> None:
    found = unit_readiness(nodes((True, T2), (True, T1), (False, T3)))
    assert found == Readiness(ready_since=T1) and not found.dark


def test_a_unit_without_a_ready_node_is_dark_since_its_last_node_stopped_being_ready() -> None:
    found = unit_readiness(nodes((False, T1), ("Unknown", T3), (False, T2)))
    assert found == Readiness(not_ready_since=T3) and found.dark


@pytest.mark.parametrize(
    "states",
    [
        (),  # no nodes
        ((False, T1), ("Unknown", None)),  # one node's time cannot be read
        ((False, T1), ("Unknown", "yesterday")),
        ((True, None),),  # ready, but since when is not said
    ],
)
def test_nodes_that_do_not_say_give_unknown(states) -> None:
    assert unit_readiness(nodes(*states)) == UNKNOWN


def test_a_node_without_a_ready_condition_says_nothing() -> None:
    bare = {"metadata": {"name": "n9", "labels": {"site": "a"}}}
    assert unit_readiness([*nodes((False, T1)), bare]) == UNKNOWN
    assert unit_readiness([*nodes((True, T1)), bare]) == Readiness(ready_since=T1)
    assert unit_readiness([{"status": None}, {"status": {"conditions": "Ready"}}]) == UNKNOWN


def test_offline_once_dark_for_the_given_seconds() -> None:
    dark = Readiness(not_ready_since=T1)
    assert not dark.offline(120, T2) and dark.offline(120, T3) and dark.offline(60, T2)
    assert dark.offline_at(120) == T3
    assert not Readiness(ready_since=T0).offline(0, T3) and Readiness(ready_since=T0).offline_at(1) is None
    assert not UNKNOWN.offline(0, T3) and not dark.offline(1, "not a time")


def test_nodeunit_fields_round_trip() -> None:
    for readiness in (Readiness(ready_since=T1), Readiness(not_ready_since=T2), UNKNOWN):
        assert nodeunit_readiness({"spec": readiness_fields(readiness)}) == readiness
    assert nodeunit_readiness({"spec": {"readySince": "soon", "notReadySince": 5}}) == UNKNOWN
    assert nodeunit_readiness(None) == UNKNOWN


def test_the_recorded_time_is_kept_while_the_unit_stays_in_the_same_state() -> None:
    assert kept_readiness(Readiness(ready_since=T3), Readiness(ready_since=T1)) == Readiness(ready_since=T1)
    assert kept_readiness(Readiness(not_ready_since=T3), Readiness(not_ready_since=T1)).not_ready_since == T1
    assert kept_readiness(Readiness(not_ready_since=T3), Readiness(ready_since=T1)) == Readiness(not_ready_since=T3)
    assert kept_readiness(Readiness(ready_since=T3), UNKNOWN) == Readiness(ready_since=T3)
    assert kept_readiness(UNKNOWN, Readiness(ready_since=T1)) == UNKNOWN


STATES = st.tuples(st.sampled_from([True, False, "Unknown"]), st.sampled_from([T0, T1, T2, T3]))


@given(st.lists(STATES, min_size=1, max_size=4), st.lists(st.sampled_from([T0, T1, T2, T3]), min_size=4, max_size=4))
def test_heartbeats_never_change_what_a_unit_says(states, heartbeats) -> None:
    plain = nodes(*states)
    beating = [
        health_node(f"n{i}", {"site": "a"}, r, s, hb)
        for i, ((r, s), hb) in enumerate(zip(states, heartbeats, strict=False))
    ]
    assert unit_readiness(beating) == unit_readiness(plain)
    found = unit_readiness(plain)
    assert found.dark == (not any(r is True for r, _ in states))


ANY_STATES = st.tuples(st.sampled_from([True, False, "Unknown"]), st.sampled_from([T0, T1, T2, T3, None, "soon"]))


class Unread(dict):
    """A Node that must not be read."""

    def get(self, key, default=None):
        raise AssertionError("read a Node after the first Ready one")


@given(st.lists(ANY_STATES, max_size=5))
def test_without_the_earliest_time_nodes_are_read_until_a_ready_one(states) -> None:
    """Online or dark, and since when dark, are the same; an online unit is online since a Ready Node's time,
    and the Nodes after the first Ready one (with a readable time) are not read."""
    full = unit_readiness(nodes(*states))
    first = unit_readiness(nodes(*states), earliest=False)
    assert (first.dark, first.not_ready_since, first.ready_since is None) == (
        full.dark,
        full.not_ready_since,
        full.ready_since is None,
    )
    ready_times = [since for ready, since in states if ready is True and since in (T0, T1, T2, T3)]
    assert first.ready_since == (ready_times[0] if ready_times else None)
    if ready_times:
        assert unit_readiness([*nodes(*states), Unread()], earliest=False) == first
