"""Gas of the medical data exchange (InstitutionRegistry, ConsentRegistry, DataMarket) on a private Anvil.

Run:  .venv/bin/python benchmarks/bench_market.py [--quick] [--cohort N]

Deploys kura with its default parameters (``kura.chain.deploy``; nothing is recorded, no other chain is
touched) on a fresh Anvil the benchmark starts and stops itself, seeds three founding institutions, and
measures one transaction of each step of the exchange: an applicant's application and the two approvals
that admit it; a consent snapshot commit and a patient's revocation with a Merkle proof in a cohort of
``--cohort`` patients; a listing, a purchase, a delivery, the buyer's early confirmation, a release after
the dispute window, a wrong key refunded by proof (the on-chain ``ecrecover`` check of x·G and x·R), a
refund of an undelivered sale, a withdrawal; and the two-step key change (propose, accept). Reference,
measured in the same run: a plain ETH transfer; every figure is also given as a multiple of it.
"""

from __future__ import annotations

import argparse
import secrets

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from kura.chain.client import Chain
from kura.chain.consent_registry import purpose_id
from kura.chain.contracts import Contracts
from kura.chain.data_market import Offer
from kura.chain.deploy import deploy_contracts
from kura.chain.deployments import Deployment
from kura.chain.institution_registry import Founder, key_words
from kura.chain.params import DeployParams
from kura.devtools.scratch import scratch_chain
from kura.market import exchange
from kura.market.merkle import MerkleTree
from kura.market.snapshot import leaf

PARAMS = DeployParams()
SELLER, BUYER, OTHER, APPLICANT, NEW_ACCOUNT = 1, 2, 3, 4, 5
PRICE, BOND = 10**17, 3 * 10**16
RESEARCH, EPIDEMIOLOGY = purpose_id("HRESCH"), purpose_id("epidemiology")


def last_gas(chain: Chain) -> int:
    """Gas of the one transaction in the latest block (the chain mines one block per transaction)."""
    block = chain.w3.eth.get_block("latest", full_transactions=False)
    transactions = block["transactions"]
    if len(transactions) != 1:
        raise RuntimeError(f"block {block['number']} holds {len(transactions)} transactions, not one")
    return int(chain.w3.eth.get_transaction_receipt(transactions[0])["gasUsed"])


def eth_transfer(chain: Chain, sender: LocalAccount, to: str) -> int:
    """Send 1 wei from ``sender`` to ``to``; the gas it used (the reference every figure is compared with)."""
    signed = sender.sign_transaction(
        {
            "to": to,
            "value": 1,
            "gas": 21_000,
            "gasPrice": chain.w3.eth.gas_price,
            "chainId": chain.chain_id,
            "nonce": chain.w3.eth.get_transaction_count(sender.address),
        }
    )
    receipt = chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(signed.raw_transaction))
    return int(receipt["gasUsed"])


def advance(chain: Chain, seconds: int) -> None:
    chain.w3.provider.make_request("evm_increaseTime", [seconds])
    chain.w3.provider.make_request("evm_mine", [])


