"""Typed client for the ``FileRegistry`` contract."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment


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


class FileRegistryClient:
    """Calls to the deployed ``FileRegistry``; reverts surface as ``ContractRevertError``."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("FileRegistry", deployment.address("FileRegistry"))

    def register(self, file_id: bytes, manifest_digest: bytes, shares_root: bytes, *, owner: LocalAccount) -> TxReceipt:
        """Register a new file owned by ``owner``."""
        return self.chain.transact(
            self.contract.functions.register(file_id, manifest_digest, shares_root), sender=owner
        )

    def rotate(self, file_id: bytes, expected_version: int, manifest_digest: bytes, *, owner: LocalAccount) -> TxReceipt:
        """Point the file at a new manifest, voiding ``expected_version``."""
        return self.chain.transact(
            self.contract.functions.rotate(file_id, expected_version, manifest_digest), sender=owner
        )

    def update_shares(self, file_id: bytes, shares_root: bytes, *, owner: LocalAccount) -> TxReceipt:
        """Replace the shares commitment."""
        return self.chain.transact(self.contract.functions.updateShares(file_id, shares_root), sender=owner)

    def remove(self, file_id: bytes, *, owner: LocalAccount) -> TxReceipt:
        """Delete the file."""
        return self.chain.transact(self.contract.functions.remove(file_id), sender=owner)

    def file_of(self, file_id: bytes) -> FileRecord:
        """The live record of ``file_id``."""
        owner, version, created, updated, digest, root = self.chain.call(self.contract.functions.fileOf(file_id))
        return FileRecord(file_id, owner, version, created, updated, bytes(digest), bytes(root))

    def manifest_of(self, file_id: bytes, version: int) -> bytes:
        """The manifest digest of ``file_id`` at ``version`` (reverts for superseded versions)."""
        return bytes(self.chain.call(self.contract.functions.manifestOf(file_id, version)))
