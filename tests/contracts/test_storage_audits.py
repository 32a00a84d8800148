"""StorageAudits and ShareMerkle: every path of a proof-of-storage challenge, including an attacker's."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import replace

import pytest
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.contract import Contract
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.node_registry import NodeStatus
from kura.chain.pull_payments import reason_bytes
from kura.chain.storage_audits import ChallengeStatus
from kura.crypto import merkle
from tests.contracts.expect import events, reverts
from tests.contracts.trust_layer import (
    CHUNK_SIZE,
    PARAMS,
    Share,
    ShareTree,
    StoredFile,
    TrustLayer,
    advance,
    cost,
    mine,
    random_share,
)


@pytest.fixture
def layer(chain: Chain) -> TrustLayer:
    return TrustLayer.deploy(chain)


@pytest.fixture
def nodes(chain: Chain, layer: TrustLayer) -> list[LocalAccount]:
    """Three registered storage nodes (accounts 1-3)."""
    accounts = [chain.account(i) for i in (1, 2, 3)]
    for node in accounts:
        layer.join(node)
    return accounts


@pytest.fixture
def stored(chain: Chain, layer: TrustLayer, nodes: list[LocalAccount]) -> StoredFile:
    """A file of three shares (5, 1 and 3 chunks, last chunks short) on the three nodes, owned by account 4."""
    shares = [
        random_share(0, nodes[0].address, 5, last_chunk=700),
        random_share(1, nodes[1].address, 1, last_chunk=1),
        random_share(2, nodes[2].address, 3),
    ]
    return layer.store(shares, owner=chain.account(4))


CHALLENGER = 5


def expected_chunk(chain: Chain, challenge_id: int, seed_block: int, chunk_count: int) -> int:
    seed = bytes(chain.w3.eth.get_block(seed_block)["hash"])
    return int.from_bytes(keccak(abi_encode(["bytes32", "uint256"], [seed, challenge_id])), "big") % chunk_count


def ready(layer: TrustLayer, challenge_id: int) -> int:
    """Mine until the challenge's seed block is readable; return the chunk index it asks for."""
    seed_block = layer.audits.challenge_of(challenge_id).seed_block
    mine(layer.chain, max(0, seed_block + 1 - layer.chain.w3.eth.block_number))
    return layer.audits.chunk_index_of(challenge_id)


def answer(layer: TrustLayer, share: Share, challenge_id: int, node: LocalAccount) -> TxReceipt:
    """Answer honestly."""
    i = ready(layer, challenge_id)
    return layer.audits.respond(challenge_id, share.tree.chunks[i], share.tree.proof(i), node=node)


# ---------------------------------------------------------------- ShareMerkle against kura.crypto.merkle


@pytest.fixture(scope="module")
def harness(chain: Chain) -> Contract:
    return chain.contract("ShareMerkleHarness", chain.deploy("ShareMerkleHarness", sender=chain.account(0)).address)


def test_share_merkle_known_answer(chain: Chain, harness: Contract) -> None:
    chunks = [b"a", b"b", b"c"]
    leaves = [hashlib.sha256(b"\x00" + c).digest() for c in chunks]
    inner = lambda left, right: hashlib.sha256(b"\x01" + left + right).digest()  # noqa: E731
    root = inner(inner(leaves[0], leaves[1]), inner(leaves[2], bytes(32)))
    assert ShareTree(chunks).root == root
    assert chain.call(harness.functions.rootFrom(leaves[2], 2, [bytes(32), inner(leaves[0], leaves[1])])) == root
    assert chain.call(harness.functions.leafHash(b"c")) == leaves[2]
    depths = [chain.call(harness.functions.depth(n)) for n in (1, 2, 3, 4, 5, 2**16, 2**16 + 1)]
    assert depths == [0, 1, 2, 2, 3, 16, 17]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=0, max_size=9 * CHUNK_SIZE + 3), pick=st.integers(min_value=0))
