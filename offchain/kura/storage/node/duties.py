"""A storage node's side of a repair: helper (repair data, key enrolment) and newcomer (pull, assemble, pin).

The repairer only coordinates. It hands the newcomer a :class:`RebuildPlan`, and the
newcomer pulls the repair data from the helpers itself, as streams, so the bulk of a
repair crosses the network once: MSR helpers send ``beta`` symbols per stripe computed
from their own share (``d·beta`` in all, the cut-set bound), re-encode helpers send
their bodies (ciphertext), and pure-Shamir helpers send the partial sums of their
whole bodies, masked so no one but the newcomer learns anything (:mod:`kura.crypto.key_repair`).

Helpers read only their own share from their own Kubo node, block by block, and send
out only what is public or masked: MSR symbols and bodies of *ciphertext*, their
header with the key share blanked, and the enrolment messages, each encrypted (ECIES)
to the one party that may read it (masks to the other helper; partial sums and pad
seeds to the newcomer). A pure-Shamir body is a share of the plaintext, so it is
never handed out whole. The newcomer adds the partial sums into its own key share,
writes the share (header, then body) to a temporary file, checks its Merkle root is the
committed one (so it is bit-identical to the lost one, key share included), and
pins it. It keeps the pin only if the repair is committed: the repairer abandons it
with the ticket it got if its commit fails, and a node sweeps up pins that no commit
claimed within a grace period.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import BinaryIO, Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from kura.codes.msr import ProductMatrixMSR
from kura.codes.params import CodeParams, Scheme
from kura.crypto import ecies
from kura.crypto.codec import erasure_code
from kura.crypto.key_repair import EnrollmentHelper, combine_partial_streams, combine_partial_sums
from kura.crypto.share import ShareHeader, ShareWriter
from kura.errors import CodecError, HelperFailedError, KuraError, ShareIntegrityError, StorageError
from kura.ipfs import KuboClient
from kura.storage.shared.repair_plan import HelperRef, RebuildPlan, Rebuilt, RepairPath
from kura.storage.shared.streams import (
    BLOCK_TARGET,
    ExactReader,
    StreamedShare,
    block_sizes,
    repair_block,
    sealed_batch,
)

_MASK_AAD = b"kura/repair/mask/v1"
_SUM_AAD = b"kura/repair/sum/v1"
BLANK_KEY = bytes(32)
SEED_BYTES = 32
MAX_SESSIONS = 256
"""Open key-enrolment sessions a node keeps; starting one more forgets the oldest."""
PENDING_GRACE = 600.0
"""Seconds a rebuilt share stays pinned without a commit naming this node before :meth:`RepairPeer.sweep` drops it."""


def public_header(header: ShareHeader) -> ShareHeader:
    """The header with its key share blanked: what a helper may show the repairer."""
    return replace(header, key_share=BLANK_KEY)


class RepairDuties(Protocol):
    """What repairers and newcomers ask of a storage node: :class:`RepairPeer` in process, or a remote one."""

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """Where enrolment messages for this node are encrypted to."""
        ...

    def holds(self, cid: str) -> bool:
        """True if the node has ``cid`` in its own store."""
        ...

    def header(self, cid: str, file_id: bytes, index: int) -> ShareHeader:
        """The node's share header, key share blanked."""
        ...

    def symbols(self, cid: str, file_id: bytes, index: int, lost: int) -> Iterator[bytes]:
        """The MSR repair symbols of the node's share ``index`` for share ``lost``, as a stream."""
        ...

    def body(self, cid: str, file_id: bytes, index: int) -> Iterator[bytes]:
        """The node's share body (ciphertext), as a stream, for the re-encode path."""
        ...

    def start_enrollment(
        self,
        cid: str,
        file_id: bytes,
        index: int,
        helpers: Sequence[int],
        lost: int,
        peer_keys: Mapping[int, ec.EllipticCurvePublicKey],
    ) -> tuple[bytes, dict[int, bytes]]:
        """Key enrolment round 1: a session id and encrypted masks by share index."""
        ...

    def finish_enrollment(
        self, session: bytes, received: Mapping[int, bytes], newcomer: ec.EllipticCurvePublicKey
    ) -> bytes:
        """Key enrolment round 2: the partial sum and a pad seed, encrypted to the newcomer."""
        ...

    def partial(self, session: bytes) -> Iterator[bytes]:
        """A pure-Shamir helper's padded partial sum of its whole body, as a stream."""
        ...

    def rebuild(self, plan: RebuildPlan) -> Rebuilt:
        """Newcomer: pull the repair data from the plan's helpers, rebuild, check and pin the share."""
        ...

    def abandon(self, ticket: bytes) -> bool:
        """Newcomer: unpin a rebuilt share whose repair was not committed; True if it was dropped."""
        ...


