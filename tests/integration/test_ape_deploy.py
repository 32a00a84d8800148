"""`ape run deploy --network ethereum:local:foundry` deploys the kura contracts (ape starts its own anvil)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kura.paths import project_root


def test_ape_run_deploy_on_foundry(tmp_path: Path) -> None:
    root = project_root()
    ape = Path(sys.executable).parent / "ape"
    env = {**os.environ, "KURA_STATE": str(tmp_path), "PATH": f"{root / 'node_modules' / '.bin'}:{os.environ['PATH']}"}
    done = subprocess.run(
        [str(ape), "run", "deploy", "--network", "ethereum:local:foundry"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FileRegistry at 0x" in done.stdout
    assert (tmp_path / "deployments.json").read_text().count('"31337"') == 1
