"""The soak test: a devnet left to heal itself while its daemons are killed, restarted and wiped.

:func:`run_soak` starts a private devnet (its own state folder, so a devnet the user runs is
left alone), deploys kura, and runs every actor as a real process, the way an operator would:
one ``kura node run`` per Kubo node (audits answered, repair duties served over HTTP) and one
``kura repair run --forever``. It stores files of several schemes, then for a number of
simulated days it damages the network at random — kills Kubo daemons (and restarts each on
its own repository before its audits' deadline, like a supervisor would), and wipes a node's
data (a disk lost: the node stays up but its shares are gone) — and moves the chain's clock past
every answer window and on by a day. Nobody types a command: the agents answer audits, the
repairer challenges shares that stop resolving, claims the timeouts and has lost shares rebuilt.

At the end it checks what the system promises — no file lost, no honest node slashed (only
wiped nodes fail audits), every file back at ``n`` healthy shares — and reports the figures:
kills, wipes, repairs by path, bytes on the wire per MSR repair against ``d·beta``, and the time
each day took to heal.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from web3.types import RPCEndpoint

from kura.api.session import Kura, deploy
from kura.codes.params import CodeParams, Scheme
from kura.crypto.share import HEADER_SIZE
from kura.demo.state import private_state
from kura.devnet import manager
from kura.devnet.processes import ProcessRecord, spawn, tail, wait_until
from kura.devnet.state import DevnetState
from kura.errors import DevnetError, KuraError
from kura.ipfs import KuboClient
from kura.results import Result
from kura.storage.shared.directory import is_registered
from kura.storage.shared.remote import registry_peers
from kura.storage.shared.repair_plan import RepairPath

Step = Callable[[str], None]
FIRST_OPERATOR = 10
REPAIRER = 9
OWNER = 4
DAY = 24 * 3600
FileSpec = tuple[Scheme, int, int, int]
"""Scheme, k, n and size in bytes of one stored file."""
DEFAULT_FILES: tuple[FileSpec, ...] = (
    (Scheme.MSR, 3, 5, 400_000),
    (Scheme.MSR, 2, 4, 200_000),
    (Scheme.RS, 2, 4, 150_000),
    (Scheme.SHAMIR, 2, 4, 30_000),
)


@dataclass(frozen=True)
class SoakConfig:
    """One soak run.

    Attributes:
        nodes: Kubo nodes, each with its own operator and agent (at least 8).
        days: Simulated days of damage.
        files: The files stored before the damage starts.
        kills_per_day: Kubo daemons killed (and restarted) each day.
        wipes: Nodes whose data is wiped over the run (one on each of the first days).
        seed: Picks the victims.
        heal_timeout: Seconds a day may take to heal before the run gives up on it.
        logs: Folder to keep the agents' and the repairer's logs in (default: a temporary one, deleted).
    """

    nodes: int = 8
    days: int = 3
    files: tuple[FileSpec, ...] = DEFAULT_FILES
    kills_per_day: int = 2
    wipes: int = 1
    seed: int = 0
    heal_timeout: float = 300.0
    logs: Path | None = None


@dataclass(frozen=True)
class SoakReport(Result):
    """What a soak run did and found.

    Attributes:
        files_lost: Files that could not be read back intact (must be 0).
        files_healthy: Files back at ``n`` healthy shares at the end (must be all).
        honest_slashed: Nodes slashed though their data was never wiped (must be empty).
        slashed: Every node slashed (the wiped ones, for the shares they lost).
        repairs: Shares rebuilt, by path.
        wire_ratio: Bytes the helpers' repair services sent for MSR repairs (counted at their sockets: status
            lines, headers and chunk framing included) over the sum of ``d·beta`` of those repairs.
        heal_seconds: Wall-clock seconds each day took from its damage to every file healthy again.
    """

    nodes: int
    days: int
    files: int
    kills: int
    wipes: int
    wiped_nodes: tuple[str, ...]
    slashed: tuple[str, ...]
    honest_slashed: tuple[str, ...]
    files_lost: int
    files_healthy: int
    repairs: dict[str, int]
    msr_wire_bytes: int
    msr_d_beta_bytes: int
    wire_ratio: float
    heal_seconds: tuple[float, ...]
    seconds: float

    @property
    def healed(self) -> bool:
        """True if the run kept every promise: nothing lost, no honest node slashed, every file whole."""
        return not self.files_lost and not self.honest_slashed and self.files_healthy == self.files


@dataclass
class _Stored:
    file_id: bytes
    data: bytes
    params: CodeParams


@dataclass
class _Run:
    config: SoakConfig
    folder: Path
    state: DevnetState
    owner: Kura
    step: Step
    stored: list[_Stored] = field(default_factory=list)
    wiped: set[str] = field(default_factory=set)
    kills: int = 0
    heal: list[float] = field(default_factory=list)
    processes: list[ProcessRecord] = field(default_factory=list)

    def check_alive(self) -> None:
        """Raise if an agent or the repairer died (the run would wait for nothing).

        Raises:
            DevnetError: naming the process, with the end of its log.
        """
        for process in self.processes:
            if not process.is_running():
                raise DevnetError(f"{process.name} exited; the end of its log ({process.log}):\n{tail(process.log)}")


def run_soak(config: SoakConfig = SoakConfig(), step: Step = lambda _: None) -> SoakReport:
    """Run the soak test on a private devnet and report what it found.

    Raises:
        DevnetError: if the devnet, an agent or the repairer cannot start, or a day does not heal in time.
        KuraError: if storing or reading a file fails.
    """
    if config.nodes < 8:
        raise DevnetError(f"the soak runs at least 8 nodes, got {config.nodes}")
    started = time.monotonic()
    with private_state(), tempfile.TemporaryDirectory(prefix="kura-soak-") as scratch, ExitStack() as stack:
        step(f"starting a private devnet of {config.nodes} Kubo nodes")
        state = manager.up(config.nodes)
        stack.callback(manager.down)
        owner = stack.enter_context(deploy(account=OWNER))
        folder = config.logs or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        run = _Run(config, folder, state, owner, step)
        stack.enter_context(_agents(run))
        rng = random.Random(config.seed)
        for scheme, k, n, size in config.files:
            data = rng.randbytes(size)
            source = folder / f"{scheme.value}-{k}-{n}"
            source.write_bytes(data)
            put = owner.storage.put(source, k=k, n=n, scheme=scheme)
            run.stored.append(_Stored(put.file_id, data, CodeParams(scheme, k, n)))
            step(f"stored {size:,} bytes as {scheme.value} {k}-of-{n}: {put.file_id.hex()[:16]}…")
        for day in range(config.days):
            _damage(run, rng, day)
        return _verdict(run, time.monotonic() - started)


@contextmanager
def _agents(run: _Run) -> Iterator[None]:
    """Every node's agent and the repairer, as real processes, stopped on exit."""
    with storage_actors(run.state, run.owner, run.folder, run.step, run.processes):
        yield


