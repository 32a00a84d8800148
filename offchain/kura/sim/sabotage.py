"""Sabotage simulator: volunteers, a fraction of them saboteurs, and five defences.

A batch of ``tasks`` is computed by ``workers`` volunteers in each of
``replicas`` independent populations; a fraction ``f`` are saboteurs. The
correct answer of every task is ``0``. What the mechanisms and strategies are:
:class:`~kura.sim.sabotage_config.Mechanism`, :class:`~kura.sim.sabotage_config.Strategy`.

Two engines:

* the voting mechanisms (``majority``, ``credibility``) run here, one replica
  after another: workers take turns in random order each round; a turn is one
  result (or one spot-check); tasks are handed out round-robin among the
  undecided ones, never twice to the same worker. ``credibility`` blacklists a
  caught saboteur and drops its results from undecided tasks (backtracking);
  a task is accepted by :func:`kura.compute.credibility.decide`;
* the audit-market mechanisms (``kura``, ``sampled``, ``boinc``) run in
  :mod:`kura.sim.market`, all replicas at once as numpy arrays.

``patient`` saboteurs are honest until trusted: under ``credibility`` once they
passed ``patience`` spot-checks; under ``kura`` and ``sampled`` an auditor once
it passed ``patience`` checks and a compute node once it holds the slot
(``kura``) or its audit probability reached the floor (``sampled``); under
``boinc`` once the host is trusted. Majority voting never trusts anyone.

Payments (for attacker profit): ``majority``, ``credibility`` and ``boinc`` pay
``reward`` to every valid (accepted-group) result; ``kura`` and ``sampled`` pay
the compute node that gave the accepted answer (or, un-audited, whose result
was not re-audited wrong) and ``audit_fee`` to agreeing auditors, and slash
``stake`` from a caught compute node. Computing a right answer costs
``compute_cost``; a wrong one costs nothing.

The error interval is exact (Clopper–Pearson) for independent tasks and is
widened by the replicas' design effect when errors cluster within replicas
(:func:`kura.sim.stats.clustered_proportion_ci`).

The rules the contracts must implement, with the constants the report uses
and the argument for them, are in ``docs/trust-layer.md``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kura.compute.credibility import MAX_RESULTS, decide, next_passed, worker_credibility
from kura.sim.market import run_market
from kura.sim.sabotage_config import ENGINE_MECHANISMS, Mechanism, SabotageConfig, Strategy
from kura.sim.stats import clustered_proportion_ci

__all__ = [
    "Mechanism",
    "SabotageConfig",
    "SabotageResult",
    "Strategy",
    "majority_error",
    "majority_redundancy",
    "simulate_sabotage",
]


@dataclass(frozen=True)
class SabotageResult:
    """What one run measured."""

    config: SabotageConfig
    wrong: int
    """Tasks whose final result is wrong."""
    error_rate: float
    error_ci: tuple[float, float]
    """95 % interval of the error rate (clustered by replica)."""
    redundancy: float
    """Work ratio: executions of the task program (results, spot-checks, audits, re-audits) per task."""
    throughput: float
    """Accepted tasks per offered worker turn (voting: blacklisted workers' turns are lost; else 1 / redundancy)."""
    attacker_profit: float
    """Mean profit of one saboteur over the run (rewards + fees - costs - slashed stake - forfeits)."""
    attacker_profit_se: float | None
    """Standard error of :attr:`attacker_profit` over the replicas (``None`` with one replica or no saboteur)."""
    honest_profit: float
    caught: int
    """Saboteurs caught: blacklisted (``credibility``), slashed compute nodes, invalid BOINC hosts."""
    undecided: int = 0
    """Tasks that ended with no accepted answer (refunded)."""
    reaudits: int = 0
    """``sampled``: provisional results re-audited because their node was caught."""
    corrected: int = 0
    """``sampled``: wrong provisional results those re-audits corrected."""
    forcer_votes: int = 0
    """Saboteurs' results in undecided tasks (their attempts to force a refund)."""
    forcers_failed: int = 0
    """Of those, results judged wrong anyway (their authors reset to 0 passed checks)."""
    honest_votes_undecided: int = 0
    honest_failed_undecided: int = 0
    forcing_workers: int = 0
    """Undecided tasks whose compute node had cheated (it tried to escape by forcing a refund)."""
    forcing_workers_caught: int = 0
    """Of those, compute nodes slashed (answer credibility <= 1 - theta) or demoted (<= 1/2) anyway."""
    steady_redundancy: float | None = None
    """Engine mechanisms: the work ratio over the second half of each replica's tasks (after warm-up)."""
    steady_wrong: int | None = None
    """Engine mechanisms: wrong results in the second half of each replica's tasks."""
    runtime_seconds: float = 0.0


class _Population:
    def __init__(self, config: SabotageConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.rng = rng
        self.saboteur = np.zeros(config.workers, dtype=bool)
        self.saboteur[rng.choice(config.workers, round(config.f * config.workers), replace=False)] = True
        self.passed = np.zeros(config.workers, dtype=np.int64)
        self.active = np.ones(config.workers, dtype=bool)
        self.profit = np.zeros(config.workers)
        self.caught = 0

    def credibility(self, worker: int) -> float:
        config = self.config
        return worker_credibility(
            int(self.passed[worker]), config.credibility_f, blacklisting=config.uses_blacklisting_bound
        )

    def trusted(self, worker: int) -> bool:
        return self.config.mechanism is Mechanism.CREDIBILITY and bool(self.passed[worker] >= self.config.trust_bar)

    def cheats(self, worker: int) -> bool:
        if not self.saboteur[worker]:
            return False
        strategy = self.config.strategy
        if strategy is Strategy.HONEST:
            return False
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
        Error rate with a 95 % interval, work ratio, throughput, profits and the
        counts behind them.
    """
    started = time.perf_counter()
    if config.mechanism in ENGINE_MECHANISMS:
        market = run_market(config)
        saboteurs, profit = market.saboteur, market.profit
        late_tasks = config.replicas * (config.tasks_per_replica - config.tasks_per_replica // 2)
        return SabotageResult(
            config=config,
            wrong=int(market.wrong.sum()),
            error_rate=float(market.wrong.sum()) / config.tasks,
            error_ci=clustered_proportion_ci(market.wrong, config.tasks_per_replica),
            redundancy=market.runs / config.tasks,
            throughput=config.tasks / market.runs,
            attacker_profit=float(profit[saboteurs].mean()) if saboteurs.any() else 0.0,
            attacker_profit_se=_standard_error(profit, saboteurs),
            honest_profit=float(profit[~saboteurs].mean()),
            caught=market.caught,
            undecided=market.undecided,
            reaudits=market.reaudits,
            corrected=market.corrected,
            forcer_votes=market.forcer_votes,
            forcers_failed=market.forcers_failed,
            honest_votes_undecided=market.honest_votes_undecided,
            honest_failed_undecided=market.honest_failed_undecided,
            forcing_workers=market.forcing_workers,
            forcing_workers_caught=market.forcing_workers_caught,
            steady_redundancy=market.late_runs / late_tasks,
            steady_wrong=int(market.late_wrong.sum()),
            runtime_seconds=time.perf_counter() - started,
        )
    wrong, turns, offered, caught = [], 0, 0, 0
    profits, saboteur = [], []
    for seed in np.random.SeedSequence(config.seed).spawn(config.replicas) if config.replicas > 1 else [config.seed]:
        people = _Population(config, np.random.default_rng(seed))
        decided, used, lost = _run_voting(config, people)
        wrong.append(sum(1 for answer in decided if answer != b"\x00"))
        turns, offered, caught = turns + used, offered + lost, caught + people.caught
        profits.append(people.profit)
        saboteur.append(people.saboteur)
    profit, saboteurs = np.stack(profits), np.stack(saboteur)
    return SabotageResult(
        config=config,
        wrong=sum(wrong),
        error_rate=sum(wrong) / config.tasks,
        error_ci=clustered_proportion_ci(np.array(wrong), config.tasks_per_replica),
        redundancy=turns / config.tasks,
        throughput=config.tasks / offered,
        attacker_profit=float(profit[saboteurs].mean()) if saboteurs.any() else 0.0,
        attacker_profit_se=_standard_error(profit, saboteurs),
        honest_profit=float(profit[~saboteurs].mean()),
        caught=caught,
        runtime_seconds=time.perf_counter() - started,
    )


def _standard_error(profit: NDArray[np.float64], saboteur: NDArray[np.bool_]) -> float | None:
    """Standard error over replicas (rows) of the saboteurs' mean profit; ``None`` if it cannot be estimated."""
    if profit.shape[0] < 2 or not saboteur.any(axis=1).all():
        return None
    means = (profit * saboteur).sum(axis=1) / saboteur.sum(axis=1)
    return float(means.std(ddof=1) / math.sqrt(means.size))


def _run_voting(config: SabotageConfig, people: _Population) -> tuple[list[bytes], int, int]:
    """Majority (m-first) voting or Sarmenta's credibility-based voting, one replica.

    Returns:
        The decided answers, the turns taken and the turns offered.
    """
    credibility = config.mechanism is Mechanism.CREDIBILITY
    tasks = config.tasks_per_replica
    groups: list[dict[bytes, list[int]]] = [{} for _ in range(tasks)]
    decided: list[bytes | None] = [None] * tasks
    pending = deque(range(tasks))
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
    if passed or not config.uses_blacklisting_bound:
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
    return sum((m + j) * math.comb(m - 1 + j, j) * ((1 - f) ** m * f**j + f**m * (1 - f) ** j) for j in range(m))
