"""``kura institution``: the consortium of member institutions — apply, vote, show."""

from __future__ import annotations

import typer

from kura.cli._context import ACCOUNT, JSON, NETWORK, session
from kura.cli._output import emit

app = typer.Typer(
    help="Member institutions: apply for membership, vote on motions, show a member.", no_args_is_help=True
)


@app.command()
def apply(
    name: str = typer.Argument(..., help="The institution's name."),
    payout: str | None = typer.Option(None, "--payout", help="Address payments go to (default: the account)."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Apply for membership with the --account's key; the members admit by majority vote."""
    with session(network, account) as kura:
        applied = kura.market.apply(name, payout=payout)
    emit(
        applied.to_dict(),
        as_json=as_json,
        text=f"[green]applied[/] as institution {applied.institution_id}: members vote on motion {applied.motion_id} "
        f"(`kura institution approve {applied.motion_id}`)",
    )


@app.command()
def approve(
    motion: int = typer.Argument(..., min=1, help="The motion id."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Vote for a motion (admission, expulsion, policy) as a member."""
    with session(network, account) as kura:
        kura.market.approve(motion)
        state = kura.contracts.institutions.motion_of(motion)
    emit(state, as_json=as_json, text=f"[green]approved[/] motion {motion}")


@app.command()
def show(
    institution: int | None = typer.Argument(None, min=1, help="Institution id (default: the --account's)."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Show a member institution: name, standing, account, payout and sealing key."""
    with session(network, account) as kura:
        member = kura.market.institution(institution) if institution else kura.market.me()
    emit(
        member,
        as_json=as_json,
        text=f"{member.institution_id}: {member.name} ({member.standing.name.lower()}), account {member.account}, "
        f"payout {member.payout}",
    )
