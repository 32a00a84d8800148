"""``kura market job`` on a private deployment: a seller lists and offers compute-to-data from a FHIR bundle, approves
a node by the key the node prints, a buyer pays for jobs, and refusals come back as one ``error:`` line each (an ε the
ledger cannot debit exactly, a job over the budget, a module nobody approved cannot even be asked for)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import kura
from kura.chain.client import AccountSource
from kura.config import DEV_MNEMONIC
from kura.market import synthetic
from tests.integration.conftest import private_deployment

HOSPITAL, INSTITUTE, NODE = 11, 13, 21
AS_OF = date(2025, 1, 1)


@pytest.fixture(scope="module")
def network(devnet: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[kura.NetworkConfig]:
    with private_deployment(tmp_path_factory, {HOSPITAL: "Granite General", INSTITUTE: "Institute"}) as network:
        yield network


@pytest.fixture(scope="module")
def env(network: kura.NetworkConfig) -> dict[str, str]:
    """The environment a ``kura`` process needs to reach this deployment (its state folder is the current one)."""
    return {
        **os.environ,
        "COLUMNS": "200",
        "KURA_RPC_URL": network.rpc_url,
        "KURA_IPFS_APIS": ",".join(network.ipfs_apis),
        "KURA_PRIVATE_KEYS": ",".join(AccountSource(mnemonic=DEV_MNEMONIC).get(i).key.to_0x_hex() for i in range(30)),
    }


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kura", "market", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def cli_json(env: dict[str, str], *args: str) -> Any:
    done = cli(env, *args, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def one_line_error(done: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], done.stderr


def test_offer_approve_buy_and_refusals_from_the_command_line(
    network: kura.NetworkConfig, env: dict[str, str], tmp_path: Path
) -> None:
    bundle = tmp_path / "records.json"
    profile = synthetic.PROFILES[next(iter(synthetic.PROFILES))]
    bundle.write_text(json.dumps(synthetic.generate(profile, 600, seed=11, as_of=AS_OF)))
    salt = tmp_path / "salt"
    salt.write_text("ab" * 32)
    common = ("--salt-file", str(salt), "--as-of", AS_OF.isoformat(), "--account", str(HOSPITAL))
    listed = cli_json(env, "list", str(bundle), "--title", "HbA1c", "--price", "0.1", *common)
    listing = str(listed["listing_id"])
    offered = cli_json(
        env,
        "job",
        "offer",
        listing,
        str(bundle),
        "--job-price",
        "0.01",
        "--dataset-epsilon",
        "2",
        "--buyer-epsilon",
        "1",
        *common,
    )
    assert offered["rows"] == 600 and offered["buyer_epsilon"] == 10**6

    node = cli_json(env, "job", "node-key", "--account", str(NODE))
    approved = cli_json(
        env, "job", "approve-node", listing, "--node-key", node["public_key"], "--account", str(HOSPITAL)
    )
    assert approved["node"] == node["address"]
    with kura.connect(network, INSTITUTE) as institute:
        contracts = institute.contracts
        assert contracts.market.is_approved_node(int(listing), node["address"])
        assert contracts.jobs.sealed_key(int(listing), node["address"])  # the dataset key, sealed to the node

        access = cli_json(env, "job", "buy", listing, "--jobs", "2", "--account", str(INSTITUTE))["access_id"]
        one_line_error(
            cli(env, "job", "run", str(access), "--epsilon", "1/3", "--account", str(INSTITUTE)), "millionths"
        )
        one_line_error(
            cli(env, "job", "run", str(access), "--epsilon", "3/2", "--account", str(INSTITUTE)),
            "PrivacyBudgetExceeded",
        )
        one_line_error(cli(env, "job", "run", str(access), "--account", str(HOSPITAL)), "NotAccessBuyer")
        assert contracts.jobs.job_count() == 0 and contracts.market.access_of(access).jobs_left == 2
        one_line_error(cli(env, "job", "settle", "1", "--account", str(INSTITUTE)), "UnknownJob")
