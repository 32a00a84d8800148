"""``kura node``: a node's standing in the shared registry (roles, credibility, promotion), and the storage agent."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import typer

from kura.chain.deployments import load
from kura.chain.node_registry import NodeRegistryClient
from kura.chain.task_market import WAD, TaskMarketClient
from kura.cli._context import JSON, NETWORK, connect
from kura.cli._output import console, emit, fail
from kura.paths import state_dir
from kura.storage.agent import NodeAgent

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


@app.command("run")
def run(
    account: int = typer.Option(..., "--account", min=0, help="Index of the node operator's account."),
    kubo_api: str = typer.Option(..., "--kubo-api", help="This node's Kubo RPC API URL."),
    stake: float = typer.Option(1.0, "--stake", min=0.0, help="ETH to bond if not registered (or to top up to)."),
    interval: float = typer.Option(2.0, "--interval", min=0.1, help="Seconds between chain polls."),
    steps: int = typer.Option(0, "--steps", min=0, help="Stop after this many rounds (0: run until Ctrl-C)."),
    repair_listen: str = typer.Option("", "--repair-listen", help="HOST:PORT of this node's repair service "
                                      "(default: the address it registered, or 127.0.0.1 on a free port)."),
    network: str | None = NETWORK,
) -> None:
    """Run a storage node agent: register and stake if needed, serve repair duties, answer every audit."""
    _, chain = connect(network)
    deployment = load(chain)
    operator = chain.account(account)
    state = state_dir() / "agents" / f"{operator.address}.json"
    agent = NodeAgent(chain, deployment, operator, kubo_api, state_file=state,
                      log=lambda line: console.print(f"[dim]{operator.address[:10]}[/] {line}"))
    host, port = _listen_address(repair_listen or agent.announced_repair_url() or "http://127.0.0.1:0")
    try:
        server = agent.serve_repairs(host, port)
    except OSError as exc:
        fail(f"cannot serve repairs on {host}:{port} ({exc}): pick another --repair-listen")
    stop = threading.Event()
    try:
        record = agent.ensure_registered(int(stake * 10**18), repair_url=server.url)
        console.print(f"node {operator.address} {record.status.name.lower()}, stake {record.stake / 10**18:g} ETH, "
                      f"peer {record.peer_id}, repairs at {server.url}")
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
