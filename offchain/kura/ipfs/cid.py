"""CIDv1 for single raw blocks, so a SHA-256 digest on chain is enough to name a block on IPFS.

A raw block's CID is ``b`` + base32(0x01 ‖ 0x55 (raw) ‖ 0x12 (sha2-256) ‖ 0x20 ‖ digest).
"""

from __future__ import annotations

import base64
import hashlib

from kura.errors import IpfsError

_PREFIX = bytes([0x01, 0x55, 0x12, 0x20])


def raw_cid(digest: bytes) -> str:
    """The CIDv1 (raw codec, sha2-256) of a block whose SHA-256 is ``digest``.

    Raises:
        IpfsError: if ``digest`` is not 32 bytes.
    """
    if len(digest) != 32:
        raise IpfsError(f"a sha2-256 digest has 32 bytes, got {len(digest)}")
    return "b" + base64.b32encode(_PREFIX + digest).decode().lower().rstrip("=")


def raw_cid_of(block: bytes) -> str:
    """The raw CIDv1 of ``block``."""
    return raw_cid(hashlib.sha256(block).digest())


def digest_of(cid: str) -> bytes:
    """The SHA-256 digest inside a raw sha2-256 CIDv1.

    Raises:
        IpfsError: for any other kind of CID.
    """
    if not cid.startswith("b"):
        raise IpfsError(f"{cid!r} is not a base32 CIDv1")
    body = cid[1:].upper()
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError as exc:
        raise IpfsError(f"{cid!r} is not valid base32") from exc
    if raw[:4] != _PREFIX or len(raw) != 36:
        raise IpfsError(f"{cid!r} is not a raw sha2-256 CIDv1")
    return raw[4:]
