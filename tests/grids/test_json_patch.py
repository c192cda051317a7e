"""The RFC 6902 operations of overrides: the same results as the ``jsonpatch`` package, exact size bookkeeping,
documents never changed in place, and limits checked before an operation is performed."""

from __future__ import annotations

import copy

import jsonpatch
import jsonpointer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.grids.json_patch import Document, PatchError, apply, json_equal, operation, pointer_tokens
from hooks.grids.limits import CHILD_TOO_LARGE, MAX_CHILD_JSON, PATCH_TOO_COSTLY, Budget, LimitExceeded
from hooks.kube.sizes import json_size

KEYS = ["a", "b", "0", "1", "-", "~", "/", "<&>", "é", "\u2028"]
scalars = st.one_of(
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(["", "x", "<b>&", "\u2028", "{{unit}}", "é"]),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=8,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=4)


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


random_pointers = st.lists(st.sampled_from([*KEYS, "2", "01", "x"]), min_size=1, max_size=3).map(
    lambda tokens: "".join("/" + escape(t) for t in tokens)
)


def existing(doc: object, prefix: str = "") -> list[str]:
    """Every pointer into ``doc`` (below the root)."""
    out = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    for key, value in items:
        pointer = f"{prefix}/{escape(str(key))}"
        out += [pointer, *existing(value, pointer)]
    return out


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict, list[dict]]:
    """A document and operations whose pointers mostly exist in it (or name a new member of what does)."""
    doc = draw(documents)
    known = existing(doc)
    near = st.sampled_from(known).flatmap(lambda p: st.sampled_from([p, p + "/-", p + "/0", p + "/new"]))
    pointer = st.one_of(near, random_pointers) if known else random_pointers
    ops = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]))
        op = {"op": name, "path": draw(pointer)}
        if name in ("move", "copy"):
            op["from"] = draw(pointer)
        if name in ("add", "replace", "test"):
            op["value"] = draw(values)
        ops.append(op)
    return doc, ops


def checked(op: dict):
    return operation(op["op"], op["path"], op.get("from"), *([op["value"]] if "value" in op else []))


def reference(doc: dict, ops: list[dict]) -> dict | None:
    """What the jsonpatch package makes of ``ops`` one by one, or None if one of them fails."""
    doc = copy.deepcopy(doc)
    try:
        for op in ops:
            doc = jsonpatch.JsonPatch([op]).apply(doc, in_place=True)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, KeyError, IndexError, TypeError):
        return None
    return doc


def patched(doc: dict, ops: list[dict], unit: str = "u") -> Document | None:
    document = Document(doc, Budget(json_size(doc)))
    try:
        for op in ops:
            apply(document, checked(op), unit)
    except PatchError:
        return None
    return document


@settings(max_examples=500, deadline=None)
@given(cases())
def test_same_result_as_jsonpatch_and_exact_sizes_and_the_input_untouched(case):
    doc, ops = case
    before = copy.deepcopy(doc)
    unit_ops = [jsonpatch_form(op) for op in ops]
    expected = reference(doc, unit_ops)
    document = patched(doc, ops)
    assert doc == before
    if expected is None:
        assert document is None
        return
    assert document is not None and json_equal(document.root, expected)
    assert document.budget.size == json_size(document.root)


def jsonpatch_form(op: dict) -> dict:
    """``op`` as the jsonpatch package would see it for unit ``u`` (the placeholder substituted)."""
    text = lambda v: v.replace("{{unit}}", "u") if isinstance(v, str) else v  # noqa: E731
    out = {k: text(v) for k, v in op.items() if k != "value"}
    if "value" in op:
        out["value"] = substituted(op["value"])
    return out


