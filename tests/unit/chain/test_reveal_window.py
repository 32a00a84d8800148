"""When an agent may reveal (``Task.reveals_open``): the rule of ``TaskMarket._checkRevealWindow``, which the
contract tests check on chain (``test_reveals_open_once_every_participant_of_the_round_has_committed``)."""

from __future__ import annotations

from dataclasses import fields

import pytest

from kura.chain.task_market import Outcome, Task, TaskState

BLANK = {"int": 0, "bool": False, "str": "", "bytes": b"", "TaskState": TaskState.AUDITING, "Outcome": Outcome.NONE}


def task(**values: object) -> Task:
    """An auditing round of three auditors, commits until 100 and reveals until 200, with ``values`` set."""
    record = {f.name: BLANK[str(f.type)] for f in fields(Task)}
    record.update(auditors=3, commit_deadline=100, reveal_deadline=200)
    return Task(**(record | values))


@pytest.mark.parametrize(
    ("committed", "now", "open_"),
    [
        (2, 100, False),  # one auditor may still commit: nothing is revealed while anyone can
        (3, 50, True),  # every auditor committed: open before the deadline
        (0, 101, True),  # the commit deadline passed
        (3, 200, True),
        (3, 201, False),  # the reveal deadline passed
        (0, 201, False),
    ],
)
def test_reveals_open_when_the_round_is_fully_committed_or_its_commit_deadline_passed(
    committed: int, now: int, open_: bool
) -> None:
    assert task(committed=committed).reveals_open(now) is open_
