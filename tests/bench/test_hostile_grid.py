"""The hostile-grid benchmark stays runnable (at a tiny size; nothing timed)."""

from bench import hostile_grid


def test_measure_and_table_at_a_tiny_size():
    rows = hostile_grid.measure(units=2, copies=20, repeat=1)
    assert [(r["grid"], r["reason"]) for r in rows] == [
        ("normal", "Synced"),
        ("hostile", "ChildTooLarge"),
        ("busiest", "Synced"),  # rendered; the observed children carry the previous stamps: applying, not named
    ]
    assert all(r["worker_peak_mb"] > 0 and r["round_trip_ms"] > 0 for r in rows)
    assert "| 2 | hostile | ChildTooLarge |" in hostile_grid.table(rows)
