"""How a compute agent answers: honestly, or — for tests and demos only — as one of four saboteurs.

Every malicious mode gives the *same* wrong answer for the same task (a hash of the right one), so
several malicious nodes collude without talking to each other: the worst case for a vote.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum

from eth_utils import keccak

from kura.errors import ConfigError


class Mode(str, Enum):
    """What an agent does with its answers."""

    HONEST = "honest"
    """Always the sandbox's answer (the default)."""
    ALWAYS_WRONG = "always-wrong"
    """Every answer wrong, as worker and as auditor."""
    RANDOM_WRONG = "random-wrong"
    """Each answer wrong with probability ``p``."""
    CHEAT_WHEN_PROMOTED = "cheat-when-promoted"
    """Honest as an auditor until promoted, then every answer as a compute node wrong."""
    BEHAVE_THEN_CHEAT = "behave-then-cheat"
    """Honest on its first ``after`` tasks as a compute node (to lower its audit rate), then every one wrong."""


@dataclass
class Behaviour:
    """An agent's answering policy.

    Attributes:
        mode: The policy.
        p: Probability of a wrong answer in ``RANDOM_WRONG`` mode.
        seed: Seed of the coin used by ``RANDOM_WRONG`` (reproducible runs).
        after: Honest tasks as a compute node before ``BEHAVE_THEN_CHEAT`` starts lying.

    Raises:
        ConfigError: if ``p`` is outside [0, 1] or ``after`` is negative.
    """

    mode: Mode = Mode.HONEST
    p: float = 0.0
    seed: int | None = None
    after: int = 0
    _coin: random.Random = field(init=False, repr=False)
    _worked: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ConfigError(f"the lying probability p must be in [0, 1], got {self.p}")
        if self.after < 0:
            raise ConfigError(f"the honest tasks before cheating must be >= 0, got {self.after}")
        self._coin = random.Random(self.seed)

    def answer(self, right: bytes, *, as_worker: bool) -> bytes:
        """The 32-byte result to commit, given the ``right`` one.

        Args:
            right: The honest result (the sandbox outcome's commitment hash).
            as_worker: True when answering as the task's compute node, False as an auditor.

        Returns:
            ``right``, or :func:`wrong_answer` of it when the policy lies this time.
        """
        if self.mode is Mode.HONEST:
            lie = False
        elif self.mode is Mode.ALWAYS_WRONG:
            lie = True
        elif self.mode is Mode.RANDOM_WRONG:
            lie = self._coin.random() < self.p
        elif self.mode is Mode.BEHAVE_THEN_CHEAT:
            lie = as_worker and self._worked >= self.after
        else:
            lie = as_worker
        if as_worker:
            self._worked += 1
        return wrong_answer(right) if lie else right


def wrong_answer(right: bytes) -> bytes:
    """The wrong result every malicious agent agrees on for a task whose right result is ``right``."""
    return keccak(b"kura:malicious:" + right)
