"""The container image: CI's Python, and every dependency pinned by the constraints file it installs with."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import requires

from packaging.requirements import Requirement

from tests.install.test_manifests import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
CONSTRAINTS = ROOT / "requirements" / "image.txt"


def pins() -> dict[str, str]:
    found = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def test_image_python_is_the_one_ci_tests():
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["target-version"]  # py311
    wanted = f"{target[2]}.{target[3:]}"
    images = re.findall(r"^FROM python:(\S+?)-slim", DOCKERFILE, re.M)
    assert images and all(version == wanted for version in images)


def test_image_installs_with_the_constraints_file():
    assert "requirements/image.txt" in DOCKERFILE and re.search(r"pip install .*-c image\.txt", DOCKERFILE)


def test_every_runtime_dependency_is_pinned_to_a_version_its_requirement_allows():
    pinned = pins()
    declared = [Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]
    for req in declared:
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pinned, f"{req.name} is not pinned in {CONSTRAINTS.name}"
        assert req.specifier.contains(pinned[name]), f"{req.name}=={pinned[name]} does not satisfy {req}"


def test_dependencies_of_dependencies_are_pinned_too():
    """Flask's own requirements (Werkzeug, Jinja2...) must be pinned as well, or the image still floats."""
    pinned = pins()
    for package in ("flask",):
        for text in requires(package) or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                assert re.sub(r"[-_.]+", "-", req.name).lower() in pinned, f"{req.name} (needed by {package})"
