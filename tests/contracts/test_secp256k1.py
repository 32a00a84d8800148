"""The Secp256k1 library the fair exchange's dispute relies on, against libsecp256k1 (coincurve): the
``ecrecover`` multiplication check accepts exactly k·P, and the curve check accepts exactly curve points."""

from __future__ import annotations

import pytest
from coincurve import PrivateKey, PublicKey
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from kura.chain.client import Chain
from kura.market.exchange import N

P_FIELD = 2**256 - 2**32 - 977
scalars = st.integers(1, N - 1)


@pytest.fixture(scope="module")
def harness(chain: Chain) -> Contract:
    return chain.contract("Secp256k1Harness", chain.deploy("Secp256k1Harness", sender=chain.account(0)).address)


def xy(point: PublicKey) -> tuple[int, int]:
    raw = point.format(compressed=False)
    return int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big")


def address(point: tuple[int, int]) -> str:
    return to_checksum_address(keccak(point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big"))[-20:])


def times(k: int, point: tuple[int, int]) -> tuple[int, int]:
    return xy(PublicKey.from_point(*point).multiply(k.to_bytes(32, "big")))


def high_x_point() -> tuple[int, int]:
    """A curve point whose x lies in [n, p): the precompile cannot take it as r."""
    x = N
    while True:
        y = pow((x**3 + 7) % P_FIELD, (P_FIELD + 1) // 4, P_FIELD)
        if y * y % P_FIELD == (x**3 + 7) % P_FIELD:
            return x, y
        x += 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=scalars, k=scalars)
def test_mul_matches_accepts_k_times_p_and_nothing_else(chain: Chain, harness: Contract, a: int, k: int) -> None:
    point = xy(PrivateKey.from_int(a).public_key)
    product = times(k, point)
    check = harness.functions.mulMatches
    assert chain.call(check(*point, k, address(product)))
    assert not chain.call(check(*point, k % (N - 1) + 1, address(product)))
    assert not chain.call(check(*point, k, address(times(k, times(2, point)))))
    assert chain.call(harness.functions.toAddress(*product)) == address(product)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=scalars, delta=st.integers(1, 2**64))
def test_is_on_curve_accepts_exactly_the_curve(chain: Chain, harness: Contract, a: int, delta: int) -> None:
    x, y = xy(PrivateKey.from_int(a).public_key)
    assert chain.call(harness.functions.isOnCurve(x, y))
    assert chain.call(harness.functions.isOnCurve(x, P_FIELD - y))
    assert not chain.call(harness.functions.isOnCurve(x, (y + delta) % P_FIELD))


def test_edge_cases_are_refused_rather_than_answered_wrongly(chain: Chain, harness: Contract) -> None:
    point = xy(PrivateKey.from_int(7).public_key)
    check = harness.functions.mulMatches
    for scalar in (0, N, N + 1):
        assert not chain.call(check(*point, scalar, address(times(1, point))))
    assert not chain.call(check(*point, 1, "0x" + "00" * 20))
    high = high_x_point()
    assert chain.call(harness.functions.isOnCurve(*high))
    assert not chain.call(check(*high, 3, address(times(3, high))))
    for x, y in ((0, 0), (0, 1), (1, 0), (P_FIELD, point[1]), (point[0], P_FIELD)):
        assert not chain.call(harness.functions.isOnCurve(x, y))
