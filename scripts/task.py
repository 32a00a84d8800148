"""``ape run task``: WebAssembly compute tasks on ape's selected network.

    ape run task submit medical_aggregate records.csv --reward 0.01 --network ethereum:local:foundry
    ape run task status 1 --network ethereum:local:foundry

The module and input go to IPFS (``KURA_IPFS_APIS``, else the devnet's nodes) and the task to kura's TaskMarket on
ape's chain, the reward escrowed from ape's test account ``--account``. Compute nodes and auditors
(``kura compute run``) take it from there. kura must be deployed there (``ape run deploy``).
"""

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand

import kura
from kura.api.ape import ape_chain, ape_network, reported

ACCOUNT = click.option("--account", default=0, show_default=True, help="Index of ape's test account that signs.")


@click.group()
def cli() -> None:
    """Compute tasks: escrowed, audited by credibility-weighted consensus, verified on IPFS."""


@cli.command(cls=ConnectedProviderCommand)
@click.argument("module")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reward", required=True, help="Ether paid to the compute node if its answer is accepted.")
@click.option("--auditors", default=3, show_default=True, help="Auditors drawn per round.")
@ACCOUNT
def submit(module: str, input_path: Path, reward: str, auditors: int, account: int) -> None:
    """Publish MODULE (a .wasm file or a shipped task: textstats, matmul, medical_aggregate) and INPUT on IPFS,
    and post the task."""
    with reported(), kura.connect(ape_network(), account, chain=ape_chain()) as session:
        task = session.tasks.submit(module, input_path, reward=reward, auditors=auditors)
    click.echo(f"posted task {task.task_id}: {task.state} (module {task.module_cid})")


@cli.command(cls=ConnectedProviderCommand)
@click.argument("task_id", type=int)
@ACCOUNT
def status(task_id: int, account: int) -> None:
    """Show TASK_ID: state, worker, reward, auditors drawn and reveals."""
    with reported(), kura.connect(ape_network(), account, chain=ape_chain()) as session:
        task = session.tasks.status(task_id)
    click.echo(
        f"task {task_id}: {task.state} (round {task.round}), worker {task.worker or '-'}, reward "
        f"{kura.format_units(task.reward)} ETH, {len(task.auditors_drawn)} auditors drawn, "
        f"{len(task.reveals)} reveals"
    )
