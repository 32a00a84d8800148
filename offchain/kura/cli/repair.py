"""``kura repair``: the autonomous repair agent."""

from __future__ import annotations

import threading

import typer

from kura.chain.deployments import load
from kura.cli._context import JSON, NETWORK, connect
from kura.cli._output import console, emit
from kura.crypto import ecies
from kura.errors import KuraError
from kura.ipfs import KuboClient
from kura.storage.registry_nodes import NodeDirectory
from kura.storage.repair import Repairer
from kura.storage.repair_peer import RepairPeer

app = typer.Typer(help="Autonomous repair of lost shares (MSR from d helpers, or re-encode from k).",
                  no_args_is_help=True)


@app.command("run")
def run(
    account: int = typer.Option(..., "--account", min=0, help="Index of the repairer's (registered) account."),
    operators: str = typer.Option("10-15", "--operators",
                                  help="Account indices of the local nodes whose repair duties this process runs."),
    min_healthy: int = typer.Option(0, "--min-healthy", min=0, help="Repair below this many healthy shares "
                                    "(0: n - 1)."),
    interval: float = typer.Option(5.0, "--interval", min=0.1, help="Seconds between rounds."),
    steps: int = typer.Option(0, "--steps", min=0, help="Stop after this many rounds (0: run until Ctrl-C)."),
    network: str | None = NETWORK,
    as_json: bool = JSON,
) -> None:
    """Watch every enrolled file; challenge shares that stop resolving; rebuild lost ones onto fresh nodes."""
    _, chain = connect(network)
    deployment = load(chain)
    directory = NodeDirectory(chain, deployment)
    first, _, last = operators.partition("-")
    peers = {}
    for index in range(int(first), int(last or first) + 1):
        operator = chain.account(index)
        record = directory.record_of(operator.address)
        peers[operator.address] = RepairPeer(KuboClient(record.endpoint), ecies.load_private_key(operator.key))
    repairer = Repairer(chain, deployment, chain.account(account), directory.pool(), peers,
                        min_healthy=min_healthy or None, log=lambda line: console.print(f"[dim]repair[/] {line}"))
    stop = threading.Event()
    done = 0
    while not stop.is_set() and (not steps or done < steps):
        try:
            report = repairer.step()
        except (KuraError, OSError) as exc:
            console.print(f"[yellow]round failed:[/] {exc}")
        else:
            for outcome in report.repaired:
                emit({"file": outcome.file_id.hex(), "index": outcome.index, "path": outcome.path.value,
                      "new_node": outcome.new_node, "payload_bytes": outcome.payload_bytes, "gas": outcome.gas},
                     as_json=as_json,
                     text=f"repaired share {outcome.index} of {outcome.file_id.hex()[:16]}… by {outcome.path.value} "
                          f"onto {outcome.new_node}")
        done += 1
        stop.wait(interval)