def test_share_merkle_matches_python_for_any_data(chain: Chain, harness: Contract, data: bytes, pick: int) -> None:
    tree = ShareTree.of_data(data)
    index = pick % len(tree.chunks)
    leaf = chain.call(harness.functions.leafHash(tree.chunks[index]))
    assert chain.call(harness.functions.leafHashCalldata(tree.chunks[index])) == leaf
    proof = merkle.merkle_proof(data, index)
    python_side = (merkle.merkle_root(data), proof, merkle.leaf_hash(tree.chunks[index]))
    assert python_side == (tree.root, tree.proof(index), leaf)
    assert len(proof) == chain.call(harness.functions.depth(len(tree.chunks))) == merkle.depth(len(tree.chunks))
    assert merkle.verify_proof(tree.root, index, tree.chunks[index], proof, len(tree.chunks))
    assert chain.call(harness.functions.rootFrom(leaf, index, proof)) == tree.root
    assert chain.call(harness.functions.verify(tree.root, leaf, index, proof))
    assert not chain.call(harness.functions.verify(tree.root, leaf, index + (1 << len(proof)), proof))
    if proof:
        assert not chain.call(harness.functions.verify(tree.root, leaf, index ^ 1, proof))


# ---------------------------------------------------------------- the honest path


def test_a_right_answer_passes_credits_the_bond_to_the_node_and_raises_reputation(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenger, node, share = chain.account(CHALLENGER), nodes[0], stored.shares[0]
    receipt = layer.audits.challenge(
        stored.file_id,
        0,
        node.address,
        share.chunk_count,
        share.tree.root,
        stored.shares_proof(0),
        challenger=challenger,
        bond=PARAMS.audits.challenge_bond + 1,
    )
    challenge_id = layer.audits.challenge_id(receipt)
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    seed_block = block["number"] + PARAMS.audits.seed_delay
    deadline = block["timestamp"] + PARAMS.audits.response_window
    (opened,) = events(layer.audits.contract, "ChallengeOpened", receipt)
    assert {**opened, "challenge": dict(opened["challenge"])} == {
        "challengeId": challenge_id,
        "fileId": stored.file_id,
        "node": node.address,
        "challenge": {
            "challenger": challenger.address,
            "bond": PARAMS.audits.challenge_bond + 1,
            "node": node.address,
            "seedBlock": seed_block,
            "chunkCount": 5,
            "deadline": deadline,
            "index": 0,
            "fileId": stored.file_id,
            "shareRoot": share.tree.root,
            "sharesRoot": stored.commitment.root,
        },
    }
    record = layer.audits.challenge_of(challenge_id)
    assert (
        record.challenger,
        record.bond,
        record.node,
        record.seed_block,
        record.chunk_count,
        record.deadline,
        record.index,
        record.status,
        record.file_id,
        record.share_root,
        record.shares_root,
    ) == (
        challenger.address,
        PARAMS.audits.challenge_bond + 1,
        node.address,
        seed_block,
        5,
        deadline,
        0,
        ChallengeStatus.OPEN,
        stored.file_id,
        share.tree.root,
        stored.commitment.root,
    )
    assert layer.audits.open_challenge_of(stored.file_id, 0) == challenge_id
    with reverts("SeedNotYetAvailable"):
        layer.audits.respond(challenge_id, share.tree.chunks[0], share.tree.proof(0), node=node)

    index = ready(layer, challenge_id)
    assert index == expected_chunk(chain, challenge_id, seed_block, 5)
    receipt = layer.audits.respond(challenge_id, share.tree.chunks[index], share.tree.proof(index), node=node)
    assert layer.audits.passed(receipt)
    assert events(layer.audits.contract, "ChallengePassed", receipt) == [
        {"challengeId": challenge_id, "node": node.address, "chunkIndex": index}
    ]
    assert layer.audits.challenge_of(challenge_id).status == ChallengeStatus.PASSED
    assert layer.audits.open_challenge_of(stored.file_id, 0) == 0
    assert layer.audits.payments(node.address) == PARAMS.audits.challenge_bond + 1
    assert layer.audits.payments(challenger.address) == 0
    record = layer.registry.node_of(node.address)
    assert (record.stake, record.reputation, record.failures) == (PARAMS.nodes.min_stake, 1, 0)

    before = chain.w3.eth.get_balance(node.address)
    receipt = layer.audits.withdraw_payments(payee=node)
    assert chain.w3.eth.get_balance(node.address) == before + PARAMS.audits.challenge_bond + 1 - cost(receipt)
    assert chain.w3.eth.get_balance(layer.audits.contract.address) == 0


def test_a_revert_is_named_by_the_called_contracts_own_declaration(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    """The seed of a challenge, not of a task: the decoder reads the called contract's ABI first."""
    challenge_id = layer.open(stored, 0, challenger=chain.account(CHALLENGER))
    seed_block = layer.audits.challenge_of(challenge_id).seed_block
    (declared,) = [e for e in layer.audits.contract.abi if e["type"] == "error" and e["name"] == "SeedNotYetAvailable"]
    with reverts("SeedNotYetAvailable") as caught:
        layer.audits.chunk_index_of(challenge_id)
    names = [p["name"] for p in declared["inputs"]]
    assert caught.value.args_by_name == dict(zip(names, (challenge_id, seed_block), strict=True))


def test_a_one_chunk_share_is_answered_with_an_empty_proof(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenge_id = layer.open(stored, 1, challenger=chain.account(CHALLENGER))
    assert layer.audits.passed(answer(layer, stored.shares[1], challenge_id, nodes[1]))


def test_an_empty_share_is_answered_with_its_one_empty_chunk(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount]
) -> None:
    empty = Share(0, nodes[0].address, ShareTree.of_data(b""))
    stored = layer.store([empty], owner=chain.account(4))
    challenge_id = layer.open(stored, 0, challenger=chain.account(CHALLENGER))
    assert layer.audits.passed(answer(layer, empty, challenge_id, nodes[0]))


def test_replays_and_strangers_are_refused(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    share = stored.shares[0]
    challenge_id = layer.open(stored, 0, challenger=chain.account(CHALLENGER))
    i = ready(layer, challenge_id)
    with reverts("NotChallengedNode") as caught:
        layer.audits.respond(challenge_id, share.tree.chunks[i], share.tree.proof(i), node=nodes[1])
    assert caught.value.args_by_name == {
        "challengeId": challenge_id,
        "caller": nodes[1].address,
        "node": nodes[0].address,
    }
    layer.audits.respond(challenge_id, share.tree.chunks[i], share.tree.proof(i), node=nodes[0])
    with reverts("ChallengeClosed") as caught:
        layer.audits.respond(challenge_id, share.tree.chunks[i], share.tree.proof(i), node=nodes[0])
    assert caught.value.args_by_name == {"challengeId": challenge_id}
    assert not chain.call(layer.audits.contract.functions.isOpen(challenge_id))
    advance(chain, PARAMS.audits.response_window + 1)
    with reverts("ChallengeClosed"):
        layer.audits.claim_timeout(challenge_id, sender=chain.account(CHALLENGER))
    with reverts("UnknownChallenge"):
        layer.audits.challenge_of(challenge_id + 1)
    assert layer.registry.node_of(nodes[0].address).stake == PARAMS.nodes.min_stake


def test_only_the_terms_a_challenge_was_opened_with_are_accepted(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    """The chain keeps only the hash of a challenge's terms: any field changed, for any function, is refused
    before anything is judged, as is an unknown id."""
    share, functions = stored.shares[0], layer.audits.contract.functions
    challenge_id = layer.open(stored, 0, challenger=chain.account(CHALLENGER))
    i = ready(layer, challenge_id)
    record = layer.audits.challenge_of(challenge_id)
    changes = {
        "challenger": nodes[0].address,
        "bond": record.bond * 2,
        "node": nodes[1].address,
        "seed_block": record.seed_block - 1,
        "chunk_count": 1,
        "deadline": record.deadline + 10**6,
        "index": 1,
        "file_id": secrets.token_bytes(32),
        "share_root": secrets.token_bytes(32),
        "shares_root": secrets.token_bytes(32),
    }
    for field, value in changes.items():
        forged = replace(record, **{field: value})
        node = chain.account(1 + [n.address for n in nodes].index(forged.node))
        for call, sender in (
            (functions.respond(challenge_id, forged.terms(), share.tree.chunks[i], share.tree.proof(i)), node),
            (functions.claimTimeout(challenge_id, forged.terms()), chain.account(CHALLENGER)),
            (functions.reseed(challenge_id, forged.terms()), chain.account(CHALLENGER)),
        ):
            with reverts("WrongTerms") as caught:
                chain.transact(call, sender=sender)
            assert caught.value.args_by_name == {"challengeId": challenge_id}, field
        with reverts("WrongTerms"):
            chain.call(functions.chunkIndexOf(challenge_id, forged.terms()))
    for unknown in (0, challenge_id + 1):
        with reverts("UnknownChallenge"):
            chain.transact(functions.claimTimeout(unknown, record.terms()), sender=chain.account(CHALLENGER))
        with reverts("UnknownChallenge"):
            chain.call(functions.isOpen(unknown))
    assert chain.call(functions.isOpen(challenge_id))
    assert layer.audits.passed(answer(layer, share, challenge_id, nodes[0]))


# ---------------------------------------------------------------- failures


def assert_failed(
    layer: TrustLayer,
    stored: StoredFile,
    index: int,
    challenge_id: int,
    receipt: TxReceipt,
    reason: str,
    stake_before: int = PARAMS.nodes.min_stake,
    pool_before: int = 0,
) -> None:
    """The node of share ``index`` was judged, slashed, marked as losing the share; the challenger made whole."""
    node = stored.shares[index].node
    challenger = layer.audits.challenge_of(challenge_id).challenger
    slashed = stake_before * PARAMS.audits.slash_bps // 10_000
    reward = slashed * PARAMS.audits.reward_bps // 10_000
    assert events(layer.audits.contract, "ChallengeFailed", receipt) == [
        {
            "challengeId": challenge_id,
            "node": node,
            "reason": reason_bytes(reason),
            "slashed": slashed,
            "reward": reward,
        }
    ]
    assert events(layer.audits.contract, "ShareLost", receipt) == [
        {"fileId": stored.file_id, "index": index, "node": node}
    ]
    assert events(layer.registry.contract, "NodeSlashed", receipt) == [
        {
            "node": node,
            "amount": slashed,
            "reason": reason_bytes(reason),
            "ref": challenge_id.to_bytes(32, "big"),
        }
    ]
    assert layer.audits.challenge_of(challenge_id).status == ChallengeStatus.FAILED
    assert layer.audits.is_share_lost(stored.file_id, index, node)
    assert layer.audits.open_challenge_of(stored.file_id, index) == 0
    assert layer.registry.node_of(node).stake == stake_before - slashed
    assert layer.registry.repair_pool() == pool_before + slashed - reward
    assert layer.audits.payments(challenger) >= PARAMS.audits.challenge_bond
    assert layer.registry.payments(challenger) >= reward


BadAnswer = Callable[[Share, Share, int], tuple[bytes, list[bytes]]]


def _forged(share: Share, other: Share, i: int) -> tuple[bytes, list[bytes]]:
    return share.tree.chunks[i], [secrets.token_bytes(32) for _ in share.tree.proof(i)]


def _wrong_index(share: Share, other: Share, i: int) -> tuple[bytes, list[bytes]]:
    j = (i + 1) % share.chunk_count
    return share.tree.chunks[j], share.tree.proof(j)


def _other_share(share: Share, other: Share, i: int) -> tuple[bytes, list[bytes]]:
    return other.tree.chunks[i], other.tree.proof(i)


def _stale(share: Share, other: Share, i: int) -> tuple[bytes, list[bytes]]:
    old = ShareTree([c if k != i else secrets.token_bytes(len(c)) for k, c in enumerate(share.tree.chunks)])
    return old.chunks[i], old.proof(i)


def _flipped_bit(share: Share, other: Share, i: int) -> tuple[bytes, list[bytes]]:
    chunk = bytearray(share.tree.chunks[i])
    chunk[0] ^= 1
    return bytes(chunk), share.tree.proof(i)


def _short_proof(share: Share, other: Share, i: int) -> tuple[bytes, list[bytes]]:
    return share.tree.chunks[i], share.tree.proof(i)[:-1]


def _long_proof(share: Share, other: Share, i: int) -> tuple[bytes, list[bytes]]:
    return share.tree.chunks[i], [*share.tree.proof(i), bytes(32)]


def _empty(share: Share, other: Share, i: int) -> tuple[bytes, list[bytes]]:
    return b"", share.tree.proof(i)


def _oversized(share: Share, other: Share, i: int) -> tuple[bytes, list[bytes]]:
    return share.tree.chunks[i] + bytes(CHUNK_SIZE + 1 - len(share.tree.chunks[i])), share.tree.proof(i)


@pytest.mark.parametrize(
    "bad",
    [
        _forged,
        _wrong_index,
        _other_share,
        _stale,
        _flipped_bit,
        _short_proof,
        _long_proof,
        _empty,
        _oversized,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_a_wrong_answer_is_judged_a_failure_not_a_revert(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], bad: BadAnswer
) -> None:
    share = random_share(0, nodes[0].address, 8, last_chunk=CHUNK_SIZE)
    other = random_share(1, nodes[1].address, 8)
    stored = layer.store([share, other], owner=chain.account(4))
    challenge_id = layer.open(stored, 0, challenger=chain.account(CHALLENGER))
    chunk, proof = bad(share, other, ready(layer, challenge_id))
    receipt = layer.audits.respond(challenge_id, chunk, proof, node=nodes[0])
    assert not layer.audits.passed(receipt)
    assert_failed(layer, stored, 0, challenge_id, receipt, "AUDIT_BAD_PROOF")
    assert layer.audits.payments(chain.account(CHALLENGER).address) == PARAMS.audits.challenge_bond
    record = layer.registry.node_of(nodes[0].address)
    assert (record.failures, record.reputation, record.status) == (1, 0, NodeStatus.ACTIVE)
    with reverts("ChallengeClosed"):
        layer.audits.claim_timeout(challenge_id, sender=chain.account(CHALLENGER))


def test_silence_past_the_deadline_is_slashed_by_anyone_once(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenger, claimer, share = chain.account(CHALLENGER), chain.account(6), stored.shares[2]
    challenge_id = layer.open(stored, 2, challenger=challenger)
    i = ready(layer, challenge_id)
    deadline = layer.audits.challenge_of(challenge_id).deadline
    with reverts("DeadlineNotReached") as caught:
        layer.audits.claim_timeout(challenge_id, sender=claimer)
    assert caught.value.args_by_name == {"challengeId": challenge_id, "deadline": deadline}
    advance(chain, PARAMS.audits.response_window + 1)
    with reverts("DeadlinePassed"):
        layer.audits.respond(challenge_id, share.tree.chunks[i], share.tree.proof(i), node=nodes[2])
    receipt = layer.audits.claim_timeout(challenge_id, sender=claimer)
    assert_failed(layer, stored, 2, challenge_id, receipt, "AUDIT_TIMEOUT")
    with reverts("ChallengeClosed"):
        layer.audits.claim_timeout(challenge_id, sender=claimer)
    slashed = PARAMS.nodes.min_stake * PARAMS.audits.slash_bps // 10_000
    assert layer.audits.payments(claimer.address) == 0
    assert layer.registry.payments(challenger.address) == slashed * PARAMS.audits.reward_bps // 10_000

    before = chain.w3.eth.get_balance(challenger.address)
    receipt = layer.audits.withdraw_payments(payee=challenger)
    assert chain.w3.eth.get_balance(challenger.address) == before + PARAMS.audits.challenge_bond - cost(receipt)
    before = chain.w3.eth.get_balance(challenger.address)
    receipt = layer.registry.withdraw_payments(payee=challenger)
    reward = slashed * PARAMS.audits.reward_bps // 10_000
    assert chain.w3.eth.get_balance(challenger.address) == before + reward - cost(receipt)
    assert chain.w3.eth.get_balance(layer.registry.contract.address) == 3 * PARAMS.nodes.min_stake - reward


def test_a_lost_share_cannot_be_charged_twice_but_other_shares_can(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenger = chain.account(CHALLENGER)
    challenge_id = layer.open(stored, 0, challenger=challenger)
    ready(layer, challenge_id)
    advance(chain, PARAMS.audits.response_window + 1)
    layer.audits.claim_timeout(challenge_id, sender=challenger)
    with reverts("ShareAlreadyLost"):
        layer.open(stored, 0, challenger=challenger)
    assert layer.audits.passed(answer(layer, stored.shares[2], layer.open(stored, 2, challenger=challenger), nodes[2]))


def test_repeated_failures_jail_the_node_and_stop_new_challenges(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount]
) -> None:
    node, challenger = nodes[0], chain.account(CHALLENGER)
    stake, pool = PARAMS.nodes.min_stake * 3, 0
    layer.registry.top_up(node=node, amount=stake - PARAMS.nodes.min_stake)
    for round_ in range(PARAMS.nodes.jail_threshold):
        stored = layer.store([random_share(0, node.address, 2)], owner=chain.account(4))
        challenge_id = layer.open(stored, 0, challenger=challenger)
        ready(layer, challenge_id)
        receipt = layer.audits.respond(challenge_id, b"junk", [bytes(32)], node=node)
        assert_failed(layer, stored, 0, challenge_id, receipt, "AUDIT_BAD_PROOF", stake, pool)
        slashed = stake * PARAMS.audits.slash_bps // 10_000
        stake, pool = stake - slashed, pool + slashed - slashed * PARAMS.audits.reward_bps // 10_000
        jailed = events(layer.registry.contract, "NodeJailed", receipt)
        last = round_ == PARAMS.nodes.jail_threshold - 1
        assert jailed == ([{"node": node.address, "reason": reason_bytes("AUDIT_FAILURES")}] if last else [])
    assert layer.registry.node_of(node.address).status == NodeStatus.JAILED
    stored = layer.store([random_share(0, node.address, 2)], owner=chain.account(4))
    with reverts("NodeNotActive"):
        layer.open(stored, 0, challenger=challenger)
    assert layer.audits.payments(challenger.address) == PARAMS.nodes.jail_threshold * PARAMS.audits.challenge_bond


def test_an_exiting_node_stays_answerable_for_open_challenges(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenger = chain.account(CHALLENGER)
    challenge_id = layer.open(stored, 0, challenger=challenger)
    later = layer.store([random_share(0, nodes[0].address, 2)], owner=chain.account(4))
    layer.registry.announce_exit(node=nodes[0])
    with reverts("NodeNotActive"):
        layer.open(later, 0, challenger=challenger)
    ready(layer, challenge_id)
    advance(chain, PARAMS.audits.response_window + 1)
    receipt = layer.audits.claim_timeout(challenge_id, sender=challenger)
    assert_failed(layer, stored, 0, challenge_id, receipt, "AUDIT_TIMEOUT")
    assert layer.registry.node_of(nodes[0].address).status == NodeStatus.EXITING


def test_a_node_slashed_under_the_minimum_is_still_challenged_and_still_answers(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenger = chain.account(CHALLENGER)
    failing = layer.open(stored, 1, challenger=challenger)
    ready(layer, failing)
    advance(chain, PARAMS.audits.response_window + 1)
    layer.audits.claim_timeout(failing, sender=challenger)
    assert not layer.registry.is_active(nodes[1].address)  # the slash left it under the minimum stake
    later = layer.store([random_share(0, nodes[1].address, 2)], owner=chain.account(4))
    assert layer.audits.passed(answer(layer, later.shares[0], layer.open(later, 0, challenger=challenger), nodes[1]))


# ---------------------------------------------------------------- refused challenges


def test_challenges_need_a_bond_a_share_and_a_free_slot(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenger, share, bond = chain.account(CHALLENGER), stored.shares[0], PARAMS.audits.challenge_bond
    open_ = layer.audits.challenge
    with reverts("BondTooLow") as caught:
        layer.open(stored, 0, challenger=challenger, bond=bond - 1)
    assert caught.value.args_by_name == {"sent": bond - 1, "required": bond}
    with reverts("EmptyShare"):
        open_(
            stored.file_id, 0, share.node, 0, share.tree.root, stored.shares_proof(0), challenger=challenger, bond=bond
        )
    challenge_id = layer.open(stored, 0, challenger=challenger)
    with reverts("ChallengeAlreadyOpen") as caught:
        layer.open(stored, 0, challenger=chain.account(7))
    assert caught.value.args_by_name["challengeId"] == challenge_id
    with reverts("UnknownFile"):
        open_(secrets.token_bytes(32), 0, share.node, 5, share.tree.root, [], challenger=challenger, bond=bond)
    with reverts("NodeNotActive"):
        open_(
            stored.file_id,
            2,
            chain.account(8).address,
            3,
            stored.shares[2].tree.root,
            stored.shares_proof(2),
            challenger=challenger,
            bond=bond,
        )


def test_only_committed_shares_can_be_challenged(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenger, share = chain.account(CHALLENGER), stored.shares[0]
    elsewhere = layer.store([random_share(0, nodes[0].address, 5)], owner=chain.account(4))
    attempts = {
        "wrong node": (0, nodes[1].address, 5, share.tree.root, stored.shares_proof(0)),
        "wrong chunk count": (0, share.node, 4, share.tree.root, stored.shares_proof(0)),
        "wrong share root": (0, share.node, 5, stored.shares[2].tree.root, stored.shares_proof(0)),
        "wrong index": (1, share.node, 5, share.tree.root, stored.shares_proof(0)),
        "index beyond the proof": (4, share.node, 5, share.tree.root, stored.shares_proof(0)),
        "share of another file": (0, share.node, 5, elsewhere.shares[0].tree.root, elsewhere.shares_proof(0)),
        "forged proof": (0, share.node, 5, share.tree.root, [secrets.token_bytes(32), secrets.token_bytes(32)]),
        "no proof": (0, share.node, 5, share.tree.root, []),
    }
    for what, (index, node, count, root, proof) in attempts.items():
        with reverts("ShareNotCommitted"):
            layer.audits.challenge(
                stored.file_id,
                index,
                node,
                count,
                root,
                proof,
                challenger=challenger,
                bond=PARAMS.audits.challenge_bond,
            )
        assert layer.audits.open_challenge_of(stored.file_id, index) == 0, what
    assert chain.w3.eth.get_balance(layer.audits.contract.address) == 0


def test_unusable_parameters_are_refused_at_deployment(chain: Chain, layer: TrustLayer) -> None:
    registry, files = layer.registry.contract.address, layer.files.contract.address
    assert layer.audits.params() == PARAMS.audits
    for bad, what in (
        (dict(challenge_bond=0), "challengeBond"),
        (dict(seed_delay=0), "seedDelay"),
        (dict(seed_delay=256), "seedDelay"),
        (dict(response_window=0), "responseWindow"),
        (dict(slash_bps=10_001), "slashBps"),
        (dict(reward_bps=10_001), "rewardBps"),
    ):
        args = replace(PARAMS.audits, **bad).args()
        with reverts("BadParameter") as caught:
            chain.deploy("StorageAudits", registry, files, *args, sender=chain.account(0))
        assert caught.value.args_by_name["what"] == "0x" + reason_bytes(what).hex()


# ---------------------------------------------------------------- voids and seeds


def test_a_commitment_changed_before_the_timeout_voids_the_challenge(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenger = chain.account(CHALLENGER)
    challenge_id = layer.open(stored, 0, challenger=challenger)
    ready(layer, challenge_id)
    layer.files.update_shares(stored.file_id, secrets.token_bytes(32), owner=chain.account(4))
    advance(chain, PARAMS.audits.response_window + 1)
    receipt = layer.audits.claim_timeout(challenge_id, sender=challenger)
    assert events(layer.audits.contract, "ChallengeVoided", receipt) == [
        {"challengeId": challenge_id, "reason": reason_bytes("COMMITMENT_CHANGED")}
    ]
    assert events(layer.registry.contract, "NodeSlashed", receipt) == []
    assert layer.audits.challenge_of(challenge_id).status == ChallengeStatus.VOIDED
    assert layer.audits.payments(challenger.address) == PARAMS.audits.challenge_bond
    assert layer.registry.node_of(nodes[0].address).stake == PARAMS.nodes.min_stake
    assert not layer.audits.is_share_lost(stored.file_id, 0, nodes[0].address)


def test_a_deleted_file_voids_and_cannot_be_challenged(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenger = chain.account(CHALLENGER)
    challenge_id = layer.open(stored, 0, challenger=challenger)
    ready(layer, challenge_id)
    layer.files.remove(stored.file_id, owner=chain.account(4))
    with reverts("FileIsDeleted"):
        layer.open(stored, 1, challenger=challenger)
    advance(chain, PARAMS.audits.response_window + 1)
    receipt = layer.audits.claim_timeout(challenge_id, sender=challenger)
    assert events(layer.audits.contract, "ChallengeVoided", receipt)[0]["reason"] == reason_bytes("COMMITMENT_CHANGED")
    assert layer.registry.node_of(nodes[0].address).stake == PARAMS.nodes.min_stake


def test_a_seed_block_not_mined_by_the_deadline_voids_the_challenge(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenger = chain.account(CHALLENGER)
    challenge_id = layer.open(stored, 0, challenger=challenger)
    advance(chain, PARAMS.audits.response_window + 1)  # one block: the claim lands at most in the seed block itself
    receipt = layer.audits.claim_timeout(challenge_id, sender=challenger)
    assert receipt["blockNumber"] <= layer.audits.challenge_of(challenge_id).seed_block
    assert events(layer.audits.contract, "ChallengeVoided", receipt) == [
        {"challengeId": challenge_id, "reason": reason_bytes("SEED_NOT_MINED")}
    ]
    assert layer.audits.payments(challenger.address) == PARAMS.audits.challenge_bond
    assert layer.registry.node_of(nodes[0].address).stake == PARAMS.nodes.min_stake


def test_an_expired_seed_is_redrawn_and_the_node_can_still_answer(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    share, anyone = stored.shares[0], chain.account(7)
    challenge_id = layer.open(stored, 0, challenger=chain.account(CHALLENGER))
    i = ready(layer, challenge_id)
    with reverts("SeedStillFresh"):
        layer.audits.reseed(challenge_id, sender=anyone)
    mine(chain, 256)
    with reverts("SeedExpired"):
        layer.audits.chunk_index_of(challenge_id)
    with reverts("SeedExpired"):
        layer.audits.respond(challenge_id, share.tree.chunks[i], share.tree.proof(i), node=nodes[0])
    stale = layer.audits.challenge_of(challenge_id).terms()
    receipt = layer.audits.reseed(challenge_id, sender=anyone)
    new_seed = receipt["blockNumber"] + PARAMS.audits.seed_delay
    assert events(layer.audits.contract, "ChallengeReseeded", receipt) == [
        {"challengeId": challenge_id, "seedBlock": new_seed}
    ]
    with reverts("WrongTerms"):  # the terms the reseed replaced
        chain.call(layer.audits.contract.functions.reseed(challenge_id, stale), sender=anyone.address)
    assert layer.audits.passed(answer(layer, share, challenge_id, nodes[0]))
    assert layer.audits.challenge_of(challenge_id).seed_block == new_seed


def test_no_reseed_after_the_deadline(
    chain: Chain, layer: TrustLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    challenge_id = layer.open(stored, 0, challenger=chain.account(CHALLENGER))
    mine(chain, 300)
    advance(chain, PARAMS.audits.response_window + 1)
    with reverts("DeadlinePassed"):
        layer.audits.reseed(challenge_id, sender=chain.account(7))


# ---------------------------------------------------------------- honest nodes are never slashed


def test_an_honest_node_survives_many_random_challenges(
    chain: Chain, nodes: list[LocalAccount], layer: TrustLayer
) -> None:
    honest = nodes[0]
    passes = 0

    @settings(max_examples=25, deadline=None)
    @given(
        chunk_count=st.integers(min_value=1, max_value=70),
        last_chunk=st.integers(min_value=1, max_value=CHUNK_SIZE),
        index=st.integers(min_value=0, max_value=5),
        challenger=st.integers(min_value=5, max_value=8),
        extra_blocks=st.integers(min_value=0, max_value=5),
    )
    def challenge_honest(chunk_count: int, last_chunk: int, index: int, challenger: int, extra_blocks: int) -> None:
        nonlocal passes
        others = [random_share(k, nodes[1 + k % 2].address, 2) for k in range(6) if k != index]
        shares = sorted([random_share(index, honest.address, chunk_count, last_chunk), *others], key=lambda s: s.index)
        stored = layer.store(shares, owner=chain.account(4))
        challenge_id = layer.open(stored, index, challenger=chain.account(challenger))
        mine(chain, extra_blocks)
        assert layer.audits.passed(answer(layer, shares[index], challenge_id, honest))
        passes += 1

    challenge_honest()
    record = layer.registry.node_of(honest.address)
    assert (record.stake, record.reputation, record.failures, record.status) == (
        PARAMS.nodes.min_stake,
        passes,
        0,
        NodeStatus.ACTIVE,
    )
    assert layer.registry.repair_pool() == 0
    assert layer.audits.payments(honest.address) == passes * PARAMS.audits.challenge_bond
