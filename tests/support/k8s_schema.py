"""Checking objects against the official Kubernetes OpenAPI schema, offline, for any kind.

The schemas ship inside the ``kubernetes-validate`` package (one folder per
Kubernetes minor version, generated from the upstream OpenAPI documents). We use
its *strict* variant, which also refuses fields the API does not define, so a
typo or a field from a newer release in our output is caught.

``kubernetes_validate.validate`` rebuilds its validator on every call (about
10 ms); the test suite checks thousands of children, so the validator for each
(kind, apiVersion) is built once here from the same files and reused. One test
checks that this agrees with the package's own entry point.

Objects of this project's own kinds (``superedge.io``: NodeUnits a hook may create,
grids) are checked against the CRD schemas in crds/ instead, so the checker is generic
by kind whatever the hooks produce.

Besides the schema, :func:`problems` enforces what the schema allows but
Metacontroller's three-way merge does not tolerate (docs/metacontroller.md, how children are written):
no ``null`` anywhere in a desired object, except the one null the API server itself returns and a
StatefulSet's stored claim templates therefore carry back (``STORED_NULLS``, see hooks/grids/stored_form.py).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from pathlib import Path

import jsonschema
import yaml
from referencing import Registry, Resource

KUBERNETES_VERSION = "1.34"
SCHEMA_DIR = files("kubernetes_validate") / "kubernetes-json-schema" / f"v{KUBERNETES_VERSION}.0-local-strict"
CRD_DIR = Path(__file__).resolve().parents[2] / "crds"


@cache
def our_crds() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> openAPIV3Schema of every CRD in crds/ (x-kubernetes-* keywords are ignored)."""
    schemas = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                schemas[key] = version["schema"]["openAPIV3Schema"]
    return schemas


def schema_file(api_version: str, kind: str) -> str:
    """The package's file name for a kind: ``apps/v1`` Deployment -> ``deployment-apps-v1.json``."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


@cache
def _definitions() -> Resource:
    return Resource.from_contents(json.loads((SCHEMA_DIR / "_definitions.json").read_text()))


@cache
def validator(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    """This project's CRD schema for its own kinds, else the Kubernetes schema; no schema is an error."""
    if (api_version, kind) in our_crds():
        return jsonschema.Draft202012Validator(our_crds()[(api_version, kind)])
    path = SCHEMA_DIR / schema_file(api_version, kind)
    if not path.is_file():
        raise LookupError(f"no Kubernetes {KUBERNETES_VERSION} schema and no CRD in crds/ for {kind} {api_version}")
    schema = json.loads(path.read_text())
    registry = _definitions() @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


STORED_NULLS = re.compile(r"^/spec/volumeClaimTemplates/\d+/metadata/creationTimestamp$")
"""Kubernetes 1.33 and older return ``creationTimestamp: null`` in each claim template; the hooks send that
stored list back verbatim (claim templates are immutable), so this null is what the API server stores."""


def problems(obj: dict, allow_null: bool = False) -> list[str]:
    """Every way ``obj`` is not a valid object of its kind for the target version (empty when valid).

    ``allow_null`` is for objects users write (a grid may hold a null patch value), not desired children.
    """
    if not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
        return ["apiVersion and kind must be strings"]
    found = [
        f"{'/'.join(map(str, err.absolute_path)) or '(root)'}: {err.message}"
        for err in validator(obj["apiVersion"], obj["kind"]).iter_errors(obj)
    ]
    if not allow_null:
        nulls = [path for path in _nulls(obj, "") if not STORED_NULLS.match(path)]
        found += [f"{path}: null is not allowed in a desired object" for path in nulls]
    return found


def assert_valid(obj: dict) -> None:
    found = problems(obj)
    if found:
        name = (obj.get("metadata") or {}).get("name")
        raise AssertionError(
            f"{obj.get('kind')} {name!r} is not valid Kubernetes {KUBERNETES_VERSION}:\n  " + "\n  ".join(found)
        )


def _nulls(value: object, path: str) -> list[str]:
    if value is None:
        return [path or "(root)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}/{i}")]
    return []
