"""Reach a storage node's repair duties over HTTP: :class:`RemotePeer`, and the peers the registry announces.

:class:`RemotePeer` has the interface of :class:`~kura.storage.repair_peer.RepairPeer`
(:class:`~kura.storage.repair_peer.RepairDuties`), so a :class:`~kura.storage.repair.Repairer`
works unchanged with peers in its own process or on other machines and needs no
node key. The node's public key (which enrollment messages are encrypted to) is
fetched once and checked against the operator address registered on chain, so a
party in the middle cannot substitute its own key.

Failures map to the errors the repairer already handles per helper: the service
down, slow, refusing or answering nonsense is :class:`RepairPeerError`; a corrupt
share on the node (HTTP 422) is :class:`ShareIntegrityError`; the node's Kubo
failing (HTTP 502) is :class:`IpfsError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from eth_utils import keccak, to_checksum_address

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.crypto import ecies
from kura.crypto.share import ShareHeader
from kura.errors import CodecError, IpfsError, RepairPeerError, ShareIntegrityError
from kura.storage import _repair_wire as wire
from kura.storage.endpoint import parse_endpoint
from kura.storage.registry_nodes import NodeDirectory

T = TypeVar("T")


def address_of(key: ec.EllipticCurvePublicKey) -> str:
    """The Ethereum address (checksummed) of a secp256k1 public key."""
    point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return str(to_checksum_address(keccak(point[1:])[-20:]))


class RemotePeer:
    """The repair duties of the node ``operator``, served at ``url``.

    Args:
        url: Base URL of the node's repair service (from its registered endpoint).
        operator: The node's operator address (its public key must match it).
        timeout: Seconds to wait for each reply (connect, read and write each).
        max_reply: Largest reply body accepted, in bytes.
    """

    def __init__(self, url: str, operator: str, *, timeout: float = 60.0, max_reply: int = wire.MAX_BODY) -> None:
        self.url = url.rstrip("/")
        self.operator = operator
        self.timeout = timeout
        self.max_reply = max_reply
        self.bytes_received = 0
        """Bytes of reply bodies received so far (the wire traffic from this node)."""
        self._key: ec.EllipticCurvePublicKey | None = None

    def __repr__(self) -> str:
        return f"RemotePeer({self.url!r}, {self.operator!r})"

    def _call(self, route: str, body: wire.Json) -> wire.Json:
        try:
            with httpx.stream("POST", f"{self.url}{wire.PREFIX}{route}", content=wire.dump(body),
                              headers={"Content-Type": "application/json"}, timeout=self.timeout) as response:
                raw = self._read(response, route)
        except httpx.HTTPError as exc:
            raise RepairPeerError(f"repair service of {self.operator} at {self.url} did not answer {route} "
                                  f"({type(exc).__name__}: {exc}): is its `kura node run` up?") from exc
        self.bytes_received += len(raw)
        try:
            reply = wire.parse(raw)
        except CodecError as exc:
            raise RepairPeerError(f"repair service of {self.operator} sent a malformed {route} reply: {exc}") from exc
        if response.status_code != 200:
            message = f"repair service of {self.operator} refused {route} ({response.status_code}): {reply.get('error')}"
            if response.status_code == 422:
                raise ShareIntegrityError(message)
            if response.status_code == 502:
                raise IpfsError(message)
            raise RepairPeerError(message)
        return reply

    def _read(self, response: httpx.Response, route: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > self.max_reply:
                raise RepairPeerError(f"repair service of {self.operator} sent a {route} reply over "
                                      f"{self.max_reply} bytes: refused")
            chunks.append(chunk)
        return b"".join(chunks)

    def _get(self, route: str, body: wire.Json, read: Callable[[wire.Json], T]) -> T:
        """Call ``route`` and read its reply with ``read``; a reply without the expected fields is an error."""
        reply = self._call(route, body)
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
                raise RepairPeerError(f"repair service at {self.url} holds the key of {address_of(key)}, not of "
                                      f"{self.operator}: its registered endpoint is wrong or intercepted")
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
        return self._get("header", self._share(cid, file_id, index),
                         lambda r: ShareHeader.from_bytes(wire.blob(r, "header")))

    def repair_symbols(self, cid: str, file_id: bytes, index: int, lost: int) -> bytes:
        """MSR repair symbols of the node's share ``index`` for share ``lost``."""
        return self._get("symbols", {**self._share(cid, file_id, index), "lost": lost}, lambda r: wire.blob(r, "symbols"))

    def body(self, cid: str, file_id: bytes, index: int) -> bytes:
        """The node's share body (ciphertext), for the re-encode fallback."""
        return self._get("body", self._share(cid, file_id, index), lambda r: wire.blob(r, "body"))

    def start_enrollment(self, cid: str, file_id: bytes, index: int, helpers: Sequence[int], lost: int,
                         peer_keys: Mapping[int, ec.EllipticCurvePublicKey]) -> tuple[bytes, dict[int, bytes]]:
        """Key enrollment round 1: a session id and the masks for the other helpers, encrypted to each."""
        keys = {i: ecies.public_key_bytes(key) for i, key in peer_keys.items()}
        return self._get("enroll/start", {**self._share(cid, file_id, index), "helpers": list(helpers),
                                          "lost": lost, "peer_keys": wire.encode_map(keys)},
                         lambda r: (wire.blob(r, "session"), wire.blob_map(r, "masks")))

    def finish_enrollment(self, session: bytes, received: Mapping[int, bytes],
                          newcomer: ec.EllipticCurvePublicKey) -> bytes:
        """Key enrollment round 2: the partial sum, encrypted to the newcomer."""
        return self._get("enroll/finish", {"session": wire.b64(session), "received": wire.encode_map(received),
                                           "newcomer": wire.b64(ecies.public_key_bytes(newcomer))},
                         lambda r: wire.blob(r, "sum"))

    def accept_share(self, template: ShareHeader, index: int, body: bytes, sealed_sums: Sequence[bytes],
                     sha256: bytes) -> str:
        """Newcomer: rebuild, check and pin share ``index``; the CID it is pinned under."""
        return self._get("accept", {"template": wire.b64(template.to_bytes()), "index": index,
                                    "body": wire.b64(body), "sums": [wire.b64(s) for s in sealed_sums],
                                    "sha256": wire.b64(sha256)}, lambda r: wire.text(r, "cid"))


def registry_peers(chain: Chain, deployment: Deployment, *, timeout: float = 60.0) -> dict[str, RemotePeer]:
    """A :class:`RemotePeer` for every Active registered node that announces a repair service, by operator."""
    peers = {}
    for record in NodeDirectory(chain, deployment).active():
        url = parse_endpoint(record.endpoint).repair_url
        if url is not None:
            peers[record.address] = RemotePeer(url, record.address, timeout=timeout)
    return peers
