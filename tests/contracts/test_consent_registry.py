"""ConsentRegistry: snapshots per (institution, purpose), revocation by the patient's own key or the institution
with Merkle proofs over one or many snapshots, touched-for-good snapshots, and the events a patient's
transparency query is rebuilt from — checked against an independent OpenZeppelin-compatible tree."""

from __future__ import annotations

import secrets

import pytest
from eth_account import Account
from eth_utils import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kura.chain.client import Chain
from kura.chain.consent_registry import purpose_id
from kura.errors import ChainValueError
from tests.contracts.expect import reverts
from tests.contracts.market_layer import (
    BUYER,
    EPIDEMIOLOGY,
    OUTSIDER,
    RESEARCH,
    SELLER,
    ConsentTree,
    MarketLayer,
    Patient,
    consent_leaf,
)

ZERO = "0x" + "00" * 20


@pytest.fixture
def layer(chain: Chain) -> MarketLayer:
    return MarketLayer.deploy(chain)


def fund(chain: Chain, patient: Patient) -> None:
    chain.w3.provider.make_request("anvil_setBalance", [patient.account.address, hex(10**18)])


def test_the_leaf_rule_is_keccak_of_the_packed_pseudonym_and_key(layer: MarketLayer) -> None:
    pseudonym, key = bytes(range(32)), to_checksum_address("0x" + "ab" * 20)
    assert layer.consent.leaf_of(pseudonym, key) == consent_leaf(pseudonym, key)
    assert layer.consent.leaf_of(pseudonym, ZERO) == consent_leaf(pseudonym, ZERO)
    assert purpose_id("HRESCH") != purpose_id("HRESCH ")
    with pytest.raises(ChainValueError):
        purpose_id("")


def test_members_commit_numbered_snapshots_per_purpose_and_only_the_newest_untouched_is_current(
    layer: MarketLayer,
) -> None:
    seller = layer.ids[SELLER]
    first = layer.cohort(SELLER)
    other_purpose = layer.cohort(SELLER, purpose=EPIDEMIOLOGY)
    assert (first.snapshot_id, other_purpose.snapshot_id) == (1, 1)
    snapshot = layer.consent.snapshot_of(seller, RESEARCH, 1)
    assert (snapshot.root, snapshot.cohort_size, snapshot.touched) == (first.tree.root, 8, False)
    assert layer.consent.is_current(seller, RESEARCH, 1)
    second = layer.cohort(SELLER, size=3)
    assert second.snapshot_id == 2 and layer.consent.latest_snapshot(seller, RESEARCH) == 2
    assert not layer.consent.is_current(seller, RESEARCH, 1) and layer.consent.is_current(seller, RESEARCH, 2)
    assert not layer.consent.is_current(seller, RESEARCH, 0) and not layer.consent.is_current(seller, RESEARCH, 3)
    assert layer.consent.is_current(seller, EPIDEMIOLOGY, 1)
    assert not layer.consent.is_current(layer.ids[BUYER], RESEARCH, 1)
    for snapshot_id in (0, 3):
        with reverts("UnknownSnapshot"):
            layer.consent.snapshot_of(seller, RESEARCH, snapshot_id)


def test_only_member_accounts_commit_and_empty_snapshots_are_refused(layer: MarketLayer) -> None:
    root, digest = secrets.token_bytes(32), secrets.token_bytes(32)
    with reverts("NotMemberAccount"):
        layer.consent.commit_snapshot(RESEARCH, root, 5, digest, institution=layer.account(OUTSIDER))
    for args in ((bytes(32), 5, digest), (root, 0, digest), (root, 5, bytes(32))):
        with reverts("EmptySnapshot"):
            layer.consent.commit_snapshot(RESEARCH, *args, institution=layer.account(SELLER))


