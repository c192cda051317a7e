"""/metrics and the JSON log line, through the real Flask app (one process; see test_metrics_gunicorn for workers)."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hooks.server import logs
from hooks.server.app import hook_table
from hooks.server.observe import hook_name
from tests.support.builders import grid, site_nodes, sync_request

SYNC = "/deploymentgrid/sync"


def scrape(client) -> dict[tuple[str, tuple], float]:
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.content_type.startswith("text/plain")
    return parse(resp.get_data(as_text=True))


def parse(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def sample_key(name: str, **labels) -> tuple[str, tuple]:
    return name, tuple(sorted(labels.items()))


def value(samples: dict, name: str, **labels) -> float:
    """The sample's value; a sample that is not exposed fails the test (it is not read as 0)."""
    key = sample_key(name, **labels)
    assert key in samples, f"{name}{labels} is not exposed"
    return samples[key]


def grown(before: dict, after: dict, name: str, **labels) -> float:
    """How much a sample grew: it must be exposed afterwards; a series first created in between started at 0."""
    return value(after, name, **labels) - before.get(sample_key(name, **labels), 0.0)


def post(client, path, body, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, data=data, content_type=content_type), len(data)


def test_every_hook_is_declared_with_every_outcome(client):
    samples = scrape(client)
    for path in hook_table():
        for outcome in ("ok", "not_synced", "client_error", "server_error"):
            key = ("servicegroup_hook_requests_total", (("hook", hook_name(path)), ("outcome", outcome)))
            assert key in samples


def test_sync_counts_duration_size_units_and_children(client):
    before = scrape(client)
    resp, size = post(client, SYNC, sync_request(grid(), site_nodes(a=1, b=2, c=1)))
    assert resp.status_code == 200
    after = scrape(client)

    def delta(name, **labels):
        return grown(before, after, name, **labels)

    hook = "deploymentgrid/sync"
    assert delta("servicegroup_hook_requests_total", hook=hook, outcome="ok") == 1
    assert delta("servicegroup_hook_duration_seconds_count", hook=hook) == 1
    assert delta("servicegroup_hook_duration_seconds_sum", hook=hook) > 0
    assert delta("servicegroup_hook_request_bytes_sum", hook=hook) == size
    assert delta("servicegroup_hook_units_sum", hook=hook) == 3
    assert delta("servicegroup_hook_children_sum", hook=hook) == 3
    assert delta("servicegroup_hook_children_bucket", hook=hook, le="2.0") == 0
    assert delta("servicegroup_hook_children_bucket", hook=hook, le="5.0") == 1


def outcome_delta(client, path, body, outcome) -> float:
    labels = {"hook": hook_name(path), "outcome": outcome}
    before = value(scrape(client), "servicegroup_hook_requests_total", **labels)
    post(client, path, body)
    return value(scrape(client), "servicegroup_hook_requests_total", **labels) - before


def test_outcomes(client, monkeypatch):
    assert outcome_delta(client, SYNC, sync_request(grid(gridUniqKey="bad key"), site_nodes(a=1)), "not_synced") == 1
    assert outcome_delta(client, SYNC, b"{", "client_error") == 1
    assert outcome_delta(client, "/deploymentgrid/customize", {"parent": grid()}, "ok") == 1

    from hooks.grids import workload_grid

    def boom(*args):
        raise RuntimeError("bug")

    monkeypatch.setattr(workload_grid, "render_units", boom)
    assert outcome_delta(client, SYNC, sync_request(grid(), site_nodes(a=1)), "server_error") == 1


def test_customize_reports_no_units_or_children(client):
    """A customize call is counted, but observes no units or children: those series never appear for it."""
    hook = "deploymentgrid/customize"
    post(client, SYNC, sync_request(grid(), site_nodes(a=1)))  # so the series exist, under these names, for sync
    before = scrape(client)
    post(client, "/deploymentgrid/customize", {"parent": grid()})
    after = scrape(client)
    assert grown(before, after, "servicegroup_hook_requests_total", hook=hook, outcome="ok") == 1
    for histogram in ("servicegroup_hook_units_count", "servicegroup_hook_children_count"):
        assert value(after, histogram, hook="deploymentgrid/sync") >= 1
        assert sample_key(histogram, hook=hook) not in after


