"""kura's FileRegistry through ape's own fixtures, as ``ape test tests/ape`` runs it: ape compiles the contract
(tools/solc, see ape-config.yaml), deploys it from its test accounts, and reports reverts as the contract's custom
errors. The main suite runs this folder through ``ape test`` (tests/integration/test_ape_compile.py); the full
contract tests are in tests/contracts, on kura's own chain client."""

from __future__ import annotations

import secrets
from typing import Any

import ape
import pytest

from kura.chain.params import FileRegistryParams

DEPOSIT, BITS = FileRegistryParams().args()


def digest() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def owner(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture
def stranger(accounts: Any) -> Any:
    return accounts[1]


@pytest.fixture
def registry(project: Any, owner: Any) -> Any:
    """A FileRegistry with kura's deposit and stamp difficulty."""
    return project.FileRegistry.deploy(DEPOSIT, BITS, sender=owner)


@pytest.fixture
def file_id(registry: Any, owner: Any) -> bytes:
    """A file the owner registered, at version 1."""
    fresh = secrets.token_bytes(32)
    registry.register(fresh, digest(), digest(), sender=owner, value=DEPOSIT)
    return fresh


def test_deploy_records_the_deployer_and_parameters(registry: Any, owner: Any) -> None:
    assert (registry.deployer(), registry.minDeposit(), registry.difficultyBits()) == (owner.address, DEPOSIT, BITS)


def test_register_records_the_file_holds_the_deposit_and_emits(registry: Any, owner: Any) -> None:
    fresh, manifest, shares = secrets.token_bytes(32), digest(), digest()
    receipt = registry.register(fresh, manifest, shares, sender=owner, value=DEPOSIT)
    assert receipt.events == [
        registry.FileRegistered(fileId=fresh, owner=owner.address, manifestDigest=manifest, sharesRoot=shares),
        registry.DepositPaid(fileId=fresh, owner=owner.address, amount=DEPOSIT),
    ]
    record = registry.fileOf(fresh)
    assert (record.owner, record.version, record.manifestDigest) == (owner.address, 1, manifest)
    assert registry.depositOf(fresh) == DEPOSIT


def test_rotate_with_a_stale_version_reverts_with_version_mismatch(registry: Any, owner: Any, file_id: bytes) -> None:
    with ape.reverts(registry.VersionMismatch, fileId=file_id, expected=2, current=1):
        registry.rotate(file_id, 2, digest(), sender=owner)
    fresh = digest()
    registry.rotate(file_id, 1, fresh, sender=owner)
    with ape.reverts(registry.VersionMismatch, fileId=file_id, expected=1, current=2):
        registry.rotate(file_id, 1, digest(), sender=owner)
    assert (registry.fileOf(file_id).version, registry.manifestOf(file_id, 2)) == (2, fresh)


def test_only_the_owner_rotates(registry: Any, owner: Any, stranger: Any, file_id: bytes) -> None:
    with ape.reverts(registry.NotFileOwner, fileId=file_id, caller=stranger.address, owner=owner.address):
        registry.rotate(file_id, 1, digest(), sender=stranger)


def test_a_deposit_below_the_minimum_and_a_replayed_id_are_refused(
    registry: Any, owner: Any, stranger: Any, file_id: bytes
) -> None:
    fresh = secrets.token_bytes(32)
    with ape.reverts(registry.WrongDeposit, fileId=fresh, sent=DEPOSIT - 1, required=DEPOSIT):
        registry.register(fresh, digest(), digest(), sender=owner, value=DEPOSIT - 1)
    with ape.reverts(registry.FileAlreadyExists, fileId=file_id):
        registry.register(file_id, digest(), digest(), sender=stranger, value=DEPOSIT)
