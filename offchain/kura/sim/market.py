"""The audit market, vectorised: ``kura`` (audit every task), ``sampled`` (audit a credibility-adapted sample)
and ``boinc``.

Many independent *replicas* (populations of ``workers``) run side by side as
rows of numpy arrays; every step gives each replica one *job*: a new task, or
(``sampled``) the re-audit of a provisional result of a node caught cheating.
Within a step the jobs touch different replicas, so every state update is one
fancy-indexed assignment. The correct answer of every task is ``0``.

One task, ``kura`` and ``sampled``:

1. A compute node (a random filled slot) computes it — or cheats, by strategy.
2. ``kura`` audits every task; ``sampled`` audits it with probability
   ``q(record)`` (:func:`kura.compute.sampling.audit_probability`), drawn after
   the answer is fixed. An un-audited result is accepted on the node's word and
   stays *provisional* until its node has run ``challenge_window`` more tasks,
   its reward held.
3. An audit draws ``auditors`` auditors per round from the non-compute nodes,
   up to ``rounds`` rounds, until a group's credibility
   (:func:`kura.compute.credibility.group_credibilities_batch`, weights
   ``1 - f/k``) reaches ``theta``. The compute node's answer does not vote.
4. Judging: an accepted answer passes its auditors (``k += 1``, audit fee) and
   fails the others (``k = 0``). An undecided task (refunded) passes nobody,
   fails every auditor whose group is no more likely right than wrong
   (credibility at most 1/2: :func:`kura.compute.credibility.rejected` with
   ``theta = 1/2``) — a forcer who blocks a more credible group pays with its
   record. Its compute node is *caught* if its answer's credibility is at most
   ``1 - theta`` (the acceptance standard, since a catch costs money) and
   *demoted* (role, record and passed checks lost, its provisional results
   re-audited, no slash) if it is at most 1/2. Otherwise the compute node is
   paid (``sampled``: its record grows) if it gave the accepted answer and
   caught if it gave another.
5. A caught node loses ``stake``, its role and its passed checks and record
   (back to the auditor pool at ``k = 0``). Under ``sampled`` it also forfeits
   every provisional reward (a demoted one only those re-audited wrong), and
   its provisional results are re-audited (by the
   same consensus) newest first, until ``clean_run`` in a row confirm the node
   (or all of them, if ``clean_run`` is 0): a wrong one is corrected.
6. A free slot goes to an auditor with at least ``promotion_bar`` passed
   checks: to a saboteur if one qualifies (attackers race for ``promote``),
   else to the honest one with the most.

``boinc``: every host computes; a task goes to a random host and is replicated
(one more host at a time, m-first with quorum 2) unless the host is trusted
(``trust_after`` consecutive valid results) and a ``1 - replicate_rate`` coin
says no. Valid results earn the reward and ``+1``; invalid ones reset the count.

Error: a task whose final result is wrong. Only the first ``tasks /
replicas`` tasks of each replica count; after them, ``sampled`` *drains*: every
compute node still holding a wrong provisional result of a counted task keeps
running tasks until its window closes or it is caught, so a counted result is
judged final or corrected exactly as it would be in a market that goes on.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kura.compute.credibility import MAX_RESULTS, group_credibilities_batch, worker_credibility_batch
from kura.compute.sampling import audit_probability_batch
from kura.sim.sabotage_config import Mechanism, SabotageConfig, Strategy

Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]
Floats = NDArray[np.float64]

_RIGHT, _WRONG, _UNDECIDED = 0, 1, 2
_DOUBT = 0.5
"""An undecided task fails the auditors whose group's credibility is at most this."""
_CHUNK = 32
"""Tasks a replica may run in one step under ``sampled`` and ``boinc`` (all but the last un-audited)."""
_RACE = 2**40
"""Added to a saboteur's promotion score: attackers are always first to a free slot."""