@contextmanager
def storage_actors(
    state: DevnetState, owner: Kura, folder: Path, step: Step, processes: list[ProcessRecord]
) -> Iterator[None]:
    """One ``kura node run`` per Kubo node (operator account ``FIRST_OPERATOR + i``) and one
    ``kura repair run --forever`` (account ``REPAIRER``), as real processes appended to ``processes`` and stopped
    on exit; their logs go to ``folder``.

    Raises:
        DevnetError: if the agents do not all register and serve repairs within three minutes.
    """
    env = {"PYTHONUNBUFFERED": "1"}
    try:
        for i, node in enumerate(state.kubo):
            argv = [
                sys.executable,
                "-m",
                "kura",
                "node",
                "run",
                "--account",
                str(FIRST_OPERATOR + i),
                "--kubo-api",
                node.api_url,
                "--interval",
                "0.5",
            ]
            processes.append(spawn(f"agent-{i + 1}", argv, log=folder / f"agent-{i + 1}.log", env=env))
        step(f"started {len(state.kubo)} storage node agents (`kura node run`)")
        contracts = owner.contracts
        wait_until(
            lambda: len(registry_peers(contracts)) == len(state.kubo),
            timeout=180,
            what="waiting for every node agent to register and serve repairs",
        )
        repairer = owner.as_account(REPAIRER)
        if not is_registered(contracts.nodes, repairer.address):
            repairer.nodes.register(state.kubo[0].api_url)
        argv = [
            sys.executable,
            "-m",
            "kura",
            "repair",
            "run",
            "--forever",
            "--account",
            str(REPAIRER),
            "--interval",
            "1",
            "--peer-timeout",
            "10",
            "--json",
        ]
        processes.append(spawn("repairer", argv, log=folder / "repairer.log", env=env))
        step("started the repairer (`kura repair run --forever`)")
        yield
    finally:
        for process in processes:
            process.stop()


