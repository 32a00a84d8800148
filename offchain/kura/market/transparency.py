"""The patient's transparency query, pure half: which data uses included my record, with proofs.

Every sale or computation commits the consent root it was made under (an event
on chain) and points to the published snapshot (the JSON of
:class:`~kura.market.snapshot.ConsentSnapshot`, on IPFS). The facade fetches
both; :func:`inclusions` checks that each published snapshot is the one whose
root was committed and returns, for the uses that included the patient's
pseudonym, the proof ``MerkleProof.verify`` accepts against that root.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kura.errors import ConsentError
from kura.market import merkle
from kura.market.snapshot import ConsentSnapshot, leaf


@dataclass(frozen=True)
class Inclusion:
    """One data use that included the patient.

    Attributes:
        use: The sale or computation, as the caller names it (a listing or task id).
        purpose: The purpose its consent snapshot was taken for.
        root: The consent root it committed on chain.
        patient_key: The key the patient's leaf carries (their address or the zero address).
        proof: Sibling hashes from the patient's leaf to ``root``.
    """

    use: str
    purpose: str
    root: bytes
    patient_key: str
    proof: tuple[bytes, ...]

    def verifies(self, pseudonym: bytes) -> bool:
        """Whether the proof leads from ``pseudonym``'s leaf to the committed root."""
        return merkle.verify(self.proof, self.root, leaf(pseudonym, self.patient_key))


def inclusions(pseudonym: bytes, uses: Mapping[str, tuple[bytes, ConsentSnapshot]]) -> list[Inclusion]:
    """The uses whose consent snapshot included ``pseudonym``, each with its proof.

    Args:
        pseudonym: The patient's pseudonym at the institution (the patient obtains it from them).
        uses: Per use id, the root it committed on chain and the snapshot published for it.

    Returns:
        One :class:`Inclusion` per use that included the patient, in use-id order.

    Raises:
        ConsentError: if a published snapshot's root is not the root its use committed, so the
            published members cannot be trusted.
    """
    found = []
    for use, (committed, snapshot) in sorted(uses.items()):
        if snapshot.root != committed:
            raise ConsentError(
                f"{use} committed consent root 0x{committed.hex()} but its published snapshot has root "
                f"0x{snapshot.root.hex()}: the snapshot was replaced or altered; ask the institution for the original"
            )
        if snapshot.includes(pseudonym):
            member = snapshot.member(pseudonym)
            proof = tuple(snapshot.proof(pseudonym))
            found.append(Inclusion(use, snapshot.purpose, committed, member.patient_key, proof))
    return found
