"""``Kura.audits``: open proof-of-storage challenges, judge unanswered ones, and read their state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kura.api.storage import FileId, file_id_of
from kura.chain.storage_audits import Challenge, ChallengeStatus
from kura.results import Result
from kura.storage.shared import sharetable
from kura.storage.shared.challenges import OpenedChallenge, challenge_share

if TYPE_CHECKING:
    from kura.api.session import Kura


@dataclass(frozen=True)
class AuditState(Result):
    """A challenge as the chain records it, and where it stands now, in words.

    Attributes:
        challenge: The on-chain record (node, share, bond, seed block, deadline, status).
        phase: ``waiting for block N``, ``answerable``, ``claimable`` (deadline passed unanswered: anyone may
            claim the timeout), ``passed``, ``failed`` or ``voided``.
        seconds_left: Chain seconds until the deadline (0 once it passed).
    """

    challenge: Challenge
    phase: str
    seconds_left: int


@dataclass(frozen=True)
class Judged(Result):
    """A challenge judged after its deadline."""

    challenge_id: int
    status: str
    gas: int


class Audits:
    """Storage audits, signed by the session's account (challenger or judge: anyone may be either)."""

    def __init__(self, session: Kura) -> None:
        self._session = session

    def challenge(self, file_id: FileId, index: int) -> OpenedChallenge:
        """Challenge the holder of share ``index`` of an enrolled file, locking the audit bond.

        Raises:
            StorageError: the file has no share table (not enrolled) or no share ``index``.
            ContractRevertError: e.g. a challenge of that share is already open, or the node is not active.
        """
        session = self._session
        table = sharetable.current(session.contracts, file_id_of(file_id), session.storage.pool)
        return challenge_share(session.contracts.audits, table, index, challenger=session.account)

    def timeout(self, challenge_id: int) -> Judged:
        """Judge ``challenge_id`` after its deadline: a silent node is slashed (the reason goes on chain),
        or the challenge is voided if its seed expired.

        Raises:
            ContractRevertError: e.g. ``DeadlineNotPassed``, ``ChallengeNotOpen``.
        """
        audits = self._session.contracts.audits
        receipt = audits.claim_timeout(challenge_id, sender=self._session.account)
        return Judged(challenge_id, audits.challenge_of(challenge_id).status.name, int(receipt["gasUsed"]))

    def of_file(self, file_id: FileId) -> list[Challenge]:
        """Every challenge of a share of ``file_id``, oldest first, as they stand now (the last is its last audit)."""
        audits = self._session.contracts.audits
        logs = audits.contract.events.ChallengeOpened().get_logs(
            from_block=self._session.contracts.first_block("StorageAudits"),
            argument_filters={"fileId": file_id_of(file_id)},
        )
        return [audits.challenge_of(int(log.args.challengeId)) for log in logs]

    def status(self, challenge_id: int) -> AuditState:
        """``challenge_id`` as the chain records it, and its phase now.

        Raises:
            ContractRevertError: ``UnknownChallenge``.
        """
        chain = self._session.chain
        challenge = self._session.contracts.audits.challenge_of(challenge_id)
        latest = chain.w3.eth.get_block("latest")
        now, block = int(latest["timestamp"]), int(latest["number"])
        left = max(0, challenge.deadline - now)
        if challenge.status is not ChallengeStatus.OPEN:
            phase = challenge.status.name.lower()
        elif not left:
            phase = "claimable"
        elif block <= challenge.seed_block:
            phase = f"waiting for block {challenge.seed_block + 1}"
        else:
            phase = "answerable"
        return AuditState(challenge, phase, left)
