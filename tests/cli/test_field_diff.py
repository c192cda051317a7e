"""Field-by-field differences as ``servicegroup diff`` prints them: paths, list items, long values."""

from __future__ import annotations

from hooks.cli.field_diff import SHOWN_CHARACTERS, field_changes


def lines(old: object, new: object) -> list[str]:
    return [change.line() for change in field_changes(old, new)]


def test_added_changed_and_removed_keys_in_key_order():
    old = {"b": 1, "c": {"x": True}, "d": "gone"}
    new = {"a": [1], "b": 2, "c": {"x": True}}
    assert lines(old, new) == ["+ a: [1]", "~ b: 1 -> 2", '- d: "gone"']


def test_lists_with_a_merge_key_are_compared_item_by_item():
    old = {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}
    new = {"containers": [{"name": "b", "image": "y:2"}, {"name": "c", "image": "z:1"}]}
    assert lines(old, new) == [
        '- containers[name=a]: {"image": "x:1", "name": "a"}',
        '~ containers[name=b].image: "y:1" -> "y:2"',
        '+ containers[name=c]: {"image": "z:1", "name": "c"}',
    ]


def test_other_lists_by_position():
    assert lines({"args": ["-v", "-q"]}, {"args": ["-v", "-x", "-y"]}) == [
        '~ args[1]: "-q" -> "-x"',
        '+ args[2]: "-y"',
    ]
    assert lines({"args": ["-v", "-q"]}, {"args": ["-v"]}) == ['- args[1]: "-q"']


def test_keys_with_dots_or_slashes_are_quoted():
    old = {"metadata": {"annotations": {}}}
    new = {"metadata": {"annotations": {"superedge.io/revision": "abc"}}}
    assert lines(old, new) == ['+ metadata.annotations["superedge.io/revision"]: "abc"']


def test_int_and_float_differ_and_a_type_change_is_a_change():
    assert lines({"replicas": 1}, {"replicas": 1.0}) == ["~ replicas: 1 -> 1.0"]
    assert lines({"port": "http"}, {"port": {"name": "http"}}) == ['~ port: "http" -> {"name": "http"}']


def test_long_values_are_cut():
    (line,) = lines({}, {"data": "x" * 1000})
    assert line.startswith('+ data: "xxx') and line.endswith("…")
    assert len(line) == len("+ data: ") + SHOWN_CHARACTERS
