"""Structured logs: every record of the ``hooks`` loggers is one JSON object on one line (stderr).

Log pipelines (Loki, Elasticsearch, Cloud Logging) index the fields without
parsing prose. The level comes from ``HOOKS_LOG_LEVEL`` (debug, info, warning,
error; default info), the same variable that sets gunicorn's own level.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

LOGGER = "hooks"
LEVEL_ENV = "HOOKS_LOG_LEVEL"
DEFAULT_LEVEL = logging.INFO


class JsonFormatter(logging.Formatter):
    """``time``, ``level``, ``logger``, ``message``, the record's ``fields`` and any exception, as JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


def level_from_env(environ: dict[str, str] | None = None) -> tuple[int, str | None]:
    """The configured level, and a complaint when the variable holds something that is not a level."""
    raw = (environ if environ is not None else os.environ).get(LEVEL_ENV, "").strip()
    if not raw:
        return DEFAULT_LEVEL, None
    level = logging.getLevelNamesMapping().get(raw.upper())
    if level is None:
        return DEFAULT_LEVEL, f"{LEVEL_ENV}={raw!r} is not a log level; using info"
    return level, None


def configure() -> logging.Logger:
    """Give the ``hooks`` logger one JSON handler on stderr (idempotent) and the configured level."""
    logger = logging.getLogger(LOGGER)
    if not any(getattr(h, "_hooks_json", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._hooks_json = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    level, complaint = level_from_env()
    logger.setLevel(level)
    if complaint:
        logger.warning(complaint)
    return logger
