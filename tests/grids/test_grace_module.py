"""The grace-period arithmetic on its own (the sync-level behaviour is tested in test_grace.py)."""

from hooks.grids.grace import MISSING_SINCE, deadline, departing_units, mark_departing, resync_after


def child(unit, since=None):
    meta = {"name": f"web-{unit}", "labels": {"site": unit}}
    if since:
        meta["annotations"] = {MISSING_SINCE: since}
    return {"metadata": meta}


T0 = "2026-01-01T00:00:00Z"


def NAME(unit):
    return f"web-{unit}"


def test_only_the_units_own_child_counts():
    shared = {"metadata": {"name": "web-svc", "labels": {"site": "b"}}}
    assert departing_units([shared], "site", [], 60, T0, NAME) == {}


def test_a_mark_in_the_future_restarts_the_clock():
    assert departing_units([child("a", "9999-01-01T00:00:00Z")], "site", [], 60, T0, NAME) == {"a": T0}


def test_no_grace_means_nothing_departs():
    assert departing_units([child("a")], "site", [], 0, T0, NAME) == {}


def test_first_seen_missing_now_then_counted_from_annotation():
    assert departing_units([child("a"), child("b")], "site", ["b"], 60, T0, NAME) == {"a": T0}
    later = "2026-01-01T00:00:59Z"
    assert departing_units([child("a", T0)], "site", [], 60, later, NAME) == {"a": T0}
    assert departing_units([child("a", T0)], "site", [], 60, "2026-01-01T00:01:00Z", NAME) == {}


def test_unparsable_annotation_restarts_the_clock():
    assert departing_units([child("a", "yesterday")], "site", [], 60, T0, NAME) == {"a": T0}


def test_resync_after_earliest_deadline():
    now = "2026-01-01T00:00:30Z"
    assert resync_after({"a": T0, "b": now}, 60, now) == 30
    assert resync_after({}, 60, now) is None
    assert deadline(T0, 90) == "2026-01-01T00:01:30Z"


def test_mark_departing_copies():
    original = child("a")
    marked = mark_departing(original, T0)
    assert marked["metadata"]["annotations"] == {MISSING_SINCE: T0}
    assert "annotations" not in original["metadata"]
