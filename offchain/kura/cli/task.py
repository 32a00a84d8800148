"""``kura task``: post WebAssembly compute tasks, follow them, and fetch their verified results."""

from __future__ import annotations

from pathlib import Path

import typer

from kura.cli._context import ACCOUNT, JSON, NETWORK, session
from kura.cli._output import emit
from kura.compute.limits import DEFAULT_FUEL

app = typer.Typer(
    help="Compute tasks: escrowed, audited by credibility-weighted consensus, verified on IPFS.", no_args_is_help=True
)

TASK_ID = typer.Argument(..., min=1, help="The task id printed by `kura task submit`.")


@app.command("submit")
def submit_task(
    module: str = typer.Argument(..., help="A .wasm file, or the name of a shipped task (matmul, textstats, ...)."),
    input_path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, metavar="INPUT", help="File whose bytes are the task's input."
    ),
    reward: str = typer.Option(..., "--reward", help="Ether paid to the compute node if its answer is accepted."),
    auditors: int | None = typer.Option(
        None,
        "--auditors",
        "-m",
        min=1,
        max=255,
        help="Auditors drawn per round (default: the fewest that decide a task "
        "even when none of them passed a check yet).",
    ),
    audit_fee: str | None = typer.Option(
        None,
        "--audit-fee",
        help="Ether per auditor whose answer is accepted (default: the market's least pay for a run of this fuel).",
    ),
    theta: str = typer.Option("0.99", "--theta", help="Credibility needed to accept a result (0.5 to 1)."),
    fuel: int = typer.Option(DEFAULT_FUEL, "--fuel", min=1, help="Fuel limit of every run."),
    confidential: bool = typer.Option(
        False, "--confidential", help="Nodes upload the output encrypted to the requester account's key."
    ),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Publish MODULE and INPUT on IPFS and post the task, escrowing the reward and the audit budget."""
    with session(network, account) as kura:
        task = kura.tasks.submit(
            module,
            input_path,
            reward=reward,
            auditors=auditors,
            audit_fee=audit_fee,
            theta=theta,
            fuel=fuel,
            confidential=confidential,
        )
    emit(task.to_dict(), as_json=as_json, text=f"[green]posted[/] task {task.task_id} (module {task.module_cid})")


@app.command()
def status(task_id: int = TASK_ID, network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON) -> None:
    """Show TASK_ID: state, worker, auditors, deadlines, reveals, the accepted result, and why."""
    from kura.units import format_units

    with session(network, account) as kura:
        task = kura.tasks.status(task_id)
    emit(
        task.to_dict(),
        as_json=as_json,
        text=f"task {task_id}: {task.state} (round {task.round}), worker {task.worker or '-'}, "
        f"reward {format_units(task.reward)} ETH, {len(task.auditors_drawn)} auditors drawn, "
        f"{len(task.reveals)} reveals"
        + (f", result 0x{task.result.hex()}" if task.result else "")
        + f"\n  {task.explanation}",
    )


@app.command()
def result(
    task_id: int = TASK_ID,
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the result bytes."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Fetch the accepted output of TASK_ID from IPFS, check it against the hash on chain, and write it.

    A confidential task's output is decrypted with --account's key, which must be the requester's.
    """
    with session(network, account) as kura:
        data = kura.tasks.result(task_id)
    output.write_bytes(data)
    emit(
        {"task_id": task_id, "path": str(output), "size": len(data)},
        as_json=as_json,
        text=f"[green]wrote[/] {output} ({len(data):,} bytes, verified against the accepted result)",
    )
