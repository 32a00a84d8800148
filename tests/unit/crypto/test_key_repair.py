"""Key-share enrollment: rebuilds exactly the lost Shamir share; the combiner's view hides the helpers' shares."""

from __future__ import annotations

import itertools
import secrets
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.crypto import gf256, shamir
from kura.crypto.key_repair import EnrollmentHelper, combine_partial_sums, enrollment_weights, run_enrollment
from kura.errors import CodecError


def test_weights_known_answer_k2() -> None:
    # f(t) = f(1)·(t-2)/(1-2) + f(2)·(t-1)/(2-1); in GF(2^8), minus is XOR. For t = 3: (3^2)/(1^2) = 1/3, (3^1)/(2^1) = 2/3.
    w = enrollment_weights([1, 2], 3)
    assert list(w) == [gf256.mul(1, gf256.inv(3)), gf256.mul(2, gf256.inv(3))]


@settings(max_examples=60, deadline=None)
@given(k=st.integers(1, 6), extra=st.integers(1, 6), size=st.integers(0, 40), data=st.data())
def test_rebuilds_the_exact_lost_share(k: int, extra: int, size: int, data: st.DataObject) -> None:
    n = k + extra
    secret = secrets.token_bytes(size)
    shares = dict(shamir.split(secret, k, n))
    target = data.draw(st.integers(1, n))
    helpers = data.draw(st.permutations([x for x in shares if x != target]))[:k]
    assert run_enrollment({x: shares[x] for x in helpers}, target) == shares[target]


def test_k_equals_one_copies_the_share() -> None:
    shares = dict(shamir.split(b"key", 1, 3))
    assert run_enrollment({2: shares[2]}, 3) == shares[3] == b"key"


def test_combiner_view_is_independent_of_the_helper_shares_exhaustive() -> None:
    """k = 2, one-byte key: over every mask value, two share pairs with the same f(t) give the same views."""
    target, points = 3, [1, 2]
    w1, w2 = (int(v) for v in enrollment_weights(points, target))
    views: list[Counter[tuple[int, int]]] = []
    # Two different secrets (polynomials) whose value at t = 3 is the same, 0x5A.
    for s1 in (0x10, 0xC3):
        s2 = gf256.mul(gf256.inv(w2), 0x5A ^ gf256.mul(w1, s1))
        assert gf256.mul(w1, s1) ^ gf256.mul(w2, s2) == 0x5A
        counter: Counter[tuple[int, int]] = Counter()
        for r12, r21 in itertools.product(range(256), repeat=2):
            masks = iter([bytes([r12]), bytes([r21])])
            h1 = EnrollmentHelper(1, bytes([s1]), points, target, lambda _: next(masks))
            h2 = EnrollmentHelper(2, bytes([s2]), points, target, lambda _: next(masks))
            c1, c2 = h1.partial_sum({2: h2.masks()[1]}), h2.partial_sum({1: h1.masks()[2]})
            counter[(c1[0], c2[0])] += 1
        views.append(counter)
    assert views[0] == views[1]
    assert len(views[0]) == 256 and set(views[0].values()) == {256}  # uniform over the splits of 0x5A


def test_combiner_view_is_uniform_for_k3() -> None:
    """Any k - 1 partial sums are uniform: chi-square on the first byte of c_1 for a fixed key."""
    shares = dict(shamir.split(b"\x00" * 4, 3, 5))
    counts: Counter[int] = Counter()
    trials = 25_600
    for _ in range(trials):
        helpers = {x: EnrollmentHelper(x, shares[x], [1, 2, 3], 5) for x in (1, 2, 3)}
        c1 = helpers[1].partial_sum({2: helpers[2].masks()[1], 3: helpers[3].masks()[1]})
        counts[c1[0]] += 1
    expected = trials / 256
    chi2 = sum((counts[v] - expected) ** 2 / expected for v in range(256))
    assert chi2 < 340  # 255 degrees of freedom: p ≈ 0.0003


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(CodecError):
        enrollment_weights([1, 2], 2)
    with pytest.raises(CodecError):
        enrollment_weights([1, 1], 3)
    with pytest.raises(CodecError):
        enrollment_weights([0, 1], 3)
    with pytest.raises(CodecError):
        EnrollmentHelper(4, b"\x01", [1, 2], 3)
    helper = EnrollmentHelper(1, b"\x01", [1, 2], 3)
    with pytest.raises(CodecError):
        helper.partial_sum({})
    with pytest.raises(CodecError):
        helper.partial_sum({2: b"\x01\x02"})
    with pytest.raises(CodecError):
        combine_partial_sums([])
