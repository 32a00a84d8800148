"""``Kura.tasks``: post WebAssembly compute tasks, follow them, and fetch their verified results."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kura.chain.params import SampledAuditsParams, TaskMarketParams
from kura.chain.task_market import Outcome, Task, TaskMarketClient, TaskState, Verdict
from kura.compute import tasks as shipped
from kura.compute.requester import TaskTerms, fetch_result, submit
from kura.compute.sandbox import DEFAULT_FUEL
from kura.errors import ConfigError, TaskError
from kura.ipfs.client import KuboClient
from kura.results import Result
from kura.units import Amount, format_units, from_wad, to_wad, to_wei

if TYPE_CHECKING:
    from kura.api.session import Kura

ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class RevealedResult(Result):
    """One node's revealed answer."""

    node: str
    result: bytes
    output_cid: str


@dataclass(frozen=True)
class TaskReport(Result):
    """A task as the chain records it, with its drawn auditors, the answers revealed so far, and why it is where
    it is.

    Amounts are in wei; ``theta`` is WAD (10^18 = 1). ``worker`` is empty while nobody claimed the task,
    ``result`` empty until one is accepted, ``gate`` empty for an open task (else the compute gate that posted it
    and chooses who may compute it). ``outcome`` is why it ended (``AUDITED``, ``NO_AUDITORS``,
    ``NO_CONSENSUS``, ``WORKER_SILENT``; ``NONE`` while it runs or once cancelled) and ``explanation`` says in a
    sentence or two what happened and what comes next.
    """

    task_id: int
    state: str
    outcome: str
    explanation: str
    round: int
    requester: str
    worker: str
    reward: int
    audit_fee: int
    auditors: int
    theta: int
    fuel: int
    confidential: bool
    gate: str
    module_cid: str
    input_cid: str
    commit_deadline: int
    reveal_deadline: int
    result: bytes
    auditors_drawn: tuple[str, ...]
    reveals: tuple[RevealedResult, ...]

    @property
    def ended(self) -> bool:
        """True once the task is accepted, refunded or cancelled."""
        return self.state in {"ACCEPTED", "REFUNDED", "CANCELLED"}


def module_bytes(module: str | Path | bytes) -> bytes:
    """The WebAssembly bytes of ``module``: bytes as given, a ``.wasm`` file, or a shipped task's name.

    Raises:
        ConfigError: if it is neither a file nor a shipped task.
    """
    if isinstance(module, bytes):
        return module
    path = Path(module)
    if path.is_file():
        return path.read_bytes()
    if str(module) in shipped.TASKS:
        return shipped.load(str(module))
    raise ConfigError(
        f"module {str(module)!r} is neither a file nor a shipped task ({', '.join(sorted(shipped.TASKS))})"
    )


