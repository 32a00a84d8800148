"""Confidential storage end to end on the devnet: real Kubo nodes, real chain (S1–S5, S9)."""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.codes.params import CodeParams, Scheme
from kura.config import resolve_network
from kura.devnet.state import DevnetState
from kura.errors import ContractRevertError, DecryptionError, NotEnoughSharesError, StorageError
from kura.ipfs import KuboClient
from kura.ipfs.cid import raw_cid
from kura.storage.client.files import StorageClient
from kura.storage.shared.nodes import NodePool, nodes_of
from tests.integration.storage_fixtures import MSR_3_5, client_for, write


def digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def _node_process(devnet: DevnetState, api_url: str) -> Any:
    return next(node.process for node in devnet.kubo if node.api_url == api_url)


@pytest.mark.parametrize(
    ("params", "size"),
    [
        (MSR_3_5, 1_000_003),
        (MSR_3_5, 0),
        (CodeParams(Scheme.MSR, 2, 6), 4096),
        (CodeParams(Scheme.RS, 4, 6), 300_000),
        (CodeParams(Scheme.SHAMIR, 2, 3), 10_000),
    ],
)
def test_put_get_round_trip(alice: StorageClient, tmp_path: Path, params: CodeParams, size: int) -> None:
    source = write(tmp_path / "record.bin", size)
    stored = alice.put(source, params)
    assert len({p.peer_id for p in stored.placements}) == params.n
    result = alice.get(stored.file_id, tmp_path / "back.bin")
    assert digest(tmp_path / "back.bin") == digest(source) and result.size == size
    assert len(result.shares_used) == params.k


def test_only_the_owner_can_read_rotate_or_delete(alice: StorageClient, bob: StorageClient, tmp_path: Path) -> None:
    stored = alice.put(write(tmp_path / "a", 5000), MSR_3_5)
    with pytest.raises(DecryptionError, match="not a reader"):
        bob.get(stored.file_id, tmp_path / "stolen")
    assert not (tmp_path / "stolen").exists()
    with pytest.raises((ContractRevertError, DecryptionError)):
        bob.remove(stored.file_id)
    assert alice.manifest(stored.file_id)[0].version == 1


def test_unknown_file_id(alice: StorageClient, tmp_path: Path) -> None:
    with pytest.raises(ContractRevertError, match="UnknownFile"):
        alice.get(os.urandom(32), tmp_path / "x")


def test_losing_n_minus_k_shares_is_survivable_but_one_more_is_not(
    alice: StorageClient, pool: NodePool, tmp_path: Path
) -> None:
    source = write(tmp_path / "scan", 200_000)
    stored = alice.put(source, MSR_3_5)
    for placement in stored.placements[:2]:
        client = pool.client(placement.node)
        client.pin_rm(placement.cid)
        client.gc()
    alice.get(stored.file_id, tmp_path / "back")
    assert digest(tmp_path / "back") == digest(source)
    third = stored.placements[2]
    pool.client(third.node).pin_rm(third.cid)
    pool.client(third.node).gc()
    with pytest.raises(NotEnoughSharesError) as caught:
        alice.get(stored.file_id, tmp_path / "again")
    for placement in stored.placements[:3]:
        assert placement.node.name in str(caught.value)
    assert not (tmp_path / "again").exists()


def test_a_node_hung_during_get_is_skipped(
    alice: StorageClient, chain: Chain, deployment: Deployment, devnet: DevnetState, pool: NodePool, tmp_path: Path
) -> None:
    source = write(tmp_path / "scan", 100_000)
    stored = alice.put(source, MSR_3_5)
    hung = _node_process(devnet, stored.placements[0].node.api_url)
    os.kill(hung.pid, signal.SIGSTOP)
    try:
        with NodePool(pool.nodes, timeout=3) as impatient:
            result = client_for(chain, deployment, impatient, 3).get(stored.file_id, tmp_path / "back")
    finally:
        os.kill(hung.pid, signal.SIGCONT)
    assert digest(tmp_path / "back") == digest(source)
    assert stored.placements[0].node.name in result.bad_nodes


