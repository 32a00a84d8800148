"""Typed client for the ``FileRegistry`` contract."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.pull_payments import PullPaymentsClient


@dataclass(frozen=True)
class FileRecord:
    """A live file as the chain records it (see ``IFileRegistry.FileRecord``)."""

    file_id: bytes
    owner: str
    version: int
    created_at: int
    updated_at: int
    manifest_digest: bytes
    shares_root: bytes


class FileRegistryClient(PullPaymentsClient):
    """Calls to the deployed ``FileRegistry``; reverts surface as ``ContractRevertError``.

    Removed files' deposits are credited to their owners: pull them with ``withdraw_payments``.
    """

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("FileRegistry", deployment.address("FileRegistry"))
        self._min_deposit: int | None = None

    def min_deposit(self) -> int:
        """Wei ``register`` locks per file (immutable, so read once)."""
        if self._min_deposit is None:
            self._min_deposit = int(self.chain.call(self.contract.functions.minDeposit()))
        return self._min_deposit

    def difficulty_bits(self) -> int:
        """Leading zero bits a stamp needs (0: the registry takes no stamps)."""
        return int(self.chain.call(self.contract.functions.difficultyBits()))

    def deposit_of(self, file_id: bytes) -> int:
        """Wei locked for ``file_id`` (0 once removed, or if it was registered on a stamp)."""
        return int(self.chain.call(self.contract.functions.depositOf(file_id)))

    def register(
        self, file_id: bytes, manifest_digest: bytes, shares_root: bytes, *, owner: LocalAccount,
        deposit: int | None = None,
    ) -> TxReceipt:
        """Register a new file owned by ``owner``, locking a deposit until it is removed.

        Args:
            file_id: A fresh random 32-byte id.
            manifest_digest: SHA-256 of the encrypted manifest.
            shares_root: Commitment to the shares' Merkle roots.
            owner: The account that owns the file and pays the deposit.
            deposit: Wei to lock; the registry's minimum when omitted.

        Raises:
            ContractRevertError: ``DepositTooLow``, ``FileAlreadyExists`` or ``EmptyPointer``.
        """
        value = self.min_deposit() if deposit is None else deposit
        return self.chain.transact(
            self.contract.functions.register(file_id, manifest_digest, shares_root), sender=owner, value=value
        )

    def register_with_stamp(
        self, file_id: bytes, manifest_digest: bytes, shares_root: bytes, nonce: int, *, owner: LocalAccount
    ) -> TxReceipt:
        """Register a new file without a deposit, on a stamp from ``kura.chain.stamp.mint_stamp``.

        Args:
            file_id: A fresh random 32-byte id.
            manifest_digest: SHA-256 of the encrypted manifest.
            shares_root: Commitment to the shares' Merkle roots.
            nonce: A stamp minted for ``owner.address`` and ``file_id`` at ``difficulty_bits()``.
            owner: The account that owns the file; it must be the stamp's sender.

        Raises:
            ContractRevertError: ``StampTooWeak``, ``StampsDisabled``, ``FileAlreadyExists`` or ``EmptyPointer``.
        """
        call = self.contract.functions.registerWithStamp(file_id, manifest_digest, shares_root, nonce)
        return self.chain.transact(call, sender=owner)

    def rotate(self, file_id: bytes, expected_version: int, manifest_digest: bytes, *, owner: LocalAccount) -> TxReceipt:
        """Point the file at a new manifest, voiding ``expected_version``."""
        return self.chain.transact(
            self.contract.functions.rotate(file_id, expected_version, manifest_digest), sender=owner
        )

    def update_shares(self, file_id: bytes, shares_root: bytes, *, owner: LocalAccount) -> TxReceipt:
        """Replace the shares commitment."""
        return self.chain.transact(self.contract.functions.updateShares(file_id, shares_root), sender=owner)

    def remove(self, file_id: bytes, *, owner: LocalAccount) -> TxReceipt:
        """Delete the file; its deposit is credited to ``owner`` (pull it with ``withdraw_payments``)."""
        return self.chain.transact(self.contract.functions.remove(file_id), sender=owner)

    def file_of(self, file_id: bytes) -> FileRecord:
        """The live record of ``file_id``."""
        owner, version, created, updated, digest, root = self.chain.call(self.contract.functions.fileOf(file_id))
        return FileRecord(file_id, owner, version, created, updated, bytes(digest), bytes(root))

    def manifest_of(self, file_id: bytes, version: int) -> bytes:
        """The manifest digest of ``file_id`` at ``version`` (reverts for superseded versions)."""
        return bytes(self.chain.call(self.contract.functions.manifestOf(file_id, version)))
