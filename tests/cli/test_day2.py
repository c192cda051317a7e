"""The mistakes ``servicegroup`` catches and how it says so: warnings, shared errors, serve settings, help."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from hooks.cli import main as cli
from tests.cli.test_cli import ROOT, console_entry, grid_doc, run, write
from tests.support.builders import deployment_spec, node


def warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning: ")]


class TestUnknownFields:
    def test_typos_in_template_and_spec_are_warned_with_the_likely_field(self, render, tmp_path, nodes_file):
        template = deployment_spec()
        template["template"]["spec"]["containers"][0]["imagePullPolicey"] = "Always"
        grid = grid_doc(template=template, unitRemovalGracePeriod=30)
        code, out, err = render(["-f", write(tmp_path, "g.yaml", grid), "--nodes", nodes_file])
        assert code == 0 and out  # still rendered: offline it is a warning
        found = warnings(err)  # in document order
        assert len(found) == 2
        assert (
            "unknown field spec.template.template.spec.containers[0].imagePullPolicey (did you mean imagePullPolicy?)"
            in found[0]
        )
        assert "unknown field spec.unitRemovalGracePeriod (did you mean unitRemovalGracePeriodSeconds?)" in found[1]
        assert "imagePullPolicey" not in out  # pruned, as the API server stores the grid

    def test_misspelt_key_is_named_before_the_error_it_causes(self, render, tmp_path, nodes_file):
        grid = grid_doc()
        grid["spec"]["gridUniqkey"] = grid["spec"].pop("gridUniqKey")
        code, _, err = render(["-f", write(tmp_path, "g.yaml", grid), "--nodes", nodes_file])
        lines = err.splitlines()
        assert code == 1
        assert "unknown field spec.gridUniqkey (did you mean gridUniqKey?)" in lines[0]
        assert lines[1].startswith("error: ") and "spec.gridUniqKey is required" in lines[1]

    def test_template_pool_entries_and_service_templates_are_checked(self, render, tmp_path, nodes_file):
        pool = deployment_spec()
        pool["replica"] = 3
        dg = grid_doc(templatePool={"big": pool}, templates={"a": "big"})
        sg = grid_doc(
            name="api",
            kind="ServiceGrid",
            template={"selector": {"app": "api"}, "ports": [{"port": 80, "tragetPort": 8080}]},
        )
        code, _, err = render(["-f", write(tmp_path, "g.yaml", [dg, sg]), "--nodes", nodes_file])
        assert code == 0
        text = "\n".join(warnings(err))
        assert "spec.templatePool.big.replica (did you mean replicas?)" in text
        assert "spec.template.ports[0].tragetPort (did you mean targetPort?)" in text

    def test_a_correct_grid_gets_no_warning(self, render, tmp_path, nodes_file):
        code, _, err = render(["-f", write(tmp_path, "g.yaml", grid_doc()), "--nodes", nodes_file])
        assert (code, err) == (0, "")

    def test_every_example_grid_is_free_of_unknown_fields(self):
        from hooks.cli.lint import field_warnings

        for path in sorted((ROOT / "examples").rglob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc and doc.get("apiVersion", "").startswith("superedge.io/"):
                    assert field_warnings(doc) == [], path


def test_override_units_matching_no_site_are_warned_with_the_likely_site(render, tmp_path):
    nodes = write(tmp_path, "n.yaml", [node("n1", {"site": "shanghai-01"}), node("n2", {"site": "beijing-02"})])
    grid = grid_doc(overrides=[{"units": ["shangai-01"], "replicas": 3}, {"units": ["lisbon-9"], "replicas": 1}])
    code, _, err = render(["-f", write(tmp_path, "g.yaml", grid), "--nodes", nodes])
    assert code == 0
    found = warnings(err)  # sorted by unit
    assert found[0].endswith("units entry 'lisbon-9' matches no site")
    assert "units entry 'shangai-01' matches no site (did you mean shanghai-01?)" in found[1]


def test_error_shared_by_every_unit_is_one_line_with_the_count(render, tmp_path):
    nodes = write(tmp_path, "n.yaml", [node(f"n{i}", {"site": f"s{i:04}"}) for i in range(1000)])
    grid = grid_doc(overrides=[{"patch": [{"op": "remove", "path": "/spec/template/spec/volumes"}]}])
    code, out, err = render(["-f", write(tmp_path, "g.yaml", grid), "--nodes", nodes])
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and len(err) < 400, err
    assert ": all 1,000 units: spec.overrides[0].patch[0] (remove /spec/template/spec/volumes)" in err


@pytest.mark.parametrize(
    ("kind", "child", "expected"),
    [
        (
            "DeploymentGrid",
            {"apiVersion": "apps/v1", "kind": "Deployment"},
            "must be a Deployment spec, not a Deployment",
        ),
        ("StatefulSetGrid", {"apiVersion": "apps/v1", "kind": "Deployment"}, "a StatefulSet spec, not a Deployment"),
        ("ServiceGrid", {"apiVersion": "v1", "kind": "Service"}, "spec.template must be a Service spec, not a Service"),
    ],
)
def test_a_whole_object_pasted_under_template_is_named_as_such(render, tmp_path, nodes_file, kind, child, expected):
    inner = {"selector": {"app": "x"}, "ports": [{"port": 80}]} if kind == "ServiceGrid" else deployment_spec()
    pasted = {**child, "metadata": {"name": "web"}, "spec": inner}
    code, _, err = render(
        ["-f", write(tmp_path, "g.yaml", grid_doc(kind=kind, template=pasted)), "--nodes", nodes_file]
    )
    assert code == 1 and err.splitlines() == [err.splitlines()[-1]] and expected in err


def test_bare_command_prints_help_and_exits_0(monkeypatch, capsys):
    code, out, err = run([], "", monkeypatch, capsys)
    assert code == 0 and err == ""
    assert out.startswith("usage: servicegroup") and "render" in out and "serve" in out


def test_version_is_the_installed_distribution_version(monkeypatch, capsys):
    import tomllib

    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert exc.value.code == 0 and capsys.readouterr().out == f"servicegroup {declared}\n"
    assert f"## [{declared}]" in (ROOT / "CHANGELOG.md").read_text()


def serve(args: list[str], env: dict[str, str], tmp_path: Path, timeout: float = 30) -> subprocess.CompletedProcess:
    """``servicegroup serve`` as a subprocess whose scratch folders (TMPDIR, HOOKS_WORKER_TMP_DIR: the metrics
    folder's parent) are ``tmp_path``: /dev/shm is shared with every other process on the machine."""
    full_env = {**os.environ, "TMPDIR": str(tmp_path), "HOOKS_WORKER_TMP_DIR": str(tmp_path), **env}
    for name in ("HOOKS_BIND", "HOOKS_WORKERS", "HOOKS_LOG_LEVEL", "HOOKS_TLS_CERT", "HOOKS_TLS_KEY"):
        if name not in env:
            full_env.pop(name, None)
    return subprocess.run(
        [*console_entry(), "serve", *args], env=full_env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--workers", "0"], {}, "HOOKS_WORKERS='0'"),
        (["--workers", "two"], {}, "HOOKS_WORKERS='two'"),
        ([], {"HOOKS_WORKERS": "-1"}, "HOOKS_WORKERS='-1'"),
        (["--log-level", "chatty"], {}, "HOOKS_LOG_LEVEL='chatty'"),
        (["--bind", "0.0.0.0:http"], {}, "HOOKS_BIND='0.0.0.0:http'"),
        ([], {"HOOKS_TLS_CERT": "/nonexistent/tls.crt", "HOOKS_TLS_KEY": "/nonexistent/tls.key"}, "HOOKS_TLS_CERT"),
        ([], {"HOOKS_TLS_CERT": "/nonexistent/tls.crt"}, "HOOKS_TLS_KEY is not set"),
        ([], {"HOOKS_TLS_CERT": "PYPROJECT", "HOOKS_TLS_KEY": "PYPROJECT"}, "not a PEM certificate"),
        ([], {"HOOKS_TIMEOUT": "soon"}, "HOOKS_TIMEOUT='soon'"),
        ([], {"HOOKS_MAX_REQUEST_BYTES": "lots"}, "HOOKS_MAX_REQUEST_BYTES='lots'"),
        ([], {"HOOKS_WORKER_TMP_DIR": "/nonexistent/tmp"}, "HOOKS_WORKER_TMP_DIR='/nonexistent/tmp'"),
        ([], {"HOOKS_THREADS": "1"}, "HOOKS_THREADS='1': must be a whole number of at least 2"),
        ([], {"HOOKS_READ_TIMEOUT": "0.5"}, "HOOKS_READ_TIMEOUT='0.5'"),
        ([], {"HOOKS_ALLOWED_UNIQ_KEYS": "site,bad key"}, "HOOKS_ALLOWED_UNIQ_KEYS='site,bad key'"),
    ],
)
def test_serve_refuses_bad_settings_in_one_line_with_status_2_leaving_nothing(tmp_path, args, env, named):
    env = {k: str(ROOT / "pyproject.toml") if v == "PYPROJECT" else v for k, v in env.items()}
    done = serve(args, env, tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and len(done.stderr.splitlines()) == 1 and named in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_gunicorn_entry_point_refuses_bad_settings_the_same_way(tmp_path):
    """The container runs gunicorn directly with the config module: same one line, same status."""
    env = {**os.environ, "HOOKS_WORKERS": "0", "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", cli.GUNICORN_CONFIG, cli.WSGI_APP],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert done.returncode == 2 and "error: HOOKS_WORKERS='0'" in done.stderr and "Traceback" not in done.stderr


def test_serve_on_a_taken_port_leaves_no_metrics_folder(tmp_path):
    """The metrics folder is made once the socket is bound, so a server that cannot start leaves nothing."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = serve(["--bind", f"127.0.0.1:{port}", "--workers", "1"], {}, tmp_path, timeout=60)
    assert done.returncode != 0 and time.monotonic() - started < 60
    assert list(tmp_path.iterdir()) == []


def test_a_server_that_started_removes_its_metrics_folder_on_exit(tmp_path):
    """The control for the two tests above: the folder does appear under HOOKS_WORKER_TMP_DIR, and goes."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "TMPDIR": str(tmp_path), "HOOKS_WORKER_TMP_DIR": str(tmp_path)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    argv = [*console_entry(), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not [p for p in tmp_path.iterdir() if p.name.startswith("servicegroup-metrics-")]:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("servicegroup-metrics-")]
