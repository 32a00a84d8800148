"""web3 hashes every function signature of a contract's ABI again on each call it encodes (ABI validation), so the
Keccak backend is on the path of every contract call: kura runs eth-hash on the C Keccak of ``safe-pysha3`` (one
of its dependencies), which eth-hash would pass over for pycryptodome's, unless the user chose one."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = "import kura.chain.client; from eth_hash.auto import keccak; keccak(b''); print(keccak.hasher.__module__)"


def backend_used(**env: str) -> str:
    clean = {name: value for name, value in os.environ.items() if name != "ETH_HASH_BACKEND"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env={**clean, **env}
    )
    return done.stdout.strip()


def test_contract_calls_hash_with_the_c_keccak() -> None:
    assert backend_used() == "eth_hash.backends.pysha3"


def test_a_backend_the_user_chose_is_kept() -> None:
    assert backend_used(ETH_HASH_BACKEND="pycryptodome") == "eth_hash.backends.pycryptodome"
