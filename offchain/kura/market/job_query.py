"""The public parameters of a compute-to-data job, as the canonical bytes a buyer posts (pure code).

A job's TaskMarket input is not data: it is this document, whose keccak256 the task commits. Every approved
node reads it, builds the module's real input from the dataset it holds (:func:`kura.market.c2d.build_input`),
and runs the module; auditors read the same bytes, so they build the same input. The ε it names must be the ε
the chain debited (:func:`fixed_epsilon`), or the nodes refuse the job.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from kura.compute.tasks.dp_cohort_format import Bounds, CohortParams
from kura.errors import ComputeToDataError
from kura.market.c2d import TASK, CohortQuery
from kura.units import EPSILON_ONE

FORMAT = "kura/c2d-job/v1"
"""The ``format`` field of a job document; another value is refused."""


def fixed_epsilon(epsilon: Fraction) -> int:
    """``epsilon`` in the chain's fixed point (``EPSILON_ONE`` = 1.0).

    Raises:
        ComputeToDataError: if ``epsilon`` is not a whole number of millionths (the ledger could not debit it
            exactly).
    """
    scaled = epsilon * EPSILON_ONE
    if scaled.denominator != 1 or scaled <= 0:
        raise ComputeToDataError(
            f"epsilon {epsilon} is not a positive whole number of millionths; the chain's "
            "budget counts in millionths (use e.g. 1/4 or 0.3)"
        )
    return int(scaled)


def epsilon_of(fixed: int) -> Fraction:
    """An ε the chain holds in fixed point (``EPSILON_ONE`` = 1.0), as an exact fraction (the inverse of
    :func:`fixed_epsilon`)."""
    return Fraction(fixed, EPSILON_ONE)


def encode_query(query: CohortQuery) -> bytes:
    """The canonical document of ``query`` (sorted keys, no spaces): what the buyer posts."""
    p = query.params
    document = {
        "format": FORMAT,
        "task": TASK,
        "epsilon": [p.epsilon.numerator, p.epsilon.denominator],
        "min_count": p.min_count,
        "dominance": [p.dominance_n, p.dominance_percent],
        "weights": list(p.weights),
        "bounds": [[b.low, b.high] for b in p.bounds],
        "max_conditions": p.max_conditions,
        "age_band_years": query.age_band_years,
        "conditions": None if query.conditions is None else sorted(query.conditions),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def decode_query(data: bytes) -> CohortQuery:
    """Read a job document back.

    Raises:
        ComputeToDataError: if it is not a canonical job document of this format and task, or a parameter is
            out of range (the message names it).
    """
    try:
        raw: Any = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ComputeToDataError(f"a job document is JSON; this is not: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT or raw.get("task") != TASK:
        raise ComputeToDataError(f"not a {FORMAT} document for the {TASK} task")
    try:
        num, den = raw["epsilon"]
        dominance_n, dominance_percent = raw["dominance"]
        params = CohortParams(
            Fraction(int(num), int(den)),
            min_count=int(raw["min_count"]),
            dominance_n=int(dominance_n),
            dominance_percent=int(dominance_percent),
            weights=tuple(int(w) for w in raw["weights"]),
            bounds=tuple(Bounds(int(low), int(high)) for low, high in raw["bounds"]),
            max_conditions=int(raw["max_conditions"]),
        )
        conditions = raw["conditions"]
        query = CohortQuery(
            params, int(raw["age_band_years"]), None if conditions is None else frozenset(str(c) for c in conditions)
        )
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        if isinstance(exc, ComputeToDataError):
            raise
        raise ComputeToDataError(f"job document field missing or malformed: {exc!r}") from exc
    if encode_query(query) != data:
        raise ComputeToDataError("the job document is not canonical (sorted keys, no spaces, epsilon in lowest terms)")
    return query
