"""kura: confidential self-healing P2P storage and verifiable P2P computing on Ethereum.

The public API in ten lines::

    import kura

    with kura.connect() as k:                          # network=None (KURA_NETWORK or the devnet), account 0
        stored = k.storage.put("scan.dcm", k=3, n=5)     # encrypt, split, place, register
        k.storage.get(stored.file_id, "copy.dcm")        # k verified shares, rebuilt
        k.storage.rotate([stored.file_id])               # fresh manifest key, old version void on chain
        task = k.tasks.submit("textstats", b"some text", reward="0.01")
        print(k.tasks.wait(task.task_id).state, k.tasks.result(task.task_id))

Everything a user needs is importable from here; the names load on first use, so ``import kura`` (and the
command line built on it) stays fast. Errors are in :mod:`kura.errors`, amounts in :mod:`kura.units`.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# eth-hash (under web3, eth-account and kura's stamps) takes pycryptodome's Keccak when both are installed, and web3
# hashes every function signature of a contract's ABI again on each call it encodes: the C Keccak of safe-pysha3, a
# kura dependency, is ~8x faster per hash. Set before anything hashes; a backend the user chose is kept.
os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

_EXPORTS: dict[str, str] = {
    "connect": "kura.api.session",
    "deploy": "kura.api.session",
    "Kura": "kura.api.session",
    "NodeSource": "kura.config",
    "FileInfo": "kura.api.storage",
    "FileEntry": "kura.api.storage",
    "Rotated": "kura.api.storage",
    "StoredFile": "kura.storage.client.files",
    "Retrieved": "kura.storage.client.files",
    "Removed": "kura.storage.client.files",
    "TaskReport": "kura.api.tasks",
    "NodeStanding": "kura.api.nodes",
    "Promoted": "kura.api.nodes",
    "OpenedChallenge": "kura.storage.shared.challenges",
    "Judged": "kura.api.audits",
    "AuditState": "kura.api.audits",
    "ShareHealth": "kura.storage.client.health",
    "ShareState": "kura.storage.client.health",
    "RepairPath": "kura.storage.shared.repair_plan",
    "RepairReport": "kura.storage.repairer.agent",
    "RepairOutcome": "kura.storage.repairer.agent",
    "Result": "kura.results",
    "Scheme": "kura.codes.params",
    "CodeParams": "kura.codes.params",
    "NetworkConfig": "kura.config",
    "KuraError": "kura.errors",
    "to_wei": "kura.units",
    "from_wei": "kura.units",
    "format_units": "kura.units",
}
"""Each public name and the module that defines it."""

__all__ = [
    "AuditState",
    "CodeParams",
    "FileEntry",
    "FileInfo",
    "Judged",
    "Kura",
    "KuraError",
    "NetworkConfig",
    "NodeSource",
    "NodeStanding",
    "OpenedChallenge",
    "Promoted",
    "Removed",
    "RepairOutcome",
    "RepairPath",
    "RepairReport",
    "Result",
    "Retrieved",
    "Rotated",
    "Scheme",
    "ShareHealth",
    "ShareState",
    "StoredFile",
    "TaskReport",
    "__version__",
    "connect",
    "deploy",
    "format_units",
    "from_wei",
    "to_wei",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kura' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from kura.api.audits import AuditState, Judged
    from kura.api.nodes import NodeStanding, Promoted
    from kura.api.session import Kura, connect, deploy
    from kura.api.storage import FileEntry, FileInfo, Rotated
    from kura.api.tasks import TaskReport
    from kura.codes.params import CodeParams, Scheme
    from kura.config import NetworkConfig, NodeSource
    from kura.errors import KuraError
    from kura.results import Result
    from kura.storage.client.files import Removed, Retrieved, StoredFile
    from kura.storage.client.health import ShareHealth, ShareState
    from kura.storage.repairer.agent import RepairOutcome, RepairReport
    from kura.storage.shared.challenges import OpenedChallenge
    from kura.storage.shared.repair_plan import RepairPath
    from kura.units import format_units, from_wei, to_wei
