"""``kura store ls`` and ``kura contracts`` read through :mod:`kura.chain.light` (no web3), and answer as the web3
client does: same files (a removed one gone, a batch file's first version), same deployment, same errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kura
from kura.chain.client import Chain
from kura.chain.deployments import load
from kura.chain.light import FILE_OF, LightReader, account_address
from kura.config import resolve_network
from kura.devnet.processes import free_port
from kura.errors import ContractRevertError
from tests.unit.cli.test_startup_imports import NEVER_FOR_HELP, heavy, loaded_by

ACCOUNT = 8
OTHER = 9


@pytest.fixture(autouse=True)
def _network(fresh_network: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in fresh_network.items():
        monkeypatch.setenv(name, value)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kura", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def test_ls_lists_what_the_api_lists(tmp_path: Path) -> None:
    files = []
    for i in range(6):
        files.append(tmp_path / f"f{i}.bin")
        files[-1].write_bytes(os.urandom(2000 + i))
    network = resolve_network()
    with kura.connect(network, ACCOUNT, "config") as k, kura.connect(network, OTHER, "config") as other:
        kept = k.storage.put(files[0], k=2, n=3)
        gone = k.storage.put(files[1], k=2, n=3)
        k.storage.rm(gone.file_id)
        (batch,) = k.storage.put_many(files[2:4], k=2, n=3)
        k.storage.rotate([kept.file_id])
        moved = k.storage.put(files[4], k=2, n=3)
        k.contracts.files.transfer(moved.file_id, other.address, owner=k.account)
        received = other.storage.put(files[5], k=2, n=3)
        other.contracts.files.transfer(received.file_id, k.address, owner=other.account)
        expected = {ACCOUNT: [e.to_dict() for e in k.storage.ls()], OTHER: [e.to_dict() for e in other.storage.ls()]}
    reader = LightReader(network.rpc_url)
    try:
        deployment = reader.deployment()
        light = {
            index: [e.to_dict() for e in reader.owned_files(deployment, account_address(network, index))]
            for index in expected
        }
        registry = deployment.address("FileRegistry")
        with pytest.raises(ContractRevertError) as batched:  # the batch's pointers live in its event only
            reader.call(registry, FILE_OF, batch.files[0].file_id)
        with pytest.raises(ContractRevertError) as removed:
            reader.call(registry, FILE_OF, gone.file_id)
    finally:
        reader.close()
    assert light == expected
    assert (batched.value.error_name, removed.value.error_name) == ("PointersInBatch", "FileIsDeleted")
    mine = {"0x" + f.hex() for f in (kept.file_id, received.file_id, *(f.file_id for f in batch.files))}
    assert {row["file_id"] for row in light[ACCOUNT]} == mine
    assert {row["file_id"] for row in light[OTHER]} == {"0x" + moved.file_id.hex()}
    assert {row["file_id"]: row["version"] for row in light[ACCOUNT]}["0x" + kept.file_id.hex()] == 2

    done = cli("store", "ls", "--account", str(ACCOUNT), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected[ACCOUNT]
    code, modules = loaded_by("store", "ls", "--account", str(ACCOUNT), "--json")
    assert code == 0 and heavy(modules, (*NEVER_FOR_HELP, "eth_utils", "kura.api", "kura.storage")) == []


def test_contracts_shows_the_recorded_deployment() -> None:
    network = resolve_network()
    expected = load(Chain.connect(network))
    done = cli("contracts", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "chain_id": expected.chain_id,
        "contracts": {n: d.address for n, d in expected.contracts.items()},
    }


def test_read_errors_are_one_line(tmp_path: Path) -> None:
    unreachable = cli("store", "ls", env={"KURA_RPC_URL": f"http://127.0.0.1:{free_port()}"})
    assert unreachable.returncode == 1 and unreachable.stderr.startswith("error: no Ethereum node answers")
    elsewhere = cli("store", "ls", env={"KURA_STATE": str(tmp_path)})
    assert elsewhere.returncode == 1 and "not deployed on chain id 31337" in elsewhere.stderr
    assert len(elsewhere.stderr.strip().splitlines()) == 1
    no_account = cli("store", "ls", "--account", "99")
    assert no_account.returncode == 1 and "account #99 is not configured" in no_account.stderr
