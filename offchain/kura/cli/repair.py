"""``kura repair``: the autonomous repair agent."""

from __future__ import annotations

import threading

import typer

from kura.chain.deployments import load
from kura.cli._context import JSON, NETWORK, connect
from kura.cli._output import console, emit
from kura.errors import KuraError
from kura.storage.registry_nodes import NodeDirectory
from kura.storage.repair import Repairer
from kura.storage.repair_remote import registry_peers

app = typer.Typer(help="Autonomous repair of lost shares (MSR from d helpers, or re-encode from k).",
                  no_args_is_help=True)


@app.command("run")
def run(
    account: int = typer.Option(..., "--account", min=0, help="Index of the repairer's (registered) account."),
    timeout: float = typer.Option(60.0, "--peer-timeout", min=0.1, help="Seconds to wait for a node's repair "
                                  "service before counting it as a missing helper."),
    min_healthy: int = typer.Option(0, "--min-healthy", min=0, help="Repair below this many healthy shares "
                                    "(0: n - 1)."),
    interval: float = typer.Option(5.0, "--interval", min=0.1, help="Seconds between rounds."),
    steps: int = typer.Option(0, "--steps", min=0, help="Stop after this many rounds (0: run until Ctrl-C)."),
    network: str | None = NETWORK,
    as_json: bool = JSON,
) -> None:
    """Watch every enrolled file; challenge shares that stop resolving; rebuild lost ones onto fresh nodes.

    Nodes are reached through the repair services they announce in the registry (``kura node run``),
    so this runs on any machine and holds no node key.
    """
    _, chain = connect(network)
    deployment = load(chain)
    directory = NodeDirectory(chain, deployment)
    repairer = Repairer(chain, deployment, chain.account(account), directory.pool(),
                        registry_peers(chain, deployment, timeout=timeout), min_healthy=min_healthy or None,
                        log=lambda line: console.print(f"[dim]repair[/] {line}"))
    stop = threading.Event()
    done = 0
    while not stop.is_set() and (not steps or done < steps):
        try:
            repairer.peers = registry_peers(chain, deployment, timeout=timeout)  # nodes join and leave
            repairer.pool = directory.pool()
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
