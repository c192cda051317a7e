"""Folding dead workers' metrics files (hooks.server.metric_files), on files written as prometheus_client does."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

from hooks.server import metric_files

CALLS = mmap_key("calls_total", "calls_total", ["hook"], ["sync"], "Calls.")
OTHER = mmap_key("calls_total", "calls_total", ["hook"], ["customize"], "Calls.")
BUCKET = mmap_key("seconds", "seconds_bucket", ["hook", "le"], ["sync", "0.5"], "Seconds.")


def write(path: Path, values: dict[str, float]) -> None:
    written = MmapedDict(str(path))
    for key, val in values.items():
        written.write_value(key, val, 0.0)
    written.close()


def read(path: Path) -> dict[str, float]:
    return {key: val for key, val, _, _ in MmapedDict.read_all_values_from_file(str(path))}


def totals(directory: Path) -> dict[tuple, float]:
    """What /metrics would show: prometheus_client's own merge of every *.db file."""
    merged = MultiProcessCollector.merge([str(p) for p in directory.glob("*.db")], accumulate=False)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for metric in merged for s in metric.samples}


@pytest.fixture
def directory(tmp_path):
    write(tmp_path / "counter_11.db", {CALLS: 3, OTHER: 1})
    write(tmp_path / "counter_12.db", {CALLS: 5})
    write(tmp_path / "counter_13.db", {CALLS: 7})  # alive
    write(tmp_path / "counter_archive.db", {CALLS: 100})
    write(tmp_path / "histogram_11.db", {BUCKET: 2})
    write(tmp_path / "gauge_livesum_11.db", {CALLS: 1})
    return tmp_path


def test_dead_workers_are_added_into_the_archive_and_removed(directory):
    before = totals(directory)
    assert metric_files.fold_dead_workers(directory, live={13}) == 3
    names = {p.name for p in directory.glob("*.db")}
    assert names == {"counter_13.db", "counter_archive.db", "histogram_archive.db", "gauge_livesum_11.db"}
    assert read(directory / "counter_archive.db") == {CALLS: 108, OTHER: 1}
    assert read(directory / "histogram_archive.db") == {BUCKET: 2}
    assert totals(directory) == before


def test_nothing_to_fold_changes_nothing(directory):
    metric_files.fold_dead_workers(directory, live={11, 12, 13})
    assert read(directory / "counter_archive.db") == {CALLS: 100}
    assert (directory / "counter_11.db").exists()


def test_a_fold_waits_for_scrapes_and_gives_up_without_touching_anything(directory, caplog):
    with metric_files.locked(directory, exclusive=False):
        with pytest.raises(metric_files.LockTimeout), metric_files.locked(directory, exclusive=True, wait=0.05):
            pass
        with metric_files.locked(directory, exclusive=False, wait=0.05):  # scrapes share the lock
            pass
    with metric_files.locked(directory, exclusive=True), pytest.MonkeyPatch.context() as patch:
        patch.setattr(metric_files, "LOCK_WAIT_SECONDS", 0.05)
        assert metric_files.fold_dead_workers(directory, live={13}) == 0
    assert (directory / "counter_11.db").exists() and read(directory / "counter_archive.db") == {CALLS: 100}
    assert "could not fold" in caplog.text


def test_only_additive_files_of_workers_are_owned():
    assert metric_files.owner("counter_123.db") == ("counter", "123")
    assert metric_files.owner("histogram_archive.db") == ("histogram", "archive")
    assert metric_files.owner("gauge_livesum_123.db") is None
    assert metric_files.owner(".lock") is None
    assert metric_files.owner("counter_archive.db.new") is None


def test_clear_removes_every_metrics_file(directory):
    (directory / "counter_archive.db.new").write_bytes(b"")
    metric_files.clear(directory)
    assert not list(directory.glob("*.db*"))


def test_a_scrape_skips_a_file_a_starting_worker_has_not_sized_yet(directory, monkeypatch):
    from hooks.server import metrics

    (directory / "counter_99.db").write_bytes(b"")  # prometheus_client opens it empty, then truncates it
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    text, _ = metrics.exposition()
    assert b'calls_total{hook="sync"} 115.0' in text
