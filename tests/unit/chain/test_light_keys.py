"""The light reader's hashing and key derivation agree with eth-account and eth-utils (web3's own stack)."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import event_signature_to_log_topic, function_signature_to_4byte_selector
from eth_utils import keccak as eth_keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.chain.artifacts import load_artifact
from kura.chain.client import MNEMONIC_ACCOUNTS as CLIENT_MNEMONIC_ACCOUNTS
from kura.chain.light import (
    FILE_ERRORS,
    FILE_OF,
    FILE_REGISTERED,
    FILE_TRANSFERRED,
    HEAD_OF,
    MNEMONIC_ACCOUNTS,
    account_address,
    address_of_key,
    derive_key,
    keccak,
    selector,
    topic,
)
from kura.config import DEV_MNEMONIC, NetworkConfig
from kura.errors import ConfigError

Account.enable_unaudited_hdwallet_features()
CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@given(st.binary(max_size=700))
def test_keccak_is_ethereums(data: bytes) -> None:
    assert keccak(data) == eth_keccak(data)


@pytest.mark.parametrize("size", [0, 1, 134, 135, 136, 137, 271, 272, 273])
def test_keccak_pads_at_every_block_edge(size: int) -> None:
    data = bytes(range(256)) * 2
    assert keccak(data[:size]) == eth_keccak(data[:size])


@given(st.integers(1, CURVE_ORDER - 1))
def test_the_address_of_a_key_is_eth_accounts(secret: int) -> None:
    key = secret.to_bytes(32, "big")
    assert address_of_key(key) == Account.from_key(key).address.lower()


@pytest.mark.parametrize("index", [0, 1, 7, MNEMONIC_ACCOUNTS - 1])
def test_dev_mnemonic_accounts_are_eth_accounts(index: int) -> None:
    expected = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    assert derive_key(DEV_MNEMONIC, index) == bytes(expected.key)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([12, 24]))
def test_any_mnemonic_derives_as_eth_account_does(index: int, words: int) -> None:
    _, mnemonic = Account.create_with_mnemonic(num_words=words)
    expected = Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
    assert derive_key(mnemonic, index) == bytes(expected.key)


def test_account_address_follows_the_networks_keys() -> None:
    key = "0x" + "11" * 32
    explicit = NetworkConfig("x", "http://127.0.0.1:1", private_keys=(key, "22" * 32))
    assert account_address(explicit, 0) == Account.from_key(key).address.lower()
    derived = NetworkConfig("x", "http://127.0.0.1:1", mnemonic=DEV_MNEMONIC)
    assert (
        account_address(derived, 3)
        == Account.from_mnemonic(DEV_MNEMONIC, account_path="m/44'/60'/0'/0/3").address.lower()
    )
    assert MNEMONIC_ACCOUNTS == CLIENT_MNEMONIC_ACCOUNTS
    with pytest.raises(ConfigError, match="account #2 is not configured"):
        account_address(explicit, 2)
    with pytest.raises(ConfigError, match="account #30 is not configured"):
        account_address(derived, 30)
    with pytest.raises(ConfigError, match="not 32 bytes"):
        account_address(NetworkConfig("x", "http://127.0.0.1:1", private_keys=("0xabc",)), 0)
    with pytest.raises(ConfigError, match="account #0 is not configured"):
        account_address(NetworkConfig("x", "http://127.0.0.1:1"), 0)


def test_the_signatures_read_are_the_file_registrys() -> None:
    abi = load_artifact("FileRegistry").abi
    functions = {
        function_signature_to_4byte_selector(f"{e['name']}({','.join(i['type'] for i in e['inputs'])})")
        for e in abi
        if e["type"] in ("function", "error")
    }
    events = {
        event_signature_to_log_topic(f"{e['name']}({','.join(i['type'] for i in e['inputs'])})")
        for e in abi
        if e["type"] == "event"
    }
    for signature in (FILE_OF, HEAD_OF, *FILE_ERRORS):
        assert selector(signature) in functions, signature
    assert {topic(FILE_REGISTERED), topic(FILE_TRANSFERRED)} <= events
