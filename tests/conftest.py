"""Suite-wide guard: every child a sync hook produces is checked against the Kubernetes schema.

Every module of the ``hooks`` package that defines a module-level ``sync`` function
(one per grid kind: DeploymentGrid/StatefulSetGrid, ServiceGrid, ...) has it wrapped
for the whole session. Tests call ``module.sync`` (directly or through the Flask
app's hook table), so each response passes through the wrapper, which validates each
child of any kind (tests/support/k8s_schema.py picks the schema by apiVersion and kind).

Children the hook merely kept (a copy of an observed child, sent back unchanged) are
not the hook's output and are skipped. A schema failure raises AssertionError inside
the hook call: a pure-function test fails with the message, an HTTP test sees a 500.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterator

import orjson
import pytest
from hypothesis import settings

import hooks
from hooks.grids.children import kept_child
from hooks.server.app import create_app
from tests.support import k8s_schema
from tests.support.builders import NOW

# Hypothesis's default 200 ms deadline per example is a timed assertion: on a loaded machine the first example
# (which loads the schemas) fails it. Speed is measured in bench/, never asserted here.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

HOOK_FUNCTIONS = ("sync",)
CHECKED = {"children": 0}
# Fuzzing feeds junk on purpose; what it checks is "no 5xx, nothing dropped", not schema validity.
ENABLED = {"on": True}


def produced_children(request: object, response: object) -> list[dict]:
    """The children in ``response`` that are not just observed children of ``request`` kept as they were."""
    if not isinstance(response, dict) or not isinstance(response.get("children"), list):
        return []
    kept = set()
    observed = request.get("children") if isinstance(request, dict) else None
    for group in (observed or {}).values():
        for obj in (group or {}).values():
            if isinstance(obj, dict):
                kept.add(orjson.dumps(kept_child(obj), option=orjson.OPT_SORT_KEYS))
    return [c for c in response["children"] if orjson.dumps(c, option=orjson.OPT_SORT_KEYS) not in kept]


def schema_checked(hook: Callable) -> Callable:
    @functools.wraps(hook)
    def wrapper(request, *args, **kwargs):
        response = hook(request, *args, **kwargs)
        for child in produced_children(request, response) if ENABLED["on"] else ():
            k8s_schema.assert_valid(child)
            CHECKED["children"] += 1
        return response

    wrapper.schema_checked = True
    return wrapper


def hook_modules() -> Iterator[object]:
    for info in pkgutil.walk_packages(hooks.__path__, prefix="hooks."):
        if not info.ispkg:
            yield importlib.import_module(info.name)


@pytest.fixture(scope="session", autouse=True)
def children_match_kubernetes_schema():
    with pytest.MonkeyPatch.context() as patch:
        for module in hook_modules():
            for name in HOOK_FUNCTIONS:
                hook = getattr(module, name, None)
                if callable(hook) and getattr(hook, "__module__", None) == module.__name__:
                    patch.setattr(module, name, schema_checked(hook))
        yield


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_line(
        f"Kubernetes {k8s_schema.KUBERNETES_VERSION} schema (strict): {CHECKED['children']} produced children checked"
    )


@pytest.fixture
def client():
    """The real Flask app with a fixed clock and a 1 MiB body limit."""
    return create_app(clock=lambda: NOW, max_bytes=1 << 20).test_client()


@contextlib.contextmanager
def schema_check_paused() -> Iterator[None]:
    """For junk requests: junk in may give junk out (the API server refuses it); losing children or a 5xx may not."""
    ENABLED["on"] = False
    try:
        yield
    finally:
        ENABLED["on"] = True


@pytest.fixture
def without_schema_check():
    """For fuzzing tests whose every request may be junk (see :func:`schema_check_paused`)."""
    with schema_check_paused():
        yield
