"""A read-only view of the chain for commands that only look: plain JSON-RPC, no web3.

``import web3`` alone takes ~64 MB and most of a second, more than the whole budget of a command that lists
a few files (issue 17: 0.25 s, 60 MB). :class:`LightReader` speaks JSON-RPC through the standard library's
``http.client``, derives the signing account's address with coincurve and safe-pysha3's Keccak-256 (the
reference C code; loading pycryptodome's would cost ~100 ms), and decodes only static ABI words. It never
signs or sends: everything that writes goes through :class:`kura.chain.client.Chain`.
``tests/integration/test_light_reader.py`` holds its answers equal to the web3 client's on a real devnet.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from coincurve import PublicKey
from sha3 import keccak_256

from kura.config import NetworkConfig
from kura.errors import ChainError, ConfigError, ContractRevertError, NotDeployedError, RpcUnreachableError
from kura.paths import state_dir
from kura.results import Result

MNEMONIC_ACCOUNTS = 30
"""Accounts a mnemonic gives (as :class:`kura.chain.client.AccountSource`)."""
_HARDENED = 1 << 31
_CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141  # secp256k1's n

FILE_REGISTERED = "FileRegistered(bytes32,address,bytes32,bytes32)"
"""The ``FileRegistry`` event a file's life starts with (``fileId`` and ``owner`` indexed)."""
FILE_TRANSFERRED = "FileTransferred(bytes32,address,address)"
"""The ``FileRegistry`` event of a file changing owner (``fileId``, ``from`` and ``to`` indexed)."""
FILE_OF = "fileOf(bytes32)"
"""Returns a file's record: owner, version, created, updated, manifest digest, shares root (all static)."""
HEAD_OF = "headOf(bytes32)"
"""Returns owner, in-batch flag, created, updated (all static)."""
FILE_ERRORS = ("FileIsDeleted(bytes32)", "PointersInBatch(bytes32)", "UnknownFile(bytes32)")
"""The ``FileRegistry`` reverts a listing meets, by signature."""


def keccak(data: bytes) -> bytes:
    """Keccak-256 of ``data`` (Ethereum's hash: the original Keccak padding, not SHA3-256's)."""
    return keccak_256(data).digest()


@cache
def topic(signature: str) -> bytes:
    """The hash naming event ``signature`` (``name(type,type)``), its logs' first topic."""
    return keccak(signature.encode())


def selector(signature: str) -> bytes:
    """The 4 bytes naming function or error ``signature`` (``name(type,type)``)."""
    return topic(signature)[:4]


def address_of_key(private_key: bytes) -> str:
    """The (lower-case hex) address of a secp256k1 private key."""
    return "0x" + keccak(PublicKey.from_secret(private_key).format(compressed=False)[1:])[-20:].hex()


def derive_key(mnemonic: str, index: int) -> bytes:
    """The private key at ``m/44'/60'/0'/0/index`` of a BIP-39 mnemonic (no passphrase), per BIP-32."""
    seed = hashlib.pbkdf2_hmac("sha512", unicodedata.normalize("NFKD", mnemonic).encode(), b"mnemonic", 2048)
    digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    key, chain_code = digest[:32], digest[32:]
    for level in (44 | _HARDENED, 60 | _HARDENED, _HARDENED, 0, index):
        parent = b"\0" + key if level & _HARDENED else PublicKey.from_secret(key).format(compressed=True)
        digest = hmac.new(chain_code, parent + level.to_bytes(4, "big"), hashlib.sha512).digest()
        key = ((int.from_bytes(digest[:32], "big") + int.from_bytes(key, "big")) % _CURVE_ORDER).to_bytes(32, "big")
        chain_code = digest[32:]
    return key


