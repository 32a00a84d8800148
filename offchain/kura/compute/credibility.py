"""Sarmenta's credibility-based fault tolerance, as pure functions.

kura decides a compute task's answer the way Sarmenta ("Sabotage-tolerance
mechanisms for volunteer computing systems", FGCS 18(4), 2002) does: every
result carries the credibility of the worker that produced it, results with the
same answer form a *group*, and a group is accepted once its credibility reaches
the threshold ``theta = 1 - acceptable_error``.

Three twins of every rule live here:

* a float version, used by the voting simulators (:mod:`kura.sim.sabotage`);
* a ``_batch`` version over numpy arrays, used by the vectorised audit-market
  simulator (:mod:`kura.sim.market`) and tested against the float twin;
* a ``_wad`` version in pure integer arithmetic with values scaled by
  ``WAD = 10**18``. It uses only ``+ - * //``, comparisons and loops bounded by
  :data:`MAX_RESULTS`, so the TaskMarket contract (``Credibility.sol``) and the
  off-chain workers can mirror it bit for bit with ``uint256`` math. Every
  rounding direction is stated where it happens; all of them make a
  credibility *smaller*, never larger, so rounding can only delay an
  acceptance, never cause a wrong one.

Worker credibility (Sarmenta §5, from the spot-checking error bounds of §4),
for a worker that passed ``k`` spot-checks while a fraction ``f`` of workers
are saboteurs:

* ``k = 0``: ``1 - f`` (all we know is the population);
* without blacklisting (a caught saboteur stays in the system, reset):
  ``1 - f / k`` — **kura's formula**, float and WAD twins and the contract;
* with blacklisting (a caught identity never returns and its results are
  undone): ``1 - f / ((1 - f) * k * e)`` — only for Sarmenta's own scheme in
  the simulator (``blacklisting=True`` on the float twins).

Why kura uses the no-blacklisting formula. The blacklisting bound assumes a
caught saboteur is gone for good; kura only resets it (its identity, stake and
node keep taking part), which is exactly Sarmenta's no-blacklisting case. In
the sabotage simulator (``kura sim report``, section 5.1), patient colluders at
f = 0.3 and acceptable error 1e-3 made 1.7e-3 of the results wrong when nodes
were weighed with the blacklisting bound, 2.1e-4 with ``1 - f / k``; with
``1 - f / k`` the upper end of the 95 % interval stays under the acceptable
error for every strategy at 1e-3 and 1e-4, f up to 0.3. ``f`` must bound the
saboteurs' share of the *voters* (the audit pool, where demoted cheaters
gather), not of all nodes (``docs/trust-layer.md``). A timed blacklist would
need one more stored field per node and a clock rule for a gain the
measurements do not need.

The bound never falls below the prior ``1 - f``: for ``k >= 1``,
``f / k <= f``, so the WAD twin is simply ``WAD - ceil(f / k)``.

Group credibility (Sarmenta §5): with groups ``G_1..G_g``,
``P_T(G) = prod(cr)`` and ``P_F(G) = prod(1 - cr)`` over the group's results,
``Cr(G_a) = P_T(G_a) * prod_{b != a} P_F(G_b) / P_V`` where
``P_V = prod_b P_F(G_b) + sum_c P_T(G_c) * prod_{b != c} P_F(G_b)``: the chance
that ``G_a`` is the right answer given that at most one group is right. The
first term of ``P_V`` ("every group is wrong") gives the credibility of an
answer nobody in the groups gave.

Update rules kura uses (the NodeRegistry contract's ``recordSpotCheck``): a
worker whose result agrees with the decided answer (or passes a spot-check)
gets ``k += 1``; one that disagrees is **reset to 0**, and so is a compute node
caught with a wrong answer (it also loses its stake and its role). kura resets
rather than taking a third off (iExec) because the formula above is the
credibility of a worker *never caught*: after one wrong answer the evidence
says "saboteur", and any ``k > 0`` kept would let a patient attacker cheat once
every few rounds at high credibility. A worker is promoted to compute node once
``k`` reaches the *promotion bar*: the least ``k`` whose credibility reaches
``theta`` alone.

Judging without a decision (:func:`rejected`): a group whose credibility is at
most ``1 - theta`` is wrong with the same confidence with which a group at
``theta`` is right, so even a task that ends undecided can slash a worker whose
answer is that doubtful (or that no result shares: :func:`answer_credibility`).
Auditors of an undecided task, who lose only their record and not money, are
failed at the looser bar ``theta = 1/2`` (their answer is no more likely right
than wrong): auditors who force a refund by blocking a more credible group
pay for it with their record.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from kura.errors import ConsensusError
from kura.units import WAD

MAX_PASSED = 2**32 - 1
"""The largest spot-check count (the contract stores it as ``uint32``)."""

MAX_RESULTS = 32
"""The most results one decision may weigh; bounds every loop in the WAD twins."""

_PAD_DIVISOR = 10**30
"""The sum of group terms is padded up by ``1 / _PAD_DIVISOR`` of itself, far more
than the <= 33 * 32 floors of relative size 1e-36 can have taken off it."""
_LOG_ODDS_CAP = 700.0
"""The batch twin caps log-odds at +-700 (``e**700`` is finite in float64): a
credibility of exactly 0 or 1 becomes odds ``e**-700`` or ``e**700``."""
_MANTISSA_LOW = 10**36
_MANTISSA_HIGH = 10**54
"""Group-product mantissas live in ``[_MANTISSA_LOW, _MANTISSA_HIGH)``: 36 to 54
digits of precision, and at most ``10**54 * WAD = 10**72 < 2**256`` mid-step."""

N = TypeVar("N", int, float)


@dataclass(frozen=True)
class Decision(Generic[N]):
    """The outcome of weighing one task's result groups.

    Attributes:
        answer: The accepted group's key, or ``None`` if no group reached the
            threshold yet (ask more workers).
        credibility: The best group's credibility (accepted or not).
        credibilities: Every group's credibility, by key.
    """

    answer: bytes | None
    credibility: N
    credibilities: Mapping[bytes, N]


# ------------------------------------------------------------------ worker credibility


def worker_credibility(passed: int, f: float, *, blacklisting: bool = False) -> float:
    """Credibility of a worker that passed ``passed`` spot-checks (float twin).

    Args:
        passed: Spot-checks (or agreeing audits) passed since the last failure.
        f: Assumed upper bound on the fraction of saboteurs, in ``[0, 1]``.
        blacklisting: Use Sarmenta's with-blacklisting bound (a caught identity
            is barred for good and its results undone); kura's own rule is
            ``False``.

    Returns:
        The credibility in ``[0, 1]``.

    Raises:
        ConsensusError: if ``passed`` or ``f`` is out of range.
    """
    _check_passed(passed)
    if not 0.0 <= f <= 1.0:
        raise ConsensusError(f"saboteur fraction f must be in [0, 1], got {f}")
    prior = 1.0 - f
    if passed == 0 or f == 0.0:
        return prior
    if blacklisting:
        if f == 1.0:
            return 0.0
        error = f / ((1.0 - f) * passed * math.e)
    else:
        error = f / passed
    return max(prior, 1.0 - min(error, 1.0))


def worker_credibility_wad(passed: int, f_wad: int) -> int:
    """Credibility of a worker that passed ``passed`` spot-checks, times WAD (integer twin).

    kura's rule (no blacklisting): ``WAD - f_wad`` for ``passed = 0``, else
    ``WAD - ceil(f_wad / passed)``. The error bound is rounded **up**, so the
    credibility is rounded down. It is never below the prior ``WAD - f_wad``
    (``ceil(f / k) <= f`` for ``k >= 1``) and needs no intermediate above
    ``f_wad + passed < 2**64``.

    Args:
        passed: Spot-checks passed since the last failure, at most :data:`MAX_PASSED`.
        f_wad: Saboteur fraction times WAD, in ``[0, WAD]``.

    Returns:
        The credibility times WAD, in ``[0, WAD]``.

    Raises:
        ConsensusError: if ``passed`` or ``f_wad`` is out of range.
    """
    _check_passed(passed)
    _check_wad(f_wad, "saboteur fraction f_wad")
    if passed == 0:
        return WAD - f_wad
    return WAD - _ceil_div(f_wad, passed)


def worker_credibility_batch(passed: NDArray[np.int64], f: float, *, blacklisting: bool = False) -> NDArray[np.float64]:
    """Credibilities of many workers at once (batch twin of :func:`worker_credibility`).

    Equal to :func:`worker_credibility` element by element (the tests check it).

    Args:
        passed: Spot-check counts, each in ``[0, MAX_PASSED]``.
        f: Assumed saboteur fraction, in ``[0, 1]``.
        blacklisting: Use Sarmenta's with-blacklisting bound; kura's own rule is ``False``.

    Returns:
        An array of credibilities, the shape of ``passed``.

    Raises:
        ConsensusError: if a count or ``f`` is out of range.
    """
    if not 0.0 <= f <= 1.0:
        raise ConsensusError(f"saboteur fraction f must be in [0, 1], got {f}")
    if passed.size and (int(passed.min()) < 0 or int(passed.max()) > MAX_PASSED):
        raise ConsensusError(f"passed spot-checks must be in [0, {MAX_PASSED}]")
    prior = 1.0 - f
    checks = np.maximum(passed, 1)
    if not blacklisting:
        return np.where(passed > 0, 1.0 - f / checks, prior)
    if f == 1.0:
        return np.zeros(passed.shape)
    bound = 1.0 - np.minimum(f / ((1.0 - f) * checks * math.e), 1.0)
    return np.where((passed > 0) & (f > 0.0), np.maximum(prior, bound), prior)


# ------------------------------------------------------------------ group credibility


def group_credibilities(groups: Mapping[bytes, Sequence[float]]) -> dict[bytes, float]:
    """Each result group's credibility (float twin of :func:`group_credibilities_wad`).

    Args:
        groups: Answer key -> credibilities of the results giving that answer.

    Returns:
        Answer key -> credibility. All zero if the inputs contradict each other
        (two groups each holding a result of credibility exactly 1).

    Raises:
        ConsensusError: if a group is empty, there are more than
            :data:`MAX_RESULTS` results, or a credibility is outside ``[0, 1]``.
    """
    keys, terms, total = _terms(groups)
    return {key: terms[a + 1] / total if total else 0.0 for a, key in enumerate(keys)}


def answer_credibility(groups: Mapping[bytes, Sequence[float]], answer: bytes) -> float:
    """The credibility of one answer, given or not (float twin of :func:`answer_credibility_wad`).

    Args:
        groups: Answer key -> credibilities of the results giving that answer.
        answer: The answer to weigh (a worker's, say).

    Returns:
        Its group's credibility if some result gave it, else the credibility
        that no group is right (0 if the inputs contradict each other).

    Raises:
        ConsensusError: as :func:`group_credibilities`.
    """
    keys, terms, total = _terms(groups)
    index = keys.index(answer) + 1 if answer in groups else 0
    return terms[index] / total if total else 0.0


def group_credibilities_batch(
    answers: NDArray[np.int64], credibilities: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Many decisions at once: each result's group credibility (batch twin).

    Row ``j`` is one decision: results ``answers[j]`` with credibilities
    ``credibilities[j]``. Dividing Sarmenta's terms by ``prod_b P_F(G_b)``
    turns them into odds: with ``O(G) = prod_{r in G} cr_r / (1 - cr_r)``,
    ``Cr(G_a) = O(G_a) / (1 + sum_c O(G_c))`` and "every group wrong" has
    ``1 / (1 + sum_c O(G_c))``; computed in log-odds with a log-sum-exp. Equal
    to :func:`group_credibilities` for credibilities inside ``(0, 1)``; a
    credibility of exactly 0 or 1 counts as log-odds -+700.

    Args:
        answers: Integer answers, shape ``(decisions, results)``.
        credibilities: Each result's credibility in ``[0, 1]``, same shape.

    Returns:
        ``(per_result, none)``: the credibility of each result's group, shape
        ``(decisions, results)``, and of "no group is right", shape ``(decisions,)``.

    Raises:
        ConsensusError: if the shapes differ, there are more than
            :data:`MAX_RESULTS` results per decision, or a credibility is outside ``[0, 1]``.
    """
    if answers.shape != credibilities.shape or answers.ndim != 2:
        raise ConsensusError(
            f"answers {answers.shape} and credibilities {credibilities.shape} must be one matrix shape"
        )
    if answers.shape[1] > MAX_RESULTS:
        raise ConsensusError(f"{answers.shape[1]} results exceed the limit of {MAX_RESULTS} per decision")
    if credibilities.size and not (float(credibilities.min()) >= 0.0 and float(credibilities.max()) <= 1.0):
        raise ConsensusError("a result credibility must be in [0, 1]")
    # Results-major layout (results, decisions): numpy reduces over a leading axis
    # as whole-row vector adds, several times faster than over a short trailing one.
    votes, cr = answers.T, credibilities.T
    with np.errstate(divide="ignore"):
        log_odds = np.clip(np.log(cr) - np.log1p(-cr), -_LOG_ODDS_CAP, _LOG_ODDS_CAP)
    same = votes[:, None, :] == votes[None, :, :]
    group = (same * log_odds[None, :, :]).sum(axis=1)
    size = same.sum(axis=1)
    top = np.maximum(group.max(axis=0, initial=0.0), 0.0)
    scaled = np.exp(group - top)
    total = np.exp(-top) + (scaled / size).sum(axis=0)
    return (scaled / total).T, np.exp(-top) / total


def group_credibilities_wad(groups: Mapping[bytes, Sequence[int]]) -> dict[bytes, int]:
    """Each result group's credibility, times WAD, in integer arithmetic.

    Algorithm (mirror it exactly). Keep ``g + 1`` terms — term 0 is "every
    group is wrong", term ``a + 1`` is "group ``a`` is right" — each as a
    mantissa ``m`` and a depth ``x`` meaning ``m / WAD**x``. Start every term
    at ``m = 10**36, x = 2`` (the value 1). Visit groups in ascending byte order
    of their keys and, within a group, its results in the given order. For each
    result of credibility ``cr`` in group ``a``, multiply term ``a + 1``'s
    mantissa by ``cr`` and every other term's by ``WAD - cr`` (exact), and add 1
    to every depth; then every non-zero mantissa that reached ``10**54`` is
    divided by WAD, **rounding down**, and its depth lowers by 1. A non-zero
    mantissa therefore stays in ``[10**36, 10**54)`` (so the least depth marks
    the largest term) and never exceeds ``10**72`` in between.

    At the end, align every term to the least depth ``x0``: ``m // WAD**(x - x0)``
    (**rounding down**; 0 when ``x - x0 >= 3``, as ``m < WAD**3``) and sum them.
    Every floor so far lost less than ``10**-36`` of its term, in either
    direction for the ratio, so **round the sum up** past them:
    ``total = sum + sum // 10**30 + (g + 1)``. Return
    ``aligned[a + 1] * WAD // total`` (**rounding down**). The result is never
    above the exact credibility and at most a few wei below it (the tests check
    both against rational arithmetic).

    Args:
        groups: Answer key -> WAD-scaled credibilities of that answer's results.

    Returns:
        Answer key -> credibility times WAD; the values sum to at most WAD.
        All zero if the inputs contradict each other.

    Raises:
        ConsensusError: if a group is empty, there are more than
            :data:`MAX_RESULTS` results, or a credibility is outside ``[0, WAD]``.
    """
    keys, aligned, total = _terms_wad(groups)
    return {key: aligned[a + 1] * WAD // total if total else 0 for a, key in enumerate(keys)}


def answer_credibility_wad(groups: Mapping[bytes, Sequence[int]], answer: bytes) -> int:
    """The credibility of one answer, times WAD, whether or not a result gave it.

    Same terms and rounding as :func:`group_credibilities_wad`: the answer's
    group term (or, for an answer no result gave, term 0, "every group is
    wrong") times WAD over the padded total, **rounded down**. With
    :func:`rejected_wad` it judges a worker or an auditor even when no group
    reached the threshold.

    Args:
        groups: Answer key -> WAD-scaled credibilities of that answer's results.
        answer: The answer to weigh.

    Returns:
        The credibility times WAD (0 if the inputs contradict each other).

    Raises:
        ConsensusError: as :func:`group_credibilities_wad`.
    """
    keys, aligned, total = _terms_wad(groups)
    index = keys.index(answer) + 1 if answer in groups else 0
    return aligned[index] * WAD // total if total else 0


def _terms(groups: Mapping[bytes, Sequence[float]]) -> tuple[list[bytes], list[float], float]:
    """Ordered keys, the ``g + 1`` terms ("all wrong", then "group a right") scaled by a common factor, their sum."""
    keys = _ordered_keys(groups)
    for key in keys:
        for cr in groups[key]:
            if not 0.0 <= cr <= 1.0:
                raise ConsensusError(f"a result credibility must be in [0, 1], got {cr}")
    terms = [1.0] * (len(keys) + 1)
    for a, key in enumerate(keys):
        for cr in groups[key]:
            terms = [t * (cr if j == a + 1 else 1.0 - cr) for j, t in enumerate(terms)]
            top = max(terms)
            if top > 0.0:
                terms = [t / top for t in terms]
    return keys, terms, sum(terms)


def _terms_wad(groups: Mapping[bytes, Sequence[int]]) -> tuple[list[bytes], list[int], int]:
    """Ordered keys, the aligned WAD terms and their padded total (0 when every term vanished)."""
    keys = _ordered_keys(groups)
    for key in keys:
        for cr in groups[key]:
            _check_wad(cr, "a result credibility")
    mantissas = [_MANTISSA_LOW] * (len(keys) + 1)
    depths = [2] * (len(keys) + 1)
    for a, key in enumerate(keys):
        for cr in groups[key]:
            for j in range(len(mantissas)):
                m = mantissas[j] * (cr if j == a + 1 else WAD - cr)
                depth = depths[j] + 1
                if m >= _MANTISSA_HIGH:
                    m //= WAD
                    depth -= 1
                mantissas[j] = m
                depths[j] = depth
    live = [depths[j] for j in range(len(mantissas)) if mantissas[j] != 0]
    if not live:
        return keys, [0] * len(mantissas), 0
    top = min(live)
    aligned = [
        m // WAD ** (depth - top) if m != 0 and depth - top < 3 else 0
        for m, depth in zip(mantissas, depths, strict=True)
    ]
    total = sum(aligned)
    return keys, aligned, total + total // _PAD_DIVISOR + len(aligned)


def decide(groups: Mapping[bytes, Sequence[float]], theta: float) -> Decision[float]:
    """Accept the group whose credibility reaches ``theta``, if any (float twin).

    Args:
        groups: Answer key -> credibilities of that answer's results.
        theta: Acceptance threshold ``1 - acceptable_error``, in ``(1/2, 1]``;
            above one half, at most one group can reach it.

    Returns:
        The decision; ``answer`` is ``None`` while no group reaches ``theta``.

    Raises:
        ConsensusError: if ``theta`` or the groups are out of range.
    """
    if not 0.5 < theta <= 1.0:
        raise ConsensusError(f"the threshold theta must be in (1/2, 1], got {theta}")
    return _decision(group_credibilities(groups), theta)


def decide_wad(groups: Mapping[bytes, Sequence[int]], theta_wad: int) -> Decision[int]:
    """Accept the group whose credibility reaches ``theta_wad``, if any (integer twin).

    Args:
        groups: Answer key -> WAD-scaled credibilities of that answer's results.
        theta_wad: Threshold times WAD, in ``(WAD / 2, WAD]``.

    Returns:
        The decision; ``answer`` is ``None`` while no group reaches the threshold.

    Raises:
        ConsensusError: if ``theta_wad`` or the groups are out of range.
    """
    if not WAD // 2 < theta_wad <= WAD:
        raise ConsensusError(f"the threshold theta_wad must be in (WAD/2, WAD], got {theta_wad}")
    return _decision(group_credibilities_wad(groups), theta_wad)


# ------------------------------------------------------------------ update rules


def next_passed(passed: int, agreed: bool) -> int:
    """A worker's spot-check count after one more checked result.

    Args:
        passed: The count before.
        agreed: Whether the result agreed with the decided answer (or passed the spot-check).

    Returns:
        ``passed + 1`` if it agreed (capped at :data:`MAX_PASSED`), else ``0``.

    Raises:
        ConsensusError: if ``passed`` is out of range.
    """
    _check_passed(passed)
    return min(passed + 1, MAX_PASSED) if agreed else 0


def promotion_bar(f: float, theta: float, *, blacklisting: bool = False) -> int:
    """The least spot-check count whose credibility reaches ``theta`` (float twin).

    Args:
        f: Assumed saboteur fraction.
        theta: Acceptance threshold in ``(1/2, 1]``.
        blacklisting: Use Sarmenta's with-blacklisting bound (see :func:`worker_credibility`).

    Returns:
        The bar ``k`` (0 if even an unchecked worker reaches ``theta``).

    Raises:
        ConsensusError: if no finite count reaches ``theta``.
    """
    return _least_passed(lambda k: worker_credibility(k, f, blacklisting=blacklisting) >= theta)


def promotion_bar_wad(f_wad: int, theta_wad: int) -> int:
    """The least spot-check count whose WAD credibility reaches ``theta_wad``.

    Equal by construction to the smallest ``k`` with
    ``worker_credibility_wad(k, f_wad) >= theta_wad``, so a contract can store
    it as its ``promotionBar``.

    Args:
        f_wad: Saboteur fraction times WAD.
        theta_wad: Threshold times WAD.

    Returns:
        The bar ``k``.

    Raises:
        ConsensusError: if no count up to :data:`MAX_PASSED` reaches ``theta_wad``.
    """
    _check_wad(theta_wad, "threshold theta_wad")
    return _least_passed(lambda k: worker_credibility_wad(k, f_wad) >= theta_wad)


def collusion_bar(f: float, theta: float, size: int = 2, *, blacklisting: bool = False) -> int:
    """The least spot-check count at which ``size`` agreeing results reach ``theta`` by themselves.

    A patient saboteur that lies only once its count reaches this bar does the
    most harm a colluding pair can: below it, a pair of lies never decides a
    task alone; above it, the saboteur lies less often. The sabotage simulator
    uses it as the default patience.

    Args:
        f: Assumed saboteur fraction.
        theta: Acceptance threshold in ``(1/2, 1]``.
        size: Colluding results in the group, in ``[1, MAX_RESULTS]``.
        blacklisting: Use Sarmenta's with-blacklisting bound.

    Returns:
        The bar ``k``.

    Raises:
        ConsensusError: if ``size`` or ``theta`` is out of range, or no count reaches ``theta``.
    """
    if not 1 <= size <= MAX_RESULTS:
        raise ConsensusError(f"a colluding group has 1 to {MAX_RESULTS} results, got {size}")
    if not 0.5 < theta <= 1.0:
        raise ConsensusError(f"the threshold theta must be in (1/2, 1], got {theta}")
    key = b"\x01"
    return _least_passed(
        lambda k: group_credibilities({key: [worker_credibility(k, f, blacklisting=blacklisting)] * size})[key] >= theta
    )


def fresh_quorum(f: float, theta: float) -> int:
    """How many agreeing results of never-checked workers (credibility ``1 - f``) reach ``theta``.

    A market whose audits may weigh fewer results than this can never decide
    its first task, so nobody ever passes a check: deploy with
    ``maxAuditors * maxRounds`` well above it.

    Args:
        f: Assumed saboteur fraction, in ``(0, 1/2)``.
        theta: Acceptance threshold in ``(1/2, 1)``.

    Returns:
        The least ``n`` with ``((1 - f) / f) ** n >= theta / (1 - theta)``,
        checked with :func:`group_credibilities` (may exceed :data:`MAX_RESULTS`).

    Raises:
        ConsensusError: if ``f`` or ``theta`` is out of range.
    """
    if not 0.0 < f < 0.5 or not 0.5 < theta < 1.0:
        raise ConsensusError(f"need f in (0, 1/2) and theta in (1/2, 1), got {f} and {theta}")
    n = max(1, math.ceil(math.log(theta / (1.0 - theta)) / math.log((1.0 - f) / f)) - 1)
    while n > MAX_RESULTS or group_credibilities({b"\x00": [1.0 - f] * n})[b"\x00"] < theta:
        if n > MAX_RESULTS:
            return n
        n += 1
    return n


def rejected(credibility: float, theta: float) -> bool:
    """Whether a group of this credibility is judged wrong, decided task or not (float twin).

    Args:
        credibility: The group's credibility (or, for an answer no group gave,
            the credibility of "no group is right").
        theta: The bar, in ``[1/2, 1]``: the acceptance threshold for a worker
            (slashing), 1/2 for the auditors of an undecided task.

    Returns:
        ``credibility <= 1 - theta``.
    """
    return credibility <= 1.0 - theta


def rejected_wad(credibility_wad: int, theta_wad: int) -> bool:
    """Whether a group of this WAD credibility is judged wrong (integer twin of :func:`rejected`).

    Args:
        credibility_wad: The group's credibility times WAD.
        theta_wad: The bar times WAD, in ``[WAD / 2, WAD]`` (see :func:`rejected`).

    Returns:
        ``credibility_wad <= WAD - theta_wad``.
    """
    return credibility_wad <= WAD - theta_wad


# ------------------------------------------------------------------ helpers


def _least_passed(reaches: Callable[[int], bool]) -> int:
    """Binary search of the least ``k`` in ``[0, MAX_PASSED]`` for a monotone predicate."""
    if not reaches(MAX_PASSED):
        raise ConsensusError(f"no spot-check count up to {MAX_PASSED} reaches the threshold: lower theta or f")
    low, high = 0, MAX_PASSED
    while low < high:
        mid = (low + high) // 2
        if reaches(mid):
            high = mid
        else:
            low = mid + 1
    return low


def _decision(credibilities: dict[bytes, N], theta: N) -> Decision[N]:
    best = max(credibilities, key=lambda key: credibilities[key])
    value = credibilities[best]
    return Decision(answer=best if value >= theta else None, credibility=value, credibilities=credibilities)


def _ordered_keys(groups: Mapping[bytes, Sequence[N]]) -> list[bytes]:
    if not groups:
        raise ConsensusError("no result groups to weigh: collect at least one result")
    total = 0
    for key, members in groups.items():
        if not isinstance(key, bytes):
            raise ConsensusError(f"group keys must be bytes (answer hashes), got {type(key).__name__}")
        if len(members) == 0:
            raise ConsensusError(f"result group {key.hex()} is empty: drop it or add its results")
        total += len(members)
    if total > MAX_RESULTS:
        raise ConsensusError(f"{total} results exceed the limit of {MAX_RESULTS} per decision")
    return sorted(groups)


def _check_passed(passed: int) -> None:
    if not 0 <= passed <= MAX_PASSED:
        raise ConsensusError(f"passed spot-checks must be in [0, {MAX_PASSED}], got {passed}")


def _check_wad(value: int, name: str) -> None:
    if not 0 <= value <= WAD:
        raise ConsensusError(f"{name} must be in [0, WAD = 10**18], got {value}")


def _ceil_div(a: int, b: int) -> int:
    return (a + b - 1) // b
