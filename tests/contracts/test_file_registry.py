"""FileRegistry: every path, including the ones an attacker would try."""

from __future__ import annotations

import secrets

import pytest

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.file_registry import FileRegistryClient
from kura.errors import ContractRevertError


@pytest.fixture
def registry(chain: Chain) -> FileRegistryClient:
    """A fresh FileRegistry per test, so no test sees another's files."""
    deployed = chain.deploy("FileRegistry", sender=chain.account(0))
    return FileRegistryClient(chain, Deployment(chain.chain_id, chain.genesis_hash, {"FileRegistry": deployed}))


def fresh() -> bytes:
    return secrets.token_bytes(32)


def reverts(name: str) -> pytest.RaisesExc:
    return pytest.raises(ContractRevertError, match=rf"^reverted with {name}\(")


def test_register_records_owner_pointer_version_and_emits(chain: Chain, registry: FileRegistryClient) -> None:
    file_id, digest, root = fresh(), fresh(), fresh()
    receipt = registry.register(file_id, digest, root, owner=chain.account(1))
    (event,) = registry.contract.events.FileRegistered().process_receipt(receipt)
    assert event.args == {"fileId": file_id, "owner": chain.account(1).address, "manifestDigest": digest, "sharesRoot": root}
    record = registry.file_of(file_id)
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    assert (record.owner, record.version, record.created_at, record.updated_at) == (
        chain.account(1).address, 1, block["timestamp"], block["timestamp"],
    )
    assert registry.manifest_of(file_id, 1) == digest


def test_register_replay_and_reuse_of_a_deleted_id_are_refused(chain: Chain, registry: FileRegistryClient) -> None:
    file_id = fresh()
    registry.register(file_id, fresh(), fresh(), owner=chain.account(1))
    with reverts("FileAlreadyExists"):
        registry.register(file_id, fresh(), fresh(), owner=chain.account(2))
    registry.remove(file_id, owner=chain.account(1))
    with reverts("FileAlreadyExists"):
        registry.register(file_id, fresh(), fresh(), owner=chain.account(1))


def test_empty_pointers_are_refused(chain: Chain, registry: FileRegistryClient) -> None:
    with reverts("EmptyPointer"):
        registry.register(fresh(), bytes(32), fresh(), owner=chain.account(1))
    with reverts("EmptyPointer"):
        registry.register(fresh(), fresh(), bytes(32), owner=chain.account(1))
    file_id = fresh()
    registry.register(file_id, fresh(), fresh(), owner=chain.account(1))
    with reverts("EmptyPointer"):
        registry.rotate(file_id, 1, bytes(32), owner=chain.account(1))
    with reverts("EmptyPointer"):
        registry.update_shares(file_id, bytes(32), owner=chain.account(1))


def test_only_the_owner_can_rotate_update_or_delete(chain: Chain, registry: FileRegistryClient) -> None:
    file_id = fresh()
    registry.register(file_id, fresh(), fresh(), owner=chain.account(1))
    intruder = chain.account(3)
    for attempt in (
        lambda: registry.rotate(file_id, 1, fresh(), owner=intruder),
        lambda: registry.update_shares(file_id, fresh(), owner=intruder),
        lambda: registry.remove(file_id, owner=intruder),
    ):
        with reverts("NotFileOwner") as caught:
            attempt()
        assert caught.value.args_by_name["caller"] == intruder.address
    assert registry.file_of(file_id).version == 1


def test_rotation_voids_the_old_version_and_guards_against_concurrent_writers(
    chain: Chain, registry: FileRegistryClient
) -> None:
    file_id, first, second = fresh(), fresh(), fresh()
    owner = chain.account(1)
    registry.register(file_id, first, fresh(), owner=owner)
    receipt = registry.rotate(file_id, 1, second, owner=owner)
    (event,) = registry.contract.events.ManifestRotated().process_receipt(receipt)
    assert (event.args.version, event.args.manifestDigest, event.args.previousDigest) == (2, second, first)
    assert registry.manifest_of(file_id, 2) == second
    with reverts("SupersededVersion") as caught:
        registry.manifest_of(file_id, 1)
    assert caught.value.args_by_name == {"fileId": "0x" + file_id.hex(), "requested": 1, "current": 2}
    with reverts("VersionMismatch"):
        registry.rotate(file_id, 1, fresh(), owner=owner)


def test_update_shares_keeps_the_version_and_emits(chain: Chain, registry: FileRegistryClient) -> None:
    file_id, root = fresh(), fresh()
    registry.register(file_id, fresh(), fresh(), owner=chain.account(1))
    receipt = registry.update_shares(file_id, root, owner=chain.account(1))
    (event,) = registry.contract.events.SharesUpdated().process_receipt(receipt)
    assert (event.args.version, event.args.sharesRoot) == (1, root)
    assert registry.file_of(file_id).shares_root == root


def test_deleted_files_no_longer_resolve_and_cannot_change(chain: Chain, registry: FileRegistryClient) -> None:
    file_id = fresh()
    owner = chain.account(1)
    registry.register(file_id, fresh(), fresh(), owner=owner)
    receipt = registry.remove(file_id, owner=owner)
    assert registry.contract.events.FileDeleted().process_receipt(receipt)[0].args.owner == owner.address
    with reverts("FileIsDeleted"):
        registry.file_of(file_id)
    with reverts("FileIsDeleted"):
        registry.manifest_of(file_id, 1)
    with reverts("FileIsDeleted"):
        registry.rotate(file_id, 1, fresh(), owner=owner)
    with reverts("FileIsDeleted"):
        registry.remove(file_id, owner=owner)


def test_unknown_file(registry: FileRegistryClient, chain: Chain) -> None:
    with reverts("UnknownFile"):
        registry.file_of(fresh())
    with reverts("UnknownFile"):
        registry.rotate(fresh(), 1, fresh(), owner=chain.account(1))


def test_gas_targets_register_150k_rotate_60k(chain: Chain, registry: FileRegistryClient) -> None:
    file_id = fresh()
    owner = chain.account(1)
    register_gas = registry.register(file_id, fresh(), fresh(), owner=owner)["gasUsed"]
    rotate_gas = registry.rotate(file_id, 1, fresh(), owner=owner)["gasUsed"]
    assert register_gas <= 150_000, register_gas
    assert rotate_gas <= 60_000, rotate_gas
