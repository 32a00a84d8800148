"""``kura key``: an institution's public key — change it (account, sealing key, files, manifests, sales, listings)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kura.cli._context import ACCOUNT, JSON, NETWORK, session
from kura.cli._output import emit, progress
from kura.errors import ConfigError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

app = typer.Typer(help="An institution's public key: move everything to a new key.", no_args_is_help=True)


@app.command()
def change(
    to_account: int | None = typer.Option(
        None, "--to-account", min=0, help="Index of the new account among the network's keys."
    ),
    key_file: Path | None = typer.Option(
        None, "--key-file", exists=True, dir_okay=False, help="A file holding the new account's private key (hex)."
    ),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Move the --account's institution to a new key: the new account takes over on chain (two steps), every
    file moves to it, every manifest is re-sealed to it, paid sales are delivered and open listings re-keyed;
    the old key can do nothing afterwards. Run it again to finish an interrupted change."""
    if (to_account is None) == (key_file is None):
        raise ConfigError("name the new account with exactly one of --to-account N or --key-file PATH")
    from_file = _account_from(key_file) if key_file is not None else None  # a bad file stops before any transaction
    with session(network, account) as kura:
        new = from_file or kura.chain.account(to_account or 0)
        report = kura.institutions.change_key(new, progress=progress(as_json))
    emit(
        report,
        as_json=as_json,
        text=f"[green]institution {report.institution_id}[/] now acts through {report.new_account} "
        f"({len(report.files_transferred)} files moved, {len(report.manifests_resealed)} manifests re-sealed, "
        f"{len(report.deliveries)} sales delivered, {len(report.listings_rekeyed)} listings re-keyed"
        + (f", re-list {list(report.listings_to_relist)}" if report.listings_to_relist else "")
        + ")",
    )


def _account_from(path: Path) -> LocalAccount:
    """The account whose private key ``path`` holds (hex, with or without 0x).

    Raises:
        ConfigError: if the file holds no valid secp256k1 private key.
    """
    from eth_account import Account

    try:
        return Account.from_key(path.read_text().strip())
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} holds no private key (64 hex digits expected): {exc.__class__.__name__}") from None
