"""Confidence intervals: exact Clopper–Pearson, and its clustered widening by the design effect."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.sim.stats import clustered_proportion_ci, design_effect, proportion_ci


def test_clopper_pearson_known_values() -> None:
    # Zero events in n trials: the upper end is 1 - 0.025**(1/n) (the "rule of three" ~ 3.69/n).
    low, high = proportion_ci(0, 1_000_000)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 1_000_000), rel=1e-9)
    assert proportion_ci(5, 5)[1] == 1.0
    assert proportion_ci(0, 0) == (0.0, 1.0)


def test_one_cluster_or_no_event_is_the_plain_interval() -> None:
    assert clustered_proportion_ci(np.array([7]), 1000) == proportion_ci(7, 1000)
    assert clustered_proportion_ci(np.zeros(10, dtype=np.int64), 1000) == proportion_ci(0, 10_000)
    assert design_effect(np.zeros(3, dtype=np.int64), 100) == 1.0


def test_clustered_events_widen_the_interval() -> None:
    spread = np.array([3, 2, 4, 3, 3, 2, 3, 4, 3, 3])
    clumped = np.array([30, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert design_effect(spread, 10_000) == 1.0
    assert design_effect(clumped, 10_000) == pytest.approx(np.var(clumped, ddof=1) / (10_000 * 3e-4 * (1 - 3e-4)))
    narrow, wide = clustered_proportion_ci(spread, 10_000), clustered_proportion_ci(clumped, 10_000)
    assert wide[0] < narrow[0] and wide[1] > narrow[1]


@settings(max_examples=100, deadline=None)
@given(counts=st.lists(st.integers(0, 50), min_size=2, max_size=30), trials=st.integers(100, 10_000))
def test_the_interval_holds_the_pooled_rate_and_never_narrows(counts: list[int], trials: int) -> None:
    events = np.array(counts, dtype=np.int64)
    low, high = clustered_proportion_ci(events, trials)
    plain = proportion_ci(int(events.sum()), trials * events.size)
    rate = events.sum() / (trials * events.size)
    assert low <= rate <= high
    assert low <= plain[0] + 1e-12 and high >= plain[1] - 1e-12
