"""Every open audit challenge, found on chain, so timeouts are claimed whoever opened them and whenever.

A repairer that remembered only the challenges it opened itself, in memory, would miss
timeouts: restarted inside an answer window (cron, crash, reboot) it would never claim
them, nor anyone else's. :class:`OpenChallenges` rebuilds the set from the chain's
``ChallengeOpened`` events instead (from the deployment on a fresh start, then only
the new blocks), so any repairer, fresh or long-running, claims every timeout as soon
as it is due.
"""

from __future__ import annotations

from kura.chain.contracts import Contracts
from kura.chain.storage_audits import Challenge, ChallengeStatus


class OpenChallenges:
    """The open challenges of a deployment, read from its events.

    Args:
        contracts: The deployment's contracts.
    """

    def __init__(self, contracts: Contracts) -> None:
        self.chain = contracts.chain
        self.audits = contracts.audits
        self._cursor = contracts.first_block("StorageAudits") - 1
        self._open: set[int] = set()

    def due(self, now: int) -> list[Challenge]:
        """The challenges still open whose deadline is before ``now`` (a block timestamp), oldest first.

        Raises:
            ChainError, OSError: if the RPC fails (call again: nothing is lost).
        """
        latest = self.chain.w3.eth.block_number
        if latest > self._cursor:
            logs = self.audits.contract.events.ChallengeOpened.get_logs(from_block=self._cursor + 1, to_block=latest)
            self._open.update(int(log.args.challengeId) for log in logs)
            self._cursor = latest
        due = []
        for challenge_id in sorted(self._open):
            challenge = self.audits.challenge_of(challenge_id)
            if challenge.status is not ChallengeStatus.OPEN:
                self._open.discard(challenge_id)
            elif now > challenge.deadline:
                due.append(challenge)
        return due
