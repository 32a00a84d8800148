"""Sealed task outputs: only the requester's key opens them, and only for the task they were sealed for."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.compute.sealing import account_public_key, open_output, output_aad, seal_output
from kura.errors import DecryptionError

# Anvil's first development account (public test vector): its private key and address.
SECRET = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
OTHER = keccak(b"another account")
MARKET = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def test_the_account_public_key_is_the_one_its_address_is_derived_from() -> None:
    key = account_public_key(SECRET)
    assert len(key) == 64
    assert to_checksum_address(keccak(key)[-20:]) == ADDRESS == Account.from_key(SECRET).address


@settings(max_examples=25, deadline=None)
@given(output=st.binary(max_size=2048), task_id=st.integers(min_value=1, max_value=2**256 - 1))
def test_sealed_output_opens_with_the_requesters_key_only(output: bytes, task_id: int) -> None:
    sealed = seal_output(account_public_key(SECRET), output, market=MARKET, task_id=task_id)
    assert open_output(SECRET, sealed, market=MARKET, task_id=task_id) == output
    assert len(output) < 8 or output not in sealed
    with pytest.raises(DecryptionError):
        open_output(OTHER, sealed, market=MARKET, task_id=task_id)


def test_a_sealed_output_is_bound_to_its_market_and_task() -> None:
    sealed = seal_output(account_public_key(SECRET), b"aggregate", market=MARKET, task_id=7)
    for market, task_id in ((MARKET, 8), (ADDRESS, 7)):
        with pytest.raises(DecryptionError):
            open_output(SECRET, sealed, market=market, task_id=task_id)
    assert output_aad(MARKET, 7) != output_aad(MARKET, 8)


def test_every_altered_byte_of_a_sealed_output_is_detected() -> None:
    sealed = seal_output(account_public_key(SECRET), b'{"mean": 42}', market=MARKET, task_id=1)
    for i in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[i] ^= 0x01
        with pytest.raises(DecryptionError):
            open_output(SECRET, bytes(tampered), market=MARKET, task_id=1)
    with pytest.raises(DecryptionError):
        open_output(SECRET, sealed[:-1], market=MARKET, task_id=1)


def test_a_key_that_is_not_a_curve_point_is_refused() -> None:
    with pytest.raises(DecryptionError, match="not a secp256k1 public key"):
        seal_output(bytes(64), b"x", market=MARKET, task_id=1)
