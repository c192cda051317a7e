"""The files of prometheus_client's multiprocess mode: dead workers' samples folded into one archive per type.

Each worker writes its samples to ``<type>_<pid>.db`` in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds up
every ``*.db`` file there, so a counter keeps what a dead worker counted. prometheus_client never removes those
files: with one pair per worker that ever lived, a server whose workers are restarted now and then fills the
directory (an in-memory emptyDir of 32 MiB held about 580 dead workers).

So when a worker dies, the master adds the values of every dead worker's counter, histogram and summary files,
key by key, into ``<type>_archive.db`` and removes them: the directory then holds the archive and the live
workers' files, and every total stays what it was. The fold and every scrape take a lock file in the directory
(exclusive and shared): a scrape sees the files before the fold or after it, never a dead worker's samples
twice or not at all, so totals never go backwards. Gauges are left to prometheus_client's own
``mark_process_dead`` (this server has none).
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections import defaultdict
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict

log = logging.getLogger("hooks.metrics")

ADDITIVE_TYPES = ("counter", "histogram", "summary")
ARCHIVE = "archive"
LOCK_FILE = ".lock"  # not *.db: prometheus_client reads only those
LOCK_WAIT_SECONDS = 5.0


class LockTimeout(Exception):
    pass


@contextmanager
def locked(directory: str | Path, exclusive: bool, wait: float | None = None) -> Iterator[None]:
    """Hold the directory's lock file (shared to read the files, exclusive to fold them) for the block.

    Waits at most ``wait`` seconds (default LOCK_WAIT_SECONDS), else LockTimeout: the lock is held for
    milliseconds, and a process that dies holding it releases it with its file descriptors.
    """
    wait = LOCK_WAIT_SECONDS if wait is None else wait
    fd = os.open(os.path.join(directory, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"{directory}: lock busy for {wait:g} s") from None
                time.sleep(0.005)
        yield
    finally:
        os.close(fd)  # releases the lock


def owner(name: str) -> tuple[str, str] | None:
    """``("counter", "1234")`` for ``counter_1234.db``; None for other names (the lock, gauges' mode files)."""
    stem, dot, ext = name.rpartition(".")
    kind, sep, who = stem.partition("_")
    if not (dot and sep) or ext != "db" or kind not in ADDITIVE_TYPES:
        return None
    return kind, who


def dead_files(directory: str | Path, live: Collection[int]) -> dict[str, list[Path]]:
    """Per type, the files of workers that are not in ``live`` (the archive excluded)."""
    found: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(Path(directory).iterdir()):
        kind_who = owner(path.name)
        if kind_who and kind_who[1].isdigit() and int(kind_who[1]) not in live:
            found[kind_who[0]].append(path)
    return found


def fold_dead_workers(directory: str | Path, live: Collection[int]) -> int:
    """Fold the files of every worker not in ``live`` into the archives; how many files were folded.

    A fold that cannot take the lock, or fails, leaves the files where they are, counted as before; the next
    worker's exit folds them.
    """
    try:
        with locked(directory, exclusive=True):
            folded = 0
            for kind, paths in dead_files(directory, live).items():
                _fold(Path(directory), kind, paths)
                folded += len(paths)
            return folded
    except (LockTimeout, OSError, RuntimeError) as err:  # RuntimeError: prometheus_client's corrupt-file check
        log.warning("could not fold dead workers' metrics files in %s: %s", directory, err)
        return 0


def _fold(directory: Path, kind: str, paths: list[Path]) -> None:
    """Write archive + ``paths`` to a new archive, swap it in, then remove ``paths`` (under the lock)."""
    archive = directory / f"{kind}_{ARCHIVE}.db"
    totals: dict[str, float] = defaultdict(float)
    for path in [archive, *paths] if archive.exists() else paths:
        for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(path)):
            totals[key] += value
    staging = directory / f"{kind}_{ARCHIVE}.db.new"
    staging.unlink(missing_ok=True)
    written = MmapedDict(str(staging))
    try:
        for key, value in totals.items():
            written.write_value(key, value, 0.0)
    finally:
        written.close()
    os.replace(staging, archive)
    for path in paths:
        path.unlink()


def clear(directory: str | Path) -> None:
    """Remove every metrics file (a restarted server counts from zero), archives and unfinished folds included."""
    for path in Path(directory).iterdir():
        if path.name.endswith((".db", ".db.new")):
            path.unlink()