def _damage(run: _Run, rng: random.Random, day: int) -> None:
    """One simulated day: kill (and later restart) daemons, maybe wipe a node, move the clock, wait to heal."""
    names = [node.name for node in run.state.kubo]
    victims = rng.sample(names, run.config.kills_per_day)
    for name in victims:
        process = manager.status()[0].node(name).process
        os.kill(process.pid, signal.SIGKILL)
        wait_until(partial(_dead, process), timeout=10, what=f"waiting for {name} to die")
        run.kills += 1
    run.step(f"day {day + 1}: killed {', '.join(victims)}")
    if day < run.config.wipes:
        spared = [name for name in names if name not in victims and name not in run.wiped]
        wiped = rng.choice(spared)
        _wipe(manager.status()[0].node(wiped).api_url)
        run.wiped.add(_operator(run, wiped))
        run.step(f"day {day + 1}: wiped every share of {wiped} ({_operator(run, wiped)})")
    damaged = time.monotonic()
    time.sleep(5)  # the repairer sees shares stop resolving and challenges them
    for name in victims:
        manager.restart(name)
    run.step(f"day {day + 1}: restarted {', '.join(victims)} on their own repositories")
    _settle(run)
    chain = run.owner.chain
    window = run.owner.contracts.audits.params().response_window
    chain.w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [window + DAY])
    chain.w3.provider.make_request(RPCEndpoint("anvil_mine"), ["0x1"])
    run.step(f"day {day + 1}: moved the chain clock past the answer window and on by a day")
    _heal(run)
    run.heal.append(round(time.monotonic() - damaged, 1))
    run.step(f"day {day + 1}: every file at full health again after {run.heal[-1]} s")


def _dead(process: ProcessRecord) -> bool:
    return not process.is_running()


def _operator(run: _Run, name: str) -> str:
    index = [node.name for node in run.state.kubo].index(name)
    return run.owner.as_account(FIRST_OPERATOR + index).address


def _wipe(api_url: str) -> None:
    """The node loses its data: every pin dropped and garbage-collected while it keeps running."""
    with KuboClient(api_url) as kubo:
        for cid in kubo.pins():
            kubo.pin_rm(cid)
        kubo.gc()


def _open_challenges(run: _Run) -> list[tuple[int, str]]:
    audits = run.owner.contracts.audits
    logs = audits.contract.events.ChallengeOpened.get_logs(from_block=run.owner.contracts.first_block("StorageAudits"))
    return [
        (int(log.args.challengeId), str(log.args.node)) for log in logs if audits.is_open(int(log.args.challengeId))
    ]


def _settle(run: _Run) -> None:
    """Wait until every node that still has its data answered the challenges opened against it."""

    def answered() -> bool:
        run.check_alive()
        return all(node in run.wiped for _, node in _open_challenges(run))

    wait_until(answered, timeout=run.config.heal_timeout, what="waiting for the restarted nodes to answer their audits")


