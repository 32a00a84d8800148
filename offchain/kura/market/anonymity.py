"""k-anonymity and distinct l-diversity: measuring a table, and finding the least generalisation that reaches them.

An *equivalence class* is the set of rows that share every quasi-identifier
value. A table is *k-anonymous* when every class has at least ``k`` rows, and
*(distinct) l-diverse* when every class holds at least ``l`` different values of
the sensitive attribute. :func:`measure` reads both off any table (it is the
buyer's check); :func:`search` picks a level for each quasi-identifier.

The search is exhaustive over the lattice of level vectors the policy allows
(at most 5 × 2 × 3 × 5 = 150 nodes here, each one pass over the rows), so the
answer is the true optimum of the cost, not a heuristic's. At each node the
rows of classes that are too small or not diverse enough may be suppressed,
up to the allowed count; removing whole classes leaves the others as they
were, so what remains is k-anonymous and l-diverse. The cost is the share of
quasi-identifier cells lost (Sweeney's precision loss): a cell at level ``h``
of a hierarchy with top ``H`` loses ``h / H``, a suppressed row loses all its
cells. Ties go to fewer suppressed rows, then to the lexicographically lowest
level vector.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from kura.errors import AnonymityError, DeidentificationError
from kura.market.hierarchy import Hierarchy
from kura.market.table import DeidTable

ClassKey = tuple[str, ...]


@dataclass(frozen=True)
class EquivalenceClass:
    """One combination of quasi-identifier values, with how many rows and sensitive values it has."""

    values: ClassKey
    size: int
    distinct: int


@dataclass(frozen=True)
class Anonymity:
    """What a table achieves: its smallest class size and its least diverse class.

    Attributes:
        k: The size of the smallest equivalence class (0 for an empty table).
        l: The fewest distinct sensitive values in a class (0 for an empty table).
        classes: Every class, largest first.
    """

    k: int
    l: int  # noqa: E741 - ℓ of ℓ-diversity, named as in the papers
    classes: tuple[EquivalenceClass, ...]


def _classes(keys: Sequence[ClassKey], sensitive: Sequence[str]) -> list[EquivalenceClass]:
    sizes = Counter(keys)
    distinct = Counter(key for key, _ in set(zip(keys, sensitive, strict=True)))
    return [EquivalenceClass(key, size, distinct[key]) for key, size in sizes.items()]


def measure(table: DeidTable, quasi_identifiers: Sequence[str], sensitive: str) -> Anonymity:
    """The k and l a table achieves over the given columns.

    Raises:
        CertificateError: if a named column is missing.
    """
    if quasi_identifiers:
        keys: list[ClassKey] = list(zip(*(table.column(name) for name in quasi_identifiers), strict=True))
    else:
        keys = [()] * len(table.rows)
    classes = sorted(_classes(keys, table.column(sensitive)), key=lambda c: (-c.size, c.values))
    if not classes:
        return Anonymity(0, 0, ())
    return Anonymity(min(c.size for c in classes), min(c.distinct for c in classes), tuple(classes))


@dataclass(frozen=True)
class Solution:
    """The level vector :func:`search` chose and what it gives.

    Attributes:
        levels: One level per quasi-identifier, in hierarchy order.
        keep: For each input row, whether it stays (False: suppressed).
        generalised: Each input row's quasi-identifier values at ``levels``.
        suppressed: How many rows were suppressed.
        loss: The share of quasi-identifier cells lost, 0 to 1.
    """

    levels: tuple[int, ...]
    keep: tuple[bool, ...]
    generalised: tuple[ClassKey, ...]
    suppressed: int
    loss: float


def search(
    values: Sequence[Sequence[str]],
    sensitive: Sequence[str],
    hierarchies: Sequence[Hierarchy],
    caps: Sequence[int],
    k: int,
    l: int,  # noqa: E741 - ℓ of ℓ-diversity, named as in the papers
    max_suppressed: int,
) -> Solution:
    """The least costly generalisation that makes the rows k-anonymous and l-diverse.

    Args:
        values: Per row, its level-0 quasi-identifier values in hierarchy order.
        sensitive: Per row, its sensitive value.
        hierarchies: One per quasi-identifier.
        caps: The most general level allowed for each quasi-identifier.
        k: Smallest class size wanted.
        l: Fewest distinct sensitive values per class wanted.
        max_suppressed: How many rows may be dropped.

    Returns:
        The chosen levels, which rows stay, and their generalised values.

    Raises:
        AnonymityError: if no allowed level vector works within the suppression limit; it lists
            the classes that stay too small or too uniform at the most general allowed levels.
        DeidentificationError: if there are no rows.
    """
    if not values:
        raise DeidentificationError("there are no records to de-identify")
    columns = list(zip(*values, strict=True))
    cache: dict[tuple[int, int], tuple[str, ...]] = {}

    def column_at(index: int, level: int) -> tuple[str, ...]:
        if (index, level) not in cache:
            mapping = {v: hierarchies[index].generalise(v, level) for v in set(columns[index])}
            cache[index, level] = tuple(mapping[v] for v in columns[index])
        return cache[index, level]

    best: tuple[float, int, tuple[int, ...]] | None = None
    for levels in itertools.product(*(range(cap + 1) for cap in caps)):
        keys = list(zip(*(column_at(i, level) for i, level in enumerate(levels)), strict=True))
        failing = [c for c in _classes(keys, sensitive) if c.size < k or c.distinct < l]
        suppressed = sum(c.size for c in failing)
        if suppressed > max_suppressed:
            continue
        kept_loss = sum(level / h.top for level, h in zip(levels, hierarchies, strict=True)) * (len(keys) - suppressed)
        loss = (kept_loss + suppressed * len(hierarchies)) / (len(keys) * len(hierarchies))
        if best is None or (loss, suppressed, levels) < best:
            best = (loss, suppressed, levels)
    if best is None:
        at_caps = list(zip(*(column_at(i, cap) for i, cap in enumerate(caps)), strict=True))
        raise _refusal(at_caps, sensitive, hierarchies, k, l)
    loss, suppressed, levels = best
    keys = list(zip(*(column_at(i, level) for i, level in enumerate(levels)), strict=True))
    failing_keys = {c.values for c in _classes(keys, sensitive) if c.size < k or c.distinct < l}
    keep = tuple(key not in failing_keys for key in keys)
    return Solution(tuple(levels), keep, tuple(keys), suppressed, loss)


def _refusal(
    keys: list[ClassKey],
    sensitive: Sequence[str],
    hierarchies: Sequence[Hierarchy],
    k: int,
    l: int,  # noqa: E741 - ℓ of ℓ-diversity, named as in the papers
) -> AnonymityError:
    failing = sorted(
        (c for c in _classes(keys, sensitive) if c.size < k or c.distinct < l), key=lambda c: (c.size, c.values)
    )
    names = ", ".join(h.column for h in hierarchies)
    shown = "; ".join(f"({', '.join(c.values)}): {c.size} rows, {c.distinct} distinct" for c in failing[:10])
    more = f" and {len(failing) - 10} more" if len(failing) > 10 else ""
    return AnonymityError(
        f"cannot reach k={k} and l={l}: even at the most general levels the policy allows, {len(failing)} "
        f"equivalence classes over ({names}) are too small or too uniform: {shown}{more}. Allow more "
        "generalisation or suppression, or de-identify more records together",
        tuple((c.values, c.size, c.distinct) for c in failing),
    )
