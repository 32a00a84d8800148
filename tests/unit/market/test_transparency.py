"""The patient's transparency query: uses that included a pseudonym, proofs against committed roots."""

from __future__ import annotations

import pytest

from kura.errors import ConsentError
from kura.market.consent import pseudonym
from kura.market.snapshot import ConsentMember, ConsentSnapshot
from kura.market.transparency import inclusions

SALT = b"transparency-test-salt-32-bytes!"
KEY = "0x" + "42" * 20


def snapshot(purpose: str, ids: list[str]) -> ConsentSnapshot:
    members = [ConsentMember(pseudonym(SALT, pid), KEY if pid == "alice" else "0x" + "00" * 20) for pid in ids]
    return ConsentSnapshot.of(purpose, "2025-01-01T00:00:00+00:00", members)


def test_lists_exactly_the_uses_that_included_the_patient_with_working_proofs() -> None:
    early = snapshot("HRESCH", ["alice", "bob"])
    late = snapshot("HRESCH", ["bob", "carol"])
    trial = snapshot("CLINTRCH", ["alice", "bob", "carol", "dave"])
    uses = {"sale-2": (late.root, late), "sale-1": (early.root, early), "task-7": (trial.root, trial)}
    alice = pseudonym(SALT, "alice")
    found = inclusions(alice, uses)
    assert [(i.use, i.purpose, i.patient_key) for i in found] == [
        ("sale-1", "HRESCH", "0x4242424242424242424242424242424242424242"),
        ("task-7", "CLINTRCH", "0x4242424242424242424242424242424242424242"),
    ]
    assert all(inclusion.verifies(alice) for inclusion in found)
    assert not found[0].verifies(pseudonym(SALT, "bob"))
    assert inclusions(pseudonym(SALT, "erin"), uses) == []


def test_a_snapshot_that_is_not_the_committed_one_is_refused() -> None:
    committed, published = snapshot("HRESCH", ["alice", "bob"]), snapshot("HRESCH", ["alice"])
    with pytest.raises(ConsentError, match="sale-1 committed consent root"):
        inclusions(pseudonym(SALT, "alice"), {"sale-1": (committed.root, published)})
