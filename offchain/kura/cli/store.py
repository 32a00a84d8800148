"""``kura store``: confidential files on the storage nodes, pointers on chain."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from kura.chain.deployments import load
from kura.cli._context import JSON, NETWORK, connect
from kura.cli._output import console, emit
from kura.crypto.params import CodeParams, Scheme
from kura.errors import StorageError
from kura.storage.client import StorageClient, parse_file_id
from kura.storage.nodes import NodePool, nodes_of
from kura.storage.registry_nodes import NodeDirectory

app = typer.Typer(help="Store files confidentially: encrypted, split into k-of-n shares on distinct IPFS nodes.",
                  no_args_is_help=True)

class NodeSource(str, Enum):
    """Where the storage nodes come from."""

    AUTO = "auto"
    REGISTRY = "registry"
    CONFIG = "config"


ACCOUNT = typer.Option(0, "--account", help="Index of the owner account of the network.")
FILE_ID = typer.Argument(..., help="The file id printed by `kura store put` (64 hex digits).")
NODES = typer.Option(
    NodeSource.AUTO, "--nodes",
    help="Storage nodes: the NodeRegistry's active ones, the network's configured IPFS APIs, or auto "
         "(the registry's as soon as any node is registered, else the configured ones).",
)


@contextmanager
def _client(network: str | None, account: int, source: NodeSource) -> Iterator[StorageClient]:
    """A storage client on the nodes ``source`` names."""
    config, chain = connect(network)
    deployment = load(chain)
    registered = [] if source is NodeSource.CONFIG else NodeDirectory(chain, deployment).storage_nodes()
    if source is NodeSource.REGISTRY and not registered:
        raise StorageError("the NodeRegistry lists no active storage node: register nodes with `kura node run`, "
                           "or use --nodes config")
    with NodePool(registered or nodes_of(config), proxy=config.socks_proxy) as pool:
        yield StorageClient(chain, deployment, pool, chain.account(account))


@contextmanager
def _bar(total: int, label: str, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    if quiet:
        yield None
        return
    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda sent: progress.advance(task, sent)


@app.command()
def put(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="File to store."),
    k: int = typer.Option(3, "--k", "-k", min=1, help="Shares needed to rebuild the file."),
    n: int = typer.Option(5, "--n", "-n", min=1, help="Shares stored, each on a different node."),
    scheme: Scheme = typer.Option(Scheme.MSR, "--scheme", help="msr (regenerating code), rs, or shamir."),
    stamp: bool = typer.Option(
        False, "--stamp",
        help="Register on a proof-of-work stamp instead of locking the registry's deposit (minted while the "
             "shares upload: 2^difficulty hashes, ~5 s at kura's 20 bits).",
    ),
    network: str | None = NETWORK, account: int = ACCOUNT, nodes: NodeSource = NODES, as_json: bool = JSON,
) -> None:
    """Encrypt PATH, split it into n shares on n distinct nodes, and register it on chain."""
    params = CodeParams(scheme, k, n)
    started = time.monotonic()
    with _client(network, account, nodes) as client:
        total = int(path.stat().st_size * params.storage_overhead) + 4096 * n
        with _bar(total, f"uploading {path.name}", as_json) as progress:
            stored = client.put(path, params, progress=progress, stamp=stamp)
    emit(
        {"file_id": stored.file_id.hex(), "manifest_cid": stored.manifest_cid, "register_gas": stored.register_gas,
         "shares": [{"index": p.index, "node": p.node.name, "cid": p.cid} for p in stored.placements],
         "failed_nodes": stored.failed_nodes, "seconds": round(time.monotonic() - started, 3)},
        as_json=as_json,
        text=f"[green]stored[/] {path.name} as {stored.file_id.hex()} "
             f"({params.scheme.value} {k}-of-{n}, {len(stored.placements)} nodes)",
    )


@app.command()
def get(
    file_id: str = FILE_ID,
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the file (replaced only on success)."),
    network: str | None = NETWORK, account: int = ACCOUNT, nodes: NodeSource = NODES, as_json: bool = JSON,
) -> None:
    """Fetch k verified shares of FILE_ID and rebuild the file."""
    raw_id = parse_file_id(file_id)
    with _client(network, account, nodes) as client:
        _, manifest = client.manifest(raw_id)
        total = sum(share.size for share in manifest.shares[: manifest.k])
        with _bar(total, f"fetching {manifest.name}", as_json) as progress:
            result = client.get(raw_id, output, progress=progress)
    for node, why in sorted(result.bad_nodes.items()):
        console.print(f"[yellow]warning:[/] {node}: {why}", soft_wrap=True)
    emit({"path": str(output), "size": result.size, "shares_used": list(result.shares_used),
          "bad_nodes": result.bad_nodes}, as_json=as_json,
         text=f"[green]wrote[/] {output} ({result.size:,} bytes from shares {list(result.shares_used)})")


@app.command("ls")
def list_files(network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON) -> None:
    """List the live files the account owns."""
    with _client(network, account, NodeSource.AUTO) as client:
        files = client.list()
    rows = [{"file_id": f.file_id.hex(), "version": f.version, "updated_at": f.updated_at} for f in files]
    emit(rows, as_json=as_json,
         text="\n".join(f"{r['file_id']}  v{r['version']}" for r in rows) or "no files")


@app.command()
def info(
    file_id: str = FILE_ID,
    network: str | None = NETWORK, account: int = ACCOUNT, nodes: NodeSource = NODES, as_json: bool = JSON,
) -> None:
    """Show the on-chain record and the (decrypted) manifest of FILE_ID."""
    with _client(network, account, nodes) as client:
        record, manifest = client.manifest(parse_file_id(file_id))
        deposit = client.registry.deposit_of(record.file_id)
    data = {
        "file_id": record.file_id.hex(), "owner": record.owner, "version": record.version,
        "name": manifest.name, "size": manifest.size, "scheme": manifest.scheme.value, "k": manifest.k,
        "n": manifest.n, "deposit_wei": deposit,
        "shares": [{"index": s.index, "node": s.node, "cid": s.cid} for s in manifest.shares],
    }
    held = f"deposit {deposit / 10**18:g} ETH" if deposit else "registered on a stamp"
    text = (f"{manifest.name}: {manifest.size:,} bytes, {manifest.scheme.value} {manifest.k}-of-{manifest.n}, "
            f"version {record.version}, owner {record.owner}, {held}\n"
            + "\n".join(f"  share {s.index}: {s.node} {s.cid}" for s in manifest.shares))
    emit(data, as_json=as_json, text=text)


@app.command()
def rotate(
    file_ids: list[str] = typer.Argument(None, help="Files to rotate (default: all the account's files)."),
    every: float | None = typer.Option(None, "--every", min=1.0, help="Keep rotating every SECONDS (scheduled mode)."),
    network: str | None = NETWORK, account: int = ACCOUNT, nodes: NodeSource = NODES, as_json: bool = JSON,
) -> None:
    """Re-seal manifests with fresh keys, repoint the chain, and void the old versions."""
    with _client(network, account, nodes) as client:
        while True:
            targets = [parse_file_id(f) for f in file_ids] if file_ids else [f.file_id for f in client.list()]
            results = [dict(zip(("version", "gas"), client.rotate(target)), file_id=target.hex()) for target in targets]
            emit(results, as_json=as_json,
                 text="\n".join(f"[green]rotated[/] {r['file_id']} → v{r['version']} ({r['gas']:,} gas)"
                                for r in results) or "nothing to rotate")
            if every is None:
                return
            time.sleep(every)


@app.command("rm")
def remove(
    file_id: str = FILE_ID,
    network: str | None = NETWORK, account: int = ACCOUNT, nodes: NodeSource = NODES, as_json: bool = JSON,
) -> None:
    """Delete FILE_ID on chain, unpin its shares and manifest, and take back its deposit."""
    with _client(network, account, nodes) as client:
        removed = client.remove(parse_file_id(file_id))
    refund = f", deposit of {removed.refunded / 10**18:g} ETH refunded" if removed.refunded else ""
    emit({"file_id": file_id, "gas": removed.gas, "refunded_wei": removed.refunded}, as_json=as_json,
         text=f"[green]deleted[/] {file_id}{refund}")
