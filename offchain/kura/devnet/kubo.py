"""The devnet's IPFS nodes: Kubo daemons on loopback, cut off from the public network.

Each node gets its own repo, ports and a configuration that dials nothing
outside this machine: no bootstrap peers, no mDNS, no DHT or delegated routing,
no relays, AutoNAT, AutoTLS, remote auto-configuration or telemetry. The nodes
find each other only through ``Peering.Peers`` (Kubo keeps those connections up)
and an explicit ``swarm connect``, and exchange blocks over bitswap.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kura.devnet.processes import LOOPBACK, ProcessRecord, ensure_free, spawn, wait_until
from kura.errors import DevnetError, IpfsError
from kura.ipfs import KuboClient

KUBO_ENV = {"IPFS_TELEMETRY": "off", "GOLOG_LOG_LEVEL": "error"}


@dataclass(frozen=True)
class KuboPorts:
    """The three ports one Kubo node listens on (all on loopback)."""

    api: int
    gateway: int
    swarm: int


def init_repo(binary: Path, repo: Path) -> str:
    """Create a fresh Kubo repo and return the node's peer id.

    Raises:
        DevnetError: if ``ipfs init`` fails.
    """
    repo.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(binary), "init", "--profile", "test"],
        env={"IPFS_PATH": str(repo), **KUBO_ENV, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DevnetError(f"ipfs init failed in {repo}: {done.stderr.strip() or done.stdout.strip()}")
    return str(json.loads((repo / "config").read_text())["Identity"]["PeerID"])


def isolate(config: dict[str, Any], ports: KuboPorts, peers: list[tuple[str, int]]) -> dict[str, Any]:
    """Return ``config`` rewritten for a loopback-only node peered with ``peers`` ((peer id, swarm port))."""
    config = json.loads(json.dumps(config))
    config["Addresses"].update(
        API=f"/ip4/{LOOPBACK}/tcp/{ports.api}",
        Gateway=f"/ip4/{LOOPBACK}/tcp/{ports.gateway}",
        Swarm=[f"/ip4/{LOOPBACK}/tcp/{ports.swarm}"],
        Announce=[],
        AppendAnnounce=[],
        NoAnnounce=[],
    )
    config["Bootstrap"] = []
    config["Discovery"] = {"MDNS": {"Enabled": False}}
    config["Routing"] = {"Type": "none", "DelegatedRouters": []}
    config["AutoConf"] = {"Enabled": False}
    config["AutoTLS"] = {"Enabled": False}
    config["AutoNAT"] = {"ServiceMode": "disabled"}
    config["Provide"] = {"Enabled": False}
    config["HTTPRetrieval"] = {"Enabled": False}
    config["Pubsub"] = {"Enabled": False}
    config["Swarm"].update(
        DisableNatPortMap=True,
        RelayClient={"Enabled": False},
        RelayService={"Enabled": False},
        Transports={
            "Network": {"TCP": True, "QUIC": False, "Websocket": False, "WebTransport": False, "WebRTCDirect": False},
            "Multiplexers": {},
            "Security": {},
        },
    )
    config["Plugins"] = {"Plugins": {"telemetry": {"Config": {"Mode": "off"}}}}
    config["Peering"] = {
        "Peers": [{"ID": peer_id, "Addrs": [f"/ip4/{LOOPBACK}/tcp/{port}"]} for peer_id, port in peers]
    }
    return config


def configure(repo: Path, ports: KuboPorts, peers: list[tuple[str, int]]) -> None:
    """Write the isolated, peered configuration into ``repo``."""
    path = repo / "config"
    path.write_text(json.dumps(isolate(json.loads(path.read_text()), ports, peers), indent=2))


def start_kubo(
    name: str, binary: Path, repo: Path, ports: KuboPorts, *, startup_timeout: float = 60.0
) -> ProcessRecord:
    """Start the daemon of an initialised, configured repo and wait until its API answers.

    Raises:
        PortInUseError: if one of its ports is taken.
        DevnetError: if it does not come up.
    """
    for port, what in ((ports.api, "API"), (ports.gateway, "gateway"), (ports.swarm, "swarm")):
        ensure_free(port, f"{name} {what}")
    record = spawn(
        name,
        [str(binary), "daemon", "--migrate=false", "--enable-gc=false"],
        log=repo.parent / f"{name}.log",
        env={"IPFS_PATH": str(repo), **KUBO_ENV},
    )
    client = KuboClient(f"http://{LOOPBACK}:{ports.api}", timeout=2.0)
    try:
        wait_until(lambda: _answers(client), timeout=startup_timeout, what=f"waiting for {name}", process=record)
    finally:
        client.close()
    return record


def _answers(client: KuboClient) -> bool:
    try:
        client.id()
    except IpfsError:
        return False
    return True
