"""``Kura.institutions``: an institution's own settings — the public key change.

:meth:`Institutions.change_key` moves a member institution from the session's account (the old key) to a new
account (the new key) in one resumable run:

1. sweep what the market and the file registry hold for the old account;
2. every open listing re-keyed, still as the old account: a new version whose dataset key derives from the
   new key, with the manifest sealed under it (buyers of earlier versions keep their grants: those blobs stay
   on the share holders), so no sale is made afterwards that only the old key could deliver;
3. ``proposeAccountChange`` (old account) then ``acceptAccountChange`` (new account): from then on the old
   account can do nothing for the institution in any contract, and a payout that was the old account is the
   new one;
4. ``FileRegistry.transfer`` of every file the old account owns to the new account;
5. every manifest still sealed to the old key re-sealed to the new key, its on-chain pointer rotated;
6. every paid, undelivered sale of the institution delivered by the new account, with the dataset key the
   sale's listing version committed to (derived from whichever key listed it);
7. listings not re-keyed yet (a run resumed after the change) re-keyed as the new account;
8. the old account's balances swept once more.

Every step reads the chain first and does only what is left, so running it again after an interruption (a
dead node, a refused transaction, a closed terminal) finishes the job; nothing is changed before the inputs
are checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from eth_account.signers.local import LocalAccount

from kura.chain.data_market import PurchaseState, Terms
from kura.errors import ContractRevertError, DecryptionError, KeyChangeError
from kura.market import exchange
from kura.results import Result
from kura.storage.client.files import StorageClient
from kura.storage.shared import manifest_store

if TYPE_CHECKING:
    from kura.api.session import Kura

_NOT_MEMBER = {"NotMemberAccount", "FoundingStillOpen"}
_UNLISTABLE = {
    "ConsentNotCurrent",
    "BelowPolicy",
    "StaleFileVersion",
    "FileNotOwnedBySeller",
    "FileIsDeleted",
    "UnknownFile",
    "CohortMismatch",
}
"""Why a listing cannot be re-keyed as it is: it could not be sold as it is either; its seller re-lists it."""
_KEYED = {PurchaseState.PAID, PurchaseState.DELIVERED, PurchaseState.RELEASED}
"""Purchase states whose delivery the buyer may still have to open (or dispute) with its purchase key."""


@dataclass(frozen=True)
class KeyChangeReport(Result):
    """What one run of :meth:`Institutions.change_key` did (a resumed run reports only what was left to do).

    Attributes:
        institution_id: The institution that moved.
        old_account: The account it acted through before.
        new_account: The account it acts through now (its key is the institution's sealing key).
        account_changed: True if this run proposed and accepted the change (False: an earlier run did).
        payout: Where the institution's payments go now.
        files_transferred: Files this run moved from the old account to the new one.
        manifests_resealed: Files whose manifest this run re-sealed to the new key (pointer rotated).
        deliveries: Paid sales this run delivered as the new account.
        listings_rekeyed: Open listings this run moved to a dataset key of the new key (a new version each).
        listings_to_relist: Open listings that cannot be re-keyed as they are (consent snapshot touched or
            superseded, policy raised, file gone): they cannot be sold either until the seller re-lists them.
        purchases_needing_old_key: Purchases the institution made as a buyer and was not refunded: opening (or
            disputing) their deliveries needs the old key, from which their per-purchase keys derive.
        swept: Wei the market and the file registry held for the old account, withdrawn to it by this run.
    """

    institution_id: int
    old_account: str
    new_account: str
    account_changed: bool
    payout: str
    files_transferred: tuple[bytes, ...]
    manifests_resealed: tuple[bytes, ...]
    deliveries: tuple[int, ...]
    listings_rekeyed: tuple[int, ...]
    listings_to_relist: tuple[int, ...]
    purchases_needing_old_key: tuple[int, ...]
    swept: int


class Institutions:
    """A member institution's own settings, acting as the session's account (its current account)."""

    def __init__(self, session: Kura) -> None:
        self._session = session

    def change_key(self, new: LocalAccount, *, progress: Callable[[str], None] = lambda _: None) -> KeyChangeReport:
        """Move the session account's institution to ``new``: account, sealing key, files, manifests, sales in
        flight and listings (see the module's steps). Resumable: run it again with the same accounts to finish
        an interrupted change.

        Args:
            new: The new account (holding some ether for gas); its public key becomes the sealing key.
            progress: Called with one line per step done.

        Returns:
            What this run did.

        Raises:
            KeyChangeError: ``new`` is the session account or has no ether, or neither account acts for a
                member institution (nothing was changed).
            ContractRevertError: ``AccountTaken`` (``new`` acts for another institution or applicant; nothing was
                changed), or a transaction refused half-way (run again once the cause is fixed).
            StorageError / IpfsError: the storage nodes could not be reached half-way (run again).
        """
        session, old = self._session, self._session.account
        if new.address == old.address:
            raise KeyChangeError(f"{new.address} is already this session's account: name a different new account")
        institution_id, moved = self._institution(old, new)
        if session.chain.w3.eth.get_balance(new.address) == 0:
            raise KeyChangeError(f"the new account {new.address} holds no ether for gas: fund it, then run again")
        if not moved:  # an account in use is refused by a dry run, before anything is re-keyed
            registry = session.contracts.institutions
            session.chain.call(registry.contract.functions.proposeAccountChange(new.address), sender=old.address)
        swept, rekeyed = self._sweep(old), tuple[int, ...]()
        if not moved:
            # Re-key the listings first, as the old account: no sale is then made of a version whose key only the
            # old key derives. (What cannot be re-keyed now is tried again below, and reported then.)
            rekeyed, _ = self._rekey_listings(institution_id, old, new, progress)
            self._move(institution_id, old, new)
            progress(f"institution {institution_id} now acts through {new.address}; {old.address} can do nothing")
        transferred = self._transfer_files(old, new, progress)
        resealed = self._reseal(old, new, progress)
        deliveries = self._deliver(institution_id, old, new, progress)
        later, to_relist = self._rekey_listings(institution_id, new, new, progress)
        rekeyed += later
        swept += self._sweep(old)
        if swept:
            progress(f"withdrew {swept} wei the contracts held for {old.address}")
        bought = tuple(
            entry.purchase_id
            for entry in session.contracts.market.access_log()
            if entry.buyer == institution_id and entry.state in _KEYED
        )
        return KeyChangeReport(
            institution_id,
            old.address,
            new.address,
            not moved,
            session.contracts.institutions.payout_of(institution_id),
            transferred,
            resealed,
            deliveries,
            rekeyed,
            to_relist,
            bought,
            swept,
        )

    # ---------------------------------------------------------------- steps

    def _institution(self, old: LocalAccount, new: LocalAccount) -> tuple[int, bool]:
        """The institution's id, and whether it acts through ``new`` already (an earlier run got that far)."""
        registry = self._session.contracts.institutions
        for account, moved in ((old, False), (new, True)):
            try:
                return registry.member_id_of(account.address), moved
            except ContractRevertError as exc:
                if exc.error_name not in _NOT_MEMBER:
                    raise
        raise KeyChangeError(
            f"neither {old.address} nor {new.address} is the account of a member institution: "
            "run this as the institution's current account (--account)"
        )

    def _move(self, institution_id: int, old: LocalAccount, new: LocalAccount) -> None:
        """Propose (unless a live proposal to ``new`` is pending from an earlier run), then accept."""
        registry = self._session.contracts.institutions
        record = registry.institution_of(institution_id)
        if record.pending_account != new.address or record.pending_until <= self._now():
            registry.propose_account_change(new.address, member=old)
        registry.accept_account_change(institution_id, new_account=new)

    def _sweep(self, old: LocalAccount) -> int:
        """Withdraw what the market and the file registry hold for ``old``; the wei withdrawn."""
        contracts, swept = self._session.contracts, 0
        for ledger in (contracts.market, contracts.files):
            owed = ledger.payments(old.address)
            if owed:
                ledger.withdraw_payments(payee=old)
                swept += owed
        return swept

    def _transfer_files(
        self, old: LocalAccount, new: LocalAccount, progress: Callable[[str], None]
    ) -> tuple[bytes, ...]:
        files = self._session.contracts.files
        moved = tuple(record.file_id for record in self._client(old).list())
        for file_id in moved:
            files.transfer(file_id, new.address, owner=old)
            progress(f"file {file_id.hex()} transferred to {new.address}")
        return moved

    def _reseal(self, old: LocalAccount, new: LocalAccount, progress: Callable[[str], None]) -> tuple[bytes, ...]:
        """Re-seal to the new key every manifest of the new account's files still sealed to the old key."""
        client, resealed = self._client(new), []
        for record in client.list():
            if _readable(client, record.file_id):
                continue  # sealed to the new key already
            try:
                version, _ = client.rotate(record.file_id, sealed_to=old)
            except DecryptionError:
                progress(f"manifest of {record.file_id.hex()} is sealed to neither key: left as it is")
                continue
            resealed.append(record.file_id)
            progress(f"manifest of {record.file_id.hex()} re-sealed to the new key (file version {version})")
        return tuple(resealed)

    def _deliver(
        self, institution_id: int, old: LocalAccount, new: LocalAccount, progress: Callable[[str], None]
    ) -> tuple[int, ...]:
        """Deliver, as the new account, every paid sale of the institution whose deadline has not passed."""
        market, now = self._session.contracts.market, self._now()
        delivered = []
        for entry in market.access_log():
            if entry.seller != institution_id or entry.state is not PurchaseState.PAID:
                continue
            purchase = market.purchase_of(entry.purchase_id)
            if purchase.deliver_by < now:
                continue  # too late to deliver: the buyer reclaims the price
            terms = market.terms_of(purchase.listing_id, purchase.version)
            market.deliver(entry.purchase_id, _committed_key(terms, old, new), seller=new)
            delivered.append(entry.purchase_id)
            progress(f"purchase {entry.purchase_id} delivered by the new account")
        return tuple(delivered)

    def _rekey_listings(
        self, institution_id: int, seller: LocalAccount, new: LocalAccount, progress: Callable[[str], None]
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """As ``seller`` (the institution's account now, owner of the files), publish a new version of every open
        listing whose dataset key derives from ``new``'s key; the listings re-keyed and those that cannot be."""
        contracts = self._session.contracts
        market, client = contracts.market, self._client(seller)
        rekeyed, to_relist = [], []
        for listing_id in range(1, market.listing_count() + 1):
            listing = market.listing_of(listing_id)
            if listing.seller != institution_id or listing.closed:
                continue
            terms = market.terms_of(listing_id, listing.version)
            if exchange.matches(_dataset_key(new, terms.file_id, terms.file_version), terms.key_commitment):
                continue  # re-keyed by an earlier run
            try:
                record = client.record(terms.file_id)
                key = _dataset_key(new, terms.file_id, record.version)
                grant = client.grant(terms.file_id, key)
            except (ContractRevertError, DecryptionError):
                to_relist.append(listing_id)  # the file is gone, or is no longer the institution's
                continue
            offer = replace(
                market.offer_of(listing_id, listing.version),
                file_version=record.version,
                key_commitment=exchange.key_commitment(key),
                manifest_digest=grant.digest,
            )
            try:
                market.update(listing_id, listing.version, offer, seller=seller)
            except ContractRevertError as exc:
                if exc.error_name not in _UNLISTABLE:
                    raise
                manifest_store.retract(grant.digest, client.pool)
                to_relist.append(listing_id)
                progress(f"listing {listing_id} cannot be re-keyed ({exc.error_name}): re-list it")
                continue
            rekeyed.append(listing_id)
            progress(f"listing {listing_id} re-keyed to the new key (version {listing.version + 1})")
        return tuple(rekeyed), tuple(to_relist)

    def _now(self) -> int:
        """The latest block's timestamp."""
        return int(self._session.chain.w3.eth.get_block("latest")["timestamp"])

    def _client(self, account: LocalAccount) -> StorageClient:
        session = self._session
        return StorageClient(session.contracts, session.storage.pool, account)


def _readable(client: StorageClient, file_id: bytes) -> bool:
    """True iff ``client``'s account can open ``file_id``'s current manifest."""
    try:
        client.manifest(file_id)
    except DecryptionError:
        return False
    return True


def _dataset_key(account: LocalAccount, file_id: bytes, version: int) -> bytes:
    return exchange.derive_dataset_key(bytes(account.key), file_id=file_id, version=version)


def _committed_key(terms: Terms, old: LocalAccount, new: LocalAccount) -> bytes:
    """The dataset key ``terms`` committed to, derived from whichever of the two keys listed them.

    Raises:
        KeyChangeError: if neither key derives it (the listing was made with yet another key).
    """
    for account in (old, new):
        key = _dataset_key(account, terms.file_id, terms.file_version)
        if exchange.matches(key, terms.key_commitment):
            return key
    raise KeyChangeError(
        f"neither key derives the dataset key listing terms of file {terms.file_id.hex()} commit "
        "to: deliver it with the key that listed it (`kura market deliver` as that account)"
    )
