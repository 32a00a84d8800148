"""OpenZeppelin's own ``MerkleProof.verify`` accepts every snapshot proof and rejects the forged ones.

A three-line harness over the real library is compiled with the project's solc-js and run in py-evm
(an in-process EVM, no node needed), so the Python rule is checked against the code the
ConsentRegistry contract calls, not against a copy of it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract

from kura.devtools.contracts import build
from kura.market.consent import pseudonym
from kura.market.snapshot import ZERO_ADDRESS, ConsentMember, ConsentSnapshot
from kura.paths import build_dir, project_root

VECTORS = Path(__file__).with_name("consent_merkle_vectors.json")
HARNESS = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
contract ConsentProofHarness {
    function verify(bytes32[] memory proof, bytes32 root, bytes32 pseudonym, address patientKey)
        external pure returns (bool)
    {
        return MerkleProof.verify(proof, root, keccak256(abi.encodePacked(pseudonym, patientKey)));
    }
}
"""


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Contract]:
    real = project_root()
    project = tmp_path_factory.mktemp("oz-harness")
    (project / "contracts").mkdir()
    (project / "contracts" / "ConsentProofHarness.sol").write_text(HARNESS)
    os.symlink(real / "tools", project / "tools")
    os.symlink(real / "node_modules", project / "node_modules")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KURA_PROJECT", str(project))
        build()
        artifact = json.loads((build_dir() / "ConsentProofHarness.json").read_text())
    w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": w3.eth.accounts[0]}))
    yield w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


def _call(harness: Contract, proof: list[Any], root: Any, pseudonym_: Any, key: str) -> bool:
    return bool(harness.functions.verify(proof, root, pseudonym_, key).call())


def test_every_vector_proof_verifies_on_chain(harness: Contract) -> None:
    for tree in json.loads(VECTORS.read_text())["trees"]:
        for member in tree["members"]:
            assert _call(harness, member["proof"], tree["root"], member["pseudonym"], member["patientKey"])


def test_every_invalid_vector_fails_on_chain(harness: Contract) -> None:
    for case in json.loads(VECTORS.read_text())["invalid"]:
        assert not _call(harness, case["proof"], case["root"], case["pseudonym"], case["patientKey"]), case["why"]


def test_a_larger_snapshot_verifies_member_by_member(harness: Contract) -> None:
    salt = b"institution salt for the test!!!"
    members = [
        ConsentMember(pseudonym(salt, f"p{n}"), "0x" + f"{n:040x}" if n % 4 == 0 else ZERO_ADDRESS)
        for n in range(1, 38)
    ]
    snapshot = ConsentSnapshot.of("HRESCH", "2025-06-01T00:00:00+00:00", members)
    for member in snapshot.members:
        assert _call(harness, snapshot.proof(member.pseudonym), snapshot.root, member.pseudonym, member.patient_key)
    outsider = pseudonym(salt, "not-a-member")
    assert not _call(harness, snapshot.proof(members[0].pseudonym), snapshot.root, outsider, ZERO_ADDRESS)
