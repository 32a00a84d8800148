"""Reliability simulator: many files on churning nodes, audits, repair, mass failures.

A time-stepped, vectorised (numpy) model of what the running system does. Per step of ``dt_days``:

1. **Churn.** Each node slot holds one node at a time; when its lifetime
   (exponential or Weibull) runs out it leaves for good, every share on it is
   gone, and a fresh empty node takes the slot. With transient departures a node
   also alternates between online and offline spells (exponential); a spell
   longer than ``eviction_timeout_days`` writes its shares off (the network
   cannot tell it from a departure), shorter ones only make its shares
   unavailable as repair helpers. A **mass failure** removes a fraction of all
   nodes at once on a given day.
2. **Loss.** A file with fewer than ``k`` shares left is lost.
3. **Notice.** The repairer's rule, the same for every scheme: a file holding at
   most ``threshold`` shares (default ``n - 1``: any loss) is noticed at rate
   ``1 / audit_interval_days`` — the time until the loss shows on chain (a failed
   or unanswered audit, or the holder's departure), after which a repairer acts.
4. **Repair.** A noticed file gets every missing share rebuilt onto random online
   nodes that hold none of its shares, if enough of its shares are online to help:
   ``d`` for MSR's regenerating repair (``d·beta``, 2/k of the file per rebuilt
   share), else ``k`` to decode and re-encode (RS, and MSR short of ``d``: one
   file's worth), and ``k`` for pure Shamir, whose share is rebuilt by enrolment from
   ``k`` whole shares (``k`` files' worth). The newcomer downloads that traffic and
   each helper uploads its part.
5. **Bandwidth and duration.** With ``bandwidth_bytes_per_day`` each node moves at
   most that many bytes a day in each direction: a repair starts when its newcomer's
   download link and every helper's upload link are free within the step, most
   endangered files first, and takes the time its bytes need; the rebuilt share
   counts only once it has arrived (and not at all if the newcomer left meanwhile).
   Without a cap a repair completes in the step that starts it.

Costs come from :class:`kura.codes.params.CodeParams`: stored bytes from
``storage_overhead``, repair traffic from ``repair_fraction``, the theoretical
floor from ``cut_set_bound``, and CPU as GF(2^8) multiply-adds
(``repair_fraction * alpha`` per file byte per rebuilt share) at ``gf_ops_per_second``.
A helper that goes offline in the middle of a transfer is not modelled (the transfer
completes).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from kura.codes.params import CodeParams, Scheme
from kura.errors import SimulationError
from kura.sim.stats import proportion_ci

DAYS_PER_YEAR = 365.0


class Lifetime(str, Enum):
    """Distribution of a node's time in the network."""

    EXPONENTIAL = "exponential"
    WEIBULL = "weibull"


