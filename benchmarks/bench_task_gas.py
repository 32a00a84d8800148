"""Gas of a compute task's whole lifecycle on the TaskMarket, with m = 3 auditors, on a private Anvil.

Run:  .venv/bin/python benchmarks/bench_task_gas.py [--quick]

Deploys NodeRegistry and TaskMarket with kura's default parameters (``kura.chain.deploy``) on a
fresh Anvil (its own port and folder; nothing else is touched), registers a compute node and
auditors, and measures every transaction of a task: post (escrow), claim, the worker's commit
(which seeds the draw), the random draw, three auditors' commits, four reveals (worker + 3
auditors), finalize (consensus, spot-check records, payouts) and the withdrawals — once for an honest
worker and once for a lying one (finalize then also slashes and demotes). Then a public post and a
confidential one (the requester's public key checked and logged), both after the first task so the task
counter costs the same. The draw is also measured for larger audit pools (not with --quick).

Then the same in a market that audits only a sample (``SampledAuditsParams.sampled()``, docs/trust-layer.md §3), for a
worker whose record puts it at the floor (1/128): a task the coin leaves unaudited (post, claim, commit, the coin,
the worker's reveal that holds its reward, the release after the hold time, withdrawals), and the expected gas per
task at the floor, (1 − q)·unaudited + q·audited, against the full-audit task. Reference, measured in the same run:
a plain ETH transfer; every figure is also given as a multiple of it.
"""

from __future__ import annotations

import argparse
import secrets

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.params import DeployParams, SampledAuditsParams
from kura.chain.task_market import TaskParams, commitment, escrow
from kura.compute.sampling import floor_record
from kura.compute.sealing import account_public_key
from kura.devtools.scratch import scratch_chain
from kura.units import WAD

M = 3
PARAMS = DeployParams()
MIN_STAKE, PROMOTION_BAR = PARAMS.nodes.min_stake, PARAMS.nodes.promotion_bar
SEED_DELAY, MAX_ROUNDS = PARAMS.tasks.seed_delay, PARAMS.tasks.max_rounds
REWARD, AUDIT_FEE, FUEL = 10**16, 10**14, 10**9
RIGHT, WRONG = keccak(b"right"), keccak(b"wrong")


