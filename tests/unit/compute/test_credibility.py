"""Sarmenta's credibility rules: hand-computed values, float/batch/WAD agreement, no uint256 overflow."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.compute.credibility import (
    MAX_PASSED,
    MAX_RESULTS,
    WAD,
    answer_credibility,
    answer_credibility_wad,
    collusion_bar,
    decide,
    decide_wad,
    group_credibilities,
    group_credibilities_batch,
    group_credibilities_wad,
    next_passed,
    promotion_bar,
    promotion_bar_wad,
    rejected,
    rejected_wad,
    worker_credibility,
    worker_credibility_batch,
    worker_credibility_wad,
)
from kura.errors import ConsensusError

UINT256_MAX = 2**256 - 1
AGREEMENT = 1e-9
"""Float and WAD twins agree within this absolute tolerance for credibilities at most
1 - 1e-6. The WAD twin is exact to a few wei (checked against rational arithmetic); the float
twin loses ~1e-16 / (1 - cr) relative precision when it forms 1 - cr, which is why the
agreement is stated, and tested, only away from 1."""


# ------------------------------------------------------------------ worker credibility


def test_unchecked_worker_has_the_population_credibility() -> None:
    assert worker_credibility(0, 0.2) == pytest.approx(0.8)
    assert worker_credibility_wad(0, 2 * 10**17) == 8 * 10**17


def test_kura_credibility_is_one_minus_f_over_k() -> None:
    # kura resets a caught node instead of barring it: Sarmenta's no-blacklisting bound.
    assert worker_credibility(4, 0.2) == pytest.approx(0.95)
    assert worker_credibility_wad(4, 2 * 10**17) == 95 * 10**16
    assert worker_credibility(10, 0.3) == pytest.approx(0.97)


def test_sarmentas_blacklisting_credibility_matches_hand_computed_value() -> None:
    # f = 0.2, k = 10: 1 - 0.2 / (0.8 * 10 * e) = 1 - 0.025 / e = 0.990803013970714
    assert worker_credibility(10, 0.2, blacklisting=True) == pytest.approx(1 - 0.025 / math.e, abs=1e-15)
    assert worker_credibility(10, 0.2, blacklisting=True) == pytest.approx(0.990803013970714, abs=1e-14)


def test_kuras_bound_is_the_more_cautious_one() -> None:
    # Issue 14: a reset (not barred) saboteur must not get the blacklisting bound's higher weight.
    for passed in (1, 5, 10, 100, 10_000):
        for f in (0.1, 0.2, 0.3):
            assert worker_credibility(passed, f) < worker_credibility(passed, f, blacklisting=True) or passed == 1


def test_loose_blacklisting_bound_never_falls_below_the_prior() -> None:
    # f = 0.7, k = 1: the bound 1 - 0.7/(0.3 e) = 0.142 is below 1 - f = 0.3.
    assert worker_credibility(1, 0.7, blacklisting=True) == pytest.approx(0.3)
    assert worker_credibility_wad(1, 7 * 10**17) == 3 * 10**17


def test_wad_credibility_rounds_down() -> None:
    # f = 0.2, k = 3: 1 - 0.2/3 = 0.93333...; ceil(2e17 / 3) = 66666666666666667.
    exact_wad = (1 - Fraction(2, 10) / 3) * WAD
    got = worker_credibility_wad(3, 2 * 10**17)
    assert got == WAD - 66666666666666667
    assert exact_wad - 1 <= got <= exact_wad


def test_edge_fractions() -> None:
    assert worker_credibility(5, 0.0) == 1.0 and worker_credibility_wad(5, 0) == WAD
    assert worker_credibility(5, 1.0) == pytest.approx(0.8) and worker_credibility_wad(5, WAD) == 8 * 10**17
    assert worker_credibility(0, 1.0) == 0.0 and worker_credibility_wad(0, WAD) == 0
    assert worker_credibility(5, 1.0, blacklisting=True) == 0.0


@pytest.mark.parametrize("passed", [-1, MAX_PASSED + 1])
def test_passed_out_of_range_is_refused(passed: int) -> None:
    with pytest.raises(ConsensusError, match="passed"):
        worker_credibility(passed, 0.1)
    with pytest.raises(ConsensusError, match="passed"):
        worker_credibility_wad(passed, 10**17)


def test_fraction_out_of_range_is_refused() -> None:
    with pytest.raises(ConsensusError):
        worker_credibility(1, 1.5)
    with pytest.raises(ConsensusError):
        worker_credibility_wad(1, WAD + 1)


@settings(max_examples=300, deadline=None)
@given(passed=st.integers(0, MAX_PASSED), f_wad=st.integers(0, WAD))
def test_worker_twins_agree_and_wad_is_conservative(passed: int, f_wad: int) -> None:
    as_float = worker_credibility(passed, f_wad / WAD)
    as_wad = worker_credibility_wad(passed, f_wad)
    assert 0 <= as_wad <= WAD
    assert abs(as_wad / WAD - as_float) < AGREEMENT
    exact = 1 - Fraction(f_wad, WAD) / passed if passed else 1 - Fraction(f_wad, WAD)
    assert exact * WAD - 1 < as_wad <= exact * WAD


@settings(max_examples=100, deadline=None)
@given(
    passed=st.lists(st.integers(0, MAX_PASSED), min_size=1, max_size=40),
    f=st.floats(0.0, 1.0) | st.sampled_from([0.0, 1.0]),
    blacklisting=st.booleans(),
)
def test_worker_batch_twin_equals_the_float_twin(passed: list[int], f: float, blacklisting: bool) -> None:
    got = worker_credibility_batch(np.array(passed, dtype=np.int64), f, blacklisting=blacklisting)
    expected = [worker_credibility(k, f, blacklisting=blacklisting) for k in passed]
    assert got.tolist() == pytest.approx(expected, abs=1e-15)


def test_worker_batch_twin_refuses_bad_input() -> None:
    with pytest.raises(ConsensusError, match="passed"):
        worker_credibility_batch(np.array([-1]), 0.2)
    with pytest.raises(ConsensusError, match="f must"):
        worker_credibility_batch(np.array([1]), 1.5)


@settings(max_examples=200, deadline=None)
@given(passed=st.integers(0, MAX_PASSED - 1), f_wad=st.integers(0, WAD))
def test_credibility_never_decreases_with_passed_checks(passed: int, f_wad: int) -> None:
    assert worker_credibility_wad(passed + 1, f_wad) >= worker_credibility_wad(passed, f_wad)


# ------------------------------------------------------------------ group credibility


def test_group_credibility_matches_hand_computed_value() -> None:
    # a: two results at 0.8, b: one at 0.8.
    # all wrong: 0.2^3 = 0.008; a right: 0.64 * 0.2 = 0.128; b right: 0.04 * 0.8 = 0.032
    got = group_credibilities({b"a": [0.8, 0.8], b"b": [0.8]})
    assert got[b"a"] == pytest.approx(0.128 / 0.168, abs=1e-15)
    assert got[b"b"] == pytest.approx(0.032 / 0.168, abs=1e-15)
    wad = group_credibilities_wad({b"a": [8 * 10**17] * 2, b"b": [8 * 10**17]})
    assert 128 * WAD // 168 - 2 <= wad[b"a"] <= 128 * WAD // 168
    assert 32 * WAD // 168 - 2 <= wad[b"b"] <= 32 * WAD // 168


def test_single_result_group_keeps_its_credibility() -> None:
    assert group_credibilities({b"x": [0.9]})[b"x"] == pytest.approx(0.9)
    assert 9 * 10**17 - 2 <= group_credibilities_wad({b"x": [9 * 10**17]})[b"x"] <= 9 * 10**17


def test_contradictory_certainties_give_no_credibility() -> None:
    assert group_credibilities({b"a": [1.0], b"b": [1.0]}) == {b"a": 0.0, b"b": 0.0}
    assert group_credibilities_wad({b"a": [WAD], b"b": [WAD]}) == {b"a": 0, b"b": 0}


def test_bad_groups_are_refused() -> None:
    with pytest.raises(ConsensusError, match="no result groups"):
        group_credibilities({})
    with pytest.raises(ConsensusError, match="empty"):
        group_credibilities_wad({b"a": []})
    with pytest.raises(ConsensusError, match="exceed"):
        group_credibilities({b"a": [0.5] * (MAX_RESULTS + 1)})
    with pytest.raises(ConsensusError, match=r"\[0, 1\]"):
        group_credibilities({b"a": [1.2]})
    with pytest.raises(ConsensusError, match="bytes"):
        group_credibilities_wad({"a": [1]})  # type: ignore[dict-item]


_credibility_wad = st.integers(0, WAD)
_groups_float_safe = st.dictionaries(
    st.binary(min_size=1, max_size=4),
    st.lists(st.integers(0, WAD - 10**12), min_size=1, max_size=8),
    min_size=1,
    max_size=4,
)
_groups_wad = st.dictionaries(
    st.binary(min_size=1, max_size=4),
    st.lists(_credibility_wad, min_size=1, max_size=8),
    min_size=1,
    max_size=4,
)


def _exact_group_credibilities(groups: dict[bytes, list[int]]) -> dict[bytes, Fraction]:
    """Sarmenta's formula in exact rational arithmetic: the reference for the WAD twin."""
    p_true = {key: math.prod((Fraction(cr, WAD) for cr in crs), start=Fraction(1)) for key, crs in groups.items()}
    p_false = {key: math.prod((1 - Fraction(cr, WAD) for cr in crs), start=Fraction(1)) for key, crs in groups.items()}
    right = {
        key: p_true[key] * math.prod((p_false[other] for other in groups if other != key), start=Fraction(1))
        for key in groups
    }
    total = math.prod(p_false.values(), start=Fraction(1)) + sum(right.values())
    return {key: (right[key] / total if total else Fraction(0)) for key in groups}


