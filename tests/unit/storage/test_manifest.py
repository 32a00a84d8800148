"""Manifests: canonical form, sealing for readers, and rejection of everything else."""

from __future__ import annotations

import os

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.codes.params import Scheme
from kura.crypto import ecies
from kura.errors import DecryptionError, StorageError
from kura.storage.shared.manifest import Manifest, ShareEntry, open_sealed, seal, seal_with_key

OWNER, GRANTEE, STRANGER = (Account.from_key(bytes([i]) * 32) for i in (1, 2, 3))


def pub(account: Account) -> ecies.ec.EllipticCurvePublicKey:
    return ecies.load_public_key(account._key_obj.public_key.to_bytes())


def priv(account: Account) -> ecies.ec.EllipticCurvePrivateKey:
    return ecies.load_private_key(account.key)


def sample(name: str = "scan.dcm", shares: int = 5) -> Manifest:
    entries = tuple(
        ShareEntry(
            index=i,
            cid=f"bafkrei{i:02d}",
            node=f"node-{i}",
            api_url=f"http://127.0.0.1:{5000 + i}",
            peer_id=f"12D3Koo{i}",
            operator="0x" + "00" * 20,
            size=1000 + i,
            chunk_count=1,
            merkle_root=os.urandom(32),
        )
        for i in range(shares)
    )
    return Manifest(
        file_id=os.urandom(32),
        name=name,
        scheme=Scheme.MSR,
        k=3,
        n=shares,
        size=4242,
        codec={"segment": 1 << 20, "nonce_prefix": "00" * 7},
        shares=entries,
        created_at=1_790_000_000,
    )


@settings(max_examples=20, deadline=None)
@given(name=st.text(max_size=40), shares=st.integers(1, 12))
def test_canonical_round_trip(name: str, shares: int) -> None:
    manifest = sample(name, shares)
    assert Manifest.from_bytes(manifest.to_bytes()) == manifest
    assert manifest.to_bytes() == Manifest.from_bytes(manifest.to_bytes()).to_bytes()


def test_every_reader_can_open_and_nobody_else() -> None:
    manifest = sample()
    sealed = seal(manifest, [pub(OWNER), pub(GRANTEE)])
    assert open_sealed(sealed, priv(OWNER)) == manifest
    assert open_sealed(sealed, priv(GRANTEE)) == manifest
    with pytest.raises(DecryptionError, match="not a reader"):
        open_sealed(sealed, priv(STRANGER))


def test_sealed_blob_names_no_reader_and_differs_each_time() -> None:
    manifest = sample()
    first, second = seal(manifest, [pub(OWNER)]), seal(manifest, [pub(OWNER)])
    assert first != second
    owner_keys = (
        ecies.public_key_bytes(pub(OWNER)),
        OWNER._key_obj.public_key.to_bytes(),
        bytes.fromhex(OWNER.address[2:]),
    )
    for key in owner_keys:
        assert key not in first
    assert manifest.name.encode() not in first


@pytest.mark.parametrize("position", [0, 7, 20, -1])
def test_altered_or_truncated_blobs_are_rejected(position: int) -> None:
    sealed = bytearray(seal(sample(), [pub(OWNER)]))
    sealed[position] ^= 0x80
    with pytest.raises(DecryptionError):
        open_sealed(bytes(sealed), priv(OWNER))
    with pytest.raises(DecryptionError):
        open_sealed(bytes(seal(sample(), [pub(OWNER)]))[:9], priv(OWNER))


def test_reader_count_is_bounded() -> None:
    with pytest.raises(StorageError, match="1 to 255 readers"):
        seal(sample(), [])


def test_unknown_format_and_garbage_are_clear_errors() -> None:
    with pytest.raises(StorageError, match="format 9 is not supported"):
        Manifest.from_bytes(b'{"format": 9}')
    with pytest.raises(StorageError, match="malformed manifest"):
        Manifest.from_bytes(b"{not json")
    with pytest.raises(StorageError, match="no share 7"):
        sample().share(7)


def test_a_manifest_sealed_under_a_dataset_key_opens_with_that_key_only() -> None:
    key, other = os.urandom(32), os.urandom(32)
    owner, manifest = Account.create(), sample()
    sealed = seal_with_key(manifest, key)
    assert open_sealed(sealed, key) == manifest
    with pytest.raises(DecryptionError, match="altered, or this is not its key"):
        open_sealed(sealed, other)
    with pytest.raises(DecryptionError, match="not a reader"):
        open_sealed(sealed, priv(owner))
    with pytest.raises(DecryptionError, match="32 bytes"):
        open_sealed(sealed, key[:16])
    with pytest.raises(StorageError, match="32 bytes"):
        seal_with_key(manifest, key[:31])
    assert open_sealed(seal(manifest, [pub(owner)]), priv(owner)) == manifest
    with pytest.raises(DecryptionError):
        open_sealed(seal(manifest, [pub(owner)]), key)
