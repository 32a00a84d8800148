"""DataJobs: a job is debited on the DataMarket and posted as a TaskMarket task in one transaction, or refused
before anything runs (unapproved module, ε over budget, stale consent, no dataset, spent access); only the access's
buyer with its own key submits; only the seller names the dataset and seals keys to approved nodes; the gate admits
only approved nodes; an unearned reward is settled back once (no replay), and neither a re-entering payee nor a
stray payment gets anything."""

from __future__ import annotations

import secrets

import pytest
from eth_account import Account
from eth_utils import keccak
from web3.exceptions import ContractLogicError

from kura.chain.client import Chain
from kura.chain.institution_registry import Founder
from kura.chain.task_market import TaskState
from tests.contracts.compute_layer import RIGHT, WRONG
from tests.contracts.data_jobs_layer import (
    AUDIT_FEE,
    AUDITORS,
    AUDITORS_PER_ROUND,
    BUYER_EPSILON,
    LIAR,
    MODULE,
    REWARD,
    STRANGER_NODE,
    WORKER,
    JobsLayer,
)
from tests.contracts.expect import events, reverts
from tests.contracts.market_layer import BUYER, OTHER, OUTSIDER, SELLER, MarketLayer, bad_parameter
from tests.contracts.test_data_market import attacker
from tests.contracts.trust_layer import PARAMS


@pytest.fixture
def layer(chain: Chain) -> JobsLayer:
    return JobsLayer.deploy(chain)


def test_a_job_is_debited_and_posted_as_a_task_only_the_approved_nodes_may_compute(layer: JobsLayer) -> None:
    listing_id, cohort = layer.open_listing(nodes=(WORKER,))
    access = layer.access(listing_id, BUYER)
    params = layer.params(access, BUYER)

    job_id, task_id, receipt = layer.jobs.submit(params, max_rounds=PARAMS.tasks.max_rounds, buyer=layer.account(BUYER))

    job = layer.jobs.job_of(job_id)
    assert (
        job.listing_id,
        job.access_id,
        job.buyer,
        job.consent_snapshot,
        job.epsilon,
        job.escrow,
        job.task_id,
        job.module_hash,
        job.settled,
    ) == (
        listing_id,
        access,
        layer.market.ids[BUYER],
        cohort.snapshot_id,
        params.epsilon,
        layer.escrow,
        task_id,
        MODULE,
        False,
    )
    [debited] = events(layer.market.market.contract, "JobDebited", receipt)
    assert (debited["accessId"], debited["epsilon"], debited["jobRef"]) == (
        access,
        params.epsilon,
        job_id.to_bytes(32, "big"),
    )
    task = layer.compute.market.task_of(task_id)
    assert (task.requester, task.reward, task.audit_fee, task.state, task.gate) == (
        layer.jobs.address,
        REWARD,
        AUDIT_FEE,
        TaskState.OPEN,
        layer.jobs.address,
    )
    assert layer.jobs.job_of_task(task_id) == job_id and layer.jobs.job_count() == 1
    assert layer.jobs.buyer_key(job_id) == params.buyer_key
    assert layer.jobs.may_compute(task_id, layer.account(WORKER).address)
    assert not layer.jobs.may_compute(task_id, layer.account(STRANGER_NODE).address)
    assert not layer.jobs.may_compute(task_id + 1, layer.account(WORKER).address)  # no such job
    assert layer.market.market.access_of(access).jobs_left == 2


def test_only_the_access_buyer_with_its_own_key_may_submit(layer: JobsLayer) -> None:
    listing_id, _ = layer.open_listing()
    access = layer.access(listing_id, BUYER)
    for intruder in (OTHER, SELLER, OUTSIDER):
        with reverts("NotAccessBuyer"):
            layer.submit(layer.params(access, intruder), intruder)
    with reverts("BadBuyerKey"):  # the output would be sealed to someone else
        layer.submit(layer.params(access, OTHER), BUYER)
    with reverts("UnknownAccess"):
        layer.submit(layer.params(access + 1, BUYER), BUYER)
    assert layer.compute.market.task_count() == 0


