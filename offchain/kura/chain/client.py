"""The one place kura talks to the chain: connect, sign, send, wait, and decode reverts.

Every transaction goes through :meth:`Chain.transact`, which estimates gas,
signs locally (so it works on Anvil, Ganache and remote nodes alike), waits for
the receipt and turns any revert into a :class:`~kura.errors.ContractRevertError`
carrying the Solidity custom error's name and decoded arguments.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    ContractLogicError,
    TransactionIndexingInProgress,
    TransactionNotFound,
    Web3Exception,
)
from web3.types import TxParams, TxReceipt

from kura.chain.artifacts import error_table, errors_of, load_artifact
from kura.chain.provider import KeepAliveHTTPProvider
from kura.config import NetworkConfig
from kura.errors import ChainError, ConfigError, ContractRevertError, RpcUnreachableError
from kura.units import format_units

Account.enable_unaudited_hdwallet_features()

RECEIPT_TIMEOUT = 120.0
RECEIPT_POLLS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02)
"""Seconds between receipt polls, growing to the last value: a local devnet mines as soon as it
receives a transaction, so a fixed interval (web3's is 0.1 s) would dominate every transaction's
latency there, while a public chain is still polled no more often than every 20 ms."""
GAS_MARGIN = 1.25
"""Head-room over the node's gas estimate. Estimates can fall short of what execution needs before
refunds are applied (seen on Anvil for a transaction that clears storage slots), so every
transaction gets a quarter more, as ape and most wallets do."""
_UNUSED_MIDDLEWARE = ("validation", "ens_name_to_address", "gas_price_strategy")
"""web3 middleware that only costs time here: kura signs locally with the chain id it read once
(``validation`` asks the node for it twice per transaction), never passes ENS names, and sets fees
itself through web3's defaults."""
_ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
_PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)


def lean_web3(rpc_url: str, *, timeout: float = 30.0) -> Web3:
    """A ``Web3`` on an HTTP RPC URL, over kept-alive connections, without the middleware kura does not need."""
    w3 = Web3(KeepAliveHTTPProvider(rpc_url, timeout=timeout))
    for name in _UNUSED_MIDDLEWARE:
        w3.middleware_onion.remove(name)
    return w3


def decode_revert(data: bytes | str | None, abi: Sequence[Mapping[str, Any]] = ()) -> ContractRevertError:
    """Turn raw revert data into an error naming the custom error and its arguments.

    Args:
        data: The revert data (selector and ABI-encoded arguments).
        abi: The ABI of the contract that was called. Its own declaration names the arguments; an error
            it does not declare (raised by a contract it called) is looked up in every built artifact.

    Returns:
        The error to raise: ``Error``/``Panic`` for Solidity's built-ins, ``unknown`` with the raw data
        for a selector no artifact declares.
    """
    raw = HexBytes(data or b"")
    selector, payload = bytes(raw[:4]), bytes(raw[4:])
    if selector == _ERROR_SELECTOR:
        return ContractRevertError("Error", {"message": abi_decode(["string"], payload)[0]})
    if selector == _PANIC_SELECTOR:
        return ContractRevertError("Panic", {"code": abi_decode(["uint256"], payload)[0]})
    spec = errors_of(abi).get(selector) or error_table().get(selector)
    if spec is None:
        return ContractRevertError("unknown", {"data": raw.to_0x_hex()})
    values = abi_decode([t for _, t in spec.inputs], payload)
    args = {name: _plain(value, kind) for (name, kind), value in zip(spec.inputs, values, strict=True)}
    return ContractRevertError(spec.name, args)


def uint_getter(chain: Chain, contract: Contract) -> Callable[[str], int | tuple[Any, ...]]:
    """A function that calls ``contract``'s parameterless getter ``name`` and returns the value as an int, or as a
    tuple for an array getter."""

    def get(name: str) -> int | tuple[Any, ...]:
        value = chain.call(getattr(contract.functions, name)())
        return tuple(value) if isinstance(value, (list, tuple)) else int(value)

    return get