def test_a_patient_revokes_with_their_own_key_and_every_proven_snapshot_is_touched_for_good(
    chain: Chain, layer: MarketLayer
) -> None:
    patient = Patient.new()
    fund(chain, patient)
    first = layer.cohort(SELLER, extra=[patient])
    second = layer.cohort(SELLER, size=5, extra=[patient])
    seller = layer.ids[SELLER]
    receipt = layer.consent.revoke(
        seller,
        RESEARCH,
        patient.pseudonym,
        patient.account.address,
        {first.snapshot_id: first.proof(patient), second.snapshot_id: second.proof(patient)},
        sender=patient.account,
    )
    assert all(layer.consent.snapshot_of(seller, RESEARCH, i).touched for i in (1, 2))
    assert not layer.consent.is_current(seller, RESEARCH, 2)
    assert layer.consent.is_revoked(seller, RESEARCH, patient.leaf)

    [revocation] = layer.consent.revocations(patient_key=patient.account.address)
    assert (revocation.institution, revocation.purpose, revocation.pseudonym, revocation.leaf, revocation.by) == (
        seller,
        RESEARCH,
        patient.pseudonym,
        patient.leaf,
        patient.account.address,
    )
    assert revocation.block == receipt["blockNumber"]
    touches = layer.consent.touches(seller, RESEARCH)
    assert [(t.snapshot_id, t.leaf) for t in touches] == [(1, patient.leaf), (2, patient.leaf)]

    third = layer.cohort(SELLER, size=4)
    assert layer.consent.is_current(seller, RESEARCH, third.snapshot_id)
    assert layer.consent.snapshot_of(seller, RESEARCH, 1).touched  # stays touched


def test_the_institution_revokes_for_a_patient_and_nobody_else_can(chain: Chain, layer: MarketLayer) -> None:
    keyless = Patient(secrets.token_bytes(32), Account.from_key(b"\x01" * 32))
    cohort = layer.cohort(SELLER, size=4)
    seller = layer.ids[SELLER]
    tree = ConsentTree([*(p.leaf for p in cohort.patients), consent_leaf(keyless.pseudonym, ZERO)])
    snapshot = layer.consent.commit_snapshot(
        RESEARCH, tree.root, 5, secrets.token_bytes(32), institution=layer.account(SELLER)
    )
    proof = {snapshot: tree.proof(consent_leaf(keyless.pseudonym, ZERO))}
    for intruder in (layer.account(BUYER), layer.account(OUTSIDER)):
        with reverts("NotPatientOrInstitution"):
            layer.consent.revoke(seller, RESEARCH, keyless.pseudonym, ZERO, proof, sender=intruder)
    someone = cohort.patients[0]
    fund(chain, someone)
    with reverts("NotPatientOrInstitution"):  # a patient revokes only their own leaf
        layer.consent.revoke(seller, RESEARCH, keyless.pseudonym, ZERO, proof, sender=someone.account)
    layer.consent.revoke(seller, RESEARCH, keyless.pseudonym, ZERO, proof, sender=layer.account(SELLER))
    assert layer.consent.snapshot_of(seller, RESEARCH, snapshot).touched
    assert layer.consent.revocations()[-1].by == layer.account(SELLER).address


