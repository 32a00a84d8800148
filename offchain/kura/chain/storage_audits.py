"""Typed client for the ``StorageAudits`` contract: open, answer and judge proof-of-storage challenges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD
from web3.types import TxReceipt

from kura.chain.client import Chain, uint_getter
from kura.chain.deployments import Deployment
from kura.chain.params import StorageAuditsParams
from kura.chain.pull_payments import PullPaymentsClient
from kura.errors import ChainError


class ChallengeStatus(IntEnum):
    """``IStorageAudits.ChallengeStatus``."""

    NONE = 0
    OPEN = 1
    PASSED = 2
    FAILED = 3
    VOIDED = 4


@dataclass(frozen=True)
class Challenge:
    """A challenge as the chain records it (see ``IStorageAudits.Challenge``)."""

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


class StorageAuditsClient(PullPaymentsClient):
    """Calls to the deployed ``StorageAudits``; reverts surface as ``ContractRevertError``."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("StorageAudits", deployment.address("StorageAudits"))

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

    def respond(self, challenge_id: int, chunk: bytes, proof: Sequence[bytes], *, node: LocalAccount) -> TxReceipt:
        """Answer a challenge with the asked chunk and its proof. A wrong answer is mined and judged a
        failure (see :meth:`passed`), it does not raise.

        Raises:
            ContractRevertError: ``NotChallengedNode``, ``ChallengeClosed``, ``DeadlinePassed``,
                ``SeedNotYetAvailable`` (wait a block) or ``SeedExpired`` (call :meth:`reseed`).
        """
        return self.chain.transact(self.contract.functions.respond(challenge_id, chunk, list(proof)), sender=node)

    def claim_timeout(self, challenge_id: int, *, sender: LocalAccount) -> TxReceipt:
        """Judge an unanswered challenge after its deadline (anyone).

        Raises:
            ContractRevertError: ``DeadlineNotReached`` or ``ChallengeClosed``.
        """
        return self.chain.transact(self.contract.functions.claimTimeout(challenge_id), sender=sender)

    def reseed(self, challenge_id: int, *, sender: LocalAccount) -> TxReceipt:
        """Draw a new seed block for a challenge whose seed hash expired (anyone, before the deadline).

        Raises:
            ContractRevertError: ``SeedStillFresh``, ``DeadlinePassed`` or ``ChallengeClosed``.
        """
        return self.chain.transact(self.contract.functions.reseed(challenge_id), sender=sender)

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
        """The record of ``challenge_id``.

        Raises:
            ContractRevertError: ``UnknownChallenge``.
        """
        (challenger, bond, node, seed_block, chunk_count, deadline, index, status, file_id, share_root, shares_root) = (
            self.chain.call(self.contract.functions.challengeOf(challenge_id))
        )
        return Challenge(
            challenge_id,
            challenger,
            bond,
            node,
            seed_block,
            chunk_count,
            deadline,
            index,
            ChallengeStatus(status),
            bytes(file_id),
            bytes(share_root),
            bytes(shares_root),
        )

    def chunk_index_of(self, challenge_id: int) -> int:
        """The chunk index the challenge asks for.

        Raises:
            ContractRevertError: ``SeedNotYetAvailable`` or ``SeedExpired``.
        """
        return int(self.chain.call(self.contract.functions.chunkIndexOf(challenge_id)))

    def open_challenge_of(self, file_id: bytes, index: int) -> int:
        """The open challenge on share ``index`` of ``file_id``, or 0."""
        return int(self.chain.call(self.contract.functions.openChallengeOf(file_id, index)))

    def is_share_lost(self, file_id: bytes, index: int, node: str) -> bool:
        """True if ``node`` failed an audit of share ``index`` of ``file_id``."""
        return bool(self.chain.call(self.contract.functions.isShareLost(file_id, index, node)))

    def params(self) -> StorageAuditsParams:
        """The deployment parameters."""
        return StorageAuditsParams.read(uint_getter(self.chain, self.contract))
