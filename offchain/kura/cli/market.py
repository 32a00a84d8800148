"""``kura market``: list de-identified datasets, buy them with the fair key exchange, deliver, dispute, get paid,
and read the access log."""

from __future__ import annotations

from pathlib import Path

import typer

from kura.cli import market_job
from kura.cli._context import ACCOUNT, JSON, NETWORK, session
from kura.cli._output import emit
from kura.cli._records import AS_OF, PURPOSE, RECORDS, SALT_FILE, as_of, records, salt

app = typer.Typer(
    help="Data-sale agreements between member institutions: list, show, buy, deliver, fetch, dispute, withdraw, log.",
    no_args_is_help=True,
)

app.add_typer(market_job.app, name="job")

PURCHASE = typer.Argument(..., min=1, help="The purchase id printed by `kura market buy`.")


@app.command("list")
def list_dataset(
    path: Path = RECORDS,
    title: str = typer.Option(..., "--title", help="What the dataset is, in a few words (goes into the licence)."),
    price: str = typer.Option(..., "--price", help="Ether per sale."),
    bond: str = typer.Option("0", "--bond", help="Ether locked per delivery, paid to the buyer if the key is wrong."),
    max_sales: int = typer.Option(10, "--max-sales", min=1, help="How many times it can be sold."),
    buyer: list[int] = typer.Option([], "--buyer", help="Institution id allowed to buy (repeat; default: anyone)."),
    days: int = typer.Option(365, "--licence-days", min=1, help="How long the licence runs from a sale."),
    k: int = typer.Option(5, "--k", min=2, help="k-anonymity to reach."),
    l: int = typer.Option(2, "--l", min=1, help="ℓ-diversity of the diagnosis to reach."),  # noqa: E741 - ℓ
    purpose: str = PURPOSE,
    salt_file: Path | None = SALT_FILE,
    day: str | None = AS_OF,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """De-identify PATH's consenting patients, commit their consent snapshot, store the dataset and list it."""
    from kura.market.dataset import prepare_dataset
    from kura.market.licence import Licence
    from kura.market.policy import DeidPolicy

    prepared = prepare_dataset(
        records(path),
        salt=salt(salt_file),
        as_of=as_of(day),
        purpose=purpose,
        policy=DeidPolicy(k_anonymity=k, l_diversity=l),
    )
    with session(network, account) as kura:
        listed = kura.market.publish(
            prepared,
            licence=Licence(title, (purpose,), days),
            price=price,
            bond=bond,
            max_sales=max_sales,
            buyers=buyer,
        )
    emit(
        listed.to_dict(),
        as_json=as_json,
        text=f"[green]listed[/] dataset {listed.listing_id}: {listed.cohort_size} consenting patients "
        f"(snapshot {listed.consent_snapshot}), k = {listed.k}, ℓ = {listed.l}",
    )


@app.command()
def show(
    listing: int | None = typer.Argument(None, min=1, help="A listing id (default: every listing)."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Show a listing (or all): seller, price, licence, consent snapshot, k and ℓ, and whether it is sellable."""
    from kura.units import format_units

    with session(network, account) as kura:
        views = [kura.market.show(listing)] if listing else kura.market.listings()
    emit(
        [v.to_dict() for v in views],
        as_json=as_json,
        text="\n".join(
            f"{v.listing_id}: {v.licence.title!r} by {v.seller_name} (v{v.version}), "
            f"{format_units(v.terms.price)} ETH, "
            f"k = {v.terms.k_anonymity}, ℓ = {v.terms.l_diversity}, {v.terms.cohort_size} patients, "
            f"{v.sales}/{v.terms.max_sales} sold"
            + (", closed" if v.closed else "" if v.consent_current else ", consent revoked since: not for sale")
            for v in views
        )
        or "no listings",
    )


@app.command()
def buy(
    listing: int = typer.Argument(..., min=1, help="The listing id."),
    purpose: str = PURPOSE,
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Buy the current version of LISTING at its current price (escrowed until delivery and the dispute window)."""
    with session(network, account) as kura:
        bought = kura.market.buy(listing, purpose=purpose)
    emit(
        bought.to_dict(),
        as_json=as_json,
        text=f"[green]bought[/] listing {listing} v{bought.version}: purchase {bought.purchase_id}, delivery due by "
        f"{bought.deliver_by}",
    )


@app.command()
def deliver(
    purchases: list[int] = typer.Argument(None, help="Purchase ids (default: every one waiting)."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Deliver the dataset key of paid purchases, sealed to each buyer's purchase key."""
    with session(network, account) as kura:
        done = [kura.market.deliver(p) for p in purchases] if purchases else kura.market.deliver_all()
    emit(
        [d.to_dict() for d in done],
        as_json=as_json,
        text="\n".join(f"[green]delivered[/] purchase {d.purchase_id} to institution {d.buyer}" for d in done)
        or "nothing to deliver",
    )


@app.command()
def fetch(
    purchase: int = PURCHASE,
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the dataset (table, certificate)."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """Open PURCHASE's delivered key, fetch and decrypt the dataset, and check it against its certificate."""
    with session(network, account) as kura:
        fetched = kura.market.fetch(purchase, output)
    emit(
        fetched.to_dict(),
        as_json=as_json,
        text=f"[green]wrote[/] {output}: {fetched.rows} rows, k = {fetched.k}, ℓ = {fetched.l} (key and certificate "
        "checked)",
    )


@app.command()
def dispute(
    purchase: int = PURCHASE, network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON
) -> None:
    """Prove that PURCHASE delivered a wrong key: price and the seller's bond come back."""
    with session(network, account) as kura:
        kura.market.dispute(purchase)
    emit(
        {"purchase_id": purchase, "disputed": True},
        as_json=as_json,
        text=f"[green]refunded[/] purchase {purchase} (wrong key proven)",
    )


@app.command()
def reclaim(
    purchase: int = PURCHASE, network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON
) -> None:
    """Take back the price of a purchase the seller did not deliver in time."""
    with session(network, account) as kura:
        kura.market.reclaim(purchase)
    emit({"purchase_id": purchase, "reclaimed": True}, as_json=as_json, text=f"[green]reclaimed[/] purchase {purchase}")


@app.command()
def release(
    purchase: int = PURCHASE, network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON
) -> None:
    """Make a delivered sale final after its dispute window: the seller is paid."""
    with session(network, account) as kura:
        kura.market.release(purchase)
    emit({"purchase_id": purchase, "released": True}, as_json=as_json, text=f"[green]released[/] purchase {purchase}")


@app.command()
def withdraw(network: str | None = NETWORK, account: int = ACCOUNT, as_json: bool = JSON) -> None:
    """Withdraw what the market owes this account (sale proceeds, refunds, bonds)."""
    from kura.units import format_units

    with session(network, account) as kura:
        sent = kura.market.withdraw()
    emit(
        {"withdrawn": sent},
        as_json=as_json,
        text=f"[green]withdrew[/] {format_units(sent)} ETH" if sent else "nothing to withdraw",
    )


@app.command()
def log(
    csv: bool = typer.Option(False, "--csv", help="Print the log as CSV."),
    network: str | None = NETWORK,
    account: int = ACCOUNT,
    as_json: bool = JSON,
) -> None:
    """The access log, rebuilt from chain events: who bought which dataset version, for what, under which licence
    and consent snapshot, and how each sale ended."""
    from kura.units import format_units

    with session(network, account) as kura:
        if csv:
            typer.echo(kura.market.log_csv(), nl=False)
            return
        entries = kura.market.log()
    emit(
        entries,
        as_json=as_json,
        text="\n".join(
            f"purchase {e.purchase_id}: institution {e.buyer} bought listing {e.listing_id} v{e.version} from "
            f"{e.seller} for {format_units(e.price)} ETH under consent snapshot {e.consent_snapshot}: {e.state.name}"
            for e in entries
        )
        or "no purchases",
    )