def test_a_bad_proof_in_a_batch_touches_nothing(chain: Chain, layer: MarketLayer) -> None:
    patient = Patient.new()
    fund(chain, patient)
    inside = layer.cohort(SELLER, extra=[patient])
    outside = layer.cohort(SELLER, size=6)
    layer.cohort(SELLER, purpose=EPIDEMIOLOGY, extra=[patient])
    seller = layer.ids[SELLER]
    revoke = layer.consent.revoke
    with reverts("NotInSnapshot"):
        revoke(
            seller,
            RESEARCH,
            patient.pseudonym,
            patient.account.address,
            {inside.snapshot_id: inside.proof(patient), outside.snapshot_id: inside.proof(patient)},
            sender=patient.account,
        )
    with reverts("NotInSnapshot"):  # the right proof for another patient's leaf
        revoke(
            seller,
            RESEARCH,
            secrets.token_bytes(32),
            patient.account.address,
            {inside.snapshot_id: inside.proof(patient)},
            sender=patient.account,
        )
    with reverts("NotInSnapshot"):  # the right proof under another purpose's snapshot
        revoke(
            seller,
            EPIDEMIOLOGY,
            patient.pseudonym,
            patient.account.address,
            {1: inside.proof(patient)},
            sender=patient.account,
        )
    with reverts("UnknownSnapshot"):
        revoke(
            seller,
            RESEARCH,
            patient.pseudonym,
            patient.account.address,
            {9: inside.proof(patient)},
            sender=patient.account,
        )
    with reverts("ProofCountMismatch"):
        revoke(seller, RESEARCH, patient.pseudonym, patient.account.address, {}, sender=patient.account)
    call = layer.consent.contract.functions.revoke(
        seller, RESEARCH, patient.pseudonym, patient.account.address, [1, 1], [inside.proof(patient)]
    )
    with reverts("ProofCountMismatch"):
        chain.transact(call, sender=patient.account)
    assert not layer.consent.snapshot_of(seller, RESEARCH, inside.snapshot_id).touched
    assert not layer.consent.is_revoked(seller, RESEARCH, patient.leaf)
    assert layer.consent.revocations() == []


def test_a_revoked_patient_recommitted_later_lets_anyone_touch_that_snapshot(chain: Chain, layer: MarketLayer) -> None:
    patient = Patient.new()
    fund(chain, patient)
    seller = layer.ids[SELLER]
    first = layer.cohort(SELLER, extra=[patient])
    stranger = layer.account(OUTSIDER)
    with reverts("LeafNotRevoked"):
        layer.consent.report_revoked(
            seller, RESEARCH, patient.leaf, {first.snapshot_id: first.proof(patient)}, sender=stranger
        )
    layer.consent.revoke(
        seller,
        RESEARCH,
        patient.pseudonym,
        patient.account.address,
        {first.snapshot_id: first.proof(patient)},
        sender=patient.account,
    )
    again = layer.cohort(SELLER, size=3, extra=[patient])  # the institution re-commits the revoked patient
    assert layer.consent.is_current(seller, RESEARCH, again.snapshot_id)
    clean = Patient.new()
    with reverts("NotInSnapshot"):
        layer.consent.report_revoked(
            seller, RESEARCH, patient.leaf, {again.snapshot_id: again.proof(again.patients[0])}, sender=stranger
        )
    layer.consent.report_revoked(
        seller, RESEARCH, patient.leaf, {again.snapshot_id: again.proof(patient)}, sender=stranger
    )
    assert not layer.consent.is_current(seller, RESEARCH, again.snapshot_id)
    with reverts("LeafNotRevoked"):
        layer.consent.report_revoked(seller, RESEARCH, clean.leaf, {again.snapshot_id: []}, sender=stranger)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(1, 17), pick=st.integers(0, 16), data=st.data())
def test_every_member_of_any_cohort_proves_membership_and_no_outsider_does(
    chain: Chain, layer: MarketLayer, size: int, pick: int, data: st.DataObject
) -> None:
    seller = layer.ids[SELLER]
    purpose = purpose_id(f"cohort-{secrets.token_hex(4)}")
    patients = [Patient(data.draw(st.binary(min_size=32, max_size=32)), Account.create()) for _ in range(size)]
    tree = ConsentTree([p.leaf for p in patients])
    snapshot = layer.consent.commit_snapshot(
        purpose, tree.root, size, secrets.token_bytes(32), institution=layer.account(SELLER)
    )
    outsider = Patient.new()
    with reverts("NotInSnapshot"):
        layer.consent.revoke(
            seller,
            purpose,
            outsider.pseudonym,
            outsider.account.address,
            {snapshot: tree.proof(patients[0].leaf)},
            sender=layer.account(SELLER),
        )
    member = patients[pick % size]
    layer.consent.revoke(
        seller,
        purpose,
        member.pseudonym,
        member.account.address,
        {snapshot: tree.proof(member.leaf)},
        sender=layer.account(SELLER),
    )
    assert layer.consent.snapshot_of(seller, purpose, snapshot).touched
