"""Many files in batches: one registration per batch, each file still read, rotated and removed on its own."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.codes.params import CodeParams, Scheme
from kura.devnet.state import DevnetState
from kura.errors import ContractRevertError, StorageError
from kura.storage.client import batch
from kura.storage.client.files import StorageClient
from kura.storage.shared.nodes import NodePool
from tests.integration.storage_fixtures import MSR_3_5, client_for, write

SIZES = (0, 1, 1_000, 10_240, 10_240, 70_000, 200_000)


def folder_of(tmp_path: Path, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    return [write(tmp_path / f"resource-{i}.json", size) for i, size in enumerate(sizes)]


def all_pins(nodes: NodePool) -> dict[str, set[str]]:
    return {node.name: nodes.client(node).pins() for node in nodes.nodes}


def test_batches_store_every_file_and_each_is_read_rotated_and_removed_on_its_own(
    alice: StorageClient, pool: NodePool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_FILES", 3)
    sources = [*folder_of(tmp_path), write(tmp_path / "scan.dcm", batch.INLINE_LIMIT + 100_000)]
    results = alice.put_many(sources, MSR_3_5)
    assert [len(result.files) for result in results] == [3, 3, 2]
    files = [file for result in results for file in result.files]
    assert [file.path for file in files] == sources
    assert len({file.file_id for file in files}) == len(sources)
    for file in files:
        assert sorted(p.index for p in file.placements) == list(range(5))
        assert len({p.node.name for p in file.placements}) == 5
        back = tmp_path / f"back-{file.path.name}"
        alice.get(file.file_id, back)
        assert back.read_bytes() == file.path.read_bytes()
    live = {record.file_id for record in alice.list()}
    assert {file.file_id for file in files} <= live

    rotated, removed, untouched = files[1], files[4], files[5]
    assert alice.registry.head_of(rotated.file_id)[1]  # pointers in the batch until the first rotation
    version, _ = alice.rotate(rotated.file_id)
    assert version == 2 and not alice.registry.head_of(rotated.file_id)[1]
    alice.get(rotated.file_id, tmp_path / "rotated")
    assert (tmp_path / "rotated").read_bytes() == rotated.path.read_bytes()

    outcome = alice.remove(removed.file_id)
    assert outcome.refunded == alice.registry.min_deposit()
    for placement in removed.placements:
        assert placement.cid not in pool.client(placement.node).pins()
    with pytest.raises(ContractRevertError, match="FileIsDeleted"):
        alice.get(removed.file_id, tmp_path / "gone")
    alice.get(untouched.file_id, tmp_path / "untouched")
    assert (tmp_path / "untouched").read_bytes() == untouched.path.read_bytes()


def test_a_batch_costs_one_transaction_of_under_30k_gas_a_file(alice: StorageClient, tmp_path: Path) -> None:
    sources = folder_of(tmp_path, (2_000,) * 60)
    eth = alice.contracts.chain.w3.eth
    sent_before = eth.get_transaction_count(alice.owner.address)
    (result,) = alice.put_many(sources, MSR_3_5)
    assert eth.get_transaction_count(alice.owner.address) == sent_before + 1  # blocks: the devnet mines every second
    assert result.register_gas / len(sources) <= 30_000, result.register_gas / len(sources)


def test_a_node_hung_during_a_batch_has_its_shares_moved_to_spares(
    alice: StorageClient,
    chain: Chain,
    deployment: Deployment,
    devnet: DevnetState,
    pool: NodePool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources = folder_of(tmp_path, (5_000,) * 6)
    hung = devnet.kubo[0]
    with NodePool(pool.nodes, timeout=3) as impatient:
        probes = impatient.probe()
        monkeypatch.setattr(impatient, "probe", lambda *args, **kwargs: probes)
        os.kill(hung.process.pid, signal.SIGSTOP)
        try:
            (result,) = client_for(chain, deployment, impatient, 3).put_many(sources, MSR_3_5)
        finally:
            os.kill(hung.process.pid, signal.SIGCONT)
    frozen = next(node.name for node in pool.nodes if node.api_url == hung.api_url)
    for file in result.files:
        assert frozen not in {p.node.name for p in file.placements}
        assert len({p.node.name for p in file.placements}) == 5
        alice.get(file.file_id, tmp_path / "back")
        assert (tmp_path / "back").read_bytes() == file.path.read_bytes()
    assert any(frozen in file.failed_nodes for file in result.files)


def test_a_refused_batch_registers_nothing_and_leaves_no_pins(
    alice: StorageClient, pool: NodePool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_files = {f.file_id for f in alice.list()}
    before_pins = all_pins(pool)
    sources = [*folder_of(tmp_path, (3_000,) * 4), write(tmp_path / "big", batch.INLINE_LIMIT + 1)]
    seen: list[int] = []

    def refuse(files: object, *, owner: object) -> None:
        seen.append(len(files))  # type: ignore[arg-type]
        raise ContractRevertError("WrongBatchDeposit", {}, "refused for the test")

    monkeypatch.setattr(alice.registry, "register_batch", refuse)
    with pytest.raises(ContractRevertError, match="refused for the test"):
        alice.put_many(sources, MSR_3_5)
    assert seen == [5]
    assert {f.file_id for f in alice.list()} == before_files
    assert all_pins(pool) == before_pins


def test_too_few_nodes_or_a_missing_file_store_nothing(alice: StorageClient, pool: NodePool, tmp_path: Path) -> None:
    before_pins = all_pins(pool)
    sources = folder_of(tmp_path, (3_000,) * 2)
    with pytest.raises(StorageError, match="need 9 distinct live storage nodes"):
        alice.put_many(sources, CodeParams(Scheme.MSR, 3, 9))
    with pytest.raises(StorageError, match="is not a readable file"):
        alice.put_many([*sources, tmp_path / "missing"], MSR_3_5)
    assert all_pins(pool) == before_pins
