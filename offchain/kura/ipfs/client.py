"""A small typed client for Kubo's RPC API (``/api/v0``), over httpx.

Kubo's RPC is plain HTTP POST; this client covers what kura needs: identity,
add/cat/pin of content, raw blocks, and swarm peering. Every failure becomes an
:class:`~kura.errors.IpfsError` that names the node and what to check. When a
SOCKS5 proxy (e.g. Tor) is configured, every request to the node goes through it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self

import httpx

from kura.errors import IpfsError

DEFAULT_TIMEOUT = 60.0


class Readable(Protocol):
    """A binary stream :meth:`KuboClient.add` can send without loading it (a file, or a wrapper of one)."""

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left if negative); empty at the end."""


@dataclass(frozen=True)
class NodeInfo:
    """Identity of a Kubo node.

    Attributes:
        peer_id: The libp2p peer id.
        addresses: Multiaddrs the node listens on, each ending in ``/p2p/<peer_id>``.
        agent: The agent version string (``kubo/0.39.0/...``).
    """

    peer_id: str
    addresses: tuple[str, ...]
    agent: str


def api_url(multiaddr_or_url: str) -> str:
    """Turn ``/ip4/127.0.0.1/tcp/5001`` or ``http://127.0.0.1:5001`` into an HTTP base URL.

    Raises:
        IpfsError: for an address that is neither form.
    """
    value = multiaddr_or_url.strip().rstrip("/")
    if value.startswith(("http://", "https://")):
        return value
    parts = value.strip("/").split("/")
    if len(parts) >= 4 and parts[0] in {"ip4", "ip6", "dns", "dns4", "dns6"} and parts[2] == "tcp":
        host = f"[{parts[1]}]" if parts[0] == "ip6" else parts[1]
        return f"http://{host}:{parts[3]}"
    raise IpfsError(f"cannot read IPFS API address {multiaddr_or_url!r}: use http://HOST:PORT or /ip4/HOST/tcp/PORT")


