"""The durability chain against textbook closed forms."""

from __future__ import annotations

import math
from math import comb

import pytest

from kura.errors import SimulationError
from kura.sim import markov


def test_mirrored_pair_mttdl_is_the_textbook_formula() -> None:
    lam, mu = 0.01, 0.5
    # Two replicas, repair of the lost one at rate mu: MTTDL = (3 lam + mu) / (2 lam^2).
    assert markov.mttdl_days(1, 2, 1, lam, mu) == pytest.approx((3 * lam + mu) / (2 * lam**2))


def test_without_repair_loss_is_binomial() -> None:
    lam, t = 1 / 365, 500.0
    p = math.exp(-lam * t)
    expected = 1 - sum(comb(6, i) * p**i * (1 - p) ** (6 - i) for i in range(3, 7))
    assert markov.loss_probability(3, 6, 5, lam, 0.0, t) == pytest.approx(expected, rel=1e-9)


def test_tiny_loss_probabilities_stay_accurate() -> None:
    lam, mu, t = 1 / 365, 1 / 2, 3650.0
    tiny = markov.loss_probability(8, 16, 15, lam, mu, t)
    assert 0 < tiny < 1e-6
    # For rare losses P(loss by t) ~ t / MTTDL.
    assert tiny == pytest.approx(t / markov.mttdl_days(8, 16, 15, lam, mu), rel=0.01)


def test_more_repair_means_fewer_losses_and_more_traffic() -> None:
    lazy = markov.loss_probability(4, 8, 5, 1 / 365, 1 / 7, 3650)
    eager = markov.loss_probability(4, 8, 7, 1 / 365, 1 / 7, 3650)
    assert eager < lazy
    assert markov.repairs_per_day(4, 8, 7, 1 / 365, 1 / 7) > markov.repairs_per_day(4, 8, 5, 1 / 365, 1 / 7) * 0.9


def test_repairs_balance_failures_in_the_long_run() -> None:
    # Eager repair with fast notice: nearly every lost share is rebuilt, about n * lam a day.
    per_day = markov.repairs_per_day(4, 8, 7, 1 / 365, 10.0)
    assert per_day == pytest.approx(8 / 365, rel=0.01)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(SimulationError):
        markov.generator(4, 3, 3, 0.1, 0.1)
    with pytest.raises(SimulationError):
        markov.generator(2, 4, 4, 0.1, 0.1)
    with pytest.raises(SimulationError):
        markov.mttdl_days(2, 4, 3, 0.0, 0.1)