class Tasks:
    """Compute tasks posted and read by the session's account."""

    def __init__(self, session: Kura) -> None:
        self._session = session

    @property
    def market(self) -> TaskMarketClient:
        """The TaskMarket client."""
        return self._session.contracts.tasks

    @cached_property
    def ipfs(self) -> KuboClient:
        """The IPFS node this session publishes modules and inputs through, and reads outputs from: the
        network's IPFS API number ``account index mod their count``.

        Raises:
            ConfigError: if the network lists no IPFS API.
        """
        network = self._session.network
        if not network.ipfs_apis:
            raise ConfigError(
                f"network {network.name!r} lists no IPFS API: set KURA_IPFS_APIS or start `kura devnet up`"
            )
        index = self._session.account_index % len(network.ipfs_apis)
        return KuboClient(network.ipfs_apis[index], proxy=network.socks_proxy)

    def submit(
        self,
        module: str | Path | bytes,
        data: bytes | str | Path,
        *,
        reward: Amount,
        auditors: int | None = None,
        audit_fee: Amount | None = None,
        theta: Amount = "0.99",
        fuel: int = DEFAULT_FUEL,
        confidential: bool = False,
    ) -> TaskReport:
        """Check ``module``, publish it and ``data`` on IPFS and post the task, escrowing the reward and audit budget.

        Args:
            module: WebAssembly bytes, a ``.wasm`` file, or a shipped task's name (``textstats``, ``matmul``…).
            data: The input bytes, or a file holding them.
            reward: Ether for the compute node if its answer is accepted (``"0.01"``); at least the market's price
                of the fuel.
            auditors: Auditors drawn per round (default: the fewest that decide a task even on a new market).
            audit_fee: Ether for each auditor whose answer is accepted (default: the market's price of the fuel).
            theta: Credibility a result needs to be accepted (a fraction, ``"0.99"``).
            fuel: Fuel limit of every run.
            confidential: Have the nodes upload the output encrypted to this account's key.

        Raises:
            ConfigError: unknown module. AmountError: bad amounts.
            SandboxError: the module is not WebAssembly kura can run. TaskError: terms the market would refuse.
            ContractRevertError: if the market refuses the task.
        """
        payload = data if isinstance(data, bytes) else Path(data).read_bytes()
        terms = TaskTerms(
            reward=to_wei(reward),
            auditors=auditors,
            audit_fee=None if audit_fee is None else to_wei(audit_fee),
            theta=to_wad(theta),
            fuel=fuel,
            confidential=confidential,
        )
        task_id = submit(self.market, self.ipfs, module_bytes(module), payload, terms, requester=self._session.account)
        return self.status(task_id)

    def status(self, task_id: int) -> TaskReport:
        """``task_id``: state, worker, auditors, deadlines, reveals and the accepted result.

        Raises:
            ContractRevertError: ``UnknownTask``.
        """
        task = self.market.task_of(task_id)
        drawn = self.market.auditors_of(task_id)
        reveals = tuple(RevealedResult(r.node, r.result, r.output_cid) for r in self.market.reveals(task))
        verdict = self.market.verdict(task)
        sampling = self._session.contracts.sampler.params()
        explanation = explain(task, verdict, len(drawn), len(reveals), self.market.params(), sampling=sampling)
        return _report(task, drawn, reveals, explanation)

    def posted(self, requester: str | None = None) -> list[TaskReport]:
        """The tasks ``requester`` (default: this account) posted, oldest first, as they stand now."""
        who = requester or self._session.address
        logs = self.market.contract.events.TaskPosted().get_logs(
            from_block=self._session.contracts.first_block("TaskMarket"), argument_filters={"requester": who}
        )
        return [self.status(int(log.args.taskId)) for log in logs]

    def wait(self, task_id: int, *, timeout: float = 600.0, poll: float = 1.0) -> TaskReport:
        """Wait until ``task_id`` ends (accepted, refunded or cancelled) and return it.

        Raises:
            TaskError: if it has not ended after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            report = self.status(task_id)
            if report.ended:
                return report
            if time.monotonic() > deadline:
                raise TaskError(
                    f"task {task_id} is still {report.state} after {timeout:.0f}s: are compute nodes "
                    "and auditors running (`kura compute run`)?"
                )
            time.sleep(poll)

    def result(self, task_id: int) -> bytes:
        """The accepted output bytes of ``task_id``, checked against the result hash on chain (decrypted with
        this account's key for a confidential task).

        Raises:
            TaskError: not accepted, or no revealed output matches. DecryptionError: not the requester's account.
        """
        return fetch_result(self.market, self.ipfs, task_id, requester=self._session.account)

    def close(self) -> None:
        """Close the IPFS connection."""
        if "ipfs" in self.__dict__:
            self.ipfs.close()


def explain(
    task: Task,
    verdict: Verdict,
    drawn: int,
    revealed: int,
    params: TaskMarketParams,
    *,
    sampling: SampledAuditsParams,
) -> str:
    """What happened to ``task`` and what comes next, in a sentence or two.

    Args:
        task: The task.
        verdict: How it was judged (its events).
        drawn: Auditors drawn so far.
        revealed: Reveals so far (the worker's included).
        params: The market's parameters.
        sampling: The sampled-audit terms of its ledger.

    Returns:
        The explanation.
    """
    running = _explain_running(task, verdict, drawn, revealed, params)
    if running:
        return ("re-audit of a provisional result (its worker was caught): " if task.reauditing else "") + running
    return _explain_ended(task, verdict, sampling)


def _explain_running(task: Task, verdict: Verdict, drawn: int, revealed: int, params: TaskMarketParams) -> str:
    """The explanation of a task that is not over yet, or empty."""
    theta = f"{from_wad(task.theta).normalize():f}"
    rounds = ", ".join(f"{from_wad(best):.4g}" for best in verdict.inconclusive)
    if task.state is TaskState.OPEN:
        return (
            "waiting for a compute node to claim it (a node claims only tasks it can run within "
            f"{params.window(task.fuel)} s); the requester may cancel it until then"
        )
    if task.state is TaskState.CLAIMED:
        return (
            f"the worker must commit its answer by timestamp {task.commit_deadline}; if it does not, anyone may "
            "end the task, which refunds it"
        )
    if task.state is TaskState.DRAWING:
        before = (
            f"round {task.round} reached no θ = {theta} (best {rounds}); " if task.round else "the worker committed; "
        )
        return f"{before}auditors are drawn from the hash of block {task.seed_block} once it is mined (anyone may)"
    if task.state is TaskState.AUDITING:
        return (
            f"round {task.round}: {drawn} auditors drawn so far, {task.committed} of this round's {task.auditors} "
            f"committed; commit until {task.commit_deadline} (reveals open as soon as all have), reveal until "
            f"{task.reveal_deadline}; {revealed} answers revealed"
        )
    if task.state is TaskState.UNAUDITED:
        return (
            f"the audit coin drew no audit: the worker must reveal its answer by timestamp {task.reveal_deadline}, "
            "which is then accepted provisionally; if it does not, anyone may end the task, which refunds it and "
            "slashes the worker"
        )
    return ""


def _explain_ended(task: Task, verdict: Verdict, sampling: SampledAuditsParams) -> str:
    """The explanation of a task that is over (or provisional)."""
    theta = f"{from_wad(task.theta).normalize():f}"
    rounds = ", ".join(f"{from_wad(best):.4g}" for best in verdict.inconclusive)
    worker = _worker_fate(verdict)
    if task.state is TaskState.PROVISIONAL:
        return (
            "accepted without audit (the audit coin drew none): the result stands provisionally, its reward held by "
            f"the SampledAudits ledger until {sampling.window} newer results of its worker or {sampling.hold_time} s "
            "have passed, and re-audited if the worker is caught first"
        )
    if task.outcome is Outcome.REAUDITED:
        if verdict.accepted is None:
            return (
                "re-audited after its worker was caught: the re-audit could not decide, so the worker's answer stands"
            )
        fate = (
            "the worker's answer was replaced by theirs" if verdict.replaced else "they confirmed the worker's answer"
        )
        return (
            f"re-audited after its worker was caught: the auditors decided in round {task.round} with credibility "
            f"{from_wad(verdict.accepted):.6g} >= θ = {theta}; {fate}"
        )
    if task.state is TaskState.CANCELLED:
        return "cancelled by its requester before any compute node claimed it; the escrow was refunded"
    if task.outcome is Outcome.AUDITED:
        credibility = f"{from_wad(verdict.accepted or 0):.6g}"
        return f"accepted in round {task.round} with credibility {credibility} >= θ = {theta}; {worker}"
    if task.outcome is Outcome.NO_AUDITORS:
        gated = "" if int(task.gate, 16) == 0 else f", allowed by its gate {task.gate}"
        return (
            f"refunded: the audit pool as it stood at the claim held fewer than {task.auditors} eligible auditors "
            f"(active, not compute nodes, neither its requester nor its worker, not drawn before{gated})"
        )
    if task.outcome is Outcome.NO_CONSENSUS:
        return (
            f"refunded: no answer reached θ = {theta} in {task.round} rounds (best {rounds}); auditors whose "
            f"answer was no more likely right than wrong failed their check; {worker}"
        )
    if verdict.worker_penalty == "COMPUTE_NO_REVEAL":
        return f"refunded: the worker did not reveal its unaudited answer by its deadline; {worker}"
    return f"refunded: the worker did not commit its answer by its deadline; {worker}"


def _worker_fate(verdict: Verdict) -> str:
    if verdict.worker_paid is not None:
        return f"the worker was paid {format_units(verdict.worker_paid)} ETH"
    if not verdict.worker_penalty:
        return "the worker was not judged"
    why = {
        "COMPUTE_WRONG_RESULT": "its answer was judged wrong",
        "COMPUTE_NO_REVEAL": "it did not reveal its answer",
        "COMPUTE_NO_COMMIT": "it did not commit in time",
        "COMPUTE_DOUBTFUL": "its answer was more likely wrong than right",
    }.get(verdict.worker_penalty, verdict.worker_penalty)
    return (
        f"the worker lost {format_units(verdict.worker_slashed)} ETH of stake, its compute role and its passed "
        f"checks ({verdict.worker_penalty}: {why})"
    )


def _report(task: Task, drawn: list[str], reveals: tuple[RevealedResult, ...], explanation: str) -> TaskReport:
    return TaskReport(
        task_id=task.task_id,
        state=task.state.name,
        outcome=task.outcome.name,
        explanation=explanation,
        round=task.round,
        requester=task.requester,
        worker="" if task.worker.lower() == ZERO_ADDRESS else task.worker,
        reward=task.reward,
        audit_fee=task.audit_fee,
        auditors=task.auditors,
        theta=task.theta,
        fuel=task.fuel,
        confidential=task.confidential,
        gate="" if int(task.gate, 16) == 0 else task.gate,
        module_cid=task.module_cid,
        input_cid=task.input_cid,
        commit_deadline=task.commit_deadline,
        reveal_deadline=task.reveal_deadline,
        result=task.result if any(task.result) else b"",
        auditors_drawn=tuple(drawn),
        reveals=reveals,
    )
