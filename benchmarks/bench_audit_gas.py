"""Gas of the trust layer: node lifecycle and proof-of-storage audits, on a private Anvil.

Run:  .venv/bin/python benchmarks/bench_audit_gas.py [--quick]

Deploys FileRegistry, NodeRegistry and StorageAudits with kura's default parameters on a
fresh Anvil (its own port and folder; nothing else is touched) and measures the gas of
register / topUp / announceExit / withdrawStake, of a challenge, of a right answer for
shares of 2^0 .. 2^16 chunks of 1024 bytes (proofs from ``kura.crypto.merkle``), of a
wrong answer (judged and slashed in the same transaction) and of claimTimeout. A node's
first answer also opens its payment balance (a zero-to-nonzero store), so it is listed apart.
Reference, measured in the same run: a plain ETH transfer. The table gives each figure
as a multiple of it and, for answers, against the 120k-gas target.
"""

from __future__ import annotations

import argparse
import os
import secrets
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.params import DeployParams
from kura.crypto import merkle
from kura.devtools.scratch import scratch_chain

ANSWER_TARGET = 120_000
LEAF_BYTES = 57  # abi.encodePacked(uint8 index, address node, uint32 chunkCount, bytes32 shareRoot)
PARAMS = DeployParams()
MIN_STAKE = PARAMS.nodes.min_stake
Opened = tuple[int, tuple[Any, ...]]
"""A challenge's id and terms (``IStorageAudits.Challenge``), as the functions that judge it take them."""
BOND, SEED_DELAY, WINDOW = PARAMS.audits.challenge_bond, PARAMS.audits.seed_delay, PARAMS.audits.response_window


