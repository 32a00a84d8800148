"""``kura compute``: run a node's compute agent — as a compute node (``work``) or an auditor (``audit``)."""

from __future__ import annotations

import typer

from kura.cli._compute import ACCOUNT, IPFS_NODE, Session, session, to_wei
from kura.cli._context import JSON, NETWORK
from kura.cli._output import emit
from kura.compute.behaviour import Behaviour, Mode
from kura.compute.worker import ComputeAgent
from kura.errors import ContractRevertError

app = typer.Typer(help="Run a node's compute agent: claim or audit tasks, run them in the sandbox, commit, reveal, "
                       "withdraw.", no_args_is_help=True)

MALICIOUS = typer.Option(Mode.HONEST, "--malicious", help="FOR TESTS AND DEMOS: answer wrongly "
                         "(always-wrong, random-wrong, cheat-when-promoted). Honest unless given.")
P = typer.Option(0.5, "--p", min=0.0, max=1.0, help="Lying probability for --malicious random-wrong.")
SEED = typer.Option(None, "--seed", help="Seed of the random-wrong coin (reproducible runs).")
INTERVAL = typer.Option(2.0, "--interval", min=0.1, help="Seconds between two looks at the chain.")
STEPS = typer.Option(0, "--steps", min=0, help="Stop after this many steps (0: run until interrupted).")
STAKE = typer.Option(None, "--stake", help="Register the node with this much ether first, if it is not registered.")


def _ensure_registered(s: Session, stake: str | None) -> None:
    """Register the account as a node (peer id and API of its IPFS node) if it is not, and ``--stake`` was given."""
    try:
        s.registry.node_of(s.account.address)
    except ContractRevertError as exc:
        if exc.error_name != "UnknownNode" or stake is None:
            raise
        s.registry.register(s.ipfs.id().peer_id, s.ipfs.base_url, node=s.account, stake=to_wei(stake))


def _run(s: Session, agent: ComputeAgent, *, interval: float, steps: int, as_json: bool) -> None:
    done = 0

    def finished() -> bool:
        nonlocal done
        done += 1
        return steps > 0 and done > steps

    agent.run(interval=interval, until=finished,
              report=lambda line: emit({"account": s.account.address, "action": line}, as_json=as_json, text=line))


@app.command()
def work(network: str | None = NETWORK, account: int = ACCOUNT, ipfs_node: int | None = IPFS_NODE,
         malicious: Mode = MALICIOUS, p: float = P, seed: int | None = SEED, interval: float = INTERVAL,
         steps: int = STEPS, stake: str | None = STAKE, as_json: bool = JSON) -> None:
    """Work as a compute node: claim open tasks, run them, commit, reveal, get paid."""
    with session(network, account, ipfs_node) as s:
        _ensure_registered(s, stake)
        agent = ComputeAgent(s.market, s.registry, s.ipfs, s.account, work=True, audit=False,
                             behaviour=Behaviour(malicious, p, seed))
        _run(s, agent, interval=interval, steps=steps, as_json=as_json)


@app.command()
def audit(network: str | None = NETWORK, account: int = ACCOUNT, ipfs_node: int | None = IPFS_NODE,
          promote: bool = typer.Option(False, "--promote", help="Ask for promotion when qualified, then also work."),
          malicious: Mode = MALICIOUS, p: float = P, seed: int | None = SEED, interval: float = INTERVAL,
          steps: int = STEPS, stake: str | None = STAKE, as_json: bool = JSON) -> None:
    """Audit: join the audit pool, recompute the tasks you are drawn for, commit, reveal, earn credibility."""
    with session(network, account, ipfs_node) as s:
        _ensure_registered(s, stake)
        agent = ComputeAgent(s.market, s.registry, s.ipfs, s.account, work=promote, audit=True,
                             auto_promote=promote, behaviour=Behaviour(malicious, p, seed))
        _run(s, agent, interval=interval, steps=steps, as_json=as_json)
