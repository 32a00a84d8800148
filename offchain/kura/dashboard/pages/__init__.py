"""The dashboard's pages: each is a few panels, and each panel is a function from the public API to the figures
its template shows.

A panel renders inside its page and on its own (``/panel/<page>/<panel>``), which is how it reloads itself
when the chain moves. Panels only read the API (``kura.storage``, ``.market``, ``.consent``, ...): a figure
the API does not give belongs in the API, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast

from kura.chain.institution_registry import Institution
from kura.dashboard.formatting import purpose_names
from kura.errors import MarketError

if TYPE_CHECKING:
    from kura.api.session import Kura

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """What the dashboard is told beyond the session.

    Attributes:
        purposes: PurposeOfUse codes to name on the pages (the chain records only their hashes).
        salt: The institution's pseudonym salt, used when it lists records (empty: none configured).
    """

    purposes: tuple[str, ...] = ("HRESCH", "TREAT", "PUBHLTH", "HQUALIMP")
    salt: bytes = b""


class View:
    """One request's view of the chain: the session, and the facts several panels share, read once.

    Args:
        kura: The session (an institution's account).
        settings: The dashboard's settings.
    """

    def __init__(self, kura: Kura, settings: Settings) -> None:
        self.kura = kura
        self.settings = settings
        self._names: dict[int, str] = {}
        self._memo: dict[str, object] = {}

    def memo(self, key: str, read: Callable[[], T]) -> T:
        """``read()``, called once per request: later panels asking for ``key`` get the same value."""
        if key not in self._memo:
            self._memo[key] = read()
        return cast(T, self._memo[key])

    @cached_property
    def me(self) -> Institution | None:
        """This account's institution, or None if it is no member's account."""
        try:
            return self.kura.market.me()
        except MarketError:
            return None

    @cached_property
    def now(self) -> int:
        """The latest block's time."""
        return self.kura.clock.now()

    @cached_property
    def purposes(self) -> dict[bytes, str]:
        """Purpose ids the pages can name, to their codes."""
        return purpose_names(self.settings.purposes)

    def purpose(self, purpose: bytes) -> str:
        """The code of ``purpose`` if known, else its hash."""
        return self.purposes.get(purpose, "0x" + purpose.hex())

    def institution_name(self, institution_id: int) -> str:
        """The registered name of ``institution_id`` (remembered for the request)."""
        if institution_id not in self._names:
            self._names[institution_id] = self.kura.contracts.institutions.institution_of(institution_id).name
        return self._names[institution_id]


Build = Callable[[View], Mapping[str, Any]]


@dataclass(frozen=True)
class Panel:
    """One part of a page: ``build`` reads the figures, template ``<page>_<name>.html`` shows them.

    Attributes:
        live: Reload when the chain moves (a form is not: it would lose what the person is typing).
    """

    name: str
    title: str
    build: Build
    live: bool = True


@dataclass(frozen=True)
class Page:
    """A page: its address ``/<slug>``, its title, and its panels in order."""

    slug: str
    title: str
    summary: str
    panels: tuple[Panel, ...]

    def panel(self, name: str) -> Panel | None:
        """The panel called ``name``, if the page has one."""
        return next((p for p in self.panels if p.name == name), None)
