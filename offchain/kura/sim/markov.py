"""Closed-form durability of one file as a continuous-time Markov chain.

State ``i`` is the number of shares still held (``n`` down to ``k``); one more
loss below ``k`` is data loss (absorbing). Each held share is lost at rate
``fail_rate`` (so ``i * fail_rate`` from state ``i``); once ``i <= threshold``
the file is noticed at rate ``repair_rate`` and repaired back to ``n`` at once.
This is the model the reliability simulator reproduces with exponential node
lifetimes, random audits and unlimited bandwidth, and the model the parameter
designer searches (a Monte Carlo run cannot resolve a 1e-9 loss probability).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from kura.errors import SimulationError


def generator(k: int, n: int, threshold: int, fail_rate: float, repair_rate: float) -> np.ndarray:
    """The chain's rate matrix; rows/columns are states ``n, n-1, ..., k`` then "lost".

    Args:
        k: Shares needed to rebuild.
        n: Shares stored.
        threshold: Repair starts once at most this many shares are held (``k <= threshold < n``).
        fail_rate: Loss rate of one share (per day).
        repair_rate: Rate at which a degraded file is noticed and repaired (per day).

    Returns:
        The ``(n - k + 2)``-square generator matrix.

    Raises:
        SimulationError: if the parameters are impossible.
    """
    if not 1 <= k <= n:
        raise SimulationError(f"need 1 <= k <= n, got k={k}, n={n}")
    if not k <= threshold <= n - 1 and n > k:
        raise SimulationError(f"the repair threshold must be in [k, n-1] = [{k}, {n - 1}], got {threshold}")
    if fail_rate < 0 or repair_rate < 0:
        raise SimulationError("rates must be non-negative")
    size = n - k + 2
    q = np.zeros((size, size))
    for row, held in enumerate(range(n, k - 1, -1)):
        q[row, row + 1] += held * fail_rate
        if held <= threshold and held < n:
            q[row, 0] += repair_rate
        q[row, row] = -q[row].sum()
    return q


def loss_probability(
    k: int, n: int, threshold: int, fail_rate: float, repair_rate: float, horizon_days: float
) -> float:
    """Probability that a file stored at full redundancy is lost within ``horizon_days``.

    Args:
        k: Shares needed to rebuild.
        n: Shares stored.
        threshold: Repair threshold (see :func:`generator`).
        fail_rate: Loss rate of one share (per day).
        repair_rate: Notice-and-repair rate of a degraded file (per day).
        horizon_days: How long the file must survive.

    Returns:
        P(lost by the horizon), read directly from the absorbing column (no
        ``1 - survival`` cancellation, so tiny probabilities stay accurate).
    """
    q = generator(k, n, threshold, fail_rate, repair_rate)
    return float(min(max(expm(q * horizon_days)[0, -1], 0.0), 1.0))


def mttdl_days(k: int, n: int, threshold: int, fail_rate: float, repair_rate: float) -> float:
    """Mean time to data loss from full redundancy, in days.

    Raises:
        SimulationError: if shares never fail (the mean is infinite).
    """
    if fail_rate <= 0:
        raise SimulationError("with a zero failure rate data is never lost: MTTDL is infinite")
    q = generator(k, n, threshold, fail_rate, repair_rate)
    transient = q[:-1, :-1]
    return float(np.linalg.solve(-transient, np.ones(len(transient)))[0])


def repairs_per_day(k: int, n: int, threshold: int, fail_rate: float, repair_rate: float) -> float:
    """Long-run shares rebuilt per day for one file (a lost file is replaced by a new one).

    Returns:
        Expected rebuilt shares per day, from the chain's stationary distribution
        with the "lost" state sent back to full redundancy.
    """
    q = generator(k, n, threshold, fail_rate, repair_rate)
    renewing = q[:-1, :-1].copy()
    renewing[:, 0] += q[:-1, -1]
    size = len(renewing)
    system = np.vstack([renewing.T, np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(system, rhs, rcond=None)[0]
    held = np.arange(n, k - 1, -1)
    degraded = (held <= threshold) & (held < n)
    return float(np.sum(pi[degraded] * repair_rate * (n - held[degraded])))
