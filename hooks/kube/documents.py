"""Kubernetes objects read the way ``kubectl -f`` reads them: files, directories, stdin; YAML or JSON.

Accepted in every input: one object, a multi-document YAML stream, JSON, and
``kind: List`` (or ``NodeList``, ...) wrappers, so ``kubectl get nodes -o yaml``
output works as is. Every problem is a :class:`DocumentError` whose message is
one line naming the input, never a traceback. :class:`PlainDumper` writes YAML
for the same readers (``servicegroup render`` output, the generated CRDs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import yaml

STDIN = "-"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class _Loader(yaml.SafeLoader):
    """Safe YAML as Kubernetes reads it: an unquoted date stays a string (kubectl accepts ``built: 2024-01-01``)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class PlainDumper(yaml.SafeDumper):
    """Safe YAML with every repeated subtree spelled out, never as an anchor and alias.

    Children share untouched template subtrees and the CRDs share schema fragments;
    YAML aliases for them would be valid but surprise readers, diffs and some tools.
    """

    def ignore_aliases(self, data: object) -> bool:
        return True


class DocumentError(ValueError):
    """An input cannot be read or is not a set of Kubernetes objects."""


@dataclass(frozen=True)
class Sourced:
    """An object and where it came from (``file.yaml (document 2)``), for error messages."""

    obj: dict
    where: str


class Inputs:
    """Reads named inputs; stdin may be named only once (it cannot be read twice)."""

    def __init__(self, stdin: TextIO) -> None:
        self._stdin = stdin
        self._stdin_used = False

    def objects(self, paths: list[str]) -> list[Sourced]:
        found: list[Sourced] = []
        for path in paths:
            for name, text in self._texts(path):
                found += parse_objects(text, name)
        return found

    def _texts(self, path: str) -> list[tuple[str, str]]:
        if path == STDIN:
            if self._stdin_used:
                raise DocumentError("'-' (stdin) can be given only once")
            self._stdin_used = True
            return [("<stdin>", self._stdin.read())]
        target = Path(path)
        if target.is_dir():
            files = sorted(p for p in target.iterdir() if p.is_file() and p.suffix in MANIFEST_SUFFIXES)
            if not files:
                raise DocumentError(f"{path}: directory holds no {', '.join(MANIFEST_SUFFIXES)} files")
            return [(str(f), read_text(f)) for f in files]
        return [(path, read_text(target))]


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DocumentError(f"{path}: not UTF-8 text") from None
    except OSError as err:
        raise DocumentError(f"cannot read {path}: {err.strerror or err}") from None


def parse_objects(text: str, name: str) -> list[Sourced]:
    """Every object in ``text``, with ``List`` wrappers unpacked and empty documents skipped."""
    documents = _documents(text, name)
    numbered = len(documents) > 1
    found: list[Sourced] = []
    for index, doc in enumerate(documents, start=1):
        where = f"{name} (document {index})" if numbered else name
        if doc is None:
            continue
        found += _unpack(doc, where)
    return found


def _documents(text: str, name: str) -> list[object]:
    try:
        if text.lstrip().startswith(("{", "[")):
            try:
                return [json.loads(text)]
            except ValueError:
                pass  # flow-style YAML also starts with "{": let the YAML parser decide and explain
        return list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as err:
        raise DocumentError(f"{name}: not valid YAML or JSON: {_yaml_problem(err)}") from None
    except RecursionError:
        raise DocumentError(f"{name}: nested too deeply to read") from None


def _yaml_problem(err: yaml.YAMLError) -> str:
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "syntax error"
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem
    return " ".join(str(err).split())


def _unpack(doc: object, where: str) -> list[Sourced]:
    if not isinstance(doc, dict):
        raise DocumentError(f"{where}: expected a Kubernetes object (a mapping), found {_describe(doc)}")
    if is_list(doc):
        items = doc["items"]
        for position, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise DocumentError(f"{where} item {position}: expected a Kubernetes object, found {_describe(item)}")
        return [Sourced(item, f"{where} item {position}") for position, item in enumerate(items, start=1)]
    return [Sourced(doc, where)]


def is_list(doc: dict) -> bool:
    """``kind: List`` and typed lists (``NodeList``) as kubectl prints them."""
    kind = doc.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list)


def _describe(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__
