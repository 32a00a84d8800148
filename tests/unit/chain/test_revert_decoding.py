"""Reverts become errors that carry the Solidity custom error's name and arguments, one identity per error."""

from __future__ import annotations

from collections import defaultdict

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector
from web3 import Web3

from kura.chain.artifacts import error_declarations
from kura.chain.client import decode_revert
from kura.devtools.contracts import build


def test_custom_error_is_decoded_with_named_arguments() -> None:
    build()
    file_id = bytes(range(32))
    caller, owner = "0x" + "11" * 20, "0x" + "AB" * 20
    data = function_signature_to_4byte_selector("NotFileOwner(bytes32,address,address)") + encode(
        ["bytes32", "address", "address"], [file_id, caller, owner]
    )
    error = decode_revert(data)
    assert error.error_name == "NotFileOwner"
    assert error.args_by_name == {
        "fileId": "0x" + file_id.hex(),
        "caller": caller,
        "owner": Web3.to_checksum_address(owner),
    }
    assert "NotFileOwner(" in str(error)


def test_the_called_contracts_abi_names_the_arguments_before_the_shared_table() -> None:
    build()
    declared = {
        "type": "error",
        "name": "NotFileOwner",
        "inputs": [
            {"name": "file", "type": "bytes32"},
            {"name": "sender", "type": "address"},
            {"name": "holder", "type": "address"},
        ],
    }
    data = function_signature_to_4byte_selector("NotFileOwner(bytes32,address,address)") + encode(
        ["bytes32", "address", "address"], [bytes(32), "0x" + "11" * 20, "0x" + "22" * 20]
    )
    assert list(decode_revert(data, [declared]).args_by_name) == ["file", "sender", "holder"]
    assert list(decode_revert(data, []).args_by_name) == ["fileId", "caller", "owner"]


def test_no_selector_and_no_error_name_has_two_declarations_across_the_artifacts() -> None:
    build()
    declarations = error_declarations()
    by_name: dict[str, set[str]] = defaultdict(set)
    for specs in declarations.values():
        for spec in specs:
            by_name[spec.name].add(spec.signature)
    assert {selector.hex(): sorted(map(str, specs)) for selector, specs in declarations.items() if len(specs) > 1} == {}
    assert {name: sorted(signatures) for name, signatures in by_name.items() if len(signatures) > 1} == {}


def test_builtin_error_string_and_panic() -> None:
    message = function_signature_to_4byte_selector("Error(string)") + encode(["string"], ["nope"])
    assert (decode_revert(message).error_name, decode_revert(message).args_by_name) == ("Error", {"message": "nope"})
    panic = function_signature_to_4byte_selector("Panic(uint256)") + encode(["uint256"], [0x11])
    assert decode_revert(panic).args_by_name == {"code": 0x11}


def test_unknown_selector_keeps_the_raw_data() -> None:
    error = decode_revert("0xdeadbeef00")
    assert error.error_name == "unknown"
    assert error.args_by_name == {"data": "0xdeadbeef00"}
