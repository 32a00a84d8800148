"""``kura consent``: commit consent snapshots, revoke a patient's consent, and ask where a record went."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import typer

from kura.cli._context import ACCOUNT, JSON, NETWORK, session
from kura.cli._output import emit
from kura.cli._records import AS_OF, PURPOSE, RECORDS, SALT_FILE, as_of, records, salt
from kura.errors import ConfigError

app = typer.Typer(
    help="Patient consent: snapshots per purpose, revocations, and the transparency query.", no_args_is_help=True
)

INSTITUTION = typer.Option(..., "--institution", min=1, help="The institution's id.")
PSEUDONYM = typer.Option(None, "--pseudonym", help="The patient's pseudonym at the institution (64 hex digits).")
PATIENT = typer.Option(
    None,
    "--patient",
    help="The patient's id in the institution's records (with the salt, "
    "instead of --pseudonym; only the institution can do this).",
)


def _pseudonym(pseudonym: str | None, patient: str | None, salt_file: Path | None) -> bytes:
    from kura.market.consent import pseudonym as derive

    if patient is not None:
        return derive(salt(salt_file), patient)
    if pseudonym is None:
        raise ConfigError("name the patient: --pseudonym HEX, or --patient ID with the institution's salt")
    try:
        value = bytes.fromhex(pseudonym.removeprefix("0x"))
    except ValueError:
        value = b""
    if len(value) != 32:
        raise ConfigError(f"--pseudonym {pseudonym!r} is not 64 hex digits")
    return value


@app.command()
def commit(
    path: Path = RECORDS,
    purpose: str = PURPOSE,
    salt_file: Path | None = SALT_FILE,
    day: str | None = AS_OF,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Evaluate PATH's FHIR Consents for PURPOSE and commit the snapshot of consenting patients (its members are
    published as pseudonyms; the root goes on chain)."""
    from datetime import datetime, time

    from kura.market.consent import ConsentRequest, snapshot

    moment = datetime.combine(as_of(day), time(12), tzinfo=UTC)
    consents = [r for r in records(path) if r.get("resourceType") == "Consent"]
    with session(network, account) as kura:
        committed = kura.consent.commit(snapshot(consents, ConsentRequest(purpose, moment), salt(salt_file)))
    emit(
        committed.to_dict(),
        as_json=as_json,
        text=f"[green]committed[/] consent snapshot {committed.snapshot_id} for {purpose}: {committed.cohort_size} "
        f"patients (root 0x{committed.root.hex()[:16]}…)",
    )


@app.command()
def revoke(
    institution: int = INSTITUTION,
    purpose: str = PURPOSE,
    pseudonym: str | None = PSEUDONYM,
    patient: str | None = PATIENT,
    salt_file: Path | None = SALT_FILE,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Withdraw a patient's consent (as the patient's own key or as the institution): every snapshot holding them
    is touched at once, and listings and computations built on them stop."""
    who = _pseudonym(pseudonym, patient, salt_file)
    with session(network, account) as kura:
        revoked = kura.consent.revoke(institution, purpose, who)
    emit(
        revoked.to_dict(),
        as_json=as_json,
        text=f"[green]revoked[/]: snapshots {', '.join(map(str, revoked.touched))} of institution {institution} are "
        "stale for new sales and computations",
    )


@app.command()
def status(
    institution: int = INSTITUTION,
    purpose: str = PURPOSE,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Show an institution's consent snapshots for PURPOSE: size, when committed, touched by a revocation or not."""
    with session(network, account) as kura:
        state = kura.consent.status(institution, purpose)
    emit(
        state.to_dict(),
        as_json=as_json,
        text="\n".join(
            f"snapshot {s.snapshot_id}: {s.cohort_size} patients, committed {s.committed_at}"
            + (" [yellow](touched by a revocation)[/]" if s.touched else "")
            + (" [green](current)[/]" if s.snapshot_id == state.latest and not s.touched else "")
            for s in state.snapshots
        )
        + f"\n{state.revocations} revocation(s)",
    )


@app.command()
def included(
    institution: int = INSTITUTION,
    purpose: str = PURPOSE,
    pseudonym: str | None = PSEUDONYM,
    patient: str | None = PATIENT,
    salt_file: Path | None = SALT_FILE,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Which sales and computations included a patient's record, each with a Merkle proof against the consent
    root committed on chain."""
    who = _pseudonym(pseudonym, patient, salt_file)
    with session(network, account) as kura:
        found = kura.consent.included(institution, purpose, who)
    emit(
        found,
        as_json=as_json,
        text="\n".join(
            f"{i.use}: root 0x{i.root.hex()[:16]}…, proof of {len(i.proof)} hashes "
            f"({'verifies' if i.verifies(who) else 'DOES NOT VERIFY'})"
            for i in found
        )
        or "no sale or computation included this record",
    )
