"""Confidence intervals for the simulators' proportions."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.stats import beta


def proportion_ci(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval for a binomial proportion.

    Args:
        successes: Events seen (files lost, wrong results accepted).
        trials: Chances they had.
        confidence: Two-sided coverage, in ``(0, 1)``.

    Returns:
        ``(low, high)``; ``(0.0, 1.0)`` when there were no trials.
    """
    return _clopper_pearson(float(successes), float(trials), confidence)


def clustered_proportion_ci(
    successes: NDArray[np.int64], trials_per_cluster: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Clopper–Pearson interval for a proportion counted in equal, independent clusters.

    Events inside one simulated population (a replica) may cluster — a
    saboteur that got through once may get through again — so the tasks are
    not independent trials. The clusters are. The interval is the exact one
    computed on the *effective* counts ``successes / D`` out of ``trials / D``,
    where ``D >= 1`` is the design effect (Kish): the variance of the clusters'
    counts over the binomial variance ``m p (1 - p)``. With one cluster, or no
    event, ``D = 1`` and this is :func:`proportion_ci`.

    Args:
        successes: Events in each cluster.
        trials_per_cluster: Trials in each cluster (``m``).
        confidence: Two-sided coverage, in ``(0, 1)``.

    Returns:
        ``(low, high)``.
    """
    clusters = successes.size
    total, trials = float(successes.sum()), float(clusters * trials_per_cluster)
    effect = design_effect(successes, trials_per_cluster)
    return _clopper_pearson(total / effect, trials / effect, confidence)


def design_effect(successes: NDArray[np.int64], trials_per_cluster: int) -> float:
    """The variance of per-cluster counts over the binomial variance, at least 1.

    Args:
        successes: Events in each of at least two clusters (fewer give 1).
        trials_per_cluster: Trials in each cluster.

    Returns:
        ``max(1, s**2 / (m p (1 - p)))`` with ``s**2`` the sample variance of
        the counts and ``p`` the pooled proportion; 1 when there is no event.
    """
    total = float(successes.sum())
    if successes.size < 2 or total == 0.0 or trials_per_cluster <= 0:
        return 1.0
    p = total / (successes.size * trials_per_cluster)
    binomial = trials_per_cluster * p * (1.0 - p)
    return max(1.0, float(np.var(successes, ddof=1)) / binomial) if binomial > 0 else 1.0


def _clopper_pearson(successes: float, trials: float, confidence: float) -> tuple[float, float]:
    if trials <= 0:
        return 0.0, 1.0
    tail = (1.0 - confidence) / 2.0
    low = 0.0 if successes == 0 else float(beta.ppf(tail, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(beta.ppf(1.0 - tail, successes + 1, trials - successes))
    return low, high
