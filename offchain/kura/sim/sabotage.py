"""Sabotage simulator: volunteers, a fraction of them saboteurs, and three defences.

A batch of ``tasks`` is computed by ``workers`` volunteers; a fraction ``f`` are
saboteurs. Workers take turns in random order each round; a turn is one result
(or one spot-check). Tasks are handed out round-robin among the undecided ones,
never twice to the same worker. The correct answer of every task is ``0``.

Strategies: ``always`` (every result wrong, each saboteur its own wrong answer),
``random`` (wrong with probability ``sabotage_rate``), ``collude`` (always
wrong, all saboteurs agree on one wrong answer), ``patient`` (honest until
trusted — ``patience`` spot-checks passed, or promoted to compute node under
``kura``; majority voting never trusts anyone — then always wrong, colluding). ``collude=True`` makes any strategy's wrong answers agree.

Mechanisms:

* ``majority`` — m-first voting: accept the first answer given ``replication`` times.
* ``credibility`` — Sarmenta: spot-checks at rate ``spot_check_rate``; a
  saboteur caught cheating is blacklisted and its results in undecided tasks
  are dropped (backtracking); a task is accepted by :func:`kura.compute.credibility.decide`.
* ``kura`` — audit-and-slash: each task goes to one compute node and to
  auditors; the auditors' credibility-weighted consensus decides the answer; a
  compute node that disagrees loses ``stake``, its reward and its role; auditors
  that agree gain a spot-check pass, others are reset
  (:func:`kura.compute.credibility.next_passed`); the best auditor past
  ``promotion_bar`` fills a free compute slot.

Payments (for attacker profit): ``majority`` and ``credibility`` pay ``reward``
to every worker in an accepted group; ``kura`` pays only the agreeing compute
node. Computing a right answer costs ``compute_cost``; a wrong one costs nothing.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np

from kura.compute.credibility import MAX_RESULTS, decide, next_passed, worker_credibility
from kura.errors import SimulationError
from kura.sim.stats import proportion_ci


class Mechanism(str, Enum):
    """How results are checked."""

    MAJORITY = "majority"
    CREDIBILITY = "credibility"
    KURA = "kura"


class Strategy(str, Enum):
    """How saboteurs cheat."""

    ALWAYS = "always"
    RANDOM = "random"
    COLLUDE = "collude"
    PATIENT = "patient"


@dataclass(frozen=True)
class SabotageConfig:
    """One sabotage experiment.

    Raises:
        SimulationError: if the parameters are impossible.
    """

    mechanism: Mechanism = Mechanism.CREDIBILITY
    strategy: Strategy = Strategy.COLLUDE
    f: float = 0.2
    sabotage_rate: float = 1.0
    collude: bool | None = None
    """Whether wrong answers agree; default: yes for ``collude`` and ``patient``."""
    workers: int = 200
    tasks: int = 10_000
    replication: int = 2
    spot_check_rate: float = 0.1
    acceptable_error: float = 1e-4
    blacklisting: bool = True
    assumed_f: float | None = None
    """The f the credibility formulas use; default: the true f."""
    auditors: int = 2
    compute_fraction: float = 0.2
    promotion_bar: int = 10
    patience: int = 10
    """``patient`` saboteurs under ``credibility`` cheat once they passed this many spot-checks."""
    reward: float = 1.0
    compute_cost: float = 0.5
    stake: float = 20.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.f <= 0.5:
            raise SimulationError(f"the saboteur fraction f must be in [0, 0.5], got {self.f}")
        if not 0.0 <= self.sabotage_rate <= 1.0 or not 0.0 <= self.spot_check_rate < 1.0:
            raise SimulationError("sabotage_rate must be in [0, 1] and spot_check_rate in [0, 1)")
        if not 0.0 < self.acceptable_error < 0.5:
            raise SimulationError(f"acceptable_error must be in (0, 1/2), got {self.acceptable_error}")
        if self.workers < 2 * MAX_RESULTS or self.tasks < 1 or not 1 <= self.replication <= MAX_RESULTS // 2:
            raise SimulationError(
                f"need at least {2 * MAX_RESULTS} workers, one task and replication in [1, {MAX_RESULTS // 2}]"
            )
        if not 1 <= self.auditors < MAX_RESULTS or not 0.0 < self.compute_fraction < 1.0:
            raise SimulationError("auditors must be in [1, 31] and compute_fraction in (0, 1)")

    @property
    def theta(self) -> float:
        """The acceptance threshold ``1 - acceptable_error``."""
        return 1.0 - self.acceptable_error

    @property
    def colluding(self) -> bool:
        """Whether saboteurs' wrong answers agree."""
        if self.collude is not None:
            return self.collude
        return self.strategy in (Strategy.COLLUDE, Strategy.PATIENT)

    @property
    def credibility_f(self) -> float:
        """The saboteur fraction the credibility formulas assume."""
        return self.f if self.assumed_f is None else self.assumed_f


