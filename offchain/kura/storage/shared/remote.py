"""Reach a storage node's repair duties over HTTP: :class:`RemotePeer`, and the peers the registry announces.

:class:`RemotePeer` has the interface of :class:`~kura.storage.node.duties.RepairPeer`
(:class:`~kura.storage.node.duties.RepairDuties`), so a repairer works unchanged with
peers in its own process or on other machines and needs no node key, and a newcomer
pulls its helpers' repair data through it. The node's public key (which enrolment
messages are encrypted to) is fetched once and checked against the operator address
registered on chain, so a party in the middle cannot substitute its own key.

Data routes (``symbols``, ``body``, ``partial``) come back as binary streams read
chunk by chunk; nothing bounds their size but the share's. Failures map to the errors
the repairer already handles per helper: the service down, slow, refusing or
answering nonsense is :class:`RepairPeerError` (a stream cut midway too); a corrupt
share on the node (HTTP 422) is :class:`ShareIntegrityError`; the node's Kubo failing
(HTTP 502) is :class:`IpfsError`; a newcomer that could not pull from a helper (HTTP
424) is :class:`HelperFailedError` naming that helper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from eth_utils import keccak, to_checksum_address

from kura.chain.contracts import Contracts
from kura.crypto import ecies
from kura.crypto.share import ShareHeader
from kura.errors import CodecError, HelperFailedError, IpfsError, RepairPeerError, ShareIntegrityError
from kura.storage.shared import repair_wire as wire
from kura.storage.shared.directory import NodeDirectory
from kura.storage.shared.endpoint import parse_endpoint
from kura.storage.shared.repair_plan import RebuildPlan, Rebuilt

T = TypeVar("T")
_CHUNK = 1 << 20


def address_of(key: ec.EllipticCurvePublicKey) -> str:
    """The Ethereum address (checksummed) of a secp256k1 public key."""
    point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return str(to_checksum_address(keccak(point[1:])[-20:]))


class RemotePeer:
    """The repair duties of the node ``operator``, served at ``url``.

    Args:
        url: Base URL of the node's repair service (from its registered endpoint).
        operator: The node's operator address (its public key must match it).
        timeout: Seconds to wait for each reply, and between chunks of a stream.
        rebuild_timeout: Seconds to wait for a newcomer's whole rebuild (it pulls a share's worth of data).
        max_reply: Largest JSON reply accepted, in bytes (streams have no cap).
    """

    def __init__(
        self,
        url: str,
        operator: str,
        *,
        timeout: float = 60.0,
        rebuild_timeout: float = 3600.0,
        max_reply: int = wire.MAX_REQUEST,
    ) -> None:
        self.url = url.rstrip("/")
        self.operator = operator
        self.timeout = timeout
        self.rebuild_timeout = rebuild_timeout
        self.max_reply = max_reply
        self._key: ec.EllipticCurvePublicKey | None = None

    def __repr__(self) -> str:
        return f"RemotePeer({self.url!r}, {self.operator!r})"

    def _down(self, route: str, exc: Exception) -> RepairPeerError:
        return RepairPeerError(
            f"repair service of {self.operator} at {self.url} did not answer {route} "
            f"({type(exc).__name__}: {exc}): is its `kura node run` up?"
        )

    def _call(self, route: str, body: wire.Json, *, timeout: float | None = None) -> wire.Json:
        try:
            with httpx.stream(
                "POST",
                f"{self.url}{wire.PREFIX}{route}",
                content=wire.dump(body),
                headers={"Content-Type": "application/json"},
                timeout=timeout or self.timeout,
            ) as response:
                raw = self._read(response, route)
        except httpx.HTTPError as exc:
            raise self._down(route, exc) from exc
        reply = self._parse(raw, route)
        if response.status_code != 200:
            raise self._refusal(route, response.status_code, reply)
        return reply

    def _parse(self, raw: bytes, route: str) -> wire.Json:
        try:
            return wire.parse(raw)
        except CodecError as exc:
            raise RepairPeerError(f"repair service of {self.operator} sent a malformed {route} reply: {exc}") from exc

    def _refusal(self, route: str, status: int, reply: wire.Json) -> Exception:
        message = f"repair service of {self.operator} refused {route} ({status}): {reply.get('error')}"
        if status == 424 and isinstance(reply.get("helper"), int):
            return HelperFailedError(int(reply["helper"]), str(reply.get("operator")), message)
        if status == 422:
            return ShareIntegrityError(message)
        if status == 502:
            return IpfsError(message)
        return RepairPeerError(message)

    def _read(self, response: httpx.Response, route: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > self.max_reply:
                raise RepairPeerError(
                    f"repair service of {self.operator} sent a {route} reply over {self.max_reply} bytes: refused"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _stream(self, route: str, body: wire.Json) -> Iterator[bytes]:
        """The binary reply of ``route``, chunk by chunk; a refusal or a cut stream raises."""
        try:
            with httpx.stream(
                "POST",
                f"{self.url}{wire.PREFIX}{route}",
                content=wire.dump(body),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            ) as response:
                if response.status_code != 200:
                    raise self._refusal(route, response.status_code, self._parse(self._read(response, route), route))
                yield from response.iter_raw(_CHUNK)
        except httpx.HTTPError as exc:
            raise self._down(route, exc) from exc

    def _get(self, route: str, body: wire.Json, read: Callable[[wire.Json], T], *, timeout: float | None = None) -> T:
        """Call ``route`` and read its reply with ``read``; a reply without the expected fields is an error."""
        reply = self._call(route, body, timeout=timeout)
        try:
            return read(reply)
        except CodecError as exc:
            raise RepairPeerError(f"repair service of {self.operator} sent a malformed {route} reply: {exc}") from exc

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The node's key, fetched once and checked against its operator address.

        Raises:
            RepairPeerError: if the service is down or its key belongs to another address.
        """
        if self._key is None:
            try:
                key = self._get("key", {}, lambda r: ecies.load_public_key(wire.blob(r, "public_key")))
            except CodecError as exc:
                raise RepairPeerError(f"repair service of {self.operator} sent no public key: {exc}") from exc
            if address_of(key) != to_checksum_address(self.operator):
                raise RepairPeerError(
                    f"repair service at {self.url} holds the key of {address_of(key)}, not of "
                    f"{self.operator}: its registered endpoint is wrong or intercepted"
                )
            self._key = key
        return self._key

    def holds(self, cid: str) -> bool:
        """True if the node has ``cid`` in its own store."""
        return self._get("holds", {"cid": cid}, lambda r: wire.flag(r, "holds"))

    @staticmethod
    def _share(cid: str, file_id: bytes, index: int) -> wire.Json:
        return {"cid": cid, "file_id": wire.b64(file_id), "index": index}

    def header(self, cid: str, file_id: bytes, index: int) -> ShareHeader:
        """The node's share header, key share blanked."""
        return self._get(
            "header", self._share(cid, file_id, index), lambda r: ShareHeader.from_bytes(wire.blob(r, "header"))
        )

    def symbols(self, cid: str, file_id: bytes, index: int, lost: int) -> Iterator[bytes]:
        """MSR repair symbols of the node's share ``index`` for share ``lost``, streamed."""
        return self._stream("symbols", {**self._share(cid, file_id, index), "lost": lost})

    def body(self, cid: str, file_id: bytes, index: int) -> Iterator[bytes]:
        """The node's share body (ciphertext), streamed, for the re-encode path."""
        return self._stream("body", self._share(cid, file_id, index))

    def partial(self, session: bytes) -> Iterator[bytes]:
        """A pure-Shamir helper's padded partial sum of its whole body, streamed."""
        return self._stream("partial", {"session": wire.b64(session)})

    def start_enrollment(
        self,
        cid: str,
        file_id: bytes,
        index: int,
        helpers: Sequence[int],
        lost: int,
        peer_keys: Mapping[int, ec.EllipticCurvePublicKey],
    ) -> tuple[bytes, dict[int, bytes]]:
        """Key enrolment round 1: a session id and the masks for the other helpers, encrypted to each."""
        keys = {i: ecies.public_key_bytes(key) for i, key in peer_keys.items()}
        return self._get(
            "enroll/start",
            {
                **self._share(cid, file_id, index),
                "helpers": list(helpers),
                "lost": lost,
                "peer_keys": wire.encode_map(keys),
            },
            lambda r: (wire.blob(r, "session"), wire.blob_map(r, "masks")),
        )

    def finish_enrollment(
        self, session: bytes, received: Mapping[int, bytes], newcomer: ec.EllipticCurvePublicKey
    ) -> bytes:
        """Key enrolment round 2: the partial sum and a pad seed, encrypted to the newcomer."""
        return self._get(
            "enroll/finish",
            {
                "session": wire.b64(session),
                "received": wire.encode_map(received),
                "newcomer": wire.b64(ecies.public_key_bytes(newcomer)),
            },
            lambda r: wire.blob(r, "sum"),
        )

    def rebuild(self, plan: RebuildPlan) -> Rebuilt:
        """Newcomer: pull the plan's repair data from its helpers, rebuild, check and pin the share."""
        return self._get("rebuild", plan.to_json(), _rebuilt, timeout=self.rebuild_timeout)

    def abandon(self, ticket: bytes) -> bool:
        """Newcomer: unpin a rebuilt share whose repair was not committed; True if it was dropped."""
        return self._get("abandon", {"ticket": wire.b64(ticket)}, lambda r: wire.flag(r, "dropped"))

    def traffic(self) -> wire.Json:
        """Bytes the node's repair service received and sent so far, by route."""
        return self._call("traffic", {})


