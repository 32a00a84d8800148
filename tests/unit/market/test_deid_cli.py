"""``kura deid`` end to end as a user runs it: synthetic records, de-identification, the check, and refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def kura(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kura", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_synth_apply_check_and_a_tampered_table(tmp_path: Path) -> None:
    bundle, table, cert = tmp_path / "records.json", tmp_path / "table.csv", tmp_path / "cert.json"
    made = kura("deid", "synth", "-o", str(bundle), "--patients", "400", "--seed", "3", "--as-of", "2025-01-01")
    assert made.returncode == 0, made.stderr

    applied = kura("deid", "apply", str(bundle), "-o", str(table), "-c", str(cert), "--as-of", "2025-01-01", "--json")
    assert applied.returncode == 0, applied.stderr
    report = json.loads(applied.stdout)
    assert report["k"] >= 5 and report["l"] >= 2 and report["records_in"] == 400

    checked = kura("deid", "check", str(table), str(cert), "--json")
    assert checked.returncode == 0 and json.loads(checked.stdout)["ok"] is True

    lines = table.read_text().splitlines()
    table.write_text("\n".join([lines[0], *lines[2:]]) + "\n")
    tampered = kura("deid", "check", str(table), str(cert))
    assert tampered.returncode == 1 and tampered.stderr.startswith("error: ") and "Traceback" not in tampered.stderr


def test_an_unreachable_k_is_refused_with_the_small_classes(tmp_path: Path) -> None:
    bundle = tmp_path / "records.json"
    assert kura("deid", "synth", "-o", str(bundle), "--patients", "30", "--seed", "3").returncode == 0
    refused = kura(
        "deid", "apply", str(bundle), "-o", str(tmp_path / "t.csv"), "-c", str(tmp_path / "c.json"), "--k", "25"
    )
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "k" in refused.stderr and not (tmp_path / "t.csv").exists()
