"""Storage packing of the records kura keeps per node, challenge, task and purchase, read from solc's
``storageLayout``.

A record's fixed-size fields are ordered so they share as few slots as possible: every judgement of a
node, for one, reads and writes a single slot. A field widened or moved breaks the packing silently (the
contract still works, only dearer); these tests name the slot each field lands in. They also hold the node
and purchase records to the packing their ``gas-struct-packing`` exemptions claim.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from typing import Any

import pytest

from kura.devtools.contracts import EVM_VERSION
from kura.paths import project_root


@cache
def _layouts() -> dict[str, dict[str, Any]]:
    """solc's storage layout of every contract under ``contracts/``, by contract name."""
    root = project_root()
    sources = {
        path.relative_to(root).as_posix(): {"content": path.read_text()}
        for path in sorted((root / "contracts").rglob("*.sol"))
        if ".cache" not in path.parts
    }
    request = {
        "language": "Solidity",
        "sources": sources,
        "settings": {"evmVersion": EVM_VERSION, "outputSelection": {"*": {"*": ["storageLayout"]}}},
    }
    solc = [
        "node",
        str(root / "tools" / "solc"),
        "--standard-json",
        "--base-path",
        str(root),
        "--include-path",
        str(root / "node_modules"),
    ]
    done = subprocess.run(solc, input=json.dumps(request), capture_output=True, text=True, check=True)
    output = json.loads(done.stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    return {
        name: contract["storageLayout"]
        for contracts in output["contracts"].values()
        for name, contract in contracts.items()
    }


def slots(contract: str, variable: str) -> tuple[dict[str, int], int]:
    """The slot of each field of the struct that ``contract``'s mapping ``variable`` holds, and its slot count."""
    layout = _layouts()[contract]
    (entry,) = [e for e in layout["storage"] if e["label"] == variable]
    record = layout["types"][layout["types"][entry["type"]]["value"]]
    return {m["label"]: int(m["slot"]) for m in record["members"]}, int(record["numberOfBytes"]) // 32


def test_what_judging_a_node_touches_shares_one_slot() -> None:
    fields, size = slots("NodeRegistry", "_nodes")
    assert fields == {
        "stake": 0,
        "status": 0,
        "role": 0,
        "reputation": 0,
        "failures": 0,
        "failedAt": 0,
        "passed": 0,
        "exitAt": 1,
        "computeRecord": 1,
        "peerId": 2,
        "endpoint": 3,
    }
    assert size == 4


def test_a_challenge_keeps_one_slot_the_hash_of_its_terms() -> None:
    layout = _layouts()["StorageAudits"]
    (entry,) = [e for e in layout["storage"] if e["label"] == "_terms"]
    value = layout["types"][layout["types"][entry["type"]]["value"]]
    assert (value["label"], int(value["numberOfBytes"])) == ("bytes32", 32)


@pytest.mark.parametrize(
    "packed",
    [
        ("requester", "reward"),
        ("worker", "auditFee"),
        (
            "fuel",
            "theta",
            "seedBlock",
            "claimBlock",
            "postedBlock",
            "poolSize",
            "auditors",
            "round",
            "state",
            "outcome",
        ),
        ("commitDeadline", "revealDeadline", "workerRevealed", "confidential", "gate", "drawn"),
    ],
)
def test_a_tasks_small_fields_are_packed(packed: tuple[str, ...]) -> None:
    fields, size = slots("TaskMarket", "_tasks")
    assert len({fields[name] for name in packed}) == 1
    assert size == 5


def test_an_auditors_seat_and_an_audit_pool_seat_take_one_slot_each() -> None:
    types = _layouts()["TaskMarket"]["types"]
    seats = {
        t["label"]: [m["label"] for m in t["members"]]
        for name, t in types.items()
        if name.startswith("t_struct(Seat)") and int(t["numberOfBytes"]) == 32
    }
    assert seats == {
        "struct ITaskMarket.Seat": ["node", "round", "revealed"],
        "struct AuditPool.Seat": ["node", "joinedBlock"],
    }


def test_a_purchase_takes_three_slots_with_its_state_and_deadlines_in_the_first() -> None:
    fields, size = slots("DataMarket", "_purchases")
    assert fields == {
        "listingId": 0,
        "version": 0,
        "buyer": 0,
        "state": 0,
        "deliverBy": 0,
        "disputeUntil": 0,
        "buyerKey": 1,
        "nonce": 1,
        "delivery": 2,
    }
    assert size == 3
