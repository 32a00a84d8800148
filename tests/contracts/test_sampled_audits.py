"""Sampled audits (docs/trust-layer.md, section 3) on the real NodeRegistry, SampledAudits and TaskMarket: the
audit probability and its coin, provisional results and their held rewards, the stake rule at claim, a silent
unaudited worker, the catch of a behave-then-cheat worker and the re-audits that follow, and every refusal.

The sampling market of these tests audits with probability 1 below a compute record of 2, then halves it at every
passed audit down to a floor of 1e-7 (``TRUSTED``, set directly by the test judge, reaches the floor: such a worker
is in practice never audited). Its rewards are small (1e10 wei) so that a 1 ETH stake covers them at that floor."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.node_registry import Role
from kura.chain.params import SampledAuditsParams
from kura.chain.pull_payments import reason_bytes
from kura.chain.sampled_audits import HeldEntry
from kura.chain.task_market import Outcome, TaskState
from kura.compute.sampling import audit_probability_wad
from kura.units import WAD
from tests.contracts.compute_layer import AUDIT_FEE, JUDGE, RIGHT, WRONG, ComputeLayer
from tests.contracts.expect import events, reverts
from tests.contracts.trust_layer import PARAMS, advance, join, mine

Q_MIN = 10**11
"""Floor of the audit probability: 1e-7."""
SAMPLED = SampledAuditsParams(q_min=Q_MIN, full_record=2, half_life=1, window=3, hold_time=1_000, clean_run=16)
TRUSTED = SAMPLED.full_record + 30
"""A compute record at which the audit probability is the floor (WAD >> 30 < Q_MIN)."""
SMALL = 10**10
"""A reward a 1 ETH stake may claim at ``Q_MIN`` (the minimum stake is about 1e17)."""
AUDITORS = 3
BUDGET = AUDIT_FEE * AUDITORS * PARAMS.tasks.max_rounds
"""The audit budget a task of ``AUDITORS`` escrows beside its reward."""
STAKE = PARAMS.nodes.min_stake
POOL = (10, 11, 12)
REQUESTER = 8
OTHER_REQUESTER = 7
STRANGER = 20


@pytest.fixture
def layer(chain: Chain) -> ComputeLayer:
    return ComputeLayer.deploy(chain, sampling=SAMPLED)


@pytest.fixture
def requester(chain: Chain) -> LocalAccount:
    return chain.account(REQUESTER)


@pytest.fixture
def stranger(chain: Chain) -> LocalAccount:
    return chain.account(STRANGER)


# ---------------------------------------------------------------- helpers


def probability(terms: SampledAuditsParams, record: int) -> int:
    """The audit probability rule's integer twin (``kura.compute.sampling``, what the simulator runs) for ``terms``."""
    return audit_probability_wad(record, terms.q_min, terms.full_record, terms.half_life)


def audit_coin(chain: Chain, layer: ComputeLayer, task_id: int) -> int:
    """``keccak256(abi.encode(blockhash(seedBlock), taskId, "audit")) mod WAD``, re-done in Python."""
    seed_block = layer.market.task_of(task_id).seed_block
    block_hash = bytes(chain.w3.eth.get_block(seed_block)["hash"])
    return int.from_bytes(keccak(abi_encode(["bytes32", "uint256", "string"], [block_hash, task_id, "audit"]))) % WAD


def give_record(layer: ComputeLayer, worker: str, count: int) -> None:
    """Count ``count`` passed audited tasks for ``worker`` through the test judge."""
    judge = layer.chain.account(JUDGE)
    for _ in range(count):
        layer.registry.record_compute_audit(worker, judge=judge)


def trusted(layer: ComputeLayer, index: int) -> LocalAccount:
    """A compute node whose record puts its audit probability at the floor."""
    worker = layer.compute_node(index)
    give_record(layer, worker.address, TRUSTED)
    assert layer.sampler.audit_probability_of(worker.address) == Q_MIN
    return worker


def pool(layer: ComputeLayer) -> dict[str, LocalAccount]:
    """Three credible auditors in the pool, by address."""
    return {a.address: a for a in (layer.node(i, passed=5) for i in POOL)}


def draw(layer: ComputeLayer, task_id: int) -> TxReceipt:
    """Wait for the task's seed block and draw (or toss its audit coin), as a stranger."""
    seed_block = layer.market.task_of(task_id).seed_block
    mine(layer.chain, max(0, seed_block + 1 - layer.chain.w3.eth.block_number))
    return layer.market.draw_auditors(task_id, sender=layer.chain.account(STRANGER))


