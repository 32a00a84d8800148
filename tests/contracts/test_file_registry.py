"""FileRegistry: every path, including the ones an attacker would try."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from web3.logs import DISCARD

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.file_registry import FileRegistryClient
from kura.chain.params import FileRegistryParams
from kura.chain.stamp import mint_stamp, stamp_ok
from kura.errors import ContractRevertError
from tests.contracts.expect import reverts
from tests.contracts.trust_layer import PARAMS, cost


def deploy(chain: Chain, params: FileRegistryParams = PARAMS.files) -> FileRegistryClient:
    """A fresh FileRegistry with ``params``."""
    deployed = chain.deploy("FileRegistry", *params.args(), sender=chain.account(0))
    return FileRegistryClient(chain, Deployment(chain.chain_id, chain.genesis_hash, {"FileRegistry": deployed}))


@pytest.fixture
def registry(chain: Chain) -> FileRegistryClient:
    """A fresh FileRegistry per test (the test parameters), so no test sees another's files."""
    return deploy(chain)


def fresh() -> bytes:
    return secrets.token_bytes(32)


def test_register_records_owner_pointer_version_and_emits(chain: Chain, registry: FileRegistryClient) -> None:
    file_id, digest, root = fresh(), fresh(), fresh()
    receipt = registry.register(file_id, digest, root, owner=chain.account(1))
    (event,) = registry.contract.events.FileRegistered().process_receipt(receipt, errors=DISCARD)
    assert event.args == {
        "fileId": file_id,
        "owner": chain.account(1).address,
        "manifestDigest": digest,
        "sharesRoot": root,
    }
    record = registry.file_of(file_id)
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    assert (record.owner, record.version, record.created_at, record.updated_at) == (
        chain.account(1).address,
        1,
        block["timestamp"],
        block["timestamp"],
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
    (event,) = registry.contract.events.ManifestRotated().process_receipt(receipt, errors=DISCARD)
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
    (event,) = registry.contract.events.SharesUpdated().process_receipt(receipt, errors=DISCARD)
    assert (event.args.version, event.args.sharesRoot) == (1, root)
    assert registry.file_of(file_id).shares_root == root


def test_deleted_files_no_longer_resolve_and_cannot_change(chain: Chain, registry: FileRegistryClient) -> None:
    file_id = fresh()
    owner = chain.account(1)
    registry.register(file_id, fresh(), fresh(), owner=owner)
    receipt = registry.remove(file_id, owner=owner)
    (deleted,) = registry.contract.events.FileDeleted().process_receipt(receipt, errors=DISCARD)
    assert deleted.args.owner == owner.address
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


def test_gas_targets_register_100k_rotate_60k(chain: Chain, registry: FileRegistryClient) -> None:
    owner = chain.account(1)
    file_id, stamped = fresh(), fresh()
    register_gas = registry.register(file_id, fresh(), fresh(), owner=owner)["gasUsed"]
    rotate_gas = registry.rotate(file_id, 1, fresh(), owner=owner)["gasUsed"]
    nonce = mint_stamp(owner.address, stamped, PARAMS.files.difficulty_bits)
    stamp_gas = registry.register_with_stamp(stamped, fresh(), fresh(), nonce, owner=owner)["gasUsed"]
    assert register_gas <= 100_000, register_gas
    assert stamp_gas <= 100_000, stamp_gas
    assert rotate_gas <= 60_000, rotate_gas


def test_a_deposit_other_than_the_minimum_is_refused(chain: Chain, registry: FileRegistryClient) -> None:
    owner, file_id = chain.account(1), fresh()
    for short in (0, PARAMS.files.min_deposit - 1, PARAMS.files.min_deposit + 7):
        with reverts("WrongDeposit") as caught:
            registry.register(file_id, fresh(), fresh(), owner=owner, deposit=short)
        assert caught.value.args_by_name == {
            "fileId": "0x" + file_id.hex(),
            "sent": short,
            "required": PARAMS.files.min_deposit,
        }
    with reverts("UnknownFile"):
        registry.file_of(file_id)


def test_deposit_is_locked_and_emitted(chain: Chain, registry: FileRegistryClient) -> None:
    owner, file_id = chain.account(1), fresh()
    assert registry.min_deposit() == PARAMS.files.min_deposit
    receipt = registry.register(file_id, fresh(), fresh(), owner=owner)
    (event,) = registry.contract.events.DepositPaid().process_receipt(receipt, errors=DISCARD)
    assert event.args == {"fileId": file_id, "owner": owner.address, "amount": PARAMS.files.min_deposit}
    assert registry.deposit_of(file_id) == PARAMS.files.min_deposit
    assert chain.w3.eth.get_balance(registry.contract.address) == PARAMS.files.min_deposit
    assert registry.payments(owner.address) == 0


def test_remove_credits_the_deposit_to_the_owner_who_pulls_it_once(chain: Chain, registry: FileRegistryClient) -> None:
    owner, file_id = chain.account(1), fresh()
    registry.register(file_id, fresh(), fresh(), owner=owner)
    registry.register(fresh(), fresh(), fresh(), owner=owner)
    receipt = registry.remove(file_id, owner=owner)
    (credited,) = registry.contract.events.PaymentCredited().process_receipt(receipt, errors=DISCARD)
    assert credited.args == {"payee": owner.address, "amount": PARAMS.files.min_deposit}
    assert (registry.deposit_of(file_id), registry.payments(owner.address)) == (0, PARAMS.files.min_deposit)
    before = chain.w3.eth.get_balance(owner.address)
    pulled = registry.withdraw_payments(payee=owner)
    assert chain.w3.eth.get_balance(owner.address) == before + PARAMS.files.min_deposit - cost(pulled)
    locked = chain.w3.eth.get_balance(registry.contract.address)
    assert locked == PARAMS.files.min_deposit, "the live file's deposit stays locked"
    with reverts("NothingToWithdraw"):
        registry.withdraw_payments(payee=owner)


def test_nobody_but_the_owner_gets_a_deposit_back(chain: Chain, registry: FileRegistryClient) -> None:
    owner, intruder, file_id = chain.account(1), chain.account(3), fresh()
    registry.register(file_id, fresh(), fresh(), owner=owner)
    with reverts("NothingToWithdraw"):
        registry.withdraw_payments(payee=intruder)
    with reverts("NotFileOwner"):
        registry.remove(file_id, owner=intruder)
    registry.remove(file_id, owner=owner)
    with reverts("NothingToWithdraw") as caught:
        registry.withdraw_payments(payee=intruder)
    assert caught.value.args_by_name == {"payee": intruder.address}
    assert (registry.payments(intruder.address), registry.payments(owner.address)) == (0, PARAMS.files.min_deposit)


def test_a_stamp_registers_without_a_deposit_and_refunds_nothing(chain: Chain, registry: FileRegistryClient) -> None:
    owner, file_id = chain.account(2), fresh()
    nonce = mint_stamp(owner.address, file_id, PARAMS.files.difficulty_bits)
    receipt = registry.register_with_stamp(file_id, fresh(), fresh(), nonce, owner=owner)
    (event,) = registry.contract.events.StampAccepted().process_receipt(receipt, errors=DISCARD)
    assert event.args == {"fileId": file_id, "owner": owner.address, "nonce": nonce}
    assert registry.file_of(file_id).owner == owner.address
    assert (registry.deposit_of(file_id), chain.w3.eth.get_balance(registry.contract.address)) == (0, 0)
    registry.remove(file_id, owner=owner)
    assert registry.payments(owner.address) == 0
    with reverts("FileAlreadyExists"):
        registry.register_with_stamp(file_id, fresh(), fresh(), nonce, owner=owner)


def weak_for(sender: str, file_id: bytes, nonce: int) -> bool:
    return not stamp_ok(sender, file_id, nonce, PARAMS.files.difficulty_bits)


def test_a_stamp_below_the_difficulty_is_refused(chain: Chain, registry: FileRegistryClient) -> None:
    owner, file_id = chain.account(2), fresh()
    nonce = next(n for n in range(1 << 16) if weak_for(owner.address, file_id, n))
    with reverts("StampTooWeak") as caught:
        registry.register_with_stamp(file_id, fresh(), fresh(), nonce, owner=owner)
    assert caught.value.args_by_name == {
        "sender": owner.address,
        "fileId": "0x" + file_id.hex(),
        "nonce": nonce,
        "required": PARAMS.files.difficulty_bits,
    }


def test_a_stamp_cannot_be_replayed_for_another_file_or_by_another_sender(
    chain: Chain, registry: FileRegistryClient
) -> None:
    owner, file_id = chain.account(2), fresh()
    nonce = mint_stamp(owner.address, file_id, PARAMS.files.difficulty_bits)
    other_file = next(f for f in iter(fresh, None) if weak_for(owner.address, f, nonce))
    thief = next(chain.account(i) for i in range(3, 20) if weak_for(chain.account(i).address, file_id, nonce))
    with reverts("StampTooWeak"):
        registry.register_with_stamp(other_file, fresh(), fresh(), nonce, owner=owner)
    with reverts("StampTooWeak"):
        registry.register_with_stamp(file_id, fresh(), fresh(), nonce, owner=thief)
    registry.register_with_stamp(file_id, fresh(), fresh(), nonce, owner=owner)
    assert registry.file_of(file_id).owner == owner.address


def test_chain_and_python_agree_on_which_stamps_pass(chain: Chain) -> None:
    registry = deploy(chain, replace(PARAMS.files, difficulty_bits=3))
    sender, file_id = chain.account(2).address, fresh()
    verdicts = []
    for nonce in range(48):
        call = registry.contract.functions.registerWithStamp(file_id, fresh(), fresh(), nonce)
        try:
            chain.call(call, sender=sender)
            verdicts.append(True)
        except ContractRevertError as caught:
            assert caught.error_name == "StampTooWeak"
            verdicts.append(False)
    assert verdicts == [stamp_ok(sender, file_id, nonce, 3) for nonce in range(48)]
    assert True in verdicts and False in verdicts


def test_a_registry_deployed_without_difficulty_takes_no_stamps(chain: Chain) -> None:
    registry = deploy(chain, replace(PARAMS.files, difficulty_bits=0))
    with reverts("StampsDisabled"):
        registry.register_with_stamp(fresh(), fresh(), fresh(), 0, owner=chain.account(1))
