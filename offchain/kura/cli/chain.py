"""``kura build``, ``kura deploy``, ``kura contracts`` and ``kura demo``."""

from __future__ import annotations

from pathlib import Path

import typer

from kura.cli._context import ACCOUNT, JSON, NETWORK, reading
from kura.cli._output import console, emit, warn


def build(
    force: bool = typer.Option(False, "--force", help="Recompile even if nothing changed."), as_json: bool = JSON
) -> None:
    """Compile contracts/**/*.sol with the pinned solc (only when a source changed)."""
    from kura.devtools.contracts import build as compile_contracts

    result = compile_contracts(force=force)
    for warning in result.warnings:
        warn(warning)
    verb = "compiled" if result.compiled else "up to date:"
    emit(
        {"compiled": result.compiled, "contracts": list(result.contracts)},
        as_json=as_json,
        text=f"{verb} {', '.join(result.contracts)}",
    )


def deploy(
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    force: bool = typer.Option(
        False,
        "--force",
        help="Deploy even if kura is deployed on this chain "
        "already (the old contracts, with their files and nodes, are left behind).",
    ),
    genesis_compute: list[int] = typer.Option(
        [],
        "--genesis-compute",
        min=0,
        help="Account index of one of the network's first compute "
        "nodes (repeatable): each may be promoted once without "
        "the spot-check bar.",
    ),
    sampled: bool = typer.Option(
        False,
        "--sampled",
        help="Audit only a credibility-adapted sample of open tasks (1/128 at the floor, "
        "every task of a new compute node; docs/trust-layer.md section 3) instead of every task.",
    ),
    as_json: bool = JSON,
) -> None:
    """Deploy the kura contracts and record their addresses for this chain id."""
    from kura.api.session import deploy as deploy_contracts

    with deploy_contracts(
        network,
        account,
        force=force,
        genesis_compute=genesis_compute,
        sampled=sampled,
        progress=lambda line: None if as_json else console.print(f"[dim]…[/] {line}"),
    ) as kura:
        deployment = kura.deployment
    emit(
        {"chain_id": deployment.chain_id, "contracts": {n: d.address for n, d in deployment.contracts.items()}},
        as_json=as_json,
        text=f"[green]deployed[/] on chain {deployment.chain_id}",
    )


def demo(
    patients: int = typer.Option(2000, "--patients", min=100, help="Synthetic patients per hospital."),
    nodes: int = typer.Option(6, "--nodes", "-n", min=6, max=32, help="Kubo nodes (each with a storage agent)."),
    seed: int = typer.Option(12, "--seed", help="Seed of the synthetic FHIR records."),
    out: Path | None = typer.Option(None, "--out", help="Report folder (default results/demo-<timestamp>)."),
    dashboard: bool = typer.Option(
        False, "--dashboard", help="Leave the dashboard running at the end (until Ctrl-C), if it is installed."
    ),
    as_json: bool = JSON,
) -> None:
    """Run the medical data exchange demo on a private devnet it starts and stops itself; write a report."""
    from kura.demo.cast import DemoConfig
    from kura.demo.run import run_demo

    config = DemoConfig(patients=patients, kubo_nodes=nodes, seed=seed, out=out, dashboard=dashboard)
    report = run_demo(config, None if as_json else console)
    emit(report, as_json=as_json, text=f"[green]demo finished[/] in {report['seconds']} s: {report['report']}")


def contracts(network: str | None = NETWORK, as_json: bool = JSON) -> None:
    """Show where the kura contracts are deployed on the network's chain."""
    with reading(network) as (_, reader):
        deployment = reader.deployment()
    addresses = {name: address for name, (address, _) in deployment.contracts.items()}
    emit(
        {"chain_id": deployment.chain_id, "contracts": addresses},
        as_json=as_json,
        text="\n".join(f"{name:<16} {address}" for name, address in addresses.items()),
    )
