"""``ape run store``: confidential files on ape's selected network.

    ape run store put scan.dcm --network ethereum:local:foundry
    ape run store get 0x<file id> --output copy.dcm --network ethereum:local:foundry

The file is encrypted and split into k-of-n shares on n IPFS nodes (``KURA_IPFS_APIS``, else the devnet's) and
registered in kura's FileRegistry on ape's chain, signed by ape's test account ``--account``. kura must be
deployed there (``ape run deploy``).
"""

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand

import kura
from kura.api.ape import ape_chain, ape_network, reported

ACCOUNT = click.option("--account", default=0, show_default=True, help="Index of ape's test account that signs.")


@click.group()
def cli() -> None:
    """Store files confidentially: encrypted, split into k-of-n shares on distinct IPFS nodes."""


@cli.command(cls=ConnectedProviderCommand)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--k", "k", default=3, show_default=True, help="Shares needed to rebuild the file.")
@click.option("--n", "n", default=5, show_default=True, help="Shares stored, each on a different node.")
@click.option(
    "--scheme",
    type=click.Choice([s.value for s in kura.Scheme]),
    default="msr",
    show_default=True,
    help="msr (regenerating code), rs, or shamir.",
)
@ACCOUNT
def put(path: Path, k: int, n: int, scheme: str, account: int) -> None:
    """Encrypt PATH, split it into n shares on n distinct nodes, and register it on chain."""
    with reported(), kura.connect(ape_network(), account, chain=ape_chain()) as session:
        stored = session.storage.put(path, k=k, n=n, scheme=scheme)
    click.echo(
        f"stored {path.name} as 0x{stored.file_id.hex()} ({scheme} {k}-of-{n} on "
        f"{len(stored.placements)} nodes, {stored.register_gas:,} gas to register)"
    )


@cli.command(cls=ConnectedProviderCommand)
@click.argument("file_id")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the file (replaced only on success).",
)
@ACCOUNT
def get(file_id: str, output: Path, account: int) -> None:
    """Fetch k verified shares of FILE_ID and rebuild the file."""
    with reported(), kura.connect(ape_network(), account, chain=ape_chain()) as session:
        retrieved = session.storage.get(file_id, output)
    click.echo(f"wrote {output} ({retrieved.size:,} bytes from shares {list(retrieved.shares_used)})")
