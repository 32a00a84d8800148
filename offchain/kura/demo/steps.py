"""The demo's story, step by step: each step acts through the public API as one party, tells what happened and
records the gas and time in the ledger; the facts the report shows are read back from the chain and the files."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from eth_utils import keccak

from kura.api.jobs import JobResult
from kura.api.market import Listed
from kura.api.session import Kura
from kura.chain.data_jobs import JobParams
from kura.compute.sealing import account_public_key
from kura.compute.tasks import load
from kura.compute.tasks.dp_cohort_format import CohortParams
from kura.demo.actors import kill_storage_node, vouch
from kura.demo.cast import AS_OF, AUDITORS, LIAR, STORAGE_OPERATORS, WORKER, DemoConfig
from kura.demo.ledger import Ledger
from kura.demo.narrative import Say, done
from kura.devnet.processes import ProcessRecord
from kura.devnet.state import DevnetState
from kura.devtools.soak import repairs_logged
from kura.errors import ContractRevertError, DevnetError, KuraError
from kura.market import synthetic
from kura.market.c2d import CohortQuery, age_band
from kura.market.consent import pseudonym
from kura.market.dataset import PreparedDataset, prepare_dataset
from kura.market.job_query import epsilon_of, fixed_epsilon
from kura.market.licence import Licence
from kura.units import format_units, to_wad, to_wei

PRICE = "0.5"
"""Ether per dataset sale."""
BOND = "0.1"
"""Ether the seller locks per delivery."""
JOB_PRICE = "0.02"
"""Ether per compute-to-data job (paid to the seller)."""
JOB_REWARD = "0.01"
"""Ether for the compute node that runs a job."""
THETA = "0.8"
"""Credibility a job's result needs: two agreeing new auditors reach it, so each round draws two of the three."""
CONDITIONS = frozenset({"E11", "I10", "none"})
"""Type 2 diabetes, hypertension, and patients with neither."""


@dataclass
class Hospital:
    """A selling hospital: its session, its records, its listing."""

    name: str
    session: Kura
    salt: bytes
    resources: list[dict[str, Any]] = field(default_factory=list)
    prepared: PreparedDataset | None = None
    listed: Listed | None = None

    @property
    def ready(self) -> PreparedDataset:
        """The prepared records (after :func:`list_datasets`)."""
        if self.prepared is None:
            raise KuraError(f"{self.name} has not prepared its records yet")
        return self.prepared

    @property
    def listing(self) -> Listed:
        """The listing (after :func:`list_datasets`)."""
        if self.listed is None:
            raise KuraError(f"{self.name} has not listed its records yet")
        return self.listed


@dataclass
class World:
    """Everything the story acts on."""

    config: DemoConfig
    state: DevnetState
    out: Path
    logs: Path
    say: Say
    ledger: Ledger
    operator: Kura
    hospitals: list[Hospital]
    institute: Kura
    processes: list[ProcessRecord]
    first_block: int

    @property
    def facts(self) -> dict[str, Any]:
        """Where the steps put what the report shows."""
        return self.ledger.facts


def licence(name: str) -> Licence:
    """The licence a hospital sells under."""
    return Licence(f"{name}: HbA1c, blood pressure, diabetes and hypertension, de-identified", ("HRESCH",), 365)


