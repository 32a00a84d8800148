"""The off-chain half of the DataMarket's fair exchange: per-purchase keys, sealing the dataset key to
one purchase, opening it, and the arguments of a dispute. Pure code (secp256k1 through ``coincurve``).

The exchange, with G the secp256k1 generator and n its order::

    buyer   x = derive(account key, chain, market, buyer id, purchase number);  P = x·G   (named in buy)
    seller  r random;  R = r·G;  S = r·P;  E = K xor keccak256(S.x ‖ S.y)               (posted in deliver)
    buyer   S = x·R;  K = E xor keccak256(S.x ‖ S.y);  keccak256(K) == commitment?
            if not: dispute(R, E, x, S) — the contract checks x·G = P and x·R = S, recomputes K and
            refunds the buyer (with the seller's bond) iff keccak256(K) differs from the commitment.

x is an HMAC-SHA256 of the purchase's coordinates under the buyer's account key, so the client never
stores it and revealing it in a dispute tells nothing about the account key or any other purchase.
The contract takes only points it can check a dispute against (on the curve, x-coordinate below n), so
both sides skip the rare (about 2⁻¹²⁸) candidate whose point has x ≥ n: the buyer by a counter in the
derivation, the seller by drawing another r.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from coincurve import PrivateKey, PublicKey
from eth_utils import keccak, to_canonical_address, to_checksum_address

from kura.errors import KeyExchangeError

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""The order of the secp256k1 group."""
KEY_SIZE = 32
"""Bytes of a dataset key K (and of the sealed key E)."""
_DOMAIN = b"kura/market/purchase-key/v1"
_DATASET_DOMAIN = b"kura/market/dataset-key/v1"


@dataclass(frozen=True)
class PurchaseKey:
    """The key pair of one purchase.

    Attributes:
        secret: x, in [1, n).
        public: P = x·G as 64 raw bytes (x ‖ y), the ``buyerKey`` of ``DataMarket.buy``.
    """

    secret: int
    public: bytes


@dataclass(frozen=True)
class SealedKey:
    """A delivery: the dataset key sealed to one purchase's key.

    Attributes:
        ephemeral: R = r·G as 64 raw bytes (x ‖ y).
        sealed: E = K xor keccak256(S), 32 bytes.
    """

    ephemeral: bytes
    sealed: bytes


@dataclass(frozen=True)
class DisputeArgs:
    """What ``DataMarket.dispute`` takes besides the purchase id.

    Attributes:
        ephemeral: R as delivered (64 bytes).
        sealed: E as delivered (32 bytes).
        secret: x.
        shared: S = x·R as 64 raw bytes.
    """

    ephemeral: bytes
    sealed: bytes
    secret: int
    shared: bytes


def new_dataset_key() -> bytes:
    """A fresh random 32-byte dataset key K."""
    return secrets.token_bytes(KEY_SIZE)


def derive_dataset_key(account_key: bytes, *, file_id: bytes, version: int) -> bytes:
    """The dataset key of version ``version`` of file ``file_id``, derived from its seller's account key, so
    the seller stores nothing to deliver it later (HMAC-SHA256 under a domain of its own).

    Raises:
        KeyExchangeError: if the file id is not 32 bytes.
    """
    _check_size("file id", file_id, 32)
    message = _DATASET_DOMAIN + file_id + version.to_bytes(8, "big")
    return hmac.new(account_key, message, hashlib.sha256).digest()


def key_commitment(key: bytes) -> bytes:
    """keccak256(K): what a listing commits to.

    Raises:
        KeyExchangeError: if ``key`` is not 32 bytes.
    """
    _check_size("dataset key", key, KEY_SIZE)
    return keccak(key)


