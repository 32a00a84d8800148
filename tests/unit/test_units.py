"""Amounts of ether: exact in every direction, floats refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kura.errors import AmountError
from kura.units import WAD, format_units, from_wad, from_wei, to_wad, to_wei


@pytest.mark.parametrize(
    ("amount", "unit", "wei"),
    [
        ("0.05", "ether", 5 * 10**16),
        ("1", "ether", 10**18),
        (" 2.5 ", "ether", 25 * 10**17),
        (3, "ether", 3 * 10**18),
        (Decimal("0.000000000000000001"), "ether", 1),
        ("12", "gwei", 12 * 10**9),
        ("7", "wei", 7),
        ("1e-3", "ether", 10**15),
    ],
)
def test_to_wei(amount: str | int | Decimal, unit: str, wei: int) -> None:
    assert to_wei(amount, unit) == wei


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        (0.1, "floats cannot hold amounts exactly"),
        ("-1", "negative"),
        ("0.0000000000000000001", "finer than one wei"),
        ("abc", "not a number"),
        ("nan", "not a finite amount"),
        ("inf", "not a finite amount"),
        (True, "not bool"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(amount: object, fragment: str) -> None:
    with pytest.raises(AmountError, match=fragment):
        to_wei(amount)  # type: ignore[arg-type]


def test_an_unknown_unit_is_named() -> None:
    with pytest.raises(AmountError, match="unknown unit 'finney'"):
        to_wei("1", "finney")


@given(st.integers(min_value=0, max_value=10**30))
def test_wei_survive_a_round_trip_through_text(wei: int) -> None:
    assert to_wei(format_units(wei)) == wei
    assert to_wei(from_wei(wei)) == wei
    assert to_wei(format_units(wei, "gwei"), "gwei") == wei


def test_formatting_drops_trailing_zeros() -> None:
    assert [format_units(w) for w in (0, 10**18, 5 * 10**16, 1)] == ["0", "1", "0.05", "0.000000000000000001"]


def test_fractions_in_wad() -> None:
    assert to_wad("0.99") == 99 * WAD // 100 and to_wad(1) == WAD and from_wad(WAD // 4) == Decimal("0.25")
    with pytest.raises(AmountError, match="not a fraction between 0 and 1"):
        to_wad("1.01")