def _heal(run: _Run) -> None:
    """Wait until every stored file has all n shares healthy.

    Raises:
        DevnetError: naming the shares still unhealthy if that takes longer than the heal timeout.
    """
    deadline = time.monotonic() + run.config.heal_timeout
    while True:
        run.check_alive()
        sick = _unhealthy(run)
        if not sick:
            return
        if time.monotonic() > deadline:
            raise DevnetError(f"not healed after {run.config.heal_timeout:.0f}s: {'; '.join(sick)}")
        time.sleep(1.0)


def _unhealthy(run: _Run) -> list[str]:
    """What is not healthy yet, one line per share (or file that could not be inspected)."""
    sick = []
    for stored in run.stored:
        label = stored.file_id.hex()[:16]
        try:
            shares = run.owner.storage.info(stored.file_id).shares
        except KuraError as exc:
            sick.append(f"{label}: {exc}")
            continue
        sick += [
            f"{label}/{share.index} {share.state.value} ({share.detail})"
            for share in shares
            if share.state.value != "healthy"
        ]
    return sick


def _verdict(run: _Run, seconds: float) -> SoakReport:
    owner = run.owner
    wait_until(
        partial(_idle, run.folder / "repairer.log"),
        timeout=run.config.heal_timeout,
        what="waiting for the repairer to finish its round",
    )
    lost = 0
    for number, stored in enumerate(run.stored):
        target = run.folder / f"back-{number}"
        try:
            owner.storage.get(stored.file_id, target)
        except KuraError:
            lost += 1
            continue
        lost += target.read_bytes() != stored.data
    healthy = sum(owner.storage.info(s.file_id).health["healthy"] == s.params.n for s in run.stored)
    registry = owner.contracts.nodes
    slashed = sorted(
        {
            str(log.args.node)
            for log in registry.contract.events.NodeSlashed.get_logs(
                from_block=owner.contracts.first_block("NodeRegistry")
            )
        }
    )
    outcomes = repairs_logged(run.folder / "repairer.log")
    params = {s.file_id.hex(): s.params for s in run.stored}
    msr = [o for o in outcomes if o["path"] == RepairPath.MSR.value]
    d_beta = sum(_d_beta(params[str(o["file_id"])[2:]], int(str(o["share_bytes"]))) for o in msr)
    sent = sum(
        int(peer.traffic().get("symbols", {}).get("sent", 0)) for peer in registry_peers(owner.contracts).values()
    )
    return SoakReport(
        nodes=run.config.nodes,
        days=run.config.days,
        files=len(run.stored),
        kills=run.kills,
        wipes=len(run.wiped),
        wiped_nodes=tuple(sorted(run.wiped)),
        slashed=tuple(slashed),
        honest_slashed=tuple(node for node in slashed if node not in run.wiped),
        files_lost=lost,
        files_healthy=healthy,
        repairs={path.value: sum(o["path"] == path.value for o in outcomes) for path in RepairPath},
        msr_wire_bytes=sent,
        msr_d_beta_bytes=d_beta,
        wire_ratio=round(sent / d_beta, 4) if d_beta else 0.0,
        heal_seconds=tuple(run.heal),
        seconds=round(seconds, 1),
    )


def _d_beta(params: CodeParams, share_bytes: int) -> int:
    """The cut-set bound of one MSR repair: ``d`` helpers' ``beta`` symbols per stripe."""
    return params.d * (share_bytes - HEADER_SIZE) // params.alpha


def _idle(log: Path) -> bool:
    """True once the repairer's last round found nothing to do."""
    rounds = [line for line in log.read_text().splitlines() if line.startswith("{")]
    return bool(rounds) and not any(json.loads(rounds[-1]).values())


def repairs_logged(log: Path) -> list[dict[str, object]]:
    """Every repair the repairer printed (one JSON document per round, one per line, among its log lines)."""
    outcomes: list[dict[str, object]] = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            outcomes.extend(json.loads(line)["repaired"])
    return outcomes
