import pytest

from hooks.kube.errors import SpecError
from hooks.kube.selectors import matches, validate_selector, with_key_exists


def test_match_labels_and_expressions():
    sel = validate_selector(
        {
            "matchLabels": {"tier": "edge"},
            "matchExpressions": [
                {"key": "site", "operator": "In", "values": ["a", "b"]},
                {"key": "core", "operator": "DoesNotExist"},
            ],
        },
        "spec.nodeSelector",
    )
    assert matches(sel, {"tier": "edge", "site": "a"})
    assert not matches(sel, {"tier": "edge", "site": "c"})
    assert not matches(sel, {"tier": "edge", "site": "a", "core": "yes"})
    assert not matches(sel, {"site": "a"})


def test_not_in_and_exists():
    sel = validate_selector(
        {
            "matchExpressions": [
                {"key": "site", "operator": "NotIn", "values": ["dc"]},
                {"key": "gpu", "operator": "Exists"},
            ]
        },
        "s",
    )
    assert matches(sel, {"gpu": "1", "site": "x"})
    assert matches(sel, {"gpu": "1"})
    assert not matches(sel, {"gpu": "1", "site": "dc"})


@pytest.mark.parametrize(
    "bad",
    [
        "x",
        {"matchLabels": []},
        {"matchLabels": {"site": "not valid!"}},
        {"matchExpressions": [{"key": "site", "operator": "Near"}]},
        {"matchExpressions": [{"key": "site", "operator": "In", "values": []}]},
        {"matchExpressions": [{"key": "site", "operator": "Exists", "values": ["a"]}]},
        {"matchExpressions": "site"},
    ],
)
def test_invalid_selectors_raise_spec_error(bad):
    with pytest.raises(SpecError):
        validate_selector(bad, "spec.nodeSelector")


def test_with_key_exists_adds_requirement_without_changing_input():
    sel = {"matchLabels": {"a": "b"}}
    out = with_key_exists(sel, "site")
    assert out == {"matchLabels": {"a": "b"}, "matchExpressions": [{"key": "site", "operator": "Exists"}]}
    assert sel == {"matchLabels": {"a": "b"}}


def test_in_values_must_be_label_values():
    with pytest.raises(SpecError, match="label values"):
        validate_selector({"matchExpressions": [{"key": "site", "operator": "In", "values": ["a b"]}]}, "s")
