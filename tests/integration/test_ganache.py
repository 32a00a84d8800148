"""The same chain layer works on Ganache (npm `ganache`), reached only through RPC settings."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from kura.chain.client import Chain
from kura.chain.deploy import deploy_all
from kura.chain.file_registry import FileRegistryClient
from kura.config import resolve_network
from kura.errors import ContractRevertError
from tests.integration.ganache_fixtures import DEV_KEYS


def test_deploy_and_call_on_ganache(ganache: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KURA_STATE", str(tmp_path))
    monkeypatch.setenv("KURA_RPC_URL", ganache)
    monkeypatch.setenv("KURA_PRIVATE_KEYS", ",".join(DEV_KEYS))
    chain = Chain.connect(resolve_network())
    assert chain.chain_id == 1337
    deployment = deploy_all(chain, chain.account(0))
    registry = FileRegistryClient(chain, deployment)
    file_id, digest, root = (secrets.token_bytes(32) for _ in range(3))
    registry.register(file_id, digest, root, owner=chain.account(0))
    assert registry.file_of(file_id).manifest_digest == digest
    with pytest.raises(ContractRevertError) as caught:
        registry.rotate(file_id, 1, secrets.token_bytes(32), owner=chain.account(1))
    assert caught.value.error_name == "NotFileOwner"
