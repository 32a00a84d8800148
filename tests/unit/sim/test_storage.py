"""The reliability simulator against closed forms on small cases."""

from __future__ import annotations

import math
from math import comb

import numpy as np
import pytest

from kura.codes.params import CodeParams, Scheme
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
        scheme=Scheme.RS,
        k=2,
        n=3,
        years=days / 365,
        lifetime=Lifetime.WEIBULL,
        weibull_shape=shape,
        mean_lifetime_days=mean,
        audit_interval_days=1e12,
        **SMALL,
    )
    scale = mean / math.gamma(1 + 1 / shape)
    expected = binomial_loss(2, 3, math.exp(-((days / scale) ** shape)))
    low, high = simulate_storage(config).p_loss_ci
    assert low <= expected <= high


@pytest.mark.parametrize("threshold", [2, 3])
def test_with_repair_loss_matches_the_markov_chain(threshold: int) -> None:
    config = StorageConfig(
        scheme=Scheme.RS,
        k=2,
        n=4,
        threshold=threshold,
        years=2.0,
        mean_lifetime_days=365.0,
        audit_interval_days=60.0,
        seed=threshold,
        **SMALL,
    )
    expected = markov.loss_probability(2, 4, threshold, 1 / 365, 1 / 60, 2 * 365)
    low, high = simulate_storage(config).p_loss_ci
    assert low <= expected <= high


MASS = dict(
    k=3,
    n=6,
    files=2_000,
    nodes=2_000,
    years=0.5,
    mean_lifetime_days=3650.0,
    mass_failure_fraction=0.4,
    mass_failure_day=30.0,
    audit_interval_days=3.0,
)


@pytest.mark.parametrize("scheme", list(Scheme))
def test_every_scheme_restores_redundancy_after_a_mass_failure_at_the_audit_rate(scheme: Scheme) -> None:
    result = simulate_storage(StorageConfig(scheme=scheme, **MASS))
    assert result.timeline.redundancy[31] < 0.8
    assert result.timeline.full_fraction[-1] > 0.98
    assert result.shares_rebuilt > 0


def test_shamir_without_repair_never_restores_redundancy() -> None:
    result = simulate_storage(StorageConfig(scheme=Scheme.SHAMIR, **{**MASS, "audit_interval_days": 1e12}))
    assert result.shares_rebuilt == 0 and result.timeline.full_fraction[-1] < 0.3


def test_under_one_bandwidth_cap_msr_recovers_first_and_shamir_last() -> None:
    capped = {**MASS, "bandwidth_bytes_per_day": 2**29, "file_bytes": 2**30}
    days = {}
    for scheme in Scheme:
        result = simulate_storage(StorageConfig(scheme=scheme, **capped))
        days[scheme] = result.timeline.days_to_full(30.0, 0.95)
        per_share = result.repair_bytes / result.shares_rebuilt / 2**30
        if scheme is Scheme.MSR:  # 2/k with d helpers; files left with fewer than d = 4 decode like RS
            assert CodeParams(scheme, 3, 6).repair_fraction < per_share < CodeParams(Scheme.RS, 3, 6).repair_fraction
        else:
            assert per_share == pytest.approx(CodeParams(scheme, 3, 6).repair_fraction)
    assert days[Scheme.MSR] is not None and days[Scheme.RS] is not None and days[Scheme.SHAMIR] is not None
    assert days[Scheme.MSR] < days[Scheme.RS] < days[Scheme.SHAMIR]


def test_repair_traffic_follows_code_params() -> None:
    common = dict(k=4, n=8, files=1_000, nodes=2_000, years=1.0, mean_lifetime_days=200.0, audit_interval_days=5.0)
    for scheme in (Scheme.RS, Scheme.SHAMIR):
        config = StorageConfig(scheme=scheme, **common)
        result = simulate_storage(config)
        params = CodeParams(scheme, 4, 8)
        assert result.shares_rebuilt > 0
        assert result.repair_bytes == pytest.approx(result.shares_rebuilt * params.repair_fraction * config.file_bytes)
        assert result.timeline.repair_bytes.sum() == pytest.approx(result.repair_bytes)


