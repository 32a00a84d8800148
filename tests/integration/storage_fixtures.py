"""Storage clients on the session devnet, as fixtures (registered for every test by ``tests/conftest.py``), and the
helpers that go with them: the node pool of the devnet's Kubo nodes, Alice (account 3) and Bob (account 4)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kura.chain.client import Chain
from kura.chain.contracts import Contracts
from kura.chain.deployments import Deployment
from kura.codes.params import CodeParams, Scheme
from kura.config import resolve_network
from kura.devnet.state import DevnetState
from kura.storage.client.files import StorageClient
from kura.storage.shared.nodes import NodePool, nodes_of

MSR_3_5 = CodeParams(Scheme.MSR, 3, 5)


@pytest.fixture
def pool(devnet: DevnetState) -> Iterator[NodePool]:
    with NodePool(nodes_of(resolve_network("devnet")), timeout=20) as nodes:
        yield nodes


def client_for(chain: Chain, deployment: Deployment, pool: NodePool, account: int) -> StorageClient:
    return StorageClient(Contracts(chain, deployment), pool, chain.account(account))


@pytest.fixture
def alice(chain: Chain, deployment: Deployment, pool: NodePool) -> StorageClient:
    return client_for(chain, deployment, pool, 3)


@pytest.fixture
def bob(chain: Chain, deployment: Deployment, pool: NodePool) -> StorageClient:
    return client_for(chain, deployment, pool, 4)


def write(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path
