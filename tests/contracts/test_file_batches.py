"""FileRegistry's batches, batched files' pointers, and transfers of ownership: every path an attacker would try."""

from __future__ import annotations

from dataclasses import replace

import pytest
from web3.logs import DISCARD

from kura.chain.client import Chain
from kura.chain.file_registry import FileRegistryClient, Registration, batch_root
from kura.market.merkle import MerkleTree
from tests.contracts.expect import reverts
from tests.contracts.test_file_registry import deploy, fresh
from tests.contracts.trust_layer import PARAMS, cost

DEPOSIT = PARAMS.files.min_deposit


@pytest.fixture
def registry(chain: Chain) -> FileRegistryClient:
    """A fresh FileRegistry per test."""
    return deploy(chain)


def files(count: int) -> list[Registration]:
    return [Registration(fresh(), fresh(), fresh()) for _ in range(count)]


def test_a_batch_registers_every_file_emits_each_and_remembers_its_root(
    chain: Chain, registry: FileRegistryClient
) -> None:
    owner, batch = chain.account(1), files(5)
    receipt = registry.register_batch(batch, owner=owner)
    events = registry.contract.events.FileRegistered().process_receipt(receipt, errors=DISCARD)
    assert [(e.args.fileId, e.args.manifestDigest, e.args.sharesRoot) for e in events] == [
        (f.file_id, f.manifest_digest, f.shares_root) for f in batch
    ]
    (registered,) = registry.contract.events.BatchRegistered().process_receipt(receipt, errors=DISCARD)
    assert registered.args == {
        "batchRoot": batch_root(batch),
        "owner": owner.address,
        "count": 5,
        "depositEach": DEPOSIT,
    }
    assert registry.chain.call(registry.contract.functions.isBatchRoot(batch_root(batch)))
    assert chain.w3.eth.get_balance(registry.contract.address) == 5 * DEPOSIT
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    for file in batch:
        assert registry.head_of(file.file_id) == (owner.address, True, block["timestamp"], block["timestamp"])
        assert registry.deposit_of(file.file_id) == DEPOSIT
        record = registry.file_of(file.file_id)  # from the event, the pointers not being stored
        assert (record.owner, record.version, record.manifest_digest, record.shares_root) == (
            owner.address,
            1,
            file.manifest_digest,
            file.shares_root,
        )
    assert registry.batch_of(batch[3].file_id) == batch


@pytest.mark.parametrize("count", [1, 2, 3, 7, 8, 33])
def test_the_chain_and_python_compute_the_same_batch_root(
    chain: Chain, registry: FileRegistryClient, count: int
) -> None:
    batch = files(count)
    receipt = registry.register_batch(batch, owner=chain.account(1))
    (registered,) = registry.contract.events.BatchRegistered().process_receipt(receipt, errors=DISCARD)
    assert registered.args.batchRoot == batch_root(batch)


def test_a_batch_costs_at_most_30k_gas_per_file(chain: Chain, registry: FileRegistryClient) -> None:
    for count in (100, 400):
        gas = registry.register_batch(files(count), owner=chain.account(1))["gasUsed"]
        assert gas / count <= 30_000, (count, gas / count)


def test_batches_refuse_bad_input(chain: Chain, registry: FileRegistryClient) -> None:
    owner, batch = chain.account(1), files(3)
    call = registry.contract.functions.registerBatch
    ids, digests, roots = ([getattr(f, name) for f in batch] for name in ("file_id", "manifest_digest", "shares_root"))
    with reverts("EmptyBatch"):
        chain.transact(call([], [], []), sender=owner)
    with reverts("BatchLengthMismatch") as caught:
        chain.transact(call(ids, digests[:2], roots), sender=owner, value=3 * DEPOSIT)
    assert caught.value.args_by_name == {"fileIds": 3, "manifestDigests": 2, "sharesRoots": 3}
    for value in (0, 3 * DEPOSIT - 1, 3 * DEPOSIT + 1):
        with reverts("WrongBatchDeposit") as caught:
            chain.transact(call(ids, digests, roots), sender=owner, value=value)
        assert caught.value.args_by_name == {"count": 3, "sent": value, "required": 3 * DEPOSIT}
    with reverts("EmptyPointer"):
        chain.transact(call(ids, [digests[0], bytes(32), digests[2]], roots), sender=owner, value=3 * DEPOSIT)
    with reverts("FileAlreadyExists"):  # the same id twice in one batch
        chain.transact(call([ids[0], ids[1], ids[0]], digests, roots), sender=owner, value=3 * DEPOSIT)
    registry.register(ids[1], fresh(), fresh(), owner=chain.account(2))
    with reverts("FileAlreadyExists"):  # an id registered before, by anyone
        registry.register_batch(batch, owner=owner)
    registry.register_batch([batch[0], batch[2]], owner=owner)
    with reverts("FileAlreadyExists"):  # and a batched id cannot be registered singly
        registry.register(ids[0], fresh(), fresh(), owner=owner)


