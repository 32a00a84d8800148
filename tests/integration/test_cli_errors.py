"""Mistakes a user can make get one clear ``error:`` line and exit 1, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kura.devnet.processes import free_port
from kura.devnet.state import DevnetState


def kura(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kura", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_network_name() -> None:
    assert_one_line_error(kura("deploy", "--network", "nosuchnet"), "unknown network 'nosuchnet'")


def test_port_in_use(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        done = kura("devnet", "up", "--anvil-port", str(port), env={"KURA_STATE": str(tmp_path)})
    assert_one_line_error(done, f"port {port}", "already in use")


def test_kubo_binary_missing(tmp_path: Path) -> None:
    done = kura("devnet", "up", env={"KURA_STATE": str(tmp_path), "KURA_KUBO_BIN": str(tmp_path / "no-ipfs")})
    assert_one_line_error(done, "Kubo binary missing", "make setup")


def test_rpc_url_unreachable() -> None:
    env = {"KURA_RPC_URL": f"http://127.0.0.1:{free_port()}", "KURA_PRIVATE_KEYS": "0x" + "11" * 32}
    done = kura("deploy", env=env)
    assert_one_line_error(done, "no Ethereum node answers")


def test_contracts_not_deployed_on_this_chain(devnet: DevnetState, tmp_path: Path) -> None:
    done = kura("contracts", env={"KURA_STATE": str(tmp_path), "KURA_RPC_URL": devnet.chain.rpc_url})
    assert_one_line_error(done, "not deployed on chain id 31337", "kura deploy")


def test_devnet_status_without_devnet(tmp_path: Path) -> None:
    assert_one_line_error(kura("devnet", "status", env={"KURA_STATE": str(tmp_path)}), "kura devnet up")


@pytest.mark.parametrize("group", ["", "devnet", "devnet up", "deploy", "build", "demo", "contracts", "setup"])
def test_every_command_has_help(group: str) -> None:
    done = kura(*group.split(), "--help")
    assert done.returncode == 0 and "Usage:" in done.stdout