class Bench:
    """A registry and a market on a private chain, one compute node, and the pool of auditors."""

    def __init__(self, chain: Chain, pool: int, sampling: SampledAuditsParams = PARAMS.sampling) -> None:
        self.chain = chain
        self.owner = chain.account(0)
        registry = chain.deploy("NodeRegistry", *PARAMS.nodes.args(), sender=self.owner)
        sampler = chain.deploy("SampledAudits", registry.address, *sampling.args(), sender=self.owner)
        market = chain.deploy("TaskMarket", registry.address, sampler.address, *PARAMS.tasks.args(), sender=self.owner)
        self.registry = chain.contract("NodeRegistry", registry.address)
        self.sampler = chain.contract("SampledAudits", sampler.address)
        self.market = chain.contract("TaskMarket", market.address)
        chain.transact(self.sampler.functions.setMarket(market.address), sender=self.owner)
        for judge in (market.address, self.owner.address):
            chain.transact(self.registry.functions.setJudge(judge, True), sender=self.owner)
        self.requester = chain.account(1)
        self.worker = chain.account(2)
        # The stake a sampling market asks of a claim of this reward (none when it audits every task).
        self.join(self.worker, passed=PROMOTION_BAR, stake=max(MIN_STAKE, sampling.min_stake(REWARD)))
        chain.transact(self.registry.functions.promote(self.worker.address), sender=self.worker)
        self.pool = [chain.account(3 + i) for i in range(pool)]
        self.pool_gas = [self.join(node, passed=5, pool=True) for node in self.pool][-1]

    def join(self, node: LocalAccount, *, passed: int, pool: bool = False, stake: int = MIN_STAKE) -> int:
        self.chain.transact(self.registry.functions.register("peer", "endpoint"), sender=node, value=stake)
        for _ in range(passed):
            self.chain.transact(self.registry.functions.recordSpotCheck(node.address, True), sender=self.owner)
        return gas(self.chain.transact(self.market.functions.joinAuditPool(), sender=node)) if pool else 0

    def transfer(self) -> TxReceipt:
        signed = self.owner.sign_transaction(
            {
                "to": self.requester.address,
                "value": 1,
                "gas": 21_000,
                "gasPrice": self.chain.w3.eth.gas_price,
                "chainId": self.chain.chain_id,
                "nonce": self.chain.w3.eth.get_transaction_count(self.owner.address),
            }
        )
        eth = self.chain.w3.eth
        return eth.wait_for_transaction_receipt(eth.send_raw_transaction(signed.raw_transaction))

    def post(self, *, confidential: bool) -> TxReceipt:
        """Post a task with M auditors; a confidential one names the requester's public key."""
        key = account_public_key(self.requester.key) if confidential else b""
        params = TaskParams(
            "bafy-module",
            keccak(b"m"),
            "bafy-input",
            keccak(b"i"),
            fuel=FUEL,
            reward=REWARD,
            audit_fee=AUDIT_FEE,
            auditors=M,
            theta=9 * WAD // 10,
            requester_key=key,
        )
        call = self.market.functions.post(params.as_tuple())
        return self.chain.transact(call, sender=self.requester, value=escrow(REWARD, AUDIT_FEE, M, MAX_ROUNDS))

    def lifecycle(self, worker_answer: bytes) -> list[tuple[str, int]]:
        """Run one task with M auditors; return (step, gas) per transaction."""
        f, chain = self.market.functions, self.chain
        post = self.post(confidential=False)
        task_id = int(self.market.events.TaskPosted().process_receipt(post)[0].args.taskId)
        rows = [("post (escrow)", gas(post)), ("claim", gas(chain.transact(f.claim(task_id), sender=self.worker)))]
        salts = {self.worker.address: secrets.token_bytes(32)}
        receipt = chain.transact(
            f.commit(task_id, commitment(worker_answer, salts[self.worker.address], self.worker.address)),
            sender=self.worker,
        )
        rows.append(("commit (worker, seeds the draw)", gas(receipt)))
        chain.w3.provider.make_request("anvil_mine", [hex(SEED_DELAY + 1)])
        rows.append(
            (
                f"drawAuditors (pool of {len(self.pool)})",
                gas(chain.transact(f.drawAuditors(task_id), sender=self.requester)),
            )
        )
        by_address = {a.address: a for a in self.pool}
        auditors = [by_address[a] for a in chain.call(f.auditorsOf(task_id))]
        for i, node in enumerate(auditors, start=1):
            salts[node.address] = secrets.token_bytes(32)
            receipt = chain.transact(
                f.commit(task_id, commitment(RIGHT, salts[node.address], node.address)), sender=node
            )
            rows.append((f"commit (auditor {i})", gas(receipt)))
        nodes = [self.worker, *auditors]
        answers = [worker_answer] + [RIGHT] * M
        chain.w3.provider.make_request("evm_increaseTime", [chain.call(f.fuelWindow(FUEL)) + 1])
        chain.w3.provider.make_request("anvil_mine", ["0x1"])
        for i, (node, answer) in enumerate(zip(nodes, answers, strict=True)):
            receipt = chain.transact(
                f.reveal(task_id, answer, salts[node.address], "bafkreiexampleoutputcid"), sender=node
            )
            rows.append(("reveal (worker)" if i == 0 else f"reveal (auditor {i})", gas(receipt)))
        finalized = chain.transact(f.finalize(task_id), sender=self.requester)
        rows.append(("finalize (consensus, judge, pay)", gas(finalized)))
        for payee in [*nodes, self.requester]:
            if chain.call(f.payments(payee.address)) > 0:
                rows.append(
                    (
                        f"withdrawPayments ({'requester' if payee is self.requester else 'node'})",
                        gas(chain.transact(f.withdrawPayments(), sender=payee)),
                    )
                )
        return rows

    def unaudited_lifecycle(self) -> list[tuple[str, int]]:
        """Run one task the audit coin leaves unaudited (the worker's record must put it at the floor); return (step,
        gas) per transaction. A task the coin audits (probability q) is left where it is and another is posted."""
        f, chain = self.market.functions, self.chain
        while True:
            post = self.post(confidential=False)
            task_id = int(self.market.events.TaskPosted().process_receipt(post)[0].args.taskId)
            claim = chain.transact(f.claim(task_id), sender=self.worker)
            salt = secrets.token_bytes(32)
            commit = chain.transact(f.commit(task_id, commitment(RIGHT, salt, self.worker.address)), sender=self.worker)
            chain.w3.provider.make_request("anvil_mine", [hex(SEED_DELAY + 1)])
            draw = chain.transact(f.drawAuditors(task_id), sender=self.requester)
            if self.market.events.AuditSkipped().process_receipt(draw):
                break
        reveal = chain.transact(f.reveal(task_id, RIGHT, salt, "bafkreiexampleoutputcid"), sender=self.worker)
        rows = [
            ("post (escrow)", gas(post)),
            ("claim (stake rule)", gas(claim)),
            ("commit (worker, seeds the coin)", gas(commit)),
            ("drawAuditors (the coin: no audit)", gas(draw)),
            ("reveal (worker: provisional, held)", gas(reveal)),
        ]
        hold_time = chain.call(self.sampler.functions.terms())[4]
        chain.w3.provider.make_request("evm_increaseTime", [hold_time + 1])
        chain.w3.provider.make_request("anvil_mine", ["0x1"])
        release = chain.transact(self.sampler.functions.release(self.worker.address, 1), sender=self.worker)
        rows.append(("release (after the hold time)", gas(release)))
        paid = chain.transact(self.sampler.functions.withdrawPayments(), sender=self.worker)
        refunded = chain.transact(f.withdrawPayments(), sender=self.requester)
        rows += [("withdrawPayments (worker, ledger)", gas(paid)), ("withdrawPayments (requester)", gas(refunded))]
        return rows

    def floor_record(self, sampling: SampledAuditsParams) -> None:
        """Give the worker the record at which its audit probability is the floor."""
        record = floor_record(sampling.q_min / WAD, sampling.full_record, sampling.half_life)
        for _ in range(record):
            self.chain.transact(self.registry.functions.recordComputeAudit(self.worker.address), sender=self.owner)
        assert self.chain.call(self.sampler.functions.auditProbabilityOf(self.worker.address)) == sampling.q_min