def test_a_job_is_refused_before_anything_runs(layer: JobsLayer) -> None:
    listing_id, _ = layer.open_listing()
    access = layer.access(listing_id, BUYER, jobs=2)
    with reverts("ModuleNotApproved"):
        layer.submit(layer.params(access, BUYER, module_hash=keccak(b"textstats.wasm")), BUYER)
    with reverts("PrivacyBudgetExceeded"):
        layer.submit(layer.params(access, BUYER, epsilon=BUYER_EPSILON + 1), BUYER)
    with reverts("ZeroEpsilon"):
        layer.submit(layer.params(access, BUYER, epsilon=0), BUYER)
    layer.submit(layer.params(access, BUYER, epsilon=BUYER_EPSILON), BUYER)
    with reverts("PrivacyBudgetExceeded"):  # the budget is spent, one job is still paid for
        layer.submit(layer.params(access, BUYER, epsilon=1), BUYER)

    other_listing, _, _ = layer.market.listing()
    layer.market.market.configure_compute(
        other_listing, job_price=10**15, dataset_epsilon=10**6, buyer_epsilon=10**6, seller=layer.account(SELLER)
    )
    no_dataset = layer.access(other_listing, BUYER)
    with reverts("NoDataset"):
        layer.submit(layer.params(no_dataset, BUYER), BUYER)
    assert layer.compute.market.task_count() == 1 and layer.market.market.access_of(access).jobs_left == 1


def test_a_revocation_stops_jobs_until_the_listing_is_rebuilt(layer: JobsLayer) -> None:
    listing_id, cohort = layer.open_listing()
    access = layer.access(listing_id, BUYER)
    patient = cohort.patients[0]
    layer.market.consent.revoke(
        cohort.institution,
        cohort.purpose,
        patient.pseudonym,
        patient.account.address,
        {cohort.snapshot_id: cohort.proof(patient)},
        sender=layer.account(SELLER),
    )
    with reverts("ConsentNotCurrent"):
        layer.submit(layer.params(access, BUYER), BUYER)
    fresh = layer.market.cohort(SELLER)
    offer = layer.market.offer(layer.market.store(layer.account(SELLER)), fresh)
    layer.market.market.update(listing_id, 1, offer, seller=layer.account(SELLER))
    job_id, _ = layer.submit(layer.params(access, BUYER), BUYER)
    assert layer.jobs.job_of(job_id).consent_snapshot == fresh.snapshot_id  # the nodes run on the current members


def test_only_the_seller_names_the_dataset_and_seals_keys_to_approved_nodes(layer: JobsLayer) -> None:
    listing_id, _ = layer.open_listing(nodes=(WORKER,))
    seller, node = layer.account(SELLER), layer.account(WORKER).address
    sealed = secrets.token_bytes(97)
    with reverts("NotListingSeller"):
        layer.jobs.set_dataset(
            listing_id, secrets.token_bytes(32), secrets.token_bytes(32), seller=layer.account(BUYER)
        )
    with reverts("NotListingSeller"):
        layer.jobs.seal_key(listing_id, node, sealed, seller=layer.account(OTHER))
    with reverts("NotMemberAccount"):
        layer.jobs.seal_key(listing_id, node, sealed, seller=layer.account(OUTSIDER))
    with reverts("NodeNotApproved"):
        layer.jobs.seal_key(listing_id, layer.account(STRANGER_NODE).address, sealed, seller=seller)
    with bad_parameter("sealedKey"):
        layer.jobs.seal_key(listing_id, node, b"", seller=seller)
    with bad_parameter("fileId"):
        layer.jobs.set_dataset(listing_id, bytes(32), secrets.token_bytes(32), seller=seller)
    with bad_parameter("manifestDigest"):
        layer.jobs.set_dataset(listing_id, secrets.token_bytes(32), bytes(32), seller=seller)
    with reverts("UnknownListing"):
        layer.jobs.set_dataset(listing_id + 9, secrets.token_bytes(32), secrets.token_bytes(32), seller=seller)
    layer.jobs.seal_key(listing_id, node, sealed, seller=seller)
    assert layer.jobs.sealed_key(listing_id, node) == sealed
    file_id, digest = secrets.token_bytes(32), secrets.token_bytes(32)
    layer.jobs.set_dataset(listing_id, file_id, digest, seller=seller)
    assert (layer.jobs.dataset_of(listing_id).file_id, layer.jobs.dataset_of(listing_id).manifest_digest) == (
        file_id,
        digest,
    )


