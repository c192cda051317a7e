"""codec.loads_text reads JSON text to exactly the values json.loads gives (it only tries orjson first)."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.protocol.codec import loads_text

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson would read those as floats
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats()  # NaN, infinities, -0.0: json.dumps writes NaN and Infinity, which orjson refuses
    | st.text()  # lone surrogates included (written as escapes, or raw below)
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20)


def same(a: object, b: object) -> bool:
    """Equal with the same types, key order, NaNs and signed zeros (repr tells them all apart)."""
    return repr(a) == repr(b)


@given(VALUES, st.booleans())
def test_any_json_reads_as_json_loads_reads_it(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert same(loads_text(text), json.loads(text))


NUMBERS = st.from_regex(r"\A-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][+-]?[0-9]{1,3})?\Z")


@given(st.lists(NUMBERS, min_size=1, max_size=5))
def test_numbers_of_any_length_read_as_json_loads_reads_them(numbers):
    text = "[" + ", ".join(numbers) + "]"
    assert same(loads_text(text), json.loads(text))


@given(st.text(alphabet=st.sampled_from('[]{}",:0123456789.eE-+ \t\ntruefalsnu\\/\x00\u00e9'), max_size=40))
def test_any_text_reads_or_fails_as_with_json_loads(text):
    try:
        expected = ("ok", repr(json.loads(text)))
    except ValueError:
        expected = ("error", None)
    try:
        found = ("ok", repr(loads_text(text)))
    except ValueError:
        found = ("error", None)
    assert found == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": 2, "a": 3}',  # the last value, in the first one's place
        "123456789012345678901234567890",
        "-9223372036854775809",
        "18446744073709551615",
        '"\\ud800"',
        "NaN",
        "[-Infinity]",
        "1e400",
        '{"n": 12.3456789012345678901}',
        '{"id": "1234567890123456789012"}',  # a long digit run in a string: read by the standard library, same value
    ],
)
def test_text_orjson_would_read_differently_or_refuse(text):
    assert same(loads_text(text), json.loads(text))


@pytest.mark.parametrize("text", ["{", "", "[1,]", '{"a": 1} x', '"\t"', "\ufeff{}"])
def test_invalid_json_raises_value_error_as_json_loads_does(text):
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        loads_text(text)
