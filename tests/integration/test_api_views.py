"""The API's read views on a small market (kura.devtools.sample_market), each checked against the chain: escrow
phases and deadlines, proceeds, privacy budgets, consent snapshots, coverage and revocations, node heartbeats and
slashes, a file's redundancy, posted tasks, compute-to-data access, and the gas meter."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from fractions import Fraction

import pytest
from eth_utils import keccak

import kura
from kura.api.compute_access import compute_accesses
from kura.api.gas import metered
from kura.api.market import EscrowPhase
from kura.chain.consent_registry import purpose_id
from kura.chain.data_market import PurchaseState
from kura.chain.pull_payments import reason_bytes
from kura.compute.tasks import load
from kura.devtools.sample_market import HOSPITAL, INSTITUTE, OTHER_HOSPITAL, SampleMarket, prepared
from kura.market import synthetic
from kura.market.c2d import TASK, CohortParams, CohortQuery
from kura.market.licence import Licence
from kura.units import EPSILON_ONE, to_wei

HRESCH = purpose_id("HRESCH")
"""A development account standing in for the compute market (the contract that debits jobs) on this deployment."""


@pytest.fixture(scope="module")
def hospital(sample_market: SampleMarket) -> Iterator[kura.Kura]:
    with kura.connect(sample_market.network, HOSPITAL, nodes="config") as session:
        yield session


def test_purchases_show_each_sides_escrow_and_the_deadline_that_governs_it(
    sample_market: SampleMarket, hospital: kura.Kura
) -> None:
    views = {v.entry.purchase_id: v for v in hospital.market.purchases()}
    market = hospital.contracts.market
    accepted, waiting = views[sample_market.accepted_purchase], views[sample_market.waiting_purchase]
    assert (accepted.role, accepted.phase, accepted.escrowed, accepted.deadline) == (
        "seller",
        EscrowPhase.RELEASED,
        0,
        0,
    )
    record = market.purchase_of(sample_market.waiting_purchase)
    assert record.state is PurchaseState.PAID
    assert (waiting.role, waiting.phase, waiting.escrowed) == ("seller", EscrowPhase.AWAITING_DELIVERY, to_wei("0.5"))
    assert waiting.deadline == record.deliver_by
    assert waiting.seconds_left == record.deliver_by - hospital.clock.now()
    with kura.connect(sample_market.network, INSTITUTE, nodes="config") as institute:
        [bought] = institute.market.purchases()
    assert (bought.role, bought.entry.purchase_id) == ("buyer", sample_market.accepted_purchase)


def test_a_delivery_moves_the_escrow_into_the_dispute_window_with_the_bond(
    sample_market: SampleMarket, hospital: kura.Kura
) -> None:
    bought = hospital.market.buy(sample_market.other_listing)
    with kura.connect(sample_market.network, OTHER_HOSPITAL, nodes="config") as other:
        other.market.deliver(bought.purchase_id)
    bond = hospital.contracts.market.terms_of(sample_market.other_listing, 1).bond
    [view] = [v for v in hospital.market.purchases() if v.entry.purchase_id == bought.purchase_id]
    record = hospital.contracts.market.purchase_of(bought.purchase_id)
    assert (view.role, view.phase, view.escrowed) == ("buyer", EscrowPhase.DISPUTE_WINDOW, bought.price + bond)
    assert view.deadline == record.dispute_until and view.seconds_left == record.dispute_until - hospital.clock.now()


def test_proceeds_are_the_released_sales_price_and_credit(sample_market: SampleMarket, hospital: kura.Kura) -> None:
    [sale] = hospital.market.proceeds()
    assert (sale.purchase_id, sale.listing_id) == (sample_market.accepted_purchase, sample_market.hospital_listing)
    assert (sale.price, sale.amount) == (to_wei("0.5"), to_wei("0.6"))
    assert sale.timestamp == hospital.clock.time_of(sale.block)
    assert hospital.market.owed() >= sale.amount
    with kura.connect(sample_market.network, INSTITUTE, nodes="config") as institute:
        assert institute.market.proceeds() == []


def test_the_privacy_budget_is_the_listings_terms_less_what_jobs_spent(
    sample_market: SampleMarket, hospital: kura.Kura
) -> None:
    budget = hospital.market.privacy_budget(sample_market.hospital_listing)
    assert budget.terms == hospital.contracts.market.compute_terms_of(sample_market.hospital_listing)
    assert (budget.terms.dataset_epsilon, budget.spent, budget.left) == (2 * EPSILON_ONE, 0, 2 * EPSILON_ONE)
    assert hospital.market.privacy_budget(sample_market.other_listing).terms.dataset_epsilon == 0


def test_compute_access_shows_jobs_bought_accepted_and_refunded_to_buyer_and_seller(
    sample_market: SampleMarket, hospital: kura.Kura
) -> None:
    listing = sample_market.hospital_listing
    market = hospital.contracts.market
    seller = hospital.consent.member_id()
    assert hospital.consent.coverage(seller)[0].current  # a job needs the listing's consent snapshot current
    module = keccak(load(TASK))  # offered by the sample market, with the listing's rows as its dataset
    with kura.connect(sample_market.network, INSTITUTE, nodes="config") as institute:
        buyer = institute.consent.member_id()
        [sample] = compute_accesses(institute, buyer)
        assert (sample.access_id, sample.jobs, sample.debited, sample.jobs_left) == (
            sample_market.compute_access,
            2,
            (),
            2,
        )
        job_price = market.compute_terms_of(listing).job_price
        access_id = market.buy_compute(listing, jobs=3, job_price=job_price, purpose=HRESCH, buyer=institute.account)
        quarter = EPSILON_ONE // 4
        submitted = institute.market.jobs.run(access_id, CohortQuery(CohortParams(Fraction(1, 4))), reward="0.01")
        market.refund_jobs(access_id, buyer=institute.account)
        [_, bought] = compute_accesses(institute, buyer)

    assert compute_accesses(hospital, seller) == [sample, bought]
    assert (
        bought.access_id,
        bought.listing_id,
        bought.buyer,
        bought.seller,
        bought.jobs,
        bought.job_price,
        bought.purpose,
    ) == (access_id, listing, buyer, seller, 3, job_price, HRESCH)
    [job] = bought.debited
    assert (job.module_hash, job.epsilon, job.job_ref) == (module, quarter, submitted.job_id.to_bytes(32, "big"))
    assert job.timestamp == hospital.clock.time_of(job.block)
    assert (bought.refunded, bought.jobs_left) == (2, 0)
    budget = hospital.market.privacy_budget(listing)
    assert (budget.spent, budget.left) == (quarter, 2 * EPSILON_ONE - quarter)
    with kura.connect(sample_market.network, OTHER_HOSPITAL, nodes="config") as other:
        assert compute_accesses(other, other.consent.member_id()) == []


def test_snapshots_coverage_and_revocations_follow_the_chain(sample_market: SampleMarket, hospital: kura.Kura) -> None:
    me = hospital.consent.member_id()
    [snapshot] = hospital.consent.snapshots(me)
    assert snapshot == hospital.contracts.consent.snapshot_of(me, HRESCH, 1)
    [covered] = hospital.consent.coverage(me)
    assert (covered.listing_id, covered.snapshot_id, covered.current, covered.revoked) == (
        sample_market.hospital_listing,
        1,
        True,
        0,
    )
    assert covered.usable == covered.cohort_size == len(sample_market.hospital_records.consent.members)
    assert hospital.consent.revocations(me) == []

    patient = sample_market.hospital_records.consent.members[0].pseudonym
    hospital.consent.revoke(me, "HRESCH", patient)

    [revoked] = hospital.consent.revocations(me)
    assert (revoked.revocation.pseudonym, revoked.touched, revoked.stale_listings) == (
        patient,
        (1,),
        (sample_market.hospital_listing,),
    )
    assert revoked.timestamp == hospital.clock.time_of(revoked.revocation.block)
    [stale] = hospital.consent.coverage(me)
    assert (stale.current, stale.usable, stale.revoked, stale.stale_reason) == (False, 0, 1, "revoked")


def test_a_newer_snapshot_supersedes_the_one_a_listing_relies_on(sample_market: SampleMarket) -> None:
    with kura.connect(sample_market.network, OTHER_HOSPITAL, nodes="config") as other:
        me = other.consent.member_id()
        [before] = other.consent.coverage(me)
        assert before.current
        relisted = other.market.publish(
            prepared(list(synthetic.PROFILES)[1], 600, 11), licence=Licence("again"), price="0.1"
        )
        old, new = other.consent.coverage(me)
    assert (old.listing_id, old.current, old.usable, old.stale_reason) == (before.listing_id, False, 0, "superseded")
    assert (new.listing_id, new.snapshot_id, new.current) == (relisted.listing_id, relisted.consent_snapshot, True)
    assert [s.snapshot_id for s in other.consent.snapshots(me)] == [1, 2]


def test_heartbeats_name_each_nodes_own_last_action_and_slashes_their_reason(
    sample_market: SampleMarket, hospital: kura.Kura
) -> None:
    beats = hospital.nodes.heartbeats()
    beat = beats[sample_market.node]
    assert beat.action == "NodeRegistered" and beat.repairs == 0
    assert [r.address for r in hospital.nodes.registered()] == [sample_market.node]
    assert hospital.nodes.slashes(sample_market.node) == []

    owner = hospital.chain.account(0)
    registry = hospital.contracts.nodes
    registry.set_judge(owner.address, True, owner=owner)
    registry.slash(sample_market.node, 1_000, "AUDIT_TIMEOUT", reason_bytes("test ref"), judge=owner)
    registry.top_up(node=hospital.chain.account(14), amount=to_wei("0.5"))

    [slash] = hospital.nodes.slashes(sample_market.node)
    assert (slash.node, slash.reason, slash.amount) == (sample_market.node, "AUDIT_TIMEOUT", to_wei("0.1"))
    assert slash.ref == reason_bytes("test ref")
    assert hospital.nodes.heartbeats()[sample_market.node].action == "StakeAdded"


def test_a_files_redundancy_starts_at_n_when_it_was_registered(hospital: kura.Kura) -> None:
    entry = hospital.storage.ls()[0]  # the listed dataset (the compute rows offered for jobs come after it)
    redundancy = hospital.storage.redundancy(entry.file_id)
    record = hospital.contracts.files.file_of(entry.file_id)
    assert redundancy.n == hospital.storage.info(entry.file_id).n
    assert redundancy.points[0].timestamp == record.created_at and redundancy.points[-1].healthy == redundancy.n
    assert hospital.audits.of_file(entry.file_id) == []


def test_posted_tasks_are_this_accounts(sample_market: SampleMarket, hospital: kura.Kura) -> None:
    [task] = hospital.tasks.posted()
    assert task.task_id == sample_market.task_id and task.requester == hospital.address
    assert hospital.tasks.posted(hospital.chain.account(13).address) == []


def test_the_gas_meter_counts_this_threads_transactions_and_no_other(
    sample_market: SampleMarket, hospital: kura.Kura
) -> None:
    other_thread: list[str] = []

    def elsewhere() -> None:
        receipt = hospital.contracts.nodes.top_up(node=hospital.chain.account(14), amount=1)
        other_thread.append(receipt["transactionHash"].to_0x_hex())

    with metered(hospital.chain) as outer:
        with metered(hospital.chain) as inner:
            worker = threading.Thread(target=elsewhere)
            worker.start()
            worker.join()
            hospital.market.withdraw()
        hospital.tasks.submit("textstats", b"metered", reward="0.001")
    used, nested = outer.used(), inner.used()
    assert len(nested.transactions) == 1 and len(used.transactions) == 2
    assert used.transactions[0] == nested.transactions[0] and other_thread[0] not in used.transactions
    receipts = [hospital.chain.w3.eth.get_transaction_receipt(tx) for tx in used.transactions]
    assert used.gas == sum(r["gasUsed"] for r in receipts) > 21_000
    assert used.fee == sum(r["gasUsed"] * r["effectiveGasPrice"] for r in receipts)
