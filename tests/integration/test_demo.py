"""The README's demo command runs end to end on its own private devnet and leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path



def test_demo_runs_and_cleans_up() -> None:
    done = subprocess.run([sys.executable, "-m", "kura", "demo", "--json"], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["chain_id"] == 31337 and report["cid"].startswith("bafkrei")
    assert {"FileRegistry", "NodeRegistry", "StorageAudits", "TaskMarket"} <= set(report["contracts"])
    assert report["register_gas"] <= 150_000 and report["rotate_gas"] <= 60_000
    assert len(report["shares_used"]) == 3
    assert "devnet_up_seconds" in report
    assert len(report["pids"]) == 7
    for pid in report["pids"]:
        assert not Path(f"/proc/{pid}").exists(), f"demo left process {pid} running"
