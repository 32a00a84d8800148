"""The main operations of every kura contract, each run on a fresh deployment, with the gas it used.

``measure(chain)`` deploys kura with its default parameters (``kura.chain.deploy``) and walks a file, a
storage audit, a repair, a node's life and two compute tasks through the typed clients, keeping the
``gasUsed`` of one transaction per operation. Where gas could depend on chance the scenario removes the
chance: ids, digests and salts are fixed; every share has four identical chunks, so the chunk a block hash
picks does not change the answer's calldata; the audit pool is exactly as large as a round's draw, so
every member is drawn whatever the seed; the clock moves before every transaction that stamps a record
with ``block.timestamp`` (rewriting a slot with its own value would cost 2,800 gas less). What remains is
the order of the draw's walk and of a Merkle proof's left and right turns, a few hundred gas at most.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deploy import deploy_contracts
from kura.chain.deployments import Deployment
from kura.chain.file_registry import FileRegistryClient, Registration
from kura.chain.node_registry import NodeRegistryClient
from kura.chain.share_repairs import RepairCommit, ShareRepairsClient
from kura.chain.storage_audits import StorageAuditsClient
from kura.chain.task_market import TaskMarketClient, TaskParams, escrow
from kura.compute.sealing import account_public_key
from kura.units import WAD
from tests.contracts.trust_layer import CHUNK_SIZE, Share, ShareTree, advance, commit, join, mine

OWNER, FILE_OWNER, CHALLENGER, FRESH, REPAIRER, REQUESTER, JUDGE = 0, 1, 5, 6, 7, 8, 9
WORKER, LEAVER, LEAVING = 10, 14, 15
HOLDERS = (2, 3, 4)
AUDITORS = (11, 12, 13)
BATCH = 100
"""Files in the measured batch registration."""
REWARD, AUDIT_FEE, THETA, FUEL = 10**16, 10**14, 9 * WAD // 10, 10**9
RIGHT, WRONG = keccak(b"right"), keccak(b"wrong")


def _fixed(label: str) -> bytes:
    return keccak(label.encode())


class Scenario:
    """A fresh kura deployment on ``chain`` and the gas of every operation run on it so far."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.gas: dict[str, int] = {}
        deployed = deploy_contracts(chain, chain.account(OWNER))
        for name, contract in deployed.items():
            self.gas[f"{name}.deploy"] = contract.gas_used
        deployment = Deployment(chain.chain_id, chain.genesis_hash, deployed)
        self.files = FileRegistryClient(chain, deployment)
        self.registry = NodeRegistryClient(chain, deployment)
        self.audits = StorageAuditsClient(chain, deployment)
        self.repairs = ShareRepairsClient(chain, deployment)
        self.market = TaskMarketClient(chain, deployment)
        self.registry.set_judge(self.account(JUDGE).address, True, owner=self.account(OWNER))

    def account(self, index: int) -> LocalAccount:
        return self.chain.account(index)

    def keep(self, operation: str, receipt: TxReceipt) -> TxReceipt:
        """Record the gas of ``receipt`` as ``operation``'s, unless an earlier run of it was recorded."""
        self.gas.setdefault(operation, int(receipt["gasUsed"]))
        return receipt

    # ---------------------------------------------------------------- storage

    def storage(self) -> None:
        """A file's life, four audits (pass, bad proof, timeout, a reseeded pass), and a repair."""
        keep, owner = self.keep, self.account(FILE_OWNER)
        keep("NodeRegistry.register", join(self.registry, self.account(HOLDERS[0])))
        for index in (*HOLDERS[1:], FRESH, REPAIRER):
            join(self.registry, self.account(index))
        keep("NodeRegistry.topUp", self.registry.top_up(node=self.account(HOLDERS[0]), amount=1))

        tree = ShareTree([bytes([0x5A]) * CHUNK_SIZE] * 4)
        shares = [Share(i, self.account(node).address, tree) for i, node in enumerate(HOLDERS)]
        commitment = commit(shares)
        file_id = _fixed("file")
        keep("FileRegistry.register", self.files.register(file_id, _fixed("manifest"), commitment.root, owner=owner))
        keep("FileRegistry.rotate", self.files.rotate(file_id, 1, _fixed("manifest 2"), owner=owner))
        other = _fixed("other file")
        self.files.register(other, _fixed("other manifest"), _fixed("other shares"), owner=owner)
        advance(self.chain, 1)
        keep("FileRegistry.updateShares", self.files.update_shares(other, _fixed("moved shares"), owner=owner))
        advance(self.chain, 1)
        keep("FileRegistry.remove", self.files.remove(other, owner=owner))
        keep("FileRegistry.withdrawPayments", self.files.withdraw_payments(payee=owner))
        batch = [
            Registration(_fixed(f"batched {i}"), _fixed(f"batched manifest {i}"), _fixed(f"batched shares {i}"))
            for i in range(BATCH)
        ]
        keep(f"FileRegistry.registerBatch({BATCH} files)", self.files.register_batch(batch, owner=owner))
        keep("FileRegistry.writePointers", self.files.write_pointers(batch[0].file_id, sender=owner))
        keep("FileRegistry.transfer", self.files.transfer(batch[0].file_id, self.account(FRESH).address, owner=owner))
        keep("FileRegistry.remove (batched)", self.files.remove(batch[1].file_id, owner=owner))
        keep("ShareRepairs.publishTable", self.repairs.publish_table(file_id, _fixed("table"), owner=owner))

        def challenge(index: int) -> int:
            share = shares[index]
            receipt = self.audits.challenge(
                file_id,
                index,
                share.node,
                share.chunk_count,
                tree.root,
                commitment.proof(index),
                challenger=self.account(CHALLENGER),
                bond=self.audits.params().challenge_bond,
            )
            keep("StorageAudits.challenge", receipt)
            return self.audits.challenge_id(receipt)

        seed_delay = self.audits.params().seed_delay
        passing = challenge(0)
        mine(self.chain, seed_delay + 1)
        chunk = self.audits.chunk_index_of(passing)
        keep(
            "StorageAudits.respond (pass)",
            self.audits.respond(passing, tree.chunks[chunk], tree.proof(chunk), node=self.account(HOLDERS[0])),
        )
        failing = challenge(1)
        mine(self.chain, seed_delay + 1)
        keep(
            "StorageAudits.respond (bad proof: slash)",
            self.audits.respond(failing, bytes(CHUNK_SIZE), tree.proof(0), node=self.account(HOLDERS[1])),
        )
        silent = challenge(2)
        mine(self.chain, seed_delay + 1)  # a seed block still unmined at the deadline would void the challenge
        advance(self.chain, self.audits.params().response_window + 1)
        keep("StorageAudits.claimTimeout (slash)", self.audits.claim_timeout(silent, sender=self.account(OWNER)))
        keep("StorageAudits.withdrawPayments", self.audits.withdraw_payments(payee=self.account(CHALLENGER)))
        stale = challenge(0)
        mine(self.chain, 256 + seed_delay + 1)
        keep("StorageAudits.reseed", self.audits.reseed(stale, sender=self.account(OWNER)))
        mine(self.chain, seed_delay + 1)
        chunk = self.audits.chunk_index_of(stale)
        keep(
            "StorageAudits.respond (pass, node already owed a bond)",
            self.audits.respond(stale, tree.chunks[chunk], tree.proof(chunk), node=self.account(HOLDERS[0])),
        )

        repair = RepairCommit(
            file_id,
            1,
            shares[1].node,
            self.account(FRESH).address,
            shares[1].chunk_count,
            tree.root,
            _fixed("repaired table"),
        )
        advance(self.chain, 1)
        keep(
            "ShareRepairs.commitRepair",
            self.repairs.commit_repair(repair, commitment.proof(1), repairer=self.account(REPAIRER)),
        )
        keep("NodeRegistry.withdrawPayments", self.registry.withdraw_payments(payee=self.account(REPAIRER)))

    # ---------------------------------------------------------------- compute

    def compute(self) -> None:
        """Promotion, the audit pool, a cancelled task, an accepted one and one whose worker lied."""
        keep, judge = self.keep, self.account(JUDGE)
        worker = self.account(WORKER)
        join(self.registry, worker)
        for _ in range(self.registry.params().promotion_bar):
            self.registry.record_spot_check(worker.address, True, judge=judge)
        keep("NodeRegistry.promote", self.registry.promote(worker.address, sender=worker))
        leaver = self.account(LEAVER)
        join(self.registry, leaver)
        self.market.join_audit_pool(node=leaver)
        keep("TaskMarket.leaveAuditPool", self.market.leave_audit_pool(node=leaver))
        for i, index in enumerate(AUDITORS):
            join(self.registry, self.account(index))
            joined = self.market.join_audit_pool(node=self.account(index))
            if i > 0:  # the first takes the seat the leaver emptied; the others open new seats
                keep("TaskMarket.joinAuditPool", joined)

        requester = self.account(REQUESTER)
        sealed = self.post(requester, account_public_key(requester.key))
        keep("TaskMarket.post (confidential)", sealed[1])
        keep("TaskMarket.cancel", self.market.cancel(sealed[0], requester=requester))
        self.task(RIGHT, "accepted")
        keep("TaskMarket.withdrawPayments", self.market.withdraw_payments(payee=worker))
        self.gated()
        self.task(WRONG, "worker slashed")

    def gated(self) -> None:
        """Post, claim and draw a task gated by a gate that lets everyone compute (the gate asked at the claim
        and once per candidate of the draw)."""
        owner = self.account(REQUESTER)
        gate = self.chain.contract("TestComputeGate", self.chain.deploy("TestComputeGate", sender=owner).address)
        self.chain.transact(gate.functions.setMode(1), sender=owner)  # AllowAll
        params = TaskParams(
            "bafy-module",
            _fixed("module"),
            "bafy-input",
            _fixed("input"),
            fuel=FUEL,
            reward=REWARD,
            audit_fee=AUDIT_FEE,
            auditors=len(AUDITORS),
            theta=THETA,
            gate=gate.address,
        )
        value = escrow(REWARD, AUDIT_FEE, len(AUDITORS), self.market.params().max_rounds)
        self.keep(
            "TaskMarket.post (gated, through the gate)",
            self.chain.transact(
                gate.functions.post(self.market.contract.address, params.as_tuple()), sender=owner, value=value
            ),
        )
        task_id, worker = self.market.task_count(), self.account(WORKER)
        self.keep("TaskMarket.claim (gated)", self.market.claim(task_id, worker=worker))
        self.market.commit(task_id, RIGHT, _fixed(f"salt {worker.address}"), node=worker)
        mine(self.chain, self.market.params().seed_delay + 1)
        self.keep(
            "TaskMarket.drawAuditors (gated, 3 of 3)", self.market.draw_auditors(task_id, sender=self.account(OWNER))
        )

    def post(self, requester: LocalAccount, key: bytes = b"") -> tuple[int, TxReceipt]:
        """Post a task with one auditor per pool member; return its id and receipt."""
        params = TaskParams(
            "bafy-module",
            _fixed("module"),
            "bafy-input",
            _fixed("input"),
            fuel=FUEL,
            reward=REWARD,
            audit_fee=AUDIT_FEE,
            auditors=len(AUDITORS),
            theta=THETA,
            requester_key=key,
        )
        task_id = self.market.post(params, requester=requester)
        block = self.market.task_of(task_id).posted_block
        (log,) = self.market.contract.events.TaskPosted().get_logs(
            from_block=block, to_block=block, argument_filters={"taskId": task_id}
        )
        return task_id, self.chain.w3.eth.get_transaction_receipt(log["transactionHash"])

    def task(self, worker_answer: bytes, ending: str) -> None:
        """Run one task to its end, the worker answering ``worker_answer`` and every auditor ``RIGHT``; keep the
        sum of its transactions as the whole task's gas."""
        keep, market = self.keep, self.market
        task_id, posted = self.post(self.account(REQUESTER))
        receipts = [
            keep("TaskMarket.post", posted),
            keep("TaskMarket.claim", market.claim(task_id, worker=self.account(WORKER))),
        ]
        worker = self.account(WORKER)
        receipts.append(
            keep(
                "TaskMarket.commit (worker)",
                market.commit(task_id, worker_answer, _fixed(f"salt {worker.address}"), node=worker),
            )
        )
        mine(self.chain, market.params().seed_delay + 1)
        receipts.append(
            keep("TaskMarket.drawAuditors (3 of 3)", market.draw_auditors(task_id, sender=self.account(OWNER)))
        )
        # In draw order: the first auditor drawn is measured, whose seat a commit or reveal finds last (the seats
        # are searched from the newest), so the figure does not depend on the seed.
        by_address = {self.account(index).address: self.account(index) for index in AUDITORS}
        auditors = [(by_address[address], RIGHT, "auditor") for address in market.auditors_of(task_id)]
        for node, answer, role in auditors:
            receipt = market.commit(task_id, answer, _fixed(f"salt {node.address}"), node=node)
            receipts.append(keep(f"TaskMarket.commit ({role})", receipt))
        advance(self.chain, market.fuel_window(FUEL) + 1)
        for node, answer, role in [(worker, worker_answer, "worker"), *auditors]:
            receipt = market.reveal(task_id, answer, _fixed(f"salt {node.address}"), "bafy-output", node=node)
            receipts.append(keep(f"TaskMarket.reveal ({role})", receipt))
        receipts.append(keep(f"TaskMarket.finalize ({ending})", market.finalize(task_id, sender=self.account(OWNER))))
        self.gas.setdefault(f"TaskMarket: a whole task, m = 3 ({ending})", sum(int(r["gasUsed"]) for r in receipts))

    # ---------------------------------------------------------------- leaving

    def exit(self) -> None:
        """A node announces its exit, waits out the unbonding delay and takes its stake back."""
        node = self.account(LEAVING)
        join(self.registry, node)
        self.keep("NodeRegistry.announceExit", self.registry.announce_exit(node=node))
        advance(self.chain, self.registry.params().unbonding_delay + 1)
        self.keep("NodeRegistry.withdrawStake", self.registry.withdraw_stake(node=node))


def measure(chain: Chain) -> dict[str, int]:
    """Gas of each main kura operation on a fresh deployment on ``chain``, by operation name."""
    scenario = Scenario(chain)
    scenario.storage()
    scenario.compute()
    scenario.exit()
    return dict(sorted(scenario.gas.items()))
