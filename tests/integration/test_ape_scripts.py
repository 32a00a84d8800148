"""The ``ape run`` scripts on ``--network ethereum:local:foundry``: deploy, store put/get, task submit/status on the
devnet's anvil (ape-foundry attaches to it through APE_FOUNDRY_HOST), and the demo on an anvil ape starts itself.
IPFS is the devnet's Kubo nodes (KURA_IPFS_APIS); each run has its own deployments file (KURA_STATE)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kura.chain.deploy import CONTRACTS
from kura.demo import synthetic_records
from kura.devnet.state import DevnetState
from kura.paths import project_root

APE = Path(sys.executable).parent / "ape"
Run = Callable[..., subprocess.CompletedProcess[str]]


def _runner(env: dict[str, str]) -> Run:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(APE), "run", *args, "--network", "ethereum:local:foundry"],
            cwd=project_root(),
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    return run


def _env(devnet: DevnetState, state: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KURA_STATE": str(state),
        "KURA_IPFS_APIS": ",".join(k.api_url for k in devnet.kubo),
        "PATH": f"{project_root() / 'node_modules' / '.bin'}:{os.environ['PATH']}",
    }


@pytest.fixture
def on_devnet_chain(devnet: DevnetState, tmp_path: Path) -> Run:
    """``ape run SCRIPT ...`` with ape-foundry attached to the devnet's anvil, so state outlives one run."""
    return _runner(_env(devnet, tmp_path / "state") | {"APE_FOUNDRY_HOST": devnet.chain.rpc_url})


def test_deploy_then_store_and_task_scripts_on_one_chain(
    on_devnet_chain: Run, devnet: DevnetState, tmp_path: Path
) -> None:
    deployed = on_devnet_chain("deploy")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "FileRegistry at 0x" in deployed.stdout
    assert f"recorded {len(CONTRACTS)} contract(s) for chain id 31337" in deployed.stdout

    again = on_devnet_chain("deploy")
    assert again.returncode == 1 and "Error: kura is already deployed on chain 31337" in again.stderr, again.stderr

    records = tmp_path / "records.csv"
    records.write_bytes(synthetic_records(300))
    put = on_devnet_chain("store", "put", str(records), "--k", "2", "--n", "4", "--account", "2")
    assert put.returncode == 0, put.stdout + put.stderr
    found = re.search(r"stored records\.csv as (0x[0-9a-f]{64}) \(msr 2-of-4 on 4 nodes", put.stdout)
    assert found, put.stdout
    copy = tmp_path / "copy.csv"
    got = on_devnet_chain("store", "get", found[1], "--output", str(copy), "--account", "2")
    assert got.returncode == 0, got.stdout + got.stderr
    assert copy.read_bytes() == records.read_bytes()
    stranger = on_devnet_chain("store", "get", found[1], "--output", str(tmp_path / "no.csv"), "--account", "3")
    assert stranger.returncode == 1 and "Error:" in stranger.stderr and not (tmp_path / "no.csv").exists()

    submitted = on_devnet_chain("task", "submit", "medical_aggregate", str(records), "--reward", "0.01")
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    task = re.search(r"posted task (\d+): OPEN", submitted.stdout)
    assert task, submitted.stdout
    status = on_devnet_chain("task", "status", task[1])
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"task {task[1]}: OPEN (round 0), worker -, reward 0.01 ETH" in status.stdout, status.stdout


def test_the_demo_script_runs_the_whole_demo_on_its_own_devnet(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{project_root() / 'node_modules' / '.bin'}:{os.environ['PATH']}", "COLUMNS": "200"}
    out = tmp_path / "report"
    demo = subprocess.run(
        [str(APE), "run", "demo", "--patients", "1000", "--out", str(out)],
        cwd=project_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "caught it — slashed and demoted to stray" in demo.stdout
    assert "demo finished in" in demo.stdout and (out / "report.md").exists()


def test_every_script_explains_itself_with_help() -> None:
    env = {**os.environ, "PATH": f"{project_root() / 'node_modules' / '.bin'}:{os.environ['PATH']}"}
    listing = subprocess.run(
        [str(APE), "run", "--help"],
        cwd=project_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    for script in ("deploy", "demo", "store", "task"):
        assert re.search(rf"^\s+{script}\s+\S", listing.stdout, re.MULTILINE), (script, listing.stdout)
