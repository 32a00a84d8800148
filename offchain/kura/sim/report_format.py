"""Markdown tables and saved figures for ``kura sim report``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def table(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table; floats are shown with four significant digits.

    Args:
        header: Column titles.
        rows: Cells, one sequence per row.

    Returns:
        The table, ending with a newline.
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell_text(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def cell_text(cell: object) -> str:
    """One table cell: floats with four significant digits, anything else as ``str``."""
    if isinstance(cell, float):
        return f"{cell:.4g}"
    return str(cell)


def save(fig: plt.Figure, out: Path, name: str) -> str:
    """Write ``fig`` as ``out/name`` (PNG) and close it.

    Returns:
        The markdown image line for the report.
    """
    fig.tight_layout()
    fig.savefig(out / name, dpi=80)
    plt.close(fig)
    return f"![{name}]({name})\n"