@settings(max_examples=300, deadline=None)
@given(groups=_groups_wad)
def test_group_wad_is_exact_to_a_few_wei_and_rounds_down(groups: dict[bytes, list[int]]) -> None:
    got = group_credibilities_wad(groups)
    exact = _exact_group_credibilities(groups)
    assert sum(got.values()) <= WAD
    for key in groups:
        assert exact[key] * WAD - 64 <= got[key] <= exact[key] * WAD


@settings(max_examples=300, deadline=None)
@given(groups=_groups_float_safe)
def test_group_twins_agree(groups: dict[bytes, list[int]]) -> None:
    as_wad = group_credibilities_wad(groups)
    as_float = group_credibilities({key: [cr / WAD for cr in crs] for key, crs in groups.items()})
    for key in groups:
        assert abs(as_wad[key] / WAD - as_float[key]) < AGREEMENT


_batch_rows = st.integers(1, 12).flatmap(
    lambda width: st.lists(
        st.lists(st.tuples(st.integers(0, 3), st.floats(1e-9, 1 - 1e-9)), min_size=width, max_size=width),
        min_size=1,
        max_size=6,
    )
)


@settings(max_examples=200, deadline=None)
@given(rows=_batch_rows)
def test_group_batch_twin_equals_the_float_twin(rows: list[list[tuple[int, float]]]) -> None:
    answers = np.array([[answer for answer, _ in row] for row in rows], dtype=np.int64)
    credibilities = np.array([[cr for _, cr in row] for row in rows])
    per_vote, none = group_credibilities_batch(answers, credibilities)
    for j, row in enumerate(rows):
        groups: dict[bytes, list[float]] = {}
        for answer, cr in row:
            groups.setdefault(bytes([answer]), []).append(cr)
        expected = group_credibilities(groups)
        for k, (answer, _) in enumerate(row):
            assert per_vote[j, k] == pytest.approx(expected[bytes([answer])], abs=1e-9)
        assert none[j] == pytest.approx(answer_credibility(groups, b"\xff"), abs=1e-9)


