"""Quantities written as the API server stores them (apimachinery's resource.Quantity, v0.36)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.kube.quantities import canonical


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        (100, "100"),
        (1000, "1k"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("12000", "12k"),
        (0.5, "500m"),
        ("0.5", "500m"),
        (".5", "500m"),
        ("1.5", "1500m"),
        ("500m", "500m"),
        ("-0.5", "-500m"),
        ("0.0000000001", "1n"),  # below 10^-9: rounded away from zero
        ("-0.0000000001", "-1n"),
        ("0", "0"),
        ("0Mi", "0"),
        ("+5", "5"),
        (0.001, "1m"),
        (2.5e10, "25G"),
        ("1Gi", "1Gi"),
        ("2048Mi", "2Gi"),
        ("1536Mi", "1536Mi"),
        ("1.5Ki", "1536"),  # binary, but no whole number of Ki: written without a suffix
        ("0.5Ki", "512"),  # below 1024: decimal
        ("1Ki", "1Ki"),
        ("1000Ki", "1000Ki"),
        ("1E", "1E"),
        ("1000E", "1000E"),
    ],
)
def test_canonical_form(written, stored):
    assert canonical(written) == stored


@pytest.mark.parametrize("odd", ["abc", "1e3", "1.5.5", "", "Ki", "1 k", "10x", True, None, [], {}, float("nan")])
def test_what_it_cannot_write_is_none(odd):
    assert canonical(odd) is None


def _amount(text: str) -> Decimal:
    suffixes = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
    binary = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
    for suffix, power in binary.items():
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * 2**power
    number = text.rstrip("numkMGTPE")
    return Decimal(number) * Decimal(10) ** suffixes[text[len(number) :]]


quantities = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.builds(
        lambda n, s: f"{n}{s}",
        st.integers(min_value=0, max_value=10**6),
        st.sampled_from(["", "m", "k", "M", "Ki", "Mi", "Gi", "n", "u"]),
    ),
    st.decimals(min_value=-1000, max_value=1000, places=9, allow_nan=False).map(lambda d: format(d, "f")),
)


@given(quantities)
def test_canonical_keeps_the_value_and_is_stable(value):
    text = canonical(value)
    assert text is not None
    assert _amount(text) == _amount(str(value) if not isinstance(value, str) else value)
    assert canonical(text) == text
