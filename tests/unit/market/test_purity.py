"""kura.market is pure: importing all of it loads no chain, IPFS, storage, devnet or CLI code."""

from __future__ import annotations

import subprocess
import sys

MODULES = (
    "anonymity",
    "certificate",
    "consent",
    "deid",
    "hierarchy",
    "merkle",
    "policy",
    "safe_harbor",
    "snapshot",
    "synthetic",
    "table",
    "transparency",
)
IO_PACKAGES = ("kura.chain", "kura.ipfs", "kura.storage", "kura.devnet", "kura.cli", "kura.compute", "web3", "httpx")


def test_market_imports_no_io_layer() -> None:
    script = (
        "import sys\n"
        + "".join(f"import kura.market.{name}\n" for name in MODULES)
        + f"print(sorted({{m for m in sys.modules if m.startswith({IO_PACKAGES!r})}}))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]", done.stdout