def account_address(network: NetworkConfig, index: int) -> str:
    """The address of the network's account ``index`` (as :meth:`kura.chain.client.Chain.account` would sign).

    Raises:
        ConfigError: if the network has no such account, or a private key is not 32 bytes of hex.
    """
    count = len(network.private_keys) or (MNEMONIC_ACCOUNTS if network.mnemonic else 0)
    if not 0 <= index < count:
        raise ConfigError(
            f"account #{index} is not configured ({count} available): "
            "set KURA_PRIVATE_KEYS or a mnemonic for this network"
        )
    if network.private_keys:
        try:
            key = bytes.fromhex(network.private_keys[index].removeprefix("0x"))
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ConfigError(f"private key #{index} is not 32 bytes of hex")
        return address_of_key(key)
    return address_of_key(derive_key(str(network.mnemonic), index))


def _word(value: bytes | str) -> str:
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else value
    return "0x" + raw.rjust(32, b"\0").hex()


@dataclass(frozen=True)
class OwnedFile(Result):
    """One live file of an account, as ``kura store ls`` lists it (the fields of ``kura.api.storage.FileEntry``)."""

    file_id: bytes
    version: int
    updated_at: int


@dataclass(frozen=True)
class LightDeployment:
    """The kura contracts on one chain: name → (address, block deployed in)."""

    chain_id: int
    contracts: dict[str, tuple[str, int]]

    def address(self, name: str) -> str:
        """Address of contract ``name``.

        Raises:
            NotDeployedError: if it is not part of this deployment.
        """
        if name not in self.contracts:
            raise NotDeployedError(f"{name} is not deployed on chain {self.chain_id}: run `kura deploy`")
        return self.contracts[name][0]


