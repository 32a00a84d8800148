"""kura's deployment parameters of the trust layer follow from one another as ``kura.chain.params`` says."""

from __future__ import annotations

from kura.chain.params import DeployParams
from kura.compute.credibility import promotion_bar_wad
from kura.compute.requester import fresh_auditors
from kura.units import WAD

PARAMS = DeployParams()
THETA = 99 * WAD // 100
"""The requester's default θ (``TaskTerms``)."""


def test_the_saboteur_fraction_is_the_audit_pools_bound_for_a_fifth_of_saboteurs_and_of_compute_slots() -> None:
    f, compute_share = WAD // 5, WAD // 5
    assert PARAMS.tasks.saboteur_fraction == f * WAD // (WAD - compute_share)


def test_the_promotion_bar_is_the_least_record_whose_credibility_reaches_the_default_theta() -> None:
    assert PARAMS.nodes.promotion_bar == promotion_bar_wad(PARAMS.tasks.saboteur_fraction, THETA) == 25


def test_a_first_task_at_the_default_theta_is_decidable_on_a_new_market() -> None:
    assert 0 < fresh_auditors(PARAMS.tasks, THETA) <= PARAMS.tasks.max_auditors


def test_the_largest_task_gets_its_fuels_time_and_is_paid() -> None:
    tasks = PARAMS.tasks
    assert tasks.window(tasks.max_fuel) == tasks.commit_window + tasks.max_fuel // tasks.fuel_rate
    assert tasks.min_payment(tasks.max_fuel) == tasks.max_fuel * tasks.min_fuel_price > 0
    assert tasks.slash_bps == 10_000


def test_a_new_network_names_no_genesis_compute_node_by_default() -> None:
    assert PARAMS.nodes.genesis_compute == ()