def substituted(value: object) -> object:
    if isinstance(value, str):
        return value.replace("{{unit}}", "u")
    if isinstance(value, dict):
        return {k.replace("{{unit}}", "u"): substituted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [substituted(v) for v in value]
    return value


class TestSemantics:
    @pytest.mark.parametrize(
        ("ops", "result"),
        [
            ([{"op": "add", "path": "/l/-", "value": 3}], {"l": [1, 2, 3], "o": {"k": "v"}}),
            ([{"op": "add", "path": "/l/0", "value": 0}], {"l": [0, 1, 2], "o": {"k": "v"}}),
            ([{"op": "add", "path": "/o/k", "value": "w"}], {"l": [1, 2], "o": {"k": "w"}}),
            ([{"op": "move", "from": "/o/k", "path": "/o/k"}], {"l": [1, 2], "o": {"k": "v"}}),
            ([{"op": "move", "from": "/l/0", "path": "/l/1"}], {"l": [2, 1], "o": {"k": "v"}}),
            ([{"op": "copy", "from": "/o", "path": "/o/o"}], {"l": [1, 2], "o": {"k": "v", "o": {"k": "v"}}}),
            ([{"op": "test", "path": "/l/0", "value": 1.0}], {"l": [1, 2], "o": {"k": "v"}}),
        ],
    )
    def test_operations(self, ops, result):
        document = patched({"l": [1, 2], "o": {"k": "v"}}, ops)
        assert document is not None and document.root == result

    @pytest.mark.parametrize(
        ("op", "message"),
        [
            ({"op": "remove", "path": "/l/2"}, "index 2 is out of range: /l has 2 items"),
            ({"op": "add", "path": "/l/01", "value": 1}, "'01' is not an array index (at /l)"),
            ({"op": "replace", "path": "/l/-", "value": 1}, "'-' is not an array index"),
            ({"op": "add", "path": "/x/y", "value": 1}, "path not found: /x does not exist"),
            ({"op": "add", "path": "/o/k/z", "value": 1}, "path not found: /o/k is not an object or array"),
            ({"op": "move", "from": "/o", "path": "/o/p"}, "cannot move a value into itself"),
            ({"op": "test", "path": "/l/0", "value": True}, "test failed"),
        ],
    )
    def test_errors_name_the_place_never_the_document(self, op, message):
        with pytest.raises(PatchError, match=message.replace("(", r"\(").replace(")", r"\)")):
            document = Document({"l": [1, 2], "o": {"k": "v"}}, Budget(30))
            apply(document, checked(op), "u")

    def test_pointer_escapes(self):
        assert pointer_tokens("/a~1b/c~0d/") == ("a/b", "c~d", "")
        with pytest.raises(ValueError, match="invalid escape"):
            pointer_tokens("/a~2")

    def test_a_copy_into_its_own_descendant_after_an_edit_there(self):
        ops = [{"op": "add", "path": "/o/k", "value": "w"}, {"op": "copy", "from": "/o", "path": "/o/again"}]
        document = patched({"o": {"k": "v"}}, ops)
        assert document.root == {"o": {"k": "w", "again": {"k": "w"}}}
        assert document.budget.size == json_size(document.root)

    def test_copies_share_instead_of_copying(self):
        big = {"data": ["x" * 100] * 10}
        document = patched({"big": big}, [{"op": "copy", "from": "/big", "path": "/again"}])
        assert document.root["again"] is big and document.root["big"] is big


class TestLimits:
    def test_a_doubling_chain_stops_before_the_copy_that_would_pass_the_limit(self):
        doc = {"spec": {"template": {"metadata": {"annotations": {}}, "pad": "x" * 1000}}}
        document = Document(doc, Budget(json_size(doc)))
        done = 0
        with pytest.raises(LimitExceeded) as err:
            for i in range(20):
                apply(document, checked(copy_op(i)), "u")
                done += 1
        assert err.value.reason == CHILD_TOO_LARGE
        assert json_size(document.root) == document.budget.size <= MAX_CHILD_JSON
        assert document.budget.size * 2 > MAX_CHILD_JSON  # refused at the copy that would pass the limit
        assert 6 < done < 9

    def test_work_is_counted_for_measuring_testing_and_decoding(self):
        doc = {"big": "x" * 100_000}
        document = Document(doc, Budget(json_size(doc)))
        with pytest.raises(LimitExceeded) as err:
            for _ in range(5):
                apply(document, checked({"op": "test", "path": "/big", "value": "x" * 100_000}), "u")
        assert err.value.reason == PATCH_TOO_COSTLY
        assert document.budget.work <= MAX_CHILD_JSON

    def test_a_long_list_is_copied_once_unless_a_copy_shares_it_again(self):
        doc = {"list": [0] * 60_000, "small": {}}
        document = Document(doc, Budget(json_size(doc)))
        for _ in range(10):  # owned after the first copy: appended in place
            apply(document, checked({"op": "add", "path": "/list/-", "value": 1}), "u")
        assert 60_000 < document.budget.work < 61_000
        with pytest.raises(LimitExceeded) as err:
            for i in range(10):  # every copy shares what the document owned: the list is copied again
                apply(document, checked({"op": "copy", "from": "/small", "path": f"/s{i}"}), "u")
                apply(document, checked({"op": "add", "path": "/list/-", "value": 1}), "u")
        assert err.value.reason == PATCH_TOO_COSTLY
        assert doc == {"list": [0] * 60_000, "small": {}}


def copy_op(i: int) -> dict:
    return {"op": "copy", "from": "/spec/template", "path": f"/spec/template/metadata/annotations/x{i}"}
