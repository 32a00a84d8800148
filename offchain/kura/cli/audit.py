"""``kura audit``: open and judge proof-of-storage challenges against stored shares."""

from __future__ import annotations

import typer

from kura.cli._context import ACCOUNT, JSON, NETWORK, session
from kura.cli._output import emit

app = typer.Typer(
    help="Proof-of-storage audits: challenge a stored share, judge an unanswered challenge.", no_args_is_help=True
)

CHALLENGE_ID = typer.Argument(..., min=1, help="The challenge id.")


@app.command()
def challenge(
    file_id: str = typer.Argument(..., help="The file id (as printed by `kura store put`)."),
    index: int = typer.Option(..., "--index", min=0, max=254, help="The share to audit."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Challenge the holder of one share of an enrolled file (anyone may; the bond is at stake)."""
    with session(network, account) as kura:
        opened = kura.audits.challenge(file_id, index)
        record = kura.audits.status(opened.challenge_id).challenge
    emit(
        opened.to_dict() | {"seed_block": record.seed_block, "deadline": record.deadline},
        as_json=as_json,
        text=f"challenge {opened.challenge_id} opened against {opened.node} for share {index} "
        f"(seed block {record.seed_block}, {opened.gas} gas)",
    )


@app.command()
def timeout(
    challenge_id: int = CHALLENGE_ID, network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON
) -> None:
    """Judge an unanswered challenge after its deadline: the node is slashed (or the challenge voided)."""
    with session(network, account) as kura:
        judged = kura.audits.timeout(challenge_id)
    emit(judged.to_dict(), as_json=as_json, text=f"challenge {challenge_id}: {judged.status.lower()}")


@app.command()
def status(
    challenge_id: int = CHALLENGE_ID, network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON
) -> None:
    """Show a challenge: the node, the share, its phase (waiting, answerable, claimable, passed, failed, voided),
    the seed block and the time left."""
    with session(network, account) as kura:
        state = kura.audits.status(challenge_id)
    record = state.challenge
    hint = {"claimable": f" — anyone may claim the timeout: `kura audit timeout {challenge_id}`"}.get(state.phase, "")
    left = f", {state.seconds_left}s left to answer" if state.seconds_left and record.status.name == "OPEN" else ""
    emit(
        state.to_dict(),
        as_json=as_json,
        text=f"challenge {challenge_id}: {state.phase}{hint}\n  node {record.node}, share {record.index} of "
        f"{record.file_id.hex()[:16]}…, seed block {record.seed_block}, deadline {record.deadline}{left}",
    )
