"""Which fields a reduced object holds as a full decode gives them (hooks.protocol.partial.field_paths)."""

import ast
import operator

import pytest

from hooks.protocol.partial import (
    ANY,
    TEXT,
    TEXT_MAP,
    LazyItems,
    Only,
    Partial,
    field_paths,
    whole,
    whole_unless_holding,
)

SHAPE = {
    "kind": TEXT,
    "metadata": {"name": TEXT, "labels": TEXT_MAP, "annotations": {"a": TEXT}},
    "spec": {"replicas": ANY},
    "status": {"conditions": Only("type", "Ready", {"status": TEXT}), "images": [{"names": TEXT}]},
}


def test_field_paths_are_the_leaves_decoded_as_they_are():
    assert field_paths(SHAPE) == {
        ("kind",),
        ("metadata", "name"),
        ("metadata", "labels"),
        ("metadata", "annotations", "a"),
        ("spec", "replicas"),
    }
    assert field_paths(ANY) == {()}
    assert field_paths({"status": {"conditions": Only("type", "Ready", {"status": TEXT})}}) == set()


def reduced(fields: dict) -> Partial:
    def refuse() -> dict:
        raise AssertionError("decoded whole")

    return Partial(fields, refuse, field_paths(SHAPE))


@pytest.mark.parametrize(
    "paths",
    [
        {("kind",)},
        {("metadata", "labels", "site")},  # below a TEXT_MAP: every label is there
        {("metadata", "annotations", "a"), ("spec", "replicas")},
        {("spec", "replicas", "deeper")},  # below ANY
        set(),
    ],
)
def test_held_paths_are_read_from_the_reduced_object(paths):
    obj = reduced({"kind": "Deployment"})
    assert obj.holds(frozenset(paths)) and whole_unless_holding(obj, frozenset(paths)) is obj


@pytest.mark.parametrize(
    "paths",
    [
        {("apiVersion",)},
        {("metadata",)},  # the reduced metadata lacks its other fields
        {("metadata", "annotations", "b")},
        {("status", "conditions")},  # an Only array holds one item of several
        {("status", "images", "names")},
        {("kind",), ("spec",)},
    ],
)
def test_other_paths_need_the_whole_object(paths):
    obj = Partial({"kind": "Deployment"}, lambda: {"kind": "Deployment", "apiVersion": "apps/v1"}, field_paths(SHAPE))
    assert not obj.holds(frozenset(paths))
    assert whole_unless_holding(obj, frozenset(paths)) == {"kind": "Deployment", "apiVersion": "apps/v1"}


def test_objects_that_are_not_reduced_are_whole_already():
    obj = {"kind": "Deployment"}
    assert whole_unless_holding(obj, frozenset({("apiVersion",)})) is obj is whole(obj)


ITEMS = [{"type": "Ready"}, {"type": "Disk"}]
READS = {
    "iter": lambda items: [*items],
    "list": list,
    "sorted": lambda items: sorted(items, key=ITEMS.index),
    "reversed": lambda items: [*reversed(items)][::-1],
    "len": lambda items: ITEMS[: len(items)],
    "index": lambda items: [items[0], items[1]],
    "slice": lambda items: items[:],
    "in": lambda items: ITEMS if ITEMS[1] in items else None,
    "==": lambda items: ITEMS if items == ITEMS else None,
    "!=": lambda items: None if operator.ne(items, ITEMS) else ITEMS,
    "bool": lambda items: ITEMS if items else None,
    "index()": lambda items: ITEMS[: items.index(ITEMS[1]) + 1],
    "count": lambda items: ITEMS * items.count(ITEMS[0]),
    "copy": lambda items: items.copy(),
    "+": lambda items: operator.add(items, []),
    "repr": lambda items: ast.literal_eval(repr(items)),
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_lazy_items_load_once_whichever_way_they_are_read(read):
    loads = []

    def load(source: str) -> list:
        loads.append(source)
        return [dict(item) for item in ITEMS]

    items = LazyItems(load, "raw")
    assert not loads and isinstance(items, list)
    assert read(items) == ITEMS and read(items) == ITEMS
    assert loads == ["raw"]
