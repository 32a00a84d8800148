"""The requester's checks before posting: the module is runnable WebAssembly, and the terms are ones the market
accepts and can decide (issue 14, defect 9)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.chain.params import TaskMarketParams
from kura.compute import tasks
from kura.compute.credibility import group_credibilities_wad
from kura.compute.requester import WASM_MAGIC, TaskTerms, check_module, fresh_auditors, resolve_terms
from kura.compute.sandbox import Sandbox
from kura.errors import SandboxError, TaskError
from kura.units import WAD

PARAMS = TaskMarketParams()
FUEL = 10**6


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def agreeing_fresh(count: int, params: TaskMarketParams = PARAMS) -> int:
    """The group credibility of ``count`` never-checked auditors giving one answer."""
    return group_credibilities_wad({b"a": [WAD - params.saboteur_fraction] * count})[b"a"]


@pytest.mark.parametrize("module", [b"", b"(module)", b"#!/bin/sh\necho hi\n", b"\0asm\x02\0\0\0" + bytes(8)])
def test_bytes_that_are_not_webassembly_are_refused(sandbox: Sandbox, module: bytes) -> None:
    with pytest.raises(SandboxError, match=r"not WebAssembly.*nothing was posted"):
        check_module(module, sandbox)


def test_a_module_that_is_malformed_after_the_magic_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError, match="nothing was posted"):
        check_module(WASM_MAGIC + b"\x01\xff\xff", sandbox)


def test_a_valid_module_without_kuras_exports_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError, match="nothing was posted"):
        check_module(WASM_MAGIC, sandbox)


@pytest.mark.parametrize("name", sorted(tasks.TASKS))
def test_every_shipped_task_passes(sandbox: Sandbox, name: str) -> None:
    check_module(tasks.load(name), sandbox)


def test_defaults_fill_the_fee_with_the_least_pay_and_decide_a_first_task() -> None:
    least = PARAMS.min_payment(FUEL)
    chosen = resolve_terms(PARAMS, TaskTerms(reward=least, fuel=FUEL))
    assert chosen.audit_fee == least
    assert agreeing_fresh(chosen.auditors) >= chosen.theta
    assert agreeing_fresh(chosen.auditors * PARAMS.max_rounds - 1) >= chosen.theta


@settings(max_examples=60, deadline=None)
@given(theta=st.integers(WAD // 2 + 1, 999 * WAD // 1000), f=st.integers(WAD // 100, 45 * WAD // 100))
def test_fresh_auditors_is_the_least_count_that_decides_in_one_round(theta: int, f: int) -> None:
    params = TaskMarketParams(saboteur_fraction=f)
    try:
        count = fresh_auditors(params, theta)
    except TaskError:
        assert agreeing_fresh(params.max_auditors, params) < theta
        return
    assert agreeing_fresh(count, params) >= theta
    assert agreeing_fresh(count * params.max_rounds - 1, params) >= theta
    assert count == 1 or agreeing_fresh(count - 1, params) < theta


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        (TaskTerms(reward=0, fuel=FUEL), "reward of 0 ETH is below"),
        (TaskTerms(reward=PARAMS.min_payment(FUEL) - 1, fuel=FUEL), "reward .* is below"),
        (TaskTerms(reward=PARAMS.min_payment(FUEL), audit_fee=0, fuel=FUEL), "audit fee of 0 ETH is below"),
        (TaskTerms(reward=10**18, fuel=0), "fuel 0 is outside"),
        (TaskTerms(reward=10**18, fuel=PARAMS.max_fuel + 1), "is outside this market's 1 to"),
        (TaskTerms(reward=10**18, fuel=FUEL, auditors=PARAMS.max_auditors + 1), "auditors per round is outside"),
        (TaskTerms(reward=10**18, fuel=FUEL, auditors=1), "could never decide"),
        (TaskTerms(reward=10**18, fuel=FUEL, theta=WAD), "no task at theta 1.0 can be decided"),
    ],
)
def test_terms_the_market_would_refuse_are_refused_before_posting(terms: TaskTerms, message: str) -> None:
    with pytest.raises(TaskError, match=message):
        resolve_terms(PARAMS, terms)


def test_explicit_terms_are_kept() -> None:
    terms = TaskTerms(reward=10**16, auditors=5, audit_fee=10**15, theta=9 * WAD // 10, fuel=FUEL, confidential=True)
    chosen = resolve_terms(PARAMS, terms)
    assert (chosen.reward, chosen.auditors, chosen.audit_fee, chosen.theta, chosen.fuel, chosen.confidential) == (
        10**16,
        5,
        10**15,
        9 * WAD // 10,
        FUEL,
        True,
    )
