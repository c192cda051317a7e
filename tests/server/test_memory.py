"""The memory arithmetic of docs/performance.md (hooks.server.memory) and the warning it gives at start."""

from __future__ import annotations

import pytest

from hooks.server import memory
from hooks.server.settings import DEFAULT_MAX_REQUEST_BYTES

MiB = 2**20


def test_the_defaults_fit_the_shipped_limit():
    assert memory.needed(2, DEFAULT_MAX_REQUEST_BYTES) <= 768 * MiB


def test_a_worker_holds_its_bodies_and_one_working_set():
    large = 512 * MiB
    assert memory.worker_peak(large) == memory.IDLE_WORKER + large + int(0.8 * large)
    small = MiB  # a full decode of empty objects costs more than the reduced path of such a small body
    assert memory.worker_peak(small) == memory.IDLE_WORKER + small + memory.FULL_DECODE_PEAK


def test_a_limit_below_the_need_is_named_in_one_line():
    need = memory.needed(4, DEFAULT_MAX_REQUEST_BYTES)
    warning = memory.shortfall(4, DEFAULT_MAX_REQUEST_BYTES, 512 * MiB)
    assert "HOOKS_WORKERS=4" in warning and f"{need / MiB:.0f} MiB" in warning and "\n" not in warning
    assert memory.shortfall(4, DEFAULT_MAX_REQUEST_BYTES, need) is None
    assert memory.shortfall(4, DEFAULT_MAX_REQUEST_BYTES, None) is None


@pytest.mark.parametrize(
    ("v2", "v1", "limit"),
    [
        ("805306368\n", None, 805306368),
        ("max\n", None, None),
        (None, "9223372036854771712\n", None),
        (None, "1024", 1024),
    ],
)
def test_the_container_limit_is_read_from_cgroup_v2_then_v1(tmp_path, v2, v1, limit):
    paths = (tmp_path / "memory.max", tmp_path / "memory.limit_in_bytes")
    for path, text in zip(paths, (v2, v1), strict=True):
        if text is not None:
            path.write_text(text)
    assert memory.container_limit(paths) == limit
