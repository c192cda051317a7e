import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.kube.errors import SpecError
from hooks.kube.selectors import matches, selector_test, validate_selector, with_key_exists


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


KEYS = st.sampled_from(["site", "tier", "kubernetes.io/hostname"])
VALUES = st.sampled_from(["a", "b", "edge", "n-1"])
EXPRESSIONS = st.one_of(
    st.builds(
        lambda k, op, vs: {"key": k, "operator": op, "values": vs},
        KEYS,
        st.sampled_from(["In", "NotIn"]),
        st.lists(VALUES, min_size=1, max_size=3),
    ),
    st.builds(lambda k, op: {"key": k, "operator": op}, KEYS, st.sampled_from(["Exists", "DoesNotExist"])),
)
SELECTORS = st.builds(
    lambda labels, exprs: {"matchLabels": labels, "matchExpressions": exprs},
    st.dictionaries(KEYS, VALUES, max_size=2),
    st.lists(EXPRESSIONS, max_size=3),
)
LABELS = st.dictionaries(KEYS, VALUES | st.sampled_from([None, 7, ["a"], {"a": 1}]), max_size=3)


@given(SELECTORS, st.lists(LABELS, max_size=5))
def test_selector_test_answers_as_matches(selector, label_sets):
    """The compiled test of a rollout step or grid selector, for any label set (odd values of a Node decoded in
    full included)."""
    checked = validate_selector(selector, "spec.nodeSelector")
    test = selector_test(checked)
    assert [test(labels) for labels in label_sets] == [matches(checked, labels) for labels in label_sets]
