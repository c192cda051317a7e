"""The ``servicegroup render`` commands the documentation shows on the repository's examples run as shown.

Commands on the user's own files (``my-grids.yaml``, ``grid.yaml``) cannot be run here; every command
whose inputs are files of this repository is, from the repository root, and must print children.
Every ``examples/...`` path the documentation names must exist, and the hook routes it names are the server's.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from hooks.cli import main as cli
from hooks.server.app import hook_table

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").rglob("*.md"))]
EXAMPLE_FILES = sorted((ROOT / "examples").rglob("*.yaml"))
RENDER = re.compile(r"(?:^|\s)(?:\S*/)?servicegroup (render\s[^|#>\n]*)")
EXAMPLE_PATH = re.compile(r"(?<![\w/.])examples/[\w./-]*[\w/]")


def shown_render_commands() -> list[tuple[str, list[str]]]:
    """(where, argv) of every ``servicegroup render`` command in the documents and example comments."""
    found = []
    for path in [*DOCUMENTS, *EXAMPLE_FILES]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in RENDER.finditer(line):
                found.append((f"{path.relative_to(ROOT)}:{number}", shlex.split(match.group(1))))
    return found


def input_paths(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg in ("-f", "--filename", "--nodes", "--observed")]


RUNNABLE = [(w, argv) for w, argv in shown_render_commands() if all((ROOT / p).exists() for p in input_paths(argv))]


def test_the_documentation_shows_runnable_render_commands():
    assert len(RUNNABLE) >= 3, RUNNABLE


@pytest.mark.parametrize(("where", "argv"), RUNNABLE, ids=[w for w, _ in RUNNABLE])
def test_render_command_runs_on_the_examples(where, argv, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 0, f"{where}: {err}"
    if "--plan" in argv:  # a rollout plan: a head line per grid, then a row per unit
        assert out.startswith(("DeploymentGrid ", "StatefulSetGrid ")) and "  STEP " in out, f"{where}: no plan"
        return
    assert [doc for doc in yaml.safe_load_all(out) if doc], f"{where}: printed no children"


@pytest.mark.parametrize("path", [*DOCUMENTS, *EXAMPLE_FILES], ids=lambda p: str(p.relative_to(ROOT)))
def test_example_paths_named_in_documents_exist(path):
    named = set(EXAMPLE_PATH.findall(path.read_text(encoding="utf-8")))
    assert [p for p in sorted(named) if not (ROOT / p).exists()] == []


ROUTE = re.compile(r"/(?:[a-z]+)/(?:sync|customize)\b")


@pytest.mark.parametrize("path", [ROOT / "README.md", ROOT / "docs" / "reference.md"], ids=lambda p: p.name)
def test_routes_named_in_documents_are_the_servers(path):
    named = set(ROUTE.findall(path.read_text(encoding="utf-8")))
    assert named == set(hook_table()), "a route is missing from the document or named wrongly"