@dataclass(frozen=True)
class MarketRun:
    """What one engine run measured (raw counts; :mod:`kura.sim.sabotage` turns them into rates).

    Attributes:
        wrong: Wrong final results per replica.
        late_wrong: Wrong final results per replica in the second half of its tasks (after warm-up).
        undecided: Tasks that ended with no accepted answer.
        tasks: Tasks run.
        runs: Executions of task programs (compute nodes, auditors, replicas, re-audits).
        late_runs: Of those, the ones spent on the second half of each replica's tasks.
        profit: Profit per worker, shape ``(replicas, workers)``.
        saboteur: Which workers are saboteurs, same shape.
        caught: Compute nodes (``boinc``: hosts) caught with a wrong answer.
        reaudits: Provisional results re-audited after their node was caught.
        corrected: Wrong provisional results the re-audits corrected.
        forcer_votes: Saboteurs' results in tasks that ended undecided.
        forcers_failed: Of those, results judged wrong (reset to ``k = 0``).
        honest_votes_undecided: Honest auditors' results in tasks that ended undecided.
        honest_failed_undecided: Of those, results judged wrong.
        forcing_workers: Undecided tasks whose compute node had cheated.
        forcing_workers_caught: Of those, compute nodes slashed or demoted anyway.
    """

    wrong: Ints
    late_wrong: Ints
    undecided: int
    tasks: int
    runs: int
    late_runs: int
    profit: Floats
    saboteur: Bools
    caught: int
    reaudits: int
    corrected: int
    forcer_votes: int
    forcers_failed: int
    honest_votes_undecided: int
    honest_failed_undecided: int
    forcing_workers: int
    forcing_workers_caught: int


@dataclass
class _Jobs:
    """One step's jobs that need auditors: replica, task, the node whose answer is checked, that answer."""

    rep: Ints
    task: Ints
    primary: Ints
    answer: Ints


@dataclass
class _Verdict:
    """The outcome of auditing jobs: accepted answer (``-1`` if undecided), the checked answer's credibility
    (1 when decided), and how many other nodes ran the task."""

    accepted: Ints
    decided: Bools
    checked_credibility: Floats
    used: Ints


def run_market(config: SabotageConfig) -> MarketRun:
    """Run a ``kura``, ``sampled`` or ``boinc`` experiment.

    Args:
        config: The experiment; ``config.mechanism`` must be one of the three.

    Returns:
        The raw counts.
    """
    return _Market(config).run()


