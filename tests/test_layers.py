"""The package's layers (README "Code map"): a module may import its own subpackage and the layers below.

Read from the source with ``ast``, so an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hooks"

LAYERS = {
    "hooks": 0,  # the root constants (GROUP, API_VERSION): anyone may import them
    "hooks.kube": 1,
    "hooks.protocol": 2,
    "hooks.sites": 3,
    "hooks.grids": 4,
    "hooks.nodegroups": 5,
    "hooks.server": 6,
    "hooks.cli": 6,
    "hooks.app": 7,  # the public WSGI name, a re-export of hooks.server.app
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """The longest entry of LAYERS that ``module`` is, or lives in."""
    owners = [name for name in LAYERS if module == name or module.startswith(name + ".")]
    if not owners:
        raise KeyError(module)
    return max(owners, key=len)


def imported_modules(source: str) -> set[str]:
    """Every ``hooks`` module ``source`` imports; ``from hooks.x import y`` counts as ``hooks.x.y``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "hooks" or name.startswith("hooks.")}


def violations(importer: str, imported: set[str]) -> list[str]:
    """The imports of ``importer`` that reach a higher layer, or a sibling of the same rank."""
    own = layer_of(importer)
    bad = []
    for name in sorted(imported):
        target = layer_of(name)
        if target == own or target == "hooks":
            continue
        if LAYERS[target] >= LAYERS[own]:
            bad.append(f"{importer} imports {name} ({target} is not below {own})")
    return bad


def package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", package_modules(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_module_imports_only_its_own_layer_and_below(path: Path) -> None:
    importer = module_name(path)
    assert violations(importer, imported_modules(path.read_text())) == []


def test_every_subpackage_is_a_layer_and_says_what_it_may_import() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        name = module_name(init)
        assert name in LAYERS, f"{name} is not in LAYERS: give the new subpackage its place"
        assert "import" in (ast.get_docstring(ast.parse(init.read_text())) or ""), f"{init} must say what it imports"


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("hooks.kube.names", "hooks.grids.workload"),
        ("hooks.sites.units", "hooks.grids.grid_spec.WorkloadSpec"),
        ("hooks.server.app", "hooks.cli.main"),
        ("hooks.cli.render", "hooks.server.app.create_app"),
        ("hooks.grids.service", "hooks.app"),
    ],
)
def test_the_check_catches_an_upward_or_sideways_import(importer: str, imported: str) -> None:
    assert violations(importer, {imported})


def test_imports_are_read_from_every_form() -> None:
    source = "import hooks.kube.names\nfrom hooks.grids import workload\ndef f():\n    from hooks import GROUP\n"
    assert imported_modules(source) == {"hooks.kube.names", "hooks.grids.workload", "hooks.GROUP"}