def block_time(chain: Chain, receipt: TxReceipt) -> int:
    return int(chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


def unaudited(
    layer: ComputeLayer, worker: LocalAccount, requester: LocalAccount, answer: bytes, reward: int = SMALL
) -> int:
    """Post a task, let ``worker`` claim it and commit ``answer``, and toss a coin that skips the audit."""
    task_id = layer.post(requester, auditors=AUDITORS, reward=reward)
    layer.market.claim(task_id, worker=worker)
    layer.commit(task_id, worker, answer)
    receipt = draw(layer, task_id)
    assert [e["taskId"] for e in events(layer.market.contract, "AuditSkipped", receipt)] == [task_id]
    assert layer.state(task_id) == TaskState.UNAUDITED
    return task_id


def reveal(layer: ComputeLayer, task_id: int, worker: LocalAccount, answer: bytes) -> TxReceipt:
    salt = layer.salts[(task_id, worker.address)]
    return layer.market.reveal(task_id, answer, salt, "bafy-out", node=worker)


def provisional(
    layer: ComputeLayer, worker: LocalAccount, requester: LocalAccount, answer: bytes, reward: int = SMALL
) -> tuple[int, TxReceipt]:
    """An unaudited task whose worker revealed ``answer``: its id and the reveal's receipt."""
    task_id = unaudited(layer, worker, requester, answer, reward)
    receipt = reveal(layer, task_id, worker, answer)
    assert layer.state(task_id) == TaskState.PROVISIONAL
    return task_id, receipt


def catch_silent(chain: Chain, layer: ComputeLayer, worker: LocalAccount, requester: LocalAccount) -> TxReceipt:
    """Catch ``worker``: an unaudited task it never reveals, finalized after its deadline."""
    task_id = unaudited(layer, worker, requester, WRONG)
    advance(chain, layer.market.task_of(task_id).reveal_deadline - layer.now() + 1)
    return layer.market.finalize(task_id, sender=chain.account(STRANGER))


def logs(contract: Contract, name: str, from_block: int) -> list[dict[str, object]]:
    """The arguments of every ``name`` event of ``contract`` since ``from_block``, in chain order."""
    return [dict(log.args) for log in getattr(contract.events, name)().get_logs(from_block=from_block)]


def progress(layer: ComputeLayer, worker: str) -> tuple[int, int, int, int, bool, bool]:
    """Where ``worker``'s ledger stands: head, tail, re-audits open, clean run, caught, forfeit."""
    ledger = layer.sampler.ledger_of(worker)
    return ledger.head, ledger.tail, ledger.reauditing, ledger.clean_run, ledger.caught, ledger.forfeit


def claim_terms(layer: ComputeLayer, worker: str, reward: int) -> tuple[bool, int]:
    blocked, minimum = layer.chain.call(layer.sampler.contract.functions.claimTerms(worker, reward))
    return bool(blocked), int(minimum)


# ---------------------------------------------------------------- the audit probability and its coin


def test_the_audit_probability_follows_the_record_and_only_compute_nodes_build_one(
    chain: Chain, layer: ComputeLayer
) -> None:
    """``auditProbabilityOf`` is WAD below ``fullRecord``, then halves every ``halfLife`` passed audits down to
    ``qMin``; a record counts only while the node holds the Compute role and is zeroed at every role change."""
    terms = SampledAuditsParams(q_min=WAD // 16, full_record=3, half_life=2, window=1, hold_time=0, clean_run=1)
    ledger = chain.contract(
        "SampledAudits",
        chain.deploy("SampledAudits", layer.registry.contract.address, *terms.args(), sender=chain.account(0)).address,
    )
    worker = layer.compute_node(1)
    for record in range(15):
        assert layer.registry.node_of(worker.address).compute_record == record
        expected = probability(terms, record)
        assert chain.call(ledger.functions.auditProbabilityOf(worker.address)) == expected, record
        give_record(layer, worker.address, 1)
    assert probability(terms, 14) == terms.q_min  # the floor was reached
    assert chain.call(ledger.functions.sampling())

    stray = layer.node(2, pool=False)
    give_record(layer, stray.address, 3)
    assert chain.call(layer.registry.contract.functions.computeRecordOf(stray.address)) == 0
    layer.registry.set_role(worker.address, Role.STRAY, "TEST", judge=chain.account(JUDGE))
    assert layer.registry.node_of(worker.address).compute_record == 0
    assert chain.call(ledger.functions.auditProbabilityOf(worker.address)) == WAD


def test_a_new_compute_node_is_audited_on_every_task_and_each_pass_raises_its_record(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    """Below ``fullRecord`` the coin never skips an audit; every audited task the worker passes in a sampling
    market adds one to its compute record, and the probability starts halving once the record reaches it."""
    worker = layer.compute_node(1)
    auditors = pool(layer)
    accounts = {worker.address: worker, **auditors}
    assert layer.sampler.audit_probability_of(worker.address) == WAD
    for task_number in range(1, 4):
        task_id = layer.post(requester, auditors=AUDITORS, reward=SMALL)
        start = chain.w3.eth.block_number
        drawn = layer.claim_and_draw(task_id, worker)
        assert sorted(drawn) == sorted(auditors)
        assert logs(layer.market.contract, "AuditSkipped", start) == []
        layer.play_round(task_id, dict.fromkeys((worker.address, *drawn), RIGHT), accounts)
        task = layer.market.task_of(task_id)
        assert (task.state, task.outcome) == (TaskState.ACCEPTED, Outcome.AUDITED)
        assert layer.registry.node_of(worker.address).compute_record == task_number
        assert logs(layer.registry.contract, "ComputeRecordChanged", start) == [
            {"node": worker.address, "computeRecord": task_number}
        ]
    assert layer.market.payments(worker.address) == 3 * SMALL
    assert layer.sampler.audit_probability_of(worker.address) == WAD // 2


def test_a_full_audit_market_never_skips_an_audit_nor_builds_records(chain: Chain, requester: LocalAccount) -> None:
    """With ``qMin = WAD`` (kura's default) sampling is off: the probability is WAD whatever the record, any task
    is audited, no stake rule applies at claim, and a passed audit does not count towards a record."""
    layer = ComputeLayer.deploy(chain)
    assert not chain.call(layer.sampler.contract.functions.sampling())
    worker = layer.compute_node(1)
    give_record(layer, worker.address, TRUSTED)
    assert layer.sampler.audit_probability_of(worker.address) == WAD
    auditors = pool(layer)
    reward = STAKE  # far above what a 1 ETH stake may claim in a sampling market
    assert claim_terms(layer, worker.address, reward) == (False, 0)
    task_id = layer.post(requester, auditors=AUDITORS, reward=reward)
    start = chain.w3.eth.block_number
    drawn = layer.claim_and_draw(task_id, worker)
    assert sorted(drawn) == sorted(auditors)
    layer.play_round(task_id, dict.fromkeys((worker.address, *drawn), RIGHT), {worker.address: worker, **auditors})
    assert logs(layer.market.contract, "AuditSkipped", start) == []
    assert layer.market.task_of(task_id).outcome == Outcome.AUDITED
    assert layer.market.payments(worker.address) == reward
    assert layer.registry.node_of(worker.address).compute_record == TRUSTED


def test_the_audit_coin_is_the_hash_of_the_seed_block_the_task_and_audit(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    """At probability 1/2 each task is audited iff ``keccak256(abi.encode(blockhash(seedBlock), taskId, "audit"))
    mod WAD < q``, as the contract computes it; a skipped audit draws nobody and gives the worker ``revealWindow``
    seconds to reveal."""
    worker = layer.compute_node(1)
    give_record(layer, worker.address, SAMPLED.full_record + 1)
    half = layer.sampler.audit_probability_of(worker.address)
    assert half == WAD // 2
    auditors = pool(layer)
    for _ in range(6):
        task_id = layer.post(requester, auditors=AUDITORS, reward=SMALL)
        layer.market.claim(task_id, worker=worker)
        layer.commit(task_id, worker, RIGHT)
        receipt = draw(layer, task_id)
        skipped = audit_coin(chain, layer, task_id) >= half
        task = layer.market.task_of(task_id)
        if skipped:
            deadline = block_time(chain, receipt) + PARAMS.tasks.reveal_window
            assert events(layer.market.contract, "AuditSkipped", receipt) == [
                {"taskId": task_id, "worker": worker.address, "probability": half, "revealDeadline": deadline}
            ]
            assert (task.state, task.round, task.reveal_deadline) == (TaskState.UNAUDITED, 0, deadline)
            assert layer.market.auditors_of(task_id) == []
        else:
            assert events(layer.market.contract, "AuditSkipped", receipt) == []
            assert (task.state, task.round) == (TaskState.AUDITING, 1)
            assert sorted(layer.market.auditors_of(task_id)) == sorted(auditors)


# ---------------------------------------------------------------- provisional results


def test_an_unaudited_result_is_provisional_and_its_reward_is_held_until_the_hold_time(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount, stranger: LocalAccount
) -> None:
    """The worker's reveal of an unaudited task accepts its result provisionally: the requester gets the audit
    budget back at once, the reward waits in the ledger (not the worker's yet), and ``release`` pays it only once
    ``holdTime`` has passed, once."""
    worker = trusted(layer, 1)
    task_id = unaudited(layer, worker, requester, RIGHT)
    assert audit_coin(chain, layer, task_id) >= Q_MIN
    receipt = reveal(layer, task_id, worker, RIGHT)
    held_at = block_time(chain, receipt)
    final_at = held_at + SAMPLED.hold_time
    task = layer.market.task_of(task_id)
    assert (task.state, task.outcome, task.result, task.worker_revealed) == (
        TaskState.PROVISIONAL,
        Outcome.SAMPLED,
        RIGHT,
        True,
    )
    assert layer.market.result_of(task_id) == RIGHT
    assert events(layer.market.contract, "ResultProvisional", receipt) == [
        {"taskId": task_id, "worker": worker.address, "result": RIGHT}
    ]
    assert events(layer.sampler.contract, "ResultHeld", receipt) == [
        {"taskId": task_id, "worker": worker.address, "reward": SMALL, "finalAt": final_at}
    ]
    assert layer.market.payments(requester.address) == BUDGET
    assert layer.market.payments(worker.address) == 0
    assert chain.w3.eth.get_balance(layer.market.contract.address) == BUDGET
    assert chain.w3.eth.get_balance(layer.sampler.contract.address) == SMALL
    assert layer.sampler.payments(worker.address) == 0
    assert progress(layer, worker.address) == (0, 1, 0, 0, False, False)
    assert layer.sampler.entry_at(worker.address, 0) == HeldEntry(task_id, final_at, SMALL)
    with reverts("WrongState"):
        reveal(layer, task_id, worker, RIGHT)

    with reverts("NothingToRelease") as caught:
        layer.sampler.release(worker.address, 5, sender=stranger)
    assert caught.value.args_by_name == {"worker": worker.address}
    advance(chain, final_at - layer.now() - 10)
    with reverts("NothingToRelease"):
        layer.sampler.release(worker.address, 5, sender=stranger)
    advance(chain, final_at - layer.now() + 1)
    receipt = layer.sampler.release(worker.address, 5, sender=stranger)
    assert events(layer.sampler.contract, "ResultFinal", receipt) == [
        {"taskId": task_id, "worker": worker.address, "reward": SMALL}
    ]
    assert layer.sampler.payments(worker.address) == SMALL
    assert progress(layer, worker.address) == (1, 1, 0, 0, False, False)
    assert layer.sampler.entry_at(worker.address, 0) == HeldEntry(0, 0, 0)
    with reverts("NothingToRelease"):
        layer.sampler.release(worker.address, 5, sender=stranger)
    assert layer.market.task_of(task_id).state == TaskState.PROVISIONAL  # the result stands

    before = chain.w3.eth.get_balance(worker.address)
    withdrawal = layer.sampler.withdraw_payments(payee=worker)
    gas = int(withdrawal["gasUsed"]) * int(withdrawal["effectiveGasPrice"])
    assert chain.w3.eth.get_balance(worker.address) == before + SMALL - gas
    assert chain.w3.eth.get_balance(layer.sampler.contract.address) == 0


def test_a_result_beyond_the_window_makes_the_oldest_final(chain: Chain, requester: LocalAccount) -> None:
    """With ``window = 2``, the third provisional result of a worker makes its first final at once (its reward,
    not another's, credited to the worker) while the two newer ones stay held."""
    layer = ComputeLayer.deploy(chain, sampling=replace(SAMPLED, window=2))
    worker = trusted(layer, 1)
    first, _ = provisional(layer, worker, requester, RIGHT, reward=SMALL)
    second, receipt = provisional(layer, worker, requester, RIGHT, reward=2 * SMALL)
    assert events(layer.sampler.contract, "ResultFinal", receipt) == []
    assert layer.sampler.payments(worker.address) == 0
    third, receipt = provisional(layer, worker, requester, RIGHT, reward=3 * SMALL)
    assert events(layer.sampler.contract, "ResultFinal", receipt) == [
        {"taskId": first, "worker": worker.address, "reward": SMALL}
    ]
    assert layer.sampler.payments(worker.address) == SMALL
    ledger = layer.sampler.ledger_of(worker.address)
    assert (ledger.head, ledger.tail, ledger.held) == (1, 3, 2)
    assert layer.sampler.entry_at(worker.address, 0) == HeldEntry(0, 0, 0)
    assert [layer.sampler.entry_at(worker.address, i).task_id for i in (1, 2)] == [second, third]
    assert chain.w3.eth.get_balance(layer.sampler.contract.address) == 6 * SMALL
    with reverts("NothingToRelease"):
        layer.sampler.release(worker.address, 5, sender=chain.account(STRANGER))


# ---------------------------------------------------------------- the stake rule


def test_a_claim_needs_a_stake_above_the_rewards_price_at_the_floor_except_on_a_gated_task(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    """``claim`` refuses ``StakeTooLowForReward(node, stake, minimum)`` below ``reward × (WAD − qMin)/qMin + 1``
    and accepts a stake of exactly that; a gated (compute-to-data) task has no stake rule and is audited whatever
    its worker's record."""
    big = 10**12
    minimum = SAMPLED.min_stake(big)
    assert minimum == big * (WAD - Q_MIN) // Q_MIN + 1 > STAKE
    worker = chain.account(1)
    join(layer.registry, worker, minimum - 1)
    give_spot_checks(layer, worker.address)
    layer.registry.promote(worker.address, sender=worker)
    assert claim_terms(layer, worker.address, big) == (False, minimum)

    task_id = layer.post(requester, auditors=AUDITORS, reward=big)
    with reverts("StakeTooLowForReward") as caught:
        layer.market.claim(task_id, worker=worker)
    assert caught.value.args_by_name == {"node": worker.address, "stake": minimum - 1, "minimum": minimum}
    small = layer.post(requester, auditors=AUDITORS, reward=SMALL)
    layer.market.claim(small, worker=worker)
    layer.registry.top_up(node=worker, amount=1)
    layer.market.claim(task_id, worker=worker)
    assert layer.market.task_of(task_id).worker == worker.address

    gate = chain.contract("TestComputeGate", chain.deploy("TestComputeGate", sender=requester).address)
    chain.transact(gate.functions.setMode(1), sender=requester)  # AllowAll
    pool(layer)
    lowly = trusted(layer, 2)
    assert claim_terms(layer, lowly.address, big)[1] > STAKE
    params = layer.task_params(auditors=AUDITORS, reward=big, gate=gate.address)
    chain.transact(
        gate.functions.post(layer.market.contract.address, params.as_tuple()), sender=requester, value=big + BUDGET
    )
    gated = layer.market.task_count()
    layer.market.claim(gated, worker=lowly)
    layer.commit(gated, lowly, RIGHT)
    receipt = draw(layer, gated)
    assert audit_coin(chain, layer, gated) >= Q_MIN  # an open task would have gone unaudited
    assert events(layer.market.contract, "AuditSkipped", receipt) == []
    assert layer.state(gated) == TaskState.AUDITING
    assert len(layer.market.auditors_of(gated)) == AUDITORS


def give_spot_checks(layer: ComputeLayer, node: str) -> None:
    """Pass ``node`` the spot-checks ``promote`` asks for."""
    for _ in range(PARAMS.nodes.promotion_bar):
        layer.registry.record_spot_check(node, True, judge=layer.chain.account(JUDGE))


# ---------------------------------------------------------------- a silent unaudited worker


def test_an_unaudited_worker_that_does_not_reveal_loses_its_whole_stake_and_the_task_is_refunded(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount, stranger: LocalAccount
) -> None:
    """Only the worker reveals an unaudited task, and only until its reveal deadline; nobody can finalize it before.
    After the deadline ``finalize`` (anyone) slashes the silent worker whole, demotes it and refunds the task
    (``WORKER_SILENT``)."""
    worker = trusted(layer, 1)
    task_id = unaudited(layer, worker, requester, RIGHT)
    task = layer.market.task_of(task_id)
    salt = layer.salts[(task_id, worker.address)]
    with reverts("NotParticipant"):
        layer.market.reveal(task_id, RIGHT, salt, "x", node=stranger)
    with reverts("NotParticipant"):
        layer.market.reveal(task_id, RIGHT, salt, "x", node=requester)
    with reverts("CommitmentMismatch"):
        layer.market.reveal(task_id, WRONG, salt, "x", node=worker)
    with reverts("WrongState"):
        layer.market.draw_auditors(task_id, sender=stranger)
    with reverts("WrongState"):
        layer.market.commit(task_id, RIGHT, salt, node=worker)
    with reverts("RoundNotOver") as caught:
        layer.market.finalize(task_id, sender=stranger)
    assert caught.value.args_by_name == {"taskId": task_id, "deadline": task.reveal_deadline}

    advance(chain, task.reveal_deadline - layer.now() + 1)
    with reverts("RevealClosed") as caught:
        reveal(layer, task_id, worker, RIGHT)
    assert caught.value.args_by_name == {"taskId": task_id, "revealDeadline": task.reveal_deadline}
    receipt = layer.market.finalize(task_id, sender=stranger)
    assert events(layer.market.contract, "WorkerPenalised", receipt) == [
        {"taskId": task_id, "worker": worker.address, "reason": reason_bytes("COMPUTE_NO_REVEAL"), "slashed": STAKE}
    ]
    assert events(layer.market.contract, "TaskRefunded", receipt) == [
        {"taskId": task_id, "reason": reason_bytes("WORKER_SILENT"), "amount": SMALL + BUDGET}
    ]
    assert events(layer.sampler.contract, "ReauditsDue", receipt) == []  # it held no result
    task = layer.market.task_of(task_id)
    assert (task.state, task.outcome, task.result) == (TaskState.REFUNDED, Outcome.WORKER_SILENT, bytes(32))
    record = layer.registry.node_of(worker.address)
    assert (record.stake, record.role, record.passed, record.compute_record) == (0, Role.STRAY, 0, 0)
    assert layer.registry.repair_pool() == STAKE
    assert layer.market.payments(requester.address) == SMALL + BUDGET
    assert layer.market.payments(worker.address) == 0
    assert not layer.sampler.ledger_of(worker.address).caught
    with reverts("WrongState"):
        layer.market.finalize(task_id, sender=stranger)


# ---------------------------------------------------------------- a catch and its re-audits


def test_behave_then_cheat_is_caught_its_wrong_results_replaced_and_its_rewards_forfeited(
    chain: Chain, layer: ComputeLayer, stranger: LocalAccount
) -> None:
    """A trusted worker holds provisional results (right, right, wrong, wrong; the first made final by the window),
    then is caught (a silent unaudited task: slashed whole). Its held results cannot be released by time, it claims
    nothing until they are processed even if re-promoted, and ``reaudit`` (anyone) reopens them newest first; each
    re-audit is a normal audit whose auditors are paid from the repair pool; the wrong results are replaced by the
    auditors' answer, every held reward goes back to its requester, and the worker ends far poorer than it began."""
    requester_a, requester_b = chain.account(OTHER_REQUESTER), chain.account(REQUESTER)
    auditors = pool(layer)
    worker = trusted(layer, 1)
    first, _ = provisional(layer, worker, requester_a, RIGHT, reward=SMALL)
    right, _ = provisional(layer, worker, requester_a, RIGHT, reward=2 * SMALL)
    wrong_b, _ = provisional(layer, worker, requester_b, WRONG, reward=3 * SMALL)
    wrong_c, receipt = provisional(layer, worker, requester_b, WRONG, reward=4 * SMALL)
    assert events(layer.sampler.contract, "ResultFinal", receipt) == [
        {"taskId": first, "worker": worker.address, "reward": SMALL}
    ]
    assert layer.market.result_of(wrong_c) == WRONG

    receipt = catch_silent(chain, layer, worker, requester_a)
    (slash,) = events(layer.registry.contract, "NodeSlashed", receipt)
    assert slash["amount"] == STAKE
    assert events(layer.sampler.contract, "ReauditsDue", receipt) == [
        {"worker": worker.address, "pending": 3, "forfeit": True}
    ]
    ledger = layer.sampler.ledger_of(worker.address)
    assert (ledger.caught_at, ledger.slashed_at) == (receipt["blockNumber"], True)
    assert progress(layer, worker.address) == (1, 4, 0, 0, True, True)
    advance(chain, SAMPLED.hold_time + 1)
    with reverts("NothingToRelease"):
        layer.sampler.release(worker.address, 10, sender=stranger)

    # It re-stakes and is promoted again at once: still no claim while its catch is processed.
    layer.registry.top_up(node=worker, amount=STAKE)
    give_spot_checks(layer, worker.address)
    layer.registry.promote(worker.address, sender=worker)
    assert claim_terms(layer, worker.address, SMALL)[0]
    later = layer.post(requester_a, auditors=AUDITORS, reward=SMALL)
    with reverts("ReauditsPending") as caught:
        layer.market.claim(later, worker=worker)
    assert caught.value.args_by_name == {"worker": worker.address}

    start = chain.w3.eth.block_number
    pool_before = layer.registry.repair_pool()
    assert pool_before == STAKE
    receipt = layer.sampler.reaudit(worker.address, 10, sender=stranger)
    assert [e["taskId"] for e in events(layer.sampler.contract, "ReauditStarted", receipt)] == [
        wrong_c,
        wrong_b,
        right,
    ]
    assert progress(layer, worker.address) == (1, 1, 3, 0, True, True)
    for task_id in (wrong_c, wrong_b, right):
        task = layer.market.task_of(task_id)
        assert (task.state, task.outcome) == (TaskState.DRAWING, Outcome.SAMPLED)
    with reverts("NothingToReaudit"):
        layer.sampler.reaudit(worker.address, 10, sender=stranger)
    with reverts("ReauditsPending"):
        layer.market.claim(later, worker=worker)

    accounts = {worker.address: worker, **auditors}
    for done, task_id in enumerate((wrong_c, wrong_b, right), start=1):
        drawn = draw_reaudit(layer, task_id)
        assert sorted(drawn) == sorted(auditors)
        layer.play_round(task_id, dict.fromkeys(drawn, RIGHT), accounts)
        task = layer.market.task_of(task_id)
        assert (task.state, task.outcome, task.result) == (TaskState.ACCEPTED, Outcome.REAUDITED, RIGHT)
        assert layer.registry.repair_pool() == pool_before - done * AUDITORS * AUDIT_FEE
        for auditor in auditors:
            assert layer.registry.payments(auditor) == done * AUDIT_FEE
            assert layer.market.payments(auditor) == 0

    assert logs(layer.market.contract, "ResultReplaced", start) == [
        {"taskId": wrong_c, "replaced": WRONG, "result": RIGHT},
        {"taskId": wrong_b, "replaced": WRONG, "result": RIGHT},
    ]
    assert [(e["taskId"], e["confirmed"]) for e in logs(layer.sampler.contract, "ReauditClosed", start)] == [
        (wrong_c, False),
        (wrong_b, False),
        (right, True),
    ]
    assert logs(layer.sampler.contract, "RewardForfeited", start) == [
        {"taskId": wrong_c, "worker": worker.address, "requester": requester_b.address, "reward": 4 * SMALL},
        {"taskId": wrong_b, "worker": worker.address, "requester": requester_b.address, "reward": 3 * SMALL},
        {"taskId": right, "worker": worker.address, "requester": requester_a.address, "reward": 2 * SMALL},
    ]
    assert logs(layer.sampler.contract, "ResultFinal", start) == []
    assert progress(layer, worker.address) == (1, 1, 0, 1, False, False)
    assert layer.sampler.payments(requester_a.address) == 2 * SMALL
    assert layer.sampler.payments(requester_b.address) == 7 * SMALL
    assert layer.market.task_of(first).state == TaskState.PROVISIONAL  # final before the catch: it stands

    # Every wei is accounted for: the market owes the requesters their budgets and the silent task's refund, the
    # ledger owes what it credited.
    assert layer.market.payments(requester_a.address) == 3 * BUDGET + SMALL  # two budgets, the silent task's escrow
    assert layer.market.payments(requester_b.address) == 2 * BUDGET
    market_owed = sum(layer.market.payments(a.address) for a in (requester_a, requester_b, worker))
    assert chain.w3.eth.get_balance(layer.market.contract.address) == market_owed + SMALL + BUDGET  # `later` open
    ledger_owed = sum(layer.sampler.payments(a.address) for a in (requester_a, requester_b, worker))
    assert chain.w3.eth.get_balance(layer.sampler.contract.address) == ledger_owed == 10 * SMALL

    earned = (
        layer.market.payments(worker.address)
        + layer.sampler.payments(worker.address)
        + layer.registry.payments(worker.address)
    )
    assert earned == SMALL  # the one result made final before the catch
    assert earned * 10_000 < slash["amount"]

    layer.market.claim(later, worker=worker)  # processed: it may work again, audited from scratch
    assert layer.sampler.audit_probability_of(worker.address) == WAD


def draw_reaudit(layer: ComputeLayer, task_id: int) -> list[str]:
    """Draw the auditors of a reopened task; return them."""
    draw(layer, task_id)
    assert layer.state(task_id) == TaskState.AUDITING
    return layer.market.auditors_of(task_id)


def test_after_clean_run_confirmations_the_other_held_results_stand_without_re_audit(
    chain: Chain, requester: LocalAccount, stranger: LocalAccount
) -> None:
    """With ``cleanRun = 1``, once one re-audit confirmed the caught worker, ``reaudit`` settles the remaining held
    results without reopening them (after a slashed catch their rewards still go back to the requesters)."""
    layer = ComputeLayer.deploy(chain, sampling=replace(SAMPLED, clean_run=1))
    auditors = pool(layer)
    worker = trusted(layer, 1)
    oldest, _ = provisional(layer, worker, requester, RIGHT, reward=SMALL)
    wrong, _ = provisional(layer, worker, requester, WRONG, reward=2 * SMALL)
    newest, _ = provisional(layer, worker, requester, RIGHT, reward=3 * SMALL)
    catch_silent(chain, layer, worker, requester)

    receipt = layer.sampler.reaudit(worker.address, 1, sender=stranger)
    assert [e["taskId"] for e in events(layer.sampler.contract, "ReauditStarted", receipt)] == [newest]
    drawn = draw_reaudit(layer, newest)
    layer.play_round(newest, dict.fromkeys(drawn, RIGHT), auditors)
    assert progress(layer, worker.address) == (0, 2, 0, 1, True, True)

    receipt = layer.sampler.reaudit(worker.address, 10, sender=stranger)
    assert events(layer.sampler.contract, "ReauditStarted", receipt) == []
    assert events(layer.sampler.contract, "RewardForfeited", receipt) == [
        {"taskId": wrong, "worker": worker.address, "requester": requester.address, "reward": 2 * SMALL},
        {"taskId": oldest, "worker": worker.address, "requester": requester.address, "reward": SMALL},
    ]
    for task_id, result in ((wrong, WRONG), (oldest, RIGHT)):
        task = layer.market.task_of(task_id)
        assert (task.state, task.outcome, task.result) == (TaskState.PROVISIONAL, Outcome.SAMPLED, result)
    assert progress(layer, worker.address) == (0, 0, 0, 1, False, False)
    assert layer.sampler.payments(requester.address) == 6 * SMALL
    assert layer.sampler.payments(worker.address) == 0
    with reverts("NothingToReaudit"):
        layer.sampler.reaudit(worker.address, 10, sender=stranger)


def test_a_re_audit_that_cannot_decide_keeps_the_result_but_does_not_count_towards_the_clean_run(
    chain: Chain, requester: LocalAccount, stranger: LocalAccount
) -> None:
    """A re-audit with too few auditors to draw closes at once: the worker's result stands (``ReauditClosed``
    confirmed) but, undecided, it does not extend the clean run, so the next held result is re-audited too."""
    layer = ComputeLayer.deploy(chain, sampling=replace(SAMPLED, clean_run=1))
    worker = trusted(layer, 1)
    older, _ = provisional(layer, worker, requester, WRONG, reward=SMALL)
    newer, _ = provisional(layer, worker, requester, WRONG, reward=2 * SMALL)
    catch_silent(chain, layer, worker, requester)
    for task_id, reward in ((newer, 2 * SMALL), (older, SMALL)):
        receipt = layer.sampler.reaudit(worker.address, 1, sender=stranger)
        assert [e["taskId"] for e in events(layer.sampler.contract, "ReauditStarted", receipt)] == [task_id]
        receipt = draw(layer, task_id)  # the pool is empty
        assert events(layer.sampler.contract, "ReauditClosed", receipt) == [
            {"taskId": task_id, "worker": worker.address, "confirmed": True}
        ]
        assert events(layer.sampler.contract, "RewardForfeited", receipt) == [
            {"taskId": task_id, "worker": worker.address, "requester": requester.address, "reward": reward}
        ]
        task = layer.market.task_of(task_id)
        assert (task.state, task.outcome, task.result) == (TaskState.ACCEPTED, Outcome.REAUDITED, WRONG)
        assert layer.sampler.ledger_of(worker.address).clean_run == 0
    assert not layer.sampler.ledger_of(worker.address).caught


def test_a_result_revealed_after_its_workers_catch_is_held_for_re_audit_not_paid(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount, stranger: LocalAccount
) -> None:
    """A worker holding no results is caught on one unaudited task, then reveals a wrong answer to another unaudited
    task whose reveal deadline is later: that result belongs to the caught worker, so it is held for re-audit (its
    reward forfeited), never released to the worker by time."""
    auditors = pool(layer)
    worker = trusted(layer, 1)
    silent = unaudited(layer, worker, requester, WRONG)
    advance(chain, PARAMS.tasks.reveal_window // 2)
    late = unaudited(layer, worker, requester, WRONG)
    advance(chain, layer.market.task_of(silent).reveal_deadline - layer.now() + 1)
    receipt = layer.market.finalize(silent, sender=stranger)
    assert events(layer.sampler.contract, "ReauditsDue", receipt) == []  # nothing held yet

    assert layer.now() < layer.market.task_of(late).reveal_deadline
    receipt = reveal(layer, late, worker, WRONG)
    assert events(layer.sampler.contract, "ReauditsDue", receipt) == [
        {"worker": worker.address, "pending": 1, "forfeit": True}
    ]
    assert layer.sampler.ledger_of(worker.address).caught
    advance(chain, SAMPLED.hold_time + 1)
    with reverts("NothingToRelease"):
        layer.sampler.release(worker.address, 10, sender=stranger)

    receipt = layer.sampler.reaudit(worker.address, 10, sender=stranger)
    assert [e["taskId"] for e in events(layer.sampler.contract, "ReauditStarted", receipt)] == [late]
    drawn = draw_reaudit(layer, late)
    layer.play_round(late, dict.fromkeys(drawn, RIGHT), {worker.address: worker, **auditors})
    assert layer.market.task_of(late).result == RIGHT
    assert layer.sampler.payments(worker.address) == 0
    assert layer.sampler.payments(requester.address) == SMALL
    assert not layer.sampler.ledger_of(worker.address).caught


def test_a_task_whose_seed_expired_before_its_coin_is_audited(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    """A worker cannot re-roll its audit coin by waiting for the seed block to leave the 256 blocks ``blockhash``
    sees: a first draw that finds its seed expired schedules a new draw, and that task is audited whatever the new
    seed says."""
    pool(layer)
    worker = trusted(layer, 1)
    task_id = layer.post(requester, auditors=AUDITORS, reward=SMALL)
    layer.market.claim(task_id, worker=worker)
    layer.commit(task_id, worker, WRONG)
    mine(chain, layer.market.task_of(task_id).seed_block + 257 - chain.w3.eth.block_number)
    receipt = layer.market.draw_auditors(task_id, sender=chain.account(STRANGER))
    assert [e["taskId"] for e in events(layer.market.contract, "DrawScheduled", receipt)] == [task_id]
    assert events(layer.market.contract, "AuditSkipped", receipt) == []
    receipt = draw(layer, task_id)
    assert audit_coin(chain, layer, task_id) >= Q_MIN  # the new seed's coin says no audit
    assert events(layer.market.contract, "AuditSkipped", receipt) == []
    assert layer.state(task_id) == TaskState.AUDITING
    assert len(layer.market.auditors_of(task_id)) == AUDITORS


def test_a_caught_workers_re_audits_in_flight_never_exceed_the_confirmations_still_needed(
    chain: Chain, requester: LocalAccount, stranger: LocalAccount
) -> None:
    """``cleanRun`` re-audits in a row must confirm the caught worker before its other results stand: ``reaudit``
    reopens no more at once than the confirmations still missing (``ReauditsInFlight`` beyond), so a caught worker's
    confirmed results cost at most ``cleanRun`` re-audits from the pool."""
    layer = ComputeLayer.deploy(chain, sampling=replace(SAMPLED, clean_run=2, window=10))
    auditors = pool(layer)
    worker = trusted(layer, 1)
    held = [provisional(layer, worker, requester, RIGHT, reward=SMALL)[0] for _ in range(4)]
    catch_silent(chain, layer, worker, requester)

    receipt = layer.sampler.reaudit(worker.address, 10, sender=stranger)
    assert [e["taskId"] for e in events(layer.sampler.contract, "ReauditStarted", receipt)] == held[:1:-1]
    with reverts("ReauditsInFlight") as caught:
        layer.sampler.reaudit(worker.address, 10, sender=stranger)
    assert caught.value.args_by_name == {"worker": worker.address, "reauditing": 2}
    for task_id in held[:1:-1]:
        drawn = draw_reaudit(layer, task_id)
        layer.play_round(task_id, dict.fromkeys(drawn, RIGHT), {worker.address: worker, **auditors})
    receipt = layer.sampler.reaudit(worker.address, 10, sender=stranger)
    assert events(layer.sampler.contract, "ReauditStarted", receipt) == []
    assert [e["taskId"] for e in events(layer.sampler.contract, "RewardForfeited", receipt)] == held[1::-1]
    assert not layer.sampler.ledger_of(worker.address).caught


def test_only_the_market_holds_catches_and_closes_and_only_the_ledger_reopens(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount, stranger: LocalAccount
) -> None:
    """``hold``, ``caught`` and ``reaudited`` are the market's (``NotMarket``), ``reopen`` the ledger's
    (``NotSampler``), ``setMarket`` the deployer's, once (``MarketNotSettable``); ``reaudit`` needs a caught worker
    with held results (``NothingToReaudit``), even for a worker that holds results."""
    sampler = layer.sampler.contract.functions
    owner = chain.account(0)
    worker = trusted(layer, 1)
    task_id, _ = provisional(layer, worker, requester, RIGHT)
    for sender in (stranger, owner, worker):
        for call, value in (
            (sampler.hold(task_id, worker.address, 1), SMALL),
            (sampler.caught(worker.address, True), 0),
            (sampler.reaudited(task_id, worker.address, requester.address, True, False), 0),
        ):
            with reverts("NotMarket") as caught:
                chain.transact(call, sender=sender, value=value)
            assert caught.value.args_by_name == {"caller": sender.address}
        with reverts("NotSampler") as caught:
            chain.transact(layer.market.contract.functions.reopen(task_id), sender=sender)
        assert caught.value.args_by_name == {"caller": sender.address}
    with reverts("NothingToReaudit"):
        layer.sampler.reaudit(worker.address, 10, sender=stranger)
    with reverts("NothingToReaudit"):
        layer.sampler.reaudit(stranger.address, 10, sender=stranger)
    assert progress(layer, worker.address) == (0, 1, 0, 0, False, False)
    assert layer.state(task_id) == TaskState.PROVISIONAL

    for sender in (owner, stranger):
        with reverts("MarketNotSettable"):
            chain.transact(sampler.setMarket(stranger.address), sender=sender)
    assert chain.call(sampler.market()) == layer.market.contract.address
    fresh = chain.contract(
        "SampledAudits",
        chain.deploy("SampledAudits", layer.registry.contract.address, *SAMPLED.args(), sender=owner).address,
    )
    with reverts("MarketNotSettable"):
        chain.transact(fresh.functions.setMarket(stranger.address), sender=stranger)
    with reverts("BadParameter") as caught:
        chain.transact(fresh.functions.setMarket("0x" + "00" * 20), sender=owner)
    assert caught.value.args_by_name["what"] == "0x" + reason_bytes("market").hex()
    chain.transact(fresh.functions.setMarket(stranger.address), sender=owner)
    with reverts("MarketNotSettable"):
        chain.transact(fresh.functions.setMarket(owner.address), sender=owner)


def test_the_constructors_refuse_unusable_sampling_terms(chain: Chain, layer: ComputeLayer) -> None:
    """SampledAudits refuses ``qMin`` of 0 or above WAD, and a zero ``halfLife``, ``window`` or ``cleanRun``; a
    TaskMarket refuses a sampling ledger unless a catch slashes the whole stake (``slashBps`` = 10,000)."""
    registry = layer.registry.contract.address
    owner = chain.account(0)
    for bad, what in (
        (dict(q_min=0), "qMin"),
        (dict(q_min=WAD + 1), "qMin"),
        (dict(half_life=0), "halfLife"),
        (dict(window=0), "window"),
        (dict(clean_run=0), "cleanRun"),
    ):
        with reverts("BadParameter") as caught:
            chain.deploy("SampledAudits", registry, *replace(SAMPLED, **bad).args(), sender=owner)
        assert caught.value.args_by_name["what"] == "0x" + reason_bytes(what).hex(), what
    chain.deploy("SampledAudits", registry, *replace(SAMPLED, q_min=WAD, full_record=0).args(), sender=owner)

    sampling = layer.sampler.contract.address
    for slash_bps in (0, 5_000, 9_999):
        with reverts("BadParameter") as caught:
            chain.deploy(
                "TaskMarket", registry, sampling, *replace(PARAMS.tasks, slash_bps=slash_bps).args(), sender=owner
            )
        assert caught.value.args_by_name["what"] == "0x" + reason_bytes("slashBps").hex()
    full_audit = chain.deploy("SampledAudits", registry, *PARAMS.sampling.args(), sender=owner).address
    chain.deploy("TaskMarket", registry, full_audit, *replace(PARAMS.tasks, slash_bps=5_000).args(), sender=owner)


# ---------------------------------------------------------------- what `kura task status` says


def test_task_status_explains_unaudited_provisional_and_re_audited_tasks(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount, stranger: LocalAccount
) -> None:
    """Every state the sampled audits add is explained: a task left unaudited (the worker must reveal), a provisional
    result and its held reward, a silent unaudited worker, a re-audit under way and a re-audit that replaced the
    worker's answer."""
    auditors = pool(layer)
    worker = trusted(layer, 1)
    task_id = unaudited(layer, worker, requester, WRONG)
    deadline = layer.market.task_of(task_id).reveal_deadline
    assert layer.status(task_id) == (
        f"the audit coin drew no audit: the worker must reveal its answer by timestamp {deadline}, which is then "
        "accepted provisionally; if it does not, anyone may end the task, which refunds it and slashes the worker"
    )
    reveal(layer, task_id, worker, WRONG)
    assert layer.status(task_id) == (
        "accepted without audit (the audit coin drew none): the result stands provisionally, its reward held by the "
        f"SampledAudits ledger until {SAMPLED.window} newer results of its worker or {SAMPLED.hold_time} s have "
        "passed, and re-audited if the worker is caught first"
    )
    silent = unaudited(layer, worker, requester, WRONG)
    advance(chain, layer.market.task_of(silent).reveal_deadline - layer.now() + 1)
    layer.market.finalize(silent, sender=stranger)
    assert layer.status(silent) == (
        f"refunded: the worker did not reveal its unaudited answer by its deadline; the worker lost "
        f"{STAKE / 10**18:g} ETH of stake, its compute role and its passed checks (COMPUTE_NO_REVEAL: it did not "
        "reveal its answer)"
    )
    layer.sampler.reaudit(worker.address, 1, sender=stranger)
    assert layer.status(task_id).startswith("re-audit of a provisional result (its worker was caught): ")
    drawn = draw_reaudit(layer, task_id)
    layer.play_round(task_id, dict.fromkeys(drawn, RIGHT), {worker.address: worker, **auditors})
    assert layer.status(task_id).startswith(
        "re-audited after its worker was caught: the auditors decided in round 1 with credibility "
    )
    assert layer.status(task_id).endswith("the worker's answer was replaced by theirs")
