"""A storage node's repair duties served over HTTP, so a repairer on another machine can use them.

:class:`RepairServer` puts one :class:`RepairPeer` behind a small threaded HTTP
server (stdlib ``http.server``). Every route is ``POST /v1/<name>`` with a JSON
object body, bytes as base64, and answers a JSON object:

==================  ==========================================================  ======================
route               request fields                                              reply fields
==================  ==========================================================  ======================
``key``             (none)                                                      ``public_key``
``holds``           ``cid``                                                     ``holds``
``header``          ``cid file_id index``                                       ``header``
``symbols``         ``cid file_id index lost``                                  ``symbols``
``body``            ``cid file_id index``                                       ``body``
``enroll/start``    ``cid file_id index helpers lost peer_keys``                ``session masks``
``enroll/finish``   ``session received newcomer``                               ``sum``
``accept``          ``template index body sums sha256``                         ``cid``
==================  ==========================================================  ======================

Plain HTTP is enough: everything a node sends is already public (blanked headers,
MSR symbols and bodies of *ciphertext*) or ECIES-encrypted to its one recipient
(masks, partial sums); the public key is checked by the client against the
operator's address, and a newcomer checks every rebuilt share against its
committed SHA-256, so a party in the middle can stall a repair but not learn a key
share or plant a wrong share.

Errors: a malformed body is 400, an unknown route 404, a missing length 411, a body
over ``max_body`` 413 (refused unread), a corrupt share 422, an unknown enrollment
session 409, a failing Kubo 502. A client that stalls longer than ``timeout`` is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from kura.crypto import ecies
from kura.crypto.share import ShareHeader
from kura.errors import CodecError, IpfsError, ShareIntegrityError, StorageError
from kura.storage import _repair_wire as wire
from kura.storage.repair_peer import RepairPeer

_LOG = logging.getLogger("kura.repair.server")
Route = Callable[[RepairPeer, wire.Json], wire.Json]


def _key(peer: RepairPeer, _: wire.Json) -> wire.Json:
    return {"public_key": wire.b64(ecies.public_key_bytes(peer.public_key))}


def _holds(peer: RepairPeer, body: wire.Json) -> wire.Json:
    return {"holds": peer.holds(wire.text(body, "cid"))}


def _share_args(body: wire.Json) -> tuple[str, bytes, int]:
    return wire.text(body, "cid"), wire.blob(body, "file_id"), wire.index(body, "index")


def _header(peer: RepairPeer, body: wire.Json) -> wire.Json:
    return {"header": wire.b64(peer.header(*_share_args(body)).to_bytes())}


def _symbols(peer: RepairPeer, body: wire.Json) -> wire.Json:
    return {"symbols": wire.b64(peer.repair_symbols(*_share_args(body), wire.index(body, "lost")))}


def _body(peer: RepairPeer, body: wire.Json) -> wire.Json:
    return {"body": wire.b64(peer.body(*_share_args(body)))}


def _enroll_start(peer: RepairPeer, body: wire.Json) -> wire.Json:
    keys = {i: ecies.load_public_key(key) for i, key in wire.blob_map(body, "peer_keys").items()}
    session, masks = peer.start_enrollment(*_share_args(body), wire.indices(body, "helpers"),
                                           wire.index(body, "lost"), keys)
    return {"session": wire.b64(session), "masks": wire.encode_map(masks)}


def _enroll_finish(peer: RepairPeer, body: wire.Json) -> wire.Json:
    sealed = peer.finish_enrollment(wire.blob(body, "session"), wire.blob_map(body, "received"),
                                    ecies.load_public_key(wire.blob(body, "newcomer")))
    return {"sum": wire.b64(sealed)}


def _accept(peer: RepairPeer, body: wire.Json) -> wire.Json:
    cid = peer.accept_share(ShareHeader.from_bytes(wire.blob(body, "template")), wire.index(body, "index"),
                            wire.blob(body, "body"), wire.blobs(body, "sums"), wire.blob(body, "sha256"))
    return {"cid": cid}


ROUTES: dict[str, Route] = {
    "key": _key, "holds": _holds, "header": _header, "symbols": _symbols, "body": _body,
    "enroll/start": _enroll_start, "enroll/finish": _enroll_finish, "accept": _accept,
}


def _status(exc: Exception) -> int:
    """The HTTP status of an error a route raised."""
    if isinstance(exc, ShareIntegrityError):
        return 422
    if isinstance(exc, CodecError | KeyError | ValueError | TypeError):
        return 400
    if isinstance(exc, IpfsError):
        return 502
    if isinstance(exc, StorageError):
        return 409
    return 500


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.timeout_seconds)  # a stalled client is dropped

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        route = ROUTES.get(self.path.removeprefix(wire.PREFIX)) if self.path.startswith(wire.PREFIX) else None
        if route is None:
            self._reply(404, {"error": f"no route {self.path}; routes are {wire.PREFIX}<{'|'.join(ROUTES)}>"})
            return
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.isdecimal():
            self._reply(411, {"error": "send a decimal Content-Length"}, close=True)
            return
        length = int(length_header)
        if length > self.server.max_body:
            self._reply(413, {"error": f"body of {length} bytes exceeds the {self.server.max_body}-byte limit"},
                        close=True)
            return
        try:
            reply = route(self.server.peer, wire.parse(self.rfile.read(length)))
        except Exception as exc:  # noqa: BLE001 - every failure becomes one error reply
            status = _status(exc)
            if status == 500:
                _LOG.exception("repair route %s failed", self.path)
            self._reply(status, {"error": f"{type(exc).__name__}: {exc}"})
            return
        self._reply(200, reply)

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

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        _LOG.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], peer: RepairPeer, max_body: int, timeout: float) -> None:
        super().__init__(address, _Handler)
        self.peer = peer
        self.max_body = max_body
        self.timeout_seconds = timeout


class RepairServer:
    """Serve one node's :class:`RepairPeer` over HTTP in a background thread.

    Args:
        peer: The node's repair duties.
        host: Address to listen on (loopback by default).
        port: Port to listen on (0: any free port; see :attr:`url`).
        max_body: Largest request body accepted, in bytes.
        timeout: Seconds a client may stall mid-request before it is dropped.

    Raises:
        OSError: if the address cannot be bound.
    """

    def __init__(self, peer: RepairPeer, host: str = "127.0.0.1", port: int = 0, *,
                 max_body: int = wire.MAX_BODY, timeout: float = 30.0) -> None:
        self._host = host
        self._server = _Server((host, port), peer, max_body, timeout)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"kura-repair-{self.port}", daemon=True)

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to announce (``http://host:port``)."""
        return f"http://{self._host}:{self.port}"

    def start(self) -> RepairServer:
        """Start serving; returns self."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> RepairServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
