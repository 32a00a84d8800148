"""The long-running compute agent behind ``kura compute work`` and ``kura compute audit``.

One :class:`ComputeNodeAgent` per node account. Each :meth:`ComputeNodeAgent.step` reads the chain once
and does whatever is due, in this order, for every task it follows:

* as a **worker** (a Compute-role node, ``work=True``): claim an Open task when it holds none and the
  task's gate, if it has one, lets this node compute it, unless the task's fuel would take this node
  longer than the market gives it (``fuelWindow``) or the audit pool is still too small to audit it
  (the pool is noted at the claim);
* as an **auditor** (``audit=True``): be in the audit pool, unless this node runs slower than the
  speed the market's windows assume (``fuelRate``); follow tasks it was drawn for;
* for a task it takes part in: fetch module and input from IPFS, check them against the hashes
  posted on chain, run them in the sandbox, stopped at the phase's deadline (a run cut short has no
  answer and commits nothing), publish the output on IPFS (sealed to the requester's
  key when the task is confidential, see :mod:`kura.compute.sealing`), then **commit** the result
  (the outcome's commitment hash, see :mod:`kura.compute.outcome`) under a fresh salt, **reveal**
  it after the commit deadline, and **finalize** the round once it is over;
* help liveness: draw a followed task's auditors once its seed block is mined, and end a task whose
  worker let its commit deadline pass;
* in a market that audits only a sample of tasks (:mod:`kura.chain.sampled_audits`): as a worker, reveal a task
  the audit coin left unaudited, claim only tasks its stake covers, and release its held results once their hold
  time passed; as an auditor, follow the tasks reopened for a re-audit and start the re-audits of a caught worker's
  held results (a few at a time);
* **withdraw** whatever the market (and the sampled-audit ledger and the registry, for re-audit fees) credited to
  it;
* with ``auto_promote``, ask the registry to promote it as soon as it qualifies;
* **warn** once when slashes left its stake under the registry's minimum (it then takes no new work).

Chain calls that lose a race (another node finalized first, a deadline just passed) are reported
as skipped actions, never raised: the agent keeps going. ``step`` is synchronous and returns what it
did, so tests drive agents deterministically; :meth:`ComputeNodeAgent.run` loops it for the CLI.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from kura.chain.node_registry import NodeRecord, NodeRegistryClient, Role
from kura.chain.pull_payments import PullPaymentsClient
from kura.chain.sampled_audits import SampledAuditsClient
from kura.chain.task_market import Task, TaskMarketClient, TaskState
from kura.compute.behaviour import Behaviour
from kura.compute.inputs import InputProvider, PostedInput
from kura.compute.sandbox import Sandbox, TaskOutcome, TaskStatus
from kura.compute.sealing import seal_output
from kura.errors import ContractRevertError, InputRefusedError, KuraError, RunInterrupted
from kura.ipfs.client import KuboClient
from kura.units import format_units

_RACES = frozenset(
    {
        "WrongState",
        "CommitClosed",
        "RevealClosed",
        "RevealNotOpen",
        "RoundNotOver",
        "SeedNotYetAvailable",
        "NotParticipant",
        "NothingToWithdraw",
        "NotComputeNode",
        "NotPromotable",
        "AlreadyCommitted",
        "AlreadyRevealed",
        "AlreadyInPool",
        "GateRefused",
        "NothingToReaudit",
        "ReauditsInFlight",
        "NothingToRelease",
        "ReauditsPending",
    }
)
"""Revert reasons that mean "someone else moved first" or "not yet": skip and look again next step."""

COMMIT_MARGIN = 10.0
"""Seconds kept between the end of a run and its phase's deadline, for fetching, publishing and the commitment."""

REAUDITS_IN_FLIGHT = 4
"""Re-audits of one caught worker's held results an auditor keeps open at once (each is a draw and a round)."""

RELEASE_BATCH = 32
"""Held results a worker makes final in one transaction."""


@dataclass
class _Answer:
    """What the agent committed for one task."""

    result: bytes
    salt: bytes
    output_cid: str
    round: int
    revealed: bool = False