@dataclass(frozen=True)
class StorageConfig:
    """One reliability experiment. Times are in days, sizes in bytes.

    Raises:
        SimulationError: if the parameters are impossible.
    """

    scheme: Scheme = Scheme.MSR
    k: int = 4
    n: int = 8
    threshold: int | None = None
    """Repair once at most this many shares are held; default ``n - 1`` (eager)."""
    files: int = 10_000
    nodes: int = 1_000
    years: float = 1.0
    dt_days: float = 1.0
    lifetime: Lifetime = Lifetime.EXPONENTIAL
    mean_lifetime_days: float = 365.0
    weibull_shape: float = 0.7
    mean_uptime_days: float | None = None
    """Mean online spell for transient departures; ``None`` = nodes never go offline."""
    mean_downtime_days: float = 0.5
    eviction_timeout_days: float = 3.0
    audit_interval_days: float = 7.0
    """Mean time until a degraded file is noticed (audits, departures on chain) and a repairer acts."""
    bandwidth_bytes_per_day: float | None = None
    """Repair traffic a node moves per day in each direction (download as newcomer, upload as helper);
    ``None`` = unlimited (repairs take no time)."""
    file_bytes: float = 64 * 2**20
    gf_ops_per_second: float = 1e9
    mass_failure_fraction: float = 0.0
    mass_failure_day: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        params = self.code  # validates k, n for the scheme
        if not params.k <= self.repair_threshold <= max(params.k, params.n - 1):
            raise SimulationError(
                f"the repair threshold must be in [k, n-1] = [{self.k}, {self.n - 1}], got {self.repair_threshold}"
            )
        if self.files < 1 or self.nodes < self.n:
            raise SimulationError(
                f"need at least one file and n = {self.n} nodes, got {self.files} files, {self.nodes} nodes"
            )
        if self.years <= 0 or self.dt_days <= 0 or self.mean_lifetime_days <= 0 or self.audit_interval_days <= 0:
            raise SimulationError("years, dt_days, mean_lifetime_days and audit_interval_days must be positive")
        if not 0.0 <= self.mass_failure_fraction < 1.0:
            raise SimulationError(f"mass_failure_fraction must be in [0, 1), got {self.mass_failure_fraction}")
        if self.weibull_shape <= 0:
            raise SimulationError(f"weibull_shape must be positive, got {self.weibull_shape}")
        if self.bandwidth_bytes_per_day is not None and self.bandwidth_bytes_per_day <= 0:
            raise SimulationError(f"bandwidth_bytes_per_day must be positive, got {self.bandwidth_bytes_per_day}")

    @property
    def code(self) -> CodeParams:
        """The scheme's parameters (sizes and repair traffic)."""
        return CodeParams(self.scheme, self.k, self.n)

    @property
    def repair_threshold(self) -> int:
        """The effective threshold (``n - 1`` unless set)."""
        return self.n - 1 if self.threshold is None else self.threshold

    @property
    def notice_rate(self) -> float:
        """Rate (per day) at which a degraded file is noticed by a repairer (every scheme alike)."""
        return 1.0 / self.audit_interval_days

    @property
    def fallback(self) -> CodeParams:
        """How a share is rebuilt when too few helpers answer for the scheme's own repair: MSR decodes and
        re-encodes like RS; RS and Shamir have no cheaper path to fall from."""
        return CodeParams(Scheme.RS, self.k, self.n) if self.scheme is Scheme.MSR else self.code

    @property
    def share_loss_rate(self) -> float:
        """Per-share loss rate (per day) in the Markov model: departures plus evictions."""
        rate = 1.0 / self.mean_lifetime_days
        if self.mean_uptime_days is not None:
            rate += math.exp(-self.eviction_timeout_days / self.mean_downtime_days) / self.mean_uptime_days
        return rate


@dataclass(frozen=True)
class Timeline:
    """Redundancy over time, one point per step."""

    days: np.ndarray
    redundancy: np.ndarray
    """Mean of ``(held - k) / (n - k)`` over files not lost (1 = full)."""
    full_fraction: np.ndarray
    """Fraction of files not lost that hold all n shares."""
    lost_fraction: np.ndarray
    repair_bytes: np.ndarray
    """Repair traffic started in each step (bytes downloaded by newcomers)."""

    def days_to_full(self, after_day: float, fraction: float) -> float | None:
        """Days from ``after_day`` until at least ``fraction`` of the surviving files hold all n shares again,
        or None if that never happens within the run."""
        reached = np.flatnonzero((self.days > after_day) & (self.full_fraction >= fraction))
        return None if not len(reached) else float(self.days[reached[0]] - after_day)


@dataclass(frozen=True)
class StorageResult:
    """What one run measured."""

    config: StorageConfig
    files_lost: int
    p_loss: float
    p_loss_ci: tuple[float, float]
    shares_rebuilt: int
    repair_bytes: float
    cut_set_bytes: float
    network_per_stored_byte_year: float
    cpu_seconds_per_stored_gb_year: float
    runtime_seconds: float
    timeline: Timeline = field(repr=False)