class LightReader:
    """Read-only JSON-RPC on one node: calls, logs, code; one kept-alive HTTP connection.

    Args:
        rpc_url: ``http(s)://host[:port][/path]``.
        timeout: Seconds to wait for the node.

    Raises:
        ConfigError: if ``rpc_url`` is not an http(s) URL with a host.
    """

    def __init__(self, rpc_url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(rpc_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"RPC URL {rpc_url!r} is not an http(s)://host[:port] URL")
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self.rpc_url = rpc_url
        self._connection = kind(parts.hostname, parts.port, timeout=timeout)
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._id = 0

    def request(self, method: str, *params: Any) -> Any:
        """The ``result`` of JSON-RPC ``method(params)``.

        Raises:
            RpcUnreachableError: if nothing answers at the URL.
            ContractRevertError: if an ``eth_call`` reverts (with its raw data; see :meth:`call`).
            ChainError: for an HTTP or JSON-RPC error.
        """
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)})
        try:
            self._connection.request("POST", self._path, body, {"Content-Type": "application/json"})
            response = self._connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._connection.close()
            raise RpcUnreachableError(
                f"no Ethereum node answers at {self.rpc_url} ({type(exc).__name__}): start one with "
                "`kura devnet up` or fix --network / KURA_RPC_URL"
            ) from exc
        if response.status != 200:
            raise ChainError(f"the node at {self.rpc_url} answered {method} with HTTP {response.status}: {raw[:200]!r}")
        answer = json.loads(raw)
        error = answer.get("error")
        if error is None:
            return answer["result"]
        data = error.get("data")
        if isinstance(data, dict):  # Ganache nests the revert data
            data = data.get("result") or data.get("data")
        if method == "eth_call" and isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            raise ContractRevertError("unknown", {"data": data})
        raise ChainError(f"the node at {self.rpc_url} refused {method}: {error.get('message', error)}")

    def chain_id(self) -> int:
        """The chain id."""
        return int(self.request("eth_chainId"), 16)

    def genesis_hash(self) -> str:
        """Hash of block 0."""
        return str(self.request("eth_getBlockByNumber", "0x0", False)["hash"])

    def has_code(self, address: str) -> bool:
        """Whether a contract lives at ``address``."""
        return self.request("eth_getCode", address, "latest") not in ("0x", "0x0", None)

    def call(self, to: str, signature: str, *words: bytes | str) -> list[bytes]:
        """Call view function ``signature`` with static arguments; its return data as 32-byte words.

        Raises:
            ContractRevertError: named after the custom error when ``signature``'s contract declares it among
                :data:`FILE_ERRORS`, else ``unknown`` with the raw data.
        """
        data = "0x" + selector(signature).hex() + "".join(_word(w)[2:] for w in words)
        try:
            result = bytes.fromhex(self.request("eth_call", {"to": to, "data": data}, "latest")[2:])
        except ContractRevertError as exc:
            raise _named(exc) from None
        return [result[i : i + 32] for i in range(0, len(result), 32)]

    def logs(self, address: str, topics: list[str | None], from_block: int) -> list[dict[str, Any]]:
        """The logs of ``address`` matching ``topics`` from ``from_block`` to the latest block."""
        return list(
            self.request(
                "eth_getLogs", {"address": address, "fromBlock": hex(from_block), "toBlock": "latest", "topics": topics}
            )
        )

    def deployment(self) -> LightDeployment:
        """The recorded kura contracts on this chain, checked as :func:`kura.chain.deployments.load` checks them:
        the same chain (genesis hash) and code at every address.

        Raises:
            NotDeployedError: if none is recorded, it belongs to another chain, or a contract has no code.
        """
        chain_id = self.chain_id()
        hint = "run `kura deploy` first"
        try:
            entry = json.loads((state_dir() / "deployments.json").read_text()).get(str(chain_id))
        except (FileNotFoundError, ValueError):
            entry = None
        if entry is None:
            raise NotDeployedError(f"the kura contracts are not deployed on chain id {chain_id}: {hint}")
        genesis = self.genesis_hash()
        if entry["genesis_hash"] != genesis:
            raise NotDeployedError(
                f"the recorded deployment for chain id {chain_id} belongs to an earlier chain "
                f"(genesis {entry['genesis_hash'][:10]}…, this one {genesis[:10]}…): {hint}"
            )
        contracts = {name: (str(d["address"]), int(d["block"])) for name, d in entry["contracts"].items()}
        for name, (address, _) in contracts.items():
            if not self.has_code(address):
                raise NotDeployedError(f"{name} has no code at {address} on chain {chain_id}: {hint}")
        return LightDeployment(chain_id, contracts)

    def owned_files(self, registry: LightDeployment, owner: str) -> list[OwnedFile]:
        """The live files ``owner`` has in ``registry``'s ``FileRegistry`` now (registered by it or transferred to
        it, not deleted or transferred away since), as ``kura.connect().storage.ls()`` lists them.

        Raises:
            NotDeployedError: if the deployment has no ``FileRegistry``.
            ContractRevertError: for a revert other than a deleted file.
        """
        address, first_block = registry.address("FileRegistry"), registry.contracts["FileRegistry"][1]
        me = _word(owner)
        found = [
            *self.logs(address, ["0x" + topic(FILE_REGISTERED).hex(), None, me], first_block),
            *self.logs(address, ["0x" + topic(FILE_TRANSFERRED).hex(), None, None, me], first_block),
        ]
        files = []
        for file_id in dict.fromkeys(bytes.fromhex(log["topics"][1][2:]) for log in found):
            try:
                record = self.call(address, FILE_OF, file_id)
                holder, version, updated = record[0], _uint(record[1]), _uint(record[3])
            except ContractRevertError as exc:
                if exc.error_name == "FileIsDeleted":
                    continue
                if exc.error_name != "PointersInBatch":
                    raise
                head = self.call(address, HEAD_OF, file_id)  # pointers in the batch's event: its first version
                holder, version, updated = head[0], 1, _uint(head[3])
            if "0x" + holder.hex() == me:
                files.append(OwnedFile(file_id, version, updated))
        return files

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


def _uint(word: bytes) -> int:
    return int.from_bytes(word, "big")


def _named(exc: ContractRevertError) -> ContractRevertError:
    data = bytes.fromhex(str(exc.args_by_name["data"])[2:])
    for signature in FILE_ERRORS:
        if data[:4] == selector(signature):
            name = signature.split("(")[0]
            return ContractRevertError(name, {"fileId": "0x" + data[4:36].hex()})
    return exc