def list_datasets(world: World) -> None:
    """Each hospital generates its synthetic FHIR records, de-identifies them (k ≥ 5, ℓ ≥ 2), stores the
    package, commits the consent snapshot and lists it."""
    for number, hospital in enumerate(world.hospitals):
        profile = next(p for p in synthetic.PROFILES.values() if p.name == hospital.name)
        with world.ledger.step(
            f"{hospital.name}: de-identify, store, commit consent, list", hospital.name, [hospital.session.address]
        ) as record:
            bundle = synthetic.generate(profile, world.config.patients, seed=world.config.seed + number, as_of=AS_OF)
            hospital.resources = synthetic.resources(bundle)
            hospital.prepared = prepare_dataset(hospital.resources, salt=hospital.salt, as_of=AS_OF)
            certificate = hospital.prepared.deidentified.certificate
            hospital.listed = hospital.session.market.publish(
                hospital.prepared, licence=licence(hospital.name), price=PRICE, bond=BOND
            )
        world.say(
            hospital.name,
            f"{world.config.patients:,} synthetic FHIR R4 patients → {len(hospital.ready.consent.members):,} "
            f"consent to research (HRESCH); de-identified to k={certificate.k}, ℓ={certificate.l}; stored, "
            f"consent snapshot {hospital.listing.consent_snapshot} committed, listed as #{hospital.listing.listing_id} "
            f"for {PRICE} ETH {done(record)}",
        )
        world.facts.setdefault("listings", []).append(
            {
                "hospital": hospital.name,
                "listing_id": hospital.listing.listing_id,
                "patients": world.config.patients,
                "consenting": hospital.listing.cohort_size,
                "k": certificate.k,
                "l": certificate.l,
                "rows": len(hospital.ready.deidentified.table.rows),
                "snapshot": hospital.listing.consent_snapshot,
            }
        )


def sell_outright(world: World) -> None:
    """The institute buys the first hospital's dataset, receives the key sealed to it, decrypts and checks it."""
    seller, buyer = world.hospitals[0], world.institute
    listing = seller.listing.listing_id
    with world.ledger.step("Institute buys the first dataset (price escrowed)", "Institute", [buyer.address]) as record:
        bought = buyer.market.buy(listing)
    world.say(
        "Institute",
        f"bought listing #{listing} from {seller.name}: purchase {bought.purchase_id}, "
        f"{format_units(bought.price)} ETH escrowed {done(record)}",
    )
    with world.ledger.step(
        f"{seller.name}: deliver the key sealed to the buyer", seller.name, [seller.session.address]
    ) as record:
        seller.session.market.deliver(bought.purchase_id)
    world.say(
        seller.name,
        f"delivered the dataset key sealed to the institute's purchase key, {BOND} ETH bond locked {done(record)}",
    )
    target = world.out / f"dataset-{listing}.json"
    with world.ledger.step("Institute decrypts, checks and confirms", "Institute", [buyer.address]) as record:
        fetched = buyer.market.fetch(bought.purchase_id, target)
        buyer.contracts.market.confirm(bought.purchase_id, buyer=buyer.account)
    world.say(
        "Institute",
        f"opened the delivery, rebuilt the dataset from the storage nodes and checked it against "
        f"its certificate: {fetched.rows:,} rows, k={fetched.k}, ℓ={fetched.l} ({fetched.size:,} bytes in "
        f"{target.name}); confirmed receipt {done(record)}",
    )
    with world.ledger.step(f"{seller.name}: withdraw the payment", seller.name, [seller.session.address]) as record:
        paid = seller.session.market.withdraw()
    world.say(seller.name, f"withdrew {format_units(paid)} ETH (price and bond, a pull payment) {done(record)}")
    world.facts["sale"] = {
        "purchase_id": bought.purchase_id,
        "listing_id": listing,
        "rows": fetched.rows,
        "k": fetched.k,
        "l": fetched.l,
        "paid": paid,
        "file": target.name,
    }


def open_compute(world: World, nodes: dict[int, str]) -> None:
    """The second hospital opens its listing for compute-to-data and approves the compute and audit nodes."""
    hospital = world.hospitals[1]
    session, listing = hospital.session, hospital.listing.listing_id
    config = world.config
    with world.ledger.step(
        f"{hospital.name}: offer compute-to-data, approve {len(nodes)} nodes", hospital.name, [session.address]
    ) as record:
        offered = session.market.jobs.offer(
            listing,
            hospital.ready,
            job_price=JOB_PRICE,
            dataset_epsilon=config.dataset_epsilon,
            buyer_epsilon=config.buyer_epsilon,
        )
        for account in nodes:
            session.market.jobs.approve_node(listing, account_public_key(bytes(session.chain.account(account).key)))
    world.say(
        hospital.name,
        f"opened listing #{listing} to jobs of the approved module dp_cohort_aggregate "
        f"({offered.module_hash.hex()[:12]}…) over {offered.rows:,} per-patient rows stored encrypted; ε budget "
        f"{config.dataset_epsilon} per dataset, {config.buyer_epsilon} per buyer; approved "
        f"{', '.join(nodes.values())} and sealed the dataset key to each {done(record)}",
    )


