"""``kura store``: confidential files on the storage nodes, pointers on chain."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.markup import escape

from kura.cli._context import ACCOUNT, JSON, NETWORK, NODES, NodeChoice, reading, session
from kura.cli._output import console, emit, fail, warn
from kura.codes.params import Scheme

app = typer.Typer(
    help="Store files confidentially: encrypted, split into k-of-n shares on distinct IPFS nodes.", no_args_is_help=True
)

FILE_ID = typer.Argument(..., help="The file id printed by `kura store put` (64 hex digits).")


@contextmanager
def _bar(total: int, label: str, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    if quiet:
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda sent: progress.advance(task, sent)


@app.command()
def put(
    paths: list[Path] = typer.Argument(
        ...,
        exists=True,
        readable=True,
        help="File to store; several files or a folder are stored in batches (one transaction per batch).",
    ),
    k: int = typer.Option(3, "--k", "-k", min=1, help="Shares needed to rebuild the file."),
    n: int = typer.Option(5, "--n", "-n", min=1, help="Shares stored, each on a different node."),
    scheme: Scheme = typer.Option(Scheme.MSR, "--scheme", help="msr (regenerating code), rs, or shamir."),
    stamp: bool = typer.Option(
        False,
        "--stamp",
        help="Register on a proof-of-work stamp instead of locking the registry's deposit (minted while the "
        "shares upload: 2^difficulty hashes, ~5 s at kura's 20 bits).",
    ),
    enroll: bool = typer.Option(
        True,
        "--enroll/--no-enroll",
        help="Publish the file's share table so anyone "
        "can audit its shares and repairers rebuild lost ones (default), or keep it out.",
    ),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    nodes: NodeChoice = NODES,
    as_json: bool = JSON,
) -> None:
    """Encrypt each file of PATHS, split it into n shares on n distinct nodes, register it on chain, and enrol it
    for repair."""
    started = time.monotonic()
    if len(paths) > 1 or paths[0].is_dir():
        _put_many(paths, k, n, scheme, stamp, network, account, nodes, as_json, started)
        return
    path = paths[0]
    with session(network, account, nodes) as kura:
        total = kura.storage.planned_upload(path, k=k, n=n, scheme=scheme)
        with _bar(total, f"uploading {path.name}", as_json) as progress:
            stored = kura.storage.put(path, k=k, n=n, scheme=scheme, stamp=stamp, enroll=enroll, progress=progress)
    for node, why in sorted(stored.failed_nodes.items()):
        warn(f"storage node {node} was not used: {why}")
    if stored.not_enrolled and enroll:
        warn(f"not enrolled for audits and repair: {stored.not_enrolled}")
    repairable = "enrolled for repair" if stored.table_digest else "not enrolled"
    emit(
        stored.to_dict() | {"seconds": round(time.monotonic() - started, 3)},
        as_json=as_json,
        text=f"[green]stored[/] {path.name} as {stored.file_id.hex()} "
        f"({scheme.value} {k}-of-{n}, {len(stored.placements)} nodes, {repairable})",
    )


def _put_many(
    paths: list[Path],
    k: int,
    n: int,
    scheme: Scheme,
    stamp: bool,
    network: str | None,
    account: int,
    nodes: NodeChoice,
    as_json: bool,
    started: float,
) -> None:
    if stamp:
        fail(
            "--stamp registers one file at a time: batches of files lock the registry's deposit; drop --stamp "
            "or store the files one by one"
        )
    with session(network, account, nodes) as kura:
        total = kura.storage.planned_upload(paths, k=k, n=n, scheme=scheme)
        with _bar(total, "uploading files", as_json) as progress:
            stored = kura.storage.put_many(paths, k=k, n=n, scheme=scheme, progress=progress)
    files = [file for batch in stored for file in batch.files]
    lines = [f"[green]stored[/] {file.path} as {file.file_id.hex()}" for file in files]
    gas = sum(batch.register_gas for batch in stored)
    lines.append(
        f"{len(files)} files ({scheme.value} {k}-of-{n}) in {len(stored)} registration transactions, "
        f"{gas // len(files):,} gas a file"
    )
    emit(
        {"batches": [batch.to_dict() for batch in stored], "seconds": round(time.monotonic() - started, 3)},
        as_json=as_json,
        text="\n".join(lines),
    )


@app.command()
def get(
    file_id: str = FILE_ID,
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the file (replaced only on success)."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    nodes: NodeChoice = NODES,
    as_json: bool = JSON,
) -> None:
    """Fetch k verified shares of FILE_ID and rebuild the file."""
    with session(network, account, nodes) as kura:
        kura.storage.check_target(output)
        total = kura.storage.planned_download(file_id)
        with _bar(total, f"fetching {file_id[:16]}…", as_json) as progress:
            result = kura.storage.get(file_id, output, progress=progress)
    for node, why in sorted(result.bad_nodes.items()):
        warn(f"{node}: {why}")
    emit(
        result.to_dict() | {"path": str(output)},
        as_json=as_json,
        text=f"[green]wrote[/] {output} ({result.size:,} bytes from shares {list(result.shares_used)})",
    )


@app.command("ls")
def list_files(network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON) -> None:
    """List the live files the account owns."""
    from kura.chain.light import account_address

    with reading(network) as (config, reader):
        files = reader.owned_files(reader.deployment(), account_address(config, account))
    emit(
        [f.to_dict() for f in files],
        as_json=as_json,
        text="\n".join(f"{f.file_id.hex()}  v{f.version}" for f in files) or "no files",
    )


@app.command()
def info(
    file_id: str = FILE_ID,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    nodes: NodeChoice = NODES,
    as_json: bool = JSON,
) -> None:
    """Show the on-chain record and the (decrypted) manifest of FILE_ID."""
    from kura.units import format_units

    with session(network, account, nodes) as kura:
        about = kura.storage.info(file_id)
    held = f"deposit {format_units(about.deposit)} ETH" if about.deposit else "registered on a stamp"
    health = ", ".join(f"{count} {state}" for state, count in about.health.items() if count)
    enrolled = "enrolled for audits and repair" if about.enrolled else "not enrolled (`kura store enroll`)"
    colour = {"healthy": "green", "lost": "red", "challenged": "yellow", "unreachable": "yellow"}
    emit(
        about.to_dict(),
        as_json=as_json,
        text=f"{about.name}: {about.size:,} bytes, {about.scheme.value} {about.k}-of-{about.n}, "
        f"version {about.version}, owner {about.owner}, {held}, {enrolled}\n"
        f"health: {health}\n"
        + "\n".join(
            f"  share {s.index}: [{colour[s.state.value]}]{s.state.value:<11}[/] {s.node} {s.cid}"
            + (f" ({escape(s.detail)})" if s.detail else "")
            for s in about.shares
        ),
    )


@app.command()
def rotate(
    file_ids: list[str] = typer.Argument(None, help="Files to rotate (default: all the account's files)."),
    every: float | None = typer.Option(None, "--every", min=1.0, help="Keep rotating every SECONDS (scheduled mode)."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    nodes: NodeChoice = NODES,
    as_json: bool = JSON,
) -> None:
    """Re-seal manifests with fresh keys, repoint the chain, and void the old versions."""
    with session(network, account, nodes) as kura:
        while True:
            results = kura.storage.rotate(file_ids or None)
            emit(
                [r.to_dict() for r in results],
                as_json=as_json,
                text="\n".join(f"[green]rotated[/] {r.file_id.hex()} → v{r.version} ({r.gas:,} gas)" for r in results)
                or "nothing to rotate",
            )
            if every is None:
                return
            time.sleep(every)


@app.command("rm")
def remove(
    file_id: str = FILE_ID,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    nodes: NodeChoice = NODES,
    as_json: bool = JSON,
) -> None:
    """Delete FILE_ID on chain, unpin its shares and manifest, and take back its deposit."""
    from kura.units import format_units

    with session(network, account, nodes) as kura:
        removed = kura.storage.rm(file_id)
    refund = f", deposit of {format_units(removed.refunded)} ETH refunded" if removed.refunded else ""
    emit(removed.to_dict() | {"file_id": file_id}, as_json=as_json, text=f"[green]deleted[/] {file_id}{refund}")


@app.command()
def enroll(
    file_id: str = FILE_ID,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    nodes: NodeChoice = NODES,
    as_json: bool = JSON,
) -> None:
    """Publish FILE_ID's share table so anyone can audit its shares and the repairer can rebuild them."""
    with session(network, account, nodes) as kura:
        digest = kura.storage.enroll(file_id)
    emit(
        {"file_id": file_id, "table_digest": "0x" + digest.hex()},
        as_json=as_json,
        text=f"[green]enrolled[/] {file_id} for audits and repair (share table {digest.hex()[:16]}…)",
    )