def _plain(value: Any, kind: str = "") -> Any:
    if kind == "address":
        return Web3.to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _revert_data(exc: ContractLogicError) -> Any:
    """The raw revert bytes: Anvil gives them as a hex string, Ganache inside ``{"result": ...}``."""
    data = exc.data
    if isinstance(data, dict):
        data = data.get("result") or data.get("data")
    return data


@dataclass(frozen=True)
class Deployed:
    """A contract the chain now holds."""

    name: str
    address: str
    block: int
    gas_used: int


class Chain:
    """A connection to one chain with the accounts that sign for kura.

    Use :meth:`connect`; the constructor takes an existing ``Web3``.
    """

    def __init__(self, w3: Web3, keys: AccountSource, *, rpc_url: str = "") -> None:
        self.w3 = w3
        self.rpc_url = rpc_url
        self._keys = keys
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @classmethod
    def connect(cls, network: NetworkConfig, *, timeout: float = 30.0) -> Chain:
        """Connect to ``network``'s RPC and load its signing accounts.

        Raises:
            RpcUnreachableError: if nothing answers at the RPC URL.
        """
        w3 = lean_web3(network.rpc_url, timeout=timeout)
        try:
            _ = w3.eth.chain_id  # the first request: does anything answer?
        except Exception as exc:
            raise RpcUnreachableError(
                f"no Ethereum node answers at {network.rpc_url} ({type(exc).__name__}): start one with "
                "`kura devnet up` or fix --network / KURA_RPC_URL"
            ) from exc
        return cls(w3, AccountSource(network.private_keys, network.mnemonic), rpc_url=network.rpc_url)

    @cached_property
    def chain_id(self) -> int:
        """The chain id."""
        return int(self.w3.eth.chain_id)

    @cached_property
    def genesis_hash(self) -> str:
        """Hash of block 0: tells two chains with the same id apart (e.g. two devnet runs)."""
        return self.w3.eth.get_block(0)["hash"].to_0x_hex()

    def account(self, index: int = 0) -> LocalAccount:
        """Signing account number ``index``.

        Raises:
            ConfigError: if the network has fewer accounts.
        """
        return self._keys.get(index)

    def contract(self, name: str, address: str) -> Contract:
        """A web3 contract object for artifact ``name`` at ``address``."""
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name).abi)

    def deploy(self, name: str, *args: Any, sender: LocalAccount, value: int = 0) -> Deployed:
        """Deploy artifact ``name`` with constructor ``args``.

        Raises:
            ContractRevertError: if the constructor reverts.
        """
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = self._send(factory.constructor(*args), artifact.abi, sender, value)
        return Deployed(name, str(receipt["contractAddress"]), int(receipt["blockNumber"]), int(receipt["gasUsed"]))

    def transact(self, call: ContractFunction, *, sender: LocalAccount, value: int = 0) -> TxReceipt:
        """Send ``call`` as a transaction from ``sender`` and wait for it to be mined.

        Raises:
            ContractRevertError: with the custom error's name and arguments if it reverts.
            ChainError: if the node rejects it or no receipt arrives in time.
        """
        return self._send(call, call.contract_abi, sender, value)

    def call(self, call: ContractFunction, *, sender: str | None = None) -> Any:
        """Evaluate a view function (or simulate a call).

        Raises:
            ContractRevertError: if it reverts.
        """
        try:
            return call.call({"from": sender} if sender else {})
        except ContractLogicError as exc:
            raise decode_revert(_revert_data(exc), call.contract_abi) from exc

    def _lock(self, address: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(address, threading.Lock())

    def _send(self, call: Any, abi: Sequence[Mapping[str, Any]], sender: LocalAccount, value: int) -> TxReceipt:
        with self._lock(sender.address):
            try:
                tx = call.build_transaction(
                    {
                        "from": sender.address,
                        "value": value,
                        "nonce": self.w3.eth.get_transaction_count(sender.address, "pending"),
                        "chainId": self.chain_id,
                    }
                )
            except ContractLogicError as exc:
                raise decode_revert(_revert_data(exc), abi) from exc
            except Web3Exception as exc:
                raise self._refused(exc, sender.address, value) from exc
            tx["gas"] = int(tx["gas"] * GAS_MARGIN)
            signed = sender.sign_transaction(tx)
            try:
                tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except Web3Exception as exc:
                raise self._refused(exc, sender.address, value) from exc
        receipt = self._receipt(tx_hash)
        if receipt["status"] != 1:
            raise self._replay_revert(tx, int(receipt["blockNumber"]), abi)
        return receipt

    def _refused(self, exc: Web3Exception, sender: str, value: int) -> ChainError:
        """The node's refusal of a transaction from ``sender``, in words (an unfunded account above all)."""
        detail = exc.args[0] if exc.args else exc
        message = str(detail.get("message", detail)) if isinstance(detail, dict) else str(detail)
        if "insufficient funds" in message.lower():
            balance = format_units(self.w3.eth.get_balance(Web3.to_checksum_address(sender)))
            sent = f" plus the {format_units(value)} ETH it sends" if value else ""
            return ChainError(
                f"account {sender} cannot pay for this transaction: it holds {balance} ETH, less than "
                f"its gas{sent}; send it ether or sign with a funded --account"
            )
        return ChainError(f"the node refused the transaction from {sender}: {message}")

    def _receipt(self, tx_hash: HexBytes) -> TxReceipt:
        """Wait for the receipt of ``tx_hash``, polling quickly at first (see ``RECEIPT_POLLS``).

        Raises:
            ChainError: if it is not mined within ``RECEIPT_TIMEOUT`` seconds.
        """
        deadline = time.monotonic() + RECEIPT_TIMEOUT
        pauses = iter(RECEIPT_POLLS)
        while True:
            try:
                return self.w3.eth.get_transaction_receipt(tx_hash)
            except (TransactionNotFound, TransactionIndexingInProgress):
                if time.monotonic() >= deadline:
                    raise ChainError(
                        f"transaction {tx_hash.to_0x_hex()} not mined within {RECEIPT_TIMEOUT:.0f}s"
                    ) from None
            time.sleep(next(pauses, RECEIPT_POLLS[-1]))

    def _replay_revert(self, tx: dict[str, Any], block: int, abi: Sequence[Mapping[str, Any]]) -> ContractRevertError:
        try:
            replay = cast(TxParams, {k: tx[k] for k in ("from", "to", "data", "value") if k in tx})
            self.w3.eth.call(replay, block - 1)
        except ContractLogicError as exc:
            return decode_revert(_revert_data(exc), abi)
        return ContractRevertError("unknown", {}, "transaction reverted without revert data")


MNEMONIC_ACCOUNTS = 30
"""Accounts derived from a mnemonic (the devnet funds this many)."""


class AccountSource:
    """Signing keys: explicit private keys, or accounts derived (lazily) from a mnemonic."""

    def __init__(self, private_keys: Sequence[str] = (), mnemonic: str | None = None) -> None:
        self._explicit = [Account.from_key(key) for key in private_keys]
        self._mnemonic = None if self._explicit else mnemonic
        self._derived: dict[int, LocalAccount] = {}

    def __len__(self) -> int:
        return len(self._explicit) or (MNEMONIC_ACCOUNTS if self._mnemonic else 0)

    def get(self, index: int) -> LocalAccount:
        """Account ``index``.

        Raises:
            ConfigError: if there is no such account.
        """
        if not 0 <= index < len(self):
            raise ConfigError(
                f"account #{index} is not configured ({len(self)} available): "
                "set KURA_PRIVATE_KEYS or a mnemonic for this network"
            )
        if self._explicit:
            return self._explicit[index]
        if index not in self._derived:
            path = f"m/44'/60'/0'/0/{index}"
            self._derived[index] = Account.from_mnemonic(str(self._mnemonic), account_path=path)
        return self._derived[index]
