"""The server as it runs in a cluster: a real gunicorn process with the repo's config."""

import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.support.builders import grid, site_nodes, sync_request
from tests.support.service_builders import service_grid, service_sync_request, zone_request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {**os.environ, "HOOKS_BIND": f"127.0.0.1:{port}", "HOOKS_WORKERS": "2", "HOOKS_MAX_REQUEST_BYTES": "4096"}
    cmd = [sys.executable, "-m", "gunicorn", "--config", "python:hooks.server.gunicorn_conf", "hooks.app:app"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start: " + proc.stderr.read1().decode(errors="replace"))
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_sync_through_gunicorn(server):
    resp = requests.post(server + "/deploymentgrid/sync", json=sync_request(grid(), site_nodes(a=1, b=1)), timeout=10)
    assert resp.status_code == 200
    assert [c["metadata"]["name"] for c in resp.json()["children"]] == ["web-a", "web-b"]


def test_malformed_through_gunicorn(server):
    resp = requests.post(
        server + "/deploymentgrid/sync", data=b"{", headers={"Content-Type": "application/json"}, timeout=10
    )
    assert resp.status_code == 400 and "error" in resp.json()


def test_size_limit_from_environment(server):
    resp = requests.post(
        server + "/deploymentgrid/sync", data=b" " * 5000, headers={"Content-Type": "application/json"}, timeout=10
    )
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
