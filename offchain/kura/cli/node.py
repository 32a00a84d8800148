"""``kura node``: a node's standing in the shared registry, staking and promotion, and the storage node agent."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import typer

from kura.cli._context import ACCOUNT, JSON, NETWORK, session
from kura.cli._output import console, emit, fail

app = typer.Typer(
    help="Nodes in the shared registry: standing, stake, promotion, and the storage node agent.", no_args_is_help=True
)

ADDRESS = typer.Argument(None, help="A node's address (default: the --account's own).")


@app.command()
def status(
    address: str | None = ADDRESS, network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON
) -> None:
    """Show a node's stake, status (active, jailed, exiting), role, reputation, failures, credibility and what
    the contracts owe it."""
    from kura.units import format_units, from_wad

    with session(network, account) as kura:
        standing = kura.nodes.status(address)
    record = standing.record
    warning = (
        f"\n  [yellow]stake below the {format_units(standing.min_stake)} ETH minimum: no new shares or "
        "tasks until topped up (`kura node top-up`)[/]"
        if standing.below_min_stake
        else ""
    )
    owed = sum(standing.owed.values())
    credibility = "" if standing.credibility is None else f", credibility {from_wad(standing.credibility):.4f}"
    challenges = (
        f"\n  open challenges to answer: {', '.join(map(str, standing.open_challenges))}"
        if standing.open_challenges
        else ""
    )
    emit(
        standing.to_dict(),
        as_json=as_json,
        text=f"{record.address}: {record.status.name.lower()}, {record.role.name.lower()}, stake "
        f"{format_units(record.stake)} ETH, reputation {record.reputation}, {record.failures} failed audits "
        f"in a row, {record.passed} spot-checks passed{credibility}"
        + (f", {format_units(owed)} ETH to withdraw" if owed else "")
        + challenges
        + warning,
    )


@app.command("top-up")
def top_up(
    amount: str = typer.Argument(..., help="Ether to add to the stake (e.g. 0.5)."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Add AMOUNT ether to the --account's stake."""
    from kura.units import format_units

    with session(network, account) as kura:
        record = kura.nodes.top_up(amount)
    emit(record, as_json=as_json, text=f"[green]stake[/] of {record.address} is now {format_units(record.stake)} ETH")


@app.command()
def promote(
    address: str | None = ADDRESS, network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON
) -> None:
    """Promote an auditor to compute node (anyone may ask; the registry checks the bar and free slots)."""
    from kura.units import from_wad

    with session(network, account) as kura:
        promoted = kura.nodes.promote(address)
    emit(
        promoted.to_dict(),
        as_json=as_json,
        text=f"[green]promoted[/] {promoted.node} to compute node ({promoted.passed} spot-checks passed, "
        f"credibility {from_wad(promoted.credibility):.4f})",
    )


@app.command("run")
def run(
    kubo_api: str = typer.Option(..., "--kubo-api", help="This node's Kubo RPC API URL."),
    stake: str = typer.Option("1", "--stake", help="Ether to bond if not registered (or to top up to)."),
    interval: float = typer.Option(2.0, "--interval", min=0.1, help="Seconds between chain polls."),
    steps: int = typer.Option(0, "--steps", min=0, help="Stop after this many rounds (0: run until Ctrl-C)."),
    repair_listen: str = typer.Option(
        "",
        "--repair-listen",
        help="HOST:PORT of this node's repair service "
        "(default: the address it registered, or 127.0.0.1 on a free port).",
    ),
    network: str | None = NETWORK,
    account: int = typer.Option(..., "--account", min=0, help="Index of the node operator's account."),
) -> None:
    """Run a storage node agent: register and stake if needed, serve repair duties, answer every audit."""
    from kura.paths import state_dir
    from kura.units import format_units, to_wei

    bond = to_wei(stake)
    with session(network, account) as kura:
        agent = kura.nodes.storage_agent(
            kubo_api,
            state_file=state_dir() / "agents" / f"{kura.address}.json",
            log=lambda line: console.print(f"[dim]{kura.address[:10]}[/] {line}"),
        )
        host, port = _listen_address(repair_listen or agent.announced_repair_url() or "http://127.0.0.1:0")
        try:
            server = agent.serve_repairs(host, port)
        except OSError as exc:
            fail(f"cannot serve repairs on {host}:{port} ({exc}): pick another --repair-listen")
        stop = threading.Event()
        try:
            record = agent.ensure_registered(bond, repair_url=server.url)
            console.print(
                f"node {record.address} {record.status.name.lower()}, stake {format_units(record.stake)} "
                f"ETH, peer {record.peer_id}, repairs at {server.url}"
            )
            if steps:
                for _ in range(steps):
                    agent.step()
                    stop.wait(interval)
                return
            agent.run(stop, interval=interval)
        except KeyboardInterrupt:
            stop.set()
        finally:
            server.close()


def _listen_address(text: str) -> tuple[str, int]:
    """``(host, port)`` from ``HOST:PORT`` or a URL ``http://HOST:PORT``."""
    parts = urlsplit(text if "//" in text else f"//{text}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        fail(f"repair address {text!r} is not HOST:PORT")
    return parts.hostname, port
