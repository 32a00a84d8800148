"""Confidential task output: sealed to the requester's Ethereum key, bound to one task.

A confidential task names its requester's secp256k1 public key on chain. Every node still commits
to the commitment hash of the *plaintext* outcome (honest nodes agree bit for bit), but uploads the
output ECIES-encrypted to that key (:mod:`kura.crypto.ecies`), so IPFS never holds it in clear. The
associated data binds the market and the task id: a sealed output cannot be passed off as another
task's, even one posted by the same requester.
"""

from __future__ import annotations

from eth_keys import keys
from eth_utils import to_canonical_address

from kura.crypto import ecies

_DOMAIN = b"kura/task-output/v1"


def account_public_key(private_key: bytes) -> bytes:
    """The raw 64-byte (x ‖ y) secp256k1 public key of an Ethereum account's 32-byte private key."""
    return keys.PrivateKey(private_key).public_key.to_bytes()


def output_aad(market: str, task_id: int) -> bytes:
    """The associated data that binds a sealed output to task ``task_id`` of the market at ``market``."""
    return _DOMAIN + to_canonical_address(market) + task_id.to_bytes(32, "big")


def seal_output(public_key: bytes, output: bytes, *, market: str, task_id: int) -> bytes:
    """Encrypt ``output`` to the requester's ``public_key`` (raw 64, compressed 33 or uncompressed 65 bytes).

    Raises:
        DecryptionError: if ``public_key`` is not a secp256k1 point.
    """
    return ecies.encrypt(ecies.load_public_key(public_key), output, aad=output_aad(market, task_id))


def open_output(private_key: bytes, sealed: bytes, *, market: str, task_id: int) -> bytes:
    """Decrypt an output sealed by :func:`seal_output` with the requester's 32-byte private key.

    Raises:
        DecryptionError: if ``sealed`` was sealed to another key or another task, or was altered.
    """
    return ecies.decrypt(ecies.load_private_key(private_key), sealed, aad=output_aad(market, task_id))
