"""``kura audit``: open and judge proof-of-storage challenges against stored shares."""

from __future__ import annotations

import typer

from kura.chain.deployments import load
from kura.chain.file_registry import FileRegistryClient
from kura.chain.share_repairs import ShareRepairsClient
from kura.chain.storage_audits import StorageAuditsClient
from kura.cli._context import JSON, NETWORK, connect
from kura.cli._output import emit
from kura.errors import StorageError
from kura.storage import sharetable
from kura.storage.client import parse_file_id
from kura.storage.registry_nodes import NodeDirectory

app = typer.Typer(help="Proof-of-storage audits: challenge a stored share, judge an unanswered challenge.",
                  no_args_is_help=True)


@app.command()
def challenge(
    file_id: str = typer.Argument(..., help="The file id (as printed by `kura store put`)."),
    index: int = typer.Option(..., "--index", min=0, max=254, help="The share to audit."),
    account: int = typer.Option(0, "--account", min=0, help="Index of the challenger's account (posts the bond)."),
    network: str | None = NETWORK,
    as_json: bool = JSON,
) -> None:
    """Challenge the holder of one share of a file enrolled for repair (anyone may; the bond is at stake)."""
    _, chain = connect(network)
    deployment = load(chain)
    raw_id = parse_file_id(file_id)
    pointer = ShareRepairsClient(chain, deployment).tables().get(raw_id)
    if pointer is None:
        raise StorageError(f"file {file_id} has no public share table: its owner must enroll it for repair first")
    root = FileRegistryClient(chain, deployment).file_of(raw_id).shares_root
    with NodeDirectory(chain, deployment).pool() as pool:
        table = sharetable.resolve(pointer.table_digest, pool, expected_root=root)
    entry = table.entry(index)
    audits = StorageAuditsClient(chain, deployment)
    receipt = audits.challenge(raw_id, index, entry.operator, entry.chunk_count, entry.merkle_root,
                               table.leaf_proof(index), challenger=chain.account(account),
                               bond=audits.params().challenge_bond)
    challenge_id = audits.challenge_id(receipt)
    record = audits.challenge_of(challenge_id)
    emit({"challenge": challenge_id, "node": entry.operator, "seed_block": record.seed_block,
          "deadline": record.deadline, "gas": int(receipt["gasUsed"])}, as_json=as_json,
         text=f"challenge {challenge_id} opened against {entry.operator} for share {index} "
              f"(seed block {record.seed_block}, {receipt['gasUsed']} gas)")


@app.command()
def timeout(
    challenge_id: int = typer.Argument(..., min=1, help="The challenge id."),
    account: int = typer.Option(0, "--account", min=0, help="Index of the account that sends the transaction."),
    network: str | None = NETWORK,
    as_json: bool = JSON,
) -> None:
    """Judge an unanswered challenge after its deadline: the node is slashed (or the challenge voided)."""
    _, chain = connect(network)
    audits = StorageAuditsClient(chain, load(chain))
    receipt = audits.claim_timeout(challenge_id, sender=chain.account(account))
    status = audits.challenge_of(challenge_id).status
    emit({"challenge": challenge_id, "status": status.name, "gas": int(receipt["gasUsed"])}, as_json=as_json,
         text=f"challenge {challenge_id}: {status.name.lower()}")
