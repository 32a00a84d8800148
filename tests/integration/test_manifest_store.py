"""Manifests published many at a time (one request per node and round, as a batch of files does): a node that
refuses passes its manifests on to their next node, ``then`` runs once every manifest is held by one node, and the
other replicas are written before the call returns."""

from __future__ import annotations

import os
import socket

import pytest

from kura.errors import StorageError
from kura.ipfs.cid import raw_cid
from kura.storage.shared.manifest_store import digest_of, publish_many_then, retract
from kura.storage.shared.nodes import NodePool, StorageNode


def refusing_node() -> StorageNode:
    """A node whose API port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return StorageNode("refusing", f"http://127.0.0.1:{port}")


def test_the_manifests_of_a_refusing_node_go_to_their_next_node(pool: NodePool) -> None:
    dead, (a, b, c) = refusing_node(), pool.nodes[:3]
    blobs = [os.urandom(300) for _ in range(4)]
    holders = [[dead, a, b], [b, c, a], [dead, c, a], [a, dead, b]]
    calls: list[list[bytes]] = []

    def register(digests: list[bytes]) -> str:
        calls.append(digests)
        return "registered"

    with NodePool([*pool.nodes, dead], timeout=5) as nodes:
        try:
            assert publish_many_then(list(zip(blobs, holders, strict=True)), nodes, register) == "registered"
            assert calls == [[digest_of(blob) for blob in blobs]]
            for blob, held_by in zip(blobs, holders, strict=True):
                for node in held_by:
                    if node is not dead:
                        assert raw_cid(digest_of(blob)) in nodes.client(node).pins(), node.name
        finally:
            for blob in blobs:
                retract(digest_of(blob), nodes)


def test_a_manifest_no_node_accepts_stops_before_then(pool: NodePool) -> None:
    dead = refusing_node()
    blobs = [os.urandom(300) for _ in range(2)]
    calls: list[list[bytes]] = []
    with NodePool([*pool.nodes, dead], timeout=5) as nodes:
        try:
            with pytest.raises(StorageError, match=r"no storage node accepted manifest 2 of 2 \(refusing: "):
                publish_many_then([(blobs[0], [pool.nodes[0]]), (blobs[1], [dead])], nodes, calls.append)
            assert calls == []
        finally:
            for blob in blobs:
                retract(digest_of(blob), nodes)
