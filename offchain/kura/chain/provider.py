"""A web3 provider for JSON-RPC over HTTP that keeps one connection open per thread.

web3's ``HTTPProvider`` goes through ``requests``, whose per-call CPU cost is
several times that of a bare HTTP exchange; a transaction takes five or six
calls, and kura's puts and audits are bound by this process's CPU. This provider
speaks HTTP/1.1 through the standard library's ``http.client``, one kept-alive
connection per thread, so threads never share a socket. A connection the node has
closed while idle is noticed before reuse and replaced, so no request is ever sent
twice.
"""

from __future__ import annotations

import http.client
import select
import threading
from typing import Any
from urllib.parse import urlsplit

from web3.providers.base import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from kura.errors import ChainError, ConfigError

_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class KeepAliveHTTPProvider(JSONBaseProvider):
    """JSON-RPC over HTTP(S) with a persistent connection per thread.

    Args:
        endpoint_uri: ``http://host:port[/path]`` or ``https://...``.
        timeout: Seconds to wait for the node to connect and to answer.

    Raises:
        ConfigError: if the URI is not an http(s) URL with a host.
    """

    def __init__(self, endpoint_uri: str, *, timeout: float = 30.0) -> None:
        super().__init__()
        parts = urlsplit(endpoint_uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"RPC URL {endpoint_uri!r} is not an http(s)://host[:port] URL")
        self.endpoint_uri = endpoint_uri
        self._secure = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"KeepAliveHTTPProvider({self.endpoint_uri!r})"

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        """Send one JSON-RPC request and return the node's decoded answer (a ``result`` or an ``error``).

        Raises:
            OSError: if the node cannot be reached or drops the connection.
            ChainError: if the node answers with an HTTP error instead of JSON-RPC.
        """
        body = self.encode_rpc_request(method, params)
        connection = self._connection()
        try:
            connection.request("POST", self._path, body, _HEADERS)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self._drop()
            raise
        if response.status != 200:
            self._drop()
            raise ChainError(
                f"the node at {self.endpoint_uri} answered {method} with HTTP {response.status} {response.reason}: "
                f"{raw[:200]!r}"
            )
        if response.will_close:
            self._drop()
        return self.decode_rpc_response(raw)

    def _connection(self) -> http.client.HTTPConnection:
        """This thread's connection, replaced first if the node closed it while it was idle."""
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None and _closed_by_peer(connection):
            self._drop()
            connection = None
        if connection is None:
            kind = http.client.HTTPSConnection if self._secure else http.client.HTTPConnection
            connection = kind(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle kept-alive connection has been closed (or reset) by the other side.

    An idle HTTP/1.1 connection has nothing to read; if its socket is readable all the same,
    the peer sent EOF (or stray bytes), and it must not carry another request.
    """
    sock = connection.sock
    if sock is None:
        return False
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)
