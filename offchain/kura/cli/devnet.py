"""``kura devnet``: start, inspect, heal and stop the local Anvil + Kubo devnet."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from kura.cli._context import JSON
from kura.cli._output import console, emit, progress
from kura.devnet import manager
from kura.devnet.anvil import BLOCK_TIME

app = typer.Typer(
    help="Run a local devnet: one Anvil chain and a swarm of Kubo (IPFS) nodes on loopback.", no_args_is_help=True
)


@app.command()
def up(
    nodes: int = typer.Option(manager.DEFAULT_KUBO_NODES, "--nodes", "-n", min=1, max=64, help="Kubo nodes to start."),
    anvil_port: int | None = typer.Option(None, "--anvil-port", help="Fixed RPC port for Anvil (default: a free one)."),
    block_time: float = typer.Option(
        BLOCK_TIME,
        "--block-time",
        min=0.0,
        help="Seconds between blocks when no "
        "transaction arrives (audits and task draws wait for a later block); 0 mines "
        "only on transactions.",
    ),
    as_json: bool = JSON,
) -> None:
    """Start Anvil and N peered Kubo nodes; a running devnet is reused, its dead Kubo daemons restarted in place."""
    state = manager.up(nodes, anvil_port=anvil_port, block_time=block_time or None, progress=progress(as_json))
    emit(
        state.to_json(),
        as_json=as_json,
        text=f"[green]devnet up[/]: chain {state.chain.rpc_url}, {len(state.kubo)} Kubo nodes "
        f"({', '.join(n.api_url for n in state.kubo)})",
    )


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
    dead = [h.name for h in health if not h.running]
    if "anvil" in dead:
        console.print(
            "[yellow]the chain (anvil) is gone with its state: `kura devnet down` then `kura devnet up` "
            "start a new devnet[/]"
        )
    elif dead:
        console.print(
            f"[yellow]{', '.join(dead)} down: `kura devnet restart NAME` (or `kura devnet up`) starts "
            "each again on its own repository, with its data[/]"
        )


@app.command()
def restart(
    name: str = typer.Argument(..., help="The Kubo node to restart (kubo-1, kubo-2, ...)."), as_json: bool = JSON
) -> None:
    """Start one Kubo node again on its own repository and ports (stopping it first if it runs); its data stays."""
    node = manager.restart(name).node(name)
    emit(
        {"name": name, "pid": node.process.pid, "api_url": node.api_url},
        as_json=as_json,
        text=f"[green]restarted[/] {name} (pid {node.process.pid}, {node.api_url})",
    )


@app.command()
def soak(
    nodes: int = typer.Option(8, "--nodes", "-n", min=8, max=32, help="Kubo nodes, each with its own agent."),
    days: int = typer.Option(3, "--days", min=1, help="Simulated days of damage."),
    kills: int = typer.Option(2, "--kills-per-day", min=0, help="Kubo daemons killed (and restarted) each day."),
    wipes: int = typer.Option(1, "--wipes", min=0, help="Nodes whose data is wiped (one per day from the first)."),
    seed: int = typer.Option(0, "--seed", help="Picks the victims."),
    logs: Path | None = typer.Option(None, "--logs", help="Keep the agents' and the repairer's logs in this folder."),
    as_json: bool = JSON,
) -> None:
    """Let a private devnet heal itself while its daemons are killed, restarted and wiped (no command typed by
    hand); check no file is lost, no honest node slashed, every file whole again; print the figures."""
    from kura.devtools.soak import SoakConfig, run_soak

    report = run_soak(
        SoakConfig(nodes=nodes, days=days, kills_per_day=kills, wipes=wipes, seed=seed, logs=logs),
        step=progress(as_json),
    )
    verdict = "[green]healed[/]" if report.healed else "[red]NOT HEALED[/]"
    emit(
        report.to_dict() | {"healed": report.healed},
        as_json=as_json,
        text=f"{verdict}: {report.files} files over {report.days} days on {report.nodes} nodes, {report.kills} kills, "
        f"{report.wipes} wiped node(s)\n"
        f"  files lost {report.files_lost}, files at n healthy shares {report.files_healthy}/{report.files}, "
        f"honest nodes slashed {len(report.honest_slashed)} (slashed: {len(report.slashed)}, all wiped)\n"
        f"  repairs by path: {', '.join(f'{path} {count}' for path, count in report.repairs.items())}\n"
        f"  MSR repair bytes on the wire / d·beta: {report.wire_ratio} "
        f"({report.msr_wire_bytes:,} / {report.msr_d_beta_bytes:,})\n"
        f"  seconds to heal each day: {', '.join(map(str, report.heal_seconds))} ({report.seconds} s in all)",
    )
    if not report.healed:
        raise typer.Exit(1)


@app.command()
def down(as_json: bool = JSON) -> None:
    """Stop exactly the processes the devnet started and delete its state."""
    stopped = manager.down(progress=progress(as_json))
    emit({"stopped": stopped}, as_json=as_json, text=f"[green]devnet down[/] ({stopped} process(es) stopped)")