def test_a_stamp_only_registry_takes_no_batches(chain: Chain) -> None:
    registry = deploy(chain, replace(PARAMS.files, min_deposit=0))
    with reverts("BatchesNeedDeposits"):
        registry.register_batch(files(2), owner=chain.account(1))


def test_a_free_registry_takes_batches_without_deposits(chain: Chain) -> None:
    registry = deploy(chain, replace(PARAMS.files, min_deposit=0, difficulty_bits=0))
    batch = files(2)
    registry.register_batch(batch, owner=chain.account(1))
    assert registry.deposit_of(batch[0].file_id) == 0
    registry.remove(batch[0].file_id, owner=chain.account(1))
    assert registry.payments(chain.account(1).address) == 0


def test_a_batched_file_must_have_its_pointers_written_before_it_changes(
    chain: Chain, registry: FileRegistryClient
) -> None:
    owner, batch = chain.account(1), files(4)
    registry.register_batch(batch, owner=owner)
    target = batch[2].file_id
    for attempt in (
        lambda: registry.rotate(target, 1, fresh(), owner=owner),
        lambda: registry.update_shares(target, fresh(), owner=owner),
        lambda: registry.manifest_of(target, 1),
        lambda: registry.chain.call(registry.contract.functions.fileOf(target)),
    ):
        with reverts("PointersInBatch") as caught:
            attempt()
        assert caught.value.args_by_name == {"fileId": "0x" + target.hex()}
    receipt = registry.write_pointers(target, sender=chain.account(5))  # anyone may: the pointers are public
    (written,) = registry.contract.events.PointersWritten().process_receipt(receipt, errors=DISCARD)
    assert written.args == {"fileId": target}
    stored = registry.chain.call(registry.contract.functions.fileOf(target))
    assert (stored[1], bytes(stored[4]), bytes(stored[5])) == (1, batch[2].manifest_digest, batch[2].shares_root)
    assert registry.head_of(target)[:2] == (owner.address, False)
    registry.rotate(target, 1, fresh(), owner=owner)
    registry.update_shares(target, fresh(), owner=owner)
    assert registry.file_of(target).version == 2
    with reverts("NotInBatch"):  # once only
        registry.write_pointers(target, sender=owner)


def test_write_pointers_refuses_anything_but_the_registered_leaf(chain: Chain, registry: FileRegistryClient) -> None:
    owner, batch, other = chain.account(1), files(4), files(2)
    registry.register_batch(batch, owner=owner)
    registry.register_batch(other, owner=owner)
    tree = MerkleTree([f.leaf() for f in batch])
    target = batch[1]
    write = registry.contract.functions.writePointers
    forged = (
        (target.file_id, fresh(), target.shares_root, tree.proof(1)),  # another manifest
        (target.file_id, target.manifest_digest, fresh(), tree.proof(1)),  # another shares root
        (target.file_id, target.manifest_digest, target.shares_root, tree.proof(2)),  # the wrong proof
        (target.file_id, target.manifest_digest, target.shares_root, []),  # no proof
        (
            target.file_id,
            other[0].manifest_digest,
            other[0].shares_root,  # another batch's leaf
            MerkleTree([f.leaf() for f in other]).proof(0),
        ),
    )
    for args in forged:
        with reverts("NotInBatch"):
            chain.transact(write(*args), sender=owner)
    single = fresh()
    registry.register(single, fresh(), fresh(), owner=owner)
    with reverts("NotInBatch"):  # a file registered alone has its pointers stored already
        registry.write_pointers(single, sender=owner)
    with reverts("UnknownFile"):
        chain.transact(write(fresh(), fresh(), fresh(), []), sender=owner)
    registry.remove(target.file_id, owner=owner)
    with reverts("FileIsDeleted"):
        registry.write_pointers(target.file_id, sender=owner)


