"""A storage node's side of a repair: helper (repair symbols, key enrollment) and newcomer (assemble, pin).

Helpers read only their own share from their own Kubo node and send out only:
``beta`` MSR symbols per stripe (or, on the fallback path, their body — ciphertext),
their header with the key share blanked, and the enrollment messages of
:mod:`kura.crypto.key_repair`, each encrypted (ECIES) to the one party that may
read it: masks to the other helper, the partial sum to the newcomer. The
newcomer adds the partial sums into its own key share, writes the share (header,
body, trailer), checks it hashes to the committed SHA-256 (so it is bit-identical
to the lost one, key share included) and pins it. The repairer in between relays
ciphertext and symbols; it never holds a key share or plaintext.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from kura.crypto import ecies
from kura.crypto.codec import erasure_code
from kura.crypto.key_repair import EnrollmentHelper, combine_partial_sums
from kura.crypto.msr import ProductMatrixMSR
from kura.crypto.share import HEADER_SIZE, ShareHeader, ShareWriter, verify_stream
from kura.errors import ShareIntegrityError, StorageError
from kura.ipfs import KuboClient

_MASK_AAD = b"kura/repair/mask/v1"
_SUM_AAD = b"kura/repair/sum/v1"
BLANK_KEY = bytes(32)
MAX_SESSIONS = 256
"""Open key-enrollment sessions a node keeps; starting one more forgets the oldest."""


def public_header(header: ShareHeader) -> ShareHeader:
    """The header with its key share blanked: what a helper may show the repairer."""
    return replace(header, key_share=BLANK_KEY)


class RepairDuties(Protocol):
    """What a repairer asks of a storage node: :class:`RepairPeer` in process, or a remote one over HTTP."""

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """Where enrollment messages for this node are encrypted to."""
        ...

    def holds(self, cid: str) -> bool:
        """True if the node has ``cid`` in its own store."""
        ...

    def header(self, cid: str, file_id: bytes, index: int) -> ShareHeader:
        """The node's share header, key share blanked."""
        ...

    def repair_symbols(self, cid: str, file_id: bytes, index: int, lost: int) -> bytes:
        """MSR repair symbols of the node's share ``index`` for share ``lost``."""
        ...

    def body(self, cid: str, file_id: bytes, index: int) -> bytes:
        """The node's share body, for the re-encode fallback."""
        ...

    def start_enrollment(self, cid: str, file_id: bytes, index: int, helpers: Sequence[int], lost: int,
                         peer_keys: Mapping[int, ec.EllipticCurvePublicKey]) -> tuple[bytes, dict[int, bytes]]:
        """Key enrollment round 1: a session id and encrypted masks by share index."""
        ...

    def finish_enrollment(self, session: bytes, received: Mapping[int, bytes],
                          newcomer: ec.EllipticCurvePublicKey) -> bytes:
        """Key enrollment round 2: the partial sum, encrypted to the newcomer."""
        ...

    def accept_share(self, template: ShareHeader, index: int, body: bytes, sealed_sums: Sequence[bytes],
                     sha256: bytes) -> str:
        """Newcomer: rebuild, check and pin share ``index``; its CID."""
        ...


