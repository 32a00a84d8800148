"""``kura compute``: run a node's compute agent (auditor, and compute node once promoted)."""

from __future__ import annotations

from typing import Literal

import typer

from kura.cli._context import ACCOUNT, JSON, NETWORK, session
from kura.cli._output import emit

ModeChoice = Literal["honest", "always-wrong", "random-wrong", "cheat-when-promoted", "behave-then-cheat"]
"""The values of :class:`kura.compute.behaviour.Mode`, spelt out: its module loads eth_utils, which no --help
needs (tests/unit/cli holds the two equal)."""

app = typer.Typer(
    help="Run a node's compute agent: audit and claim tasks, run them in the sandbox, commit, reveal, withdraw.",
    no_args_is_help=True,
)


@app.command()
def run(
    work: bool = typer.Option(True, "--work/--no-work", help="Claim tasks while the node is a compute node."),
    audit: bool = typer.Option(
        True,
        "--audit/--no-audit",
        help="Join the audit pool and audit drawn tasks while the node is not a compute node.",
    ),
    promote: bool = typer.Option(False, "--promote", help="Ask for promotion whenever the node qualifies."),
    malicious: ModeChoice = typer.Option(
        "honest",
        "--malicious",
        help="FOR TESTS AND DEMOS: answer wrongly "
        "(always-wrong, random-wrong, cheat-when-promoted, behave-then-cheat). Honest unless given.",
    ),
    after: int = typer.Option(
        0, "--after", min=0, help="Honest tasks as a compute node before --malicious behave-then-cheat lies."
    ),
    p: float = typer.Option(0.5, "--p", min=0.0, max=1.0, help="Lying probability for --malicious random-wrong."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the random-wrong coin (reproducible runs)."),
    interval: float = typer.Option(2.0, "--interval", min=0.1, help="Seconds between two looks at the chain."),
    steps: int = typer.Option(0, "--steps", min=0, help="Stop after this many steps (0: run until interrupted)."),
    stake: str | None = typer.Option(
        None, "--stake", help="Register the node with this much ether first, if it is not registered."
    ),
    ipfs_api: str | None = typer.Option(
        None, "--ipfs-api", help="The node's Kubo API (default: the network's API number account mod their count)."
    ),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Run the compute agent: audit as a newcomer, work once promoted, commit, reveal, get paid."""
    from kura.compute.behaviour import Behaviour, Mode

    with session(network, account) as kura:
        agent = kura.nodes.compute_agent(
            work=work,
            audit=audit,
            auto_promote=promote,
            behaviour=Behaviour(Mode(malicious), p, seed, after),
            ipfs_api=ipfs_api,
            stake=stake,
        )
        done = 0

        def finished() -> bool:
            nonlocal done
            done += 1
            return steps > 0 and done > steps

        try:
            agent.run(
                interval=interval,
                until=finished,
                report=lambda line: emit({"account": kura.address, "action": line}, as_json=as_json, text=line),
            )
        except KeyboardInterrupt:
            emit({"account": kura.address, "action": "stopped"}, as_json=as_json, text="stopped (Ctrl-C)")
