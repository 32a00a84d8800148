"""Serving the dashboard: in the foreground (``kura dashboard``) or in a background thread beside other work
(the demo, tests) with :class:`RunningDashboard`."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Self

import uvicorn

from kura.dashboard.app import create_app
from kura.dashboard.pages import Settings
from kura.dashboard.security import Guard, Origins
from kura.errors import DashboardError

if TYPE_CHECKING:
    from kura.api.session import Kura

DEFAULT_LISTEN = "127.0.0.1:8080"
WILDCARDS = frozenset({"0.0.0.0", "::", "*"})
"""Addresses meaning every interface, which no browser puts in ``Host``."""
START_TIMEOUT = 30.0
"""Seconds to wait for the server to accept connections."""


@dataclass(frozen=True)
class Listen:
    """Where to listen: a host (an IP address or ``localhost``) and a port (0: any free one)."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Listen:
        """``HOST:PORT`` (``[::1]:8080`` for IPv6).

        Raises:
            DashboardError: if it is not ``HOST:PORT`` with a port from 0 to 65535, or names every interface
                (``0.0.0.0``, ``::``): the dashboard answers only under the address it listens on (its defence
                against DNS rebinding), and no browser asks for ``0.0.0.0``.
        """
        host, sep, port = text.rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise DashboardError(f"--listen {text!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
        if host in WILDCARDS:
            raise DashboardError(
                f"--listen {text!r} names every interface, and the dashboard answers only under "
                "the address it listens on: give the address browsers will use (e.g. "
                f"192.168.1.10:{port}), or keep the loopback default"
            )
        return cls(host, int(port))

    @property
    def loopback(self) -> bool:
        """True iff only this machine can connect."""
        return self.host in {"127.0.0.1", "localhost", "::1"} or self.host.startswith("127.")


def _bind(listen: Listen) -> socket.socket:
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((listen.host, listen.port))
    except OSError as exc:
        sock.close()
        raise DashboardError(
            f"cannot listen on {listen.host}:{listen.port} ({exc.strerror}): choose another --listen address or port"
        ) from exc
    sock.listen(128)
    return sock


class RunningDashboard:
    """The dashboard of a session, served from a background thread until :meth:`stop`.

    Args:
        kura: The session (its account signs every write).
        listen: Where to listen (``HOST:PORT``; port 0 picks a free one).
        settings: Purposes to name and the pseudonym salt.

    Attributes:
        url: The address to open, with the access token (give it only to whoever may act as the account).
        port: The port it listens on.
        app: The ASGI application served.

    Raises:
        DashboardError: the address cannot be bound, htmx is not vendored, or the server does not start.
    """

    def __init__(self, kura: Kura, listen: str = DEFAULT_LISTEN, *, settings: Settings | None = None) -> None:
        where = Listen.parse(listen)
        self._socket = _bind(where)
        self.port = int(self._socket.getsockname()[1])
        self.guard = Guard()
        try:
            self.app = app = create_app(
                kura, origins=Origins.of(where.host, self.port), settings=settings, guard=self.guard
            )
        except BaseException:
            self._socket.close()
            raise
        shown = f"[{where.host}]" if ":" in where.host else where.host
        self.url = f"http://{shown}:{self.port}/?token={self.guard.access_token}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="kura-dashboard", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise DashboardError(f"the dashboard did not start on {listen} within {START_TIMEOUT:.0f}s")
            time.sleep(0.01)

    def wait(self) -> None:
        """Block until the server stops (a KeyboardInterrupt comes through)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def stop(self) -> None:
        """Stop serving and wait for the server thread to end."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def serve_in_background(
    kura: Kura, listen: str = DEFAULT_LISTEN, *, settings: Settings | None = None
) -> RunningDashboard:
    """Serve ``kura``'s dashboard from a background thread (e.g. ``kura demo --dashboard`` on the demo's session)
    and return at once, once it accepts connections.

    Args:
        kura: The session (its account signs every write made through the pages; keep it open while serving).
        listen: ``HOST:PORT`` (loopback by default; port 0 picks a free one, read it from ``.port``).
        settings: Purposes to name and the pseudonym salt.

    Returns:
        The running dashboard: open ``.url`` (it carries the access token), stop it with ``.stop()`` or use it
        as a context manager.

    Raises:
        DashboardError: the address cannot be bound, htmx is not vendored, or the server does not start.
    """
    return RunningDashboard(kura, listen, settings=settings)


def serve(
    kura: Kura,
    listen: str = DEFAULT_LISTEN,
    *,
    settings: Settings | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve ``kura``'s dashboard until interrupted (Ctrl-C).

    Args:
        kura: The session.
        listen: ``HOST:PORT``.
        settings: Purposes to name and the pseudonym salt.
        announce: Called with the address to open (it carries the access token).

    Raises:
        DashboardError: the address cannot be bound, htmx is not vendored, or the server does not start.
    """
    with RunningDashboard(kura, listen, settings=settings) as running:
        announce(running.url)
        try:
            running.wait()
        except KeyboardInterrupt:
            return
