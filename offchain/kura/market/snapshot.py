"""The consent snapshot: who consented to one purpose at one time, as a Merkle root and its members.

An institution commits, per purpose, the root of the tree over the consenting
patients and publishes the snapshot (its members, see :meth:`ConsentSnapshot.to_json`)
so each patient can find their proof. The rule the ConsentRegistry contract mirrors:

- ``leaf = keccak256(abi.encodePacked(bytes32 pseudonym, address patientKey))``:
  52 bytes hashed, where ``patientKey`` is the patient's own Ethereum address if
  they registered one (the holder of that key may revoke on chain directly) and
  the zero address otherwise.
- Members are sorted by pseudonym (a pseudonym appears once) and the tree is
  :mod:`kura.market.merkle`'s over their leaves in that order: OpenZeppelin's
  ``MerkleProof.verify(proof, root, leaf)`` accepts every member's proof.

A 52-byte leaf preimage cannot be read as the 64 bytes of an inner node, so the
single keccak256 is enough to keep leaves and inner nodes apart (OpenZeppelin's
double-hashed leaves guard against the case where the two lengths coincide).
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_utils import is_address, keccak, to_canonical_address, to_checksum_address

from kura.errors import ConsentError
from kura.market.merkle import MerkleTree

FORMAT = "kura.consent-snapshot/1"
"""The ``format`` field of a serialised snapshot; another value is refused."""
PSEUDONYM_SIZE = 32
ZERO_ADDRESS = "0x" + "00" * 20


def _checked_pseudonym(pseudonym: bytes) -> bytes:
    if len(pseudonym) != PSEUDONYM_SIZE:
        raise ConsentError(f"a pseudonym is {PSEUDONYM_SIZE} bytes, got {len(pseudonym)}")
    return bytes(pseudonym)


def _checked_address(address: str) -> str:
    if not is_address(address):
        raise ConsentError(f"patient key {address!r} is not an Ethereum address (0x and 40 hex digits)")
    return str(to_checksum_address(address))


def leaf(pseudonym: bytes, patient_key: str = ZERO_ADDRESS) -> bytes:
    """``keccak256(abi.encodePacked(bytes32 pseudonym, address patientKey))``.

    Raises:
        ConsentError: if the pseudonym is not 32 bytes or the key is not an address.
    """
    return keccak(_checked_pseudonym(pseudonym) + to_canonical_address(_checked_address(patient_key)))


@dataclass(frozen=True, order=True)
class ConsentMember:
    """One consenting patient: their pseudonym and the key that may revoke for them.

    Attributes:
        pseudonym: 32 bytes, see :func:`kura.market.consent.pseudonym`.
        patient_key: The patient's checksummed address, or the zero address.
    """

    pseudonym: bytes
    patient_key: str = ZERO_ADDRESS

    def __post_init__(self) -> None:
        object.__setattr__(self, "pseudonym", _checked_pseudonym(self.pseudonym))
        object.__setattr__(self, "patient_key", _checked_address(self.patient_key))

    @property
    def leaf(self) -> bytes:
        """This member's leaf hash."""
        return leaf(self.pseudonym, self.patient_key)


