"""The HTTP shell: routes Metacontroller's POSTs to the pure hook functions.

Everything here is transport: size limits, content type, JSON decoding, the
clock, error-to-status mapping and logging. No hook logic lives here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from functools import partial

from flask import Flask, Response, request

from hooks.grids.grid_kinds import GRID_KINDS, customize_route, sync_route
from hooks.kube.errors import RequestError
from hooks.kube.times import TIME_FORMAT
from hooks.nodegroups import nodegroup
from hooks.protocol import codec
from hooks.server import logs, metrics, observe
from hooks.server.body import Refusal, received
from hooks.server.capacity import COMPUTATION, BodyBudget, stop_reading
from hooks.server.fast_decode import Decoder, decoder_for
from hooks.server.route_reads import route_reads
from hooks.server.settings import allowed_uniq_keys, max_request_bytes, read_timeout
from hooks.sites import node_summary, node_zone
from hooks.sites.site_spec import ANY_KEY, AllowedKeys

log = logging.getLogger("hooks")

Hook = Callable[[object, str], dict]
Receive = Callable[[], AbstractContextManager[bytes | bytearray]]


def hook_table(allowed: AllowedKeys = ANY_KEY) -> dict[str, Hook]:
    """URL path -> pure function ``(request, now) -> response``. The manifests must use these paths.

    ``allowed`` (HOOKS_ALLOWED_UNIQ_KEYS) goes to every grid and NodeGroup hook; the node zone decorator's key
    is the installation's own (docs/security.md).
    """
    table: dict[str, Hook] = {}
    for kind, grid in GRID_KINDS.items():
        table[sync_route(kind)] = lambda req, now, sync=grid.sync: sync(req, now, allowed)
        table[customize_route(kind)] = lambda req, now, customize=grid.customize: customize(req, allowed)
    table["/nodegroup/sync"] = lambda req, now: nodegroup.sync(req, now, allowed)
    table["/nodegroup/customize"] = lambda req, now: nodegroup.customize(req, allowed)
    table["/nodezone/sync"] = lambda req, now: logged(node_zone.sync(req))
    table["/nodesummary/sync"] = lambda req, now: node_summary.sync(req)
    table["/nodeready/sync"] = lambda req, now: node_summary.mark(req)
    return table


def logged(answer: node_zone.ZoneAnswer) -> dict:
    """Log what the pure hook asked to be logged, and answer with its response."""
    for warning in answer.warnings:
        log.warning("%s %s", request.path, warning)
    return answer.response


def utc_now() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


def json_response(body: object, status: int = 200) -> Response:
    return Response(codec.dumps(body), status=status, mimetype="application/json")


def error_response(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


def handle(hook: Hook, decode: Decoder, clock: Callable[[], str], receive: Receive) -> Response:
    """One hook call: the body is received outside the computation lock (a slow client holds a thread and
    its share of the body budget, nothing else), then decoded, computed and encoded under it."""
    if request.mimetype != "application/json":
        stop_reading(request.environ.get("gunicorn.socket"))  # the body will not be read: close after the answer
        return error_response(415, "Content-Type must be application/json")
    try:
        with receive() as body, COMPUTATION.running():
            return compute(hook, decode, clock, body)
    except Refusal as err:
        return error_response(err.status, err.message)


def compute(hook: Hook, decode: Decoder, clock: Callable[[], str], body: bytes | bytearray) -> Response:
    try:
        payload = decode(body)
    except RequestError as err:
        return error_response(400, str(err))
    try:
        return json_response(hook(payload, clock()))
    except RequestError as err:
        return error_response(400, str(err))
    except Exception:
        log.exception("hook %s failed for parent %s", request.path, parent_ref(payload))
        return error_response(500, "internal error in hook; Metacontroller will retry and change nothing")


def parent_ref(payload: object) -> str:
    """``namespace/name`` of the request's parent (or object), for log lines; best effort."""
    facts = observe.request_facts(payload)
    return "/".join(str(facts[k]) for k in ("namespace", "name") if facts.get(k)) or "?"


def create_app(
    clock: Callable[[], str] = utc_now, max_bytes: int | None = None, allowed: AllowedKeys | None = None
) -> Flask:
    """Build the app; ``clock``, ``max_bytes`` and ``allowed`` are injectable so tests control them.

    Left out, ``max_bytes`` and ``allowed`` come from the environment (hooks.server.settings).
    ``max_bytes`` (HOOKS_MAX_REQUEST_BYTES) is the largest body and also this process's budget of bodies held
    at once: with one hook computation at a time, a worker's memory is bounded by its idle size, that budget
    and one computation's working set (docs/performance.md, Memory).
    """
    app = Flask("hooks")
    logs.configure()
    limit = max_bytes if max_bytes is not None else max_request_bytes(os.environ)
    budget = BodyBudget(limit)
    timeout = read_timeout(os.environ)

    def receive() -> AbstractContextManager[bytes | bytearray]:
        return received(limit, budget, timeout)

    hooks = hook_table(allowed if allowed is not None else allowed_uniq_keys(os.environ))
    reads = route_reads()
    for path, hook in hooks.items():
        serve = partial(handle, decode=decoder_for(reads.get(path)), clock=clock, receive=receive)
        app.add_url_rule(path, endpoint=path, view_func=observe.observed_view(path, hook, serve), methods=["POST"])
    metrics.declare(observe.hook_name(path) for path in hooks)
    app.add_url_rule("/healthz", endpoint="healthz", view_func=lambda: json_response({"ok": True}))
    app.add_url_rule("/metrics", endpoint="metrics", view_func=metrics_response)
    return app


def metrics_response() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


app = create_app()
