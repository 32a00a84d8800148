"""PNG charts of a compute-to-data result (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from kura.market.c2d import OPEN_END, CohortCell, CohortResult


def _band(cell: CohortCell) -> str:
    return f"{cell.age_min}+" if cell.age_max == OPEN_END else f"{cell.age_min}-{cell.age_max}"


def hba1c_chart(result: CohortResult, path: Path, title: str) -> Path:
    """Noisy mean HbA1c (%) by age band, one bar per sex, for each condition; returns ``path``."""
    conditions = sorted({c.condition for c in result.cells})
    figure, axes = plt.subplots(1, len(conditions), figsize=(5 * len(conditions), 4), sharey=True, squeeze=False)
    for axis, condition in zip(axes[0], conditions, strict=True):
        measured = [(c, c.hba1c) for c in result.cells if c.condition == condition and c.hba1c is not None]
        bands = sorted({(c.age_min, _band(c)) for c, _ in measured})
        if not bands:
            axis.text(
                0.5,
                0.5,
                "every HbA1c mean withheld\n(too few patients or dominated)",
                ha="center",
                va="center",
                transform=axis.transAxes,
            )
        for offset, sex, colour in ((-0.2, "female", "tab:red"), (0.2, "male", "tab:blue")):
            xs = [
                i + offset for i, (low, _) in enumerate(bands) for c, _ in measured if (c.sex, c.age_min) == (sex, low)
            ]
            ys = [m.mean_x100 / 100 for low, _ in bands for c, m in measured if (c.sex, c.age_min) == (sex, low)]
            axis.bar(xs, ys, width=0.4, label=sex, color=colour)
        axis.set_xticks(range(len(bands)), [label for _, label in bands], rotation=45)
        axis.set_title(f"condition {condition}")
        axis.set_xlabel("age band")
    axes[0][0].set_ylabel("mean HbA1c (%), with DP noise")
    axes[0][0].legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def count_chart(result: CohortResult, path: Path, title: str) -> Path:
    """Released noisy patient counts by age band and condition (suppressed cells are absent); returns ``path``."""
    conditions = sorted({c.condition for c in result.cells})
    bands = sorted({(c.age_min, _band(c)) for c in result.cells})
    figure, axis = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(1, len(conditions))
    for n, condition in enumerate(conditions):
        totals = [
            sum(c.count for c in result.cells if c.condition == condition and c.age_min == low) for low, _ in bands
        ]
        axis.bar([i + n * width for i in range(len(bands))], totals, width=width, label=condition)
    axis.set_xticks([i + 0.4 - width / 2 for i in range(len(bands))], [label for _, label in bands], rotation=45)
    axis.set_ylabel("patients (noisy, both sexes)")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
