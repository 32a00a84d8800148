"""The README's demo command runs the whole story on its own private devnet, reports what the chain says happened,
and leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_demo_tells_the_whole_story_from_the_chain_and_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "kura", "demo", "--json", "--patients", "1000", "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout)

    assert all(x["k"] >= 5 and x["l"] >= 2 and 0 < x["consenting"] < 1000 for x in facts["listings"])
    assert facts["sale"]["rows"] > 0 and (out / facts["sale"]["file"]).stat().st_size > 0
    first, second = facts["jobs"]
    assert first["penalised"] == ["lying compute node"] and not first["worker_paid"] and first["refund"] >= 10**16
    assert second["worker"] == "honest compute node" and second["worker_paid"]
    assert first["refund"] - second["refund"] == 10**16  # the lying worker's reward came back, the honest one's not
    assert first["suppressed"] > 0 and second["suppressed"] > 0  # small cells never leave the nodes
    assert facts["slash"]["reason"] == "COMPUTE_WRONG_RESULT" and facts["slash"]["role"] == "STRAY"
    assert facts["slash"]["slashed"] > 0
    assert facts["refusals"] == {"unapproved_module": "ModuleNotApproved", "over_budget": "PrivacyBudgetExceeded"}

    revocation, effect = facts["revocation"], facts["consent_effect"]
    assert revocation["stale_job_refused"] == "ConsentNotCurrent"
    assert revocation["cohort_after"] == revocation["cohort_before"] - 1
    assert f"job {first['job_id']}" in effect["included_in"] and f"job {second['job_id']}" not in effect["included_in"]
    assert effect["true_after"] == effect["true_before"] - 1
    assert facts["budget"]["buyer_spent"] == "4" and facts["budget"]["dataset_left"] == "6"
    assert facts["job_payments"] == 2 * 2 * 10**16  # two jobs accepted at 0.02 ETH (the refused ones cost nothing)

    repair = facts["repair"]
    assert repair["repairs"] and repair["slashed_wei"] > 0 and repair["seconds"] > 0

    report = (out / "report.md").read_text()
    for heading in (
        "Access log",
        "Compute-to-data jobs",
        "Consent effect",
        "Differential-privacy budget",
        "Repair",
        "The lying compute node",
        "Gas and time per step",
        "Balances",
    ):
        assert f"## {heading}" in report
    assert f"| {facts['sale']['purchase_id']} | {facts['sale']['listing_id']} | 1 |" in report
    assert "RELEASED" in report and repair["killed"] in report
    charts = sorted(out.glob("*.png"))
    assert len(charts) == 2 and all(chart.read_bytes().startswith(PNG) for chart in charts)
    for pid in facts["pids"]:
        assert not Path(f"/proc/{pid}").exists(), f"demo left process {pid} running"
