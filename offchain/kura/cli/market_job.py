"""``kura market job``: compute-to-data — a seller offers a listing for jobs and approves nodes; a buyer pays for
jobs, runs them, and reads the checked, disclosure-controlled result sealed to it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import typer

from kura.cli._context import ACCOUNT, JSON, NETWORK, session
from kura.cli._output import emit
from kura.cli._records import AS_OF, PURPOSE, RECORDS, SALT_FILE, as_of, records, salt

app = typer.Typer(
    help="Compute-to-data: offer, approve-node, node-key, buy, run, result, status, settle.", no_args_is_help=True
)

LISTING = typer.Argument(..., min=1, help="The listing id.")
JOB = typer.Argument(..., min=1, help="The job id printed by `kura market job run`.")


@app.command()
def offer(
    listing: int = LISTING,
    path: Path = RECORDS,
    job_price: str = typer.Option(..., "--job-price", help="Ether per job."),
    dataset_epsilon: str = typer.Option("2", "--dataset-epsilon", help="ε all buyers together may spend (e.g. 2)."),
    buyer_epsilon: str = typer.Option("1", "--buyer-epsilon", help="ε one buyer may spend (e.g. 1/2)."),
    purpose: str = PURPOSE,
    salt_file: Path | None = SALT_FILE,
    day: str | None = AS_OF,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Open LISTING for jobs over PATH's per-patient rows (stored encrypted; only approved nodes get the key)."""
    from kura.market.dataset import prepare_dataset

    prepared = prepare_dataset(records(path), salt=salt(salt_file), as_of=as_of(day), purpose=purpose)
    with session(network, account) as kura:
        offered = kura.market.jobs.offer(
            listing,
            prepared,
            job_price=job_price,
            dataset_epsilon=Fraction(dataset_epsilon),
            buyer_epsilon=Fraction(buyer_epsilon),
        )
    emit(
        offered.to_dict(),
        as_json=as_json,
        text=f"[green]offered[/] listing {listing} for jobs over "
        f"{offered.rows} rows, ε {dataset_epsilon} per dataset and {buyer_epsilon} per buyer",
    )


@app.command("node-key")
def node_key(network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON) -> None:
    """Print this node account's public key, for sellers to approve it (`kura market job approve-node`)."""
    from kura.compute.sealing import account_public_key

    with session(network, account) as kura:
        key = account_public_key(bytes(kura.account.key))
        address = kura.address
    emit({"address": address, "public_key": "0x" + key.hex()}, as_json=as_json, text=f"{address} 0x{key.hex()}")


@app.command("approve-node")
def approve_node(
    listing: int = LISTING,
    key: str = typer.Option(..., "--node-key", help="The node's public key (`kura market job node-key`)."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Approve a node to compute and audit jobs over LISTING, and seal the dataset key to it."""
    with session(network, account) as kura:
        node = kura.market.jobs.approve_node(listing, bytes.fromhex(key.removeprefix("0x")))
    emit(
        {"listing_id": listing, "node": node}, as_json=as_json, text=f"[green]approved[/] {node} for listing {listing}"
    )


@app.command()
def buy(
    listing: int = LISTING,
    jobs: int = typer.Option(1, "--jobs", min=1, help="How many jobs to pay for."),
    purpose: str = PURPOSE,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Pay for jobs over LISTING at its job price; prints the access id."""
    with session(network, account) as kura:
        access = kura.market.jobs.buy(listing, jobs=jobs, purpose=purpose)
    emit(
        {"access_id": access, "listing_id": listing, "jobs": jobs},
        as_json=as_json,
        text=f"[green]bought[/] {jobs} job(s) over listing {listing}: access {access}",
    )


@app.command()
def run(
    access: int = typer.Argument(..., min=1, help="The access id printed by `kura market job buy`."),
    epsilon: str = typer.Option("1/4", "--epsilon", help="ε the job spends (debited before it runs)."),
    min_count: int = typer.Option(10, "--min-count", min=1, help="Cells under this count are suppressed."),
    age_band: int = typer.Option(10, "--age-band", min=1, max=90, help="Width of the age bands in years."),
    condition: list[str] = typer.Option(
        [], "--condition", help="ICD-10 category to report, or 'none' (repeat; default: all)."
    ),
    reward: str = typer.Option("0.01", "--reward", help="Ether for the compute node."),
    auditors: int = typer.Option(2, "--auditors", min=1, help="Auditors drawn per round."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Run a dp_cohort_aggregate job (HbA1c and blood pressure by age band, sex and condition)."""
    from kura.compute.tasks.dp_cohort_format import CohortParams
    from kura.market.c2d import CohortQuery

    query = CohortQuery(
        CohortParams(Fraction(epsilon), min_count=min_count), age_band, frozenset(condition) if condition else None
    )
    with session(network, account) as kura:
        submitted = kura.market.jobs.run(access, query, reward=reward, auditors=auditors)
    emit(
        submitted.to_dict(),
        as_json=as_json,
        text=f"[green]job {submitted.job_id}[/] posted as task "
        f"{submitted.task_id} (ε {epsilon} debited, {submitted.gas:,} gas); "
        f"`kura market job result {submitted.job_id}`",
    )


@app.command()
def result(
    job: int = JOB,
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds to wait for the task."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Wait for JOB, open its output (sealed to this account) and check it; print the released cells."""
    import json

    with session(network, account) as kura:
        done = kura.market.jobs.result(job, timeout=timeout)
    cells = done.result
    emit(
        {"job_id": done.job_id, "task_id": done.task_id, "result": json.loads(done.output)},
        as_json=as_json,
        text="\n".join(
            [f"job {job}: {len(cells.cells)} cells released, {cells.suppressed_cells} suppressed, ε {cells.epsilon}"]
            + [
                f"  {c.age_min}-{c.age_max} {c.sex} {c.condition}: n≈{c.count}"
                + (f", HbA1c≈{c.hba1c.mean_x100 / 100:.2f} %" if c.hba1c else "")
                for c in cells.cells
            ]
        ),
    )


@app.command()
def status(job: int = JOB, network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON) -> None:
    """Show JOB as the chain records it, with its task's state."""
    from kura.market.job_query import epsilon_of

    with session(network, account) as kura:
        record = kura.market.jobs.job(job)
        task = kura.tasks.status(record.task_id)
    emit(
        {"job": record, "task_state": task.state},
        as_json=as_json,
        text=f"job {job}: listing {record.listing_id}, ε {epsilon_of(record.epsilon)}, consent snapshot "
        f"{record.consent_snapshot}, task {record.task_id} {task.state}, settled {record.settled}",
    )


@app.command()
def settle(job: int = JOB, network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON) -> None:
    """Once JOB's task ended, credit its buyer the reward no worker earned (anyone may)."""
    from kura.units import format_units

    with session(network, account) as kura:
        refund = kura.market.jobs.settle(job)
    emit(
        {"job_id": job, "refund": refund},
        as_json=as_json,
        text=f"job {job} settled: {format_units(refund)} ETH credited to its buyer (`kura market withdraw`)",
    )
