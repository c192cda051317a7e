"""The README's shell commands, read from the README itself, so the layer runs what users are told to run.

A command is one line of a ```` ```sh ```` block (continuation lines ending in ``\\`` joined), without
comments; ``# or: ...`` alternatives are not commands.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from e2e.manifests import REPO

README = REPO / "README.md"
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def section(heading: str, text: str | None = None) -> str:
    """The text under the README heading ``heading`` (any level), up to the next heading of that level or above
    (lines inside code blocks are never headings: a shell comment starts with ``#`` too)."""
    lines = (README.read_text() if text is None else text).splitlines(keepends=True)
    fenced, level, out = False, 0, []
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        heading_level = len(line) - len(line.lstrip("#")) if not fenced and line.startswith("#") else 0
        if level and heading_level and heading_level <= level:
            break
        if level:
            out.append(line)
        elif heading_level and line[heading_level:].strip() == heading:
            level = heading_level
    if not level:
        raise LookupError(f"README has no heading {heading!r}")
    return "".join(out)


def commands(heading: str, block: int = 0, containing: str | None = None) -> list[str]:
    """The commands of the ``block``-th sh block under ``heading``, or of the first one ``containing`` a text."""
    blocks = _BLOCK.findall(section(heading))
    if containing is not None:
        found = [b for b in blocks if containing in b]
        if not found:
            raise LookupError(f"README section {heading!r} has no sh block with {containing!r}")
        text = found[0]
    elif block < len(blocks):
        text = blocks[block]
    else:
        raise LookupError(f"README section {heading!r} has {len(blocks)} sh blocks, not {block + 1}")
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()  # a trailing comment (values here hold no ' #')
        if line and not line.startswith("#"):
            out.append(line)
    return out


def run(command: str, cwd: Path, kubeconfig: Path, path: list[Path], check: bool = True) -> subprocess.CompletedProcess:
    """One README command under bash in ``cwd``, with KUBECONFIG and the tools' folders first on PATH."""
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "PATH": os.pathsep.join([*map(str, path), os.environ["PATH"]])}
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if check and done.returncode != 0:
        raise AssertionError(f"README command failed ({done.returncode}): {command}\n{done.stderr}{done.stdout}")
    return done
