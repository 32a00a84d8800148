"""Hashcash stamps for ``FileRegistry.registerWithStamp`` (pure: no chain access).

A stamp for (sender, file id) is a nonce such that
``keccak256(abi.encodePacked(address sender, bytes32 fileId, uint256 nonce))`` starts with at least
``bits`` zero bits. It binds both the sender and the file, so it proves work spent on this very
registration and is useless for any other. Finding one takes 2^bits hashes on average.
"""

from __future__ import annotations

from eth_hash.auto import keccak
from eth_utils import is_address, to_canonical_address

from kura.errors import ChainValueError

MAX_BITS = 255
"""The most a ``uint8 difficultyBits`` can ask for."""


def _prefix(sender: str, file_id: bytes) -> bytes:
    if not is_address(sender):
        raise ChainValueError(f"stamp sender {sender!r} is not an Ethereum address; pass the owner's 0x address")
    if len(file_id) != 32:
        raise ChainValueError(f"a file id is 32 bytes, got {len(file_id)}; use the id the file is registered under")
    return to_canonical_address(sender) + file_id


def _check_bits(bits: int) -> None:
    if not 1 <= bits <= MAX_BITS:
        raise ChainValueError(f"stamp difficulty must be 1..{MAX_BITS} bits, got {bits}; read it from the registry")


def _weak(digest: bytes, bits: int) -> bool:
    return int.from_bytes(digest, "big") >> (256 - bits) != 0


def stamp_ok(sender: str, file_id: bytes, nonce: int, bits: int) -> bool:
    """Whether ``nonce`` is a stamp of at least ``bits`` bits for ``sender`` and ``file_id`` (the on-chain rule).

    Args:
        sender: The address that will send ``registerWithStamp``.
        file_id: The 32-byte file id.
        nonce: The candidate nonce, a ``uint256``.
        bits: Leading zero bits required.

    Returns:
        True if the hash has at least ``bits`` leading zero bits.

    Raises:
        ChainValueError: if an argument does not fit its contract type.
    """
    _check_bits(bits)
    if not 0 <= nonce < 2**256:
        raise ChainValueError(f"a stamp nonce is a uint256, got {nonce}")
    return not _weak(keccak(_prefix(sender, file_id) + nonce.to_bytes(32, "big")), bits)


def mint_stamp(sender: str, file_id: bytes, bits: int) -> int:
    """The smallest nonce that makes a stamp of ``bits`` bits for ``sender`` and ``file_id``.

    Takes 2^bits hashes on average.

    Args:
        sender: The address that will send ``registerWithStamp``.
        file_id: The 32-byte file id.
        bits: Leading zero bits required (``FileRegistry.difficultyBits``).

    Returns:
        The nonce to pass to ``registerWithStamp``.

    Raises:
        ChainValueError: if an argument does not fit its contract type.
    """
    _check_bits(bits)
    prefix = _prefix(sender, file_id)
    nonce = 0
    while _weak(keccak(prefix + nonce.to_bytes(32, "big")), bits):
        nonce += 1
    return nonce
