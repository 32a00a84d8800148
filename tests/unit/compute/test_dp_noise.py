"""The exact samplers behind dp_cohort_aggregate: the keystream, exactness of the rejection rules, and the
distributions they produce (fixed seeds, so every statistical check is deterministic; tolerances are stated
in standard errors of the statistic)."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from kura.compute.tasks.dp_noise import ChaCha20Stream, ExactSampler
from kura.errors import ComputeToDataError

# RFC 8439, appendix A.1, test vectors 1 and 2: all-zero key and nonce, block counters 0 and 1.
RFC8439_BLOCK_0 = bytes.fromhex(
    "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
    "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
)
RFC8439_BLOCK_1 = bytes.fromhex(
    "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
    "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"
)


def test_the_keystream_is_rfc8439_chacha20_with_nonce_zero_from_counter_zero() -> None:
    stream = ChaCha20Stream(bytes(32))
    words = b"".join(stream.next_u64().to_bytes(8, "little") for _ in range(16))
    assert words == RFC8439_BLOCK_0 + RFC8439_BLOCK_1
    assert stream.drawn == 16


def test_the_keystream_continues_across_refills() -> None:
    one, other = ChaCha20Stream(b"\x07" * 32), ChaCha20Stream(b"\x07" * 32)
    long_run = [one.next_u64() for _ in range(1000)]
    assert [other.next_u64() for _ in range(1000)] == long_run
    assert len(set(long_run)) == 1000


@pytest.mark.parametrize("seed", [b"", bytes(31), bytes(33)])
def test_a_seed_is_32_bytes(seed: bytes) -> None:
    with pytest.raises(ComputeToDataError, match="32 bytes"):
        ExactSampler(seed)


class ScriptedWords:
    """Stands in for the keystream with chosen words, to pin the rejection rule of uniform_below."""

    def __init__(self, words: list[int]) -> None:
        self.words = list(words)

    def next_u64(self) -> int:
        return self.words.pop(0)


def scripted(words: list[int]) -> ExactSampler:
    sampler = ExactSampler(bytes(32))
    sampler.stream = ScriptedWords(words)  # type: ignore[assignment]
    return sampler


def test_uniform_below_rejects_exactly_the_words_under_2_64_mod_n() -> None:
    n = 2**63 + 1
    threshold = 2**64 % n  # 2^63 - 1: the words 0 .. 2^63 - 2 would bias the result
    sampler = scripted([0, threshold - 1, threshold, 5])
    assert sampler.uniform_below(n) == threshold % n
    assert sampler.stream.words == [5]  # type: ignore[attr-defined]
    assert scripted([2**64 - 1]).uniform_below(n) == (2**64 - 1) % n


def test_uniform_below_a_power_of_two_never_rejects() -> None:
    sampler = scripted([0, 2**64 - 1, 12345])
    assert [sampler.uniform_below(2**32) for _ in range(3)] == [0, 2**32 - 1, 12345]


@settings(max_examples=50, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), t=st.integers(1, 2**48), s=st.integers(1, 2**28))
def test_samples_are_a_function_of_the_seed(seed: bytes, t: int, s: int) -> None:
    first, second = ExactSampler(seed), ExactSampler(seed)
    assert [first.discrete_laplace(t, s) for _ in range(5)] == [second.discrete_laplace(t, s) for _ in range(5)]
    assert first.stream.drawn == second.stream.drawn


def test_uniform_below_is_uniform() -> None:
    sampler = ExactSampler(b"uniform-test-seed-0123456789abcd")
    counts = Counter(sampler.uniform_below(7) for _ in range(35_000))
    # chi-square with 6 degrees of freedom; a fixed seed, so this either always passes or never does
    assert stats.chisquare([counts[i] for i in range(7)]).pvalue > 1e-3


@pytest.mark.parametrize(("n", "d"), [(0, 1), (1, 3), (1, 2), (5, 7), (1, 1), (2**40 - 1, 2**40)])
def test_bernoulli_exp_has_probability_exp_minus_n_over_d(n: int, d: int) -> None:
    sampler = ExactSampler(b"bernoulli-exp-seed-0123456789abc")
    trials = 20_000
    hits = sum(sampler.bernoulli_exp(n, d) for _ in range(trials))
    p = math.exp(-n / d)
    tolerance = 5 * math.sqrt(p * (1 - p) / trials)  # five binomial standard errors
    assert abs(hits / trials - p) <= tolerance + 1e-12


def discrete_laplace_pmf(z: int, t: int, s: int) -> float:
    q = math.exp(-s / t)
    return (1 - q) / (1 + q) * q ** abs(z)


@pytest.mark.parametrize(("t", "s"), [(1, 1), (3, 1), (7, 2), (40, 3), (1, 4)])
def test_discrete_laplace_has_mean_zero_and_the_right_variance(t: int, s: int) -> None:
    sampler = ExactSampler(b"discrete-laplace-seed-0123456789")
    n = 20_000
    samples = [sampler.discrete_laplace(t, s) for _ in range(n)]
    q = math.exp(-s / t)
    variance = 2 * q / (1 - q) ** 2
    fourth = sum(z**4 * discrete_laplace_pmf(z, t, s) for z in range(-4000, 4001))
    mean = sum(samples) / n
    sample_variance = sum(z * z for z in samples) / n
    assert abs(mean) <= 5 * math.sqrt(variance / n)  # five standard errors of the mean
    assert abs(sample_variance - variance) <= 5 * math.sqrt((fourth - variance**2) / n)  # ... of E[Z^2]


@pytest.mark.parametrize(("t", "s"), [(3, 1), (40, 3)])
def test_discrete_laplace_matches_its_probability_mass_function(t: int, s: int) -> None:
    sampler = ExactSampler(b"discrete-laplace-pmf-0123456789a")
    n = 30_000
    counts = Counter(sampler.discrete_laplace(t, s) for _ in range(n))
    # bins -K..K with the two tails merged, K where each tail still expects about 50 samples
    k = 0
    while n * (1 - sum(discrete_laplace_pmf(z, t, s) for z in range(-k, k + 1))) / 2 > 50:
        k += 1
    expected = [n * discrete_laplace_pmf(z, t, s) for z in range(-k, k + 1)]
    tail = (n - sum(expected)) / 2
    observed = [counts[z] for z in range(-k, k + 1)]
    low, high = sum(c for z, c in counts.items() if z < -k), sum(c for z, c in counts.items() if z > k)
    assert stats.chisquare([low, *observed, high], [tail, *expected, tail]).pvalue > 1e-3


def test_discrete_laplace_is_symmetric_and_counts_zero_once() -> None:
    sampler = ExactSampler(b"discrete-laplace-sym-0123456789a")
    counts = Counter(sampler.discrete_laplace(2, 1) for _ in range(20_000))
    q = math.exp(-1 / 2)
    assert abs(counts[0] / 20_000 - (1 - q) / (1 + q)) <= 5 * math.sqrt(0.25 / 20_000)
    positive, negative = sum(c for z, c in counts.items() if z > 0), sum(c for z, c in counts.items() if z < 0)
    assert abs(positive - negative) <= 5 * math.sqrt(positive + negative)
