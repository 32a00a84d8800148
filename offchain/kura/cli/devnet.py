"""``kura devnet``: start, inspect and stop the local Anvil + Kubo devnet."""

from __future__ import annotations

from dataclasses import asdict

import typer

from kura.cli._output import console, emit
from kura.devnet import manager

app = typer.Typer(help="Run a local devnet: one Anvil chain and a swarm of Kubo (IPFS) nodes on loopback.",
                  no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")


@app.command()
def up(
    nodes: int = typer.Option(manager.DEFAULT_KUBO_NODES, "--nodes", "-n", min=1, max=64, help="Kubo nodes to start."),
    anvil_port: int | None = typer.Option(None, "--anvil-port", help="Fixed RPC port for Anvil (default: a free one)."),
    as_json: bool = JSON,
) -> None:
    """Start Anvil and N peered Kubo nodes (reuses a healthy devnet, cleans a stale one)."""
    state = manager.up(nodes, anvil_port=anvil_port, progress=lambda line: console.print(f"[dim]…[/] {line}"))
    emit(state.to_json(), as_json=as_json,
         text=f"[green]devnet up[/]: chain {state.chain.rpc_url}, {len(state.kubo)} Kubo nodes "
              f"({', '.join(n.api_url for n in state.kubo)})")


@app.command()
def status(as_json: bool = JSON) -> None:
    """Show each devnet process, its endpoint and whether it is alive."""
    _, health = manager.status()
    if as_json:
        emit([asdict(h) for h in health], as_json=True)
        return
    for h in health:
        mark = "[green]up[/]  " if h.running else "[red]down[/]"
        console.print(f"{mark} {h.name:<8} pid {h.pid:<7} {h.endpoint:<24} {h.detail}")
    if not all(h.running for h in health):
        console.print("[yellow]some processes are gone: run `kura devnet down` to clean up[/]")


@app.command()
def down(as_json: bool = JSON) -> None:
    """Stop exactly the processes the devnet started and delete its state."""
    stopped = manager.down(progress=lambda line: console.print(f"[dim]…[/] {line}"))
    emit({"stopped": stopped}, as_json=as_json, text=f"[green]devnet down[/] ({stopped} process(es) stopped)")