@dataclass
class ComputeNodeAgent:
    """A node's compute agent.

    Attributes:
        market: The TaskMarket client.
        registry: The NodeRegistry client.
        ipfs: The node's own Kubo API (modules and inputs are fetched, outputs published through it).
        account: The node's signing account (already registered in the NodeRegistry).
        work: Claim tasks when the node holds the Compute role.
        audit: Join the audit pool and audit tasks the node is drawn for.
        auto_promote: Ask for promotion whenever the node is an Auditor (the registry decides).
        behaviour: Honest unless a malicious mode is asked for.
        sandbox: Runs the tasks.
        clock: Wall-clock seconds (replaceable in tests).
        speed: Fuel per second this node runs; measured with the sandbox when None (and measured again at every
            step while it falls short of the market's ``fuelRate``).
        inputs: Builds each task's input from the posted bytes and names the key its output is sealed to
            (compute-to-data jobs, :mod:`kura.compute.inputs`); by default the posted bytes are the input.
        sampler: The market's sampled-audit ledger (None: a deployment without one, every task audited).
    """

    market: TaskMarketClient
    registry: NodeRegistryClient
    ipfs: KuboClient
    account: LocalAccount
    work: bool = True
    audit: bool = False
    auto_promote: bool = False
    behaviour: Behaviour = field(default_factory=Behaviour)
    sandbox: Sandbox = field(default_factory=Sandbox)
    clock: Callable[[], float] = time.time
    speed: float | None = None
    inputs: InputProvider = field(default_factory=PostedInput)
    sampler: SampledAuditsClient | None = None
    _measured: float | None = field(default=None, init=False)
    _cursor: int = field(default=0, init=False)
    _told: set[str] = field(default_factory=set, init=False)
    _followed: set[int] = field(default_factory=set, init=False)
    _answers: dict[int, _Answer] = field(default_factory=dict, init=False)
    _claimed: int | None = field(default=None, init=False)
    _stake: int = field(default=0, init=False)
    _log_block: int | None = field(default=None, init=False)
    _caught: set[str] = field(default_factory=set, init=False)

    @property
    def address(self) -> str:
        """The node's address."""
        return str(self.account.address)

    @property
    def _sampling(self) -> SampledAuditsClient | None:
        """The market's sampled-audit ledger if it leaves some tasks unaudited, else None (every task audited)."""
        return self.sampler if self.sampler is not None and self.sampler.params().sampling else None

    def step(self) -> list[str]:
        """Do everything that is due now, once.

        Returns:
            One line per action taken or skipped (e.g. ``"committed task 3"``).

        Raises:
            KuraError: on failures that are not races (IPFS down, RPC unreachable, a bug).
        """
        actions: list[str] = []
        record = self.registry.node_of(self.address)
        self._warn_if_under_staked(record, actions)
        self._stake = record.stake
        role = record.role
        if self.auto_promote and role == Role.AUDITOR:
            promote = lambda: self.registry.promote(self.address, sender=self.account)  # noqa: E731
            if self._try(actions, "promoted to compute node", promote, quiet={"NotPromotable"}):
                role = Role.COMPUTE
        if (
            self.audit
            and role != Role.COMPUTE
            and self.address not in self.market.audit_pool()
            and self._fast_enough(actions)
        ):
            self._try(actions, "joined the audit pool", lambda: self.market.join_audit_pool(node=self.account))
        count = self.market.task_count()
        new_ids = range(self._cursor + 1, count + 1)
        self._cursor = count
        self._followed.update(new_ids)
        if self._sampling is not None:
            self._tend_sampled_audits(self._sampling, actions)
        for task_id in sorted(self._followed):
            task = self.market.task_of(task_id)
            if task.state.ended:
                self._forget(task_id)
            else:
                self._advance(task, role, actions)
        for payer in self._payers():
            if payer.payments(self.address) > 0:
                self._try(actions, "withdrew earnings", partial(payer.withdraw_payments, payee=self.account))
        return actions

    def run(
        self, *, interval: float = 2.0, report: Callable[[str], None] = print, until: Callable[[], bool] = lambda: False
    ) -> None:
        """Call :meth:`step` every ``interval`` seconds until ``until()`` is true, reporting each action.

        A step that fails (IPFS or RPC down, a refused transaction) is reported and retried at the next
        interval: the agent never stops on its own. Ctrl-C stops it at once, even inside a task's run.

        Raises:
            KeyboardInterrupt: on Ctrl-C.
        """
        while not until():
            try:
                lines = self.step()
            except KuraError as exc:
                lines = [f"step failed, retrying: {exc}"]
            for line in lines:
                report(line)
            time.sleep(interval)

    # ---------------------------------------------------------------- one task

    def _advance(self, task: Task, role: Role, actions: list[str]) -> None:
        task_id = task.task_id
        mine = task.worker == self.address
        if task.state == TaskState.OPEN:
            if (
                self.work
                and role == Role.COMPUTE
                and self._claimed is None
                and task.requester != self.address
                and self.market.may_compute(task, self.address)
                and self._stake_covers(task, actions)
                and self._can_finish(task, actions)
                and self._auditable(task, actions)
            ) and self._try(
                actions, f"claimed task {task_id}", lambda: self.market.claim(task_id, worker=self.account)
            ):
                self._claimed = task_id
            return
        now = self._chain_now()
        if task.state == TaskState.CLAIMED:
            if mine and task_id not in self._answers:
                self._commit(task, actions, as_worker=True)
            elif now > task.commit_deadline:
                self._end_for_silence(task_id, "missed its deadline", actions)
            return
        if task.state == TaskState.UNAUDITED:
            self._settle_unaudited(task, now, actions)
            return
        if task.state == TaskState.DRAWING:
            if self.market.chain.w3.eth.block_number > task.seed_block:
                self._try(
                    actions,
                    f"drew auditors for task {task_id}",
                    lambda: self.market.draw_auditors(task_id, sender=self.account),
                )
            return
        answer = self._answers.get(task_id)
        if answer is None and self.audit and now <= task.commit_deadline:
            entry = self.market.entry_of(task_id, self.address)
            if entry.round == task.round and entry.round > 0:
                self._commit(task, actions, as_worker=False)
                answer = self._answers.get(task_id)
        in_round = task.round == 1 if mine else answer is not None and answer.round == task.round
        if (answer is not None and in_round and not answer.revealed and task.reveals_open(now)) and self._try(
            actions,
            f"revealed task {task_id}",
            lambda: self.market.reveal(task_id, answer.result, answer.salt, answer.output_cid, node=self.account),
        ):
            answer.revealed = True
        if now > task.reveal_deadline or (answer is not None and answer.revealed):
            self._try(
                actions,
                f"finalized round {task.round} of task {task_id}",
                lambda: self.market.finalize(task_id, sender=self.account),
                quiet={"RoundNotOver"},
            )

    def _settle_unaudited(self, task: Task, now: int, actions: list[str]) -> None:
        """The audit coin left ``task`` unaudited: its worker reveals (the result is then accepted provisionally);
        anyone ends it once the worker let the reveal deadline pass."""
        task_id = task.task_id
        answer = self._answers.get(task_id)
        if task.worker == self.address and answer is not None and not answer.revealed and task.reveals_open(now):
            if self._try(
                actions,
                f"revealed task {task_id} (not drawn for audit)",
                lambda: self.market.reveal(task_id, answer.result, answer.salt, answer.output_cid, node=self.account),
            ):
                answer.revealed = True
        elif now > task.reveal_deadline:
            self._end_for_silence(task_id, "did not reveal", actions)

    def _end_for_silence(self, task_id: int, silence: str, actions: list[str]) -> None:
        """End ``task_id``, whose worker let its deadline pass (``silence`` says how): it is caught and the task
        refunded."""
        self._try(
            actions,
            f"ended task {task_id}, whose worker {silence}",
            lambda: self.market.finalize(task_id, sender=self.account),
            quiet={"RoundNotOver"},
        )

    def _tend_sampled_audits(self, sampler: SampledAuditsClient, actions: list[str]) -> None:
        """Follow the tasks reopened for a re-audit; as an auditor, keep a few re-audits of each caught worker's held
        results open; as a worker, release its own held results once their hold time passed."""
        latest = self.market.chain.w3.eth.block_number
        start = sampler.first_block if self._log_block is None else self._log_block + 1
        if latest >= start:
            self._followed.update(sampler.reaudits_started(start, latest))
            if self.audit:
                self._caught.update(sampler.caught_workers(start, latest))
            self._log_block = latest
        for worker in sorted(self._caught):
            ledger = sampler.ledger_of(worker)
            if not ledger.caught or ledger.held == 0:
                self._caught.discard(worker)
            elif ledger.reauditing < REAUDITS_IN_FLIGHT:
                room = REAUDITS_IN_FLIGHT - ledger.reauditing
                self._try(
                    actions,
                    f"started re-audits of {worker}'s held results",
                    partial(sampler.reaudit, worker, room, sender=self.account),
                    quiet={"NothingToReaudit", "ReauditsInFlight"},
                )
        if not self.work:
            return
        own = sampler.ledger_of(self.address)
        if own.held and not own.caught and sampler.entry_at(self.address, own.head).final_at <= self._chain_now():
            self._try(
                actions,
                "released held results",
                lambda: sampler.release(self.address, RELEASE_BATCH, sender=self.account),
                quiet={"NothingToRelease"},
            )

    def _commit(self, task: Task, actions: list[str], *, as_worker: bool) -> None:
        limit = task.commit_deadline - self._chain_now() - COMMIT_MARGIN
        if limit <= 0:
            actions.append(f"skipped task {task.task_id}: too little time left before its commit deadline")
            return
        try:
            outcome = self.execute(task, wall_clock=limit)
        except RunInterrupted as exc:
            actions.append(f"gave up task {task.task_id}: {exc}")
            return
        output_cid = self.ipfs.add(self._publishable(task, outcome.output)) if outcome.ok else ""
        result = self.behaviour.answer(outcome.commitment_hash, as_worker=as_worker)
        answer = _Answer(result, secrets.token_bytes(32), output_cid, task.round)
        if self._try(
            actions,
            f"committed task {task.task_id}" + (" (as worker)" if as_worker else ""),
            lambda: self.market.commit(task.task_id, answer.result, answer.salt, node=self.account),
        ):
            self._answers[task.task_id] = answer

    def execute(self, task: Task, *, wall_clock: float | None = None) -> TaskOutcome:
        """Fetch ``task``'s module and input from IPFS and run them in the sandbox.

        Bytes that do not hash to what the requester posted are not the task: every honest node
        then reports INVALID_MODULE, so the requester's mistake is a decided answer, not a split vote.

        Args:
            task: The task.
            wall_clock: Seconds after which the run is stopped (None: only its fuel stops it).

        Raises:
            IpfsError: if the module or input cannot be fetched.
            RunInterrupted: if ``wall_clock`` passed first.
        """
        module = self.ipfs.cat(task.module_cid)
        data = self.ipfs.cat(task.input_cid)
        if keccak(module) != task.module_hash or keccak(data) != task.input_hash:
            return TaskOutcome(TaskStatus.INVALID_MODULE, detail="module or input bytes do not match the posted hashes")
        try:
            data = self.inputs.input_for(task, data)
        except InputRefusedError as exc:
            return TaskOutcome(TaskStatus.INVALID_MODULE, detail=f"input refused: {exc}")
        return self.sandbox.run(module, data, fuel=task.fuel, wall_clock=wall_clock)

    def fuel_rate(self) -> float:
        """Fuel per second this node runs (``speed`` if given, else measured with the sandbox and kept)."""
        if self.speed is not None:
            return self.speed
        if self._measured is None:
            self._measured = self.sandbox.fuel_rate()
        return self._measured

    def _can_finish(self, task: Task, actions: list[str]) -> bool:
        """Whether this node can run ``task`` and commit inside the window a claim gives it; says why not."""
        needed = task.fuel / self.fuel_rate() + COMMIT_MARGIN
        window = self.market.fuel_window(task.fuel)
        if needed <= window:
            return True
        self._tell(
            actions,
            f"refused task {task.task_id}: its {task.fuel:,} fuel takes about {needed:.0f} s here "
            f"with the commitment, and a worker gets {window} s",
        )
        return False

    def _stake_covers(self, task: Task, actions: list[str]) -> bool:
        """Whether this node's stake lets it claim ``task`` in a sampling market (``StakeTooLowForReward``)."""
        if self._sampling is None or int(task.gate, 16) != 0:
            return True
        minimum = self._sampling.params().min_stake(task.reward)
        if self._stake >= minimum:
            return True
        self._tell(
            actions,
            f"refused task {task.task_id}: its reward {format_units(task.reward)} ETH needs a stake of at least "
            f"{format_units(minimum)} ETH here (cheating must cost more than it pays at the lowest audit rate)",
        )
        return False

    def _auditable(self, task: Task, actions: list[str]) -> bool:
        """Whether the audit pool holds enough nodes to audit ``task`` (its requester aside): the draw sees the pool
        as it stands at the claim, so a claim now would end refunded (NO_AUDITORS) after the work was done."""
        pool = [node for node in self.market.audit_pool() if node != task.requester]
        if len(pool) >= task.auditors:
            return True
        self._tell(
            actions,
            f"waiting to claim task {task.task_id}: the audit pool holds {len(pool)} of the "
            f"{task.auditors} auditors it needs, and it is noted at the claim",
        )
        return False

    def _fast_enough(self, actions: list[str]) -> bool:
        """Whether this node runs at least the speed the market's windows assume (else it must not audit)."""
        assumed = self.market.params().fuel_rate
        if self.fuel_rate() >= assumed:
            return True
        self._tell(
            actions,
            f"not joining the audit pool: this node runs slower than the {assumed:,} fuel/s the "
            "market's deadlines assume, so it could miss them; measuring again at every step",
        )
        self._measured = None  # a busy moment is not the node's speed: look again next step
        return False

    def _warn_if_under_staked(self, record: NodeRecord, actions: list[str]) -> None:
        minimum = self.registry.params().min_stake
        if record.stake < minimum:
            self._tell(
                actions,
                f"WARNING: stake {format_units(record.stake)} ETH is below the "
                f"{format_units(minimum)} ETH minimum after a slash: this node claims no task, is "
                "not drawn and cannot join the audit pool until it tops up (`kura node top-up`); it "
                "still answers storage challenges and finishes the tasks it is in",
            )
        else:
            self._told = {line for line in self._told if not line.startswith("WARNING: stake")}

    def _tell(self, actions: list[str], line: str) -> None:
        """Report ``line`` once (until it is forgotten), not at every step."""
        if line not in self._told:
            self._told.add(line)
            actions.append(line)

    def _publishable(self, task: Task, output: bytes) -> bytes:
        """The bytes to put on IPFS: ``output`` itself, or sealed to the requester of a confidential task (or to
        the key the input provider names)."""
        key = self.inputs.output_key(task)
        if key is None and not task.confidential:
            return output
        return seal_output(
            key or self.market.requester_key(task), output, market=self.market.contract.address, task_id=task.task_id
        )

    # ---------------------------------------------------------------- helpers

    def _payers(self) -> list[PullPaymentsClient]:
        """Where this node may be owed money: the market, and in a sampling market the ledger (held rewards) and the
        registry (re-audit fees come from its repair pool)."""
        if self._sampling is None:
            return [self.market]
        return [self.market, self._sampling, self.registry]

    def _forget(self, task_id: int) -> None:
        self._followed.discard(task_id)
        self._answers.pop(task_id, None)
        if self._claimed == task_id:
            self._claimed = None

    def _chain_now(self) -> int:
        """The timestamp the next block will carry at the earliest."""
        latest = int(self.market.chain.w3.eth.get_block("latest")["timestamp"])
        return max(latest, int(self.clock()))

    def _try(
        self, actions: list[str], done: str, call: Callable[[], object], quiet: frozenset[str] | set[str] = frozenset()
    ) -> bool:
        try:
            call()
        except ContractRevertError as exc:
            if exc.error_name not in _RACES:
                raise
            if exc.error_name not in quiet:
                actions.append(f"skipped ({exc.error_name}): {done}")
            return False
        actions.append(done)
        return True