def test_a_node_hung_during_put_without_spare_registers_nothing_and_leaves_no_pins(
    alice: StorageClient,
    chain: Chain,
    deployment: Deployment,
    devnet: DevnetState,
    pool: NodePool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before_files = {f.file_id for f in alice.list()}
    before_pins = {node.name: pool.client(node).pins() for node in pool.nodes}
    hung = devnet.kubo[0].process
    with NodePool(pool.nodes, timeout=3) as impatient:
        probes = impatient.probe()
        monkeypatch.setattr(impatient, "probe", lambda *args, **kwargs: probes)
        os.kill(hung.pid, signal.SIGSTOP)
        try:
            with pytest.raises(StorageError, match="no spare node is left"):
                client = client_for(chain, deployment, impatient, 3)
                client.put(write(tmp_path / "f", 50_000), CodeParams(Scheme.MSR, 3, 6))
        finally:
            os.kill(hung.pid, signal.SIGCONT)
    assert {f.file_id for f in alice.list()} == before_files
    # The hung node may still pin the upload it received while frozen: it was unreachable during the
    # rollback. Every node that answered has exactly the pins it had before.
    answering = [node for node in pool.nodes if node.api_url != devnet.kubo[0].api_url]
    assert {node.name: pool.client(node).pins() for node in answering} == {
        node.name: before_pins[node.name] for node in answering
    }


def test_a_refused_registration_leaves_no_shares_and_no_manifest_pinned(
    alice: StorageClient, pool: NodePool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_files = {f.file_id for f in alice.list()}
    before_pins = {node.name: pool.client(node).pins() for node in pool.nodes}
    published: list[bytes] = []

    def refuse(file_id: bytes, digest: bytes, shares_root: bytes, *, owner: object) -> None:
        published.append(digest)
        assert any(raw_cid(digest) in pool.client(node).pins() for node in pool.nodes)  # stored before registering
        raise ContractRevertError("InsufficientDeposit", {}, "refused for the test")

    monkeypatch.setattr(alice.registry, "register", refuse)
    with pytest.raises(ContractRevertError, match="refused for the test"):
        alice.put(write(tmp_path / "f", 40_000), MSR_3_5)
    assert len(published) == 1
    assert {f.file_id for f in alice.list()} == before_files
    assert {node.name: pool.client(node).pins() for node in pool.nodes} == before_pins


def test_a_stamped_put_locks_no_deposit(alice: StorageClient, tmp_path: Path) -> None:
    source = write(tmp_path / "f", 30_000)
    stored = alice.put(source, MSR_3_5, stamp=True)
    assert alice.registry.deposit_of(stored.file_id) == 0
    assert alice.manifest(stored.file_id)[0].version == 1
    alice.get(stored.file_id, tmp_path / "back")
    assert digest(tmp_path / "back") == digest(source)
    assert alice.remove(stored.file_id).refunded == 0


def test_a_stamp_is_refused_before_uploading_where_the_registry_takes_none(
    alice: StorageClient, pool: NodePool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_pins = {node.name: pool.client(node).pins() for node in pool.nodes}
    monkeypatch.setattr(alice.registry, "difficulty_bits", lambda: 0)
    with pytest.raises(StorageError, match="takes no stamps"):
        alice.put(write(tmp_path / "f", 30_000), MSR_3_5, stamp=True)
    assert {node.name: pool.client(node).pins() for node in pool.nodes} == before_pins


def test_rotation_voids_the_old_manifest(alice: StorageClient, pool: NodePool, tmp_path: Path) -> None:
    source = write(tmp_path / "f", 20_000)
    stored = alice.put(source, MSR_3_5)
    old = alice.manifest(stored.file_id)[0].manifest_digest
    version, gas = alice.rotate(stored.file_id)
    assert version == 2 and gas <= 60_000
    record = alice.manifest(stored.file_id)[0]
    assert record.version == 2 and record.manifest_digest != old
    with pytest.raises(ContractRevertError, match="SupersededVersion"):
        alice.registry.manifest_of(stored.file_id, 1)
    assert all(raw_cid(old) not in pool.client(node).pins() for node in pool.nodes)
    alice.get(stored.file_id, tmp_path / "back")
    assert digest(tmp_path / "back") == digest(source)


def test_delete_unpins_everything_and_refunds_the_deposit(alice: StorageClient, pool: NodePool, tmp_path: Path) -> None:
    stored = alice.put(write(tmp_path / "f", 20_000), MSR_3_5)
    deposit = alice.registry.deposit_of(stored.file_id)
    balance = alice.contracts.chain.w3.eth.get_balance(alice.owner.address)
    removed = alice.remove(stored.file_id)
    assert deposit > 0 and removed.refunded == deposit
    assert alice.registry.payments(alice.owner.address) == 0
    fees = balance + deposit - alice.contracts.chain.w3.eth.get_balance(alice.owner.address)
    assert 0 < fees < deposit  # the deposit came back; only the two transactions' gas was spent
    for placement in stored.placements:
        assert placement.cid not in pool.client(placement.node).pins()
    with pytest.raises(ContractRevertError, match="FileIsDeleted"):
        alice.get(stored.file_id, tmp_path / "x")
    assert stored.file_id not in {f.file_id for f in alice.list()}


def test_equal_files_give_unrelated_share_cids_that_name_no_owner(alice: StorageClient, tmp_path: Path) -> None:
    source = write(tmp_path / "same", 30_000)
    first, second = alice.put(source, MSR_3_5), alice.put(source, MSR_3_5)
    assert {p.cid for p in first.placements}.isdisjoint({p.cid for p in second.placements})
    owner = bytes.fromhex(alice.owner.address[2:])
    for placement in first.placements:
        assert owner not in KuboClient(placement.node.api_url).cat(placement.cid)


def test_put_and_get_through_a_socks_proxy(
    chain: Chain, deployment: Deployment, socks_proxy: Any, tmp_path: Path
) -> None:
    with NodePool(nodes_of(resolve_network("devnet")), proxy=socks_proxy.url) as proxied:
        client = client_for(chain, deployment, proxied, 5)
        source = write(tmp_path / "f", 40_000)
        stored = client.put(source, MSR_3_5)
        client.get(stored.file_id, tmp_path / "back")
    assert digest(tmp_path / "back") == digest(source)
    for placement in stored.placements:
        assert socks_proxy.relayed_to(int(placement.node.api_url.rsplit(":", 1)[1])) >= 1
