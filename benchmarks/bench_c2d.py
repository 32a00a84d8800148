"""Gas of a whole compute-to-data job (DataJobs over DataMarket and TaskMarket), beside an ETH transfer in the same run.

Run:  .venv/bin/python benchmarks/bench_c2d.py

Deploys every kura contract with kura's default parameters (``kura.chain.deploy``) on a fresh, hand-mined Anvil
(its own port and folder, and a private state folder: nothing else is touched), founds a hospital and a research
institute, lists a dataset, and measures: the seller's one-off set-up of compute-to-data (compute terms, the
module, the compute dataset, two approved nodes with the dataset key sealed to each), the buyer's compute access,
then every transaction of one job — submit (access checks, ε debit, gated post), claim (the gate asked), the
worker's commit, the draw (the gate asked per candidate), two auditors' commits, three reveals, finalize, the
settle that returns what the task did not spend, and the withdrawals. A plain ETH transfer is the reference;
every figure is also given as a multiple of it.
"""

from __future__ import annotations

import secrets

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.types import TxReceipt

from kura.chain.consent_registry import purpose_id
from kura.chain.contracts import Contracts
from kura.chain.data_jobs import JobParams
from kura.chain.data_market import Offer
from kura.chain.deploy import deploy_all
from kura.chain.institution_registry import Founder
from kura.chain.params import DeployParams
from kura.compute.sealing import account_public_key
from kura.demo import private_state
from kura.devtools.scratch import scratch_chain
from kura.market import exchange
from kura.units import EPSILON_ONE, WAD

PARAMS = DeployParams()
HOSPITAL, INSTITUTE, WORKER, AUDITORS = 1, 2, 3, (4, 5)
FUEL = 10**8
REWARD = 10**16
AUDIT_FEE = FUEL * PARAMS.tasks.min_fuel_price
THETA = 8 * WAD // 10
"""Two agreeing new auditors reach it."""
RIGHT = keccak(b"right")
Rows = list[tuple[str, int]]


def gas(receipt: TxReceipt) -> int:
    return int(receipt["gasUsed"])