class _Nodes:
    """Node slots: lifetimes, online spells, link occupancy, and a generation that changes with each new node."""

    def __init__(self, config: StorageConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.rng = rng
        count = config.nodes
        self.death = self.lifetimes(count)
        self.online = np.ones(count, dtype=bool)
        self.written_off = np.zeros(count, dtype=bool)
        self.offline_since = np.zeros(count)
        self.toggle = (
            rng.exponential(config.mean_uptime_days, count)
            if config.mean_uptime_days is not None
            else np.full(count, np.inf)
        )
        self.generation = np.zeros(count, dtype=np.int64)
        self.busy_until = np.zeros((2, count))
        """When each node's download (row 0) and upload (row 1) link is next free, in days."""

    def lifetimes(self, count: int) -> np.ndarray:
        config = self.config
        if config.lifetime is Lifetime.WEIBULL:
            scale = config.mean_lifetime_days / math.gamma(1.0 + 1.0 / config.weibull_shape)
            return scale * self.rng.weibull(config.weibull_shape, count)
        return self.rng.exponential(config.mean_lifetime_days, count)

    def replace(self, slots: np.ndarray, now: float) -> None:
        """Put fresh, online, empty, idle nodes into ``slots``."""
        self.death[slots] = now + self.lifetimes(len(slots))
        self.online[slots] = True
        self.written_off[slots] = False
        self.generation[slots] += 1
        self.busy_until[:, slots] = now
        if self.config.mean_uptime_days is not None:
            self.toggle[slots] = now + self.rng.exponential(self.config.mean_uptime_days, len(slots))


IN_FLIGHT = -2
"""``_Shares.where`` value of a share being rebuilt (its bytes still on the way to the newcomer)."""


class _Shares:
    """Which node holds each share (``-1`` missing, ``IN_FLIGHT`` being rebuilt), and the reverse index."""

    def __init__(self, config: StorageConfig, rng: np.random.Generator) -> None:
        self.n = config.n
        self.nodes = config.nodes
        self.where = _distinct_nodes(rng, config.files, config.n, config.nodes)
        self.incoming = np.full((config.files, config.n), -1, dtype=np.int64)
        """The newcomer of each share in flight (-1 otherwise): no second share of the file goes there."""
        self.held = np.full(config.files, config.n, dtype=np.int32)
        self.capacity = max(32, 3 * math.ceil(config.files * config.n / config.nodes))
        self.rebuild_index()

    def rebuild_index(self) -> None:
        flat = self.where.ravel()
        ids = np.flatnonzero(flat >= 0)
        owners = flat[ids]
        order = np.argsort(owners, kind="stable")
        ids, owners = ids[order], owners[order]
        self.count = np.bincount(owners, minlength=self.nodes).astype(np.int64)
        self.capacity = max(self.capacity, int(self.count.max(initial=0)) * 2)
        starts = np.concatenate(([0], np.cumsum(self.count)[:-1]))
        rank = np.arange(len(ids)) - np.repeat(starts, self.count)
        self.index = np.zeros((self.nodes, self.capacity), dtype=np.int64)
        self.index[owners, rank] = ids

    def drop_nodes(self, slots: np.ndarray) -> np.ndarray:
        """Write off every share on ``slots``; return the files that lost shares (with repeats)."""
        counts = self.count[slots]
        if counts.sum() == 0:
            return np.empty(0, dtype=np.int64)
        mask = np.arange(self.capacity)[None, :] < counts[:, None]
        ids = self.index[slots][mask]
        self.where.ravel()[ids] = -1
        self.count[slots] = 0
        files = ids // self.n
        np.subtract.at(self.held, files, 1)
        return files

    def place(self, ids: np.ndarray, targets: np.ndarray) -> None:
        """Record rebuilt shares ``ids`` (flat indices) as held by ``targets``."""
        if not len(ids):
            return
        self.where.ravel()[ids] = targets
        self.incoming.ravel()[ids] = -1
        np.add.at(self.held, ids // self.n, 1)
        order = np.argsort(targets, kind="stable")
        ids, targets = ids[order], targets[order]
        unique, first, per_target = np.unique(targets, return_index=True, return_counts=True)
        if (self.count[unique] + per_target).max() > self.capacity:
            self.rebuild_index()
            return
        rank = np.arange(len(ids)) - np.repeat(first, per_target)
        self.index[targets, self.count[targets] + rank] = ids
        self.count[unique] += per_target


@dataclass
class _InFlight:
    """Shares on their way to their newcomers: flat share id, newcomer, its generation, arrival day."""

    ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    targets: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    generations: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    done: np.ndarray = field(default_factory=lambda: np.empty(0))

    def add(self, ids: np.ndarray, targets: np.ndarray, generations: np.ndarray, done: np.ndarray) -> None:
        self.ids = np.concatenate((self.ids, ids))
        self.targets = np.concatenate((self.targets, targets))
        self.generations = np.concatenate((self.generations, generations))
        self.done = np.concatenate((self.done, done))

    def land(self, shares: _Shares, nodes: _Nodes, now: float) -> None:
        """Place the shares that arrived by ``now``; a share whose newcomer left meanwhile is missing again."""
        arrived = self.done <= now
        if not arrived.any():
            return
        ids, targets, generations = self.ids[arrived], self.targets[arrived], self.generations[arrived]
        alive = nodes.generation[targets] == generations
        shares.place(ids[alive], targets[alive])
        shares.where.ravel()[ids[~alive]] = -1
        shares.incoming.ravel()[ids[~alive]] = -1
        keep = ~arrived
        self.ids, self.targets = self.ids[keep], self.targets[keep]
        self.generations, self.done = self.generations[keep], self.done[keep]


def simulate_storage(config: StorageConfig) -> StorageResult:
    """Run one reliability experiment.

    Args:
        config: The experiment.

    Returns:
        Losses with a 95 % interval, costs, and the redundancy timeline.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    nodes = _Nodes(config, rng)
    shares = _Shares(config, rng)
    flights = _InFlight()
    lost = np.zeros(config.files, dtype=bool)
    queued = np.zeros(config.files, dtype=bool)
    steps = max(1, math.ceil(config.years * DAYS_PER_YEAR / config.dt_days))
    notice = 1.0 - math.exp(-config.notice_rate * config.dt_days)
    mass_step = None if config.mass_failure_day is None else int(config.mass_failure_day / config.dt_days)
    totals = {"rebuilt": 0, "bytes": 0.0, "ops": 0.0, "cut_set": 0.0}
    timeline = np.zeros((5, steps))
    span = config.n - config.k

    for step in range(steps):
        now = (step + 1) * config.dt_days
        flights.land(shares, nodes, now)
        damaged = [_churn(nodes, shares, now)]
        if step == mass_step and config.mass_failure_fraction > 0:
            victims = rng.choice(config.nodes, int(config.mass_failure_fraction * config.nodes), replace=False)
            damaged.append(shares.drop_nodes(victims))
            nodes.replace(victims, now)
        touched = np.concatenate(damaged)
        newly_lost = touched[(shares.held[touched] < config.k) & ~lost[touched]]
        lost[newly_lost] = True
        queued[newly_lost] = False

        degraded = np.flatnonzero(~lost & ~queued & (shares.held <= config.repair_threshold))
        if notice > 0 and len(degraded):
            queued[degraded[rng.random(len(degraded)) < notice]] = True
        before = totals["bytes"]
        _repair(config, nodes, shares, flights, queued, rng, now, totals)

        alive = ~lost
        held = shares.held[alive]
        timeline[0, step] = now
        timeline[1, step] = float(np.mean((held - config.k) / span)) if span and len(held) else float(len(held) > 0)
        timeline[2, step] = float(np.mean(held == config.n)) if len(held) else 0.0
        timeline[3, step] = 1.0 - alive.mean()
        timeline[4, step] = totals["bytes"] - before

    files_lost = int(lost.sum())
    stored = config.files * config.file_bytes
    years = steps * config.dt_days / DAYS_PER_YEAR
    return StorageResult(
        config=config,
        files_lost=files_lost,
        p_loss=files_lost / config.files,
        p_loss_ci=proportion_ci(files_lost, config.files),
        shares_rebuilt=int(totals["rebuilt"]),
        repair_bytes=totals["bytes"],
        cut_set_bytes=totals["cut_set"],
        network_per_stored_byte_year=totals["bytes"] / stored / years,
        cpu_seconds_per_stored_gb_year=totals["ops"] / config.gf_ops_per_second / (stored / 1e9) / years,
        runtime_seconds=time.perf_counter() - started,
        timeline=Timeline(*timeline),
    )


def _churn(nodes: _Nodes, shares: _Shares, now: float) -> np.ndarray:
    """Apply departures, online/offline spells and evictions up to ``now``; return damaged files."""
    config = nodes.config
    damaged = []
    dead = np.flatnonzero(nodes.death <= now)
    if len(dead):
        damaged.append(shares.drop_nodes(dead))
        nodes.replace(dead, now)
    if config.mean_uptime_days is not None:
        flipping = np.flatnonzero(nodes.toggle <= now)
        while len(flipping):
            going_down = flipping[nodes.online[flipping]]
            coming_up = flipping[~nodes.online[flipping]]
            nodes.offline_since[going_down] = nodes.toggle[going_down]
            nodes.online[going_down] = False
            nodes.toggle[going_down] += nodes.rng.exponential(config.mean_downtime_days, len(going_down))
            nodes.online[coming_up] = True
            nodes.written_off[coming_up] = False
            nodes.toggle[coming_up] += nodes.rng.exponential(config.mean_uptime_days, len(coming_up))
            flipping = flipping[nodes.toggle[flipping] <= now]
        evicted = np.flatnonzero(
            ~nodes.online & ~nodes.written_off & (now - nodes.offline_since >= config.eviction_timeout_days)
        )
        if len(evicted):
            damaged.append(shares.drop_nodes(evicted))
            nodes.written_off[evicted] = True
    return np.concatenate(damaged) if damaged else np.empty(0, dtype=np.int64)


def _repair(
    config: StorageConfig,
    nodes: _Nodes,
    shares: _Shares,
    flights: _InFlight,
    queued: np.ndarray,
    rng: np.random.Generator,
    now: float,
    totals: dict[str, float],
) -> None:
    """Start rebuilding the missing shares of noticed files, most endangered first, as links allow."""
    code, fallback = config.code, config.fallback
    files = np.flatnonzero(queued)
    files = files[np.argsort(shares.held[files], kind="stable")]
    where = shares.where[files]
    online = (where >= 0) & nodes.online[np.maximum(where, 0)]
    helpers = online.sum(axis=1)
    ok = helpers >= code.k
    files, where, online, helpers = files[ok], where[ok], online[ok], helpers[ok]
    if not len(files):
        return
    regenerating = helpers >= code.d if config.scheme is Scheme.MSR else np.zeros(len(files), dtype=bool)
    used = np.where(regenerating, code.d, code.k)
    fraction = np.where(regenerating, code.repair_fraction, fallback.repair_fraction)
    alpha = np.where(regenerating, code.alpha, fallback.alpha)
    row, col = np.nonzero(where == -1)
    if not len(row):
        return
    up = np.flatnonzero(nodes.online)
    taken = np.concatenate((where, shares.incoming[files]), axis=1)
    targets = up[rng.integers(0, len(up), len(row))]
    clash = _clashes(taken, row, targets)
    for _ in range(3):
        if not clash.any():
            break
        targets[clash] = up[rng.integers(0, len(up), int(clash.sum()))]
        clash = _clashes(taken, row, targets)
    cost = fraction[row] * config.file_bytes
    if config.bandwidth_bytes_per_day is None:
        accept, done = ~clash, np.full(len(row), now)
    else:
        helper_nodes = np.take_along_axis(where, np.argsort(~online, axis=1, kind="stable"), axis=1)[row, : code.d]
        helping = np.arange(helper_nodes.shape[1])[None, :] < used[row][:, None]
        accept, done = _schedule(
            config, config.bandwidth_bytes_per_day, nodes, ~clash, targets, cost, helper_nodes, helping, used[row], now
        )
    ids = files[row[accept]] * config.n + col[accept]
    arrived = done[accept] <= now
    shares.place(ids[arrived], targets[accept][arrived])
    waiting = ~arrived
    shares.where.ravel()[ids[waiting]] = IN_FLIGHT
    shares.incoming.ravel()[ids[waiting]] = targets[accept][waiting]
    flights.add(
        ids[waiting], targets[accept][waiting], nodes.generation[targets[accept][waiting]], done[accept][waiting]
    )
    moved = cost[accept]
    totals["rebuilt"] += int(accept.sum())
    totals["bytes"] += float(moved.sum())
    totals["ops"] += float((moved * alpha[row[accept]]).sum())
    totals["cut_set"] += float(accept.sum()) * code.cut_set_bound * config.file_bytes
    queued[files[shares.held[files] >= config.n]] = False


def _schedule(
    config: StorageConfig,
    rate: float,
    nodes: _Nodes,
    candidates: np.ndarray,
    targets: np.ndarray,
    cost: np.ndarray,
    helper_nodes: np.ndarray,
    helping: np.ndarray,
    used: np.ndarray,
    now: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Which candidate repairs start this step, and the day each one's bytes have all arrived, with each link
    moving ``rate`` bytes a day.

    A repair starts if its newcomer's download link and each helper's upload link can begin its transfer
    before the step ends (queued transfers go first, then repairs in priority order); it ends when the
    slowest of them has moved its bytes. Bytes of a candidate refused for another link's sake still count
    in the queue ahead of later ones this step, so start and end times are upper bounds.
    """
    start_of_step = now - config.dt_days
    repairs = len(targets)
    share = cost / used
    entry_repair = np.concatenate((np.arange(repairs), np.nonzero(helping)[0]))
    entry_node = np.concatenate((targets, helper_nodes[helping]))
    entry_link = np.concatenate((np.zeros(repairs, dtype=np.int64), np.ones(int(helping.sum()), dtype=np.int64)))
    entry_bytes = np.concatenate((cost, share[np.nonzero(helping)[0]]))
    entry_bytes = np.where(candidates[entry_repair], entry_bytes, 0.0)
    key = entry_link * config.nodes + entry_node
    order = np.lexsort((entry_repair, key))
    running = np.cumsum(entry_bytes[order])
    first = np.searchsorted(key[order], key[order], side="left")
    queued_before = running - entry_bytes[order] - np.where(first > 0, running[first - 1], 0.0)
    begin = np.maximum(start_of_step, nodes.busy_until[entry_link[order], entry_node[order]]) + queued_before / rate
    fits = np.ones(repairs, dtype=bool)
    np.logical_and.at(fits, entry_repair[order], begin < now)
    accept = candidates & fits
    finish = np.full(repairs, start_of_step)
    np.maximum.at(finish, entry_repair[order], begin + entry_bytes[order] / rate)
    taken = np.where(accept[entry_repair], entry_bytes, 0.0)
    load = np.zeros((2, config.nodes))
    np.add.at(load, (entry_link, entry_node), taken)
    busy = load > 0
    nodes.busy_until[busy] = np.maximum(start_of_step, nodes.busy_until[busy]) + load[busy] / rate
    return accept, finish


def _clashes(taken: np.ndarray, row: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Targets that already hold (or are receiving) a share of the file, or are picked twice for it."""
    holds = (taken[row] == targets[:, None]).any(axis=1)
    pair = row.astype(np.int64) * (int(targets.max(initial=0)) + 1) + targets
    _, first = np.unique(pair, return_index=True)
    repeated = np.ones(len(pair), dtype=bool)
    repeated[first] = False
    return holds | repeated


def _distinct_nodes(rng: np.random.Generator, files: int, n: int, nodes: int) -> np.ndarray:
    """``files`` rows of ``n`` distinct node indices, uniformly at random."""
    where = rng.integers(0, nodes, (files, n))
    while True:
        ordered = np.sort(where, axis=1)
        bad = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
        if not len(bad):
            return where
        where[bad] = rng.integers(0, nodes, (len(bad), n))