def buy_jobs(world: World, jobs: int) -> int:
    """The institute pays for jobs; a job of a module the seller did not approve is refused before it runs."""
    buyer, listing = world.institute, world.hospitals[1].listing.listing_id
    with world.ledger.step(f"Institute buys {jobs} compute jobs", "Institute", [buyer.address]) as record:
        access = buyer.market.jobs.buy(listing, jobs=jobs)
    world.say("Institute", f"paid for {jobs} jobs over listing #{listing} (compute access {access}) {done(record)}")
    refused = refusal(lambda: submit_raw(buyer, access, load("textstats"), Fraction(1, 10)))
    world.say(
        "Institute",
        f"tried a job with a module the seller never approved (textstats): refused on chain "
        f"before anything ran ({refused})",
    )
    world.facts["refusals"] = {"unapproved_module": refused}
    return access


def submit_raw(buyer: Kura, access: int, module: bytes, epsilon: Fraction) -> None:
    """Submit a job with any module (what a client that skips :meth:`Jobs.run`'s choices would send)."""
    ipfs = buyer.tasks.ipfs
    document = b'{"probe":true}'
    market = buyer.contracts.tasks.params()
    fee = market.min_payment(10**8)
    params = JobParams(
        access,
        ipfs.add(module),
        keccak(module),
        fixed_epsilon(epsilon),
        ipfs.add(document),
        keccak(document),
        10**8,
        to_wei(JOB_REWARD),
        fee,
        2,
        to_wad(THETA),
        account_public_key(bytes(buyer.account.key)),
    )
    buyer.contracts.jobs.submit(params, max_rounds=market.max_rounds, buyer=buyer.account)


def refusal(attempt: Any) -> str:
    """Run ``attempt`` and return the name of the custom error the chain refused it with.

    Raises:
        KuraError: if it was not refused (the demo's claim would be false).
    """
    try:
        attempt()
    except ContractRevertError as exc:
        return exc.error_name
    raise KuraError("the chain accepted what the demo expected it to refuse")


def query(world: World, epsilon: Fraction | None = None) -> CohortQuery:
    """The institute's question: HbA1c and blood pressure by 10-year age band, sex and condition (a patient counts
    in at most two of the three conditions, so each cell's share of ε is a twentieth, not a fortieth)."""
    min_count = world.operator.contracts.institutions.policy().min_cell_count
    params = CohortParams(epsilon or world.config.epsilon, min_count=min_count, max_conditions=2)
    return CohortQuery(params, 10, CONDITIONS)


@dataclass(frozen=True)
class JobRun:
    """One job as the demo saw it end."""

    label: str
    job_id: int
    task_id: int
    worker: str
    worker_paid: bool
    penalised: tuple[str, ...]
    auditors: tuple[str, ...]
    result: JobResult
    refund: int
    gas: int
    seconds: float


def run_job(world: World, access: int, label: str, names: dict[str, str]) -> JobRun:
    """The institute runs one job; the approved nodes claim, audit and decide it; the institute opens the result."""
    buyer = world.institute
    asked = query(world)
    with world.ledger.step(
        f"Job ({label}): submitted, debited, computed, audited", "Institute", [buyer.address]
    ) as record:
        submitted = buyer.market.jobs.run(access, asked, reward=JOB_REWARD, theta=THETA)
        result = buyer.market.jobs.result(submitted.job_id, asked, timeout=world.config.job_timeout)
    tasks = buyer.contracts.tasks
    task = tasks.task_of(submitted.task_id)
    events = tasks.contract.events
    penalised = tuple(
        str(log.args.worker)
        for log in events.WorkerPenalised().get_logs(
            from_block=task.posted_block, argument_filters={"taskId": submitted.task_id}
        )
    )
    paid = bool(
        events.WorkerPaid().get_logs(from_block=task.posted_block, argument_filters={"taskId": submitted.task_id})
    )
    drawn = tuple(tasks.auditors_of(submitted.task_id))
    refund = buyer.market.jobs.settle(submitted.job_id)
    worker = names.get(task.worker, task.worker)
    cells = result.result
    world.say(
        "Institute",
        f"job {submitted.job_id} ({label}): ε {asked.params.epsilon} debited on chain before "
        f"it ran; task {submitted.task_id} claimed by {worker}, audited by "
        f"{', '.join(names.get(a, a) for a in drawn)}; result opened with the institute's key and checked: "
        f"{len(cells.cells)} cells released, {cells.suppressed_cells} small cells suppressed {done(record)}",
    )
    if penalised:
        world.say(
            "network",
            f"[bold red]{worker} answered wrongly: the auditors' consensus caught it — slashed and "
            f"demoted to stray[/]; its reward and the unused audit budget went back ({format_units(refund)} ETH to the "
            "institute)",
        )
    return JobRun(
        label,
        submitted.job_id,
        submitted.task_id,
        worker,
        paid,
        penalised,
        drawn,
        result,
        refund,
        record.gas,
        record.seconds,
    )


