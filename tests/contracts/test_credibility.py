"""The Credibility library against the Python WAD twin (``kura.compute.credibility``), bit for bit."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from kura.chain.client import Chain
from kura.compute.credibility import (
    MAX_PASSED,
    MAX_RESULTS,
    answer_credibility_wad,
    group_credibilities_wad,
    rejected_wad,
    worker_credibility_wad,
)
from kura.errors import ContractRevertError
from kura.units import WAD

KEYS = [bytes([i]) * 32 for i in (0x01, 0x7F, 0x80, 0xFE)]
"""Few distinct answers so random results collide into groups; byte order differs from draw order."""

credibility = st.one_of(st.sampled_from([0, 1, WAD // 2, WAD - 1, WAD]), st.integers(0, WAD))
ballots = st.lists(st.tuples(st.sampled_from(KEYS), credibility), min_size=1, max_size=MAX_RESULTS)
fixture_ok = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def harness(chain: Chain) -> Contract:
    return chain.contract("CredibilityHarness", chain.deploy("CredibilityHarness", sender=chain.account(0)).address)


def python_decision(votes: list[tuple[bytes, int]]) -> tuple[bytes, int]:
    groups: dict[bytes, list[int]] = defaultdict(list)
    for key, cr in votes:
        groups[key].append(cr)
    credibilities = group_credibilities_wad(groups)
    best = max(credibilities, key=lambda key: credibilities[key])
    return best, credibilities[best]


@fixture_ok
@given(
    passed=st.one_of(st.integers(0, 40), st.integers(0, MAX_PASSED)),
    f=st.one_of(st.sampled_from([0, 1, WAD // 5, WAD // 2, WAD - 1, WAD]), st.integers(0, WAD)),
)
def test_node_credibility_matches_python(harness: Contract, chain: Chain, passed: int, f: int) -> None:
    assert chain.call(harness.functions.ofNode(passed, f)) == worker_credibility_wad(passed, f)


def test_node_credibility_is_one_minus_f_over_k(harness: Contract, chain: Chain) -> None:
    # kura resets a caught node, so the contract weighs with Sarmenta's no-blacklisting bound.
    assert chain.call(harness.functions.ofNode(4, WAD // 5)) == 95 * 10**16
    assert chain.call(harness.functions.ofNode(3, WAD // 5)) == WAD - (WAD // 5 + 2) // 3
    assert chain.call(harness.functions.ofNode(0, WAD // 5)) == 8 * 10**17


@fixture_ok
@given(votes=ballots, answer=st.sampled_from([*KEYS, bytes(32)]))
def test_answer_credibility_matches_python(
    harness: Contract, chain: Chain, votes: list[tuple[bytes, int]], answer: bytes
) -> None:
    groups: dict[bytes, list[int]] = defaultdict(list)
    for key, cr in votes:
        groups[key].append(cr)
    got = chain.call(harness.functions.ofAnswer([k for k, _ in votes], [c for _, c in votes], answer))
    assert got == answer_credibility_wad(groups, answer)


@fixture_ok
@given(credibility=st.integers(0, WAD), theta=st.integers(WAD // 2 + 1, WAD))
def test_rejection_matches_python(harness: Contract, chain: Chain, credibility: int, theta: int) -> None:
    assert chain.call(harness.functions.rejected(credibility, theta)) == rejected_wad(credibility, theta)


@fixture_ok
@given(votes=ballots)
def test_decision_matches_python(harness: Contract, chain: Chain, votes: list[tuple[bytes, int]]) -> None:
    winner, value = chain.call(harness.functions.decide([k for k, _ in votes], [c for _, c in votes]))
    assert (bytes(winner), value) == python_decision(votes)


def test_known_answers(harness: Contract, chain: Chain) -> None:
    f = WAD // 5
    honest = [worker_credibility_wad(20, f)] * 2
    strays = [worker_credibility_wad(0, f)] * 3
    votes = [(KEYS[3], c) for c in honest] + [(KEYS[0], c) for c in strays]
    winner, value = chain.call(harness.functions.decide([k for k, _ in votes], [c for _, c in votes]))
    assert bytes(winner) == KEYS[3] and value == python_decision(votes)[1] and value > WAD * 9 // 10
    assert tuple(chain.call(harness.functions.decide([], []))) == (bytes(32), 0)
    assert chain.call(harness.functions.ofAnswer([], [], KEYS[0])) == 0
    too_many = [KEYS[0]] * (MAX_RESULTS + 1)
    with pytest.raises(ContractRevertError, match="TooManyResults"):
        chain.call(harness.functions.decide(too_many, [WAD // 2] * len(too_many)))
    with pytest.raises(ContractRevertError, match="TooManyResults"):
        chain.call(harness.functions.ofAnswer(too_many, [WAD // 2] * len(too_many), KEYS[0]))