class Exchange:
    """Kura deployed on ``chain`` with three founding institutions, and the gas of each step measured so far."""

    def __init__(self, chain: Chain, cohort: int) -> None:
        self.chain = chain
        self.gas: list[tuple[str, int]] = []
        owner = chain.account(0)
        deployment = Deployment(chain.chain_id, chain.genesis_hash, deploy_contracts(chain, owner, PARAMS))
        self.c = Contracts(chain, deployment)
        founders = [Founder.of(chain.account(i), f"institution {i}") for i in (SELLER, BUYER, OTHER)]
        self.ids = dict(zip((SELLER, BUYER, OTHER), self.c.institutions.seed(founders, deployer=owner), strict=True))
        self.patients = [(secrets.token_bytes(32), chain.account(9).address) for _ in range(cohort)]
        self.tree = MerkleTree([leaf(p, key) for p, key in self.patients])

    def measure(self, label: str) -> None:
        """Record the gas of the transaction just mined under ``label``."""
        self.gas.append((label, last_gas(self.chain)))

    def account(self, index: int) -> LocalAccount:
        return self.chain.account(index)

    def institutions(self) -> None:
        registry = self.c.institutions
        _, motion = registry.apply("applicant", account=self.account(APPLICANT))
        self.measure("institution apply (opens the Admit motion)")
        registry.approve(motion, member=self.account(SELLER))
        self.measure("institution approve")
        registry.approve(motion, member=self.account(BUYER))
        self.measure("institution approve (majority: admits)")

    def snapshot(self) -> int:
        snapshot = self.c.consent.commit_snapshot(
            RESEARCH, self.tree.root, len(self.patients), keccak(b"leaves"), institution=self.account(SELLER)
        )
        self.measure(f"consent commit ({len(self.patients)} patients)")
        return snapshot

    def listing(self, key: bytes, snapshot: int) -> int:
        file_id = secrets.token_bytes(32)
        self.c.files.register(file_id, secrets.token_bytes(32), secrets.token_bytes(32), owner=self.account(SELLER))
        offer = Offer(
            file_id=file_id,
            file_version=1,
            price=PRICE,
            bond=BOND,
            max_sales=10,
            licence_duration=365 * 86400,
            licence_hash=keccak(b"licence"),
            licence_cid="bafkreilicence",
            consent_purpose=RESEARCH,
            consent_snapshot=snapshot,
            cohort_size=len(self.patients),
            cert_digest=keccak(b"certificate"),
            k_anonymity=5,
            l_diversity=2,
            key_commitment=exchange.key_commitment(key),
            manifest_digest=keccak(b"sealed manifest"),
            purposes=(EPIDEMIOLOGY, RESEARCH),
        )
        return self.c.market.list_dataset(offer, seller=self.account(SELLER))

    def buy(self, listing_id: int, buyer: int) -> int:
        return self.c.market.buy(listing_id, version=1, price=PRICE, purpose=EPIDEMIOLOGY, buyer=self.account(buyer))

    def deliver(self, purchase_id: int, key: bytes) -> None:
        market = self.c.market
        sealed = exchange.seal_key(key, market.buyer_key_of(purchase_id))
        call = market.contract.functions.deliver(purchase_id, key_words(sealed.ephemeral), sealed.sealed)
        self.chain.transact(call, sender=self.account(SELLER), value=BOND)

    def sales(self) -> None:
        market, (delivery_window, dispute_window) = self.c.market, self.c.market.windows()
        key = exchange.new_dataset_key()
        listing_id = self.listing(key, self.snapshot())
        self.measure("list (listing version 1)")
        first = self.buy(listing_id, BUYER)
        self.measure("buy (escrow, per-purchase key)")
        self.deliver(first, key)
        self.measure("deliver (sealed key, bond locked)")
        market.confirm(first, buyer=self.account(BUYER))
        self.measure("confirm (buyer, early release)")
        second = self.buy(listing_id, OTHER)
        self.deliver(second, key)
        advance(self.chain, dispute_window + 1)
        market.release(second, sender=self.account(APPLICANT))
        self.measure("release (after the dispute window)")

        wrong_listing = self.listing(key, self.c.consent.latest_snapshot(self.ids[SELLER], RESEARCH))
        wrong = self.buy(wrong_listing, BUYER)
        self.deliver(wrong, exchange.new_dataset_key())
        market.dispute(wrong, buyer=self.account(BUYER))
        self.measure("dispute (wrong key refunded by proof)")
        late = self.buy(wrong_listing, OTHER)
        advance(self.chain, delivery_window + 1)
        market.reclaim(late, sender=self.account(OTHER))
        self.measure("reclaim (undelivered, refunded)")
        market.withdraw_payments(payee=self.account(SELLER))
        self.measure("withdraw (pull payment)")

    def revoke(self) -> None:
        pseudonym, key = self.patients[0]
        snapshot = self.c.consent.latest_snapshot(self.ids[SELLER], RESEARCH)
        self.c.consent.revoke(
            self.ids[SELLER], RESEARCH, pseudonym, key, {snapshot: self.tree.proof(0)}, sender=self.account(SELLER)
        )
        self.measure(f"consent revoke (one snapshot, proof of {len(self.tree.proof(0))} hashes)")

    def key_change(self) -> None:
        registry, new = self.c.institutions, self.account(NEW_ACCOUNT)
        registry.propose_account_change(new.address, member=self.account(SELLER))
        self.measure("key change: propose")
        registry.accept_account_change(self.ids[SELLER], new_account=new)
        self.measure("key change: accept (payout follows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a cohort of 100 patients instead of --cohort")
    parser.add_argument("--cohort", type=int, default=5000, help="patients in the consent snapshot (default 5000)")
    args = parser.parse_args()
    cohort = 100 if args.quick else args.cohort
    with scratch_chain(block_time=None) as chain:
        bench = Exchange(chain, cohort)
        reference = eth_transfer(chain, chain.account(0), chain.account(9).address)
        bench.institutions()
        bench.sales()
        bench.revoke()
        bench.key_change()
    width = max(len(label) for label, _ in bench.gas)
    print(f"{'operation'.ljust(width)}  {'gas':>9}  {'× ETH transfer':>14}")
    print(f"{'ETH transfer (reference, same run)'.ljust(width)}  {reference:>9,}  {1:>14.2f}")
    for label, used in bench.gas:
        print(f"{label.ljust(width)}  {used:>9,}  {used / reference:>14.2f}")


if __name__ == "__main__":
    main()
