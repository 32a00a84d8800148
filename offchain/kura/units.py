"""Amounts of ether: parsing, formatting and fixed-point fractions, in exact decimal arithmetic.

Every amount kura sends or shows goes through here, so no amount ever passes through a float::

    >>> to_wei("0.05")
    50000000000000000
    >>> format_units(50000000000000000)
    '0.05'
    >>> to_wei("12", "gwei")
    12000000000

Fractions the contracts keep in fixed point (credibility, thresholds) are ``WAD`` (10^18) based.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

from kura.errors import AmountError

WAD = 10**18
"""Fixed-point one: the contracts' fractions (credibility, θ, f) are integers in units of 1/WAD."""

EPSILON_ONE = 10**6
"""Fixed-point one of the data market's ε budgets (``DataMarket.EPSILON_ONE``): ε = 0.5 is 500 000."""

UNITS = {"wei": 0, "gwei": 9, "ether": 18}
"""Decimal places of each unit kura accepts."""

Amount = str | int | Decimal
"""An amount as given by a user or a caller: a decimal string, an integer, or a ``Decimal`` (never a float)."""


def _decimal(amount: Amount, what: str) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, (str, int, Decimal)):
        raise AmountError(
            f"{what} must be a decimal string, an int or a Decimal, not {type(amount).__name__} "
            f"({amount!r}): floats cannot hold amounts exactly"
        )
    try:
        value = Decimal(amount.strip() if isinstance(amount, str) else amount)
    except InvalidOperation:
        raise AmountError(f"{amount!r} is not a number (write e.g. 0.05)") from None
    if not value.is_finite():
        raise AmountError(f"{amount!r} is not a finite amount")
    return value


def _places(unit: str) -> int:
    try:
        return UNITS[unit]
    except KeyError:
        raise AmountError(f"unknown unit {unit!r}: use one of {', '.join(UNITS)}") from None


def to_wei(amount: Amount, unit: str = "ether") -> int:
    """``amount`` of ``unit`` in wei.

    Raises:
        AmountError: if it is negative, not a number, a float, or finer than one wei.
    """
    value = _decimal(amount, "an amount")
    with localcontext() as context:
        context.prec = 100
        wei = value.scaleb(_places(unit))
    if wei < 0:
        raise AmountError(f"{amount} {unit} is negative: amounts are zero or more")
    if wei != wei.to_integral_value():
        raise AmountError(f"{amount} {unit} is finer than one wei: use at most {_places(unit)} decimals")
    return int(wei)


def from_wei(wei: int, unit: str = "ether") -> Decimal:
    """``wei`` expressed in ``unit``, exactly."""
    with localcontext() as context:
        context.prec = 100
        return Decimal(wei).scaleb(-_places(unit))


def format_units(wei: int, unit: str = "ether") -> str:
    """``wei`` in ``unit`` as plain decimal text without trailing zeros (``"0.05"``, ``"1"``)."""
    return plain(from_wei(wei, unit))


def plain(value: Decimal) -> str:
    """``value`` as decimal text, without an exponent or trailing zeros (``"0.05"``, ``"1"``)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def to_wad(fraction: Amount) -> int:
    """A fraction in [0, 1] (``"0.99"``) as a WAD integer.

    Raises:
        AmountError: if it is outside [0, 1] or finer than 1/WAD.
    """
    value = _decimal(fraction, "a fraction")
    if not 0 <= value <= 1:
        raise AmountError(f"{fraction} is not a fraction between 0 and 1")
    return to_wei(value)


def from_wad(value: int) -> Decimal:
    """A WAD integer as the exact ``Decimal`` fraction it stands for."""
    return from_wei(value)