@dataclass(frozen=True)
class Revocation:
    """The patient who revokes, and what the demo can tell of them (the narrator knows the hospital's data)."""

    pseudonym: bytes
    patient_id: str
    cell: tuple[int, int, str, str]


def revoke_one(world: World, access: int) -> Revocation:
    """A patient with type 2 diabetes revokes consent at the second hospital; the listing stops running jobs until
    the hospital rebuilds it from records that no longer hold the patient's consent."""
    hospital = world.hospitals[1]
    session, prepared = hospital.session, hospital.ready
    members = {m.pseudonym.hex() for m in prepared.consent.members}
    row = next(r for r in prepared.rows if r["pseudonym"] in members and "E11" in r["diagnosis"].split("+"))
    patient_id = next(
        str(r["id"])
        for r in hospital.resources
        if r.get("resourceType") == "Patient" and pseudonym(hospital.salt, str(r["id"])).hex() == row["pseudonym"]
    )
    low, high = age_band(row["age"], 10)
    revocation = Revocation(bytes.fromhex(row["pseudonym"]), patient_id, (low, high, row["sex"], "E11"))
    me = session.consent.member_id()
    with world.ledger.step(
        "A patient revokes consent (through the hospital)", hospital.name, [session.address]
    ) as record:
        revoked = session.consent.revoke(me, "HRESCH", revocation.pseudonym)
    world.say(
        "patient",
        f"{patient_id} (pseudonym {row['pseudonym'][:12]}…, type 2 diabetes, age band "
        f"{low}-{high if high < 255 else '+'}) withdrew research consent at {hospital.name}: snapshot(s) "
        f"{list(revoked.touched)} touched on chain {done(record)}",
    )
    stale = refusal(lambda: world.institute.market.jobs.run(access, query(world), reward=JOB_REWARD, theta=THETA))
    world.say(
        "Institute",
        f"tried the next job at once: refused before it ran ({stale}) — no computation runs on a "
        "snapshot a revocation touched",
    )
    hospital.resources = [_withdrawn(r, patient_id) for r in hospital.resources]
    with world.ledger.step(
        f"{hospital.name}: rebuild the listing from the current consent", hospital.name, [session.address]
    ) as record:
        hospital.prepared = prepare_dataset(hospital.resources, salt=hospital.salt, as_of=AS_OF)
        hospital.listed = session.market.republish(
            hospital.listing.listing_id, hospital.prepared, licence=licence(hospital.name), price=PRICE, bond=BOND
        )
    world.say(
        hospital.name,
        f"re-read its FHIR Consents, committed snapshot {hospital.listing.consent_snapshot} "
        f"({hospital.listing.cohort_size:,} patients, one fewer) and published listing version "
        f"{hospital.listing.version} {done(record)}",
    )
    world.facts["revocation"] = {
        "patient": patient_id,
        "pseudonym": row["pseudonym"],
        "touched": list(revoked.touched),
        "stale_job_refused": stale,
        "gas": revoked.gas,
        "cohort_before": len(members),
        "cohort_after": hospital.listing.cohort_size,
        "snapshot_after": hospital.listing.consent_snapshot,
    }
    return revocation