def call_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "hooks.calls"]


def test_one_json_log_line_per_call(client, caplog):
    caplog.set_level(logging.INFO, logger="hooks")
    _, size = post(client, SYNC, sync_request(grid(), site_nodes(a=1, b=1)))
    (record,) = call_records(caplog)
    assert record.levelno == logging.INFO
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert {k: entry[k] for k in ("hook", "namespace", "name", "units", "children", "outcome", "status")} == {
        "hook": "deploymentgrid/sync",
        "namespace": "shop",
        "name": "web",
        "units": 2,
        "children": 2,
        "outcome": "ok",
        "status": 200,
    }
    assert entry["request_bytes"] == size and entry["duration_ms"] >= 0 and entry["level"] == "info"
    assert entry["time"].endswith("Z") and entry["message"] == "hook call"


def test_not_synced_is_a_warning_with_its_reason(client, caplog):
    caplog.set_level(logging.INFO, logger="hooks")
    post(client, SYNC, sync_request(grid(gridUniqKey="bad key"), site_nodes(a=1)))
    (record,) = call_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.fields["outcome"] == "not_synced" and record.fields["reason"] == "InvalidSpec"


def test_malformed_request_is_logged_without_parent(client, caplog):
    caplog.set_level(logging.INFO, logger="hooks")
    post(client, SYNC, b"[]")
    (record,) = call_records(caplog)
    assert record.fields["outcome"] == "client_error" and record.fields["status"] == 400
    assert record.fields["namespace"] is None and record.fields["units"] is None


def test_server_error_line_is_an_error_with_the_parent(client, caplog, monkeypatch):
    from hooks.grids import workload_grid

    def boom(*args):
        raise RuntimeError("bug")

    monkeypatch.setattr(workload_grid, "render_units", boom)
    caplog.set_level(logging.INFO, logger="hooks")
    post(client, SYNC, sync_request(grid(), site_nodes(a=1)))
    (record,) = call_records(caplog)
    assert record.levelno == logging.ERROR and record.fields["name"] == "web" and record.fields["status"] == 500


def test_exceptions_are_one_json_line_too():
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.getLogger("hooks").makeRecord("hooks", logging.ERROR, "f", 1, "failed", (), sys.exc_info())
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: broken" in json.loads(line)["exception"]


@pytest.fixture
def restore_log_level():
    yield
    logs.configure()


@pytest.mark.usefixtures("restore_log_level")
def test_log_level_from_environment(client, caplog, monkeypatch):
    monkeypatch.setenv("HOOKS_LOG_LEVEL", "warning")
    logs.configure()
    assert logging.getLogger("hooks").level == logging.WARNING
    post(client, SYNC, sync_request(grid(), site_nodes(a=1)))
    assert call_records(caplog) == []
    monkeypatch.delenv("HOOKS_LOG_LEVEL")


def test_unknown_log_level_falls_back_to_info():
    assert logs.level_from_env({"HOOKS_LOG_LEVEL": "DEBUG"}) == (logging.DEBUG, None)
    level, complaint = logs.level_from_env({"HOOKS_LOG_LEVEL": "chatty"})
    assert level == logging.INFO and "chatty" in complaint


def test_hook_server_manifest_gives_metrics_a_writable_directory():
    from tests.install.test_manifests import INSTALLED

    server = next(d for d in INSTALLED if d["kind"] == "Deployment" and d["metadata"]["name"] == "servicegroup-hooks")
    pod = server["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    env = {e["name"]: e.get("value") for e in container["env"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volume = mounts[env["PROMETHEUS_MULTIPROC_DIR"]]
    assert "emptyDir" in next(v for v in pod["volumes"] if v["name"] == volume)
