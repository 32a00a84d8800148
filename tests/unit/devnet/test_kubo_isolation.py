"""The Kubo configuration kura writes dials nothing outside loopback."""

from __future__ import annotations

import json
import subprocess

import pytest

from kura.devnet.kubo import KUBO_ENV, KuboPorts, isolate
from kura.devtools.kubo_install import kubo_binary


@pytest.fixture(scope="module")
def default_config(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The pinned Kubo's own default configuration (``ipfs init`` without profiles)."""
    repo = tmp_path_factory.mktemp("repo")
    subprocess.run(
        [str(kubo_binary()), "init"], env={"IPFS_PATH": str(repo), **KUBO_ENV}, check=True, capture_output=True
    )
    return json.loads((repo / "config").read_text())


def test_isolated_config_listens_only_on_loopback_and_peers_only_devnet_nodes(default_config: dict) -> None:
    config = isolate(default_config, KuboPorts(api=5001, gateway=8080, swarm=4001), [("12D3KooWPeer", 4002)])
    addresses = config["Addresses"]
    assert addresses["API"] == "/ip4/127.0.0.1/tcp/5001"
    assert addresses["Gateway"] == "/ip4/127.0.0.1/tcp/8080"
    assert addresses["Swarm"] == ["/ip4/127.0.0.1/tcp/4001"]
    assert config["Peering"]["Peers"] == [{"ID": "12D3KooWPeer", "Addrs": ["/ip4/127.0.0.1/tcp/4002"]}]


def test_every_outward_feature_of_the_default_config_is_switched_off(default_config: dict) -> None:
    assert default_config["Bootstrap"], "the default config has public bootstrap peers to remove"
    config = isolate(default_config, KuboPorts(1, 2, 3), [])
    assert config["Bootstrap"] == []
    assert config["Discovery"]["MDNS"]["Enabled"] is False
    assert config["Routing"] == {"Type": "none", "DelegatedRouters": []}
    assert config["AutoConf"]["Enabled"] is False
    assert config["AutoTLS"]["Enabled"] is False
    assert config["AutoNAT"]["ServiceMode"] == "disabled"
    assert config["Provide"]["Enabled"] is False
    assert config["HTTPRetrieval"]["Enabled"] is False
    assert config["Swarm"]["RelayClient"]["Enabled"] is False
    assert config["Swarm"]["RelayService"]["Enabled"] is False
    assert config["Swarm"]["DisableNatPortMap"] is True
    assert config["Plugins"]["Plugins"]["telemetry"]["Config"]["Mode"] == "off"
    enabled = {name for name, on in config["Swarm"]["Transports"]["Network"].items() if on}
    assert enabled == {"TCP"}


def test_no_public_address_survives_anywhere_in_the_config(default_config: dict) -> None:
    text = json.dumps(isolate(default_config, KuboPorts(1, 2, 3), []))
    assert "0.0.0.0" not in text and "/ip6/::" not in text
    assert "bootstrap.libp2p.io" not in text and "/dnsaddr/" not in text
