"""Compute: the jobs this account posted (module, auditors drawn and their credibility, outcome, result), the
compute-to-data jobs bought over the institution's listings or by it (module, ε spent, reference), and the
institution's nodes — the account itself if it runs one, and the nodes it approved for its listings — with their
roles and credibility."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kura.api.compute_access import compute_accesses
from kura.dashboard.pages import Page, Panel, View
from kura.dashboard.pages.market import listings_of


def jobs(view: View) -> Mapping[str, Any]:
    """The tasks this account posted, newest first, with each drawn auditor's credibility."""
    if "TaskMarket" not in view.kura.deployment.contracts:
        return {"offered": False}
    reports = list(reversed(view.kura.tasks.posted()))
    drawn = {node for report in reports for node in report.auditors_drawn}
    credibility = {node: view.kura.contracts.tasks.credibility_of(node) for node in drawn}
    return {"offered": True, "rows": reports, "credibility": credibility}


def access(view: View) -> Mapping[str, Any]:
    """Compute-to-data jobs bought over the institution's listings or by it: jobs bought, each job the compute
    market accepted (module, ε spent, the job's reference), jobs refunded and left."""
    if view.me is None:
        return {"member": False}
    rows = compute_accesses(view.kura, view.me.institution_id)
    return {"member": True, "rows": rows, "me": view.me.institution_id}


def nodes(view: View) -> Mapping[str, Any]:
    """The institution's nodes: this account if registered, and every node approved for one of its listings."""
    kura = view.kura
    mine: dict[str, list[int]] = {}
    if kura.nodes.is_registered():
        mine[kura.address] = []
    if view.me is not None:
        for listing in listings_of(view):
            if listing.seller == view.me.institution_id:
                for node in kura.contracts.market.approved_nodes(listing.listing_id):
                    mine.setdefault(node, []).append(listing.listing_id)
    rows = [
        {
            "node": node,
            "listings": listings,
            "standing": kura.nodes.status(node) if kura.nodes.is_registered(node) else None,
        }
        for node, listings in mine.items()
    ]
    return {"rows": rows}


PAGE = Page(
    "compute",
    "Compute",
    "Jobs this account posted and the institution's nodes.",
    (
        Panel("jobs", "Jobs", jobs),
        Panel("access", "Compute-to-data over listings", access),
        Panel("nodes", "The institution's nodes", nodes),
    ),
)
