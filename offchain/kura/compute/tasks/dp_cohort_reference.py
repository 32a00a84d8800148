"""Plain-Python reference of ``dp_cohort_aggregate``: the same output bytes for the same input.

The definition (privacy argument, suppression rules, rounding) is in the header of
``dp_cohort_aggregate.wat``; this is a second, independent implementation of it, written for
clarity, with the noise from :mod:`kura.compute.tasks.dp_noise`. Tests compare the two on random
inputs, seeds, epsilons and bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kura.compute.tasks.dp_cohort_format import (
    MEAN_FACTOR,
    MEASURES,
    NO_CONDITION,
    OUTPUT_CAP,
    OUTPUT_SCHEMA,
    SEXES,
    STATISTICS,
    CohortParams,
    CohortRecord,
    decode_input,
)
from kura.compute.tasks.dp_noise import ExactSampler
from kura.compute.tasks.reference import canonical_json
from kura.errors import ComputeToDataError

CellKey = tuple[int, int, int, str]
"""(age_min, age_max, sex code, condition); ``"none"`` is spelled ``""`` here so that it sorts first."""


@dataclass
class _Cell:
    """True totals of one cell: its patients, and per measure the measured ones, the centred sum and contributions."""

    count: int = 0
    measured: list[int] = field(default_factory=lambda: [0] * len(MEASURES))
    sums: list[int] = field(default_factory=lambda: [0] * len(MEASURES))
    contributions: list[list[int]] = field(default_factory=lambda: [[] for _ in MEASURES])

    def add(self, record: CohortRecord, params: CohortParams) -> None:
        """Count one patient, with each measurement clamped to its bounds."""
        self.count += 1
        for m, (value, bounds) in enumerate(zip(record.values, params.bounds, strict=True)):
            if value is None:
                continue
            clamped = min(max(value, bounds.low), bounds.high)
            self.measured[m] += 1
            self.sums[m] += clamped - bounds.center
            self.contributions[m].append(clamped - bounds.low)


def _cells(records: tuple[CohortRecord, ...], params: CohortParams) -> dict[CellKey, _Cell]:
    cells: dict[CellKey, _Cell] = {}
    for record in records:
        sex = SEXES.index(record.sex)
        for condition in record.conditions or ("",):
            cells.setdefault((record.age_min, record.age_max, sex, condition), _Cell()).add(record, params)
    return cells


def _measure(cell: _Cell, m: int, noise_n: int, noise_sum: int, params: CohortParams) -> dict[str, int] | None:
    """The released mean and measured count of measure ``m``, or None when it is withheld."""
    bounds = params.bounds[m]
    measured = cell.measured[m]
    noisy_n = measured + noise_n
    top = sum(sorted(cell.contributions[m], reverse=True)[: params.dominance_n])
    total = cell.sums[m] + measured * (bounds.center - bounds.low)
    if measured < params.min_count or noisy_n < params.min_count or 100 * top > params.dominance_percent * total:
        return None
    low, high = (bounds.low - bounds.center) * noisy_n, (bounds.high - bounds.center) * noisy_n
    noisy_sum = min(max(cell.sums[m] + noise_sum, low), high)
    factor = MEAN_FACTOR[m]
    return {"mean_x100": factor * bounds.center + (2 * factor * noisy_sum + noisy_n) // (2 * noisy_n), "n": noisy_n}


def dp_cohort_aggregate(data: bytes) -> bytes:
    """The noisy, disclosure-controlled aggregate of a ``dp_cohort_aggregate`` input.

    Raises:
        ComputeToDataError: where the module traps: an input :func:`decode_input` refuses, or an
            output over :data:`OUTPUT_CAP` bytes.
    """
    job = decode_input(data)
    params = job.params
    cells = _cells(job.records, params)
    sampler = ExactSampler(job.seed)
    released: list[dict[str, object]] = []
    suppressed_cells = suppressed_measures = 0
    for key in sorted(cells):
        cell = cells[key]
        if cell.count < params.min_count:
            suppressed_cells += 1
            continue
        noise = [sampler.discrete_laplace(*params.scale(i)) for i in range(len(STATISTICS))]
        count = cell.count + noise[0]
        if count < params.min_count:
            suppressed_cells += 1
            continue
        age_min, age_max, sex, condition = key
        entry: dict[str, object] = {
            "age_max": age_max,
            "age_min": age_min,
            "condition": condition or NO_CONDITION,
            "count": count,
            "sex": SEXES[sex],
        }
        for m, name in enumerate(MEASURES):
            entry[name] = _measure(cell, m, noise[1 + 2 * m], noise[2 + 2 * m], params)
            suppressed_measures += entry[name] is None
        released.append(entry)
    output = canonical_json(
        {
            "cells": released,
            "epsilon_den": params.epsilon.denominator,
            "epsilon_num": params.epsilon.numerator,
            "min_count": params.min_count,
            "schema": OUTPUT_SCHEMA,
            "suppressed_cells": suppressed_cells,
            "suppressed_measures": suppressed_measures,
        }
    )
    if len(output) > OUTPUT_CAP:
        raise ComputeToDataError(f"the output would be {len(output)} bytes, over the cap of {OUTPUT_CAP}")
    return output
