"""A small data market on a devnet, built through the public API, for the dashboard's tests and benchmark.

Three founding institutions: two hospitals list their synthetic patients' records, the research institute buys
the first hospital's dataset (delivered and accepted, so the hospital has proceeds to withdraw), the second
hospital buys it too (paid, waiting for delivery), the first hospital offers compute over its listing (the
institute buys two jobs), posts a compute task and stores a file of its own, and one storage node is registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from kura.api.session import Kura, connect, deploy
from kura.chain.consent_registry import purpose_id
from kura.config import NetworkConfig
from kura.market import synthetic
from kura.market.dataset import PreparedDataset, prepare_dataset
from kura.market.licence import Licence
from kura.units import to_wei

HOSPITAL, OTHER_HOSPITAL, INSTITUTE, NODE_OPERATOR = 11, 12, 13, 14
"""Account indexes of the three institutions and of a storage node's operator."""
NAMES = {
    HOSPITAL: "Granite General",
    OTHER_HOSPITAL: "Great Basin Medical",
    INSTITUTE: "Institute for Metabolic Research",
}
AS_OF = date(2025, 1, 1)
SALT = b"sample-market-pseudonym-salt-0001"
"""The hospitals' pseudonym salt (a real institution keeps its own secret)."""


@dataclass(frozen=True)
class SampleMarket:
    """What :func:`build` made: the listings, purchases and records, by id."""

    network: NetworkConfig
    hospital_listing: int
    other_listing: int
    accepted_purchase: int
    waiting_purchase: int
    hospital_records: PreparedDataset
    compute_access: int
    task_id: int
    node: str


def prepared(profile: str, patients: int, seed: int) -> PreparedDataset:
    """Synthetic records of ``profile`` (a :data:`kura.market.synthetic.PROFILES` key), ready to list (600 patients
    with seed 11 reach k = 5 and ℓ = 2 for both shipped profiles; smaller or other draws may not)."""
    bundle = synthetic.generate(synthetic.PROFILES[profile], patients, seed=seed, as_of=AS_OF)
    return prepare_dataset(synthetic.resources(bundle), salt=SALT, as_of=AS_OF)


def build(network: NetworkConfig, *, patients: int = 600) -> SampleMarket:
    """Deploy kura on ``network``'s chain with the three institutions as founders (replacing a recorded deployment)
    and :func:`fill` the market.

    Raises:
        KuraError: if any step fails.
    """
    deploy(network, force=True, founders=NAMES).close()
    return fill(network, patients=patients)


def fill(network: NetworkConfig, *, patients: int = 600) -> SampleMarket:
    """Fill the sample market on a deployment whose founders are :data:`NAMES`.

    Raises:
        KuraError: if any step fails (e.g. ``NotMemberAccount`` on a deployment with other founders).
    """
    first, second = list(synthetic.PROFILES)[:2]
    records = prepared(first, patients, 11)
    with (
        connect(network, HOSPITAL, nodes="config") as hospital,
        connect(network, OTHER_HOSPITAL, nodes="config") as other,
        connect(network, INSTITUTE, nodes="config") as institute,
        connect(network, NODE_OPERATOR, nodes="config") as operator,
    ):
        listed = hospital.market.publish(
            records, licence=Licence("HbA1c and blood pressure, adults"), price="0.5", bond="0.1"
        )
        other_listed = other.market.publish(
            prepared(second, patients, 11), licence=Licence("Hypertension cohort, mountain west"), price="0.2"
        )
        accepted = _bought_and_accepted(hospital, institute, listed.listing_id)
        waiting = other.market.buy(listed.listing_id).purchase_id
        hospital.market.jobs.offer(
            listed.listing_id, records, job_price="0.01", dataset_epsilon=Fraction(2), buyer_epsilon=Fraction(1, 2)
        )
        compute_access = institute.contracts.market.buy_compute(
            listed.listing_id, jobs=2, job_price=to_wei("0.01"), purpose=purpose_id("HRESCH"), buyer=institute.account
        )
        task = hospital.tasks.submit("textstats", b"kura sample market", reward="0.01")
        node = operator.nodes.register(network.ipfs_apis[0], stake="1")
    return SampleMarket(
        network,
        listed.listing_id,
        other_listed.listing_id,
        accepted,
        waiting,
        records,
        compute_access,
        task.task_id,
        node.address,
    )


def _bought_and_accepted(seller: Kura, buyer: Kura, listing_id: int) -> int:
    bought = buyer.market.buy(listing_id)
    seller.market.deliver(bought.purchase_id)
    buyer.contracts.market.confirm(bought.purchase_id, buyer=buyer.account)
    return bought.purchase_id
