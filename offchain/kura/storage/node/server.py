"""A storage node's repair duties served over HTTP, so repairers and newcomers on other machines can use them.

:class:`RepairServer` puts one :class:`RepairPeer` behind a small threaded HTTP server
(stdlib ``http.server``). Every route is ``POST /v1/<name>`` with a small JSON object
body (bytes as base64). Control routes answer a JSON object; data routes answer the
repair data itself as ``application/octet-stream``, streamed with chunked transfer
encoding while the node reads its share block by block, so no reply is ever held in
memory and no size cap applies to it:

==================  ==========================================================  ======================
route               request fields                                              reply
==================  ==========================================================  ======================
``key``             (none)                                                      ``public_key``
``holds``           ``cid``                                                     ``holds``
``header``          ``cid file_id index``                                       ``header``
``symbols``         ``cid file_id index lost``                                  stream: MSR symbols
``body``            ``cid file_id index``                                       stream: the body
``partial``         ``session``                                                 stream: Shamir partial sum
``enroll/start``    ``cid file_id index helpers lost peer_keys``                ``session masks``
``enroll/finish``   ``session received newcomer``                               ``sum``
``rebuild``         a :class:`~kura.storage.shared.repair_plan.RebuildPlan`     ``cid ticket received``
``abandon``         ``ticket``                                                  ``dropped``
``traffic``         (none)                                                      bytes in and out by route
==================  ==========================================================  ======================

Plain HTTP is enough: everything a node sends is already public (blanked headers,
MSR symbols and bodies of *ciphertext*) or encrypted or padded for its one recipient
(masks, partial sums, Shamir partial streams); the public key is checked by clients
against the operator's address, and a newcomer checks every rebuilt share against its
committed SHA-256, so a party in the middle can stall a repair but not learn a key
share or plant a wrong share.

Errors: a malformed body is 400, an unknown route 404, a missing length 411, a request
body over ``max_body`` 413 (refused unread), a corrupt share 422, a helper a newcomer
could not pull from 424 (naming it), a refused request or unknown enrolment session
409, a failing Kubo 502. A failure in the middle of a stream cuts the connection
before the closing chunk, so the reader sees a truncated reply, never a short success.
A client that stalls longer than ``timeout`` is dropped.

The server counts the bytes that cross its sockets, per route (:meth:`RepairServer.traffic`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from types import TracebackType
from typing import Self

from kura.crypto import ecies
from kura.errors import CodecError, HelperFailedError, IpfsError, ShareIntegrityError, StorageError
from kura.storage.node.duties import RepairPeer
from kura.storage.shared import repair_wire as wire
from kura.storage.shared.repair_plan import RebuildPlan

_LOG = logging.getLogger("kura.repair.server")
Route = Callable[[RepairPeer, wire.Json], wire.Json]
StreamRoute = Callable[[RepairPeer, wire.Json], Iterator[bytes]]


def _key(peer: RepairPeer, _: wire.Json) -> wire.Json:
    return {"public_key": wire.b64(ecies.public_key_bytes(peer.public_key))}


def _holds(peer: RepairPeer, body: wire.Json) -> wire.Json:
    return {"holds": peer.holds(wire.text(body, "cid"))}


def _share_args(body: wire.Json) -> tuple[str, bytes, int]:
    return wire.text(body, "cid"), wire.blob(body, "file_id"), wire.index(body, "index")


def _header(peer: RepairPeer, body: wire.Json) -> wire.Json:
    return {"header": wire.b64(peer.header(*_share_args(body)).to_bytes())}


def _enroll_start(peer: RepairPeer, body: wire.Json) -> wire.Json:
    keys = {i: ecies.load_public_key(key) for i, key in wire.blob_map(body, "peer_keys").items()}
    session, masks = peer.start_enrollment(
        *_share_args(body), wire.indices(body, "helpers"), wire.index(body, "lost"), keys
    )
    return {"session": wire.b64(session), "masks": wire.encode_map(masks)}


def _enroll_finish(peer: RepairPeer, body: wire.Json) -> wire.Json:
    sealed = peer.finish_enrollment(
        wire.blob(body, "session"), wire.blob_map(body, "received"), ecies.load_public_key(wire.blob(body, "newcomer"))
    )
    return {"sum": wire.b64(sealed)}


def _rebuild(peer: RepairPeer, body: wire.Json) -> wire.Json:
    rebuilt = peer.rebuild(RebuildPlan.from_json(body))
    return {
        "cid": rebuilt.cid,
        "ticket": wire.b64(rebuilt.ticket),
        "received": {str(index): count for index, count in rebuilt.received.items()},
    }


def _abandon(peer: RepairPeer, body: wire.Json) -> wire.Json:
    return {"dropped": peer.abandon(wire.blob(body, "ticket"))}


def _symbols(peer: RepairPeer, body: wire.Json) -> Iterator[bytes]:
    return peer.symbols(*_share_args(body), wire.index(body, "lost"))


def _body(peer: RepairPeer, body: wire.Json) -> Iterator[bytes]:
    return peer.body(*_share_args(body))


def _partial(peer: RepairPeer, body: wire.Json) -> Iterator[bytes]:
    return peer.partial(wire.blob(body, "session"))


ROUTES: dict[str, Route] = {
    "key": _key,
    "holds": _holds,
    "header": _header,
    "enroll/start": _enroll_start,
    "enroll/finish": _enroll_finish,
    "rebuild": _rebuild,
    "abandon": _abandon,
}
STREAMS: dict[str, StreamRoute] = {"symbols": _symbols, "body": _body, "partial": _partial}
TRAFFIC = "traffic"


def _status(exc: Exception) -> int:
    """The HTTP status of an error a route raised."""
    if isinstance(exc, HelperFailedError):
        return 424
    if isinstance(exc, ShareIntegrityError):
        return 422
    if isinstance(exc, CodecError | KeyError | ValueError | TypeError):
        return 400
    if isinstance(exc, IpfsError):
        return 502
    if isinstance(exc, StorageError):
        return 409
    return 500


def _error(exc: Exception) -> wire.Json:
    reply: wire.Json = {"error": f"{type(exc).__name__}: {exc}"}
    if isinstance(exc, HelperFailedError):
        reply.update(helper=exc.index, operator=exc.operator)
    return reply


class _Counting:
    """A socket file that counts the bytes read from or written to it."""

    def __init__(self, raw: BufferedIOBase, count: Callable[[int], None]) -> None:
        self._raw = raw
        self._count = count

    def read(self, size: int | None = -1) -> bytes:
        data = self._raw.read(size)
        self._count(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._raw.readline(size)
        self._count(len(data))
        return data

    def write(self, data: bytes) -> int:
        self._count(len(data))
        return int(self._raw.write(data))

    def __getattr__(self, name: str) -> object:
        return getattr(self._raw, name)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.timeout_seconds)  # a stalled client is dropped
        self._route = ""
        self.rfile = _Counting(self.rfile, lambda n: self.server.count(self._route, n, 0))  # type: ignore[assignment]
        self.wfile = _Counting(self.wfile, lambda n: self.server.count(self._route, 0, n))  # type: ignore[assignment]

    def handle_one_request(self) -> None:
        self._route = ""  # until the request line names the route, its bytes count as "request line"
        super().handle_one_request()

    def do_POST(self) -> None:
        name = self.path.removeprefix(wire.PREFIX) if self.path.startswith(wire.PREFIX) else ""
        self._route = name if name in ROUTES or name in STREAMS or name == TRAFFIC else "other"
        if self._route == "other":
            self._reply(
                404,
                {"error": f"no route {self.path}; routes are {wire.PREFIX}<{'|'.join([*ROUTES, *STREAMS, TRAFFIC])}>"},
            )
            return
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.isdecimal():
            self._reply(411, {"error": "send a decimal Content-Length"}, close=True)
            return
        length = int(length_header)
        if length > self.server.max_body:
            self._reply(
                413, {"error": f"body of {length} bytes exceeds the {self.server.max_body}-byte limit"}, close=True
            )
            return
        raw = self.rfile.read(length)
        if name == TRAFFIC:
            self._reply(200, self.server.traffic())
        elif name in STREAMS:
            self._stream(STREAMS[name], raw)
        else:
            self._answer(ROUTES[name], raw)

    def _answer(self, route: Route, raw: bytes) -> None:
        try:
            reply = route(self.server.peer, wire.parse(raw))
        except Exception as exc:  # every failure becomes one error reply
            self._fail(exc)
            return
        self._reply(200, reply)

    def _stream(self, route: StreamRoute, raw: bytes) -> None:
        try:
            chunks = route(self.server.peer, wire.parse(raw))
            first = next(chunks, b"")  # the share opens here: most failures still get a proper status
        except Exception as exc:  # every failure becomes one error reply
            self._fail(exc)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in _prepend(first, chunks):
                if chunk:
                    self.wfile.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except Exception:  # cut the reply: the reader must not take a short stream for a whole one
            _LOG.warning("repair stream %s failed midway; connection cut", self.path, exc_info=True)
            self.close_connection = True

    def _fail(self, exc: Exception) -> None:
        status = _status(exc)
        if status == 500:
            _LOG.exception("repair route %s failed", self.path)
        self._reply(status, _error(exc))

    def _reply(self, status: int, value: wire.Json, *, close: bool = False) -> None:
        data = wire.dump(value)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # http.server's signature
        _LOG.debug("%s %s", self.address_string(), format % args)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], peer: RepairPeer, max_body: int, timeout: float) -> None:
        super().__init__(address, _Handler)
        self.peer = peer
        self.max_body = max_body
        self.timeout_seconds = timeout
        self._counts: dict[str, list[int]] = {}
        self._guard = threading.Lock()

    def count(self, route: str, received: int, sent: int) -> None:
        """Add bytes that crossed a socket for ``route`` (``""`` before the request line is read)."""
        with self._guard:
            totals = self._counts.setdefault(route or "request line", [0, 0])
            totals[0] += received
            totals[1] += sent

    def traffic(self) -> wire.Json:
        """Bytes received and sent so far, by route."""
        with self._guard:
            return {route: {"received": received, "sent": sent} for route, (received, sent) in self._counts.items()}


class RepairServer:
    """Serve one node's :class:`RepairPeer` over HTTP in a background thread.

    Args:
        peer: The node's repair duties.
        host: Address to listen on (loopback by default).
        port: Port to listen on (0: any free port; see :attr:`url`).
        max_body: Largest request body accepted, in bytes (requests are small: the data flows in replies).
        timeout: Seconds a client may stall mid-request before it is dropped.

    Raises:
        OSError: if the address cannot be bound.
    """

    def __init__(
        self,
        peer: RepairPeer,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body: int = wire.MAX_REQUEST,
        timeout: float = 30.0,
    ) -> None:
        self._host = host
        self._server = _Server((host, port), peer, max_body, timeout)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"kura-repair-{self.port}",
            daemon=True,
        )

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to announce (``http://host:port``)."""
        return f"http://{self._host}:{self.port}"

    def traffic(self) -> wire.Json:
        """Bytes this server received and sent on its sockets so far, by route (``{"symbols": {"received":
        …, "sent": …}, …}``)."""
        return self._server.traffic()

    def start(self) -> Self:
        """Start serving; returns self."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
