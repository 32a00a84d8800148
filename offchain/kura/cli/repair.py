"""``kura repair``: the repair agent, as a long-lived service or one round at a time (cron)."""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING

import typer

from kura.cli._context import JSON, NETWORK, session
from kura.cli._output import emit, log_line, warn
from kura.errors import NotRepairerError
from kura.results import jsonable

if TYPE_CHECKING:
    from kura.storage.repairer.agent import RepairReport

app = typer.Typer(
    help="Autonomous repair of lost shares (MSR from d helpers, re-encode from k, Shamir by "
    "enrolment), run forever or once per call.",
    no_args_is_help=True,
)


@app.command("run")
def run(
    account: int = typer.Option(..., "--account", min=0, help="Index of the repairer's (registered) account."),
    timeout: float = typer.Option(
        60.0,
        "--peer-timeout",
        min=0.1,
        help="Seconds to wait for a node's repair service before counting it as a missing helper.",
    ),
    min_healthy: int = typer.Option(
        0,
        "--min-healthy",
        min=0,
        help="Repair below this many healthy shares (0: n, i.e. as soon as one share is lost).",
    ),
    interval: float = typer.Option(5.0, "--interval", min=0.1, help="Seconds between rounds (with --forever)."),
    once: bool = typer.Option(
        False,
        "--once/--forever",
        help="One round and exit (for cron), or rounds until "
        "Ctrl-C (default). Both find every open challenge on chain, so they act alike.",
    ),
    network: str | None = NETWORK,
    as_json: bool = JSON,
) -> None:
    """Claim due audit timeouts, challenge shares that stop resolving, and rebuild lost shares onto fresh nodes.

    Nodes are reached through the repair services they announce in the registry (``kura node run``), so this
    runs on any machine and holds no node key. With --json, --once prints one JSON document; --forever prints
    one per round, one per line.
    """
    with session(network, account) as kura:
        agent = kura.repair.agent(peer_timeout=timeout, min_healthy=min_healthy or None, log=log_line("repair"))
        if once:
            report = kura.repair.round(agent, peer_timeout=timeout)
            if as_json:
                emit(report.to_dict(), as_json=True)
            else:
                _print(report, quiet_when_idle=False)
            return
        stop = threading.Event()
        quiet = False
        try:
            while not stop.is_set():
                try:
                    report = kura.repair.round(agent, peer_timeout=timeout)
                except NotRepairerError:
                    raise
                except Exception as exc:
                    warn(f"round failed ({type(exc).__name__}): {exc}")
                else:
                    if as_json:
                        sys.stdout.write(json.dumps(jsonable(report), sort_keys=True) + "\n")
                        sys.stdout.flush()
                    else:
                        _print(report, quiet_when_idle=quiet)
                    quiet = report.idle
                stop.wait(interval)
        except KeyboardInterrupt:
            stop.set()


def _print(report: RepairReport, *, quiet_when_idle: bool) -> None:
    """Print what a round did; an idle round says "nothing to repair" unless the last one said so already."""
    for where, problem in sorted(report.problems.items()):
        warn(f"{where}: {problem}")
    if report.idle:
        if not quiet_when_idle:
            emit(None, as_json=False, text="nothing to repair: every enrolled file has all its shares")
        return
    lines = [
        f"claimed the timeout of challenge {challenge_id}: its node is slashed, the share marked lost"
        for challenge_id in report.judged
    ]
    lines += [
        f"challenged the holder of a share that no longer resolves: challenge {challenge_id}"
        for challenge_id in report.challenged
    ]
    lines += [
        f"[green]repaired[/] share {o.index} of {o.file_id.hex()[:16]}… by {o.path.value} onto {o.new_node} "
        f"({o.payload_bytes:,} bytes pulled from {len(o.helpers)} helpers, paid {o.paid} wei)"
        for o in report.repaired
    ]
    if lines:
        emit(None, as_json=False, text="\n".join(lines))