def _run(layer: JobsLayer, task_id: int, worker_answer: bytes, worker_index: int = WORKER) -> list[str]:
    """The worker claims and commits, two honest auditors are drawn, everyone reveals; the round is finalized.

    Returns:
        The auditors drawn.
    """
    compute = layer.compute
    accounts = {layer.account(i).address: layer.account(i) for i in (WORKER, LIAR, *AUDITORS)}
    worker = layer.account(worker_index)
    drawn = compute.claim_and_draw(task_id, worker, worker_answer)
    compute.play_round(task_id, {worker.address: worker_answer, **dict.fromkeys(drawn, RIGHT)}, accounts)
    return drawn


def test_an_unearned_reward_is_settled_back_to_the_buyer_once(layer: JobsLayer) -> None:
    compute = layer.compute
    compute.compute_node(WORKER)
    for auditor in AUDITORS:
        compute.node(auditor, passed=5)
    listing_id, _ = layer.open_listing()
    access = layer.access(listing_id, BUYER)
    lying, lied_task = layer.submit(layer.params(access, BUYER), BUYER)
    with reverts("JobNotOver"):
        layer.jobs.settle(lying, sender=layer.account(OUTSIDER))
    with reverts("UnknownJob"):
        layer.jobs.settle(lying + 5, sender=layer.account(OUTSIDER))

    drawn = _run(layer, lied_task, WRONG)
    assert compute.state(lied_task) is TaskState.ACCEPTED
    receipt = layer.jobs.settle(lying, sender=layer.account(OUTSIDER))  # anyone may settle
    unspent = layer.escrow - len(drawn) * AUDIT_FEE  # the reward and the unused rounds' fees
    assert unspent == REWARD + AUDIT_FEE * AUDITORS_PER_ROUND * (PARAMS.tasks.max_rounds - 1)
    assert events(layer.jobs.contract, "JobSettled", receipt) == [
        {"jobId": lying, "taskId": lied_task, "refund": unspent}
    ]
    payout = layer.market.institutions.payout_of(layer.market.ids[BUYER])
    assert layer.jobs.payments(payout) == unspent
    assert layer.chain.w3.eth.get_balance(layer.jobs.address) == unspent  # pulled back from the TaskMarket
    with reverts("JobAlreadySettled"):  # no replay
        layer.jobs.settle(lying, sender=layer.account(BUYER))
    layer.jobs.withdraw_payments(payee=layer.account(BUYER))
    assert layer.chain.w3.eth.get_balance(layer.jobs.address) == 0


def test_an_earned_reward_is_kept_and_only_the_unused_fees_come_back(layer: JobsLayer) -> None:
    compute = layer.compute
    compute.compute_node(WORKER)
    for auditor in AUDITORS:
        compute.node(auditor, passed=5)
    listing_id, _ = layer.open_listing()
    access = layer.access(listing_id, BUYER)
    job_id, task_id = layer.submit(layer.params(access, BUYER), BUYER)
    drawn = _run(layer, task_id, RIGHT)
    receipt = layer.jobs.settle(job_id, sender=layer.account(BUYER))
    assert (
        events(layer.jobs.contract, "JobSettled", receipt)[0]["refund"]
        == layer.escrow - REWARD - len(drawn) * AUDIT_FEE
    )
    assert layer.jobs.job_of(job_id).settled
    assert layer.compute.market.payments(layer.account(WORKER).address) == REWARD


