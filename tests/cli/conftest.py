"""Fixtures of the command-line tests: ``servicegroup render`` run in-process, and a nodes file."""

from __future__ import annotations

import pytest

from tests.cli.test_cli import node_list, run, write


@pytest.fixture
def render(monkeypatch, capsys):
    return lambda argv, stdin="": run(["render", *argv], stdin, monkeypatch, capsys)


@pytest.fixture
def nodes_file(tmp_path):
    return write(tmp_path, "nodes.yaml", node_list())
