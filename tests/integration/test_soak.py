"""The soak test, short: a private devnet of 8 nodes heals itself while its daemons are killed, restarted and wiped.

Every agent and the repairer run as real processes (``kura node run``, ``kura repair run --forever``); the run
is `kura devnet soak` with two simulated days (`kura devnet soak --days N` is the long one).
"""

from __future__ import annotations

from pathlib import Path

from kura.codes.params import Scheme
from kura.devtools.soak import SoakConfig, run_soak


def test_two_days_of_kills_and_a_wipe_heal_without_anyone_typing_a_command(tmp_path: Path) -> None:
    config = SoakConfig(
        days=2,
        files=((Scheme.MSR, 3, 5, 300_000), (Scheme.RS, 2, 4, 100_000), (Scheme.SHAMIR, 2, 4, 20_000)),
        heal_timeout=240.0,
        logs=tmp_path,
    )
    report = run_soak(config)

    assert report.files_lost == 0
    assert report.honest_slashed == ()
    assert report.files_healthy == report.files == 3
    assert report.kills == 4 and report.wipes == 1
    assert set(report.slashed) <= set(report.wiped_nodes)
    assert report.healed
    if report.repairs["msr"]:
        assert 1.0 <= report.wire_ratio <= 1.05, report
