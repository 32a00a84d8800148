"""The parameter designer: answers meet the target and are the cheapest that do."""

from __future__ import annotations

import pytest

from kura.codes.params import Scheme
from kura.errors import SimulationError
from kura.sim import markov
from kura.sim.design import design

RATES = dict(share_loss_rate=1 / 365, notice_rate=1 / 7)


def test_every_answer_meets_the_target_and_the_first_is_cheapest() -> None:
    designs = design(1e-6, 10, max_k=6, max_n=14, **RATES)
    assert designs
    for candidate in designs:
        assert candidate.p_loss <= 1e-6
        assert markov.loss_probability(
            candidate.k, candidate.n, candidate.threshold, RATES["share_loss_rate"], RATES["notice_rate"], 3650
        ) == pytest.approx(candidate.p_loss)
    assert designs[0].cost_per_tb_year == min(d.cost_per_tb_year for d in designs)


def test_the_threshold_is_the_lowest_that_meets_the_target() -> None:
    best = design(1e-6, 10, max_k=6, max_n=14, **RATES)[0]
    if best.threshold > best.k:
        lower = markov.loss_probability(best.k, best.n, best.threshold - 1, 1 / 365, 1 / 7, 3650)
        assert lower > 1e-6


def test_a_stricter_target_costs_more() -> None:
    loose = design(1e-4, 10, max_k=6, max_n=14, **RATES)[0]
    strict = design(1e-9, 10, max_k=6, max_n=14, **RATES)[0]
    assert strict.cost_per_tb_year > loose.cost_per_tb_year


def test_msr_repair_is_cheaper_than_rs_at_the_same_shape() -> None:
    designs = design(1e-4, 10, max_k=4, max_n=10, **RATES)
    by_shape = {(d.scheme, d.k, d.n): d for d in designs}
    msr, rs = by_shape[(Scheme.MSR, 3, 9)], by_shape[(Scheme.RS, 3, 9)]
    assert msr.repair_traffic_per_year < rs.repair_traffic_per_year


def test_bad_targets_are_refused() -> None:
    with pytest.raises(SimulationError):
        design(0.0, 10, **RATES)
    with pytest.raises(SimulationError):
        design(1e-9, 10, share_loss_rate=0.0, notice_rate=1.0)