def test_group_batch_twin_handles_certainty_and_refuses_bad_input() -> None:
    per_vote, none = group_credibilities_batch(np.array([[0, 0]]), np.array([[1.0, 0.9]]))
    assert per_vote[0].tolist() == [1.0, 1.0] and none[0] < 1e-300  # odds e**700: "no group right" vanishes
    with pytest.raises(ConsensusError, match="shape"):
        group_credibilities_batch(np.zeros((2, 3), dtype=np.int64), np.zeros((2, 2)))
    with pytest.raises(ConsensusError, match="exceed"):
        group_credibilities_batch(np.zeros((1, MAX_RESULTS + 1), dtype=np.int64), np.full((1, MAX_RESULTS + 1), 0.5))
    with pytest.raises(ConsensusError, match=r"\[0, 1\]"):
        group_credibilities_batch(np.zeros((1, 1), dtype=np.int64), np.full((1, 1), 1.5))


def test_answer_credibility_of_a_given_and_of_an_unseen_answer() -> None:
    # a: 0.8, 0.8; b: 0.8 -> terms: none 0.008, a 0.128, b 0.032 (sum 0.168).
    groups = {b"a": [0.8, 0.8], b"b": [0.8]}
    assert answer_credibility(groups, b"a") == pytest.approx(0.128 / 0.168)
    assert answer_credibility(groups, b"zz") == pytest.approx(0.008 / 0.168)
    wad_groups = {b"a": [8 * 10**17] * 2, b"b": [8 * 10**17]}
    assert 8 * WAD // 168 - 2 <= answer_credibility_wad(wad_groups, b"zz") <= 8 * WAD // 168
    assert answer_credibility_wad(wad_groups, b"a") == group_credibilities_wad(wad_groups)[b"a"]
    assert answer_credibility_wad({b"a": [WAD], b"b": [WAD]}, b"c") == 0


