"""``kura.connect()`` loads a domain's code on first use: a program (or a ``kura store`` command) that only stores
files does not pay for the data market, compute-to-data, the task sandbox or the node agents at start-up."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
import kura.api.session, kura.api.storage, kura.chain.contracts
print(json.dumps(sorted(sys.modules)))
"""
NOT_FOR_STORAGE = (
    "kura.api.market",
    "kura.api.jobs",
    "kura.api.tasks",
    "kura.api.consent",
    "kura.api.institutions",
    "kura.api.nodes",
    "kura.chain.data_market",
    "kura.chain.data_jobs",
    "kura.chain.consent_registry",
    "kura.chain.task_market",
    "kura.chain.deploy",
    "kura.compute.requester",
    "kura.storage.node.agent",
    "wasmtime",
)
"""Modules a storage-only session must not import."""


@pytest.fixture(scope="module")
def loaded() -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("module", NOT_FOR_STORAGE)
def test_a_storage_session_does_not_import(loaded: set[str], module: str) -> None:
    assert module not in loaded
