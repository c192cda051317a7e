"""Replicas answer alike: the same request gives the same bytes in processes with different hash seeds.

Inside one process a set of strings iterates in one order every time, so comparing two answers there proves
little; two hook-server replicas (or a restart) have different ``PYTHONHASHSEED`` values. The answers of
tests/support/determinism.py (every route, and ``servicegroup render`` of the examples) are computed here in
three processes and compared byte for byte, and with this process's own answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.determinism import answers

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ("0", "1", "4242")


def answers_in_a_process(seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.determinism"], env=env, capture_output=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_the_same_requests_give_the_same_bytes_whatever_the_hash_seed():
    here = b"".join(what.encode() + b"\n" + body + b"\n" for what, body in answers())
    for seed in SEEDS:
        assert answers_in_a_process(seed) == here, f"PYTHONHASHSEED={seed} answered differently"


def test_the_requests_reach_the_paths_that_name_units_in_order():
    """Messages and lists that name several units, where an unsorted set would show its order."""
    text = b"".join(body for _, body in answers()).decode()
    for reason in ("UnitErrors", "ChildrenNotApplied", "UnitsWithoutNodeUnit", "Progressing", "UnitsNotReady"):
        assert f'"reason":"{reason}"' in text, reason
    assert '"notReadyWorkloads"' in text and '"removalAt"' in text and '"unmatchedOverrideUnits"' not in text