class KuboClient:
    """Client for one Kubo node's RPC API.

    Args:
        api: The node's API address (URL or multiaddr).
        proxy: Optional proxy URL for all requests, e.g. ``socks5://127.0.0.1:9050``.
        timeout: Seconds to wait for a response.
    """

    def __init__(self, api: str, *, proxy: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = api_url(api)
        self.proxy = proxy
        self._http = httpx.Client(base_url=f"{self.base_url}/api/v0", proxy=proxy, timeout=timeout)

    def __repr__(self) -> str:
        return f"KuboClient({self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, command: str, params: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.post(f"/{command}", params=params, **kwargs)
        except httpx.HTTPError as exc:
            raise IpfsError(
                f"IPFS node {self.base_url} did not answer {command} ({type(exc).__name__}: {exc}): "
                "is the daemon running (`kura devnet status`)?"
            ) from exc
        if response.status_code != 200:
            raise IpfsError(f"IPFS node {self.base_url} refused {command}: {_error_message(response)}")
        return response

    def _json(self, command: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self._post(command, params, **kwargs).json()

    def id(self, *, timeout: float | None = None) -> NodeInfo:
        """The node's peer id and listen addresses."""
        data = self._json("id", timeout=timeout) if timeout is not None else self._json("id")
        return NodeInfo(peer_id=data["ID"], addresses=tuple(data.get("Addresses") or ()), agent=data["AgentVersion"])

    def version(self) -> str:
        """The Kubo version string."""
        return str(self._json("version")["Version"])

    def add(self, content: bytes | Readable, *, pin: bool = True, raw_leaves: bool = True) -> str:
        """Add content as one file (CIDv1, raw leaves) and return its CID.

        Args:
            content: Bytes, or a binary stream (sent without loading it into memory).
            pin: Pin it on this node so garbage collection keeps it.
            raw_leaves: Store leaves as raw blocks (a small file is then one raw block).
        """
        params = {"pin": _flag(pin), "cid-version": "1", "raw-leaves": _flag(raw_leaves), "quieter": "true"}
        response = self._post("add", params, files={"file": ("share", content, "application/octet-stream")})
        lines = [line for line in response.text.splitlines() if line.strip()]
        return str(json.loads(lines[-1])["Hash"])

    def add_chunks(self, chunks: Iterable[bytes], *, pin: bool = True) -> str:
        """Add content that is still being produced, as one file (CIDv1, raw leaves); return its CID.

        The multipart body is streamed with chunked transfer encoding, so nothing is buffered here.
        """
        boundary = secrets.token_hex(16)

        def body() -> Iterator[bytes]:
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="share"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            yield from chunks
            yield f"\r\n--{boundary}--\r\n".encode()

        params = {"pin": _flag(pin), "cid-version": "1", "raw-leaves": "true", "quieter": "true"}
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        response = self._post("add", params, content=body(), headers=headers)
        lines = [line for line in response.text.splitlines() if line.strip()]
        return str(json.loads(lines[-1])["Hash"])

    def cat(self, cid: str, *, timeout: float | None = None) -> bytes:
        """The whole content of ``cid`` (fetched over bitswap if this node lacks it)."""
        kwargs = {"timeout": timeout} if timeout is not None else {}
        return self._post("cat", {"arg": cid}, **kwargs).content

    def cat_stream(self, cid: str, chunk_size: int = 1 << 20, *, local_only: bool = False) -> Iterator[bytes]:
        """Stream the content of ``cid`` in chunks, without holding it all in memory.

        Args:
            cid: What to read.
            chunk_size: Bytes per yielded chunk.
            local_only: Serve only from this node's own store: fail at once if it lacks a block
                instead of searching the network for it (a share holder must *have* its share).

        Raises:
            IpfsError: if the node fails before or during the transfer.
        """
        params = {"arg": cid, "offline": _flag(local_only)}
        try:
            with self._http.stream("POST", "/cat", params=params) as response:
                if response.status_code != 200:
                    response.read()
                    raise IpfsError(f"IPFS node {self.base_url} refused cat: {_error_message(response)}")
                yield from response.iter_bytes(chunk_size)
        except httpx.HTTPError as exc:
            raise IpfsError(f"IPFS node {self.base_url} failed while streaming {cid}: {exc}") from exc

    def block_put(self, block: bytes, *, pin: bool = True) -> str:
        """Store ``block`` as ONE raw block (sha2-256) and return its CIDv1, whatever its size (<= 1 MiB)."""
        params = {"cid-codec": "raw", "mhtype": "sha2-256", "pin": _flag(pin)}
        data = self._json("block/put", params, files={"data": ("block", block, "application/octet-stream")})
        return str(data["Key"])

    def block_put_many(self, blocks: Sequence[bytes], *, pin: bool = True) -> list[str]:
        """Store each of ``blocks`` as one raw block (sha2-256, each <= 1 MiB) in ONE request; their CIDv1s in order.

        Raises:
            IpfsError: if the node refuses or answers with another number of blocks than sent.
        """
        if not blocks:
            return []
        params = {"cid-codec": "raw", "mhtype": "sha2-256", "pin": _flag(pin)}
        files = [("data", (f"block-{i}", block, "application/octet-stream")) for i, block in enumerate(blocks)]
        response = self._post("block/put", params, files=files)
        keys = [str(json.loads(line)["Key"]) for line in response.text.splitlines() if line.strip()]
        if len(keys) != len(blocks):
            raise IpfsError(f"IPFS node {self.base_url} stored {len(keys)} of the {len(blocks)} blocks sent")
        return keys

    def block_get(self, cid: str, *, timeout: float | None = None) -> bytes:
        """The raw bytes of block ``cid`` (fetched over bitswap if this node lacks it)."""
        kwargs = {"timeout": timeout} if timeout is not None else {}
        return self._post("block/get", {"arg": cid}, **kwargs).content

    def pin_add(self, cid: str) -> None:
        """Pin ``cid`` (fetching it first if needed)."""
        self._post("pin/add", {"arg": cid})

    def pin_rm(self, cid: str) -> None:
        """Unpin ``cid``; a CID that is not pinned is not an error."""
        try:
            self._post("pin/rm", {"arg": cid})
        except IpfsError as exc:
            if "not pinned" not in str(exc):
                raise

    def pins(self) -> set[str]:
        """CIDs pinned recursively on this node."""
        data = self._json("pin/ls", {"type": "recursive"})
        return set((data.get("Keys") or {}).keys())

    def has_local(self, cid: str) -> bool:
        """Whether this node holds the root block of ``cid`` locally (never fetches it)."""
        try:
            self._post("block/stat", {"arg": cid, "offline": "true"})
        except IpfsError:
            return False
        return True

    def gc(self) -> None:
        """Run garbage collection (drops unpinned blocks)."""
        self._post("repo/gc")

    def swarm_connect(self, multiaddr: str) -> None:
        """Open a libp2p connection to the peer at ``multiaddr`` (which ends in ``/p2p/<id>``)."""
        self._post("swarm/connect", {"arg": multiaddr})

    def swarm_peers(self) -> set[str]:
        """Peer ids this node is connected to."""
        data = self._json("swarm/peers")
        return {peer["Peer"] for peer in data.get("Peers") or ()}


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("Message", response.text))
    except ValueError:
        return response.text.strip() or f"HTTP {response.status_code}"
