"""kura.api.ape: kura over the provider ape connected (under pytest, ape's plugin connects its in-process test
chain), a clear error without one, and kura errors as click errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from ape import accounts, networks

from kura.api.ape import ape_chain, ape_network, reported
from kura.errors import NotDeployedError


def test_kura_signs_as_apes_test_accounts_over_apes_provider() -> None:
    chain = ape_chain()
    assert chain.w3 is networks.provider.web3
    assert chain.chain_id == networks.provider.chain_id
    assert [chain.account(i).address for i in range(3)] == [accounts.test_accounts[i].address for i in range(3)]


def test_the_network_is_apes_choice_with_kuras_ipfs_nodes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KURA_STATE", str(tmp_path))
    monkeypatch.setenv("KURA_IPFS_APIS", " http://10.0.0.1:5001, http://10.0.0.2:5001,")
    network = ape_network()
    assert (network.name, network.rpc_url) == (networks.provider.network_choice, networks.provider.http_uri or "")
    assert network.ipfs_apis == ("http://10.0.0.1:5001", "http://10.0.0.2:5001")
    monkeypatch.delenv("KURA_IPFS_APIS")
    assert ape_network().ipfs_apis == ()  # no devnet recorded in this state folder


def test_without_a_connected_network_it_says_to_use_ape_run() -> None:
    code = "from kura.api.ape import ape_chain\nape_chain()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "ConfigError: ape is connected to no network: run this through `ape run <script> --network" in done.stderr


def test_reported_turns_kura_errors_into_click_errors_and_leaves_others() -> None:
    with pytest.raises(click.ClickException, match=r"^not here: run `ape run deploy`$") as caught, reported():
        raise NotDeployedError("not here: run `ape run deploy`")
    assert caught.value.exit_code == 1 and isinstance(caught.value.__cause__, NotDeployedError)
    with pytest.raises(ZeroDivisionError), reported():
        raise ZeroDivisionError