@settings(max_examples=200, deadline=None)
@given(groups=_groups_wad, answer=st.binary(min_size=1, max_size=4))
def test_answer_credibility_wad_is_exact_to_a_few_wei_and_rounds_down(
    groups: dict[bytes, list[int]], answer: bytes
) -> None:
    exact = _exact_group_credibilities(groups)
    contradiction = not any(exact.values()) and any(WAD in crs for crs in groups.values())
    reference = exact.get(answer, Fraction(0) if contradiction else 1 - sum(exact.values()))
    got = answer_credibility_wad(groups, answer)
    assert reference * WAD - 64 <= got <= reference * WAD


def test_rejection_is_the_mirror_of_acceptance() -> None:
    assert rejected(1e-3, 1 - 1e-3) and not rejected(2e-3, 1 - 1e-3)
    assert rejected_wad(10**15, WAD - 10**15) and not rejected_wad(10**15 + 1, WAD - 10**15)
    # A worker whose answer no credible auditor shares is rejected even without a decision:
    # two auditors at k = 100 (f = 0.2) agree on "b"; nobody said "a".
    cr = worker_credibility(100, 0.2)
    assert decide({b"b": [cr, cr]}, 1 - 1e-6).answer is None
    assert rejected(answer_credibility({b"b": [cr, cr]}, b"a"), 1 - 1e-4)


def test_collusion_bar_is_the_least_count_at_which_a_pair_decides_alone() -> None:
    # f = 0.3, theta = 1 - 1e-3: (k / f - 1)^2 >= 999 -> k >= 0.3 * 32.6 = 9.78 -> 10.
    assert collusion_bar(0.3, 1 - 1e-3) == 10
    for f, theta in ((0.1, 1 - 1e-4), (0.2, 1 - 1e-5), (0.3, 1 - 1e-4)):
        bar = collusion_bar(f, theta)
        pair = lambda k, f=f, theta=theta: decide({b"w": [worker_credibility(k, f)] * 2}, theta).answer  # noqa: E731
        assert pair(bar) == b"w" and pair(bar - 1) is None
    assert collusion_bar(0.3, 1 - 1e-3, blacklisting=True) < collusion_bar(0.3, 1 - 1e-3)
    with pytest.raises(ConsensusError, match="colluding group"):
        collusion_bar(0.2, 0.99, size=0)
    with pytest.raises(ConsensusError, match="theta"):
        collusion_bar(0.2, 0.4)


