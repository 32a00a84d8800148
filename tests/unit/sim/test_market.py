"""The audit-market engine: sampled audits, backtracking through the challenge window, money, and BOINC.

A fast schedule (floor 1/16 after 25 audits) keeps these runs to seconds; the report runs the
default one (floor 1/64) at full size.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import pytest

from kura.compute.sampling import min_stake
from kura.sim.sabotage import Mechanism, SabotageConfig, SabotageResult, Strategy, simulate_sabotage

run = lru_cache(maxsize=None)(simulate_sabotage)
FAST = SabotageConfig(
    mechanism=Mechanism.SAMPLED,
    f=0.2,
    workers=80,
    compute_fraction=0.25,
    tasks=200_000,
    replicas=10,
    acceptable_error=1e-5,
    q_min=1 / 16,
    full_record=5,
    half_life=5,
    challenge_window=300,
    stake=40.0,
    seed=7,
)


def sampled(strategy: Strategy, **changes: object) -> SabotageResult:
    return run(replace(FAST, strategy=strategy, **changes))  # type: ignore[arg-type]


def test_the_stake_is_above_the_negative_value_bound() -> None:
    assert FAST.stake > min_stake(FAST.reward, FAST.q_min)


def test_backtracking_corrects_every_result_of_a_behave_then_cheat_node() -> None:
    result = sampled(Strategy.PATIENT)
    assert result.caught > 0 and result.corrected > 0
    assert result.wrong == 0
    # Without a challenge window the same attack's un-audited results stand.
    assert sampled(Strategy.PATIENT, challenge_window=0).error_rate > 0.01


def test_reaudits_stop_after_a_clean_run_without_letting_errors_through() -> None:
    early, full = sampled(Strategy.PATIENT), sampled(Strategy.PATIENT, clean_run=0)
    assert early.wrong == full.wrong == 0
    assert early.reaudits < full.reaudits


def test_an_honest_market_pays_little_more_than_one_run_per_task() -> None:
    result = sampled(Strategy.HONEST)
    assert result.wrong == 0 and result.reaudits == 0
    # After warm-up a node is audited at the floor by about two auditors of high credibility.
    assert result.steady_redundancy is not None
    assert 1 + FAST.q_min < result.steady_redundancy < 1 + 3 * FAST.q_min


@pytest.mark.parametrize("strategy", [Strategy.RANDOM, Strategy.PATIENT, Strategy.ALWAYS])
def test_cheating_earns_less_than_behaving(strategy: Strategy) -> None:
    cheating = sampled(strategy, sabotage_rate=0.05)
    behaving = sampled(Strategy.HONEST)
    assert cheating.attacker_profit < behaving.attacker_profit


def test_sampling_cannot_stop_a_low_rate_cheater_only_make_it_pay() -> None:
    # Spot-checking's limit (Sarmenta 2002, section 4): a node that cheats rarely is caught rarely,
    # so its un-audited wrong results stand; the stake makes every one of them cost it money.
    result = sampled(Strategy.RANDOM, sabotage_rate=0.05)
    assert result.error_ci[0] > 1e-3
    assert result.attacker_profit < sampled(Strategy.HONEST).attacker_profit


def test_boinc_adaptive_replication_trusts_and_is_fooled() -> None:
    config = SabotageConfig(mechanism=Mechanism.BOINC, f=0.2, workers=80, tasks=100_000, replicas=5, seed=7)
    honest = run(replace(config, strategy=Strategy.HONEST))
    assert honest.steady_redundancy == pytest.approx(1 + config.replicate_rate, abs=0.01)
    patient = run(replace(config, strategy=Strategy.PATIENT))
    # A trusted host's task is checked 5 % of the time: a behave-then-cheat host wins the rest.
    assert patient.error_ci[0] > 0.02
