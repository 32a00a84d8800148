"""Raw-block CIDs: the on-chain SHA-256 digest names the IPFS block."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kura.errors import IpfsError
from kura.ipfs.cid import digest_of, raw_cid, raw_cid_of


def test_known_vector_matches_kubo() -> None:
    # `printf hello | ipfs block put --cid-codec raw --mhtype sha2-256` on Kubo 0.39 prints this CID.
    assert raw_cid_of(b"hello") == "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


@given(st.binary(min_size=32, max_size=32))
def test_digest_round_trip(digest: bytes) -> None:
    assert digest_of(raw_cid(digest)) == digest


def test_other_cids_are_refused() -> None:
    with pytest.raises(IpfsError, match="raw sha2-256"):
        digest_of("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")
    with pytest.raises(IpfsError, match="not a base32 CIDv1"):
        digest_of("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")
    with pytest.raises(IpfsError, match="32 bytes"):
        raw_cid(hashlib.sha1(b"x").digest())
