"""`kura store` places shares on the registry's staked nodes once they exist (one per operator)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kura.chain.client import Chain
from kura.chain.deployments import load
from kura.config import resolve_network
from kura.devnet.state import DevnetState
from kura.devtools.devnet_nodes import register_devnet_nodes


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kura", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def kura(*args: str, env: dict[str, str]) -> dict:
    done = run(*args, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_nodes_registry_refuses_while_no_node_is_registered(fresh_network: dict[str, str], tmp_path: Path) -> None:
    # Runs first in this module: its private deployment has no registered node yet.
    source = tmp_path / "x.bin"
    source.write_bytes(os.urandom(1_000))
    done = run("store", "put", str(source), "--nodes", "registry", env=fresh_network)
    assert done.returncode != 0 and "lists no active storage node" in done.stderr, done.stderr


def test_put_uses_registered_nodes_with_their_operators(
    devnet: DevnetState, fresh_network: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = fresh_network
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    chain = Chain.connect(resolve_network())
    records = register_devnet_nodes(
        chain, load(chain), [node.api_url for node in devnet.kubo[:5]], stake=10**18, first_account=20
    )
    operators = {record.address for record in records}
    source = tmp_path / "x.bin"
    source.write_bytes(os.urandom(20_000))
    stored = kura("store", "put", str(source), "--k", "2", "--n", "4", "--account", "2", env=env)
    assert {share["node"]["operator"] for share in stored["placements"]} <= operators
    assert len({share["node"]["operator"] for share in stored["placements"]}) == 4
    kura("store", "get", stored["file_id"], "-o", str(tmp_path / "back"), "--account", "2", env=env)
    assert (tmp_path / "back").read_bytes() == source.read_bytes()
    configured = kura(
        "store", "put", str(source), "--k", "2", "--n", "4", "--nodes", "config", "--account", "2", env=env
    )
    assert {share["node"]["operator"] for share in configured["placements"]}.isdisjoint(operators)