class _Market:
    def __init__(self, config: SabotageConfig) -> None:
        self.c = config
        self.rng = np.random.default_rng(config.seed)
        reps, n = config.replicas, config.workers
        self.reps, self.horizon = reps, config.tasks_per_replica
        self.boinc = config.mechanism is Mechanism.BOINC
        self.sampled = config.mechanism is Mechanism.SAMPLED
        self.trust_bar = config.trust_after if self.boinc else config.trust_bar
        self.chunk = 1 if config.mechanism is Mechanism.KURA else _CHUNK
        rows = np.arange(reps)[:, None]
        self.sab = np.zeros((reps, n), dtype=bool)
        bad = round(config.f * n)
        self.sab[rows, np.argsort(self.rng.random((reps, n)), axis=1)[:, :bad]] = True
        self.passed = np.zeros((reps, n), dtype=np.int64)
        self.record = np.zeros((reps, n), dtype=np.int64)
        self.profit = np.zeros((reps, n))
        self.compute = np.zeros((reps, n), dtype=bool)
        slots = 0 if self.boinc else config.compute_slots
        self.slots = np.full((reps, max(slots, 1)), -1, dtype=np.int64)
        self.filled = np.zeros(reps, dtype=np.int64)
        self.slot_of = np.full((reps, n), -1, dtype=np.int64)
        self.pool = np.tile(np.arange(n, dtype=np.int64), (reps, 1))
        self.pool_n = np.full(reps, n, dtype=np.int64)
        self.pool_of = np.tile(np.arange(n, dtype=np.int64), (reps, 1))
        if slots:
            first = np.argsort(self.rng.random((reps, n)), axis=1)[:, :slots]
            for replica in range(reps):
                for node in first[replica]:
                    self._promote(replica, int(node))
        self.node_hist = np.zeros((reps, self.horizon), dtype=np.int32)
        self.audited_hist = np.zeros((reps, self.horizon), dtype=bool)
        self.outcome = np.zeros((reps, self.horizon), dtype=np.int8)
        self.cost = np.zeros((reps, self.horizon), dtype=np.int32)
        self.t = np.zeros(reps, dtype=np.int64)
        self.end = np.full(reps, self.horizon, dtype=np.int64)
        self.queues: list[deque[tuple[int, int]]] = [deque() for _ in range(reps)]
        """Per replica: (task, catch) pairs still to re-audit, newest first within a catch."""
        self.queued = np.zeros(reps, dtype=np.int64)
        self.clean: dict[int, int] = {}
        """Per open catch: provisional results confirmed in a row by re-audits so far."""
        self.forfeited: dict[int, bool] = {}
        """Per catch: whether every provisional reward was taken at once (slash) or only wrong ones (demotion)."""
        self.catches = 0
        self.caught = self.reaudits = self.corrected = 0
        self.forcer_votes = self.forcers_failed = self.honest_votes_undecided = self.honest_failed_undecided = 0
        self.forcing_workers = self.forcing_workers_caught = 0

    # ------------------------------------------------------------------ the run

    def run(self) -> MarketRun:
        while True:
            redo = self.queued > 0
            new = ~redo & (self.t < self.horizon)
            if not redo.any() and not new.any():
                break
            if redo.any():
                self._reaudit(np.flatnonzero(redo))
            if new.any():
                self._new_tasks(np.flatnonzero(new))
            if not self.boinc:
                self._fill_slots()
        if self.sampled and self.c.challenge_window:
            self._drain()
        counted, late = slice(0, self.horizon), slice(self.horizon // 2, self.horizon)
        wrong = self.outcome[:, counted] == _WRONG
        return MarketRun(
            wrong=wrong.sum(axis=1).astype(np.int64),
            late_wrong=(self.outcome[:, late] == _WRONG).sum(axis=1).astype(np.int64),
            undecided=int((self.outcome[:, counted] == _UNDECIDED).sum()),
            tasks=self.c.tasks,
            runs=int(self.cost[:, counted].sum()),
            late_runs=int(self.cost[:, late].sum()),
            profit=self.profit,
            saboteur=self.sab,
            caught=self.caught,
            reaudits=self.reaudits,
            corrected=self.corrected,
            forcer_votes=self.forcer_votes,
            forcers_failed=self.forcers_failed,
            honest_votes_undecided=self.honest_votes_undecided,
            honest_failed_undecided=self.honest_failed_undecided,
            forcing_workers=self.forcing_workers,
            forcing_workers_caught=self.forcing_workers_caught,
        )

    def _drain(self) -> None:
        """Run every compute node holding a wrong provisional counted result until its window closes or it is caught."""
        counted = slice(0, self.horizon)
        waiting: list[deque[int]] = []
        for replica in range(self.reps):
            provisional = (self.outcome[replica, counted] == _WRONG) & ~self.audited_hist[replica, counted]
            nodes = np.unique(self.node_hist[replica, counted][provisional]).tolist()
            waiting.append(deque(node for node in nodes if self.compute[replica, node]))
        current = np.full(self.reps, -1, dtype=np.int64)
        left = np.zeros(self.reps, dtype=np.int64)
        while True:
            for replica in np.flatnonzero((left <= 0) & (self.queued == 0)).tolist():
                if waiting[replica]:
                    current[replica], left[replica] = waiting[replica].popleft(), self.c.challenge_window
            redo = self.queued > 0
            active = np.flatnonzero(~redo & (left > 0))
            if not redo.any() and not active.size:
                return
            if redo.any():
                self._reaudit(np.flatnonzero(redo))
            if active.size:
                self.end[active] = self.t[active] + left[active]
                self._reserve(int(self.end.max()))
                before = self.t[active].copy()
                self._new_tasks(active, current[active])
                left[active] -= self.t[active] - before
                left[active[~self.compute[active, current[active]]]] = 0
            self._fill_slots()

    def _reserve(self, size: int) -> None:
        """Grow the per-task history to hold at least ``size`` tasks per replica."""
        have = self.outcome.shape[1]
        if size <= have:
            return
        extra = max(size, 2 * have) - have
        self.node_hist, self.audited_hist, self.outcome, self.cost = (
            np.concatenate([array, np.zeros((self.reps, extra), dtype=array.dtype)], axis=1)
            for array in (self.node_hist, self.audited_hist, self.outcome, self.cost)
        )

    def _new_tasks(self, rep: Ints, node: Ints | None = None) -> None:
        """Each replica runs its next tasks up to and including the first audited one (at most ``chunk``).

        The tasks go to random compute nodes (``boinc``: hosts), or all to ``node`` (one per replica) when given.
        """
        c, rng = self.c, self.rng
        if node is None and not self.boinc:
            rep = rep[self.filled[rep] > 0]
        columns = np.arange(self.chunk)
        left = self.end[rep] - self.t[rep]
        rows = rep[:, None].repeat(self.chunk, axis=1)
        if node is not None:
            primary = node[:, None].repeat(self.chunk, axis=1)
        elif self.boinc:
            primary = self.pool[rows, (rng.random(rows.shape) * self.pool_n[rep][:, None]).astype(np.int64)]
        else:
            primary = self.slots[rows, (rng.random(rows.shape) * self.filled[rep][:, None]).astype(np.int64)]
        if self.boinc:
            trusted = self.passed[rows, primary] >= c.trust_after
            audited = ~trusted | (rng.random(rows.shape) < c.replicate_rate)
        else:
            if self.sampled:
                records = self.record[rows, primary]
                trusted = records >= c.floor_record
                audited = rng.random(rows.shape) < audit_probability_batch(records, c.q_min, c.full_record, c.half_life)
            else:
                trusted = audited = np.ones(rows.shape, dtype=bool)
        audited &= columns[None, :] < left[:, None]
        checked = audited.any(axis=1)
        stop = np.where(checked, audited.argmax(axis=1), left)
        run = columns[None, :] < np.minimum(stop + checked, left)[:, None]
        cheat = self._cheats(rows, primary, trusted) & run
        task = self.t[rep][:, None] + columns[None, :]
        at, node, lied = rows[run], primary[run], cheat[run]
        self.node_hist[at, task[run]] = node
        self.audited_hist[at, task[run]] = audited[run]
        self.outcome[at, task[run]] = np.where(lied, _WRONG, _RIGHT)
        self.cost[at, task[run]] = 1
        np.add.at(self.profit, (at, node), np.where(audited[run], 0.0, c.reward) - c.compute_cost * ~lied)
        self.t[rep] += run.sum(axis=1)
        if checked.any():
            job = np.flatnonzero(checked)
            column = stop[job]
            lied_here = cheat[job, column]
            checked_node = primary[job, column]
            jobs = _Jobs(
                rep[job], task[job, column], checked_node, np.where(lied_here, self._wrong_answer(checked_node), 0)
            )
            verdict = self._quorum(jobs) if self.boinc else self._consensus(jobs)
            self.outcome[jobs.rep, jobs.task] = _outcome(verdict)
            self.cost[jobs.rep, jobs.task] += verdict.used
            if not self.boinc:
                self._judge_compute(jobs, verdict)

    def _reaudit(self, rep: Ints) -> None:
        """Re-audit one queued provisional result per replica; stop a catch's queue once it is confirmed clean."""
        entries = [self.queues[replica].popleft() for replica in rep.tolist()]
        self.queued[rep] -= 1
        tasks = np.array([task for task, _ in entries], dtype=np.int64)
        primary = self.node_hist[rep, tasks].astype(np.int64)
        wrong = self.outcome[rep, tasks] == _WRONG
        jobs = _Jobs(rep, tasks, primary, np.where(wrong, self._wrong_answer(primary), 0))
        verdict = self._consensus(jobs)
        outcome = _outcome(verdict)
        self.outcome[rep, tasks] = outcome
        self.cost[rep, tasks] += verdict.used
        self.reaudits += rep.size
        self.corrected += int((wrong & (outcome != _WRONG)).sum())
        confirmed = (verdict.decided & (verdict.accepted == jobs.answer)).tolist()
        for replica, (task, catch), ok in zip(rep.tolist(), entries, confirmed, strict=True):
            if not ok and not self.forfeited[catch]:
                self.profit[replica, self.node_hist[replica, task]] -= self.c.reward
            if not self.c.clean_run:
                continue
            self.clean[catch] = self.clean[catch] + 1 if ok else 0
            if self.clean[catch] < self.c.clean_run:
                continue
            queue = self.queues[replica]
            while queue and queue[0][1] == catch:
                queue.popleft()
                self.queued[replica] -= 1

    # ------------------------------------------------------------------ behaviour

    def _cheats(self, rep: Ints, node: Ints, trusted: Bools) -> Bools:
        saboteur = self.sab[rep, node]
        strategy = self.c.strategy
        if strategy is Strategy.HONEST:
            return np.zeros(node.shape, dtype=bool)
        if strategy is Strategy.PATIENT:
            return saboteur & trusted
        if strategy is Strategy.RANDOM:
            return saboteur & (self.rng.random(node.shape) < self.c.sabotage_rate)
        return saboteur

    def _wrong_answer(self, node: Ints) -> Ints:
        return np.ones_like(node) if self.c.colluding else node + 2

    # ------------------------------------------------------------------ auditing

    def _draw(self, rep: Ints, taken: Ints, count: int) -> Ints:
        """``count`` distinct nodes per job from its replica's pool, none of ``taken`` (shape ``(jobs, k)``)."""
        pool_n = self.pool_n[rep][:, None]
        out = self.pool[rep[:, None], (self.rng.random((rep.size, count)) * pool_n).astype(np.int64)]
        for column in range(count):
            seen = np.concatenate([taken, out[:, :column]], axis=1)
            todo = np.flatnonzero((out[:, column, None] == seen).any(axis=1))
            while todo.size:
                r = rep[todo]
                out[todo, column] = self.pool[r, (self.rng.random(todo.size) * self.pool_n[r]).astype(np.int64)]
                todo = todo[(out[todo, column, None] == seen[todo]).any(axis=1)]
        return out

    def _votes(self, rep: Ints, voters: Ints) -> Ints:
        """Answers of freshly drawn ``voters`` (shape ``(jobs, k)``); honest ones pay the compute cost."""
        rows = rep[:, None].repeat(voters.shape[1], axis=1)
        cheat = self._cheats(rows, voters, self.passed[rows, voters] >= self.trust_bar)
        self.profit[rows, voters] -= self.c.compute_cost * ~cheat
        return np.where(cheat, self._wrong_answer(voters), 0)

    def _consensus(self, jobs: _Jobs) -> _Verdict:
        """Credibility consensus of auditors drawn round by round (the checked answer does not vote).

        The live jobs' votes are kept compact (one row per job still open), so a
        round costs in proportion to the jobs it still has; a job is settled in
        the round it is decided, or after the last round.
        """
        c = self.c
        verdict = _Verdict(
            np.full(jobs.rep.size, -1, dtype=np.int64),
            np.zeros(jobs.rep.size, dtype=bool),
            np.ones(jobs.rep.size),
            np.zeros(jobs.rep.size, dtype=np.int64),
        )
        index = np.arange(jobs.rep.size)
        rep, primary, checked = jobs.rep, jobs.primary, jobs.answer
        voters = np.empty((rep.size, 0), dtype=np.int64)
        answers = np.empty((rep.size, 0), dtype=np.int64)
        weights = np.empty((rep.size, 0))
        for round_ in range(c.rounds):
            drawn = self._draw(rep, np.concatenate([primary[:, None], voters], axis=1), c.auditors)
            voters = np.concatenate([voters, drawn], axis=1)
            answers = np.concatenate([answers, self._votes(rep, drawn)], axis=1)
            credibility = worker_credibility_batch(
                self.passed[rep[:, None], drawn], c.credibility_f, blacklisting=c.uses_blacklisting_bound
            )
            weights = np.concatenate([weights, credibility], axis=1)
            per_vote, none = group_credibilities_batch(answers, weights)
            best = per_vote.argmax(axis=1)
            done = per_vote[np.arange(rep.size), best] >= c.theta
            settle = done | (round_ == c.rounds - 1)
            if settle.any():
                accepted = np.where(done, answers[np.arange(rep.size), best], -1)[settle]
                weight = self._settle(
                    rep[settle],
                    voters[settle],
                    answers[settle],
                    per_vote[settle],
                    none[settle],
                    accepted,
                    checked[settle],
                )
                verdict.accepted[index[settle]] = accepted
                verdict.decided[index[settle]] = accepted >= 0
                verdict.checked_credibility[index[settle]] = weight
                verdict.used[index[settle]] = voters.shape[1]
            keep = ~settle
            if not keep.any():
                break
            index, rep, primary, checked = index[keep], rep[keep], primary[keep], checked[keep]
            voters, answers, weights = voters[keep], answers[keep], weights[keep]
        return verdict

    def _settle(
        self, rep: Ints, voters: Ints, answers: Ints, per_vote: Floats, none: Floats, accepted: Ints, checked: Ints
    ) -> Floats:
        """Judge the auditors of settled jobs; return each checked answer's credibility (1 if decided)."""
        c = self.c
        decided = accepted >= 0
        agree = decided[:, None] & (answers == accepted[:, None])
        fail = np.where(decided[:, None], ~agree, per_vote <= _DOUBT)
        rows = rep[:, None].repeat(voters.shape[1], axis=1)
        self.passed[rows[agree], voters[agree]] += 1
        self.profit[rows[agree], voters[agree]] += c.audit_fee
        self.passed[rows[fail], voters[fail]] = 0
        if decided.all():
            return np.ones(rep.size)
        open_ = ~decided[:, None].repeat(voters.shape[1], axis=1)
        saboteur = self.sab[rows, voters]
        self.forcer_votes += int((open_ & saboteur).sum())
        self.forcers_failed += int((open_ & saboteur & fail).sum())
        self.honest_votes_undecided += int((open_ & ~saboteur).sum())
        self.honest_failed_undecided += int((open_ & ~saboteur & fail).sum())
        same = answers == checked[:, None]
        weight = np.where(same.any(axis=1), per_vote[np.arange(rep.size), same.argmax(axis=1)], none)
        return np.where(decided, 1.0, weight)

    def _quorum(self, jobs: _Jobs) -> _Verdict:
        """BOINC validation: replicas one at a time until two results agree (the host's result counts)."""
        c = self.c
        size = jobs.rep.size
        voters = np.full((size, MAX_RESULTS), -1, dtype=np.int64)
        answers = np.zeros((size, MAX_RESULTS), dtype=np.int64)
        voters[:, 0], answers[:, 0] = jobs.primary, jobs.answer
        accepted = np.full(size, -1, dtype=np.int64)
        used = np.ones(size, dtype=np.int64)
        live = np.arange(size)
        for column in range(1, MAX_RESULTS):
            rep = jobs.rep[live]
            drawn = self._draw(rep, voters[live, :column], 1)
            voters[live, column] = drawn[:, 0]
            answer = self._votes(rep, drawn)[:, 0]
            answers[live, column] = answer
            used[live] = column + 1
            done = (answers[live, :column] == answer[:, None]).any(axis=1)
            accepted[live[done]] = answer[done]
            live = live[~done]
            if not live.size:
                break
        decided = accepted >= 0
        in_use = np.arange(MAX_RESULTS)[None, :] < used[:, None]
        valid = in_use & decided[:, None] & (answers == accepted[:, None])
        rows = jobs.rep[:, None].repeat(MAX_RESULTS, axis=1)
        self.passed[rows[valid], voters[valid]] += 1
        self.profit[rows[valid], voters[valid]] += c.reward
        invalid = in_use & decided[:, None] & ~valid
        self.passed[rows[invalid], voters[invalid]] = 0
        self.caught += int(invalid[:, 0].sum())
        return _Verdict(accepted, decided, np.ones(size), used - 1)

    # ------------------------------------------------------------------ compute nodes

    def _judge_compute(self, jobs: _Jobs, verdict: _Verdict) -> None:
        c = self.c
        paid = verdict.decided & (jobs.answer == verdict.accepted)
        self.profit[jobs.rep[paid], jobs.primary[paid]] += c.reward
        self.record[jobs.rep[paid], jobs.primary[paid]] += 1
        weight = verdict.checked_credibility
        caught = (verdict.decided & ~paid) | (weight <= 1.0 - c.theta)
        demoted = ~caught & (weight <= _DOUBT)
        forcing = ~verdict.decided & (jobs.answer != 0)
        self.forcing_workers += int(forcing.sum())
        self.forcing_workers_caught += int((forcing & (caught | demoted)).sum())
        for replica, node in zip(jobs.rep[caught].tolist(), jobs.primary[caught].tolist(), strict=True):
            self._catch(replica, node, slash=True)
        for replica, node in zip(jobs.rep[demoted].tolist(), jobs.primary[demoted].tolist(), strict=True):
            self._catch(replica, node, slash=False)

    def _catch(self, replica: int, node: int, *, slash: bool) -> None:
        """Demote ``node``; if ``slash``, also take its stake and every provisional reward; queue its re-audits."""
        c = self.c
        if slash:
            self.caught += 1
            self.profit[replica, node] -= c.stake
        self.passed[replica, node] = 0
        self.record[replica, node] = 0
        self._demote(replica, node)
        if not self.sampled:
            return
        if not c.challenge_window:
            return
        now = int(self.t[replica]) - 1
        tasks = np.flatnonzero(self.node_hist[replica, :now] == node)[-c.challenge_window :]
        tasks = tasks[~self.audited_hist[replica, tasks]]
        self.audited_hist[replica, tasks] = True
        if slash:
            self.profit[replica, node] -= c.reward * tasks.size
        self.catches += 1
        self.clean[self.catches] = 0
        self.forfeited[self.catches] = slash
        self.queues[replica].extend((task, self.catches) for task in tasks[::-1].tolist())
        self.queued[replica] += tasks.size

    def _fill_slots(self) -> None:
        short = np.flatnonzero(self.filled < self.slots.shape[1])
        if not short.size:
            return
        eligible = ~self.compute[short] & (self.passed[short] >= self.c.promotion_bar)
        score = np.where(eligible, self.passed[short] + _RACE * self.sab[short], -1)
        best = score.argmax(axis=1)
        best_eligible = eligible[np.arange(short.size), best].tolist()
        for replica, node, ok in zip(short.tolist(), best.tolist(), best_eligible, strict=True):
            if ok:
                self._promote(replica, node)
            elif self.filled[replica] == 0:
                # Bootstrap: a market with no compute node at all takes its best auditor, as it took its first ones.
                self._promote(replica, int(np.argmax(np.where(self.compute[replica], -1, self.passed[replica]))))

    def _promote(self, replica: int, node: int) -> None:
        self.compute[replica, node] = True
        self.record[replica, node] = 0
        self._remove(self.pool, self.pool_n, self.pool_of, replica, node)
        self._add(self.slots, self.filled, self.slot_of, replica, node)

    def _demote(self, replica: int, node: int) -> None:
        self.compute[replica, node] = False
        self._remove(self.slots, self.filled, self.slot_of, replica, node)
        self._add(self.pool, self.pool_n, self.pool_of, replica, node)

    @staticmethod
    def _add(items: Ints, count: Ints, where: Ints, replica: int, node: int) -> None:
        items[replica, count[replica]] = node
        where[replica, node] = count[replica]
        count[replica] += 1

    @staticmethod
    def _remove(items: Ints, count: Ints, where: Ints, replica: int, node: int) -> None:
        at, last = where[replica, node], items[replica, count[replica] - 1]
        items[replica, at] = last
        where[replica, last] = at
        where[replica, node] = -1
        count[replica] -= 1


def _outcome(verdict: _Verdict) -> NDArray[np.int8]:
    return np.where(verdict.decided, np.where(verdict.accepted == 0, _RIGHT, _WRONG), _UNDECIDED).astype(np.int8)