class RepairPeer:
    """The repair duties of one storage node.

    Args:
        kubo: The node's own Kubo client.
        private_key: The node operator's secp256k1 key (enrollment messages are encrypted to it).
    """

    def __init__(self, kubo: KuboClient, private_key: ec.EllipticCurvePrivateKey) -> None:
        self.kubo = kubo
        self._key = private_key
        self._sessions: dict[bytes, EnrollmentHelper] = {}

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """Where enrollment messages for this node are encrypted to."""
        return self._key.public_key()

    def holds(self, cid: str) -> bool:
        """True if this node has ``cid`` in its own Kubo store (no network search).

        Raises:
            IpfsError: if the node's Kubo does not answer.
        """
        return self.kubo.has_local(cid)

    def _share(self, cid: str, file_id: bytes, index: int) -> tuple[ShareHeader, bytes]:
        """This node's verified share ``index`` of ``file_id``.

        Raises:
            IpfsError: if the node cannot serve it.
            ShareIntegrityError: if it is not that share, intact.
        """
        data = self.kubo.cat(cid)
        header = verify_stream(io.BytesIO(data), file_id, index)
        return header, data[HEADER_SIZE:HEADER_SIZE + header.body_size]

    def header(self, cid: str, file_id: bytes, index: int) -> ShareHeader:
        """This node's share header, key share blanked."""
        return public_header(self._share(cid, file_id, index)[0])

    def repair_symbols(self, cid: str, file_id: bytes, index: int, lost: int) -> bytes:
        """The MSR repair symbols (``beta`` per stripe) of this node's share ``index`` for share ``lost``.

        Raises:
            ShareIntegrityError: if the share is not MSR-coded or not intact.
        """
        header, body = self._share(cid, file_id, index)
        code = erasure_code(header.params)
        if not isinstance(code, ProductMatrixMSR):
            raise ShareIntegrityError(f"share {index} is {header.params.scheme.value}-coded: it has no MSR repair")
        return code.repair_symbols(index, body, lost).tobytes()

    def body(self, cid: str, file_id: bytes, index: int) -> bytes:
        """This node's share body (erasure-coded ciphertext), for the decode-and-re-encode fallback."""
        return self._share(cid, file_id, index)[1]

    def start_enrollment(self, cid: str, file_id: bytes, index: int, helpers: Sequence[int], lost: int,
                         peer_keys: Mapping[int, ec.EllipticCurvePublicKey]) -> tuple[bytes, dict[int, bytes]]:
        """Round 1 of the key enrollment: a session id and a mask for each other helper, encrypted to it.

        Args:
            cid: This node's share.
            file_id: The file.
            index: This node's share index.
            helpers: The ``k`` helper share indices (this one included).
            lost: The share index being rebuilt.
            peer_keys: Each other helper's public key, by share index.
        """
        header, _ = self._share(cid, file_id, index)
        helper = EnrollmentHelper(index + 1, header.key_share, [h + 1 for h in helpers], lost + 1)
        session = secrets.token_bytes(16)
        while len(self._sessions) >= MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]  # oldest first: abandoned sessions cannot pile up
        self._sessions[session] = helper
        masks = {point - 1: ecies.encrypt(peer_keys[point - 1], mask, aad=_MASK_AAD)
                 for point, mask in helper.masks().items()}
        return session, masks

    def finish_enrollment(self, session: bytes, received: Mapping[int, bytes],
                          newcomer: ec.EllipticCurvePublicKey) -> bytes:
        """Round 2: this helper's partial sum, encrypted to the newcomer.

        Args:
            session: The id :meth:`start_enrollment` returned.
            received: The encrypted masks the other helpers made for this one, by their share index.
            newcomer: The newcomer's public key.

        Raises:
            StorageError: for an unknown session.
        """
        helper = self._sessions.pop(session, None)
        if helper is None:
            raise StorageError("unknown or finished key-enrollment session: start it again")
        masks = {index + 1: ecies.decrypt(self._key, blob, aad=_MASK_AAD) for index, blob in received.items()}
        return ecies.encrypt(newcomer, helper.partial_sum(masks), aad=_SUM_AAD)

    def accept_share(self, template: ShareHeader, index: int, body: bytes, sealed_sums: Sequence[bytes],
                     sha256: bytes) -> str:
        """Newcomer: rebuild the key share, write share ``index`` and pin it on this node.

        Args:
            template: Any helper's public header (key share blanked).
            index: The rebuilt share's index.
            body: Its body, from the repairer.
            sealed_sums: The helpers' partial sums, encrypted to this node.
            sha256: The committed SHA-256 of the whole share.

        Returns:
            The CID it is pinned under.

        Raises:
            ShareIntegrityError: if the share does not hash to ``sha256`` (a helper or the repairer lied).
        """
        key_share = combine_partial_sums([ecies.decrypt(self._key, blob, aad=_SUM_AAD) for blob in sealed_sums])
        sink = io.BytesIO()
        writer = ShareWriter(sink, replace(template, index=index, key_share=key_share))
        writer.write_body(body)
        writer.finish()
        share = sink.getvalue()
        if hashlib.sha256(share).digest() != sha256:
            raise ShareIntegrityError(
                f"rebuilt share {index} does not hash to its committed SHA-256: a helper sent wrong data; "
                "repair again with other helpers"
            )
        return self.kubo.add(share, pin=True)
