"""Compute-to-data access on the data market, rebuilt from its events alone: which institution bought how many jobs
over which listing and for what purpose, each job the compute market accepted (the module, the ε it spent from the
privacy budget, the compute market's reference of the job), and the jobs taken back unused.

A read view for the dashboard's Compute page (and anyone auditing compute-to-data): ``ComputeAccessBought``,
``JobDebited`` and ``JobsRefunded`` are the whole record, so nothing here is a second copy of a rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kura.results import Result

if TYPE_CHECKING:
    from kura.api.session import Kura


@dataclass(frozen=True)
class DebitedJob(Result):
    """A compute job the compute market accepted under an access.

    Attributes:
        module_hash: keccak256 of the WebAssembly module the job runs.
        epsilon: ε it spent from the dataset's and the buyer's budgets, in ``EPSILON_ONE`` units.
        job_ref: The compute market's reference of the job.
    """

    access_id: int
    module_hash: bytes
    epsilon: int
    job_ref: bytes
    block: int
    timestamp: int


@dataclass(frozen=True)
class ComputeAccess(Result):
    """Compute jobs one institution bought over one listing, and what became of them.

    Attributes:
        buyer: The buying institution's id.
        seller: The listing's seller's institution id.
        version: The listing version current at the purchase.
        jobs: Jobs paid for.
        job_price: Wei paid per job.
        purpose: The use the buyer declared (a PurposeOfUse id).
        debited: The jobs the compute market accepted, in chain order.
        refunded: Jobs the buyer took back unused.
        jobs_left: Jobs still to run (bought − accepted − refunded).
    """

    access_id: int
    listing_id: int
    buyer: int
    seller: int
    version: int
    jobs: int
    job_price: int
    purpose: bytes
    block: int
    timestamp: int
    debited: tuple[DebitedJob, ...]
    refunded: int
    jobs_left: int


def compute_accesses(session: Kura, institution_id: int) -> list[ComputeAccess]:
    """The compute-to-data accesses ``institution_id`` bought, or that others bought over its listings, oldest first.

    Args:
        session: Any session on the deployment (reading needs no particular account).
        institution_id: The institution whose accesses to list, as buyer or as seller.

    Raises:
        ChainError, OSError: if the chain cannot be asked.
    """
    market = session.contracts.market
    events = market.contract.events
    start = session.contracts.first_block("DataMarket")
    clock = session.clock
    debited: dict[int, list[DebitedJob]] = {}
    for log in events.JobDebited().get_logs(from_block=start):
        access_id = int(log.args.accessId)
        debited.setdefault(access_id, []).append(
            DebitedJob(
                access_id,
                bytes(log.args.moduleHash),
                int(log.args.epsilon),
                bytes(log.args.jobRef),
                int(log.blockNumber),
                clock.time_of(int(log.blockNumber)),
            )
        )
    refunded: dict[int, int] = {}
    for log in events.JobsRefunded().get_logs(from_block=start):
        refunded[int(log.args.accessId)] = refunded.get(int(log.args.accessId), 0) + int(log.args.jobs)
    sellers: dict[int, int] = {}
    accesses = []
    for log in events.ComputeAccessBought().get_logs(from_block=start):
        args = log.args
        listing_id, access_id = int(args.listingId), int(args.accessId)
        if listing_id not in sellers:
            sellers[listing_id] = market.listing_of(listing_id).seller
        if institution_id not in (int(args.buyer), sellers[listing_id]):
            continue
        jobs, done, back = int(args.jobs), tuple(debited.get(access_id, ())), refunded.get(access_id, 0)
        accesses.append(
            ComputeAccess(
                access_id,
                listing_id,
                int(args.buyer),
                sellers[listing_id],
                int(args.version),
                jobs,
                int(args.jobPrice),
                bytes(args.purpose),
                int(log.blockNumber),
                clock.time_of(int(log.blockNumber)),
                done,
                back,
                max(0, jobs - len(done) - back),
            )
        )
    return accesses
