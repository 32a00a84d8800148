"""Consent: the institution's consent snapshots per purpose, how many records each listing may use now, and the
revocations with the listings they made unsellable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kura.dashboard.pages import Page, Panel, View


def snapshots(view: View) -> Mapping[str, Any]:
    """Every snapshot the institution committed, grouped by purpose, each marked current or stale."""
    if view.me is None:
        return {"member": False}
    me = view.me.institution_id
    consent = view.kura.contracts.consent
    groups: dict[str, list[dict[str, Any]]] = {}
    for snapshot in view.kura.consent.snapshots(me):
        current = consent.is_current(me, snapshot.purpose, snapshot.snapshot_id)
        groups.setdefault(view.purpose(snapshot.purpose), []).append({"snapshot": snapshot, "current": current})
    return {"member": True, "groups": groups}


def coverage(view: View) -> Mapping[str, Any]:
    """For each listing of the institution: its snapshot and the records it may use now."""
    if view.me is None:
        return {"member": False}
    return {"member": True, "rows": view.kura.consent.coverage(view.me.institution_id)}


def revocations(view: View) -> Mapping[str, Any]:
    """Every revocation at the institution."""
    if view.me is None:
        return {"member": False}
    return {"member": True, "rows": view.kura.consent.revocations(view.me.institution_id)}


def revoke(view: View) -> Mapping[str, Any]:
    """The form to record a patient's revocation."""
    return {"member": view.me is not None, "purposes": view.settings.purposes}


PAGE = Page(
    "consent",
    "Consent",
    "Consent snapshots, coverage of each listing, and revocations.",
    (
        Panel("snapshots", "Consent snapshots", snapshots),
        Panel("coverage", "Coverage of each listing", coverage),
        Panel("revocations", "Revocations", revocations),
        Panel("revoke", "Record a revocation", revoke, live=False),
    ),
)
