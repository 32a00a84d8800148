"""A counting TCP proxy: the bytes that really cross the wire between a client and a server.

:class:`Wiretap` listens on a loopback port and relays every connection to a target
address, counting the bytes in each direction as they pass through the sockets. Put
one in front of each storage node's repair service (announce the tap's address
instead of the service's) and the sum over the taps is the repair traffic as the
network carries it: HTTP status lines, headers, chunk framing and all, not payload
sizes added up afterwards. Benchmarks and tests use it; nothing in the running
system depends on it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from kura.devnet.processes import LOOPBACK

_BUFFER = 1 << 16


@dataclass(frozen=True)
class Traffic:
    """Bytes relayed so far: ``to_server`` from clients to the target, ``to_client`` back."""

    to_server: int
    to_client: int

    @property
    def total(self) -> int:
        """Both directions."""
        return self.to_server + self.to_client

    def __sub__(self, earlier: Traffic) -> Traffic:
        return Traffic(self.to_server - earlier.to_server, self.to_client - earlier.to_client)


class Wiretap:
    """Relay ``LOOPBACK:port`` to ``target`` and count what passes.

    Args:
        target: ``(host, port)`` of the real server.

    Raises:
        OSError: if no loopback port can be bound.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server((LOOPBACK, 0))
        self._counts = [0, 0]
        self._guard = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name=f"wiretap-{self.port}", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The port clients connect to."""
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://LOOPBACK:port``: the address to announce instead of the target's."""
        return f"http://{LOOPBACK}:{self.port}"

    def traffic(self) -> Traffic:
        """Bytes relayed so far in each direction."""
        with self._guard:
            return Traffic(*self._counts)

    def close(self) -> None:
        """Stop accepting, and cut every relayed connection."""
        self._closed.set()
        _shut(self._listener)  # a shut-down listener wakes the accept() blocked on it; close() alone would not
        with self._guard:
            for sock in self._open:
                _shut(sock)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._guard:
                self._open.update((client, server))
            for source, sink, direction in ((client, server, 0), (server, client, 1)):
                threading.Thread(target=self._pump, args=(source, sink, direction), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, direction: int) -> None:
        try:
            while data := source.recv(_BUFFER):
                sink.sendall(data)
                with self._guard:
                    self._counts[direction] += len(data)
        except OSError:
            pass
        finally:
            _shut(sink)
            with self._guard:
                self._open.discard(source)


def _shut(sock: socket.socket) -> None:
    """Tell the peer no more data comes (it sees end of stream), then close, ignoring a gone socket."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
