"""Kubernetes LabelSelector evaluation and validation over plain label maps."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hooks.kube.errors import SpecError
from hooks.kube.names import is_label_value, label_key_error

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_selector(selector: object, field: str) -> dict:
    """Return ``selector`` as a canonical LabelSelector dict, or raise SpecError naming ``field``."""
    if selector is None:
        return {}
    if not isinstance(selector, dict):
        raise SpecError(f"{field} must be a LabelSelector object")
    out: dict = {}
    labels = selector.get("matchLabels")
    if labels is not None:
        if not isinstance(labels, dict):
            raise SpecError(f"{field}.matchLabels must be a map of label key to value")
        for key, value in labels.items():
            _check_key(key, f"{field}.matchLabels")
            if not is_label_value(value):
                raise SpecError(f"{field}.matchLabels[{key}]: {value!r} is not a valid label value")
        if labels:
            out["matchLabels"] = dict(labels)
    exprs = selector.get("matchExpressions")
    if exprs is not None:
        if not isinstance(exprs, list):
            raise SpecError(f"{field}.matchExpressions must be a list")
        checked = [_check_expression(e, f"{field}.matchExpressions[{i}]") for i, e in enumerate(exprs)]
        if checked:
            out["matchExpressions"] = checked
    return out


def _check_key(key: object, field: str) -> None:
    problem = label_key_error(key)
    if problem:
        raise SpecError(f"{field}: label key {key!r} {problem}")


def _check_expression(expr: object, field: str) -> dict:
    if not isinstance(expr, dict):
        raise SpecError(f"{field} must be an object")
    key, op, values = expr.get("key"), expr.get("operator"), expr.get("values")
    _check_key(key, field)
    if op not in OPERATORS:
        raise SpecError(f"{field}.operator must be one of {', '.join(OPERATORS)}")
    if op in ("In", "NotIn"):
        if not isinstance(values, list) or not values or not all(is_label_value(v) for v in values):
            raise SpecError(f"{field}.values must be a non-empty list of label values for {op}")
        return {"key": key, "operator": op, "values": list(values)}
    if values:
        raise SpecError(f"{field}.values must be empty for {op}")
    return {"key": key, "operator": op}


def matches(selector: Mapping, labels: Mapping) -> bool:
    """Whether ``labels`` satisfy a validated LabelSelector (empty selector matches all); to test many label
    sets against one selector, build its :func:`selector_test` once."""
    return selector_test(selector)(labels)


LabelTest = Callable[[Mapping], bool]


def selector_test(selector: Mapping) -> LabelTest:
    """:func:`matches` of one validated selector, for testing many label sets: each requirement becomes a small
    test once, with the ``In`` and ``NotIn`` values in a set (a rollout step may name a hundred hostnames,
    tested against every Node). A selector of one requirement is that requirement's test; an empty one passes
    everything.

    A label value that is not a string (only an odd Node decoded in full has one) is in no set, as it equals
    no value of the list.
    """
    tests = [_equals(key, value) for key, value in selector.get("matchLabels", {}).items()]
    tests += [
        _term(e["key"], e["operator"], frozenset(e.get("values", ()))) for e in selector.get("matchExpressions", ())
    ]
    if not tests:
        return lambda labels: True
    if len(tests) == 1:
        return tests[0]
    return lambda labels: all(test(labels) for test in tests)


def _equals(key: str, value: str) -> LabelTest:
    return lambda labels: labels.get(key) == value


def _term(key: str, op: str, values: frozenset[str]) -> LabelTest:
    if op == "Exists":
        return lambda labels: key in labels
    if op == "DoesNotExist":
        return lambda labels: key not in labels
    if op == "In":
        return lambda labels: _one_of(labels.get(key), values)
    return lambda labels: not _one_of(labels.get(key), values)


def _one_of(value: object, values: frozenset[str]) -> bool:
    return isinstance(value, str) and value in values


def with_key_exists(selector: Mapping, key: str) -> dict:
    """``selector`` narrowed to objects that carry label ``key`` (what the customize hook asks for)."""
    out = {k: v for k, v in selector.items() if k == "matchLabels"}
    exprs = list(selector.get("matchExpressions", ()))
    exprs.append({"key": key, "operator": "Exists"})
    out["matchExpressions"] = exprs
    return out
