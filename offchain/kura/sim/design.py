"""Parameter designer: the cheapest (scheme, k, n, repair threshold) that meets a durability target.

Durability comes from the Markov chain (:mod:`kura.sim.markov`) — a Monte
Carlo run cannot resolve a 1e-9 loss probability — with the per-share loss rate
and notice rate of a :class:`~kura.sim.storage.StorageConfig`, so the answer can
be checked by simulating it. Cost per stored byte per year is
``storage_overhead * storage_price + rebuilt shares per byte-year *
repair_fraction * network_price``, all from :class:`~kura.codes.params.CodeParams`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kura.codes.params import CodeParams, Scheme
from kura.errors import CodecError, SimulationError
from kura.sim import markov
from kura.sim.storage import DAYS_PER_YEAR

STORAGE_PRICE_PER_TB_YEAR = 48.0
"""Default storage price (USD per TB-year; ~4 USD per TB-month, Storj's list price)."""
NETWORK_PRICE_PER_TB = 7.0
"""Default repair-traffic price (USD per TB)."""


@dataclass(frozen=True)
class Design:
    """One candidate and what it costs."""

    scheme: Scheme
    k: int
    n: int
    threshold: int
    p_loss: float
    storage_overhead: float
    repair_traffic_per_year: float
    """Repair bytes per stored (user) byte per year."""
    cost_per_tb_year: float


def design(
    target: float,
    years: float,
    *,
    share_loss_rate: float,
    notice_rate: float,
    schemes: tuple[Scheme, ...] = (Scheme.RS, Scheme.MSR),
    max_k: int = 16,
    max_n: int = 48,
    storage_price: float = STORAGE_PRICE_PER_TB_YEAR,
    network_price: float = NETWORK_PRICE_PER_TB,
) -> list[Design]:
    """Every (scheme, k, n) with its cheapest threshold meeting ``target``, cheapest first.

    For each (scheme, k, n) the threshold is the lowest that meets the target
    (loss falls and traffic rises as the threshold rises), found by bisection.

    Args:
        target: Largest acceptable probability of losing a file within ``years``.
        years: Horizon.
        share_loss_rate: Per-share loss rate per day (see ``StorageConfig.share_loss_rate``).
        notice_rate: Rate per day at which a degraded file is noticed and repaired.
        schemes: Schemes to consider.
        max_k: Largest k to try.
        max_n: Largest n to try.
        storage_price: Price of storing one TB for a year.
        network_price: Price of moving one TB.

    Returns:
        Candidates meeting the target, cheapest first (empty if none does).

    Raises:
        SimulationError: if the target or rates are out of range.
    """
    if not 0 < target < 1:
        raise SimulationError(f"the durability target is a loss probability in (0, 1), got {target}")
    if share_loss_rate <= 0 or notice_rate <= 0 or years <= 0:
        raise SimulationError("share_loss_rate, notice_rate and years must be positive")
    horizon = years * DAYS_PER_YEAR
    found = []
    for scheme in schemes:
        for k in range(2, max_k + 1):
            for n in range(k + 1, max_n + 1):
                try:
                    params = CodeParams(scheme, k, n)
                except CodecError:
                    continue
                threshold = _lowest_threshold(k, n, target, share_loss_rate, notice_rate, horizon)
                if threshold is None:
                    continue
                p_loss = markov.loss_probability(k, n, threshold, share_loss_rate, notice_rate, horizon)
                rebuilt = markov.repairs_per_day(k, n, threshold, share_loss_rate, notice_rate) * DAYS_PER_YEAR
                # MSR regenerates only while d helpers are left; below that it decodes like RS.
                regenerating = scheme is not Scheme.MSR or threshold >= params.d
                fraction = params.repair_fraction if regenerating else CodeParams(Scheme.RS, k, n).repair_fraction
                traffic = rebuilt * fraction
                found.append(
                    Design(
                        scheme=scheme,
                        k=k,
                        n=n,
                        threshold=threshold,
                        p_loss=p_loss,
                        storage_overhead=params.storage_overhead,
                        repair_traffic_per_year=traffic,
                        cost_per_tb_year=params.storage_overhead * storage_price + traffic * network_price,
                    )
                )
    return sorted(found, key=lambda d: (d.cost_per_tb_year, d.n))


def _lowest_threshold(
    k: int, n: int, target: float, fail_rate: float, notice_rate: float, horizon: float
) -> int | None:
    def meets(threshold: int) -> bool:
        return markov.loss_probability(k, n, threshold, fail_rate, notice_rate, horizon) <= target

    if not meets(n - 1):
        return None
    low, high = k, n - 1
    while low < high:
        mid = (low + high) // 2
        if meets(mid):
            high = mid
        else:
            low = mid + 1
    return low