def derive_purchase_key(account_key: bytes, *, chain_id: int, market: str, buyer: int, nonce: int) -> PurchaseKey:
    """The key pair of the buyer's purchase number ``nonce``, derived from its account key.

    x = HMAC-SHA256(account key, domain ‖ chain id ‖ market ‖ buyer ‖ nonce ‖ counter) read as an integer,
    with the first counter (from 0) that gives 1 ≤ x < n and P.x < n.

    Args:
        account_key: The buyer account's 32-byte private key.
        chain_id: The chain's id.
        market: The DataMarket's address.
        buyer: The buying institution's id.
        nonce: Its purchase number (``DataMarket.purchaseNonceOf(buyer)`` before the buy).

    Raises:
        KeyExchangeError: if ``account_key`` is not 32 bytes.
    """
    _check_size("account key", account_key, 32)
    message = (
        _DOMAIN
        + chain_id.to_bytes(32, "big")
        + to_canonical_address(market)
        + buyer.to_bytes(4, "big")
        + nonce.to_bytes(8, "big")
    )
    counter = 0
    while True:
        digest = hmac.new(account_key, message + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        secret = int.from_bytes(digest, "big")
        if 0 < secret < N:
            public = _raw(PrivateKey.from_int(secret).public_key)
            if _usable(public):
                return PurchaseKey(secret, public)
        counter += 1


def seal_key(key: bytes, buyer_key: bytes) -> SealedKey:
    """Seal the dataset key ``key`` to a purchase's public key P (the seller's delivery).

    Raises:
        KeyExchangeError: if ``key`` is not 32 bytes or ``buyer_key`` is not a 64-byte secp256k1 point.
    """
    _check_size("dataset key", key, KEY_SIZE)
    point = _point(buyer_key, "buyer key")
    while True:
        ephemeral = PrivateKey()
        public = _raw(ephemeral.public_key)
        if _usable(public):
            shared = _raw(point.multiply(ephemeral.secret))
            return SealedKey(public, _xor(key, keccak(shared)))


def shared_point(secret: int, ephemeral: bytes) -> bytes:
    """S = x·R as 64 raw bytes.

    Raises:
        KeyExchangeError: if ``secret`` is not in [1, n) or ``ephemeral`` is not a 64-byte secp256k1 point.
    """
    if not 0 < secret < N:
        raise KeyExchangeError("a purchase secret must lie in [1, n): derive it with derive_purchase_key")
    return _raw(_point(ephemeral, "ephemeral key").multiply(secret.to_bytes(32, "big")))


def open_key(purchase: PurchaseKey, delivery: SealedKey) -> bytes:
    """The key K a delivery carries for ``purchase`` (check it with :func:`matches`; a wrong one is disputed).

    Raises:
        KeyExchangeError: if the delivery is malformed.
    """
    _check_size("sealed key", delivery.sealed, KEY_SIZE)
    return _xor(delivery.sealed, keccak(shared_point(purchase.secret, delivery.ephemeral)))


def matches(key: bytes, commitment: bytes) -> bool:
    """True iff ``key`` is the key a listing committed to with ``commitment``."""
    return len(key) == KEY_SIZE and keccak(key) == commitment


def dispute_args(purchase: PurchaseKey, delivery: SealedKey) -> DisputeArgs:
    """The arguments that prove to the DataMarket which key ``delivery`` really carried.

    Raises:
        KeyExchangeError: if the delivery is malformed.
    """
    _check_size("sealed key", delivery.sealed, KEY_SIZE)
    shared = shared_point(purchase.secret, delivery.ephemeral)
    return DisputeArgs(delivery.ephemeral, delivery.sealed, purchase.secret, shared)


def key_address(public: bytes) -> str:
    """The checksummed Ethereum address of a raw 64-byte public key (what the DataMarket stores of P).

    Raises:
        KeyExchangeError: if ``public`` is not 64 bytes.
    """
    _check_size("public key", public, 64)
    return to_checksum_address(keccak(public)[-20:])


def _raw(point: PublicKey) -> bytes:
    return point.format(compressed=False)[1:]


def _usable(raw: bytes) -> bool:
    """The contract accepts only points whose x is below n (see the module docstring)."""
    return int.from_bytes(raw[:32], "big") < N


def _point(raw: bytes, what: str) -> PublicKey:
    _check_size(what, raw, 64)
    try:
        return PublicKey(b"\x04" + raw)
    except ValueError as exc:
        raise KeyExchangeError(f"the {what} is not a secp256k1 point: {exc}") from exc


def _check_size(what: str, value: bytes, size: int) -> None:
    if len(value) != size:
        raise KeyExchangeError(f"a {what} is {size} bytes, not {len(value)}")


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))
