"""Watching every hook call from the HTTP shell: one JSON log line and the Prometheus metrics.

The pure hooks stay unaware of it: :func:`observed_view` wraps the hook to note
what it was asked (parent namespace/name) and answered (units, children,
``Synced=False``), and wraps the view to time it and read the HTTP status.
Reading those facts is best effort on plain dicts; anything unexpected is
simply left out. Recording metrics and the log line after the answer is
guarded (a failure there is logged and swallowed); reading the facts runs
inside the hook call and is written so as not to raise.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import Response, request

from hooks.server import metrics

Hook = Callable[[object, str], dict]

log = logging.getLogger("hooks.calls")

OUTCOME_LEVELS = {
    "ok": logging.INFO,
    "not_synced": logging.WARNING,
    "client_error": logging.WARNING,
    "busy": logging.WARNING,
    "server_error": logging.ERROR,
}


def hook_name(path: str) -> str:
    """``/deploymentgrid/sync`` -> ``deploymentgrid/sync``: the ``hook`` label and log field."""
    return path.strip("/")


@dataclass
class HookCall:
    """What one call was about and what it answered, filled in as the call goes."""

    hook: str
    facts: dict[str, object] = field(default_factory=dict)

    def wrap(self, hook: Hook) -> Hook:
        def noted(payload: object, now: str) -> dict:
            self.facts.update(request_facts(payload))
            result = hook(payload, now)
            self.facts.update(response_facts(result))
            return result

        return noted

    def finish(self, status: int, seconds: float, request_bytes: int | None) -> None:
        outcome = outcome_of(status, self.facts)
        fields = {
            "hook": self.hook,
            "namespace": self.facts.get("namespace"),
            "name": self.facts.get("name"),
            "units": self.facts.get("units"),
            "children": self.facts.get("children"),
            "outcome": outcome,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "request_bytes": request_bytes,
            "pid": os.getpid(),  # the gunicorn worker: ties a line to worker restarts in gunicorn's own log
        }
        if self.facts.get("reason"):
            fields["reason"] = self.facts["reason"]
        metrics.observe(self.hook, outcome, seconds, request_bytes, _int(fields["units"]), _int(fields["children"]))
        log.log(OUTCOME_LEVELS[outcome], "hook call", extra={"fields": fields})


def observed_view(path: str, hook: Hook, serve: Callable[[Hook], Response]) -> Callable[[], Response]:
    """A Flask view that serves ``hook`` through ``serve`` (the HTTP shell's handler) and observes the call."""
    name = hook_name(path)

    def view() -> Response:
        call = HookCall(name)
        start = time.perf_counter()
        response = serve(call.wrap(hook))
        try:
            call.finish(response.status_code, time.perf_counter() - start, request.content_length)
        except Exception:
            log.exception("could not record metrics and log line for %s", name)
        return response

    return view


def outcome_of(status: int, facts: Mapping[str, object]) -> str:
    if status == 503:
        return "busy"
    if status >= 500:
        return "server_error"
    if status >= 400:
        return "client_error"
    return "not_synced" if facts.get("reason") else "ok"


def request_facts(payload: object) -> dict[str, object]:
    """Namespace and name of the request's parent (``object`` for decorator hooks)."""
    if not isinstance(payload, Mapping):
        return {}
    obj = payload.get("parent") or payload.get("object")
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    if not isinstance(meta, Mapping):
        return {}
    return {k: meta[k] for k in ("namespace", "name") if isinstance(meta.get(k), str)}


def response_facts(result: object) -> dict[str, object]:
    """``units`` (status.units), ``children`` (how many) and the ``Synced=False`` reason of an answer."""
    if not isinstance(result, Mapping):
        return {}
    facts: dict[str, object] = {}
    status = result.get("status")
    if isinstance(status, Mapping):
        if _int(status.get("units")) is not None:
            facts["units"] = status["units"]
        for cond in status.get("conditions") or []:
            if isinstance(cond, Mapping) and cond.get("type") == "Synced" and cond.get("status") == "False":
                facts["reason"] = cond.get("reason") or "NotSynced"
    if isinstance(result.get("children"), list):
        facts["children"] = len(result["children"])
    return facts


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
