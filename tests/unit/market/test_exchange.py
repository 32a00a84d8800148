"""The fair exchange's off-chain crypto, against an independent textbook secp256k1 in plain Python."""

from __future__ import annotations

import pytest
from eth_keys import keys
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.errors import KeyExchangeError
from kura.market import exchange
from kura.market.exchange import N, PurchaseKey, SealedKey

P_FIELD = 2**256 - 2**32 - 977
G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)
MARKET = "0x" + "5a" * 20
ACCOUNT = bytes.fromhex("11" * 32)
OTHER_ACCOUNT = bytes.fromhex("22" * 32)

Point = tuple[int, int] | None


def _add(a: Point, b: Point) -> Point:
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P_FIELD == 0:
        return None
    slope = (
        3 * a[0] * a[0] * pow(2 * a[1], -1, P_FIELD)  # doubling: the tangent
        if a == b
        else (b[1] - a[1]) * pow(b[0] - a[0], -1, P_FIELD)  # two distinct points: the chord
    )
    x = (slope * slope - a[0] - b[0]) % P_FIELD
    return x, (slope * (a[0] - x) - a[1]) % P_FIELD


def mul(k: int, point: tuple[int, int]) -> tuple[int, int]:
    """k·point by double-and-add (the reference the library is checked against)."""
    result: Point = None
    addend: Point = point
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        k >>= 1
    assert result is not None
    return result


def raw(point: tuple[int, int]) -> bytes:
    return point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


def unraw(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[:32], "big"), int.from_bytes(data[32:], "big")


def purchase(
    nonce: int = 0, account: bytes = ACCOUNT, buyer: int = 2, chain_id: int = 31337, market: str = MARKET
) -> PurchaseKey:
    return exchange.derive_purchase_key(account, chain_id=chain_id, market=market, buyer=buyer, nonce=nonce)


accounts = st.binary(min_size=32, max_size=32).filter(lambda k: 0 < int.from_bytes(k, "big") < N)


@settings(max_examples=20, deadline=None)
@given(
    account=accounts,
    nonce=st.integers(0, 2**64 - 1),
    buyer=st.integers(1, 2**32 - 1),
    key=st.binary(min_size=32, max_size=32),
)
def test_the_buyer_opens_what_the_seller_sealed_to_its_purchase_key(
    account: bytes, nonce: int, buyer: int, key: bytes
) -> None:
    mine = purchase(nonce, account, buyer)
    delivery = exchange.seal_key(key, mine.public)
    assert exchange.open_key(mine, delivery) == key
    assert exchange.matches(exchange.open_key(mine, delivery), exchange.key_commitment(key))


@settings(max_examples=20, deadline=None)
@given(account=accounts, nonce=st.integers(0, 2**64 - 1))
def test_the_purchase_key_is_x_times_g_with_x_in_range_and_a_point_the_contract_accepts(
    account: bytes, nonce: int
) -> None:
    key = purchase(nonce, account)
    assert 0 < key.secret < N
    assert key.public == raw(mul(key.secret, G))
    assert key.public == keys.PrivateKey(key.secret.to_bytes(32, "big")).public_key.to_bytes()
    assert int.from_bytes(key.public[:32], "big") < N


def test_derivation_is_deterministic_and_bound_to_every_coordinate_of_the_purchase() -> None:
    first = purchase(nonce=7)
    assert purchase(nonce=7) == first
    variants = [
        purchase(nonce=7, account=OTHER_ACCOUNT),
        purchase(nonce=7, chain_id=1),
        purchase(nonce=7, market="0x" + "5b" * 20),
        purchase(nonce=7, buyer=3),
        purchase(nonce=8),
    ]
    assert len({first.secret, *(v.secret for v in variants)}) == 1 + len(variants)


