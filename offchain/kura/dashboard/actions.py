"""The dashboard's writes: each is prepared (checked, and described with the ether it moves) and only sent once
the person confirms it; what it sent is reported with the gas used.

A prepared write waits in memory for its confirmation, bound to the browser session that prepared it, for
:data:`PENDING_SECONDS` at most, and is used once. Records uploaded for listing stay in that memory only (never
on disk, in a page or in a log) and go with it.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kura.api.gas import GasUsed, metered
from kura.api.storage import file_id_of
from kura.chain.data_market import PurchaseState
from kura.dashboard.formatting import ether, short, when
from kura.errors import DashboardError
from kura.market._fhir import parse_records
from kura.market.dataset import prepare_dataset
from kura.market.licence import Licence
from kura.market.policy import DeidPolicy
from kura.results import Result
from kura.units import to_wei

if TYPE_CHECKING:
    from kura.api.session import Kura
    from kura.dashboard.pages import Settings

PENDING_SECONDS = 900
"""How long a prepared write waits for its confirmation."""

Form = Mapping[str, str]
Perform = Callable[[], tuple[str, Result]]


@dataclass(frozen=True)
class Confirmation:
    """What a write will do, shown before it is sent.

    Attributes:
        action: The write (``buy``, ``deliver``, ``list``, ``revoke``, ``rotate``, ``withdraw``, ``upload``).
        title: One line: what it does.
        facts: What the person should check, one per line.
        sends: Wei the account pays with it (a price, a bond), 0 if none.
    """

    action: str
    title: str
    facts: tuple[str, ...]
    sends: int = 0


@dataclass(frozen=True)
class Done:
    """A write sent and mined.

    Attributes:
        action: The write. message: What happened, in words. result: The API's result.
        gas: The transactions it sent, their gas and fees.
    """

    action: str
    message: str
    result: Result
    gas: GasUsed


@dataclass
class _Pending:
    session: str
    confirmation: Confirmation
    perform: Perform = field(repr=False)
    created: float = field(default_factory=time.monotonic)


def _int(form: Form, name: str, *, minimum: int = 0) -> int:
    try:
        value = int(form.get(name, ""))
    except ValueError:
        raise DashboardError(f"{name} must be a whole number, not {form.get(name, '')!r}") from None
    if value < minimum:
        raise DashboardError(f"{name} must be at least {minimum}, not {value}")
    return value


def _text(form: Form, name: str, default: str | None = None) -> str:
    value = form.get(name, "").strip() or default
    if not value:
        raise DashboardError(f"{name} is missing")
    return value


def _day(text: str) -> date:
    if not text.strip():
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DashboardError(f"the extraction day must be YYYY-MM-DD, not {text[:20]!r}") from None


def _buy(kura: Kura, form: Form, settings: Settings, upload: bytes | None) -> tuple[Confirmation, Perform]:
    listing_id = _int(form, "listing", minimum=1)
    purpose = _text(form, "purpose", "HRESCH")
    view = kura.market.show(listing_id)
    confirmation = Confirmation(
        "buy",
        f"Buy listing {listing_id}: {view.licence.title}",
        (
            f"Seller: {view.seller_name} (institution {view.seller}), version {view.version}",
            f"Price: {ether(view.terms.price)}, held in escrow until the key is delivered and the dispute window "
            "closes",
            f"Declared purpose: {purpose}; licence for {view.licence.duration_days} days",
            f"Cohort: {view.terms.cohort_size} patients, k = {view.terms.k_anonymity}, ℓ = {view.terms.l_diversity}",
        ),
        view.terms.price,
    )

    def perform() -> tuple[str, Result]:
        bought = kura.market.buy(listing_id, purpose=purpose)
        message = f"Bought listing {listing_id}: purchase {bought.purchase_id}; the seller must deliver by "
        return message + when(bought.deliver_by), bought

    return confirmation, perform


def _deliver(kura: Kura, form: Form, settings: Settings, upload: bytes | None) -> tuple[Confirmation, Perform]:
    purchase_id = _int(form, "purchase", minimum=1)
    purchase = kura.market.purchase(purchase_id)
    if purchase.state is not PurchaseState.PAID:
        raise DashboardError(f"purchase {purchase_id} is {purchase.state.name}, not waiting for a delivery")
    bond = kura.contracts.market.terms_of(purchase.listing_id, purchase.version).bond
    buyer = kura.market.institution(purchase.buyer).name
    confirmation = Confirmation(
        "deliver",
        f"Deliver the dataset key of purchase {purchase_id}",
        (
            f"Listing {purchase.listing_id} version {purchase.version}, bought by {buyer} "
            f"(institution {purchase.buyer})",
            "The key is sealed to the buyer's purchase key; only the buyer can open it",
            f"Bond locked until the dispute window closes: {ether(bond)}",
            f"Delivery deadline: {when(purchase.deliver_by)}",
        ),
        bond,
    )

    def perform() -> tuple[str, Result]:
        delivered = kura.market.deliver(purchase_id)
        return f"Delivered the key of purchase {purchase_id} to institution {delivered.buyer}", delivered

    return confirmation, perform


@dataclass(frozen=True)
class Withdrawn(Result):
    """Ether withdrawn from the market."""

    amount: int


def _withdraw(kura: Kura, form: Form, settings: Settings, upload: bytes | None) -> tuple[Confirmation, Perform]:
    owed = kura.market.owed()
    if not owed:
        raise DashboardError("the market owes this account nothing: there is nothing to withdraw")
    confirmation = Confirmation(
        "withdraw",
        f"Withdraw {ether(owed)} from the market",
        (f"Sent to {kura.address}, the account this dashboard signs with",),
    )

    def perform() -> tuple[str, Result]:
        sent = kura.market.withdraw()
        return f"Withdrew {ether(sent)}", Withdrawn(sent)

    return confirmation, perform


def _rotate(kura: Kura, form: Form, settings: Settings, upload: bytes | None) -> tuple[Confirmation, Perform]:
    file_id = file_id_of(_text(form, "file"))
    info = kura.storage.info(file_id)
    confirmation = Confirmation(
        "rotate",
        f"Rotate the manifest key of {info.name}",
        (
            f"File {short(file_id)}, version {info.version} becomes {info.version + 1}",
            "The manifest is sealed under a fresh key and the old version is retracted on chain",
        ),
    )

    def perform() -> tuple[str, Result]:
        [rotated] = kura.storage.rotate([file_id])
        return f"Rotated {info.name}: version {rotated.version}", rotated

    return confirmation, perform


def _revoke(kura: Kura, form: Form, settings: Settings, upload: bytes | None) -> tuple[Confirmation, Perform]:
    text = _text(form, "pseudonym").removeprefix("0x")
    try:
        pseudonym = bytes.fromhex(text)
    except ValueError:
        raise DashboardError(f"the pseudonym must be hex, not {text[:20]!r}") from None
    if len(pseudonym) != 32:
        raise DashboardError(f"a pseudonym has 32 bytes (64 hex digits), not {len(pseudonym)}")
    purpose = _text(form, "purpose", "HRESCH")
    me = kura.consent.member_id()
    confirmation = Confirmation(
        "revoke",
        f"Revoke the consent of patient {short(pseudonym)} for {purpose}",
        (
            f"At institution {me}: every committed snapshot holding the patient is touched at once",
            "Listings relying on a touched snapshot cannot be sold or computed over until re-listed",
        ),
    )

    def perform() -> tuple[str, Result]:
        revoked = kura.consent.revoke(me, purpose, pseudonym)
        touched = ", ".join(str(s) for s in revoked.touched)
        return f"Revoked: snapshot(s) {touched} touched", revoked

    return confirmation, perform


def _list(kura: Kura, form: Form, settings: Settings, upload: bytes | None) -> tuple[Confirmation, Perform]:
    if not upload:
        raise DashboardError("choose the FHIR records to list (a Bundle or NDJSON file)")
    if not settings.salt:
        raise DashboardError(
            "no pseudonym salt is configured: start the dashboard with --salt-file or KURA_PSEUDONYM_SALT"
        )
    purpose = _text(form, "purpose", "HRESCH")
    title = _text(form, "title")
    price, bond = _text(form, "price"), _text(form, "bond", "0")
    price_wei, bond_wei = to_wei(price), to_wei(bond)
    policy = DeidPolicy(k_anonymity=_int(form, "k", minimum=2), l_diversity=_int(form, "l", minimum=1))
    licence = Licence(title, (purpose,), _int(form, "days", minimum=1))
    max_sales = _int(form, "max_sales", minimum=1)
    try:
        text = upload.decode()
    except UnicodeDecodeError:
        raise DashboardError("the records are not UTF-8 text (a FHIR Bundle or NDJSON)") from None
    prepared = prepare_dataset(
        parse_records(text), salt=settings.salt, as_of=_day(form.get("as_of", "")), purpose=purpose, policy=policy
    )
    certificate = prepared.deidentified.certificate
    confirmation = Confirmation(
        "list",
        f"List {title!r} for {ether(price_wei)} a sale",
        (
            f"{len(prepared.consent.members)} patients consented to {purpose}: their snapshot is committed on chain",
            f"De-identified: {len(prepared.deidentified.table.rows)} rows, k = {certificate.k}, ℓ = {certificate.l}",
            f"Up to {max_sales} sales; licence for {licence.duration_days} days; bond per delivery {ether(bond_wei)}",
            "The dataset is stored encrypted on the storage nodes; the records never leave this server otherwise",
        ),
    )

    def perform() -> tuple[str, Result]:
        listed = kura.market.publish(prepared, licence=licence, price=price, bond=bond, max_sales=max_sales)
        return (
            f"Listed {title!r} as listing {listed.listing_id} (consent snapshot {listed.consent_snapshot}, "
            f"{listed.cohort_size} patients)"
        ), listed

    return confirmation, perform


Prepare = Callable[["Kura", Form, "Settings", bytes | None], tuple[Confirmation, Perform]]
CONFIRMED: dict[str, Prepare] = {
    "buy": _buy,
    "deliver": _deliver,
    "withdraw": _withdraw,
    "rotate": _rotate,
    "revoke": _revoke,
    "list": _list,
}
"""The writes that wait for a confirmation, by name."""


class Actions:
    """Prepared writes waiting for their confirmation, and the one lock every write takes.

    Args:
        kura: The session that signs.
        settings: The dashboard's settings.
    """

    def __init__(self, kura: Kura, settings: Settings) -> None:
        self._kura = kura
        self._settings = settings
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._writing = threading.Lock()

    def prepare(self, session: str, action: str, form: Form, upload: bytes | None = None) -> tuple[str, Confirmation]:
        """Check write ``action`` with ``form`` and describe it; nothing is sent yet.

        Returns:
            The id to confirm it with, and its description.

        Raises:
            DashboardError: unknown action or bad input. KuraError: the API refused (e.g. an unknown listing).
        """
        prepare = CONFIRMED.get(action)
        if prepare is None:
            raise DashboardError(f"no write called {action!r}: use one of {', '.join(sorted(CONFIRMED))}")
        confirmation, perform = prepare(self._kura, form, self._settings, upload)
        ident = secrets.token_urlsafe(16)
        with self._lock:
            self._expire()
            self._pending[ident] = _Pending(session, confirmation, perform)
        return ident, confirmation

    def confirm(self, session: str, ident: str) -> Done:
        """Send the write prepared as ``ident`` by ``session`` (once).

        Raises:
            DashboardError: no such write waiting for this session (expired, used, or another session's).
            KuraError: the write failed; nothing of it was confirmed twice.
        """
        with self._lock:
            self._expire()
            pending = self._pending.get(ident)
            if pending is None or pending.session != session:
                raise DashboardError("this confirmation expired or was used already: prepare the write again")
            del self._pending[ident]
        return self._send(pending.confirmation.action, pending.perform)

    def upload(self, name: str, data: bytes, *, k: int, n: int, scheme: str) -> Done:
        """Store ``data`` as file ``name`` (``k`` of ``n`` shares under ``scheme``) at once: the form is the request.

        Raises:
            DashboardError: an empty file or a bad name. KuraError: the storage layer refused.
        """
        safe = Path(name).name
        if not data or not safe:
            raise DashboardError("choose a non-empty file to store")

        def perform() -> tuple[str, Result]:
            with tempfile.TemporaryDirectory(prefix="kura-dashboard-") as folder:
                path = Path(folder) / safe
                path.write_bytes(data)
                stored = self._kura.storage.put(path, k=k, n=n, scheme=scheme)
            return f"Stored {safe} as {short(stored.file_id)} ({k} of {n} shares)", stored

        return self._send("upload", perform)

    def _send(self, action: str, perform: Perform) -> Done:
        with self._writing, metered(self._kura.chain) as meter:
            message, result = perform()
        return Done(action, message, result, meter.used())

    def _expire(self) -> None:
        cutoff = time.monotonic() - PENDING_SECONDS
        for ident in [i for i, p in self._pending.items() if p.created < cutoff]:
            del self._pending[ident]
