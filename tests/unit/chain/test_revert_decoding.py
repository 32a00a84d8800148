"""Reverts become errors that carry the Solidity custom error's name and arguments."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector

from web3 import Web3

from kura.chain.build import build
from kura.chain.client import decode_revert


def test_custom_error_is_decoded_with_named_arguments() -> None:
    build()
    file_id = bytes(range(32))
    caller, owner = "0x" + "11" * 20, "0x" + "AB" * 20
    data = function_signature_to_4byte_selector("NotFileOwner(bytes32,address,address)") + encode(
        ["bytes32", "address", "address"], [file_id, caller, owner]
    )
    error = decode_revert(data)
    assert error.error_name == "NotFileOwner"
    assert error.args_by_name == {"fileId": "0x" + file_id.hex(), "caller": caller, "owner": Web3.to_checksum_address(owner)}
    assert "NotFileOwner(" in str(error)


def test_builtin_error_string_and_panic() -> None:
    message = function_signature_to_4byte_selector("Error(string)") + encode(["string"], ["nope"])
    assert (decode_revert(message).error_name, decode_revert(message).args_by_name) == ("Error", {"message": "nope"})
    panic = function_signature_to_4byte_selector("Panic(uint256)") + encode(["uint256"], [0x11])
    assert decode_revert(panic).args_by_name == {"code": 0x11}


def test_unknown_selector_keeps_the_raw_data() -> None:
    error = decode_revert("0xdeadbeef00")
    assert error.error_name == "unknown"
    assert error.args_by_name == {"data": "0xdeadbeef00"}
