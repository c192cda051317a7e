"""The gunicorn worker class of the hook server: gunicorn's threaded worker, with two changes.

gunicorn's ``gthread`` worker accepts connections in its main loop and serves each in a pool thread
(``HOOKS_THREADS`` per worker), so requests that arrive slowly occupy threads, not the whole worker, and a
health probe still finds one. Connections that send nothing are parked in the main loop's poller by
gunicorn itself; a request whose headers or body stop half-way would hold its thread for as long as the
client keeps the connection open. Hence:

- **A deadline for every request to arrive.** Each connection handed to a thread must deliver its request
  (headers and body) within ``HOOKS_READ_TIMEOUT`` seconds. The main loop, which wakes at least once a second,
  cuts the receiving side of late connections (:func:`hooks.server.capacity.stop_reading`): a thread blocked
  on them returns at once, and a body still arriving is answered 408 by the app.
- **``HOOKS_TIMEOUT`` keeps its meaning.** The master restarts a worker whose heartbeat is older than the
  timeout. The threaded worker beats from its main loop, which keeps running while a pool thread computes, so
  a hook stuck for minutes would never be stopped. Here the heartbeat reports the start of the running hook
  computation instead of now, so a computation longer than the timeout gets its worker restarted, as with
  one-request-at-a-time workers.
"""

from __future__ import annotations

import os
import time

from gunicorn.workers.gthread import TConn, ThreadWorker

from hooks.server.capacity import ARRIVALS, COMPUTATION, stop_reading
from hooks.server.settings import read_timeout


class HookWorker(ThreadWorker):
    """``gthread`` with a deadline for each request to arrive and a heartbeat that stops during long hooks."""

    def init_process(self) -> None:
        self.read_timeout = read_timeout(os.environ)
        super().init_process()

    def handle(self, conn: TConn) -> object:
        """Serve one request (or park a silent connection), cut if it has not arrived by its deadline."""
        ARRIVALS.begin(self.read_timeout, lambda: stop_reading(conn.sock))
        try:
            return super().handle(conn)
        finally:
            ARRIVALS.end()

    def notify(self) -> None:
        """The heartbeat, from the main loop: also the moment to cut requests that have not arrived in time."""
        ARRIVALS.cut_late(time.monotonic())
        since = COMPUTATION.since
        if since is None:
            super().notify()
        else:  # gunicorn's heartbeat file holds a time.monotonic() value as its modification time
            os.utime(self.tmp.fileno(), (since, since))
