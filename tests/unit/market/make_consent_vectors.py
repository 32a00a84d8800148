"""Writes ``consent_merkle_vectors.json``: the consent-snapshot leaf and proof rule, for the ConsentRegistry tests.

Run from the checkout: ``python tests/unit/market/make_consent_vectors.py``. The unit tests check that the
committed file still matches what :mod:`kura.market.snapshot` computes, and that OpenZeppelin's
``MerkleProof.verify`` accepts every proof in it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kura.market.consent import pseudonym
from kura.market.merkle import pair_hash
from kura.market.snapshot import ZERO_ADDRESS, ConsentMember, ConsentSnapshot

VECTORS = Path(__file__).with_name("consent_merkle_vectors.json")
SALT = bytes(range(32))
SIZES = (1, 2, 3, 5, 8)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _key(index: int) -> str:
    """Every third member registered an address; the others have the zero address."""
    return "0x" + f"{index + 1:040x}" if index % 3 == 0 else ZERO_ADDRESS


def build() -> dict[str, Any]:
    """The vectors: pseudonyms of fixed ids, trees of several sizes, and proofs that must fail."""
    ids = [f"patient-{index}" for index in range(max(SIZES))]
    members = [ConsentMember(pseudonym(SALT, patient), _key(index)) for index, patient in enumerate(ids)]
    trees = []
    for size in SIZES:
        tree = ConsentSnapshot.of("HRESCH", "2025-01-01T00:00:00+00:00", members[:size])
        trees.append(
            {
                "root": _hex(tree.root),
                "members": [
                    {
                        "pseudonym": _hex(member.pseudonym),
                        "patientKey": member.patient_key,
                        "leaf": _hex(member.leaf),
                        "proof": [_hex(node) for node in tree.proof(member.pseudonym)],
                    }
                    for member in tree.members
                ],
            }
        )
    big = ConsentSnapshot.of("HRESCH", "2025-01-01T00:00:00+00:00", members)
    small = ConsentSnapshot.of("HRESCH", "2025-01-01T00:00:00+00:00", members[:3])
    first, outsider = big.members[0], members[7]
    first_proof = big.proof(first.pseudonym)
    keyed = next(member for member in big.members if member.patient_key != ZERO_ADDRESS)
    invalid = [
        {
            "why": "zero address instead of the registered key",
            "root": _hex(big.root),
            "pseudonym": _hex(keyed.pseudonym),
            "patientKey": ZERO_ADDRESS,
            "proof": [_hex(n) for n in big.proof(keyed.pseudonym)],
        },
        {
            "why": "a member's proof against another snapshot's root",
            "root": _hex(small.root),
            "pseudonym": _hex(outsider.pseudonym),
            "patientKey": outsider.patient_key,
            "proof": [_hex(n) for n in big.proof(outsider.pseudonym)],
        },
        {
            "why": "proof with its last sibling dropped",
            "root": _hex(big.root),
            "pseudonym": _hex(first.pseudonym),
            "patientKey": first.patient_key,
            "proof": [_hex(n) for n in big.proof(first.pseudonym)[:-1]],
        },
        {
            "why": "an inner node passed off as a pseudonym",
            "root": _hex(big.root),
            "pseudonym": _hex(pair_hash(first.leaf, first_proof[0])),
            "patientKey": ZERO_ADDRESS,
            "proof": [_hex(n) for n in first_proof[1:]],
        },
    ]
    return {
        "rule": "leaf = keccak256(abi.encodePacked(bytes32 pseudonym, address patientKey)); members sorted by "
        "pseudonym; parent = keccak256(sorted pair); odd last node moves up; OpenZeppelin MerkleProof.verify",
        "pseudonyms": {
            "rule": "HMAC-SHA256(salt, 'kura/pseudonym/v1' || 0x00 || utf8(patientId))",
            "salt": _hex(SALT),
            "cases": [{"patientId": patient, "pseudonym": _hex(pseudonym(SALT, patient))} for patient in ids],
        },
        "trees": trees,
        "invalid": invalid,
    }


if __name__ == "__main__":
    VECTORS.write_text(json.dumps(build(), indent=2) + "\n")
    print(f"wrote {VECTORS}")
