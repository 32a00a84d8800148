"""Market: what the institution sells and buys — listings with their licence, consent snapshot, certificate and
privacy budget; purchases with the escrow's state and deadlines; payouts waiting; the access log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kura.api.market import EscrowPhase, ListingView
from kura.chain.data_market import AccessLogEntry
from kura.dashboard.charts import Bar, Series, bar_chart, line_chart
from kura.dashboard.formatting import day, epsilon
from kura.dashboard.pages import Page, Panel, View
from kura.units import format_units


def log_of(view: View) -> list[AccessLogEntry]:
    """The access log, read once per request."""
    return view.memo("market.log", view.kura.market.log)


def listings_of(view: View) -> list[ListingView]:
    """Every listing, read once per request."""
    return view.memo("market.listings", view.kura.market.listings)


def payouts(view: View) -> Mapping[str, Any]:
    """What the market owes this account, and the sales made final so far (as a chart of cumulative proceeds)."""
    if view.me is None:
        return {"member": False}
    proceeds = view.kura.market.proceeds(log_of(view))
    total = 0
    points = [(float(proceeds[0].timestamp), 0.0)] if proceeds else []
    for sale in proceeds:
        total += sale.price
        points.append((float(sale.timestamp), float(total)))
    chart = line_chart(
        [Series("earned", tuple(points))],
        title="Earnings from sales made final (ETH, cumulative)",
        x_format=day,
        y_format=lambda wei: format_units(int(wei)),
        step=True,
        y_min=0,
        x_end=float(view.now),
    )
    return {"member": True, "owed": view.kura.market.owed(), "proceeds": proceeds, "total": total, "chart": chart}


def listings(view: View) -> Mapping[str, Any]:
    """Every listing, with its privacy budget, and whether to offer this institution to buy it (a member, not the
    seller, the consent snapshot current, not closed or sold out, and not bought already: the chain has the last
    word when the purchase is sent)."""
    listed = listings_of(view)
    budgets = {listing.listing_id: view.kura.market.privacy_budget(listing.listing_id) for listing in listed}
    me = view.me.institution_id if view.me else 0
    bars = [
        Bar(f"listing {b.listing_id}", b.spent, b.terms.dataset_epsilon)
        for b in budgets.values()
        if b.terms.dataset_epsilon
    ]
    chart = bar_chart(
        bars,
        title="Differential-privacy budget of each listing (ε)",
        part_name="spent",
        rest_name="left",
        fmt=lambda fixed: epsilon(int(fixed)),
    )
    market = view.kura.contracts.market
    rows = [
        {
            "view": listing,
            "budget": budgets[listing.listing_id],
            "mine": listing.seller == me,
            "buyable": bool(me)
            and listing.seller != me
            and listing.consent_current
            and not listing.closed
            and listing.sales < listing.terms.max_sales
            and not market.purchase_id_of(listing.listing_id, listing.version, me),
        }
        for listing in listed
    ]
    return {"rows": rows, "chart": chart, "member": bool(me)}


def purchases(view: View) -> Mapping[str, Any]:
    """The purchases this institution made or sold, with the escrow's phase and the next deadline."""
    if view.me is None:
        return {"member": False}
    bought = view.kura.market.purchases(log_of(view))
    counts = {phase: sum(1 for p in bought if p.phase is phase) for phase in EscrowPhase}
    return {"member": True, "rows": bought, "counts": counts, "now": view.now}


def access_log(view: View) -> Mapping[str, Any]:
    """Every sale on the market, rebuilt from its events."""
    return {"entries": log_of(view)}


def sell(view: View) -> Mapping[str, Any]:
    """The form to list records for sale."""
    return {"member": view.me is not None, "salt": bool(view.settings.salt)}


PAGE = Page(
    "market",
    "Market",
    "Listings, purchases and their escrow, payouts and the access log.",
    (
        Panel("payouts", "Payouts", payouts),
        Panel("listings", "Listings", listings),
        Panel("purchases", "Purchases", purchases),
        Panel("log", "Access log", access_log),
        Panel("sell", "List records for sale", sell, live=False),
    ),
)