class Bench:
    """The deployed contracts, the two institutions and the nodes."""

    def __init__(self, contracts: Contracts) -> None:
        self.c = contracts
        self.chain = contracts.chain
        self.owner = self.chain.account(0)
        self.hospital, self.institute = self.chain.account(HOSPITAL), self.chain.account(INSTITUTE)

    def transfer(self) -> int:
        chain = self.chain
        signed = self.owner.sign_transaction(
            {
                "to": self.institute.address,
                "value": 1,
                "gas": 21_000,
                "gasPrice": chain.w3.eth.gas_price,
                "chainId": chain.chain_id,
                "nonce": chain.w3.eth.get_transaction_count(self.owner.address),
            }
        )
        return gas(chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(signed.raw_transaction)))

    def nodes(self) -> tuple[LocalAccount, list[LocalAccount]]:
        """A compute node (vouched for by the registry's owner as judge) and two auditors in the pool."""
        registry, chain = self.c.nodes, self.chain
        registry.set_judge(self.owner.address, True, owner=self.owner)
        worker = chain.account(WORKER)
        auditors = [chain.account(i) for i in AUDITORS]
        for node in (worker, *auditors):
            registry.register(
                f"peer-{node.address[-6:]}", "http://127.0.0.1:1", node=node, stake=PARAMS.nodes.min_stake
            )
        for _ in range(PARAMS.nodes.promotion_bar):
            registry.record_spot_check(worker.address, True, judge=self.owner)
        registry.promote(worker.address, sender=worker)
        for node in auditors:
            self.c.tasks.join_audit_pool(node=node)
        return worker, auditors

    def listing(self) -> int:
        file_id = secrets.token_bytes(32)
        self.c.files.register(file_id, secrets.token_bytes(32), secrets.token_bytes(32), owner=self.hospital)
        snapshot = self.c.consent.commit_snapshot(
            purpose_id("HRESCH"), keccak(b"root"), 500, secrets.token_bytes(32), institution=self.hospital
        )
        offer = Offer(
            file_id,
            1,
            10**17,
            0,
            5,
            365 * 86400,
            keccak(b"licence"),
            "bafy-licence",
            purpose_id("HRESCH"),
            snapshot,
            500,
            keccak(b"certificate"),
            5,
            2,
            exchange.key_commitment(exchange.new_dataset_key()),
            keccak(b"manifest"),
            (purpose_id("HRESCH"),),
        )
        return self.c.market.list_dataset(offer, seller=self.hospital)

    def setup(self, listing: int, nodes: list[LocalAccount]) -> Rows:
        market, jobs, seller = self.c.market, self.c.jobs, self.hospital
        rows = [
            (
                "configureCompute",
                gas(
                    market.configure_compute(
                        listing,
                        job_price=10**15,
                        dataset_epsilon=4 * EPSILON_ONE,
                        buyer_epsilon=2 * EPSILON_ONE,
                        seller=seller,
                    )
                ),
            ),
            ("setModule", gas(market.set_module(listing, keccak(b"dp_cohort_aggregate"), 2**20, seller=seller))),
            (
                "setDataset",
                gas(jobs.set_dataset(listing, secrets.token_bytes(32), secrets.token_bytes(32), seller=seller)),
            ),
        ]
        for node in nodes:
            rows.append(("setNode (approve a node)", gas(market.set_node(listing, node.address, True, seller=seller))))
            rows.append(
                (
                    "sealKey (dataset key to the node)",
                    gas(jobs.seal_key(listing, node.address, secrets.token_bytes(129), seller=seller)),
                )
            )
        return rows

    def job(self, listing: int, worker: LocalAccount, auditors: list[LocalAccount]) -> tuple[Rows, Rows]:
        """The buyer's access, then one job's transactions."""
        chain, tasks, jobs = self.chain, self.c.tasks, self.c.jobs
        receipt = chain.transact(
            self.c.market.contract.functions.buyCompute(listing, 2, 10**15, purpose_id("HRESCH")),
            sender=self.institute,
            value=2 * 10**15,
        )
        access_id = int(self.c.market.contract.events.ComputeAccessBought().process_receipt(receipt)[0].args.accessId)
        access = [("buyCompute (2 jobs)", gas(receipt))]
        params = JobParams(
            access_id,
            "bafy-module",
            keccak(b"dp_cohort_aggregate"),
            EPSILON_ONE // 4,
            "bafy-query",
            keccak(b"query"),
            FUEL,
            REWARD,
            AUDIT_FEE,
            len(auditors),
            THETA,
            account_public_key(bytes(self.institute.key)),
        )
        job_id, task_id, receipt = jobs.submit(params, max_rounds=PARAMS.tasks.max_rounds, buyer=self.institute)
        rows = [
            ("submit (debit ε, gated post)", gas(receipt)),
            ("claim (gate asked)", gas(tasks.claim(task_id, worker=worker))),
        ]
        salts = {node.address: secrets.token_bytes(32) for node in (worker, *auditors)}
        rows.append(("commit (worker)", gas(tasks.commit(task_id, RIGHT, salts[worker.address], node=worker))))
        chain.w3.provider.make_request("anvil_mine", [hex(PARAMS.tasks.seed_delay + 1)])
        rows.append(("drawAuditors (gate asked per candidate)", gas(tasks.draw_auditors(task_id, sender=self.owner))))
        for i, node in enumerate(auditors, start=1):
            rows.append((f"commit (auditor {i})", gas(tasks.commit(task_id, RIGHT, salts[node.address], node=node))))
        chain.w3.provider.make_request("evm_increaseTime", [tasks.fuel_window(FUEL) + 1])
        chain.w3.provider.make_request("anvil_mine", ["0x1"])
        for i, node in enumerate((worker, *auditors)):
            rows.append(
                (
                    "reveal (worker)" if i == 0 else f"reveal (auditor {i})",
                    gas(tasks.reveal(task_id, RIGHT, salts[node.address], "bafkreioutput", node=node)),
                )
            )
        rows.append(("finalize", gas(tasks.finalize(task_id, sender=self.owner))))
        rows.append(("settle (unspent escrow to the buyer)", gas(jobs.settle(job_id, sender=self.institute))))
        rows.append(("withdrawPayments (buyer, DataJobs)", gas(jobs.withdraw_payments(payee=self.institute))))
        rows.append(("withdrawPayments (worker, TaskMarket)", gas(tasks.withdraw_payments(payee=worker))))
        return access, rows


def report(reference: int, title: str, rows: Rows) -> int:
    print(f"\n{title}")
    for name, used in rows:
        print(f"  {name:<44} {used:>10,} {used / reference:>9.2f}x")
    total = sum(used for _, used in rows)
    print(f"  {'TOTAL':<44} {total:>10,} {total / reference:>9.2f}x")
    return total


def main() -> None:
    with private_state(), scratch_chain() as chain:
        founders = [Founder.of(chain.account(HOSPITAL), "hospital"), Founder.of(chain.account(INSTITUTE), "institute")]
        bench = Bench(Contracts(chain, deploy_all(chain, chain.account(0), PARAMS, founders=founders)))
        reference = bench.transfer()
        worker, auditors = bench.nodes()
        listing = bench.listing()
        setup = bench.setup(listing, [worker, *auditors])
        access, job = bench.job(listing, worker, auditors)
    print(f"compute-to-data on kura's default parameters; reference: ETH transfer = {reference:,} gas")
    report(reference, "seller, once per listing (3 approved nodes)", setup)
    report(reference, "buyer, once per access", access)
    total = report(reference, f"one job ({len(auditors)} auditors, honest worker)", job)
    print(f"\nwhole job = {total:,} gas = {total / reference:.1f} ETH transfers")


if __name__ == "__main__":
    main()
