"""Helpers for the market contract tests: a reference consent Merkle tree, fresh market contracts with test
parameters, founded institutions, one-call builders for files, snapshots, offers and listings, and the
expectation of a refused parameter.

``ConsentTree`` is an independent Python reading of OpenZeppelin's ``MerkleProof`` (commutative keccak256 of
sorted pairs) over leaves ``keccak256(bytes32 pseudonym ‖ address patientKey)``, so the tests check the
contract against it rather than against kura's own code.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_canonical_address

from kura.chain.client import Chain, Deployed
from kura.chain.consent_registry import ConsentRegistryClient, purpose_id
from kura.chain.data_market import DataMarketClient, Offer
from kura.chain.deploy import CONTRACTS
from kura.chain.deployments import Deployment
from kura.chain.file_registry import FileRegistryClient
from kura.chain.institution_registry import Founder, InstitutionRegistryClient, Policy
from kura.chain.params import DeployParams
from kura.chain.pull_payments import reason_bytes
from kura.devtools.contracts import build
from kura.market import exchange
from tests.contracts.expect import reverts

_KURA = DeployParams()
PARAMS = replace(
    _KURA,
    institutions=replace(_KURA.institutions, motion_lifetime=1_000),
    data_market=replace(_KURA.data_market, delivery_window=600, dispute_window=900),
)
"""What the market tests deploy: kura's parameters, except deadlines short enough to travel past (and each
different, so a test can tell them apart)."""
POLICY = Policy(PARAMS.institutions.min_k, PARAMS.institutions.min_l, PARAMS.institutions.min_cell_count)
"""The consortium's policy in ``PARAMS``, as the registry client reads it back."""
MARKET_CONTRACTS = ("FileRegistry", "InstitutionRegistry", "ConsentRegistry", "DataMarket")
"""What ``MarketLayer.deploy`` deploys, by artifact name (the FileRegistry holds the datasets)."""
PRICE = 10**17
BOND = 3 * 10**16
RESEARCH = purpose_id("HRESCH")
EPIDEMIOLOGY = purpose_id("epidemiology")
DRUG_SAFETY = purpose_id("drug-safety")

SELLER, BUYER, OTHER = 1, 2, 3
"""Account indices of the three founding institutions (a hospital that sells, a buyer, a third member)."""
OUTSIDER = 6
"""An account that belongs to no institution."""


@cache
def built() -> None:
    """Compile the contracts once per session if a source changed (the tests deploy fresh copies)."""
    build()


def consent_leaf(pseudonym: bytes, patient_key: str) -> bytes:
    """``keccak256(abi.encodePacked(bytes32 pseudonym, address patientKey))``."""
    return keccak(pseudonym + to_canonical_address(patient_key))


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


class ConsentTree:
    """A Merkle tree OpenZeppelin's ``MerkleProof`` verifies: sorted leaves, sorted-pair keccak256, an odd
    node carried up a level unchanged."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        level = sorted(leaves)
        self.levels = [level]
        while len(level) > 1:
            level = [_pair(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
            self.levels.append(level)

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def proof(self, leaf: bytes) -> list[bytes]:
        """The siblings of ``leaf`` from the bottom (levels where it has none are skipped)."""
        index = self.levels[0].index(leaf)
        path = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path


@dataclass(frozen=True)
class Patient:
    """A patient of a cohort: a pseudonym and (optionally) the patient's own key."""

    pseudonym: bytes
    account: LocalAccount

    @classmethod
    def new(cls) -> Patient:
        return cls(secrets.token_bytes(32), Account.create())

    @property
    def leaf(self) -> bytes:
        return consent_leaf(self.pseudonym, self.account.address)


@dataclass(frozen=True)
class Cohort:
    """A committed consent snapshot and the patients in it."""

    institution: int
    purpose: bytes
    snapshot_id: int
    patients: tuple[Patient, ...]
    tree: ConsentTree

    def proof(self, patient: Patient) -> list[bytes]:
        return self.tree.proof(patient.leaf)


@dataclass(frozen=True)
class Dataset:
    """What a seller holds for a listing: the stored file and the dataset key K."""

    file_id: bytes
    key: bytes = field(default_factory=exchange.new_dataset_key)


@contextmanager
def bad_parameter(what: str) -> Iterator[None]:
    """Expect a revert with the shared ``BadParameter`` error whose ``what`` names ``what``."""
    with reverts("BadParameter") as caught:
        yield
    assert caught.value.args_by_name["what"] == "0x" + reason_bytes(what).hex()