def test_the_seller_and_the_buyer_agree_on_the_shared_point() -> None:
    mine = purchase()
    delivery = exchange.seal_key(bytes(32), mine.public)
    shared = exchange.shared_point(mine.secret, delivery.ephemeral)
    assert shared == raw(mul(mine.secret, unraw(delivery.ephemeral)))
    assert delivery.sealed == keccak(shared)  # K = 0, so E is the pad itself


def test_each_delivery_uses_a_fresh_ephemeral_key() -> None:
    mine = purchase()
    key = exchange.new_dataset_key()
    first, second = exchange.seal_key(key, mine.public), exchange.seal_key(key, mine.public)
    assert first.ephemeral != second.ephemeral and first.sealed != second.sealed
    assert exchange.open_key(mine, first) == exchange.open_key(mine, second) == key


def test_a_non_buyer_cannot_open_a_delivery() -> None:
    key = exchange.new_dataset_key()
    delivery = exchange.seal_key(key, purchase(nonce=0).public)
    commitment = exchange.key_commitment(key)
    for outsider in (purchase(nonce=1), purchase(account=OTHER_ACCOUNT), purchase(buyer=3)):
        assert not exchange.matches(exchange.open_key(outsider, delivery), commitment)


def test_a_wrong_key_delivered_fails_the_commitment_and_the_dispute_args_reveal_it() -> None:
    mine = purchase()
    promised, delivered = exchange.new_dataset_key(), exchange.new_dataset_key()
    delivery = exchange.seal_key(delivered, mine.public)
    opened = exchange.open_key(mine, delivery)
    assert opened == delivered and not exchange.matches(opened, exchange.key_commitment(promised))
    args = exchange.dispute_args(mine, delivery)
    assert (args.ephemeral, args.sealed, args.secret) == (delivery.ephemeral, delivery.sealed, mine.secret)
    assert args.shared == raw(mul(mine.secret, unraw(delivery.ephemeral)))
    assert bytes(a ^ b for a, b in zip(args.sealed, keccak(args.shared), strict=True)) == delivered


def test_matches_refuses_keys_of_the_wrong_size() -> None:
    key = exchange.new_dataset_key()
    assert exchange.matches(key, exchange.key_commitment(key))
    assert not exchange.matches(key[:31], exchange.key_commitment(key))


@pytest.mark.parametrize("size", [0, 31, 33])
def test_malformed_keys_are_refused(size: int) -> None:
    with pytest.raises(KeyExchangeError, match="dataset key is 32 bytes"):
        exchange.key_commitment(bytes(size))
    with pytest.raises(KeyExchangeError, match="dataset key is 32 bytes"):
        exchange.seal_key(bytes(size), purchase().public)
    with pytest.raises(KeyExchangeError, match="account key is 32 bytes"):
        exchange.derive_purchase_key(bytes(size), chain_id=1, market=MARKET, buyer=1, nonce=0)


def test_points_off_the_curve_or_of_the_wrong_size_are_refused() -> None:
    good = purchase().public
    off_curve = good[:32] + (int.from_bytes(good[32:], "big") ^ 1).to_bytes(32, "big")
    for bad in (off_curve, bytes(64)):
        with pytest.raises(KeyExchangeError, match="not a secp256k1 point"):
            exchange.seal_key(bytes(32), bad)
        with pytest.raises(KeyExchangeError, match="not a secp256k1 point"):
            exchange.open_key(purchase(), SealedKey(bad, bytes(32)))
    with pytest.raises(KeyExchangeError, match="buyer key is 64 bytes"):
        exchange.seal_key(bytes(32), b"\x04" + good)
    with pytest.raises(KeyExchangeError, match="sealed key is 32 bytes"):
        exchange.dispute_args(purchase(), SealedKey(good, bytes(31)))


@pytest.mark.parametrize("secret", [0, N, N + 1, -1])
def test_secrets_outside_the_group_are_refused(secret: int) -> None:
    with pytest.raises(KeyExchangeError, match=r"\[1, n\)"):
        exchange.shared_point(secret, purchase().public)
