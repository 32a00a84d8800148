"""ShareRepairs: a proved repair of a lost share is committed and paid; every other attempt is refused."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.file_registry import FileRegistryClient
from kura.chain.share_repairs import RepairCommit, ShareRepairsClient
from tests.contracts.expect import reverts
from tests.contracts.trust_layer import PARAMS, Share, StoredFile, TrustLayer, advance, commit, mine, random_share

OWNER, FRESH, REPAIRER, STRANGER = 4, 6, 7, 8


class RepairLayer:
    """A TrustLayer with ShareRepairs wired in (a NodeRegistry judge and the FileRegistry's repairer)."""

    def __init__(self, chain: Chain) -> None:
        self.trust = TrustLayer.deploy(chain)
        owner = chain.account(0)
        deployed = chain.deploy(
            "ShareRepairs",
            self.trust.registry.contract.address,
            self.trust.audits.contract.address,
            self.trust.files.contract.address,
            *PARAMS.repairs.args(),
            sender=owner,
        )
        self.trust.registry.set_judge(deployed.address, True, owner=owner)
        chain.transact(self.trust.files.contract.functions.setRepairer(deployed.address), sender=owner)
        deployment = Deployment(chain.chain_id, chain.genesis_hash, {"ShareRepairs": deployed})
        self.repairs = ShareRepairsClient(chain, deployment)


@pytest.fixture
def layer(chain: Chain) -> RepairLayer:
    return RepairLayer(chain)


@pytest.fixture
def nodes(chain: Chain, layer: RepairLayer) -> list[LocalAccount]:
    """Holders (accounts 1-3), a fresh node for the rebuilt share and a repairer, all staked."""
    accounts = [chain.account(i) for i in (1, 2, 3, FRESH, REPAIRER)]
    for node in accounts:
        layer.trust.join(node)
    return accounts


@pytest.fixture
def stored(chain: Chain, layer: RepairLayer, nodes: list[LocalAccount]) -> StoredFile:
    """Three shares of 4 chunks on accounts 1-3, owned by account 4."""
    return layer.trust.store([random_share(i, nodes[i].address, 4) for i in range(3)], owner=chain.account(OWNER))


def move(stored: StoredFile, index: int, to: str) -> RepairCommit:
    """The repair that moves share ``index`` of ``stored`` to ``to``."""
    share = stored.shares[index]
    return RepairCommit(
        stored.file_id, index, share.node, to, share.chunk_count, share.tree.root, secrets.token_bytes(32)
    )


def fail_audit(layer: RepairLayer, stored: StoredFile, index: int) -> None:
    """Challenge share ``index`` and let its holder miss the deadline, so it is lost and slashed."""
    challenge_id = layer.trust.open(stored, index, challenger=layer.trust.chain.account(5))
    mine(layer.trust.chain, 3)
    advance(layer.trust.chain, PARAMS.audits.response_window + 1)
    layer.trust.audits.claim_timeout(challenge_id, sender=layer.trust.chain.account(5))


def test_a_repair_of_a_failed_share_swaps_the_leaf_and_is_paid_from_the_pool(
    chain: Chain, layer: RepairLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    fail_audit(layer, stored, 0)
    pool = layer.trust.registry.repair_pool()
    slashed = PARAMS.nodes.min_stake * PARAMS.audits.slash_bps // 10_000
    assert pool == slashed * (10_000 - PARAMS.audits.reward_bps) // 10_000
    repair = move(stored, 0, nodes[3].address)
    receipt = layer.repairs.commit_repair(repair, stored.shares_proof(0), repairer=nodes[4])
    moved = (Share(0, nodes[3].address, stored.shares[0].tree), *stored.shares[1:])
    assert layer.trust.files.file_of(stored.file_id).shares_root == commit(moved).root
    (event,) = layer.repairs.contract.events.ShareRepaired().process_receipt(receipt, errors=DISCARD)
    assert (event.args.repairer, event.args.paid, event.args.tableDigest) == (
        nodes[4].address,
        PARAMS.repairs.repair_reward,
        repair.table_digest,
    )
    assert layer.trust.registry.payments(nodes[4].address) == PARAMS.repairs.repair_reward
    assert layer.trust.registry.repair_pool() == pool - PARAMS.repairs.repair_reward


def test_only_an_active_node_may_commit_a_repair(
    chain: Chain, layer: RepairLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    fail_audit(layer, stored, 0)
    repair, proof = move(stored, 0, nodes[3].address), stored.shares_proof(0)
    with reverts("NotRepairer") as caught:
        layer.repairs.commit_repair(repair, proof, repairer=chain.account(STRANGER))
    assert caught.value.args_by_name == {"caller": chain.account(STRANGER).address}
    layer.trust.registry.announce_exit(node=nodes[4])
    with reverts("NotRepairer"):
        layer.repairs.commit_repair(repair, proof, repairer=nodes[4])


def test_a_share_whose_holder_is_active_and_passed_cannot_be_taken(
    chain: Chain, layer: RepairLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    with reverts("ShareNotLost") as caught:
        layer.repairs.commit_repair(move(stored, 1, nodes[3].address), stored.shares_proof(1), repairer=nodes[4])
    assert caught.value.args_by_name["node"] == nodes[1].address
    fail_audit(layer, stored, 0)
    with reverts("ShareNotLost"):
        layer.repairs.commit_repair(move(stored, 1, nodes[3].address), stored.shares_proof(1), repairer=nodes[4])


def test_a_node_that_left_loses_its_share_without_an_audit(
    chain: Chain, layer: RepairLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    layer.trust.registry.announce_exit(node=nodes[2])
    receipt = layer.repairs.commit_repair(move(stored, 2, nodes[3].address), stored.shares_proof(2), repairer=nodes[4])
    (event,) = layer.repairs.contract.events.ShareRepaired().process_receipt(receipt, errors=DISCARD)
    assert event.args.paid == 0, "nothing was slashed, so the empty pool pays nothing"


def test_the_new_holder_must_be_another_active_node(
    chain: Chain, layer: RepairLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    fail_audit(layer, stored, 0)
    proof = stored.shares_proof(0)
    with reverts("SameNode") as caught:
        layer.repairs.commit_repair(move(stored, 0, nodes[0].address), proof, repairer=nodes[4])
    assert caught.value.args_by_name == {"node": nodes[0].address}
    with reverts("NewNodeNotActive"):
        layer.repairs.commit_repair(move(stored, 0, chain.account(STRANGER).address), proof, repairer=nodes[4])


@pytest.mark.parametrize("tamper", ["sibling", "other_index", "share_root", "chunk_count", "old_node"])
def test_a_wrong_proof_or_leaf_is_refused(
    chain: Chain, layer: RepairLayer, nodes: list[LocalAccount], stored: StoredFile, tamper: str
) -> None:
    fail_audit(layer, stored, 0)
    layer.trust.registry.announce_exit(node=nodes[1])
    repair, proof = move(stored, 0, nodes[3].address), stored.shares_proof(0)
    if tamper == "sibling":
        proof = [secrets.token_bytes(32), *proof[1:]]
    elif tamper == "other_index":
        proof = stored.shares_proof(1)
    elif tamper == "share_root":
        repair = replace(repair, share_root=secrets.token_bytes(32))
    elif tamper == "chunk_count":
        repair = replace(repair, chunk_count=repair.chunk_count + 1)
    else:
        repair = replace(repair, old_node=nodes[1].address)
    with reverts("ShareNotCommitted"):
        layer.repairs.commit_repair(repair, proof, repairer=nodes[4])
    assert layer.trust.files.file_of(stored.file_id).shares_root == stored.commitment.root


def test_a_repair_cannot_be_replayed_or_proved_against_a_stale_commitment(
    chain: Chain, layer: RepairLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    fail_audit(layer, stored, 0)
    layer.trust.registry.announce_exit(node=nodes[2])
    first, proof = move(stored, 0, nodes[3].address), stored.shares_proof(0)
    layer.repairs.commit_repair(first, proof, repairer=nodes[4])
    with reverts("ShareNotCommitted"):
        layer.repairs.commit_repair(first, proof, repairer=nodes[4])
    with reverts("ShareNotCommitted"):
        layer.repairs.commit_repair(move(stored, 2, nodes[3].address), stored.shares_proof(2), repairer=nodes[4])


def test_empty_tables_and_strangers_tables_are_refused(
    chain: Chain, layer: RepairLayer, nodes: list[LocalAccount], stored: StoredFile
) -> None:
    fail_audit(layer, stored, 0)
    with reverts("EmptyTable"):
        layer.repairs.commit_repair(
            replace(move(stored, 0, nodes[3].address), table_digest=bytes(32)),
            stored.shares_proof(0),
            repairer=nodes[4],
        )
    with reverts("NotFileOwner"):
        layer.repairs.publish_table(stored.file_id, secrets.token_bytes(32), owner=nodes[4])
    with reverts("EmptyTable"):
        layer.repairs.publish_table(stored.file_id, bytes(32), owner=chain.account(OWNER))


def test_the_registry_takes_repairs_only_from_its_repairer_and_against_the_current_root(chain: Chain) -> None:
    """``FileRegistry.repairShares`` guards: the named repairer only, and ``SharesChanged`` on a stale root."""
    deployer, repairer, owner = chain.account(0), chain.account(REPAIRER), chain.account(OWNER)
    deployed = chain.deploy("FileRegistry", *PARAMS.files.args(), sender=deployer)
    files = FileRegistryClient(chain, Deployment(chain.chain_id, chain.genesis_hash, {"FileRegistry": deployed}))
    chain.transact(files.contract.functions.setRepairer(repairer.address), sender=deployer)
    file_id, root = secrets.token_bytes(32), secrets.token_bytes(32)
    files.register(file_id, secrets.token_bytes(32), root, owner=owner)
    with reverts("NotRepairer"):
        chain.transact(files.contract.functions.repairShares(file_id, root, secrets.token_bytes(32)), sender=owner)
    moved = secrets.token_bytes(32)
    files.update_shares(file_id, moved, owner=owner)
    with reverts("SharesChanged") as caught:
        chain.transact(files.contract.functions.repairShares(file_id, root, secrets.token_bytes(32)), sender=repairer)
    assert caught.value.args_by_name == {
        "fileId": "0x" + file_id.hex(),
        "expected": "0x" + root.hex(),
        "current": "0x" + moved.hex(),
    }
    repaired = secrets.token_bytes(32)
    chain.transact(files.contract.functions.repairShares(file_id, moved, repaired), sender=repairer)
    assert files.file_of(file_id).shares_root == repaired
    with reverts("RepairerAlreadySet"):
        chain.transact(files.contract.functions.setRepairer(owner.address), sender=deployer)
