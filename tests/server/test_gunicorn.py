"""The server as it runs in a cluster: a real gunicorn process with the repo's config.

Slow and odd clients are raw sockets that send part of a request and stop. Every wait here is bounded by a
generous client timeout: these are functional checks (does it answer at all, with what), not benchmarks
(bench/slow_clients.py measures).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.support.builders import grid, site_nodes, sync_request
from tests.support.service_builders import service_grid, service_sync_request, zone_request

ROOT = Path(__file__).resolve().parents[2]
SYNC = "/deploymentgrid/sync"
PATIENCE = 20.0  # seconds a client waits for any answer below: far above every deadline the servers are given


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with the repo's config on a loopback port; its log goes to ``log``."""

    def __init__(self, log: Path, app: str = "hooks.app:app", **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        full_env = {**os.environ, "HOOKS_BIND": f"127.0.0.1:{self.port}", "HOOKS_WORKERS": "2", **env}
        full_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        cmd = [sys.executable, "-m", "gunicorn", "--config", "python:hooks.server.gunicorn_conf", app]
        with log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, env=full_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=out)
        for _ in range(150):
            if self.proc.poll() is not None:
                pytest.fail("gunicorn exited: " + log.read_text())
            try:
                if requests.get(self.base + "/healthz", timeout=1).ok:
                    return
            except requests.RequestException:  # not listening yet, or its worker still loading the app
                time.sleep(0.1)
        self.stop()
        pytest.fail("gunicorn did not start: " + log.read_text())

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=PATIENCE)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@contextmanager
def gunicorn(tmp_path_factory, **env: str) -> Iterator[Gunicorn]:
    server = Gunicorn(tmp_path_factory.mktemp("gunicorn") / "server.log", **env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def patient(tmp_path_factory):
    """Requests may take 30 s to arrive: half-sent ones hang for the whole test."""
    with gunicorn(tmp_path_factory, HOOKS_MAX_REQUEST_BYTES="4096", HOOKS_READ_TIMEOUT="30") as srv:
        yield srv


@pytest.fixture(scope="module")
def server(patient):
    return patient.base


@pytest.fixture(scope="module")
def impatient(tmp_path_factory):
    """One worker, requests must arrive within 1 s."""
    with gunicorn(tmp_path_factory, HOOKS_WORKERS="1", HOOKS_MAX_REQUEST_BYTES="4096", HOOKS_READ_TIMEOUT="1") as srv:
        yield srv


def half_sent(srv: Gunicorn, declared: int = 1000, sent: int = 10) -> socket.socket:
    """A connection that sent a sync request's headers and ``sent`` of its ``declared`` body bytes."""
    sock = srv.connect()
    headers = f"POST {SYNC} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    sock.sendall(headers.encode() + b"{" * sent)
    return sock


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or PATIENCE runs out)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_sync_through_gunicorn(server):
    resp = requests.post(server + SYNC, json=sync_request(grid(), site_nodes(a=1, b=1)), timeout=10)
    assert resp.status_code == 200
    assert [c["metadata"]["name"] for c in resp.json()["children"]] == ["web-a", "web-b"]


def test_malformed_through_gunicorn(server):
    resp = requests.post(server + SYNC, data=b"{", headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 400 and "error" in resp.json()


def test_size_limit_from_environment(server):
    resp = requests.post(server + SYNC, data=b" " * 5000, headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 413


def test_oversized_body_is_refused_before_it_is_sent(server):
    """The 413 must come from the headers alone: the client announces 1 GB and sends none of it."""
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /deploymentgrid/sync HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413")


def test_servicegrid_and_nodezone_through_gunicorn(server):
    req = service_sync_request(service_grid(), site_nodes(a=1))
    resp = requests.post(server + "/servicegrid/sync", json=req, timeout=10)
    assert [c["metadata"]["name"] for c in resp.json()["children"]] == ["web-svc", "web-svc-a"]
    resp = requests.post(server + "/nodezone/sync", json=zone_request({"site": "a"}, key=None), timeout=10)
    assert resp.status_code == 200 and resp.json() == {"labels": {}, "annotations": {}}


def test_a_list_of_empty_objects_gets_400(server):
    body = b"[" + b"{}," * 1300 + b"{}]"
    resp = requests.post(server + SYNC, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 400 and resp.json() == {"error": "request body must be a JSON object"}


def test_healthz_answers_while_ten_requests_hang_half_sent(patient):
    """Ten clients stop half-way through their bodies, five more half-way through their headers; the probe
    answers while every one of them still hangs (they may take 30 s to arrive)."""
    hanging = [half_sent(patient) for _ in range(10)]
    for _ in range(5):
        sock = patient.connect()
        sock.sendall(f"POST {SYNC} HTTP/1.1\r\nHost: x\r\nContent-Le".encode())
        hanging.append(sock)
    try:
        time.sleep(0.5)  # let the workers take them all
        for _ in range(3):
            assert requests.get(patient.base + "/healthz", timeout=PATIENCE).json() == {"ok": True}
        for sock in hanging:  # none was answered or closed: the probes did not wait for their deadlines
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)
    finally:
        for sock in hanging:
            sock.close()


def test_a_body_that_stops_arriving_gets_408_and_the_connection_closes(impatient):
    with half_sent(impatient) as sock:
        started = time.monotonic()
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 408") and b"did not arrive in time" in reply
    assert time.monotonic() - started < PATIENCE


def test_a_body_that_trickles_in_is_cut_at_its_deadline(impatient):
    """A byte every 0.2 s never leaves the socket idle for the 1 s deadline: only the deadline ends it."""
    with half_sent(impatient, declared=200, sent=1) as sock:
        sock.settimeout(0.2)
        reply = b""
        for _ in range(int(PATIENCE / 0.2)):
            try:
                sock.send(b" ")
                reply += sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:  # the server closed the connection after its answer
                break
            if reply.endswith(b"}"):
                break
    assert reply.startswith(b"HTTP/1.1 408")


def test_headers_that_stop_arriving_are_closed(impatient):
    with impatient.connect() as sock:
        sock.sendall(f"POST {SYNC} HTTP/1.1\r\nHost: x\r\n".encode())
        assert answer(sock) == b""


def test_a_request_waits_for_room_in_the_body_budget(impatient):
    """A 3,000-byte body holds most of the worker's 4,096-byte budget until its 408; the next one of 3,000
    bytes, sent whole, waits for that room rather than being refused, then is read and answered."""
    with half_sent(impatient, declared=3000, sent=10) as first:
        time.sleep(0.5)
        body = b'{"parent": 1' + b" " * 2987 + b"}"
        headers = {"Content-Type": "application/json"}
        resp = requests.post(impatient.base + SYNC, data=body, headers=headers, timeout=PATIENCE)
        assert answer(first).startswith(b"HTTP/1.1 408")
    assert resp.status_code == 400 and resp.json() == {"error": "request.parent must be a JSON object"}


@pytest.fixture(scope="module")
def spinner(tmp_path_factory):
    """One worker restarted after 2 s in one computation; requests may take 6 s to arrive."""
    with gunicorn(
        tmp_path_factory, app="tests.server.spin_app:app", HOOKS_WORKERS="1", HOOKS_TIMEOUT="2", HOOKS_READ_TIMEOUT="6"
    ) as srv:
        yield srv


def spin(srv: Gunicorn, seconds: float) -> requests.Response:
    return requests.post(f"{srv.base}/spin?seconds={seconds}", timeout=PATIENCE)


def test_a_computation_longer_than_the_timeout_restarts_its_worker(spinner):
    """The threaded worker's main loop keeps beating while a thread computes; the worker reports the start
    of the computation instead, so HOOKS_TIMEOUT ends it as it did with one-request-at-a-time workers."""
    before = spin(spinner, 0).json()["pid"]
    with pytest.raises(requests.ConnectionError):
        spin(spinner, 8)
    for _ in range(100):  # the master starts a new worker
        try:
            after = spin(spinner, 0).json()["pid"]
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    assert after != before
    assert "WORKER TIMEOUT" in spinner.log.read_text()


def test_a_slow_body_does_not_count_against_the_computation_timeout(spinner):
    """A body that takes 4 s to arrive (more than HOOKS_TIMEOUT, less than HOOKS_READ_TIMEOUT) is served by
    the same worker: only computations count."""
    before = spin(spinner, 0).json()["pid"]
    with spinner.connect() as sock:
        sock.sendall(b"POST /spin?seconds=0 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n{}")
        time.sleep(4)
        sock.sendall(b"{}")
        reply = answer_once(sock)
    assert reply.startswith(b"HTTP/1.1 200") and f'"pid":{before}'.encode() in reply


def answer_once(sock: socket.socket) -> bytes:
    """One whole answer, headers and ``Content-Length`` bytes of body (the connection stays open: keep-alive)."""
    reply = b""
    while b"\r\n\r\n" not in reply or len(reply.partition(b"\r\n\r\n")[2]) < content_length(reply):
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
    return reply


def content_length(reply: bytes) -> int:
    for line in reply.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0