def _withdrawn(resource: dict[str, Any], patient_id: str) -> dict[str, Any]:
    """``resource`` with the patient's Consent made inactive (what the hospital's records say after a revocation)."""
    if (
        resource.get("resourceType") != "Consent"
        or resource.get("patient", {}).get("reference") != f"Patient/{patient_id}"
    ):
        return resource
    changed = copy.deepcopy(resource)
    changed["status"] = "inactive"
    return changed


def consent_effect(world: World, revocation: Revocation, before: JobRun, after: JobRun) -> None:
    """Show the revoked patient gone: the transparency query's proofs, and the counts of the patient's cell."""
    hospital = world.hospitals[1]
    session = hospital.session
    uses = [
        inclusion.use
        for inclusion in session.consent.included(session.consent.member_id(), "HRESCH", revocation.pseudonym)
    ]
    low, high, sex, condition = revocation.cell

    def true_count(prepared_members: set[str]) -> int:
        return sum(
            1
            for r in hospital.ready.rows
            if r["pseudonym"] in prepared_members
            and age_band(r["age"], 10) == (low, high)
            and r["sex"] == sex
            and condition in r["diagnosis"].split("+")
        )

    def released(run: JobRun) -> str:
        return next(
            (
                str(c.count)
                for c in run.result.result.cells
                if (c.age_min, c.age_max, c.sex, c.condition) == (low, high, sex, condition)
            ),
            "suppressed",
        )

    members_after = {m.pseudonym.hex() for m in hospital.ready.consent.members}
    members_before = members_after | {revocation.pseudonym.hex()}
    effect = {
        "included_in": uses,
        "cell": f"{low}-{high if high < 255 else '+'} {sex} {condition}",
        "true_before": true_count(members_before),
        "true_after": true_count(members_after),
        "released_before": released(before),
        "released_after": released(after),
        "job_before": before.job_id,
        "job_after": after.job_id,
    }
    world.facts["consent_effect"] = effect
    world.say(
        "patient",
        f"transparency query (Merkle proofs against the roots on chain): the record was in "
        f"{', '.join(uses) or 'nothing'}; not in job {after.job_id}. Cell {effect['cell']}: "
        f"{effect['true_before']} → {effect['true_after']} patients in the nodes' input, released as "
        f"{effect['released_before']} → {effect['released_after']} (with noise)",
    )


def over_budget(world: World, access: int) -> None:
    """A job that would spend more ε than the buyer has left is refused before it runs."""
    market = world.institute.contracts.market
    listing = world.hospitals[1].listing.listing_id
    buyer_id = world.institute.consent.member_id()
    terms = market.compute_terms_of(listing)
    left = epsilon_of(terms.buyer_epsilon - market.epsilon_spent(listing, buyer_id))
    greedy = left + Fraction(1, 4)
    jobs = world.institute.market.jobs
    refused = refusal(lambda: jobs.run(access, query(world, greedy), reward=JOB_REWARD, theta=THETA))
    world.say(
        "Institute",
        f"asked for a job spending ε {greedy} with {left} left of its budget: refused before it ran ({refused})",
    )
    world.facts["refusals"]["over_budget"] = refused


def collect(world: World) -> None:
    """The second hospital withdraws what its jobs earned (credited by the DataMarket as each job was accepted)."""
    hospital = world.hospitals[1]
    with world.ledger.step(
        f"{hospital.name}: withdraw the job payments", hospital.name, [hospital.session.address]
    ) as record:
        paid = hospital.session.market.withdraw()
    world.say(hospital.name, f"withdrew {format_units(paid)} ETH for the jobs run on its data {done(record)}")
    world.facts["job_payments"] = paid


