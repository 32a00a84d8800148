"""``kura build`` and ``kura deploy``: compile the contracts and put them on a chain."""

from __future__ import annotations

import typer

from kura.chain import build as solidity
from kura.chain.deploy import deploy_all
from kura.chain.deployments import load
from kura.cli._context import JSON, NETWORK, connect
from kura.cli._output import console, emit
from kura.demo import run_demo


def build(force: bool = typer.Option(False, "--force", help="Recompile even if nothing changed."),
          as_json: bool = JSON) -> None:
    """Compile contracts/**/*.sol with the pinned solc (only when a source changed)."""
    result = solidity.build(force=force)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    verb = "compiled" if result.compiled else "up to date:"
    emit({"compiled": result.compiled, "contracts": list(result.contracts)}, as_json=as_json,
         text=f"{verb} {', '.join(result.contracts)}")


def deploy(network: str | None = NETWORK, account: int = typer.Option(0, "--account", help="Deployer account index."),
           as_json: bool = JSON) -> None:
    """Deploy the kura contracts and record their addresses for this chain id."""
    _, chain = connect(network)
    deployment = deploy_all(chain, chain.account(account),
                            progress=lambda line: None if as_json else console.print(f"[dim]…[/] {line}"))
    emit({"chain_id": deployment.chain_id, "contracts": {n: d.address for n, d in deployment.contracts.items()}},
         as_json=as_json, text=f"[green]deployed[/] on chain {deployment.chain_id}")


def demo(nodes: int = typer.Option(6, "--nodes", "-n", min=2, max=32, help="Kubo nodes in the demo devnet."),
         as_json: bool = JSON) -> None:
    """Run the kura demo on a private devnet it starts and stops itself."""
    report = run_demo(lambda line: None if as_json else console.print(f"[cyan]▸[/] {line}"), kubo_nodes=nodes)
    emit(report, as_json=as_json, text="[green]demo finished[/]")


def contracts(network: str | None = NETWORK, as_json: bool = JSON) -> None:
    """Show where the kura contracts are deployed on the network's chain."""
    _, chain = connect(network)
    deployment = load(chain)
    addresses = {name: d.address for name, d in deployment.contracts.items()}
    emit({"chain_id": deployment.chain_id, "contracts": addresses}, as_json=as_json,
         text="\n".join(f"{name:<16} {address}" for name, address in addresses.items()))
