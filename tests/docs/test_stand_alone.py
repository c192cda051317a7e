"""The repository stands alone: no file points a reader at a document they cannot open.

The project was designed against a document that is not part of the repository, and worked through issues
in a tracker that is not either. A pointer to a section or a numbered fact of that document, or to an
issue number, cannot be followed by a user or a maintainer; what such a pointer stood for belongs in
docs/ (docs/metacontroller.md, docs/decisions.md, ...) in the project's own words.
Links to public pages (an upstream issue's URL) are fine.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_PARTS = {".git", ".venv", "node_modules", "__pycache__", "build", "dist"}

DOCUMENTS = {
    "the design document": re.compile(r"\bDESIGN\b|(?i:\bdesign of record\b)"),
    "a numbered fact or section of it": re.compile(r"(?i)\b(?:fact|section)s? \d+"),
    "the shared folder": re.compile(r"\.\./shared\b|/work/shared|(?i:\bshared folder\b)"),
}
TRACKER = {"an issue of the tracker": re.compile(r"(?i)(?<![/\w#])issues? #?\d+")}


def tracked_files() -> list[Path]:
    """Every file git tracks (or, outside a git checkout, every file but tool folders)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60)
        return [ROOT / name for name in listed.stdout.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        return [
            p
            for p in ROOT.rglob("*")
            if p.is_file()
            and not SKIPPED_PARTS & set(p.relative_to(ROOT).parts)
            and not any(part.endswith(".egg-info") for part in p.relative_to(ROOT).parts)
        ]


def citations(text: str, patterns: dict[str, re.Pattern] | None = None) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for what, pattern in (patterns or {**DOCUMENTS, **TRACKER}).items():
            match = pattern.search(line)
            if match:
                found.append(f"{number}: {what}: {match.group(0)!r}")
    return found


def citing_files(patterns: dict[str, re.Pattern]) -> list[str]:
    this = Path(__file__).resolve()
    problems = []
    for path in tracked_files():
        if path.resolve() == this or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # not text
        problems += [f"{path.relative_to(ROOT)}:{c}" for c in citations(text, patterns)]
    return problems


def test_no_file_cites_the_design_document_or_the_shared_folder():
    problems = citing_files(DOCUMENTS)
    assert not problems, "\n".join(problems)


def test_no_file_cites_an_issue_of_the_tracker():
    """Say what the issue found instead ("found on a real cluster: ..."); a public issue's URL is fine."""
    problems = citing_files(TRACKER)
    assert not problems, "\n".join(problems)


def test_the_patterns_catch_what_they_are_for():
    for cited in [
        "see DESIGN " + "section 5",  # spelt in two parts so a plain grep of the tree finds no citation
        "DESIGN.md",
        "(DESIGN 5.10)",
        "fact 16",
        "Section 7 sets the targets",
        "the design of record",
        "../sha" + "red/DESIGN.md",
        "the report of issue 13",
        "(issue 13.4)",
    ]:
        assert citations(cited), cited
    for fine in [
        "design decisions and why",
        "https://github.com/metacontroller/metacontroller/issues/123",
        "the shared Service",
        "in 5 sections",
    ]:
        assert not citations(fine), fine
