"""Storage: the institution's files (size, scheme, version, last rotation, shares healthy, lost (being repaired),
under challenge or unreachable, last audit), the nodes that hold their shares (each share's health, stake,
reputation, slashes with the reason on chain), redundancy over time, and upload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_utils import is_address

from kura.api.storage import FileInfo
from kura.dashboard.charts import Series, line_chart
from kura.dashboard.formatting import day
from kura.dashboard.pages import Page, Panel, View
from kura.storage.client.health import ShareHealth


def _files(view: View) -> list[FileInfo]:
    """The account's live files, decrypted once per request."""
    return view.memo("storage.files", lambda: [view.kura.storage.info(f.file_id) for f in view.kura.storage.ls()])


def files(view: View) -> Mapping[str, Any]:
    """Each file with its shares' health (what the chain says, whether the nodes serve them), its last audit, and
    its healthy shares over time."""
    rows = []
    series = []
    for info in _files(view):
        audits = view.kura.audits.of_file(info.file_id)
        redundancy = view.kura.storage.redundancy(info.file_id)
        rows.append({"info": info, "last_audit": audits[-1] if audits else None})
        series.append(Series(info.name, tuple((float(p.timestamp), float(p.healthy)) for p in redundancy.points)))
    chart = line_chart(
        series,
        title="Healthy shares of each file over time",
        x_format=day,
        y_format=lambda v: f"{v:.0f}",
        step=True,
        y_min=0,
        x_end=float(view.now),
    )
    return {"rows": rows, "chart": chart}


def nodes(view: View) -> Mapping[str, Any]:
    """The nodes holding shares of the account's files: the shares each holds, and its standing and slashes."""
    held: dict[str, list[ShareHealth]] = {}
    names: dict[tuple[str, int], str] = {}
    for info in _files(view):
        for share in info.shares:
            held.setdefault(share.node, []).append(share)
            names[(share.cid, share.index)] = info.name
    rows = []
    for node, shares in held.items():
        registered = is_address(node) and view.kura.nodes.is_registered(node)
        rows.append(
            {
                "node": node,
                "shares": [(names[(s.cid, s.index)], s) for s in shares],
                "standing": view.kura.nodes.status(node) if registered else None,
                "slashes": view.kura.nodes.slashes(node) if registered else [],
            }
        )
    return {"rows": rows}


def upload(view: View) -> Mapping[str, Any]:
    """The upload form."""
    return {}


PAGE = Page(
    "storage",
    "Storage",
    "Files, the nodes holding their shares, redundancy over time, upload.",
    (
        Panel("files", "Files", files),
        Panel("nodes", "Node map", nodes),
        Panel("upload", "Store a file", upload, live=False),
    ),
)