Reach = Callable[[str], RepairDuties]
"""How a newcomer reaches a helper's duties, by the helper's operator address."""
Committed = Callable[[bytes, int], bool]
"""Whether the chain names this node the holder of share ``index`` of ``file_id`` after a repair."""
Authorize = Callable[[str], bool]
"""Whether an address may have this node rebuild shares (an Active registered node)."""


def _unreachable(operator: str) -> RepairDuties:
    raise StorageError(f"this node has no way to reach helper {operator}: give its RepairPeer a `reach`")


@dataclass
class _Session:
    """One helper's part in one repair's key enrolment."""

    helper: EnrollmentHelper
    cid: str
    file_id: bytes
    index: int
    scheme: Scheme
    received: dict[int, bytes] = field(default_factory=dict)
    pad: bytes = b""


@dataclass(frozen=True)
class _Pending:
    """A share this node rebuilt and pinned, not yet known to be committed."""

    cid: str
    file_id: bytes
    index: int
    since: float


class RepairPeer:
    """The repair duties of one storage node.

    Args:
        kubo: The node's own Kubo client.
        private_key: The node operator's secp256k1 key (enrolment messages are encrypted to it).
        reach: How this node, as a newcomer, reaches the helpers of a plan (by operator address).
        committed: Whether a rebuilt share's repair was committed naming this node (None: never assumed,
            so :meth:`abandon` always drops).
        authorize: Whether a plan's signer may have this node rebuild (None: any plan is carried out, for
            nodes reached only in process).
    """

    def __init__(
        self,
        kubo: KuboClient,
        private_key: ec.EllipticCurvePrivateKey,
        *,
        reach: Reach = _unreachable,
        committed: Committed | None = None,
        authorize: Authorize | None = None,
    ) -> None:
        self.kubo = kubo
        self.reach = reach
        self.committed = committed
        self.authorize = authorize
        self._key = private_key
        self._sessions: dict[bytes, _Session] = {}
        self._pending: dict[bytes, _Pending] = {}
        self._guard = threading.Lock()

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """Where enrolment messages for this node are encrypted to."""
        return self._key.public_key()

    def holds(self, cid: str) -> bool:
        """True if this node has ``cid`` in its own Kubo store (no network search).

        Raises:
            IpfsError: if the node's Kubo does not answer.
        """
        return self.kubo.has_local(cid)

    def _open(self, cid: str, file_id: bytes, index: int) -> StreamedShare:
        """This node's share ``index`` of ``file_id``, streamed from its own store.

        Raises:
            IpfsError: if the node cannot serve it.
            ShareIntegrityError: if it is not that share.
        """
        return StreamedShare(self.kubo.cat_stream(cid, local_only=True), file_id, index)

    def _open_header(self, cid: str, file_id: bytes, index: int) -> ShareHeader:
        """The header of this node's share ``index`` of ``file_id`` (the rest is not read)."""
        share = self._open(cid, file_id, index)
        share.close()
        return share.header

    def header(self, cid: str, file_id: bytes, index: int) -> ShareHeader:
        """This node's share header, key share blanked."""
        return public_header(self._open_header(cid, file_id, index))

    def symbols(self, cid: str, file_id: bytes, index: int, lost: int) -> Iterator[bytes]:
        """The MSR repair symbols (``beta`` per stripe) of this node's share ``index`` for share ``lost``.

        Raises:
            ShareIntegrityError: if the share is not MSR-coded or not intact (the latter after the last block).
            CodecError: if ``lost`` is not another share of the file.
        """
        share = self._open(cid, file_id, index)
        params = share.header.params
        code = erasure_code(params) if params.scheme is Scheme.MSR else None
        if not isinstance(code, ProductMatrixMSR):
            share.close()
            raise ShareIntegrityError(f"share {index} is {params.scheme.value}-coded: it has no MSR repair")
        code.check_index(lost, "lost")
        if lost == index:
            share.close()
            raise CodecError(f"share {lost} cannot help repair itself")
        for block in share.body(repair_block(params)):
            yield code.repair_symbols(index, block, lost).tobytes()

    def body(self, cid: str, file_id: bytes, index: int) -> Iterator[bytes]:
        """This node's share body (erasure-coded ciphertext), for the decode-and-re-encode path.

        Raises:
            StorageError: for a pure-Shamir share, whose body is a share of the plaintext itself.
            ShareIntegrityError: if the share is not intact (after the last block).
        """
        share = self._open(cid, file_id, index)
        if share.header.params.scheme is Scheme.SHAMIR:
            share.close()
            raise StorageError(
                f"share {index} is a pure-Shamir share: its body is a share of the plaintext and "
                "is never handed out (it is rebuilt by enrolment from masked partial sums)"
            )
        yield from share.body(BLOCK_TARGET)

    def start_enrollment(
        self,
        cid: str,
        file_id: bytes,
        index: int,
        helpers: Sequence[int],
        lost: int,
        peer_keys: Mapping[int, ec.EllipticCurvePublicKey],
    ) -> tuple[bytes, dict[int, bytes]]:
        """Round 1 of the key enrolment: a session id and a mask for each other helper, encrypted to it.

        Args:
            cid: This node's share.
            file_id: The file.
            index: This node's share index.
            helpers: The ``k`` helper share indices (this one included).
            lost: The share index being rebuilt.
            peer_keys: Each other helper's public key, by share index.
        """
        header = self._open_header(cid, file_id, index)
        helper = EnrollmentHelper(index + 1, header.key_share, [h + 1 for h in helpers], lost + 1)
        session = secrets.token_bytes(16)
        with self._guard:
            while len(self._sessions) >= MAX_SESSIONS:
                del self._sessions[next(iter(self._sessions))]  # oldest first: abandoned sessions cannot pile up
            self._sessions[session] = _Session(helper, cid, file_id, index, header.params.scheme)
        masks = {
            point - 1: ecies.encrypt(peer_keys[point - 1], mask, aad=_MASK_AAD)
            for point, mask in helper.masks().items()
        }
        return session, masks

    def finish_enrollment(
        self, session: bytes, received: Mapping[int, bytes], newcomer: ec.EllipticCurvePublicKey
    ) -> bytes:
        """Round 2: this helper's key partial sum and a fresh pad seed, encrypted to the newcomer.

        A pure-Shamir helper keeps the session for the newcomer to pull its body's partial sum (:meth:`partial`).

        Args:
            session: The id :meth:`start_enrollment` returned.
            received: The encrypted masks the other helpers made for this one, by their share index.
            newcomer: The newcomer's public key.

        Raises:
            StorageError: for an unknown or finished session.
        """
        with self._guard:
            state = self._sessions.pop(session, None)
        if state is None:
            raise StorageError("unknown or finished key-enrolment session: start it again")
        masks = {index + 1: ecies.decrypt(self._key, blob, aad=_MASK_AAD) for index, blob in received.items()}
        key_sum = state.helper.partial_sum(masks)
        pad = secrets.token_bytes(SEED_BYTES)
        if state.scheme is Scheme.SHAMIR:
            with self._guard:
                self._sessions[session] = replace(state, received=masks, pad=pad)
        return ecies.encrypt(newcomer, key_sum + pad, aad=_SUM_AAD)

    def partial(self, session: bytes) -> Iterator[bytes]:
        """A pure-Shamir helper's partial sum of its whole body, masked and padded (one pull per session).

        Raises:
            StorageError: for an unknown session, or one whose enrolment is not finished.
        """
        with self._guard:
            state = self._sessions.pop(session, None)
        if state is None or not state.pad:
            raise StorageError("no finished pure-Shamir enrolment session of that id: run the enrolment first")
        share = self._open(state.cid, state.file_id, state.index)
        yield from state.helper.partial_stream(share.body(BLOCK_TARGET), state.received, state.pad)

    def rebuild(self, plan: RebuildPlan) -> Rebuilt:
        """Newcomer: pull the plan's repair data from its helpers, rebuild the share, check it, pin it.

        Returns:
            The CID, the ticket to abandon it by, and the bytes pulled from each helper.

        Raises:
            StorageError: if the plan is not signed by an address this node works for (an Active node).
            HelperFailedError: naming the helper whose data could not be pulled (rebuild again without it).
            ShareIntegrityError: if the share does not hash to the committed SHA-256 (a helper or the repairer
                lied; nothing is pinned then).
            CodecError: for a malformed plan or signature.
            IpfsError: if this node's Kubo refuses the share.
        """
        if self.authorize is not None:
            signer = plan.signer()
            if not self.authorize(signer):
                raise StorageError(
                    f"the rebuild plan is signed by {signer}, which is not an Active registered node: "
                    "only staked nodes may have shares rebuilt"
                )
        parts = [ecies.decrypt(self._key, blob, aad=_SUM_AAD) for blob in plan.sealed_sums]
        if not parts or any(len(part) != len(BLANK_KEY) + SEED_BYTES for part in parts):
            raise CodecError("every sealed sum must hold a 32-byte key partial sum and a 32-byte pad seed")
        key_share = combine_partial_sums([part[: len(BLANK_KEY)] for part in parts])
        header = replace(plan.template, index=plan.index, key_share=key_share)
        readers = {ref.index: _HelperStream(ref, self._stream(plan, ref)) for ref in plan.helpers}
        try:
            with tempfile.TemporaryFile(prefix="kura-rebuild-") as sink:
                writer = ShareWriter(sink, header)
                for block in self._blocks(plan, header, readers, [part[len(BLANK_KEY) :] for part in parts]):
                    writer.write_body(block)
                for reader in readers.values():
                    reader.end()
                if writer.finish().merkle_root != plan.merkle_root:
                    raise ShareIntegrityError(
                        f"rebuilt share {plan.index}'s Merkle root is not the committed one: a helper sent wrong "
                        "data; repair again with other helpers"
                    )
                cid = self._pin(sink)
        finally:
            for reader in readers.values():
                reader.close()
        ticket = secrets.token_bytes(16)
        with self._guard:
            self._pending[ticket] = _Pending(cid, plan.file_id, plan.index, time.monotonic())
        return Rebuilt(cid, ticket, {index: reader.consumed for index, reader in readers.items()})

    def _stream(self, plan: RebuildPlan, ref: HelperRef) -> Iterator[bytes]:
        """The repair data ``ref`` sends for ``plan``, opened lazily (a failure names the helper)."""
        try:
            peer = self.reach(ref.operator)
            if plan.path is RepairPath.MSR:
                yield from peer.symbols(ref.cid, plan.file_id, ref.index, plan.index)
            elif plan.path is RepairPath.REENCODE:
                yield from peer.body(ref.cid, plan.file_id, ref.index)
            else:
                yield from peer.partial(ref.session)
        except (KuraError, OSError) as exc:
            raise HelperFailedError(ref.index, ref.operator, str(exc)) from exc

    def _blocks(
        self, plan: RebuildPlan, header: ShareHeader, readers: Mapping[int, _HelperStream], pads: Sequence[bytes]
    ) -> Iterator[bytes]:
        """The rebuilt body, block by block, from the helpers' streams."""
        params = header.params
        ordered = [readers[ref.index] for ref in plan.helpers]
        if plan.path is RepairPath.SHAMIR:
            yield from combine_partial_streams(
                [reader.read for reader in ordered], pads, header.body_size, BLOCK_TARGET
            )
            return
        code = erasure_code(params)
        if plan.path is RepairPath.MSR:
            msr = code if isinstance(code, ProductMatrixMSR) else None
            if msr is None:
                raise CodecError(f"a {params.scheme.value} share has no MSR repair")
            for size in block_sizes(header.body_size, repair_block(params)):
                symbols = {index: reader.read(size // params.alpha) for index, reader in readers.items()}
                yield msr.repair(plan.index, symbols).tobytes()
            return
        for length in block_sizes(header.sealed_size, sealed_batch(params)):
            size = code.share_size(length)
            blocks = {index: reader.read(size) for index, reader in readers.items()}
            yield _encoded_row(code.decode(blocks, length), params, plan.index)

    def _pin(self, sink: BinaryIO) -> str:
        sink.seek(0)
        return self.kubo.add(sink, pin=True)

    def abandon(self, ticket: bytes) -> bool:
        """Unpin the share rebuilt under ``ticket`` unless its repair was committed naming this node.

        Returns:
            True if the pin was dropped.

        Raises:
            IpfsError: if this node's Kubo does not answer.
        """
        with self._guard:
            pending = self._pending.pop(ticket, None)
        if pending is None or self._is_committed(pending):
            return False
        self.kubo.pin_rm(pending.cid)
        return True

    def sweep(self, grace: float = PENDING_GRACE) -> list[str]:
        """Forget rebuilt shares older than ``grace`` seconds: keep the committed ones, unpin the others.

        Returns:
            The CIDs unpinned.

        Raises:
            IpfsError: if this node's Kubo does not answer (the shares stay pending).
        """
        now = time.monotonic()
        with self._guard:
            due = {ticket: p for ticket, p in self._pending.items() if now - p.since >= grace}
        dropped = []
        for ticket, pending in due.items():
            if not self._is_committed(pending):
                self.kubo.pin_rm(pending.cid)
                dropped.append(pending.cid)
            with self._guard:
                self._pending.pop(ticket, None)
        return dropped

    def _is_committed(self, pending: _Pending) -> bool:
        return self.committed is not None and self.committed(pending.file_id, pending.index)


class _HelperStream:
    """One helper's repair stream as the newcomer reads it: exact blocks, failures naming the helper."""

    def __init__(self, ref: HelperRef, chunks: Iterator[bytes]) -> None:
        self._ref = ref
        self._reader = ExactReader(chunks)

    @property
    def consumed(self) -> int:
        """Bytes read from the helper so far."""
        return self._reader.consumed

    def read(self, size: int) -> bytes:
        """The next ``size`` bytes.

        Raises:
            HelperFailedError: if the helper's stream fails or ends early.
        """
        try:
            return self._reader.exactly(size, f"the repair stream of share {self._ref.index}")
        except HelperFailedError:
            raise
        except (KuraError, OSError) as exc:
            raise HelperFailedError(self._ref.index, self._ref.operator, str(exc)) from exc

    def end(self) -> None:
        """Check the helper sent nothing more and ended its stream cleanly (its share passed its own check).

        Raises:
            HelperFailedError: if it did not.
        """
        try:
            extra = self._reader.read(1)
        except HelperFailedError:
            raise
        except (KuraError, OSError) as exc:
            raise HelperFailedError(self._ref.index, self._ref.operator, str(exc)) from exc
        if extra:
            raise HelperFailedError(self._ref.index, self._ref.operator, "sent more than its share's worth")

    def close(self) -> None:
        """Release the stream (its connection) whether or not it was read to the end."""
        self._reader.close()


def _encoded_row(sealed: bytes, params: CodeParams, index: int) -> bytes:
    """Share ``index``'s part of the re-encoded ``sealed`` block."""
    return bytes(erasure_code(params).encode(sealed)[index])  # type: ignore[attr-defined]
