"""Times as the hooks write them into annotations and conditions: UTC, whole seconds, ``YYYY-MM-DDThh:mm:ssZ``.

Every clock the hooks use is the ``now`` string the HTTP layer passes in; these helpers only read and compare
such strings, so the hook functions stay pure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_time(value: object) -> datetime | None:
    """The time ``value`` names, or None when it is not a time in TIME_FORMAT (an edited annotation, say)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def seconds_to_earliest_deadline(starts: Iterable[object], length: int, now: str) -> int | None:
    """Seconds (at least 1) until the first of ``length``-second periods begun at ``starts`` ends, so that a
    hook can ask Metacontroller to resync right then (``resyncAfterSeconds``); None when none can be read."""
    current = parse_time(now)
    times = [t for t in (parse_time(s) for s in starts) if t is not None]
    if current is None or not times:
        return None
    return max(1, math.ceil(min(length - (current - t).total_seconds() for t in times)))
