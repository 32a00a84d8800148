"""Hashcash stamps: the on-chain rule in Python, minimal nonces, frozen vectors, bad input."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.chain.stamp import MAX_BITS, mint_stamp, stamp_ok
from kura.errors import ChainValueError

SENDER = "0x" + "11" * 20
ZERO_FILE = bytes(32)


def leading_zero_bits(digest: bytes) -> int:
    bits = "".join(f"{byte:08b}" for byte in digest)
    return len(bits) - len(bits.lstrip("0"))


def packed_hash(sender: str, file_id: bytes, nonce: int) -> bytes:
    return keccak(bytes.fromhex(sender[2:]) + file_id + nonce.to_bytes(32, "big"))


@pytest.mark.parametrize(("bits", "nonce", "digest_head"), [(12, 1130, "0004e816"), (16, 124036, "00009a40")])
def test_known_answers(bits: int, nonce: int, digest_head: str) -> None:
    assert mint_stamp(SENDER, ZERO_FILE, bits) == nonce
    assert packed_hash(SENDER, ZERO_FILE, nonce).hex().startswith(digest_head)


def test_mint_returns_the_smallest_passing_nonce() -> None:
    nonce = mint_stamp(SENDER, ZERO_FILE, 8)
    assert stamp_ok(SENDER, ZERO_FILE, nonce, 8)
    assert not any(stamp_ok(SENDER, ZERO_FILE, smaller, 8) for smaller in range(nonce))


@settings(max_examples=40, deadline=None)
@given(
    sender=st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex()),
    file_id=st.binary(min_size=32, max_size=32),
    bits=st.integers(1, 7),
    nonce=st.integers(0, 2**256 - 1),
)
def test_stamp_ok_is_the_leading_zero_rule(sender: str, file_id: bytes, bits: int, nonce: int) -> None:
    assert stamp_ok(sender, file_id, nonce, bits) == (leading_zero_bits(packed_hash(sender, file_id, nonce)) >= bits)
    minted = mint_stamp(sender, file_id, bits)
    assert leading_zero_bits(packed_hash(sender, file_id, minted)) >= bits


def test_a_stamp_is_bound_to_its_sender_and_file() -> None:
    nonce = mint_stamp(SENDER, ZERO_FILE, 16)
    assert not stamp_ok("0x" + "22" * 20, ZERO_FILE, nonce, 16)
    assert not stamp_ok(SENDER, b"\x01" + bytes(31), nonce, 16)


@pytest.mark.parametrize("bits", [0, -1, MAX_BITS + 1])
def test_bits_out_of_range(bits: int) -> None:
    with pytest.raises(ChainValueError, match="difficulty"):
        mint_stamp(SENDER, ZERO_FILE, bits)
    with pytest.raises(ChainValueError, match="difficulty"):
        stamp_ok(SENDER, ZERO_FILE, 0, bits)


@pytest.mark.parametrize(
    ("sender", "file_id", "nonce", "message"),
    [
        ("0x1234", ZERO_FILE, 0, "not an Ethereum address"),
        (SENDER, bytes(31), 0, "32 bytes"),
        (SENDER, bytes(33), 0, "32 bytes"),
        (SENDER, ZERO_FILE, -1, "uint256"),
        (SENDER, ZERO_FILE, 2**256, "uint256"),
    ],
)
def test_bad_input(sender: str, file_id: bytes, nonce: int, message: str) -> None:
    with pytest.raises(ChainValueError, match=message):
        stamp_ok(sender, file_id, nonce, 4)