def gas(receipt: TxReceipt) -> int:
    return int(receipt["gasUsed"])


def run(chain: Chain, pool: int) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]], int, tuple[int, int]]:
    bench = Bench(chain, pool)
    reference = gas(bench.transfer())
    honest = bench.lifecycle(RIGHT)
    liar = bench.lifecycle(WRONG)
    # Both after the first task, so the task counter costs the same in each.
    posts = gas(bench.post(confidential=False)), gas(bench.post(confidential=True))
    return reference, honest, liar, bench.pool_gas, posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a pool of exactly 3 auditors only; a few seconds")
    args = parser.parse_args()
    pools = (M,) if args.quick else (M, 10, 25)

    results = []
    for pool in pools:
        with scratch_chain() as chain:
            results.append((pool, *run(chain, pool)))

    pool, reference, honest, liar, join_gas, (public_post, sealed_post) = results[0]
    print(f"task lifecycle, m = {M} auditors, pool of {pool}; reference: ETH transfer = {reference:,} gas\n")
    print(f"{'step':<40} {'gas':>9} {'x transfer':>11}")
    for name, used in [("joinAuditPool (once per auditor)", join_gas), *honest]:
        print(f"{name:<40} {used:>9,} {used / reference:>11.2f}")
    total = sum(used for _, used in honest)
    print(f"{'TOTAL honest task':<40} {total:>9,} {total / reference:>11.2f}")
    wrong_finalize = dict(liar)["finalize (consensus, judge, pay)"]
    liar_total = sum(used for _, used in liar)
    print(f"{'finalize, lying worker (slash, demote)':<40} {wrong_finalize:>9,} {wrong_finalize / reference:>11.2f}")
    print(f"{'TOTAL task with a lying worker':<40} {liar_total:>9,} {liar_total / reference:>11.2f}")
    print(f"\n{'post, public output (a later task)':<40} {public_post:>9,} {public_post / reference:>11.2f}")
    print(f"{'post, confidential output (sealed)':<40} {sealed_post:>9,} {sealed_post / reference:>11.2f}")
    print(f"{'  confidential - public':<40} {sealed_post - public_post:>+9,} {sealed_post / public_post:>10.3f}x")
    sampling = SampledAuditsParams.sampled()
    with scratch_chain() as chain:
        bench = Bench(chain, M, sampling)
        bench.floor_record(sampling)
        unaudited = bench.unaudited_lifecycle()
    q = sampling.q_min / WAD
    print(f"\nsampled market (SampledAuditsParams.sampled()), worker at the floor q = 1/{round(1 / q)}")
    print(f"{'step':<40} {'gas':>9} {'x transfer':>11}")
    for name, used in unaudited:
        print(f"{name:<40} {used:>9,} {used / reference:>11.2f}")
    skipped = sum(used for _, used in unaudited)
    expected = (1 - q) * skipped + q * total
    print(f"{'TOTAL unaudited task':<40} {skipped:>9,} {skipped / reference:>11.2f}")
    print(f"{'expected per task at the floor':<40} {expected:>9,.0f} {expected / reference:>11.2f}")
    print(f"{'  vs the full-audit task':<40} {expected / total:>10.3f}x")
    print(f"{'  runs per task (1 + q·m)':<40} {1 + q * M:>10.3f}  (full audit: {1 + M})")
    if len(results) > 1:
        print(f"\n{'drawAuditors vs pool size':<40} {'gas':>9} {'x transfer':>11}")
        for pool, reference, honest, _, _, _ in results:
            draw = next(used for name, used in honest if name.startswith("drawAuditors"))
            print(f"{'pool of ' + str(pool):<40} {draw:>9,} {draw / reference:>11.2f}")


if __name__ == "__main__":
    main()