class _Tracked(int):
    """An int whose arithmetic results stay tracked and record the largest magnitude seen."""

    peak = 0

    def _wrap(self, value: int) -> _Tracked:
        _Tracked.peak = max(_Tracked.peak, abs(value))
        return _Tracked(value)

    def __add__(self, other: int) -> _Tracked:
        return self._wrap(int(self) + int(other))

    __radd__ = __add__

    def __sub__(self, other: int) -> _Tracked:
        return self._wrap(int(self) - int(other))

    def __rsub__(self, other: int) -> _Tracked:
        return self._wrap(int(other) - int(self))

    def __mul__(self, other: int) -> _Tracked:
        return self._wrap(int(self) * int(other))

    __rmul__ = __mul__

    def __floordiv__(self, other: int) -> _Tracked:
        return self._wrap(int(self) // int(other))

    def __rfloordiv__(self, other: int) -> _Tracked:
        return self._wrap(int(other) // int(self))


@settings(max_examples=200, deadline=None)
@given(
    groups=st.dictionaries(
        st.binary(min_size=1, max_size=2),
        st.lists(st.sampled_from([0, 1, 2, WAD // 3, WAD - 1, WAD]) | _credibility_wad, min_size=1, max_size=16),
        min_size=1,
        max_size=2,
    )
)
def test_group_arithmetic_never_overflows_uint256(groups: dict[bytes, list[int]]) -> None:
    _Tracked.peak = 0
    tracked = {key: [_Tracked(cr) for cr in crs] for key, crs in groups.items()}
    got = group_credibilities_wad(tracked)
    assert 0 < _Tracked.peak <= UINT256_MAX
    assert _Tracked.peak < 10**73
    assert all(0 <= value <= WAD for value in got.values())


def test_worst_case_group_stays_far_below_uint256() -> None:
    _Tracked.peak = 0
    groups = {b"a": [_Tracked(WAD - 1)] * 16, b"b": [_Tracked(1)] * 16}
    group_credibilities_wad(groups)
    assert _Tracked.peak < 10**73 < UINT256_MAX


# ------------------------------------------------------------------ decision and updates


def test_decide_accepts_only_at_the_threshold() -> None:
    groups = {b"a": [0.8, 0.8], b"b": [0.8]}
    assert decide(groups, 0.75).answer == b"a"
    assert decide(groups, 0.77).answer is None
    wad_groups = {b"a": [8 * 10**17] * 2, b"b": [8 * 10**17]}
    assert decide_wad(wad_groups, 75 * 10**16).answer == b"a"
    undecided = decide_wad(wad_groups, 77 * 10**16)
    assert undecided.answer is None
    assert 128 * WAD // 168 - 2 <= undecided.credibility <= 128 * WAD // 168


@pytest.mark.parametrize("theta", [0.5, 1.01])
def test_decide_refuses_a_threshold_that_could_accept_two_groups(theta: float) -> None:
    with pytest.raises(ConsensusError, match="theta"):
        decide({b"a": [0.9]}, theta)
    with pytest.raises(ConsensusError, match="theta"):
        decide_wad({b"a": [9 * 10**17]}, int(theta * WAD))


def test_next_passed_adds_one_or_resets() -> None:
    assert next_passed(0, True) == 1
    assert next_passed(41, True) == 42
    assert next_passed(41, False) == 0
    assert next_passed(MAX_PASSED, True) == MAX_PASSED


def test_promotion_bar_known_answer() -> None:
    # f = 0.2, theta = 1 - 1e-4: 1 - 0.2 / k >= 1 - 1e-4 -> k >= 2000.
    assert promotion_bar(0.2, 1 - 1e-4) == 2000
    assert promotion_bar_wad(2 * 10**17, WAD - 10**14) == 2000
    assert promotion_bar(0.2, 0.8) == 0
    # Sarmenta's with-blacklisting bound: k >= 0.2 / (0.8 * e * 1e-4) = 919.7 -> 920.
    assert promotion_bar(0.2, 1 - 1e-4, blacklisting=True) == 920


@settings(max_examples=100, deadline=None)
@given(f_wad=st.integers(1, WAD - 1), theta_wad=st.integers(WAD // 2 + 1, WAD - 10**9))
def test_promotion_bar_is_the_least_count_reaching_theta(f_wad: int, theta_wad: int) -> None:
    try:
        bar = promotion_bar_wad(f_wad, theta_wad)
    except ConsensusError:
        assert worker_credibility_wad(MAX_PASSED, f_wad) < theta_wad
        return
    assert worker_credibility_wad(bar, f_wad) >= theta_wad
    assert bar == 0 or worker_credibility_wad(bar - 1, f_wad) < theta_wad


def test_unreachable_threshold_is_refused() -> None:
    with pytest.raises(ConsensusError, match="lower theta"):
        promotion_bar_wad(2 * 10**17, WAD)