@dataclass(frozen=True)
class ConsentSnapshot:
    """The consenting patients of one institution for one purpose at one time.

    Build it with :meth:`of`, which sorts the members and refuses a pseudonym
    listed twice.

    Attributes:
        purpose: The PurposeOfUse code the consents were evaluated for (``"HRESCH"``).
        as_of: When they were evaluated, ISO 8601 with a time zone.
        members: The members, sorted by pseudonym.
    """

    purpose: str
    as_of: str
    members: tuple[ConsentMember, ...]

    @classmethod
    def of(cls, purpose: str, as_of: str, members: Iterable[ConsentMember]) -> ConsentSnapshot:
        """A snapshot over ``members`` in any order.

        Raises:
            ConsentError: if a pseudonym appears twice (with the same key or another).
        """
        ordered = tuple(sorted(members))
        for before, after in itertools.pairwise(ordered):
            if before.pseudonym == after.pseudonym:
                raise ConsentError(f"pseudonym 0x{after.pseudonym.hex()} is listed twice in the snapshot")
        return cls(purpose, as_of, ordered)

    @cached_property
    def _tree(self) -> MerkleTree:
        return MerkleTree([member.leaf for member in self.members])

    @property
    def root(self) -> bytes:
        """The Merkle root the institution commits on chain (``bytes32(0)`` for nobody)."""
        return self._tree.root

    @cached_property
    def _pseudonyms(self) -> list[bytes]:
        return [member.pseudonym for member in self.members]

    def _index(self, pseudonym: bytes) -> int:
        """The member position of ``pseudonym``, or -1."""
        keys = self._pseudonyms
        index = bisect.bisect_left(keys, pseudonym)
        return index if index < len(keys) and keys[index] == pseudonym else -1

    def includes(self, pseudonym: bytes) -> bool:
        """Whether the patient with ``pseudonym`` is a member."""
        return self._index(pseudonym) >= 0

    def member(self, pseudonym: bytes) -> ConsentMember:
        """The member with ``pseudonym``.

        Raises:
            ConsentError: if the pseudonym is not a member.
        """
        return self.members[self._checked_index(pseudonym)]

    def _checked_index(self, pseudonym: bytes) -> int:
        index = self._index(pseudonym)
        if index < 0:
            raise ConsentError(
                f"pseudonym 0x{pseudonym.hex()} is not in the {self.purpose} snapshot of {self.as_of}: "
                "the patient had no consent covering it then"
            )
        return index

    def proof(self, pseudonym: bytes) -> list[bytes]:
        """The proof for the member with ``pseudonym``, for ``MerkleProof.verify`` with :attr:`root`.

        Raises:
            ConsentError: if the pseudonym is not a member.
        """
        return self._tree.proof(self._checked_index(pseudonym))

    def to_dict(self) -> dict[str, Any]:
        """The published form: format, purpose, time, root and members (hex strings)."""
        return {
            "format": FORMAT,
            "purpose": self.purpose,
            "asOf": self.as_of,
            "root": "0x" + self.root.hex(),
            "members": [
                {"pseudonym": "0x" + member.pseudonym.hex(), "patientKey": member.patient_key}
                for member in self.members
            ],
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as canonical JSON (sorted keys, no spaces)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConsentSnapshot:
        """Read a published snapshot back and check its root against its members.

        Raises:
            ConsentError: if the format is unknown, a field is missing or malformed, or the stated
                root is not the root of the listed members.
        """
        if data.get("format") != FORMAT:
            raise ConsentError(f"not a consent snapshot: format {data.get('format')!r}, expected {FORMAT!r}")
        try:
            members = [
                ConsentMember(bytes.fromhex(entry["pseudonym"].removeprefix("0x")), entry["patientKey"])
                for entry in data["members"]
            ]
            snapshot = cls.of(str(data["purpose"]), str(data["asOf"]), members)
            stated = bytes.fromhex(data["root"].removeprefix("0x"))
        except ConsentError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise ConsentError(f"malformed consent snapshot: {error!r}") from error
        if stated != snapshot.root:
            raise ConsentError(
                f"consent snapshot root 0x{stated.hex()} is not the root of its members "
                f"(0x{snapshot.root.hex()}): the file was altered or truncated"
            )
        return snapshot

    @classmethod
    def from_json(cls, text: str) -> ConsentSnapshot:
        """:meth:`from_dict` over JSON text.

        Raises:
            ConsentError: as :meth:`from_dict`, or if the text is not JSON.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConsentError(f"consent snapshot is not JSON: {error}") from error
        if not isinstance(data, dict):
            raise ConsentError("consent snapshot JSON must be an object")
        return cls.from_dict(data)
