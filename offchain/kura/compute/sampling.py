"""Credibility-adapted audit sampling: which tasks of a compute node get audited, and the stake that makes
cheating lose.

kura's ``sampled`` mechanism (spec: ``docs/trust-layer.md``) runs each task
once on a compute node and audits it only with probability ``q(r)``, where
``r`` is the node's *record*: the audited tasks it passed since it last became
a compute node (reset to 0 when it is caught). The coin is drawn from a seed
fixed after the node committed its result, so the node cannot know whether the
task it answers will be checked.

Schedule: ``q(r) = 1`` while ``r < full_record`` (every task of a new compute
node is audited), then halved every ``half_life`` passed audits,
``q(r) = 2 ** -((r - full_record) // half_life)``, never below ``q_min > 0``.
On chain that is one shift: ``max(qMin, WAD >> ((r - fullRecord) / halfLife))``.
A new node reaches the floor after ``full_record + half_life * ceil(log2(1 / q_min))``
passed audits (60 with the defaults 10, 10 and 1/32) — about 320 tasks — so an
honest node's ramp costs little, while a caught node starts again at ``q = 1``.

Stake rule: a cheat that is not caught gains at most ``reward + gain`` (the
reward for work not done, plus whatever the attacker gets from a wrong result
being accepted); a caught one loses at least the stake ``S`` (slashed) and the
reward. Its expected value against abstaining is
``(1 - q) * (reward + gain) - q * S``, negative at every ``q >= q_min`` iff
``S > (reward + gain) * (1 - q_min) / q_min`` (``(1 - q) / q`` falls as ``q``
grows). Because the coin of every task is independent of everything the node
knows when it commits, the expected value of *any* strategy — cheat at random,
cheat after building a record (behave-then-cheat), stop after one cheat — is a
sum of such per-cheat terms, each negative; a built record and deferred
payments forfeited on a catch only make the loss larger. Honest work
(``reward - compute_cost >= 0`` for a task worth taking) is then better than
cheating too.

Three twins: float, ``_batch`` (numpy, the vectorised simulator) and ``_wad``
(integer, ``WAD = 10**18``, for the contract to mirror). Rounding is on the safe side: ``q`` rounds up (more
audits), the minimum stake rounds up.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kura.compute.credibility import WAD
from kura.errors import ConsensusError

_MAX_HALVINGS = 64
"""``WAD >> 64 == 0``: more halvings change nothing (the floor takes over)."""


def audit_probability(record: int, q_min: float, full_record: int, half_life: int) -> float:
    """The chance that a compute node's next task is audited (float twin).

    Args:
        record: Audited tasks the node passed since it became a compute node, ``>= 0``.
        q_min: The floor, in ``(0, 1]``.
        full_record: Records below this are audited every time, ``>= 0``.
        half_life: Passed audits per halving of the rate, ``>= 1``.

    Returns:
        ``1`` below ``full_record``, else ``max(q_min, 2 ** -((record - full_record) // half_life))``.

    Raises:
        ConsensusError: if an argument is out of range.
    """
    _check(record, q_min, full_record, half_life)
    if record < full_record:
        return 1.0
    return max(q_min, 2.0 ** -min((record - full_record) // half_life, _MAX_HALVINGS))


def audit_probability_batch(
    records: NDArray[np.int64], q_min: float, full_record: int, half_life: int
) -> NDArray[np.float64]:
    """:func:`audit_probability` of many records at once (batch twin).

    Args:
        records: Records, each ``>= 0``.
        q_min: The floor, in ``(0, 1]``.
        full_record: As in :func:`audit_probability`.
        half_life: As in :func:`audit_probability`.

    Returns:
        The audit probabilities, the shape of ``records``.

    Raises:
        ConsensusError: if an argument is out of range.
    """
    _check(int(records.min()) if records.size else 0, q_min, full_record, half_life)
    halvings = np.minimum(np.maximum(records - full_record, 0) // half_life, _MAX_HALVINGS)
    return np.where(records < full_record, 1.0, np.maximum(q_min, np.ldexp(1.0, -halvings)))


def audit_probability_wad(record: int, q_min_wad: int, full_record: int, half_life: int) -> int:
    """The chance that a compute node's next task is audited, times WAD (integer twin).

    The contract audits the task iff ``uint256(seed) % WAD < q``, with the
    seed fixed after the node's commitment. ``WAD >> halvings`` rounds down,
    but the floor ``q_min_wad`` bounds it below, and the equality with the
    float twin is exact whenever ``q_min`` is a power of two (the tests check).

    Args:
        record: Audited tasks passed since promotion, ``>= 0``.
        q_min_wad: The floor times WAD, in ``(0, WAD]``.
        full_record: Records below this are audited every time, ``>= 0``.
        half_life: Passed audits per halving, ``>= 1``.

    Returns:
        ``WAD`` below ``full_record``, else ``max(q_min_wad, WAD >> ((record - full_record) // half_life))``.

    Raises:
        ConsensusError: if an argument is out of range.
    """
    _check(record, q_min_wad / WAD, full_record, half_life)
    if record < full_record:
        return WAD
    return max(q_min_wad, WAD >> min((record - full_record) // half_life, _MAX_HALVINGS))


def floor_record(q_min: float, full_record: int, half_life: int) -> int:
    """The least record at which a node is audited only at the floor rate ``q_min``.

    Args:
        q_min: The floor, in ``(0, 1]``.
        full_record: As in :func:`audit_probability`.
        half_life: As in :func:`audit_probability`.

    Returns:
        The least ``r`` with ``audit_probability(r, ...) == q_min``:
        ``full_record + half_life * j`` for the least ``j`` with ``2 ** -j <= q_min``.

    Raises:
        ConsensusError: if an argument is out of range.
    """
    _check(0, q_min, full_record, half_life)
    halvings = 0
    while 2.0**-halvings > q_min and halvings < _MAX_HALVINGS:
        halvings += 1
    return full_record + half_life * halvings


def min_stake(reward: float, q_min: float, gain: float = 0.0) -> float:
    """The stake above which every cheat has negative expected value (float twin).

    Args:
        reward: The task's reward.
        q_min: The lowest audit probability any task can have, in ``(0, 1]``.
        gain: What the attacker gets from a wrong result being accepted, beyond the reward.

    Returns:
        ``(reward + gain) * (1 - q_min) / q_min``; a stake strictly above it
        makes cheating lose money at every audit probability ``q >= q_min``.

    Raises:
        ConsensusError: if ``q_min`` is out of range or an amount is negative.
    """
    _check(0, q_min, 0, 1)
    if reward < 0 or gain < 0:
        raise ConsensusError(f"reward and gain must be >= 0, got {reward} and {gain}")
    return (reward + gain) * (1.0 - q_min) / q_min


def min_stake_wad(reward: int, q_min_wad: int, gain: int = 0) -> int:
    """The least stake (in wei) at which every cheat has negative expected value (integer twin).

    Args:
        reward: The task's reward, wei.
        q_min_wad: The lowest audit probability times WAD, in ``(0, WAD]``.
        gain: The attacker's gain from an accepted wrong result beyond the reward, wei.

    Returns:
        ``floor((reward + gain) * (WAD - q_min_wad) / q_min_wad) + 1``: the least
        integer strictly above :func:`min_stake`. A contract lets a node claim a
        task only while its stake is at least this, and slashes all of it on a catch.

    Raises:
        ConsensusError: if ``q_min_wad`` is out of range or an amount is negative.
    """
    _check(0, q_min_wad / WAD, 0, 1)
    if reward < 0 or gain < 0:
        raise ConsensusError(f"reward and gain must be >= 0, got {reward} and {gain}")
    return (reward + gain) * (WAD - q_min_wad) // q_min_wad + 1


def cheat_value(q: float, reward: float, stake: float, gain: float = 0.0) -> float:
    """Expected value of one cheat against abstaining, at audit probability ``q``.

    Args:
        q: The task's audit probability, in ``[0, 1]``.
        reward: Paid when the cheat is not caught.
        stake: Lost when it is caught.
        gain: The attacker's extra gain from an accepted wrong result.

    Returns:
        ``(1 - q) * (reward + gain) - q * stake``.
    """
    return (1.0 - q) * (reward + gain) - q * stake


def _check(record: int, q_min: float, full_record: int, half_life: int) -> None:
    if record < 0:
        raise ConsensusError(f"a record counts audited tasks and must be >= 0, got {record}")
    if not 0.0 < q_min <= 1.0:
        raise ConsensusError(f"the floor q_min must be in (0, 1]: an audit rate of 0 checks nothing, got {q_min}")
    if full_record < 0 or half_life < 1:
        raise ConsensusError(f"need full_record >= 0 and half_life >= 1, got {full_record} and {half_life}")