class Bench:
    """The three contracts on a private chain, and the operations to measure."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        owner = chain.account(0)
        files = chain.deploy("FileRegistry", *PARAMS.files.args(), sender=owner)
        registry = chain.deploy("NodeRegistry", *PARAMS.nodes.args(), sender=owner)
        audits = chain.deploy("StorageAudits", registry.address, files.address, *PARAMS.audits.args(), sender=owner)
        self.files = chain.contract("FileRegistry", files.address)
        self.registry = chain.contract("NodeRegistry", registry.address)
        self.audits = chain.contract("StorageAudits", audits.address)
        chain.transact(self.registry.functions.setJudge(audits.address, True), sender=owner)

    def transfer(self) -> TxReceipt:
        tx = {"to": self.chain.account(1).address, "value": 1, "from": self.chain.account(0).address}
        signed = self.chain.account(0).sign_transaction(
            {
                **tx,
                "gas": 21_000,
                "gasPrice": self.chain.w3.eth.gas_price,
                "chainId": self.chain.chain_id,
                "nonce": self.chain.w3.eth.get_transaction_count(tx["from"]),
            }
        )
        eth = self.chain.w3.eth
        return eth.wait_for_transaction_receipt(eth.send_raw_transaction(signed.raw_transaction))

    def store(self, node: LocalAccount, data: bytes) -> tuple[bytes, bytes, int, bytes]:
        """Register a one-share file held by ``node``; return (file id, share root, chunk count, shares root)."""
        file_id, share_root, count = secrets.token_bytes(32), merkle.merkle_root(data), merkle.chunk_count(len(data))
        leaf = bytes([0]) + bytes.fromhex(node.address[2:]) + count.to_bytes(4, "big") + share_root
        assert len(leaf) == LEAF_BYTES
        shares_root = merkle.merkle_root(leaf, chunk_size=LEAF_BYTES)
        self.chain.transact(
            self.files.functions.register(file_id, secrets.token_bytes(32), shares_root),
            sender=self.chain.account(0),
            value=PARAMS.files.min_deposit,
        )
        return file_id, share_root, count, shares_root

    def challenge(self, node: LocalAccount, data: bytes) -> tuple[Opened, TxReceipt]:
        """Open a challenge on a new one-share file of ``data``; return its id and terms, and the receipt."""
        file_id, share_root, count, _ = self.store(node, data)
        receipt = self.chain.transact(
            self.audits.functions.challenge(file_id, 0, node.address, count, share_root, []),
            sender=self.chain.account(1),
            value=BOND,
        )
        (event,) = self.audits.events.ChallengeOpened().process_receipt(receipt)
        self.mine(SEED_DELAY + 1)  # calls run on the latest block, which must be past the seed block
        return (int(event.args.challengeId), tuple(event.args.challenge.values())), receipt

    def respond(self, node: LocalAccount, opened: Opened, data: bytes, *, honest: bool) -> TxReceipt:
        index = int(self.chain.call(self.audits.functions.chunkIndexOf(*opened)))
        chunk = data[index * merkle.CHUNK_SIZE : (index + 1) * merkle.CHUNK_SIZE]
        proof = merkle.merkle_proof(data, index)
        if not honest:
            proof = [secrets.token_bytes(32), *proof[1:]]
        return self.chain.transact(self.audits.functions.respond(*opened, chunk, proof), sender=node)

    def mine(self, blocks: int) -> None:
        self.chain.w3.provider.make_request("anvil_mine", [hex(blocks)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shares of 1 and 2^16 chunks only; a few seconds")
    args = parser.parse_args()
    exponents = (0, 16) if args.quick else (0, 4, 8, 12, 16)

    with scratch_chain() as chain:
        rows = measure(Bench(chain), exponents)
    reference = rows[0][1]
    print(f"{'operation':<44} {'gas':>9} {'x transfer':>11} {'vs 120k':>8}")
    for name, gas in rows:
        target = f"{gas / ANSWER_TARGET:8.2f}" if name.startswith("respond") else f"{'':>8}"
        print(f"{name:<44} {gas:>9,} {gas / reference:>11.2f} {target}")


def measure(bench: Bench, exponents: tuple[int, ...]) -> list[tuple[str, int]]:
    """Run every operation once and return (name, gas used) rows, the reference first."""
    chain = bench.chain
    node, leaver = chain.account(2), chain.account(3)
    rows = [("ETH transfer (reference)", int(bench.transfer()["gasUsed"]))]
    gas = lambda receipt: int(receipt["gasUsed"])  # noqa: E731
    rows.append(
        (
            "register (peer id + multiaddr)",
            gas(
                chain.transact(
                    bench.registry.functions.register(
                        "12D3KooWBenchPeerIdBenchPeerIdBenchPeerIdBenchPe", "/ip4/127.0.0.1/tcp/4001"
                    ),
                    sender=node,
                    value=MIN_STAKE,
                )
            ),
        )
    )
    rows.append(("topUp", gas(chain.transact(bench.registry.functions.topUp(), sender=node, value=MIN_STAKE))))
    chain.transact(bench.registry.functions.register("p", "e"), sender=leaver, value=MIN_STAKE)
    rows.append(("announceExit", gas(chain.transact(bench.registry.functions.announceExit(), sender=leaver))))
    chain.w3.provider.make_request("evm_increaseTime", [PARAMS.nodes.unbonding_delay])
    bench.mine(1)
    rows.append(("withdrawStake", gas(chain.transact(bench.registry.functions.withdrawStake(), sender=leaver))))

    first = os.urandom(merkle.CHUNK_SIZE)
    opened, receipt = bench.challenge(node, first)
    rows.append(("challenge (one-share file)", gas(receipt)))
    rows.append(("respond, right, 2^0 chunks, node's 1st credit", gas(bench.respond(node, opened, first, honest=True))))
    for exponent in exponents:
        data = os.urandom(merkle.CHUNK_SIZE * 2**exponent)
        opened, _ = bench.challenge(node, data)
        rows.append((f"respond, right, 2^{exponent} chunks", gas(bench.respond(node, opened, data, honest=True))))

    data = os.urandom(merkle.CHUNK_SIZE * 2 ** exponents[-1])
    opened, _ = bench.challenge(node, data)
    wrong = bench.respond(node, opened, data, honest=False)
    rows.append((f"respond, wrong (slashed), 2^{exponents[-1]} chunks", gas(wrong)))
    opened, _ = bench.challenge(node, os.urandom(merkle.CHUNK_SIZE))
    chain.w3.provider.make_request("evm_increaseTime", [WINDOW + 1])
    bench.mine(1)
    rows.append(
        (
            "claimTimeout (slash + jail check + reward)",
            gas(chain.transact(bench.audits.functions.claimTimeout(*opened), sender=chain.account(1))),
        )
    )
    return rows


if __name__ == "__main__":
    main()
