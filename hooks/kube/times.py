"""Times as the hooks write them into annotations and conditions: UTC, whole seconds, ``YYYY-MM-DDThh:mm:ssZ``.

Every clock the hooks use is the ``now`` string the HTTP layer passes in; these helpers only read and compare
such strings, so the hook functions stay pure.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z\Z")


def parse_time(value: object) -> datetime | None:
    """The time ``value`` names, or None when it is not a time in TIME_FORMAT (an edited annotation, say).

    Read by hand rather than with ``strptime``, which takes some 20 us a call: a rollout reads the Ready
    condition's time of every Node (5,000 of them), and Kubernetes writes every time in exactly this form
    (two ASCII digits per field; ``strptime`` would also take one).
    """
    if not isinstance(value, str):
        return None
    return _parse(value)


@functools.lru_cache(maxsize=4096)
def _parse(value: str) -> datetime | None:
    match = TIME.match(value)
    if match is None:
        return None
    try:
        return datetime(*map(int, match.groups()), tzinfo=UTC)
    except ValueError:  # 2026-02-30, 25:00:00
        return None


def seconds_to_earliest_deadline(starts: Iterable[object], length: int, now: str) -> int | None:
    """Seconds (at least 1) until the first of ``length``-second periods begun at ``starts`` ends, so that a
    hook can ask Metacontroller to resync right then (``resyncAfterSeconds``); None when none can be read."""
    current = parse_time(now)
    times = [t for t in (parse_time(s) for s in starts) if t is not None]
    if current is None or not times:
        return None
    return max(1, math.ceil(min(length - (current - t).total_seconds() for t in times)))
