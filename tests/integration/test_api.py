"""The public API end to end, as a library user writes it: only ``import kura``.

The fixtures set the scene with the project's test helpers (a private deployment, a compute node and
three auditors with a history, a chain clock that keeps moving); the tests themselves call nothing but
``kura``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import kura
from kura.errors import AddressError, AlreadyDeployedError, ContractRevertError, StorageError
from tests.contracts.trust_layer import advance
from tests.integration.conftest import private_deployment

TEXT = b"kura stores and computes.\nHospitals share aggregates, not records.\n" * 20
OWNER, WORKER, AUDITORS, REQUESTER = 3, 21, (22, 23, 24), 8


@pytest.fixture(scope="module")
def network(devnet: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[kura.NetworkConfig]:
    """The session devnet's endpoints, with a deployment of kura of its own."""
    with private_deployment(tmp_path_factory) as network:
        yield network


@pytest.fixture(scope="module")
def compute_layer(network: kura.NetworkConfig) -> Iterator[None]:
    """A compute node and three auditors with a spot-check history, running as agents, and a chain clock that
    moves ten seconds every tenth of a second (a devnet with a fast block time)."""
    deployer = kura.connect(network, 0)
    registry = deployer.contracts.nodes
    registry.set_judge(deployer.address, True, owner=deployer.account)
    stop = threading.Event()
    agents = []
    for index in (WORKER, *AUDITORS):
        node = deployer.as_account(index)
        agent = node.nodes.compute_agent(
            work=index == WORKER,
            audit=index != WORKER,
            stake="1",
            ipfs_api=network.ipfs_apis[index % len(network.ipfs_apis)],
        )
        for _ in range(registry.params().promotion_bar if index == WORKER else 5):
            registry.record_spot_check(node.address, True, judge=deployer.account)
        if index == WORKER:
            node.nodes.promote()
        agents.append(agent)
    threads = [
        threading.Thread(
            target=a.run, kwargs={"interval": 0.1, "report": lambda _: None, "until": stop.is_set}, daemon=True
        )
        for a in agents
    ]
    threads.append(threading.Thread(target=_clock, args=(deployer, stop), daemon=True))
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def _clock(session: kura.Kura, stop: threading.Event) -> None:
    while not stop.wait(0.1):
        advance(session.chain, 10)


def test_store_read_rotate_and_remove_a_file(network: kura.NetworkConfig, tmp_path: Path) -> None:
    source = tmp_path / "scan.dcm"
    source.write_bytes(b"DICM" + bytes(range(256)) * 400)
    with kura.connect(network, OWNER, nodes="config") as k:
        stored = k.storage.put(source, k=3, n=5, scheme="msr")
        assert len({p.node.api_url for p in stored.placements}) == 5

        retrieved = k.storage.get(stored.file_id.hex(), tmp_path / "copy.dcm")
        assert (tmp_path / "copy.dcm").read_bytes() == source.read_bytes()
        assert retrieved.size == source.stat().st_size and len(retrieved.shares_used) == 3

        about = k.storage.info(stored.file_id)
        assert (about.name, about.k, about.n, about.version, about.owner) == ("scan.dcm", 3, 5, 1, k.address)
        assert about.deposit > 0

        [rotated] = k.storage.rotate([stored.file_id])
        assert rotated.version == 2 and k.storage.info(stored.file_id).version == 2
        assert stored.file_id in {f.file_id for f in k.storage.ls()}

        listed = json.loads(json.dumps([f.to_dict() for f in k.storage.ls()]))
        assert {"file_id": "0x" + stored.file_id.hex(), "version": 2} in [
            {key: row[key] for key in ("file_id", "version")} for row in listed
        ]

        removed = k.storage.rm(stored.file_id)
        assert removed.refunded == about.deposit
        assert stored.file_id not in {f.file_id for f in k.storage.ls()}


def test_post_a_task_and_read_its_verified_result(network: kura.NetworkConfig, compute_layer: None) -> None:
    with kura.connect(network, REQUESTER) as k:
        posted = k.tasks.submit("textstats", TEXT, reward="0.01", auditors=3, audit_fee="0.001", fuel=10**8)
        assert posted.state == "OPEN" and posted.reward == kura.to_wei("0.01")

        done = k.tasks.wait(posted.task_id, timeout=240, poll=0.2)

        assert done.state == "ACCEPTED", done.to_json()
        assert done.worker == kura.connect(network, WORKER).address
        output = json.loads(k.tasks.result(posted.task_id))
        assert output["lines"] == TEXT.count(b"\n")
        assert json.loads(done.to_json())["task_id"] == posted.task_id


def test_node_status_explains_the_standing(network: kura.NetworkConfig, compute_layer: None) -> None:
    with kura.connect(network, 0) as k:
        standing = k.nodes.status(kura.connect(network, WORKER).address.lower())
        assert standing.record.role.name == "COMPUTE" and not standing.jailed and not standing.below_min_stake
        assert standing.min_stake == kura.to_wei("1")
        with pytest.raises(AddressError, match="not an Ethereum address"):
            k.nodes.status("0xnotanaddress")
        with pytest.raises(ContractRevertError, match="UnknownNode"):
            k.nodes.status("0x" + "12" * 20)


def test_deploying_over_a_live_deployment_needs_force(network: kura.NetworkConfig) -> None:
    with pytest.raises(AlreadyDeployedError, match="force"):
        kura.deploy(network)


def test_user_mistakes_are_kura_errors(network: kura.NetworkConfig, tmp_path: Path) -> None:
    with kura.connect(network, OWNER) as k:
        with pytest.raises(StorageError, match="not a file id"):
            k.storage.get("abc", tmp_path / "x")
        with pytest.raises(kura.KuraError, match=r"unknown unit|floats cannot hold"):
            k.tasks.submit("textstats", TEXT, reward=0.01)  # type: ignore[arg-type]
    with pytest.raises(kura.KuraError, match="nodes='everywhere'"):
        kura.connect(network, nodes="everywhere")


def test_the_first_steps_example_runs(fresh_network: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_bytes(TEXT)
    example = Path(__file__).parents[2] / "examples" / "first_steps.py"
    done = subprocess.run(
        [sys.executable, str(example), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **fresh_network},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("stored ") and "rotated to version 2" in done.stdout
    assert source.with_suffix(".copy").read_bytes() == TEXT
