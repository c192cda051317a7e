"""Receiving a hook request's body: its size limit, the worker's body budget and the deadline to arrive.

A body is refused (:class:`Refusal`) rather than read when it is larger than ``HOOKS_MAX_REQUEST_BYTES``
(413, decided on ``Content-Length`` before a byte is read), when the worker's budget of bodies held at once
has no room for it before its deadline (503), or when it has not arrived by its deadline (408). After a
refusal the receiving side of the connection is shut (:func:`hooks.server.capacity.stop_reading`), so gunicorn
closes the connection after the answer instead of waiting to drain the rest of the body.

The deadline is the one the worker set when the request's first bytes came in (hooks/server/worker.py), or,
under another server, ``HOOKS_READ_TIMEOUT`` from now. Before each read the socket's timeout is set to the time
left, so a body that stops arriving gets its 408 on time; a body that trickles in is cut by the worker at the
deadline, and answered 408 as well. Writing the answer may then take ``HOOKS_READ_TIMEOUT`` per write.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO

from flask import request

from hooks.server.capacity import ARRIVALS, BodyBudget, stop_reading

READ_CHUNK = 1024 * 1024


class Refusal(Exception):
    """The body is not taken: answer ``status`` with ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@contextmanager
def received(limit: int, budget: BodyBudget, read_timeout: float) -> Iterator[bytes | bytearray]:
    """``with received(...) as body:`` -- the request's body, counted in ``budget`` until the block ends.

    A body without ``Content-Length`` (chunked) is counted at ``limit``, the most it may grow to.
    """
    length = request.content_length
    sock = request.environ.get("gunicorn.socket")
    if length is not None and length > limit:
        refuse(413, f"request body of {length} bytes exceeds the limit of {limit} bytes", sock)
    deadline = ARRIVALS.deadline() or time.monotonic() + read_timeout
    with budget.held(limit if length is None else length, deadline) as granted:
        if not granted:
            refuse(
                503,
                f"request bodies being served fill this worker's {budget.total} bytes; "
                "Metacontroller retries and changes nothing meanwhile",
                sock,
            )
        body = read_body(request.stream, length, limit, Deadline(deadline, sock, write_timeout=read_timeout))
        ARRIVALS.end()
        yield body


def refuse(status: int, message: str, sock: socket.socket | None) -> None:
    stop_reading(sock)
    raise Refusal(status, message)


class Deadline:
    """The moment a body must have arrived by, applied to the connection's socket before each read.

    Once the body is read, the socket keeps a timeout of ``write_timeout`` seconds for each write of the answer
    (None: none), so a client that stops reading cannot hold the thread for ever either.
    """

    def __init__(self, at: float, sock: socket.socket | None, write_timeout: float | None = None) -> None:
        self.at = at
        self.sock = sock
        self.after = write_timeout

    def before_read(self) -> None:
        left = self.at - time.monotonic()
        if left <= 0:
            self.expired()
        if self.sock is not None:
            self.sock.settimeout(left)

    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def expired(self) -> None:
        refuse(408, "request body did not arrive in time (HOOKS_READ_TIMEOUT)", self.sock)

    def restore(self) -> None:
        if self.sock is not None:
            with suppress(OSError):  # the connection is gone: nothing more to read or write
                self.sock.settimeout(self.after)


def read_body(stream: IO[bytes], length: int | None, limit: int, deadline: Deadline) -> bytes | bytearray:
    """The whole body; 408 if it has not arrived by the deadline, 413 if a chunked one grows past ``limit``."""
    try:
        body = read_exactly(stream, length, deadline) if length is not None else read_to_end(stream, limit, deadline)
    except TimeoutError:  # the socket's timeout: nothing arrived before the deadline
        deadline.expired()
    finally:
        deadline.restore()
    return body


def read_exactly(stream: IO[bytes], length: int, deadline: Deadline) -> bytearray:
    """``length`` bytes into one buffer allocated once (fewer if the client went away early).

    Reading the whole body in one call makes gunicorn grow a buffer step by step, and the allocator
    keeps the freed steps: up to ~25 MB more at the worker's peak for a 39 MB body, varying from
    request to request (docs/performance.md).
    """
    body = bytearray(length)
    view = memoryview(body)
    done = 0
    while done < length:
        deadline.before_read()
        chunk = stream.read(min(READ_CHUNK, length - done))
        if not chunk:
            break
        view[done : done + len(chunk)] = chunk
        done += len(chunk)
    view.release()
    if done < length and deadline.passed():  # cut by the worker while trickling in
        deadline.expired()
    del body[done:]
    return body


def read_to_end(stream: IO[bytes], limit: int, deadline: Deadline) -> bytearray:
    """A body of unknown length, up to ``limit`` bytes (413 beyond)."""
    body = bytearray()
    while True:
        deadline.before_read()
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            break
        body += chunk
        if len(body) > limit:
            refuse(413, f"request body of more than {limit} bytes exceeds the limit", deadline.sock)
    return body
