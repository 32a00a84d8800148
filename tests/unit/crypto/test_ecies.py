"""ECIES to Ethereum keys: round trip, wrong key, tampering, key formats."""

from __future__ import annotations

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.crypto import ecies
from kura.errors import DecryptionError

ALICE = Account.from_key("0x" + "11" * 32)
BOB = Account.from_key("0x" + "22" * 32)


def public_of(account: Account) -> ecies.ec.EllipticCurvePublicKey:
    return ecies.load_public_key(account._key_obj.public_key.to_bytes())


def private_of(account: Account) -> ecies.ec.EllipticCurvePrivateKey:
    return ecies.load_private_key(account.key)


@settings(max_examples=25, deadline=None)
@given(message=st.binary(max_size=4096), aad=st.binary(max_size=64))
def test_round_trip_to_an_ethereum_key(message: bytes, aad: bytes) -> None:
    sealed = ecies.encrypt(public_of(ALICE), message, aad=aad)
    assert len(sealed) == len(message) + 1 + 33 + 12 + 16
    assert ecies.decrypt(private_of(ALICE), sealed, aad=aad) == message


def test_each_seal_is_fresh() -> None:
    assert ecies.encrypt(public_of(ALICE), b"x") != ecies.encrypt(public_of(ALICE), b"x")


def test_other_key_cannot_open() -> None:
    sealed = ecies.encrypt(public_of(ALICE), b"secret")
    with pytest.raises(DecryptionError, match="another key"):
        ecies.decrypt(private_of(BOB), sealed)


@pytest.mark.parametrize("position", [0, 1, 40, -1])
def test_any_altered_byte_is_rejected(position: int) -> None:
    sealed = bytearray(ecies.encrypt(public_of(ALICE), b"secret", aad=b"file"))
    sealed[position] ^= 0x01
    with pytest.raises(DecryptionError):
        ecies.decrypt(private_of(ALICE), bytes(sealed), aad=b"file")


def test_wrong_associated_data_is_rejected() -> None:
    sealed = ecies.encrypt(public_of(ALICE), b"secret", aad=b"file-1")
    with pytest.raises(DecryptionError):
        ecies.decrypt(private_of(ALICE), sealed, aad=b"file-2")


def test_public_key_formats_agree() -> None:
    raw = ALICE._key_obj.public_key.to_bytes()
    compressed = ecies.public_key_bytes(ecies.load_public_key(raw))
    assert ecies.public_key_bytes(ecies.load_public_key(b"\x04" + raw)) == compressed
    assert ecies.public_key_bytes(ecies.load_public_key(compressed)) == compressed
    assert ecies.public_key_bytes(private_of(ALICE).public_key()) == compressed
    with pytest.raises(DecryptionError, match="not a secp256k1 public key"):
        ecies.load_public_key(b"\x02" + b"\xff" * 32)
