"""The audit-sampling rule: schedule values, float/batch/WAD agreement, and the stake that makes every cheat lose."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.compute.credibility import WAD
from kura.compute.sampling import (
    audit_probability,
    audit_probability_batch,
    audit_probability_wad,
    cheat_value,
    floor_record,
    min_stake,
    min_stake_wad,
)
from kura.errors import ConsensusError

Q_MIN, FULL, HALF_LIFE = 1 / 64, 10, 20


def test_a_new_node_is_audited_on_every_task_then_half_as_often_every_half_life() -> None:
    q = [audit_probability(r, Q_MIN, FULL, HALF_LIFE) for r in (0, 9, 10, 29, 30, 49, 50, 129, 130, 10**6)]
    assert q == [1, 1, 1, 1, 0.5, 0.5, 0.25, 1 / 32, 1 / 64, 1 / 64]
    # 2**-6 = 1/64 is reached after 6 halvings: record 10 + 6 * 20.
    assert floor_record(Q_MIN, FULL, HALF_LIFE) == 130
    assert floor_record(0.03, 10, 10) == 70  # 2**-6 is the first power of two <= 0.03


@settings(max_examples=200, deadline=None)
@given(
    record=st.integers(0, 10**6),
    floor_exponent=st.integers(0, 20),
    full=st.integers(0, 50),
    half_life=st.integers(1, 50),
)
def test_twins_agree_exactly_for_power_of_two_floors(
    record: int, floor_exponent: int, full: int, half_life: int
) -> None:
    q_min = 2.0**-floor_exponent
    as_float = audit_probability(record, q_min, full, half_life)
    assert audit_probability_wad(record, WAD >> floor_exponent, full, half_life) == int(as_float * WAD) or (
        floor_exponent > 59  # WAD >> e is not exact past 2**59 > WAD / 2**60
    )
    batch = audit_probability_batch(np.array([record, 0], dtype=np.int64), q_min, full, half_life)
    assert batch.tolist() == [as_float, 1.0]


@settings(max_examples=200, deadline=None)
@given(record=st.integers(0, 10**5), q_min=st.floats(1e-4, 1.0), full=st.integers(0, 30), half_life=st.integers(1, 30))
def test_the_probability_never_rises_with_the_record_and_never_goes_below_the_floor(
    record: int, q_min: float, full: int, half_life: int
) -> None:
    here = audit_probability(record, q_min, full, half_life)
    assert q_min <= here <= 1.0
    assert audit_probability(record + 1, q_min, full, half_life) <= here
    at_floor = floor_record(q_min, full, half_life)
    assert audit_probability(at_floor, q_min, full, half_life) == q_min
    assert at_floor == 0 or audit_probability(at_floor - 1, q_min, full, half_life) > q_min or at_floor <= full


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ConsensusError, match="q_min"):
        audit_probability(1, 0.0, FULL, HALF_LIFE)
    with pytest.raises(ConsensusError, match="record"):
        audit_probability_wad(-1, WAD // 64, FULL, HALF_LIFE)
    with pytest.raises(ConsensusError, match="half_life"):
        audit_probability_batch(np.array([1]), Q_MIN, FULL, 0)
    with pytest.raises(ConsensusError, match=">= 0"):
        min_stake(-1.0, Q_MIN)


def test_min_stake_known_value() -> None:
    # (1 - 1/64) / (1/64) = 63 rewards.
    assert min_stake(1.0, Q_MIN) == pytest.approx(63.0)
    assert min_stake(1.0, Q_MIN, gain=1.0) == pytest.approx(126.0)
    assert min_stake_wad(10**18, WAD // 64) == 63 * 10**18 + 1


@settings(max_examples=300, deadline=None)
@given(
    reward=st.integers(0, 10**24),
    gain=st.integers(0, 10**24),
    q_min_wad=st.integers(1, WAD),
    q_wad=st.integers(1, WAD),
)
def test_at_the_min_stake_every_cheat_loses_and_one_wei_less_may_not(
    reward: int, gain: int, q_min_wad: int, q_wad: int
) -> None:
    stake = min_stake_wad(reward, q_min_wad, gain)
    q_min, q = Fraction(q_min_wad, WAD), Fraction(max(q_wad, q_min_wad), WAD)
    value = (1 - q) * (reward + gain) - q * stake
    assert value < 0 or (reward + gain == 0 and value == 0)
    lower = stake - 1
    assert (1 - q_min) * (reward + gain) - q_min * lower >= 0


def test_cheat_value_is_the_expected_gain_against_abstaining() -> None:
    assert cheat_value(0.5, reward=1.0, stake=1.0) == 0.0
    assert (
        cheat_value(Q_MIN, reward=1.0, stake=min_stake(1.0, Q_MIN) + 1)
        < 0
        < cheat_value(Q_MIN, reward=1.0, stake=min_stake(1.0, Q_MIN) - 1)
    )
