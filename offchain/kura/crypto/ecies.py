"""ECIES on secp256k1: encrypt to an Ethereum account's public key.

A well-known construction (SEC 1 ECIES with HKDF and an AEAD), built only from
``cryptography`` primitives: an ephemeral secp256k1 key agrees a secret with the
recipient's key (ECDH), HKDF-SHA256 derives a 256-bit key bound to both public
keys, and AES-256-GCM seals the message. Ethereum accounts already have
secp256k1 keys, so an owner, a grantee or a buyer needs no second key pair.

Wire format (version 1)::

    0x01 ‖ ephemeral public key (33 bytes, compressed) ‖ nonce (12) ‖ ciphertext ‖ tag (16)
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kura.errors import DecryptionError

VERSION = 1
_INFO = b"kura/ecies/v1"
_POINT = 33
_NONCE = 12
_OVERHEAD = 1 + _POINT + _NONCE + 16


def public_key_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    """The compressed (33-byte) encoding of a secp256k1 public key."""
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)


def load_public_key(data: bytes) -> ec.EllipticCurvePublicKey:
    """Parse a secp256k1 public key: 33-byte compressed, 65-byte uncompressed, or Ethereum's raw 64 bytes.

    Raises:
        DecryptionError: if the bytes are not a point on the curve.
    """
    if len(data) == 64:
        data = b"\x04" + data
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), data)
    except ValueError as exc:
        raise DecryptionError(f"not a secp256k1 public key ({len(data)} bytes): {exc}") from exc


def load_private_key(secret: bytes) -> ec.EllipticCurvePrivateKey:
    """A secp256k1 private key from its 32 raw bytes (an Ethereum private key)."""
    return ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256K1())


def _derive(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + ephemeral + recipient).derive(shared)


def encrypt(recipient: ec.EllipticCurvePublicKey, plaintext: bytes, *, aad: bytes = b"") -> bytes:
    """Seal ``plaintext`` so only the holder of ``recipient``'s private key can open it."""
    ephemeral = ec.generate_private_key(ec.SECP256K1())
    ephemeral_bytes = public_key_bytes(ephemeral.public_key())
    key = _derive(ephemeral.exchange(ec.ECDH(), recipient), ephemeral_bytes, public_key_bytes(recipient))
    nonce = os.urandom(_NONCE)
    return bytes([VERSION]) + ephemeral_bytes + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def decrypt(private_key: ec.EllipticCurvePrivateKey, sealed: bytes, *, aad: bytes = b"") -> bytes:
    """Open a message sealed by :func:`encrypt`.

    Raises:
        DecryptionError: if it is malformed, was sealed for another key, or was altered.
    """
    if len(sealed) < _OVERHEAD or sealed[0] != VERSION:
        raise DecryptionError(f"not a kura ECIES v{VERSION} message ({len(sealed)} bytes)")
    ephemeral_bytes, nonce, body = sealed[1 : 1 + _POINT], sealed[1 + _POINT : _OVERHEAD - 16], sealed[_OVERHEAD - 16 :]
    ephemeral = load_public_key(ephemeral_bytes)
    shared = private_key.exchange(ec.ECDH(), ephemeral)
    key = _derive(shared, ephemeral_bytes, public_key_bytes(private_key.public_key()))
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag as exc:
        raise DecryptionError("message was sealed for another key, or altered") from exc
