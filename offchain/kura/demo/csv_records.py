"""Small synthetic CSV records for the storage and task scripts (``ape run store``, ``ape run task``)."""

from __future__ import annotations

import random


def synthetic_records(rows: int, seed: int = 7) -> bytes:
    """De-identified synthetic patient records, as CSV ``age,sex,diagnosis_code,systolic_bp,hba1c_x10``."""
    rng = random.Random(seed)
    lines = [
        f"{rng.randint(18, 90)},{rng.choice('FM')},{rng.choice(['E11', 'I10', 'J45', 'C50', 'N18'])},"
        f"{rng.randint(95, 185)},{rng.randint(48, 110)}"
        for _ in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()