def budget(world: World) -> dict[str, str]:
    """The ε spent and left on the computed-on dataset, from the chain."""
    market = world.institute.contracts.market
    listing = world.hospitals[1].listing.listing_id
    buyer_id = world.institute.consent.member_id()
    terms = market.compute_terms_of(listing)
    spent, spent_by = market.epsilon_spent(listing), market.epsilon_spent(listing, buyer_id)

    def as_text(fixed: int) -> str:
        return str(epsilon_of(fixed))

    return {
        "dataset_budget": as_text(terms.dataset_epsilon),
        "dataset_spent": as_text(spent),
        "dataset_left": as_text(terms.dataset_epsilon - spent),
        "buyer_budget": as_text(terms.buyer_epsilon),
        "buyer_spent": as_text(spent_by),
        "buyer_left": as_text(terms.buyer_epsilon - spent_by),
    }


def heal(world: World, agents: dict[int, ProcessRecord]) -> None:
    """Kill, for good, a storage node that holds a share of the second hospital's compute rows; the repairer and
    the node agents rebuild its shares elsewhere with nobody typing a command."""
    hospital = world.hospitals[1]
    storage = hospital.session.storage
    dataset = hospital.session.contracts.jobs.dataset_of(hospital.listing.listing_id)
    operators = {str(hospital.session.chain.account(STORAGE_OPERATORS + i).address): i for i in agents}
    share = next(s for s in storage.info(dataset.file_id).shares if s.node in operators)
    index = operators[share.node]
    files = [(h.session, fid) for h in world.hospitals for fid in _files_of(h)]
    started = time.monotonic()
    first = world.ledger.chain.w3.eth.block_number
    name = kill_storage_node(world.state, index, agents[index])
    world.say(
        "network",
        f"[bold red]killed {name} and its agent for good[/] (it held share {share.index} of the "
        f"compute rows, and more): the repairer notices shares that stop resolving, challenges them, and "
        f"rebuilds them on other nodes once the 20 s answer window passes",
    )
    deadline = started + world.config.heal_timeout
    while sick := _unhealthy(files):
        if time.monotonic() > deadline:
            raise DevnetError(f"not healed after {world.config.heal_timeout:.0f} s: {'; '.join(sick)}")
        time.sleep(2.0)
    seconds = round(time.monotonic() - started, 1)
    repaired = list(repairs_logged(world.logs / "repairer.log"))
    slashed = [
        dict(log.args)
        for log in world.operator.contracts.nodes.contract.events.NodeSlashed().get_logs(
            from_block=first, argument_filters={"node": share.node}
        )
    ]
    world.facts["repair"] = {
        "killed": name,
        "operator": share.node,
        "seconds": seconds,
        "files": len(files),
        "repairs": [{k: str(v) for k, v in r.items()} for r in repaired],
        "slashed_wei": sum(int(s["amount"]) for s in slashed),
    }
    world.say(
        "network",
        f"every file back at full health after {seconds} s: {len(repaired)} share(s) rebuilt "
        f"({', '.join(sorted({str(r['path']) for r in repaired}))}); {name}'s operator slashed "
        f"{format_units(world.facts['repair']['slashed_wei'])} ETH for the shares it lost",
    )


def _files_of(hospital: Hospital) -> list[bytes]:
    return [bytes(f.file_id) for f in hospital.session.storage.ls()]


def _unhealthy(files: list[tuple[Kura, bytes]]) -> list[str]:
    sick = []
    for session, file_id in files:
        try:
            info = session.storage.info(file_id)
        except KuraError as exc:
            sick.append(f"{file_id.hex()[:12]}: {exc}")
            continue
        sick += [f"{file_id.hex()[:12]}/{s.index} {s.state.value}" for s in info.shares if s.state.value != "healthy"]
    return sick


def genesis(world: World, node: str, label: str) -> None:
    """The consortium vouches for a first compute node (see :func:`kura.demo.actors.vouch`)."""
    with world.ledger.step(f"Consortium vouches for {label}", "Consortium", [world.operator.address]) as record:
        checks = vouch(world.operator, node)
    world.say(
        "Consortium",
        f"vouched for {label} ({node[:10]}…): {checks} spot-checks recorded by the registry's "
        f"owner acting as judge once; its agent promoted it to compute node {done(record)}",
    )


NODE_NAMES = {
    WORKER: "honest compute node",
    LIAR: "lying compute node",
    **{a: f"auditor {i + 1}" for i, a in enumerate(AUDITORS)},
}
"""How the story names the compute nodes."""
