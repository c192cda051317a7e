"""What a worker holds at once (hooks.server.capacity) and how a body is received (hooks.server.body)."""

from __future__ import annotations

import io
import socket
import threading
import time

import pytest

from hooks.server import body as body_module
from hooks.server.body import Deadline, Refusal, read_body, read_exactly, read_to_end
from hooks.server.capacity import Arrivals, BodyBudget, Computation
from tests.support.builders import grid, post, site_nodes, sync_request

LATER = float("inf")


def in_thread(fn) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    return thread, out


def test_the_budget_lets_bodies_in_while_they_fit():
    budget = BodyBudget(100)
    assert budget.reserve(60, LATER) and budget.reserve(40, LATER) and budget.used == 100
    assert not budget.reserve(1, time.monotonic())  # full, and no time to wait
    budget.release(40)
    assert budget.reserve(30, time.monotonic()) and budget.used == 90


def test_a_body_larger_than_the_whole_budget_is_refused_at_once():
    assert not BodyBudget(100).reserve(101, LATER)


def test_a_waiting_body_gets_room_when_another_is_done():
    budget = BodyBudget(100)
    budget.reserve(80, LATER)
    thread, got = in_thread(lambda: budget.reserve(50, time.monotonic() + 30))
    time.sleep(0.1)
    assert thread.is_alive() and not got
    budget.release(80)
    thread.join(10)
    assert got == [True] and budget.used == 50


def test_waiters_are_served_in_order_so_a_large_body_is_not_starved():
    budget = BodyBudget(100)
    budget.reserve(60, LATER)
    large, got_large = in_thread(lambda: budget.reserve(90, time.monotonic() + 30))
    time.sleep(0.1)
    assert not budget.reserve(10, time.monotonic() + 0.2)  # it would fit, but the large one is first
    budget.release(60)
    large.join(10)
    assert got_large == [True] and budget.used == 90


def test_held_releases_what_it_reserved():
    budget = BodyBudget(10)
    with budget.held(10, LATER) as granted:
        assert granted and budget.used == 10
    assert budget.used == 0
    budget.reserve(10, LATER)
    with budget.held(5, time.monotonic()) as granted:
        assert not granted
    assert budget.used == 10


def test_computation_reports_when_the_running_one_began():
    computation = Computation()
    assert computation.since is None
    with computation.running():
        assert time.monotonic() - computation.since < 5
    assert computation.since is None


def test_arrivals_cut_only_late_requests_of_each_thread():
    arrivals, cut = Arrivals(), []
    arrivals.begin(0, lambda: cut.append("late"))
    late_thread, _ = in_thread(lambda: arrivals.begin(60, lambda: cut.append("on time")))
    late_thread.join(10)
    assert arrivals.deadline() <= time.monotonic()
    assert arrivals.cut_late(time.monotonic()) == 1 and cut == ["late"]
    assert arrivals.deadline() is None and arrivals.cut_late(time.monotonic() + 59) == 0
    arrivals.end()  # nothing left for this thread: no error


@pytest.fixture
def connection():
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def test_a_body_that_stops_arriving_is_408_at_its_deadline(connection):
    ours, theirs = connection
    theirs.sendall(b"{" * 10)
    started = time.monotonic()
    with pytest.raises(Refusal) as refused:
        read_body(ours.makefile("rb"), 100, 1000, Deadline(time.monotonic() + 0.3, ours))
    assert refused.value.status == 408 and time.monotonic() - started < 10
    ours.settimeout(5)
    assert ours.recv(1) == b""  # our receiving side is shut: gunicorn will close rather than drain


def test_the_answer_gets_a_write_timeout_once_the_body_is_read(connection):
    ours, theirs = connection
    theirs.sendall(b"{}")
    assert read_body(ours.makefile("rb"), 2, 10, Deadline(time.monotonic() + 5, ours, write_timeout=7)) == b"{}"
    assert ours.gettimeout() == 7


def test_a_body_cut_by_the_worker_after_its_deadline_is_408():
    class Trickle(io.RawIOBase):
        def read(self, size=-1):
            time.sleep(0.2)
            return b""  # the worker shut the connection: end of data, too early

    with pytest.raises(Refusal) as refused:
        read_exactly(Trickle(), 100, Deadline(time.monotonic() + 0.1, None))
    assert refused.value.status == 408


def test_a_body_whose_client_left_early_is_returned_short():
    assert read_exactly(io.BytesIO(b"{}"), 10, Deadline(LATER, None)) == b"{}"


def test_a_chunked_body_is_read_to_its_end_within_the_limit():
    assert read_to_end(io.BytesIO(b"x" * 10), 10, Deadline(LATER, None)) == b"x" * 10
    with pytest.raises(Refusal) as refused:
        read_to_end(io.BytesIO(b"x" * 11), 10, Deadline(LATER, None))
    assert refused.value.status == 413


def test_a_full_budget_until_the_deadline_is_503_busy(client, monkeypatch):
    monkeypatch.setattr(BodyBudget, "reserve", lambda self, size, deadline: False)
    resp = post(client, "/deploymentgrid/sync", sync_request(grid(), site_nodes(a=1)))
    assert resp.status_code == 503 and "Metacontroller retries" in resp.get_json()["error"]


def test_the_deadline_of_a_request_without_a_worker_is_the_read_timeout(client, monkeypatch):
    deadlines = []
    real = body_module.read_body

    def spy(stream, length, limit, deadline):
        deadlines.append(deadline.at - time.monotonic())
        return real(stream, length, limit, deadline)

    monkeypatch.setattr(body_module, "read_body", spy)
    monkeypatch.setenv("HOOKS_READ_TIMEOUT", "7")
    from hooks.server.app import create_app

    resp = post(create_app().test_client(), "/deploymentgrid/sync", sync_request(grid(), site_nodes(a=1)))
    assert resp.status_code == 200 and 6 < deadlines[0] <= 7
