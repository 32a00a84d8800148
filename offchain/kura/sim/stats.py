"""Confidence intervals for the simulators' proportions."""

from __future__ import annotations

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
    if trials <= 0:
        return 0.0, 1.0
    tail = (1.0 - confidence) / 2.0
    low = 0.0 if successes == 0 else float(beta.ppf(tail, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(beta.ppf(1.0 - tail, successes + 1, trials - successes))
    return low, high
