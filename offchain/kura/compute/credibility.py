"""Sarmenta's credibility-based fault tolerance, as pure functions.

kura decides a compute task's answer the way Sarmenta ("Sabotage-tolerance
mechanisms for volunteer computing systems", FGCS 18(4), 2002) does: every
result carries the credibility of the worker that produced it, results with the
same answer form a *group*, and a group is accepted once its credibility reaches
the threshold ``theta = 1 - acceptable_error``.

Two twins of every rule live here:

* a float version, used by the sabotage simulator (:mod:`kura.sim.sabotage`);
* a ``_wad`` version in pure integer arithmetic with values scaled by
  ``WAD = 10**18``. It uses only ``+ - * //``, comparisons and loops bounded by
  :data:`MAX_RESULTS`, so the TaskMarket contract and the off-chain workers can
  mirror it bit for bit with ``uint256`` math. Every rounding direction is
  stated where it happens; all of them make a credibility *smaller*, never
  larger, so rounding can only delay an acceptance, never cause a wrong one.

Worker credibility (Sarmenta §5, from the spot-checking error bounds of §4),
for a worker that passed ``k`` spot-checks while a fraction ``f`` of workers
are saboteurs:

* ``k = 0``: ``1 - f`` (all we know is the population);
* with blacklisting (a caught identity never returns):
  ``1 - f / ((1 - f) * k * e)``;
* without blacklisting (a caught saboteur may come back under a new name):
  ``1 - f / k``.

The two bounds are upper bounds on the chance that the worker's result is bad,
valid for every sabotage rate; since ``1 - f`` is also a valid lower bound on
the credibility of any worker that passed its checks, kura takes the larger of
the two (the bound is loose for large ``f``).

Group credibility (Sarmenta §5): with groups ``G_1..G_g``,
``P_T(G) = prod(cr)`` and ``P_F(G) = prod(1 - cr)`` over the group's results,
``Cr(G_a) = P_T(G_a) * prod_{b != a} P_F(G_b) / P_V`` where
``P_V = prod_b P_F(G_b) + sum_c P_T(G_c) * prod_{b != c} P_F(G_b)``: the chance
that ``G_a`` is the right answer given that at most one group is right.

Update rules kura uses (the NodeRegistry contract's ``recordSpotCheck``): a
worker whose result agrees with the decided answer (or passes a spot-check)
gets ``k += 1``; one that disagrees is **reset to 0**. kura resets rather than
taking a third off (iExec) because the formula above is the credibility of a
worker *never caught*: after one wrong answer the evidence says "saboteur", and
any ``k > 0`` kept would let a patient attacker cheat once every few rounds at
high credibility. A reset cannot go lower than what a fresh identity gets, which
is the most a Sybil-prone system can enforce without stake (kura adds the
slash). A worker is promoted to compute node once ``k`` reaches the
*promotion bar*: the least ``k`` whose credibility reaches ``theta`` alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from kura.errors import ConsensusError

WAD = 10**18
"""Fixed-point one: a credibility or fraction ``x`` is stored as ``x * WAD``."""

E_WAD = 2_718_281_828_459_045_235
"""Euler's number times WAD, rounded down. It sits in a denominator, so rounding
it down makes the error bound larger and the credibility smaller (safe side)."""

MAX_PASSED = 2**32 - 1
"""The largest spot-check count (the contract stores it as ``uint32``)."""

MAX_RESULTS = 32
"""The most results one decision may weigh; bounds every loop in the WAD twins."""

_PAD_DIVISOR = 10**30
"""The sum of group terms is padded up by ``1 / _PAD_DIVISOR`` of itself, far more
than the <= 33 * 32 floors of relative size 1e-36 can have taken off it."""
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


def worker_credibility(passed: int, f: float, *, blacklisting: bool = True) -> float:
    """Credibility of a worker that passed ``passed`` spot-checks (float twin).

    Args:
        passed: Spot-checks (or agreeing audits) passed since the last failure.
        f: Assumed upper bound on the fraction of saboteurs, in ``[0, 1]``.
        blacklisting: Whether a caught identity is barred for good.

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


