"""One version per release, named alike everywhere: the package, the chart, the image tags the install
commands use, and a CHANGELOG entry. Two releases with one image tag would let ``IfNotPresent`` run the old
image under the new manifests."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.install.test_manifests import ROOT

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
TAGGED = re.compile(r"servicegroup-hooks:(\S+?)[\s`'\"]|image\.tag=(\S+?)[\s`]|newTag: (\S+?)[}\s]")


def test_the_kustomize_install_uses_the_release_tag():
    kustomization = yaml.safe_load((ROOT / "metacontroller" / "kustomization.yaml").read_text())
    assert [image["newTag"] for image in kustomization["images"]] == [VERSION]


def test_every_image_tag_in_the_install_docs_is_the_release():
    for path in (ROOT / "README.md", ROOT / "docs" / "decisions.md"):
        tags = [next(g for g in m.groups() if g) for m in TAGGED.finditer(path.read_text())]
        assert {t for t in tags if not t.startswith("<")} <= {VERSION}, path
    assert TAGGED.search((ROOT / "README.md").read_text())


def test_the_changelog_has_an_entry_for_the_release():
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\]", text, flags=re.MULTILINE)
    assert headings[0] == VERSION, headings
