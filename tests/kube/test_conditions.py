"""Condition times: kept while the status stays, moved on a flip, and never before a time already recorded."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from hooks.kube.conditions import condition, transition_time, with_transition_times
from hooks.kube.times import TIME_FORMAT, parse_time

T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z", "2026-01-01T00:00:20Z"


def previous(*conds: tuple[str, str, str]) -> dict:
    return {"conditions": [{"type": t, "status": s, "lastTransitionTime": at} for t, s, at in conds]}


def test_an_unchanged_status_keeps_its_time_and_a_flip_takes_now() -> None:
    old = previous(("Ready", "True", T0), ("Synced", "True", T0))
    ready, synced = with_transition_times(
        [condition("Ready", True, "r", "m"), condition("Synced", False, "s", "m")], old, T2
    )
    assert ready["lastTransitionTime"] == T0 and synced["lastTransitionTime"] == T2


def test_a_flip_is_never_stamped_before_the_newest_time_already_recorded() -> None:
    """A replica whose clock is behind (T1) sees Synced flipped at T2 by another: its flip of Ready gets T2."""
    old = previous(("Ready", "True", T0), ("Synced", "False", T2))
    ready, synced = with_transition_times(
        [condition("Ready", False, "r", "m"), condition("Synced", False, "s", "m")], old, T1
    )
    assert ready["lastTransitionTime"] == T2 and synced["lastTransitionTime"] == T2


def test_unreadable_times_are_ignored_and_a_new_condition_takes_now() -> None:
    old = {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "soon"}, "junk"]}
    (rollout,) = with_transition_times([condition("Rollout", True, "r", "m")], old, T1)
    assert rollout["lastTransitionTime"] == T1
    assert transition_time([], T1) == T1 and with_transition_times([], None, T1) == []


def test_the_first_status_takes_the_creation_time_whatever_the_clock() -> None:
    """Two syncs before the first status is stored (the second on a lagging cache) answer the same time."""
    first = with_transition_times([condition("Synced", True, "s", "m")], None, T1, created=T0)
    again = with_transition_times([condition("Synced", True, "s", "m")], {"conditions": []}, T2, created=T0)
    assert first == again and first[0]["lastTransitionTime"] == T0
    # once a condition is recorded, the creation time plays no part
    (later,) = with_transition_times([condition("Synced", False, "s", "m")], {"conditions": first}, T2, created=T0)
    assert later["lastTransitionTime"] == T2
    # an unreadable creation time falls back to the clock
    assert (
        with_transition_times([condition("Synced", True, "s", "m")], None, T1, created="")[0]["lastTransitionTime"]
        == T1
    )


def stamp(seconds: int) -> str:
    """T0 plus ``seconds``, in the hooks' time format."""
    return (parse_time(T0) + timedelta(seconds=seconds)).strftime(TIME_FORMAT)


TYPES = st.sampled_from(["Ready", "Synced", "Rollout"])


@given(
    st.lists(st.tuples(TYPES, st.booleans(), st.integers(0, 10_000)), max_size=3, unique_by=lambda c: c[0]),
    st.lists(st.tuples(TYPES, st.booleans()), max_size=3, unique_by=lambda c: c[0]),
    st.integers(0, 10_000),
)
def test_a_time_is_kept_or_never_older_than_any_time_recorded_before(old, new, now) -> None:
    before = previous(*((t, "True" if ok else "False", stamp(at)) for t, ok, at in old))
    newest = max((at for _, _, at in old), default=0)
    by_type = {c["type"]: c for c in before["conditions"]}
    for c in with_transition_times([condition(t, ok, "r", "m") for t, ok in new], before, stamp(now)):
        if by_type.get(c["type"], {}).get("status") == c["status"]:
            assert c["lastTransitionTime"] == by_type[c["type"]]["lastTransitionTime"]
        else:
            assert c["lastTransitionTime"] == stamp(max(now, newest))