def worker_credibility_wad(passed: int, f_wad: int, *, blacklisting: bool = True) -> int:
    """Credibility of a worker that passed ``passed`` spot-checks, times WAD (integer twin).

    The error bound is rounded **up** (ceiling division), so the credibility is
    rounded down. Largest intermediate: ``f_wad * WAD * WAD <= 10**54``.

    Args:
        passed: Spot-checks passed since the last failure, at most :data:`MAX_PASSED`.
        f_wad: Saboteur fraction times WAD, in ``[0, WAD]``.
        blacklisting: Whether a caught identity is barred for good.

    Returns:
        The credibility times WAD, in ``[0, WAD]``.

    Raises:
        ConsensusError: if ``passed`` or ``f_wad`` is out of range.
    """
    _check_passed(passed)
    _check_wad(f_wad, "saboteur fraction f_wad")
    prior = WAD - f_wad
    if passed == 0 or f_wad == 0:
        return prior
    if blacklisting:
        if f_wad == WAD:
            return 0
        error = _ceil_div(f_wad * WAD * WAD, (WAD - f_wad) * passed * E_WAD)
    else:
        error = _ceil_div(f_wad, passed)
    bound = WAD - error if error < WAD else 0
    return max(prior, bound)


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
    total = sum(terms)
    if total == 0.0:
        return {key: 0.0 for key in keys}
    return {key: terms[a + 1] / total for a, key in enumerate(keys)}


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
        return {key: 0 for key in keys}
    top = min(live)
    aligned = [
        m // WAD ** (depth - top) if m != 0 and depth - top < 3 else 0
        for m, depth in zip(mantissas, depths)
    ]
    total = sum(aligned)
    total += total // _PAD_DIVISOR + len(aligned)
    return {key: aligned[a + 1] * WAD // total for a, key in enumerate(keys)}


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


def promotion_bar(f: float, theta: float, *, blacklisting: bool = True) -> int:
    """The least spot-check count whose credibility reaches ``theta`` (float twin).

    Args:
        f: Assumed saboteur fraction.
        theta: Acceptance threshold in ``(1/2, 1]``.
        blacklisting: Whether a caught identity is barred for good.

    Returns:
        The bar ``k`` (0 if even an unchecked worker reaches ``theta``).

    Raises:
        ConsensusError: if no finite count reaches ``theta``.
    """
    return _least_passed(lambda k: worker_credibility(k, f, blacklisting=blacklisting) >= theta)


def promotion_bar_wad(f_wad: int, theta_wad: int, *, blacklisting: bool = True) -> int:
    """The least spot-check count whose WAD credibility reaches ``theta_wad``.

    Equal by construction to the smallest ``k`` with
    ``worker_credibility_wad(k, f_wad) >= theta_wad``, so a contract can store
    it as its ``promotionBar``.

    Args:
        f_wad: Saboteur fraction times WAD.
        theta_wad: Threshold times WAD.
        blacklisting: Whether a caught identity is barred for good.

    Returns:
        The bar ``k``.

    Raises:
        ConsensusError: if no count up to :data:`MAX_PASSED` reaches ``theta_wad``.
    """
    _check_wad(theta_wad, "threshold theta_wad")
    return _least_passed(
        lambda k: worker_credibility_wad(k, f_wad, blacklisting=blacklisting) >= theta_wad
    )


# ------------------------------------------------------------------ helpers


def _least_passed(reaches: Callable[[int], bool]) -> int:
    """Binary search of the least ``k`` in ``[0, MAX_PASSED]`` for a monotone predicate."""
    if not reaches(MAX_PASSED):
        raise ConsensusError(
            f"no spot-check count up to {MAX_PASSED} reaches the threshold: lower theta or f"
        )
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

