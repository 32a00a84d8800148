"""The gas of kura's main operations stays where ``gas-snapshot.json`` says, within ``TOLERANCE``.

A change that moves a figure must say so in review: regenerate the snapshot and commit it with the change,

    KURA_UPDATE_GAS=1 pytest tests/contracts/test_gas_snapshot.py -p no:cacheprovider

then read the diff of ``tests/contracts/gas-snapshot.json``. Every figure is rewritten, so none drifts unseen;
the auditor draw and the answers to audits may differ by a few hundred gas from one run to the next (block
hashes choose their paths), the others not at all. The figures come from ``gas_scenario.measure`` on a private
Anvil started for this test, so nothing else running on the devnet can move them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from kura.devtools.scratch import scratch_chain
from tests.contracts.gas_scenario import measure

SNAPSHOT = Path(__file__).with_name("gas-snapshot.json")
TOLERANCE = 500
"""Gas a figure may move either way before the test fails. The scenario fixes every input gas depends on but
the block hashes, which choose the order of the auditor draw's walk (137 gas per step taken one way or the
other: up to 411 for a draw of three) and the left and right turns of a Merkle proof (10 gas per level).
500 absorbs that noise and still catches any change that touches storage (a cold read is 2,100 gas, a write
at least 2,900), calls another contract (2,600 for a cold address) or emits one more event (at least 750)."""


def moved(committed: dict[str, int], measured: dict[str, int]) -> list[str]:
    """One line per operation whose gas left the tolerance, appeared or disappeared."""
    lines = [
        f"{name}: {committed[name]:,} -> {measured[name]:,} ({measured[name] - committed[name]:+,})"
        for name in committed.keys() & measured.keys()
        if abs(measured[name] - committed[name]) > TOLERANCE
    ]
    lines += [f"{name}: not measured any more" for name in committed.keys() - measured.keys()]
    lines += [f"{name}: new, {measured[name]:,}" for name in measured.keys() - committed.keys()]
    return sorted(lines)


def test_moved_lists_every_change_beyond_the_tolerance() -> None:
    committed = {"a": 50_000, "b": 30_000, "c": 1}
    measured = {"a": 50_000 + TOLERANCE, "b": 30_000 - TOLERANCE - 1, "d": 7}
    low = 30_000 - TOLERANCE - 1
    assert moved(committed, measured) == [
        f"b: 30,000 -> {low:,} ({low - 30_000:+,})",
        "c: not measured any more",
        "d: new, 7",
    ]


def test_gas_of_the_main_operations_matches_the_snapshot() -> None:
    with scratch_chain() as chain:
        measured = measure(chain)
    if os.environ.get("KURA_UPDATE_GAS") == "1":
        SNAPSHOT.write_text(json.dumps(measured, indent=2) + "\n")
    committed = json.loads(SNAPSHOT.read_text())
    changes = moved(committed, measured)
    assert not changes, f"gas moved beyond ±{TOLERANCE} (regenerate with KURA_UPDATE_GAS=1 if intended):\n" + "\n".join(
        changes
    )
