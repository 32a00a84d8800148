"""``kura node``: a node's standing in the shared registry (roles, credibility, promotion)."""

from __future__ import annotations

import typer

from kura.chain.deployments import load
from kura.chain.node_registry import NodeRegistryClient
from kura.chain.task_market import WAD, TaskMarketClient
from kura.cli._context import JSON, NETWORK, connect
from kura.cli._output import emit

app = typer.Typer(help="Nodes in the shared registry: roles, credibility and promotion.", no_args_is_help=True)


@app.command()
def promote(
    node: str | None = typer.Argument(None, help="Address to promote (default: the --account's own address)."),
    network: str | None = NETWORK,
    account: int = typer.Option(0, "--account", min=0, help="Index of the account that sends the transaction."),
    as_json: bool = JSON,
) -> None:
    """Promote an auditor to compute node (anyone may ask; the registry checks the bar and free slots)."""
    _, chain = connect(network)
    deployment = load(chain)
    registry = NodeRegistryClient(chain, deployment)
    sender = chain.account(account)
    target = node or sender.address
    receipt = registry.promote(target, sender=sender)
    record = registry.node_of(target)
    credibility = TaskMarketClient(chain, deployment).credibility_of(target)
    emit({"node": target, "role": record.role.name, "passed": record.passed, "credibility": credibility / WAD,
          "gas": int(receipt["gasUsed"])}, as_json=as_json,
         text=f"[green]promoted[/] {target} to compute node ({record.passed} spot-checks passed, "
              f"credibility {credibility / WAD:.4f})")
