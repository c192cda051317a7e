"""What one worker process holds at once: request bodies, one hook computation, and requests still arriving.

A threaded gunicorn worker (hooks/server/worker.py) serves many connections at once, so that slow clients
cannot take every place a health probe could use. Memory must not grow with them:

- :class:`BodyBudget` -- request bodies held at once, reserved at their ``Content-Length`` before a byte is
  read (``bytearray(n)`` writes every page at once). A request that finds the budget taken waits for room in
  arrival order until its read deadline, then is refused (503): that is what a request waited for in the
  listen queue of a one-request-at-a-time worker, and Metacontroller retries a refused call.
- :data:`COMPUTATION` -- one hook computation (decode, hook, encode) at a time: the GIL runs one anyway, and
  memory then holds one hook's working set, whatever the number of threads. It remembers when the running
  computation began, which the worker reports as its heartbeat so that ``HOOKS_TIMEOUT`` still restarts a
  worker stuck in one.
- :data:`ARRIVALS` -- the moment by which each thread's request must have arrived (headers and body); the
  worker's main loop cuts the connections of those still arriving after it, and the body reader stops at it.

Module-level, because each exists once per worker process and is shared by the worker class and the app.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress


class BodyBudget:
    """At most ``total`` bytes of request bodies reserved at once; waiters are served first come, first served."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0
        self._changed = threading.Condition()
        self._queue: deque[object] = deque()

    def reserve(self, size: int, deadline: float) -> bool:
        """Wait until ``size`` bytes fit (and every earlier waiter is served), at most until ``deadline``."""
        if size > self.total:
            return False
        with self._changed:
            ticket = object()
            self._queue.append(ticket)
            try:
                while self._queue[0] is not ticket or self.used + size > self.total:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._changed.wait(remaining)
                self.used += size
                return True
            finally:
                self._queue.remove(ticket)
                self._changed.notify_all()

    def release(self, size: int) -> None:
        with self._changed:
            self.used -= size
            self._changed.notify_all()

    @contextmanager
    def held(self, size: int, deadline: float) -> Iterator[bool]:
        """``with budget.held(n, deadline) as granted:`` -- the reservation lasts until the block ends."""
        granted = self.reserve(size, deadline)
        try:
            yield granted
        finally:
            if granted:
                self.release(size)


class Computation:
    """One hook computation at a time in this process, and when the running one began."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.since: float | None = None
        """``time.monotonic()`` at the start of the running computation; None when none runs."""

    @contextmanager
    def running(self) -> Iterator[None]:
        with self._lock:
            self.since = time.monotonic()
            try:
                yield
            finally:
                self.since = None


class Arrivals:
    """Per thread, the deadline of the request it is receiving, and how to cut that request's connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, tuple[float, Callable[[], None]]] = {}

    def begin(self, seconds: float, cut: Callable[[], None]) -> None:
        """The calling thread starts receiving a request that must have arrived within ``seconds``."""
        with self._lock:
            self._open[threading.get_ident()] = (time.monotonic() + seconds, cut)

    def deadline(self) -> float | None:
        """The calling thread's deadline, if it is receiving a request under a worker that set one."""
        entry = self._open.get(threading.get_ident())
        return entry[0] if entry else None

    def end(self) -> None:
        """The calling thread's request has arrived (or its connection is done with)."""
        with self._lock:
            self._open.pop(threading.get_ident(), None)

    def cut_late(self, now: float) -> int:
        """Cut every request still arriving after its deadline; how many were cut."""
        with self._lock:
            late = [ident for ident, (deadline, _) in self._open.items() if deadline <= now]
            cuts = [self._open.pop(ident)[1] for ident in late]
        for cut in cuts:
            cut()
        return len(cuts)


def stop_reading(sock: socket.socket | None) -> None:
    """End the receiving side of a connection: a read blocked on it returns at once, and gunicorn closes the
    connection after the answer instead of draining a body nobody will read. The answer can still be sent.

    ``socket.socket.shutdown`` is called directly so that a TLS socket is shut at its file descriptor, leaving
    its TLS state to the thread that writes the answer.
    """
    if sock is None:
        return
    with suppress(OSError):  # already closed or reset by the client
        socket.socket.shutdown(sock, socket.SHUT_RD)


COMPUTATION = Computation()
ARRIVALS = Arrivals()