@dataclass(frozen=True)
class SabotageResult:
    """What one run measured."""

    config: SabotageConfig
    wrong: int
    error_rate: float
    error_ci: tuple[float, float]
    redundancy: float
    """Worker turns (results and spot-checks) per accepted task."""
    throughput: float
    """Accepted tasks per offered worker turn (blacklisted workers' turns are lost)."""
    attacker_profit: float
    """Mean profit of one saboteur over the run (rewards - costs - slashed stake)."""
    honest_profit: float
    caught: int


class _Population:
    def __init__(self, config: SabotageConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.rng = rng
        self.saboteur = np.zeros(config.workers, dtype=bool)
        self.saboteur[rng.choice(config.workers, round(config.f * config.workers), replace=False)] = True
        self.passed = np.zeros(config.workers, dtype=np.int64)
        self.active = np.ones(config.workers, dtype=bool)
        self.compute = np.zeros(config.workers, dtype=bool)
        self.profit = np.zeros(config.workers)
        self.caught = 0

    def credibility(self, worker: int) -> float:
        config = self.config
        return worker_credibility(int(self.passed[worker]), config.credibility_f, blacklisting=config.blacklisting)

    def trusted(self, worker: int) -> bool:
        if self.config.mechanism is Mechanism.KURA:
            return bool(self.compute[worker])
        return bool(self.passed[worker] >= self.config.patience)

    def cheats(self, worker: int) -> bool:
        if not self.saboteur[worker]:
            return False
        strategy = self.config.strategy
        if strategy is Strategy.PATIENT:
            return self.trusted(worker)
        if strategy is Strategy.RANDOM:
            return bool(self.rng.random() < self.config.sabotage_rate)
        return True

    def answer(self, worker: int) -> bytes:
        if self.cheats(worker):
            return b"\x01" if self.config.colluding else (worker + 2).to_bytes(4, "big")
        self.profit[worker] -= self.config.compute_cost
        return b"\x00"


def simulate_sabotage(config: SabotageConfig) -> SabotageResult:
    """Run one sabotage experiment.

    Args:
        config: The experiment.

    Returns:
        Error rate with a 95 % interval, redundancy, throughput and profits.
    """
    rng = np.random.default_rng(config.seed)
    people = _Population(config, rng)
    if config.mechanism is Mechanism.KURA:
        decided, turns, offered = _run_kura(config, people)
    else:
        decided, turns, offered = _run_voting(config, people)
    wrong = sum(1 for answer in decided if answer != b"\x00")
    saboteurs = people.saboteur
    return SabotageResult(
        config=config,
        wrong=wrong,
        error_rate=wrong / config.tasks,
        error_ci=proportion_ci(wrong, config.tasks),
        redundancy=turns / config.tasks,
        throughput=config.tasks / offered,
        attacker_profit=float(people.profit[saboteurs].mean()) if saboteurs.any() else 0.0,
        honest_profit=float(people.profit[~saboteurs].mean()),
        caught=people.caught,
    )


def _run_voting(config: SabotageConfig, people: _Population) -> tuple[list[bytes], int, int]:
    """Majority (m-first) voting or Sarmenta's credibility-based voting."""
    credibility = config.mechanism is Mechanism.CREDIBILITY
    groups: list[dict[bytes, list[int]]] = [{} for _ in range(config.tasks)]
    decided: list[bytes | None] = [None] * config.tasks
    pending = deque(range(config.tasks))
    turns = offered = 0
    while pending:
        order = people.rng.permutation(config.workers)
        offered += config.workers
        for worker in order:
            if not pending:
                break
            if not people.active[worker]:
                continue
            turns += 1
            if credibility and people.rng.random() < config.spot_check_rate:
                _spot_check(config, people, int(worker), groups, decided)
                continue
            task = _next_task(pending, groups, int(worker))
            if task is None:
                continue
            groups[task].setdefault(people.answer(int(worker)), []).append(int(worker))
            answer = _accepts(config, people, groups[task]) if credibility else _m_first(config, groups[task])
            if answer is None:
                pending.append(task)
                continue
            decided[task] = answer
            for member in groups[task][answer]:
                people.profit[member] += config.reward
    return [answer for answer in decided if answer is not None], turns, offered


def _spot_check(
    config: SabotageConfig,
    people: _Population,
    worker: int,
    groups: list[dict[bytes, list[int]]],
    decided: list[bytes | None],
) -> None:
    passed = people.answer(worker) == b"\x00"
    people.passed[worker] = next_passed(int(people.passed[worker]), passed)
    if passed or not config.blacklisting:
        return
    people.caught += 1
    people.active[worker] = False
    for task, task_groups in enumerate(groups):
        if decided[task] is not None:
            continue
        for answer in list(task_groups):
            members = [member for member in task_groups[answer] if member != worker]
            if members:
                task_groups[answer] = members
            else:
                del task_groups[answer]


def _next_task(pending: deque[int], groups: list[dict[bytes, list[int]]], worker: int) -> int | None:
    for _ in range(min(len(pending), 8)):
        task = pending.popleft()
        if not any(worker in members for members in groups[task].values()):
            return task
        pending.append(task)
    return None


def _m_first(config: SabotageConfig, task_groups: dict[bytes, list[int]]) -> bytes | None:
    for answer, members in task_groups.items():
        if len(members) >= config.replication:
            return answer
    return None


def _accepts(config: SabotageConfig, people: _Population, task_groups: dict[bytes, list[int]]) -> bytes | None:
    if not task_groups:
        return None
    weighed = {answer: [people.credibility(m) for m in members] for answer, members in task_groups.items()}
    decision = decide(weighed, config.theta)
    if decision.answer is not None:
        return decision.answer
    if sum(len(members) for members in task_groups.values()) >= MAX_RESULTS:
        return max(decision.credibilities, key=lambda answer: decision.credibilities[answer])
    return None


def _run_kura(config: SabotageConfig, people: _Population) -> tuple[list[bytes], int, int]:
    """Audit-and-slash: one compute node per task, auditors decide, a wrong compute node is slashed."""
    rng = people.rng
    slots = max(1, round(config.compute_fraction * config.workers))
    people.compute[rng.choice(config.workers, slots, replace=False)] = True
    decided: list[bytes] = []
    turns = 0
    for _ in range(config.tasks):
        computer = int(rng.choice(np.flatnonzero(people.compute)))
        claimed = people.answer(computer)
        pool = rng.permutation(np.flatnonzero(~people.compute))
        task_groups: dict[bytes, list[int]] = {}
        answer = None
        used = 0
        for auditor in pool[: MAX_RESULTS - 1]:
            task_groups.setdefault(people.answer(int(auditor)), []).append(int(auditor))
            used += 1
            if used >= config.auditors:
                answer = _accepts(config, people, task_groups)
                if answer is not None:
                    break
        if answer is None:
            answer = max(task_groups, key=lambda key: len(task_groups[key]))
        turns += 1 + used
        decided.append(answer)
        for group, members in task_groups.items():
            for member in members:
                people.passed[member] = next_passed(int(people.passed[member]), group == answer)
        if claimed == answer:
            people.profit[computer] += config.reward
        else:
            people.caught += 1
            people.profit[computer] -= config.stake
            people.compute[computer] = False
            people.passed[computer] = 0
            _promote(config, people)
    return decided, turns, turns


def _promote(config: SabotageConfig, people: _Population) -> None:
    candidates = np.flatnonzero(~people.compute & (people.passed >= config.promotion_bar))
    if len(candidates):
        people.compute[candidates[np.argmax(people.passed[candidates])]] = True
    else:
        people.compute[people.rng.choice(np.flatnonzero(~people.compute))] = True


def majority_error(f: float, replication: int) -> float:
    """Sarmenta's error rate of m-first voting with colluding saboteurs (s = 1).

    The first ``m`` matching answers among ``2m - 1`` draws decide, so the wrong
    answer wins when at least ``m`` of ``2m - 1`` workers are saboteurs.
    """
    m = replication
    return sum(math.comb(2 * m - 1, j) * f**j * (1 - f) ** (2 * m - 1 - j) for j in range(m, 2 * m))


def majority_redundancy(f: float, replication: int) -> float:
    """Expected results per task of m-first voting with colluding saboteurs (s = 1).

    The race ends at draw ``m + j`` when one side gets its m-th vote while the
    other has ``j < m``: ``sum_j (m + j) C(m - 1 + j, j) [(1-f)^m f^j + f^m (1-f)^j]``.
    """
    m = replication
    return sum(
        (m + j) * math.comb(m - 1 + j, j) * ((1 - f) ** m * f**j + f**m * (1 - f) ** j) for j in range(m)
    )