def _rebuilt(reply: wire.Json) -> Rebuilt:
    received = reply.get("received")
    if not isinstance(received, dict) or not all(isinstance(v, int) for v in received.values()):
        raise CodecError("field 'received' must be an object from share index to a byte count")
    return Rebuilt(
        wire.text(reply, "cid"), wire.blob(reply, "ticket"), {int(index): count for index, count in received.items()}
    )


def registry_peers(contracts: Contracts, *, timeout: float = 60.0) -> dict[str, RemotePeer]:
    """A :class:`RemotePeer` for every Active registered node that announces a repair service, by operator."""
    peers = {}
    for record in NodeDirectory(contracts).active():
        url = parse_endpoint(record.endpoint).repair_url
        if url is not None:
            peers[record.address] = RemotePeer(url, record.address, timeout=timeout)
    return peers


def registry_reach(contracts: Contracts, *, timeout: float = 60.0) -> Callable[[str], RemotePeer]:
    """How a newcomer reaches a helper: the repair service the helper's operator announces in the registry
    (looked up once per operator; a repairer cannot point a newcomer anywhere else).

    The returned function raises RepairPeerError for an operator that announces no repair service.
    """
    directory = NodeDirectory(contracts)
    known: dict[str, RemotePeer] = {}

    def reach(operator: str) -> RemotePeer:
        if operator not in known:
            url = parse_endpoint(directory.record_of(operator).endpoint).repair_url
            if url is None:
                raise RepairPeerError(f"node {operator} announces no repair service in the registry")
            known[operator] = RemotePeer(url, operator, timeout=timeout)
        return known[operator]

    return reach
