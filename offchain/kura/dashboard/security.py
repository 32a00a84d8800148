"""Who may use the dashboard, and which requests may write.

The dashboard signs with an institution's key, so it trusts nobody by default:

- **Access token.** ``kura dashboard`` prints an address carrying a random token (like Jupyter); opening it
  starts a browser session (an ``HttpOnly``, ``SameSite=Strict`` cookie) and the token leaves the address bar.
  A request without a live session is refused, so another local user or a web page cannot read the pages.
- **Write token.** Every write (a POST) must carry the session's write token, an HMAC of the session id under
  the server's secret: in the ``X-Kura-Token`` header (htmx adds it) or a ``token`` form field (plain forms). A
  page of another site can make a browser send the cookie but can neither read nor guess the token, so it
  cannot forge a write (no cross-site request forgery).
- **Host and Origin.** Requests must name the dashboard's own address as ``Host`` (a DNS-rebinding page
  cannot reach it under a foreign name), and a write's ``Origin``, when sent, must be the dashboard's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

SESSION_COOKIE = "kura_session"
"""The cookie that holds a browser's session id."""
TOKEN_HEADER = "X-Kura-Token"
"""The header htmx sends the write token in."""
TOKEN_FIELD = "token"
"""The form field plain HTML forms send the write token in."""
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""Names a browser on this machine may use for a loopback dashboard."""


@dataclass(frozen=True)
class Origins:
    """The ``host:port`` names the dashboard answers to."""

    hosts: frozenset[str]

    @classmethod
    def of(cls, host: str, port: int) -> Origins:
        """The names of a dashboard listening on ``host:port`` (every loopback name if it listens on loopback)."""
        bracketed = f"[{host}]" if ":" in host else host
        names = {bracketed}
        if bracketed in LOOPBACK_NAMES:
            names.update(LOOPBACK_NAMES)
        return cls(frozenset(f"{name}:{port}" for name in names))

    def allows_host(self, host: str | None) -> bool:
        """True iff a request's ``Host`` header names this dashboard."""
        return host is not None and host.lower() in self.hosts

    def allows_origin(self, origin: str | None) -> bool:
        """True iff a request's ``Origin`` header is absent or this dashboard's own."""
        if origin is None:
            return True
        scheme, _, rest = origin.partition("://")
        return scheme == "http" and rest.lower() in self.hosts


class Guard:
    """The access token, the live sessions, and each session's write token.

    Args:
        access_token: The token the printed address carries (random if not given).
    """

    def __init__(self, access_token: str | None = None) -> None:
        self.access_token = access_token or secrets.token_urlsafe(24)
        self._secret = secrets.token_bytes(32)
        self._sessions: set[str] = set()
        self._lock = threading.Lock()

    def login(self, token: str) -> str | None:
        """A new session id if ``token`` is the access token, else None (compared in constant time)."""
        if not hmac.compare_digest(token.encode(), self.access_token.encode()):
            return None
        session = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions.add(session)
        return session

    def is_session(self, session: str | None) -> bool:
        """True iff ``session`` is a live session id."""
        with self._lock:
            return session is not None and session in self._sessions

    def write_token(self, session: str) -> str:
        """The write token of ``session``: what its pages embed and its writes must send back."""
        return hmac.new(self._secret, session.encode(), hashlib.sha256).hexdigest()

    def allows_write(self, session: str | None, token: str | None) -> bool:
        """True iff ``token`` is the write token of the live session ``session``."""
        if session is None or not token or not self.is_session(session):
            return False
        return hmac.compare_digest(token.encode(), self.write_token(session).encode())
