"""The devnet's state file: which processes it runs and where they listen.

``<state>/devnet/devnet.json`` is written once the devnet is up and read by every
command that needs an endpoint; ``kura devnet down`` stops exactly the PIDs it lists.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kura.devnet.processes import ProcessRecord, swarm_address
from kura.errors import DevnetError
from kura.paths import state_dir

FORMAT_VERSION = 1


@dataclass(frozen=True)
class ChainEndpoint:
    """The devnet's Anvil node (``block_time``: seconds between its blocks without transactions, None if it
    mines only on transactions)."""

    process: ProcessRecord
    rpc_url: str
    port: int
    chain_id: int
    block_time: float | None = None


@dataclass(frozen=True)
class KuboEndpoint:
    """One devnet Kubo node."""

    process: ProcessRecord
    api_url: str
    gateway_port: int
    swarm_port: int
    peer_id: str
    repo: str

    @property
    def swarm_multiaddr(self) -> str:
        """Full multiaddr of this node's swarm listener."""
        return swarm_address(self.swarm_port, self.peer_id)

    @property
    def api_port(self) -> int:
        """The port of its RPC API."""
        return int(self.api_url.rsplit(":", 1)[1])

    @property
    def name(self) -> str:
        """Its name (``kubo-3``)."""
        return self.process.name


@dataclass(frozen=True)
class DevnetState:
    """Everything a running devnet consists of."""

    folder: str
    chain: ChainEndpoint
    kubo: tuple[KuboEndpoint, ...]

    @property
    def processes(self) -> tuple[ProcessRecord, ...]:
        """Every process of the devnet, chain first."""
        return (self.chain.process, *(node.process for node in self.kubo))

    def node(self, name: str) -> KuboEndpoint:
        """The Kubo node called ``name``.

        Raises:
            DevnetError: if the devnet has none of that name.
        """
        for node in self.kubo:
            if node.name == name:
                return node
        known = ", ".join(node.name for node in self.kubo)
        raise DevnetError(f"the devnet has no Kubo node {name!r}: its nodes are {known}")

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form (the file format)."""
        return {"format": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DevnetState:
        """Parse the file format back."""
        chain = data["chain"]
        return cls(
            folder=data["folder"],
            chain=ChainEndpoint(**{**chain, "process": ProcessRecord(**chain["process"])}),
            kubo=tuple(KuboEndpoint(**{**node, "process": ProcessRecord(**node["process"])}) for node in data["kubo"]),
        )


def devnet_folder() -> Path:
    """Folder of the devnet's repos, logs and state file."""
    return state_dir() / "devnet"


def state_file() -> Path:
    """Path of the devnet state file."""
    return devnet_folder() / "devnet.json"


def read_state() -> DevnetState | None:
    """The recorded devnet, or None if none is recorded (or the file is unreadable)."""
    path = state_file()
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if data.get("format") != FORMAT_VERSION:
        return None
    return DevnetState.from_json(data)


def write_state(state: DevnetState) -> None:
    """Record a devnet (atomically)."""
    path = state_file()
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(state.to_json(), indent=2))
    partial.replace(path)
