"""The reliability simulator against closed forms on small cases."""

from __future__ import annotations

import math
from math import comb

import numpy as np
import pytest

from kura.crypto.params import CodeParams, Scheme
from kura.errors import CodecError, SimulationError
from kura.sim import markov
from kura.sim.storage import Lifetime, StorageConfig, simulate_storage

# Many more nodes than shares keeps files nearly independent, so the binomial
# interval of the loss estimate is honest (shares on one node fail together).
SMALL = dict(files=4_000, nodes=40_000, dt_days=0.5)


def binomial_loss(k: int, n: int, survive: float) -> float:
    return 1.0 - sum(comb(n, i) * survive**i * (1 - survive) ** (n - i) for i in range(k, n + 1))


def test_without_repair_loss_matches_the_binomial_closed_form() -> None:
    config = StorageConfig(
        scheme=Scheme.RS, k=2, n=4, years=1.0, mean_lifetime_days=365.0, audit_interval_days=1e12, **SMALL
    )
    result = simulate_storage(config)
    expected = binomial_loss(2, 4, math.exp(-1.0))
    low, high = result.p_loss_ci
    assert low <= expected <= high
    assert result.shares_rebuilt == 0


def test_weibull_lifetimes_match_their_survival_function() -> None:
    shape, mean, days = 0.6, 300.0, 365.0
    config = StorageConfig(
        scheme=Scheme.RS, k=2, n=3, years=days / 365, lifetime=Lifetime.WEIBULL, weibull_shape=shape,
        mean_lifetime_days=mean, audit_interval_days=1e12, **SMALL,
    )
    scale = mean / math.gamma(1 + 1 / shape)
    expected = binomial_loss(2, 3, math.exp(-((days / scale) ** shape)))
    low, high = simulate_storage(config).p_loss_ci
    assert low <= expected <= high


@pytest.mark.parametrize("threshold", [2, 3])
def test_with_repair_loss_matches_the_markov_chain(threshold: int) -> None:
    config = StorageConfig(
        scheme=Scheme.RS, k=2, n=4, threshold=threshold, years=2.0, mean_lifetime_days=365.0,
        audit_interval_days=60.0, seed=threshold, **SMALL,
    )
    expected = markov.loss_probability(2, 4, threshold, 1 / 365, 1 / 60, 2 * 365)
    low, high = simulate_storage(config).p_loss_ci
    assert low <= expected <= high


def test_mass_failure_msr_restores_redundancy_and_shamir_does_not() -> None:
    common = dict(k=3, n=6, files=2_000, nodes=2_000, years=0.5, mean_lifetime_days=3650.0,
                  mass_failure_fraction=0.4, mass_failure_day=30.0, audit_interval_days=3.0)
    msr = simulate_storage(StorageConfig(scheme=Scheme.MSR, **common))
    shamir = simulate_storage(StorageConfig(scheme=Scheme.SHAMIR, **common))
    day = int(31 / 1.0)
    assert msr.timeline.redundancy[day] < 0.8 and shamir.timeline.redundancy[day] < 0.8
    assert msr.timeline.redundancy[-1] > 0.99
    assert shamir.timeline.redundancy[-1] < 0.7
    assert shamir.shares_rebuilt == 0


def test_shamir_owner_visits_restore_redundancy_slowly() -> None:
    common = dict(k=3, n=6, files=2_000, nodes=2_000, years=0.5, mean_lifetime_days=3650.0,
                  mass_failure_fraction=0.4, mass_failure_day=30.0)
    owner = simulate_storage(StorageConfig(scheme=Scheme.SHAMIR, owner_repair_days=60.0, **common))
    assert 0.7 < owner.timeline.redundancy[-1] < 0.99
    assert owner.shares_rebuilt > 0


def test_repair_traffic_follows_code_params() -> None:
    common = dict(k=4, n=8, files=1_000, nodes=2_000, years=1.0, mean_lifetime_days=200.0, audit_interval_days=5.0)
    for scheme in (Scheme.RS, Scheme.SHAMIR):
        config = StorageConfig(scheme=scheme, owner_repair_days=5.0, **common)
        result = simulate_storage(config)
        params = CodeParams(scheme, 4, 8)
        assert result.shares_rebuilt > 0
        assert result.repair_bytes == pytest.approx(result.shares_rebuilt * params.repair_fraction * config.file_bytes)


