"""Consent snapshots: the committed test vectors, membership, proofs and the published JSON form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak, to_canonical_address
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.errors import ConsentError
from kura.market import merkle
from kura.market.snapshot import ZERO_ADDRESS, ConsentMember, ConsentSnapshot, leaf

VECTORS = Path(__file__).with_name("consent_merkle_vectors.json")
AS_OF = "2025-01-01T00:00:00+00:00"
pseudonyms = st.binary(min_size=32, max_size=32)
addresses = st.one_of(st.just(ZERO_ADDRESS), st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex()))


def vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text())


def test_committed_vectors_match_the_code() -> None:
    from tests.unit.market import make_consent_vectors

    assert make_consent_vectors.build() == vectors()


def test_leaf_is_keccak_of_the_packed_pseudonym_and_address() -> None:
    key = "0x" + "ab" * 20
    assert leaf(b"\x01" * 32, key) == keccak(b"\x01" * 32 + to_canonical_address(key))
    assert leaf(b"\x01" * 32) == keccak(b"\x01" * 32 + bytes(20))
    assert len(b"\x01" * 32 + bytes(20)) == 52


@pytest.mark.parametrize(
    ("pseudonym", "key", "message"),
    [(b"\x01" * 31, ZERO_ADDRESS, "a pseudonym is 32 bytes"), (b"\x01" * 32, "0x1234", "not an Ethereum address")],
)
def test_bad_members_are_refused(pseudonym: bytes, key: str, message: str) -> None:
    with pytest.raises(ConsentError, match=message):
        ConsentMember(pseudonym, key)


def test_a_pseudonym_listed_twice_is_refused() -> None:
    with pytest.raises(ConsentError, match="listed twice"):
        twice = [ConsentMember(b"\x01" * 32), ConsentMember(b"\x01" * 32, "0x" + "11" * 20)]
        ConsentSnapshot.of("HRESCH", AS_OF, twice)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(pseudonyms, addresses, min_size=0, max_size=30), pseudonyms)
def test_members_prove_membership_and_others_do_not(keyed: dict[bytes, str], outsider: bytes) -> None:
    snapshot = ConsentSnapshot.of("HRESCH", AS_OF, [ConsentMember(p, k) for p, k in keyed.items()])
    assert [member.pseudonym for member in snapshot.members] == sorted(keyed)
    for pseudonym, key in keyed.items():
        assert snapshot.includes(pseudonym)
        assert merkle.verify(snapshot.proof(pseudonym), snapshot.root, leaf(pseudonym, key))
        if key != ZERO_ADDRESS:
            assert not merkle.verify(snapshot.proof(pseudonym), snapshot.root, leaf(pseudonym))
    if outsider not in keyed:
        assert not snapshot.includes(outsider)
        with pytest.raises(ConsentError, match="not in the HRESCH snapshot"):
            snapshot.proof(outsider)
        some_proof = snapshot.proof(next(iter(keyed))) if keyed else []
        assert not merkle.verify(some_proof, snapshot.root, leaf(outsider))


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(pseudonyms, addresses, min_size=0, max_size=12))
def test_json_round_trip_keeps_root_and_members(keyed: dict[bytes, str]) -> None:
    snapshot = ConsentSnapshot.of("CLINTRCH", AS_OF, [ConsentMember(p, k) for p, k in keyed.items()])
    again = ConsentSnapshot.from_json(snapshot.to_json())
    assert again == snapshot and again.root == snapshot.root


def test_json_with_a_member_removed_is_refused() -> None:
    members = [ConsentMember(bytes([n]) * 32) for n in range(1, 5)]
    published = ConsentSnapshot.of("HRESCH", AS_OF, members).to_dict()
    published["members"] = published["members"][1:]
    with pytest.raises(ConsentError, match="is not the root of its members"):
        ConsentSnapshot.from_dict(published)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "must be an object"),
        ("{", "not JSON"),
        ('{"format": "other"}', "not a consent snapshot"),
        ('{"format": "kura.consent-snapshot/1", "purpose": "HRESCH"}', "malformed consent snapshot"),
        (
            (
                '{"format": "kura.consent-snapshot/1", "purpose": "HRESCH", "asOf": "x", "root": "0x00",'
                ' "members": [{"pseudonym": "0xzz", "patientKey": "0x"}]}'
            ),
            "malformed consent snapshot",
        ),
    ],
)
def test_malformed_json_is_refused(text: str, message: str) -> None:
    with pytest.raises(ConsentError, match=message):
        ConsentSnapshot.from_json(text)


def test_invalid_vectors_fail_in_python() -> None:
    for case in vectors()["invalid"]:
        candidate = leaf(bytes.fromhex(case["pseudonym"][2:]), case["patientKey"])
        proof = [bytes.fromhex(node[2:]) for node in case["proof"]]
        assert not merkle.verify(proof, bytes.fromhex(case["root"][2:]), candidate), case["why"]
