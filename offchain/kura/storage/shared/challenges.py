"""Opening a proof-of-storage challenge against a share, from the file's public share table.

The challenger (anyone: an owner, the repairer, a watchdog) names the share by what the table
records — holder, chunk count, Merkle root — and proves that record is in the file's on-chain
commitment; ``StorageAudits`` locks the bond and draws the chunk from a later block hash.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from kura.chain.storage_audits import StorageAuditsClient
from kura.results import Result
from kura.storage.shared.sharetable import ShareTable


@dataclass(frozen=True)
class OpenedChallenge(Result):
    """A challenge just opened.

    Attributes:
        challenge_id: Its id (``kura audit status ID``).
        node: The holder challenged.
        index: The share.
        bond: Wei locked (returned to the node if it answers correctly).
        gas: Gas of the opening transaction.
    """

    challenge_id: int
    node: str
    index: int
    bond: int
    gas: int


def challenge_share(
    audits: StorageAuditsClient, table: ShareTable, index: int, *, challenger: LocalAccount
) -> OpenedChallenge:
    """Challenge the holder of share ``index`` of ``table``'s file, posting the audit bond.

    Raises:
        StorageError: if the table has no share ``index``.
        ContractRevertError: e.g. ``ChallengeAlreadyOpen``, ``NodeNotActive``, ``BadBond``.
    """
    entry = table.entry(index)
    bond = audits.params().challenge_bond
    receipt = audits.challenge(
        table.file_id,
        index,
        entry.operator,
        entry.chunk_count,
        entry.merkle_root,
        table.leaf_proof(index),
        challenger=challenger,
        bond=bond,
    )
    return OpenedChallenge(audits.challenge_id(receipt), entry.operator, index, bond, int(receipt["gasUsed"]))
