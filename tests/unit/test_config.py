"""Network resolution: names, kura.toml, environment overrides and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kura.config import resolve_network
from kura.errors import ConfigError, DevnetError


def test_unknown_network_lists_the_known_ones(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "kura.toml"
    config.write_text('[networks.ganache]\nrpc_url = "http://127.0.0.1:8545"\n')
    monkeypatch.setenv("KURA_CONFIG", str(config))
    with pytest.raises(ConfigError, match=r"unknown network 'mainnet'.*devnet, ganache"):
        resolve_network("mainnet")


def test_named_network_from_kura_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "kura.toml"
    config.write_text(
        '[networks.lab]\nrpc_url = "http://127.0.0.1:9000"\nipfs_apis = ["http://127.0.0.1:5001"]\n'
        'private_keys = ["0x' + "11" * 32 + '"]\n'
    )
    monkeypatch.setenv("KURA_CONFIG", str(config))
    network = resolve_network("lab")
    assert (network.rpc_url, network.ipfs_apis) == ("http://127.0.0.1:9000", ("http://127.0.0.1:5001",))
    assert network.private_keys == ("0x" + "11" * 32,)


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "kura.toml"
    config.write_text('[networks.lab]\nrpc_url = "http://127.0.0.1:9000"\n')
    monkeypatch.setenv("KURA_CONFIG", str(config))
    monkeypatch.setenv("KURA_RPC_URL", "http://127.0.0.1:7000")
    monkeypatch.setenv("KURA_IPFS_APIS", "http://127.0.0.1:1, http://127.0.0.1:2")
    monkeypatch.setenv("KURA_SOCKS_PROXY", "socks5://127.0.0.1:9050")
    network = resolve_network("lab")
    assert network.rpc_url == "http://127.0.0.1:7000"
    assert network.ipfs_apis == ("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert network.socks_proxy == "socks5://127.0.0.1:9050"


def test_devnet_without_a_running_devnet_says_how_to_start_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KURA_STATE", str(tmp_path))
    with pytest.raises(DevnetError, match="kura devnet up"):
        resolve_network("devnet")


def test_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KURA_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        resolve_network("lab")
