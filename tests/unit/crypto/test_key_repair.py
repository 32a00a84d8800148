"""Key-share enrollment: rebuilds exactly the lost Shamir share; the combiner's view hides the helpers' shares."""

from __future__ import annotations

import itertools
import secrets
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.codes import gf256
from kura.crypto import shamir
from kura.crypto.key_repair import EnrollmentHelper, combine_partial_streams, combine_partial_sums, run_enrollment
from kura.crypto.shamir import lagrange_weights
from kura.errors import CodecError


def test_weights_known_answer_k2() -> None:
    # f(t) = f(1)·(t-2)/(1-2) + f(2)·(t-1)/(2-1); in GF(2^8), minus is XOR.
    # For t = 3: (3^2)/(1^2) = 1/3, (3^1)/(2^1) = 2/3.
    w = lagrange_weights([1, 2], at=3)
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
    w1, w2 = (int(v) for v in lagrange_weights(points, at=target))
    views: list[Counter[tuple[int, int]]] = []
    # Two different secrets (polynomials) whose value at t = 3 is the same, 0x5A.
    for s1 in (0x10, 0xC3):
        s2 = gf256.mul(gf256.inv(w2), 0x5A ^ gf256.mul(w1, s1))
        assert gf256.mul(w1, s1) ^ gf256.mul(w2, s2) == 0x5A
        counter: Counter[tuple[int, int]] = Counter()
        for r12, r21 in itertools.product(range(256), repeat=2):
            masks = iter([bytes([r12]), bytes([r21])])
            h1 = EnrollmentHelper(1, bytes([s1]), points, target, lambda _, masks=masks: next(masks))
            h2 = EnrollmentHelper(2, bytes([s2]), points, target, lambda _, masks=masks: next(masks))
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
        lagrange_weights([1, 2], at=2)
    with pytest.raises(CodecError):
        lagrange_weights([1, 1], at=3)
    with pytest.raises(CodecError):
        lagrange_weights([0, 1], at=3)
    with pytest.raises(CodecError):
        EnrollmentHelper(4, b"\x01", [1, 2], 3)
    helper = EnrollmentHelper(1, b"\x01", [1, 2], 3)
    with pytest.raises(CodecError):
        helper.partial_sum({})
    with pytest.raises(CodecError):
        helper.partial_sum({2: b"\x01\x02"})
    with pytest.raises(CodecError):
        combine_partial_sums([])


def _split_body(body: bytes, k: int, n: int) -> dict[int, bytes]:
    """Every byte of ``body`` Shamir-shared k-of-n, as the pure-Shamir codec does: share x holds f_i(x) per byte."""
    rows = shamir.split_rows(np.frombuffer(body, dtype=np.uint8), k, n)
    return {x + 1: rows[x].tobytes() for x in range(n)}


def _blocks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


@settings(max_examples=40, deadline=None)
@given(
    k=st.integers(1, 5),
    extra=st.integers(1, 4),
    size=st.integers(1, 3000),
    cut=st.integers(1, 700),
    block=st.integers(1, 900),
    data=st.data(),
)
def test_partial_streams_rebuild_the_exact_lost_body(
    k: int, extra: int, size: int, cut: int, block: int, data: st.DataObject
) -> None:
    n = k + extra
    bodies = _split_body(secrets.token_bytes(size), k, n)
    target = data.draw(st.integers(1, n))
    points = data.draw(st.permutations([x for x in bodies if x != target]))[:k]
    helpers = {x: EnrollmentHelper(x, bytes(32), points, target) for x in points}
    outgoing = {x: helper.masks() for x, helper in helpers.items()}
    pads = {x: secrets.token_bytes(32) for x in points}
    streams = {}
    for x, helper in helpers.items():
        received = {peer: outgoing[peer][x] for peer in points if peer != x}
        streams[x] = b"".join(helper.partial_stream(_blocks(bodies[x], cut), received, pads[x]))
        assert len(streams[x]) == size
    readers = [_reader(streams[x]) for x in points]
    rebuilt = b"".join(combine_partial_streams(readers, [pads[x] for x in points], size, block))
    assert rebuilt == bodies[target]


def _reader(data: bytes) -> Callable[[int], bytes]:
    position = 0

    def read(count: int) -> bytes:
        nonlocal position
        position += count
        return data[position - count : position]

    return read


def test_a_partial_stream_needs_its_pad_and_every_helper() -> None:
    k, n, size = 3, 5, 4096
    bodies = _split_body(secrets.token_bytes(size), k, n)
    points, target = [1, 2, 3], 5
    helpers = {x: EnrollmentHelper(x, bytes(32), points, target) for x in points}
    outgoing = {x: helper.masks() for x, helper in helpers.items()}
    pads = {x: secrets.token_bytes(32) for x in points}
    streams = {
        x: b"".join(helpers[x].partial_stream([bodies[x]], {p: outgoing[p][x] for p in points if p != x}, pads[x]))
        for x in points
    }
    wrong = {**pads, 1: secrets.token_bytes(32)}
    guessed = b"".join(
        combine_partial_streams([_reader(streams[x]) for x in points], [wrong[x] for x in points], size, 1024)
    )
    assert guessed != bodies[target]
    with pytest.raises(CodecError, match="sent 0 bytes"):
        list(
            combine_partial_streams(
                [_reader(streams[1]), _reader(b""), _reader(streams[3])], [pads[x] for x in points], size, 1024
            )
        )
    weighted = gf256.MUL_TABLE[int(lagrange_weights(points, at=target)[0])][np.frombuffer(bodies[1], dtype=np.uint8)]
    assert streams[1] != weighted.tobytes()  # what travels is masked and padded, not w·f(x)


def test_partial_streams_refuse_missing_masks() -> None:
    helper = EnrollmentHelper(1, bytes(32), [1, 2], 3)
    with pytest.raises(CodecError, match="needs one mask from each of"):
        list(helper.partial_stream([b"abc"], {}, bytes(32)))