def test_a_reentrant_buyer_payout_cannot_take_twice(chain: Chain) -> None:
    payee = attacker(chain)
    market = MarketLayer.deploy(chain, founders=(SELLER, OTHER), close=False)
    buyer = chain.account(BUYER)
    market.ids[BUYER] = market.institutions.found(Founder.of(buyer, "buyer", payee.address), deployer=chain.account(0))
    market.institutions.close_founding(deployer=chain.account(0))
    layer = JobsLayer.deploy_over(chain, market)
    for worker in (WORKER, LIAR):
        layer.compute.compute_node(worker)
    for auditor in AUDITORS:
        layer.compute.node(auditor, passed=5)
    listing_id, _ = layer.open_listing()
    access = layer.access(listing_id, BUYER)
    jobs = [layer.submit(layer.params(access, BUYER), BUYER) for _ in range(2)]
    for (_, task_id), worker in zip(jobs, (WORKER, LIAR), strict=True):
        _run(layer, task_id, WRONG, worker)  # each lying worker is demoted: the next job needs another
    f = layer.jobs.contract.functions
    rounds = (
        (jobs[0][0], f.withdrawPayments(), b"ReentrancyGuardReentrantCall()"),
        (jobs[1][0], f.settle(jobs[0][0]), b"ReentrancyGuardReentrantCall()"),
    )  # settle is guarded too
    for job_id, nested, refusal in rounds:
        layer.jobs.settle(job_id, sender=chain.account(OUTSIDER))
        chain.transact(
            payee.functions.arm(layer.jobs.address, nested._encode_transaction_data()), sender=chain.account(OUTSIDER)
        )
        chain.transact(payee.functions.withdrawFrom(layer.jobs.address), sender=chain.account(OUTSIDER))
        assert chain.call(payee.functions.reentries()) == 0
        assert chain.call(payee.functions.refusal()) == keccak(refusal)[:4]
    unspent = layer.escrow - AUDITORS_PER_ROUND * AUDIT_FEE
    assert chain.w3.eth.get_balance(payee.address) == 2 * unspent
    assert chain.w3.eth.get_balance(layer.jobs.address) == 0


def test_only_the_task_market_may_pay_data_jobs(layer: JobsLayer) -> None:
    stranger = layer.account(OUTSIDER).address
    with pytest.raises(ContractLogicError) as caught:
        layer.chain.w3.eth.call({"from": stranger, "to": layer.jobs.address, "value": 1})
    selector = keccak(b"UnexpectedPayment(address)")[:4].hex()
    assert str(caught.value.data).removeprefix("0x").startswith(selector)


def test_the_constructor_refuses_a_zero_address(chain: Chain) -> None:
    real = Account.create().address
    zero = "0x" + "00" * 20
    for args, what in (
        ((zero, real, real), "institutions"),
        ((real, zero, real), "market"),
        ((real, real, zero), "tasks"),
    ):
        with bad_parameter(what):
            chain.deploy("DataJobs", *args, sender=chain.account(0))


def test_an_unapproved_node_can_neither_claim_nor_be_drawn(layer: JobsLayer) -> None:
    compute = layer.compute
    compute.compute_node(WORKER)
    stranger = compute.compute_node(STRANGER_NODE)
    approved = [compute.node(a, passed=5) for a in AUDITORS[:2]]
    outsiders = [compute.node(i, passed=5) for i in (18, 19, 20, 21)]  # more of them in the pool than approved
    listing_id, _ = layer.open_listing(nodes=(WORKER, *AUDITORS[:2]))
    access = layer.access(listing_id, BUYER, jobs=3)
    for _ in range(3):
        _, task_id = layer.submit(layer.params(access, BUYER, epsilon=BUYER_EPSILON // 3), BUYER)
        with reverts("GateRefused"):
            compute.market.claim(task_id, worker=stranger)
        drawn = compute.claim_and_draw(task_id, layer.account(WORKER), RIGHT)
        assert sorted(drawn) == sorted(a.address for a in approved)
        assert not {o.address for o in outsiders} & set(compute.market.auditors_of(task_id))
        compute.play_round(
            task_id,
            {layer.account(WORKER).address: RIGHT, **dict.fromkeys(drawn, RIGHT)},
            {a.address: a for a in (layer.account(WORKER), *approved)},
        )
        assert compute.state(task_id) is TaskState.ACCEPTED