def test_msr_repair_meets_the_cut_set_bound_when_d_helpers_remain() -> None:
    common = dict(k=4, n=8, files=1_000, nodes=2_000, years=1.0, mean_lifetime_days=200.0)
    # Fast audits: a file is repaired long before it falls below d = 6 shares.
    fast = simulate_storage(StorageConfig(scheme=Scheme.MSR, audit_interval_days=0.5, **common))
    assert fast.repair_bytes == pytest.approx(fast.cut_set_bytes, rel=0.01)
    # Slow audits: some repairs find fewer than d helpers and decode like RS instead.
    slow = simulate_storage(StorageConfig(scheme=Scheme.MSR, audit_interval_days=60.0, **common))
    rs_bytes = slow.shares_rebuilt * CodeParams(Scheme.RS, 4, 8).repair_fraction * slow.config.file_bytes
    assert slow.cut_set_bytes < slow.repair_bytes < rs_bytes


def test_bandwidth_limit_caps_repair_per_node_per_day() -> None:
    file_bytes = 2**20
    per_share = CodeParams(Scheme.RS, 2, 4).repair_fraction * file_bytes
    config = StorageConfig(
        scheme=Scheme.RS, k=2, n=4, files=3_000, nodes=200, years=0.2, mean_lifetime_days=3650.0,
        mass_failure_fraction=0.5, mass_failure_day=1.0, audit_interval_days=0.5,
        bandwidth_bytes_per_day=per_share, file_bytes=file_bytes,
    )
    limited = simulate_storage(config)
    # A node may start one repair per day with this budget: at most `nodes` repairs a day.
    assert limited.shares_rebuilt <= config.nodes * config.years * 365 + config.nodes
    unlimited = simulate_storage(StorageConfig(**{**config.__dict__, "bandwidth_bytes_per_day": None}))
    assert unlimited.timeline.full_fraction[5] > limited.timeline.full_fraction[5]


def test_transient_outages_below_the_timeout_lose_nothing() -> None:
    config = StorageConfig(
        scheme=Scheme.MSR, k=2, n=3, files=2_000, nodes=1_000, years=0.5, mean_lifetime_days=1e9,
        mean_uptime_days=2.0, mean_downtime_days=0.2, eviction_timeout_days=1e6,
    )
    result = simulate_storage(config)
    assert result.files_lost == 0 and result.shares_rebuilt == 0


def test_transient_outages_beyond_the_timeout_count_as_departures() -> None:
    config = StorageConfig(
        scheme=Scheme.MSR, k=2, n=3, files=2_000, nodes=1_000, years=0.5, mean_lifetime_days=1e9,
        mean_uptime_days=10.0, mean_downtime_days=5.0, eviction_timeout_days=1.0,
    )
    assert simulate_storage(config).shares_rebuilt > 0


def test_same_seed_same_result() -> None:
    config = StorageConfig(scheme=Scheme.RS, k=2, n=4, files=500, nodes=400, years=1.0, mean_lifetime_days=100.0)
    first, second = simulate_storage(config), simulate_storage(config)
    assert first.files_lost == second.files_lost
    assert np.array_equal(first.timeline.redundancy, second.timeline.redundancy)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (dict(threshold=1), SimulationError),
        (dict(threshold=8), SimulationError),
        (dict(nodes=3), SimulationError),
        (dict(mass_failure_fraction=1.0), SimulationError),
        (dict(years=0), SimulationError),
        (dict(scheme=Scheme.MSR, k=4, n=5), CodecError),
    ],
)
def test_impossible_configs_are_refused(changes: dict[str, object], error: type[Exception]) -> None:
    base: dict[str, object] = dict(scheme=Scheme.RS, k=4, n=8)
    with pytest.raises(error):
        StorageConfig(**{**base, **changes})  # type: ignore[arg-type]