@dataclass
class MarketLayer:
    """Fresh FileRegistry, InstitutionRegistry, ConsentRegistry and DataMarket with ``PARAMS``, and three
    founding institutions (accounts ``SELLER``, ``BUYER``, ``OTHER``) with founding closed."""

    chain: Chain
    deployment: Deployment
    files: FileRegistryClient
    institutions: InstitutionRegistryClient
    consent: ConsentRegistryClient
    market: DataMarketClient
    ids: dict[int, int]

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        *,
        founders: Sequence[int] = (SELLER, BUYER, OTHER),
        close: bool = True,
        params: DeployParams = PARAMS,
    ) -> MarketLayer:
        """Deploy ``MARKET_CONTRACTS`` as ``kura deploy`` would (constructor arguments from
        ``kura.chain.deploy.CONTRACTS``), found ``founders`` and, if ``close``, close founding."""
        built()
        owner = chain.account(0)
        deployed: dict[str, Deployed] = {}
        for spec in CONTRACTS:
            if spec.name in MARKET_CONTRACTS:
                deployed[spec.name] = chain.deploy(spec.name, *spec.args(deployed, params), sender=owner)
        deployment = Deployment(chain.chain_id, chain.genesis_hash, deployed)
        layer = cls(
            chain,
            deployment,
            FileRegistryClient(chain, deployment),
            InstitutionRegistryClient(chain, deployment),
            ConsentRegistryClient(chain, deployment),
            DataMarketClient(chain, deployment),
            {},
        )
        for index in founders:
            account = chain.account(index)
            layer.ids[index] = layer.institutions.found(Founder.of(account, f"institution {index}"), deployer=owner)
        if close:
            layer.institutions.close_founding(deployer=owner)
        return layer

    def account(self, index: int) -> LocalAccount:
        return self.chain.account(index)

    def store(self, owner: LocalAccount) -> Dataset:
        """Register a dataset file owned by ``owner``."""
        dataset = Dataset(secrets.token_bytes(32))
        self.files.register(dataset.file_id, secrets.token_bytes(32), secrets.token_bytes(32), owner=owner)
        return dataset

    def cohort(self, index: int, size: int = 8, purpose: bytes = RESEARCH, extra: Sequence[Patient] = ()) -> Cohort:
        """Commit a consent snapshot of ``size`` new patients (plus ``extra``) for institution account ``index``."""
        patients = tuple(Patient.new() for _ in range(size)) + tuple(extra)
        tree = ConsentTree([p.leaf for p in patients])
        snapshot = self.consent.commit_snapshot(
            purpose, tree.root, len(patients), secrets.token_bytes(32), institution=self.account(index)
        )
        return Cohort(self.ids[index], purpose, snapshot, patients, tree)

    def offer(self, dataset: Dataset, cohort: Cohort, **changes: object) -> Offer:
        """An offer of ``dataset`` from ``cohort`` that passes every check; ``changes`` override fields."""
        base = Offer(
            file_id=dataset.file_id,
            file_version=1,
            price=PRICE,
            bond=BOND,
            max_sales=5,
            licence_duration=365 * 86400,
            licence_hash=keccak(b"licence text"),
            licence_cid="bafy-licence",
            consent_purpose=cohort.purpose,
            consent_snapshot=cohort.snapshot_id,
            cohort_size=len(cohort.patients),
            cert_digest=keccak(b"certificate"),
            k_anonymity=5,
            l_diversity=2,
            key_commitment=exchange.key_commitment(dataset.key),
            manifest_digest=keccak(b"sealed manifest"),
            purposes=(EPIDEMIOLOGY, DRUG_SAFETY),
        )
        return replace(base, **changes)

    def listing(self, seller: int = SELLER, **changes: object) -> tuple[int, Dataset, Cohort]:
        """Store a dataset, commit a cohort and list them as account ``seller``; return the listing id too."""
        dataset = self.store(self.account(seller))
        cohort = self.cohort(seller)
        listing_id = self.market.list_dataset(self.offer(dataset, cohort, **changes), seller=self.account(seller))
        return listing_id, dataset, cohort

    def buy(self, listing_id: int, buyer: int = BUYER, purpose: bytes = EPIDEMIOLOGY) -> int:
        """Buy the current version of ``listing_id`` at its price as account ``buyer``."""
        listing = self.market.listing_of(listing_id)
        price = self.market.terms_of(listing_id, listing.version).price
        return self.market.buy(
            listing_id, version=listing.version, price=price, purpose=purpose, buyer=self.account(buyer)
        )
