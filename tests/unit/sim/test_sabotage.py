"""The sabotage simulator against Sarmenta's closed forms and the mechanisms' promises."""

from __future__ import annotations

import pytest

from kura.compute import credibility
from kura.errors import SimulationError
from kura.sim import sabotage
from kura.sim.sabotage import (
    Mechanism,
    SabotageConfig,
    Strategy,
    majority_error,
    majority_redundancy,
    simulate_sabotage,
)


def test_majority_closed_forms_known_values() -> None:
    assert majority_error(0.2, 2) == pytest.approx(3 * 0.2**2 - 2 * 0.2**3)
    assert majority_error(0.2, 1) == pytest.approx(0.2)
    # m = 2: two draws if they agree, else three.
    assert majority_redundancy(0.2, 2) == pytest.approx(2 * (0.8**2 + 0.2**2) + 3 * (1 - 0.8**2 - 0.2**2))


@pytest.mark.parametrize(("f", "m"), [(0.1, 2), (0.3, 3)])
def test_majority_voting_matches_the_binomial_closed_form(f: float, m: int) -> None:
    result = simulate_sabotage(
        SabotageConfig(mechanism=Mechanism.MAJORITY, strategy=Strategy.COLLUDE, f=f, replication=m, tasks=8_000)
    )
    low, high = result.error_ci
    assert low <= majority_error(f, m) <= high
    assert result.redundancy == pytest.approx(majority_redundancy(f, m), rel=0.02)


def test_credibility_voting_keeps_error_below_the_acceptable_rate() -> None:
    config = SabotageConfig(
        mechanism=Mechanism.CREDIBILITY, strategy=Strategy.RANDOM, collude=True, sabotage_rate=0.1,
        f=0.2, tasks=8_000, acceptable_error=1e-2,
    )
    result = simulate_sabotage(config)
    assert result.error_ci[0] <= config.acceptable_error
    assert result.error_rate <= config.acceptable_error
    assert result.caught > 0


def test_the_simulator_weighs_with_the_shared_consensus_code() -> None:
    assert sabotage.decide is credibility.decide
    assert sabotage.worker_credibility is credibility.worker_credibility
    assert sabotage.next_passed is credibility.next_passed


def test_patient_attacker_profits_under_credibility_and_loses_under_kura() -> None:
    common = dict(strategy=Strategy.PATIENT, f=0.3, tasks=4_000, acceptable_error=1e-3)
    sarmenta = simulate_sabotage(SabotageConfig(mechanism=Mechanism.CREDIBILITY, **common))
    kura = simulate_sabotage(SabotageConfig(mechanism=Mechanism.KURA, **common))
    assert kura.caught > 0
    assert kura.attacker_profit < 0 < sarmenta.attacker_profit
    assert kura.error_rate <= common["acceptable_error"] * 2


@pytest.mark.parametrize("mechanism", list(Mechanism))
def test_no_saboteurs_no_errors(mechanism: Mechanism) -> None:
    result = simulate_sabotage(SabotageConfig(mechanism=mechanism, f=0.0, tasks=1_000))
    assert result.wrong == 0 and result.caught == 0
    assert result.attacker_profit == 0.0


@pytest.mark.parametrize(
    "changes",
    [dict(f=0.6), dict(acceptable_error=0.5), dict(workers=10), dict(replication=0), dict(auditors=0)],
)
def test_impossible_configs_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(SimulationError):
        SabotageConfig(**changes)  # type: ignore[arg-type]
