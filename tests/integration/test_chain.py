"""The chain layer on a real Anvil: deploy, call, reverts with decoded custom errors, deployments file."""

from __future__ import annotations

import secrets

import pytest

from kura.chain import deployments
from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.file_registry import FileRegistryClient
from kura.config import NetworkConfig
from kura.errors import ContractRevertError, NotDeployedError, RpcUnreachableError


def test_deployment_is_recorded_and_reloaded(chain: Chain, deployment: Deployment) -> None:
    loaded = deployments.load(chain)
    assert loaded.address("FileRegistry") == deployment.address("FileRegistry")
    assert loaded.genesis_hash == chain.genesis_hash


def test_contract_round_trip(chain: Chain, deployment: Deployment) -> None:
    registry = FileRegistryClient(chain, deployment)
    file_id, digest, root = (secrets.token_bytes(32) for _ in range(3))
    registry.register(file_id, digest, root, owner=chain.account(1))
    record = registry.file_of(file_id)
    assert (record.owner, record.version, record.manifest_digest, record.shares_root) == (
        chain.account(1).address,
        1,
        digest,
        root,
    )


def test_revert_carries_custom_error_name_and_arguments(chain: Chain, deployment: Deployment) -> None:
    registry = FileRegistryClient(chain, deployment)
    file_id = secrets.token_bytes(32)
    registry.register(file_id, secrets.token_bytes(32), secrets.token_bytes(32), owner=chain.account(1))
    with pytest.raises(ContractRevertError) as caught:
        registry.remove(file_id, owner=chain.account(2))
    assert caught.value.error_name == "NotFileOwner"
    assert caught.value.args_by_name == {
        "fileId": "0x" + file_id.hex(),
        "caller": chain.account(2).address,
        "owner": chain.account(1).address,
    }


def test_view_revert_is_decoded_too(chain: Chain, deployment: Deployment) -> None:
    with pytest.raises(ContractRevertError) as caught:
        FileRegistryClient(chain, deployment).file_of(b"\x01" * 32)
    assert caught.value.error_name == "UnknownFile"


def test_deployment_of_another_chain_with_the_same_id_is_not_used(chain: Chain, deployment: Deployment) -> None:
    recorded = deployments._read()
    recorded[str(chain.chain_id)]["genesis_hash"] = "0x" + "00" * 32
    deployments.deployments_file().write_text(__import__("json").dumps(recorded))
    try:
        with pytest.raises(NotDeployedError, match="earlier chain"):
            deployments.load(chain)
    finally:
        deployments.record(chain, deployment.contracts)


def test_unreachable_rpc_is_one_clear_error() -> None:
    with pytest.raises(RpcUnreachableError, match=r"no Ethereum node answers at http://127\.0\.0\.1:9"):
        Chain.connect(NetworkConfig(name="x", rpc_url="http://127.0.0.1:9"), timeout=2)
