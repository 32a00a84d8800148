"""Typed client for the ``StorageAudits`` contract: open, answer and judge proof-of-storage challenges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD
from web3.types import TxReceipt

from kura.chain.client import Chain, uint_getter
from kura.chain.deployments import Deployment
from kura.chain.params import StorageAuditsParams
from kura.chain.pull_payments import PullPaymentsClient
from kura.errors import ChainError


class ChallengeStatus(IntEnum):
    """Where a challenge stands: open, or the event that closed it (``ChallengePassed``, ``ChallengeFailed``,
    ``ChallengeVoided``)."""

    OPEN = 1
    PASSED = 2
    FAILED = 3
    VOIDED = 4


CLOSING_EVENTS = {
    "ChallengePassed": ChallengeStatus.PASSED,
    "ChallengeFailed": ChallengeStatus.FAILED,
    "ChallengeVoided": ChallengeStatus.VOIDED,
}
"""The status each event that closes a challenge gives it."""


@dataclass(frozen=True)
class Challenge:
    """A challenge: its terms (``IStorageAudits.Challenge``, from ``ChallengeOpened`` and the latest
    ``ChallengeReseeded``; the chain keeps only their hash) and its status."""

    challenge_id: int
    challenger: str
    bond: int
    node: str
    seed_block: int
    chunk_count: int
    deadline: int
    index: int
    status: ChallengeStatus
    file_id: bytes
    share_root: bytes
    shares_root: bytes

    def terms(self) -> tuple[Any, ...]:
        """The terms as ``respond``, ``claimTimeout``, ``reseed`` and ``chunkIndexOf`` take them."""
        return (
            self.challenger,
            self.bond,
            self.node,
            self.seed_block,
            self.chunk_count,
            self.deadline,
            self.index,
            self.file_id,
            self.share_root,
            self.shares_root,
        )


class StorageAuditsClient(PullPaymentsClient):
    """Calls to the deployed ``StorageAudits``; reverts surface as ``ContractRevertError``."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("StorageAudits", deployment.address("StorageAudits"))
        self.first_block = deployment.contracts["StorageAudits"].block

    def challenge(
        self,
        file_id: bytes,
        index: int,
        node: str,
        chunk_count: int,
        share_root: bytes,
        shares_proof: Sequence[bytes],
        *,
        challenger: LocalAccount,
        bond: int,
    ) -> TxReceipt:
        """Open a challenge against ``node`` for share ``index`` of ``file_id``, bonding ``bond`` wei.

        Use :meth:`challenge_id` on the receipt to learn the new id.

        Raises:
            ContractRevertError: ``BondTooLow``, ``EmptyShare``, ``ChallengeAlreadyOpen``,
                ``ShareAlreadyLost``, ``NodeNotActive``, ``ShareNotCommitted`` or a FileRegistry
                error (``UnknownFile``, ``FileIsDeleted``).
        """
        call = self.contract.functions.challenge(file_id, index, node, chunk_count, share_root, list(shares_proof))
        return self.chain.transact(call, sender=challenger, value=bond)

    def respond(
        self, challenge: int | Challenge, chunk: bytes, proof: Sequence[bytes], *, node: LocalAccount
    ) -> TxReceipt:
        """Answer a challenge (its id, or the :class:`Challenge` already read) with the asked chunk and its proof.
        A wrong answer is mined and judged a failure (see :meth:`passed`), it does not raise.

        Raises:
            ContractRevertError: ``UnknownChallenge``, ``NotChallengedNode``, ``ChallengeClosed``,
                ``DeadlinePassed``, ``SeedNotYetAvailable`` (wait a block) or ``SeedExpired`` (call :meth:`reseed`).
        """
        read = self._read(challenge)
        return self.chain.transact(
            self.contract.functions.respond(read.challenge_id, read.terms(), chunk, list(proof)), sender=node
        )

    def claim_timeout(self, challenge: int | Challenge, *, sender: LocalAccount) -> TxReceipt:
        """Judge an unanswered challenge (its id, or the :class:`Challenge` already read) after its deadline (anyone).

        Raises:
            ContractRevertError: ``UnknownChallenge``, ``DeadlineNotReached`` or ``ChallengeClosed``.
        """
        read = self._read(challenge)
        return self.chain.transact(self.contract.functions.claimTimeout(read.challenge_id, read.terms()), sender=sender)

    def reseed(self, challenge: int | Challenge, *, sender: LocalAccount) -> TxReceipt:
        """Draw a new seed block for a challenge (its id, or the :class:`Challenge` already read) whose seed hash
        expired (anyone, before the deadline).

        Raises:
            ContractRevertError: ``UnknownChallenge``, ``SeedStillFresh``, ``DeadlinePassed`` or ``ChallengeClosed``.
        """
        read = self._read(challenge)
        return self.chain.transact(self.contract.functions.reseed(read.challenge_id, read.terms()), sender=sender)

    def challenge_id(self, receipt: TxReceipt) -> int:
        """The id of the challenge opened by the transaction of ``receipt``.

        Raises:
            ChainError: if the transaction opened no challenge.
        """
        events = self.contract.events.ChallengeOpened().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError(f"transaction {receipt['transactionHash'].to_0x_hex()} opened no challenge")
        return int(events[0].args.challengeId)

    def passed(self, receipt: TxReceipt) -> bool:
        """True if the answer mined in ``receipt`` passed, False if it was judged a failure.

        Raises:
            ChainError: if the transaction judged no challenge.
        """
        if self.contract.events.ChallengePassed().process_receipt(receipt, errors=DISCARD):
            return True
        if self.contract.events.ChallengeFailed().process_receipt(receipt, errors=DISCARD):
            return False
        raise ChainError(f"transaction {receipt['transactionHash'].to_0x_hex()} judged no challenge")

    def challenge_of(self, challenge_id: int) -> Challenge:
        """``challenge_id``'s terms and status, read from its events (the chain keeps only the terms' hash).

        Raises:
            ContractRevertError: ``UnknownChallenge``.
        """
        is_open = self.is_open(challenge_id)
        events = self._events_of(challenge_id)
        opened = next(e for e in events if e.event == "ChallengeOpened")
        terms = opened.args.challenge
        challenge = Challenge(
            challenge_id,
            terms.challenger,
            terms.bond,
            terms.node,
            terms.seedBlock,
            terms.chunkCount,
            terms.deadline,
            terms.index,
            ChallengeStatus.OPEN,
            bytes(terms.fileId),
            bytes(terms.shareRoot),
            bytes(terms.sharesRoot),
        )
        for event in events:
            if event.event == "ChallengeReseeded":
                challenge = replace(challenge, seed_block=int(event.args.seedBlock))
            elif event.event in CLOSING_EVENTS and not is_open:
                challenge = replace(challenge, status=CLOSING_EVENTS[event.event])
        return challenge

    def is_open(self, challenge_id: int) -> bool:
        """Whether ``challenge_id`` still waits for its answer or its timeout (one call, no event read).

        Raises:
            ContractRevertError: ``UnknownChallenge``.
        """
        return bool(self.chain.call(self.contract.functions.isOpen(challenge_id)))

    def chunk_index_of(self, challenge: int | Challenge) -> int:
        """The chunk index the challenge (its id, or the :class:`Challenge` already read) asks for.

        Raises:
            ContractRevertError: ``UnknownChallenge``, ``ChallengeClosed``, ``SeedNotYetAvailable`` or
                ``SeedExpired``.
        """
        read = self._read(challenge)
        return int(self.chain.call(self.contract.functions.chunkIndexOf(read.challenge_id, read.terms())))

    def _read(self, challenge: int | Challenge) -> Challenge:
        """``challenge`` as read from the chain: read now if only its id is given."""
        return challenge if isinstance(challenge, Challenge) else self.challenge_of(challenge)

    def open_challenge_of(self, file_id: bytes, index: int) -> int:
        """The open challenge on share ``index`` of ``file_id``, or 0."""
        return int(self.chain.call(self.contract.functions.openChallengeOf(file_id, index)))

    def is_share_lost(self, file_id: bytes, index: int, node: str) -> bool:
        """True if ``node`` failed an audit of share ``index`` of ``file_id``."""
        return bool(self.chain.call(self.contract.functions.isShareLost(file_id, index, node)))

    def _events_of(self, challenge_id: int) -> list[Any]:
        """Every event of ``challenge_id`` (opened, reseeded, closed), in chain order: one ``eth_getLogs``."""
        names = ("ChallengeOpened", "ChallengeReseeded", *CLOSING_EVENTS)
        by_topic = {str(self.contract.events[name].topic): self.contract.events[name]() for name in names}
        logs = self.chain.w3.eth.get_logs(
            {
                "address": self.contract.address,
                "fromBlock": self.first_block,
                "toBlock": "latest",
                "topics": [list(by_topic), "0x" + challenge_id.to_bytes(32, "big").hex()],
            }
        )
        return [by_topic[log["topics"][0].to_0x_hex()].process_log(log) for log in logs]

    def params(self) -> StorageAuditsParams:
        """The deployment parameters."""
        return StorageAuditsParams.read(uint_getter(self.chain, self.contract))
