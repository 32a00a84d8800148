"""Placing shares on distinct real Kubo nodes, and fetching them back, under node failures."""

from __future__ import annotations

import hashlib
import os
import random
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from kura.config import resolve_network
from kura.devnet.state import DevnetState
from kura.errors import CodecError, NotEnoughSharesError, StorageError
from kura.storage.client.fetch import Verify, fetch_shares
from kura.storage.client.placement import Placement, PlacementReport, place_while_writing
from kura.storage.shared.nodes import NodePool, StorageNode, nodes_of


@pytest.fixture
def pool(devnet: DevnetState) -> Iterator[NodePool]:
    with NodePool(nodes_of(resolve_network("devnet"))) as nodes:
        yield nodes


def make_shares(folder: Path, count: int, size: int = 50_000) -> dict[int, Path]:
    shares = {}
    for index in range(count):
        path = folder / f"share-{index}"
        path.write_bytes(os.urandom(size))
        shares[index] = path
    return shares


def place(shares: dict[int, Path], pool: NodePool, **options: object) -> PlacementReport:
    """Place ready-made share files through the streaming path, as a put does while encoding."""

    def write(sinks: list) -> None:
        for sink, index in zip(sinks, sorted(shares), strict=True):
            sink.write(shares[index].read_bytes())

    targets = {index: path.with_suffix(".placed") for index, path in shares.items()}
    return place_while_writing(targets, write, pool, **options)[1]  # type: ignore[arg-type]


class DigestCheck:
    """The Verify check of these tests: the fetched bytes must hash to the share's SHA-256."""

    def __init__(self, index: int, digest: bytes) -> None:
        self.index = index
        self.digest = digest
        self.state = hashlib.sha256()

    def update(self, data: bytes) -> None:
        self.state.update(data)

    def finish(self) -> None:
        if self.state.digest() != self.digest:
            raise CodecError(f"share {self.index} does not match its digest")


def verify_against(shares: dict[int, Path]) -> Verify:
    digests = {i: hashlib.sha256(p.read_bytes()).digest() for i, p in shares.items()}
    return lambda placement: DigestCheck(placement.index, digests[placement.index])


def test_each_share_lands_pinned_on_a_different_node(pool: NodePool, tmp_path: Path) -> None:
    shares = make_shares(tmp_path, 5)
    report = place(shares, pool)
    peers = [p.peer_id for p in report.placements]
    assert len(set(peers)) == 5 and report.failed_nodes == {}
    for placement in report.placements:
        assert placement.cid in pool.client(placement.node).pins()


def test_a_node_that_does_not_answer_is_named_not_used(pool: NodePool, tmp_path: Path) -> None:
    silent = StorageNode("node-silent", "http://127.0.0.1:9")  # nothing listens on the discard port
    with NodePool([*pool.nodes, silent]) as wider:
        report = place(make_shares(tmp_path, 3, size=1000), wider)
    assert report.failed_nodes == {"node-silent": "did not answer (http://127.0.0.1:9)"}
    assert silent not in {p.node for p in report.placements} and len(report.placements) == 3


def test_refuses_before_uploading_when_too_few_nodes_answer(pool: NodePool, tmp_path: Path) -> None:
    shares = make_shares(tmp_path, 7, size=1000)
    before = {node.name: pool.client(node).pins() for node in pool.nodes}
    with pytest.raises(StorageError, match="need 7 distinct live storage nodes but only 6 answer"):
        place(shares, pool)
    assert {node.name: pool.client(node).pins() for node in pool.nodes} == before


def _freeze(devnet: DevnetState, name: str) -> None:
    """Stop (SIGSTOP) a real Kubo daemon: it keeps its port but answers nothing, like a hung peer."""
    process = next(node.process for node in devnet.kubo if node.process.name == name.replace("node", "kubo"))
    os.kill(process.pid, signal.SIGSTOP)


def _resume(devnet: DevnetState) -> None:
    for node in devnet.kubo:
        os.kill(node.process.pid, signal.SIGCONT)


def test_node_failing_after_the_probe_is_replaced_by_a_spare(
    devnet: DevnetState, pool: NodePool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shares = make_shares(tmp_path, 4)
    rng = random.Random(7)
    probes = pool.probe()
    first_choice = random.Random(7).sample(probes, len(probes))[0].node
    frozen = NodePool(pool.nodes, timeout=3)
    monkeypatch.setattr(frozen, "probe", lambda *args, **kwargs: probes)
    _freeze(devnet, first_choice.name)
    try:
        report = place(shares, frozen, rng=rng)
    finally:
        _resume(devnet)
        frozen.close()
    assert first_choice.name in report.failed_nodes
    assert first_choice.name not in {p.node.name for p in report.placements}
    assert len({p.peer_id for p in report.placements}) == 4


def test_fetch_falls_back_and_names_nodes_that_fail(devnet: DevnetState, pool: NodePool, tmp_path: Path) -> None:
    shares = make_shares(tmp_path, 5)
    placements = list(place(shares, pool).placements)
    corrupt = placements[0]
    placements[0] = Placement(corrupt.index, corrupt.node, corrupt.peer_id, pool.client(corrupt.node).add(b"garbage"))
    stopped = placements[1].node
    _freeze(devnet, stopped.name)
    try:
        folder = tmp_path / "out"
        folder.mkdir()
        report = fetch_shares(placements, 3, NodePool(pool.nodes, timeout=3), folder, verify_against(shares))
    finally:
        _resume(devnet)
    assert len(report.shares) == 3 and {0, 1}.isdisjoint(report.shares)
    assert "bad data for share 0" in report.bad_nodes[corrupt.node.name]
    assert report.bad_nodes[stopped.name] == "did not answer"


def test_fetch_reports_every_failure_when_fewer_than_k_remain(pool: NodePool, tmp_path: Path) -> None:
    shares = make_shares(tmp_path, 3)
    placements = place(shares, pool).placements
    folder = tmp_path / "out"
    folder.mkdir()
    wrong = dict.fromkeys(shares, tmp_path / "other")
    (tmp_path / "other").write_bytes(b"x")
    with pytest.raises(NotEnoughSharesError, match=r"only 0 of the 3 shares.*bad data"):
        fetch_shares(placements, 3, pool, folder, verify_against(wrong))
