"""How a compute agent answers: honestly, or — for tests and demos only — as one of three saboteurs.

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


@dataclass
class Behaviour:
    """An agent's answering policy.

    Attributes:
        mode: The policy.
        p: Probability of a wrong answer in ``RANDOM_WRONG`` mode.
        seed: Seed of the coin used by ``RANDOM_WRONG`` (reproducible runs).

    Raises:
        ConfigError: if ``p`` is outside [0, 1].
    """

    mode: Mode = Mode.HONEST
    p: float = 0.0
    seed: int | None = None
    _coin: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ConfigError(f"the lying probability p must be in [0, 1], got {self.p}")
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
        else:
            lie = as_worker
        return wrong_answer(right) if lie else right


def wrong_answer(right: bytes) -> bytes:
    """The wrong result every malicious agent agrees on for a task whose right result is ``right``."""
    return keccak(b"kura:malicious:" + right)