def test_a_batched_file_is_removed_on_its_own_and_its_deposit_credited(
    chain: Chain, registry: FileRegistryClient
) -> None:
    owner, batch = chain.account(1), files(3)
    registry.register_batch(batch, owner=owner)
    with reverts("NotFileOwner"):
        registry.remove(batch[0].file_id, owner=chain.account(2))
    receipt = registry.remove(batch[0].file_id, owner=owner)
    assert receipt["gasUsed"] < 60_000
    (deleted,) = registry.contract.events.FileDeleted().process_receipt(receipt, errors=DISCARD)
    assert deleted.args == {"fileId": batch[0].file_id, "owner": owner.address}
    assert (registry.deposit_of(batch[0].file_id), registry.payments(owner.address)) == (0, DEPOSIT)
    for attempt in (
        lambda: registry.file_of(batch[0].file_id),
        lambda: registry.head_of(batch[0].file_id),
        lambda: registry.remove(batch[0].file_id, owner=owner),
    ):
        with reverts("FileIsDeleted"):
            attempt()
    assert registry.file_of(batch[1].file_id).owner == owner.address  # the others are untouched
    assert registry.deposit_of(batch[1].file_id) == DEPOSIT


def test_transfer_hands_over_the_file_and_its_deposit(chain: Chain, registry: FileRegistryClient) -> None:
    alice, bob = chain.account(1), chain.account(2)
    file_id = fresh()
    registry.register(file_id, fresh(), fresh(), owner=alice)
    receipt = registry.transfer(file_id, bob.address, owner=alice)
    (moved,) = registry.contract.events.FileTransferred().process_receipt(receipt, errors=DISCARD)
    assert moved.args == {"fileId": file_id, "from": alice.address, "to": bob.address}
    assert registry.file_of(file_id).owner == bob.address
    for attempt in (  # the old owner can do nothing more
        lambda: registry.rotate(file_id, 1, fresh(), owner=alice),
        lambda: registry.update_shares(file_id, fresh(), owner=alice),
        lambda: registry.transfer(file_id, alice.address, owner=alice),
        lambda: registry.remove(file_id, owner=alice),
    ):
        with reverts("NotFileOwner") as caught:
            attempt()
        assert caught.value.args_by_name["owner"] == bob.address
    registry.rotate(file_id, 1, fresh(), owner=bob)
    registry.remove(file_id, owner=bob)
    assert (registry.payments(alice.address), registry.payments(bob.address)) == (0, DEPOSIT)
    before = chain.w3.eth.get_balance(bob.address)
    pulled = registry.withdraw_payments(payee=bob)
    assert chain.w3.eth.get_balance(bob.address) == before + DEPOSIT - cost(pulled)


def test_transfer_refuses_strangers_the_zero_address_and_the_owner_itself(
    chain: Chain, registry: FileRegistryClient
) -> None:
    alice, bob = chain.account(1), chain.account(2)
    file_id = fresh()
    registry.register(file_id, fresh(), fresh(), owner=alice)
    with reverts("NotFileOwner"):
        registry.transfer(file_id, bob.address, owner=bob)
    for target in ("0x" + "00" * 20, alice.address):
        with reverts("BadNewOwner") as caught:
            registry.transfer(file_id, target, owner=alice)
        assert caught.value.args_by_name == {"fileId": "0x" + file_id.hex(), "newOwner": target}
    with reverts("UnknownFile"):
        registry.transfer(fresh(), bob.address, owner=alice)
    registry.remove(file_id, owner=alice)
    with reverts("FileIsDeleted"):
        registry.transfer(file_id, bob.address, owner=alice)


def test_a_batched_file_is_transferred_without_writing_its_pointers(chain: Chain, registry: FileRegistryClient) -> None:
    alice, bob, batch = chain.account(1), chain.account(2), files(3)
    registry.register_batch(batch, owner=alice)
    registry.transfer(batch[1].file_id, bob.address, owner=alice)
    assert registry.head_of(batch[1].file_id)[:2] == (bob.address, True)
    assert registry.file_of(batch[1].file_id).owner == bob.address
    registry.write_pointers(batch[1].file_id, sender=alice)
    with reverts("NotFileOwner"):
        registry.rotate(batch[1].file_id, 1, fresh(), owner=alice)
    registry.rotate(batch[1].file_id, 1, fresh(), owner=bob)
    registry.remove(batch[1].file_id, owner=bob)
    assert registry.payments(bob.address) == DEPOSIT


def test_a_batch_id_is_never_reusable_after_removal(chain: Chain, registry: FileRegistryClient) -> None:
    owner, batch = chain.account(1), files(2)
    registry.register_batch(batch, owner=owner)
    registry.remove(batch[0].file_id, owner=owner)
    with reverts("FileAlreadyExists"):
        registry.register_batch([batch[0]], owner=owner)
    with reverts("FileAlreadyExists"):
        registry.register(batch[0].file_id, fresh(), fresh(), owner=owner)