def test_msr_repair_meets_the_cut_set_bound_when_d_helpers_remain() -> None:
    common = dict(k=4, n=8, files=1_000, nodes=2_000, years=1.0, mean_lifetime_days=200.0)
    # Fast audits: a file is repaired long before it falls below d = 6 shares.
    fast = simulate_storage(StorageConfig(scheme=Scheme.MSR, audit_interval_days=0.5, **common))
    assert fast.repair_bytes == pytest.approx(fast.cut_set_bytes, rel=0.01)
    # Slow audits: some repairs find fewer than d helpers and decode like RS instead.
    slow = simulate_storage(StorageConfig(scheme=Scheme.MSR, audit_interval_days=60.0, **common))
    rs_bytes = slow.shares_rebuilt * CodeParams(Scheme.RS, 4, 8).repair_fraction * slow.config.file_bytes
    assert slow.cut_set_bytes < slow.repair_bytes < rs_bytes


def test_a_repair_takes_the_time_its_bytes_need_on_a_capped_link() -> None:
    file_bytes = 2**20
    per_share = CodeParams(Scheme.RS, 2, 4).repair_fraction * file_bytes
    config = StorageConfig(
        scheme=Scheme.RS,
        k=2,
        n=4,
        files=300,
        nodes=3_000,
        years=0.2,
        mean_lifetime_days=1e9,
        mass_failure_fraction=0.3,
        mass_failure_day=1.0,
        audit_interval_days=0.01,
        bandwidth_bytes_per_day=per_share / 5,
        file_bytes=file_bytes,
    )
    slow = simulate_storage(config)
    # Every repair downloads one file at a fifth of a file per day: no share lands within 5 days of the event,
    # and (with 10 nodes per file, so links seldom queue) nearly all have landed a week after that.
    assert slow.timeline.full_fraction[4] == slow.timeline.full_fraction[1] < 0.5
    assert slow.timeline.full_fraction[12] > 0.95
    fast = simulate_storage(StorageConfig(**{**config.__dict__, "bandwidth_bytes_per_day": None}))
    assert fast.timeline.full_fraction[2] > 0.95


def test_shamir_moves_k_times_what_rs_moves_on_every_link() -> None:
    file_bytes = 2**20
    common = dict(
        k=2,
        n=4,
        files=2_000,
        nodes=400,
        years=0.2,
        mean_lifetime_days=1e9,
        mass_failure_fraction=0.3,
        mass_failure_day=1.0,
        audit_interval_days=0.01,
        file_bytes=file_bytes,
    )
    cap = 2 * file_bytes
    rs = simulate_storage(StorageConfig(scheme=Scheme.RS, bandwidth_bytes_per_day=cap, **common))
    # A Shamir newcomer downloads k whole shares (k files) and each helper uploads one (a file); RS moves a file
    # down and 1/k of it up from each helper. With k times the cap, Shamir runs exactly like RS.
    twice = simulate_storage(StorageConfig(scheme=Scheme.SHAMIR, bandwidth_bytes_per_day=2 * cap, **common))
    assert np.array_equal(twice.timeline.full_fraction, rs.timeline.full_fraction)
    same = simulate_storage(StorageConfig(scheme=Scheme.SHAMIR, bandwidth_bytes_per_day=cap, **common))
    assert same.timeline.days_to_full(1.0, 0.99) > 2 * rs.timeline.days_to_full(1.0, 0.99)  # type: ignore[operator]


def test_transient_outages_below_the_timeout_lose_nothing() -> None:
    config = StorageConfig(
        scheme=Scheme.MSR,
        k=2,
        n=3,
        files=2_000,
        nodes=1_000,
        years=0.5,
        mean_lifetime_days=1e9,
        mean_uptime_days=2.0,
        mean_downtime_days=0.2,
        eviction_timeout_days=1e6,
    )
    result = simulate_storage(config)
    assert result.files_lost == 0 and result.shares_rebuilt == 0


def test_transient_outages_beyond_the_timeout_count_as_departures() -> None:
    config = StorageConfig(
        scheme=Scheme.MSR,
        k=2,
        n=3,
        files=2_000,
        nodes=1_000,
        years=0.5,
        mean_lifetime_days=1e9,
        mean_uptime_days=10.0,
        mean_downtime_days=5.0,
        eviction_timeout_days=1.0,
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
