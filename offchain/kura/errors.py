"""Every error kura raises, in one tree.

Each error says what went wrong and what to do next. Errors that are also a
builtin kind (a bad value, a missing file) inherit from that builtin too, so
callers can catch them by domain or by type::

    KuraError
    ├── ConfigError (ValueError)          bad settings, unknown network name
    ├── SetupError                        a tool kura needs is missing
    ├── DevnetError                       the local devnet cannot start or stop
    │   ├── PortInUseError
    │   └── StaleDevnetError
    ├── BuildError                        Solidity compilation failed
    ├── ChainError                        talking to the chain failed
    │   ├── RpcUnreachableError
    │   ├── NotDeployedError
    │   ├── ChainValueError (ValueError)  a value does not fit a contract type
    │   └── ContractRevertError           carries the custom error's name and args
    ├── IpfsError                         a Kubo node failed or refused
    ├── CodecError (ValueError)           encoding or decoding shares failed
    │   ├── ShareIntegrityError           a share is corrupt, truncated or swapped
    │   ├── NotEnoughSharesError          fewer than k usable shares
    │   └── DecryptionError               wrong key or tampered ciphertext
    ├── StorageError                      placing or fetching a file failed
    │   └── RepairPeerError               a node's repair service is down, slow or refused
    ├── SandboxError                      a task could not be loaded into the sandbox
    ├── TaskError                         a compute task has no usable result (yet)
    ├── ConsensusError (ValueError)       credibility or consensus inputs out of range
    └── SimulationError (ValueError)      simulator parameters are impossible
"""

from __future__ import annotations

from typing import Any


class KuraError(Exception):
    """Base of every error kura raises on purpose."""


class ConfigError(KuraError, ValueError):
    """A setting is missing or invalid; the message names it and its source."""


class SetupError(KuraError):
    """A tool kura needs (anvil, kubo, solc, node) is not installed; run ``make setup``."""


class DevnetError(KuraError):
    """The local devnet could not be started, inspected or stopped."""


class PortInUseError(DevnetError):
    """A port kura was told to use is already taken by another process."""


class StaleDevnetError(DevnetError):
    """A devnet state folder belongs to processes that are gone."""


class BuildError(KuraError):
    """Solidity compilation failed; the message lists ``file:line: error``."""


class ChainError(KuraError):
    """A call or transaction on the chain failed."""


class RpcUnreachableError(ChainError):
    """No Ethereum node answers at the configured RPC URL."""


class NotDeployedError(ChainError):
    """The kura contracts are not deployed on this chain id; run ``kura deploy``."""


class ChainValueError(ChainError, ValueError):
    """A value does not fit the contract's type (e.g. a reason longer than ``bytes32``)."""


class ContractRevertError(ChainError):
    """A transaction or call reverted.

    Attributes:
        error_name: The Solidity custom error's name (``"NotOwner"``), or
            ``"Error"``/``"Panic"`` for the builtin ones, or ``"unknown"``.
        args: The decoded arguments of that error, by parameter name.
    """

    def __init__(self, error_name: str, args: dict[str, Any], message: str | None = None) -> None:
        self.error_name = error_name
        self.args_by_name = args
        rendered = ", ".join(f"{key}={value!r}" for key, value in args.items())
        super().__init__(message or f"reverted with {error_name}({rendered})")


class IpfsError(KuraError):
    """A Kubo node did not answer, or refused a request."""


class CodecError(KuraError, ValueError):
    """Shares could not be encoded or decoded."""


class ShareIntegrityError(CodecError):
    """A share failed verification: wrong hash, truncated, or belongs to another file."""


class NotEnoughSharesError(CodecError):
    """Fewer than k valid shares are available, so the data cannot be rebuilt."""


class DecryptionError(CodecError):
    """Authenticated decryption failed: wrong key, or the ciphertext was altered."""


class StorageError(KuraError):
    """Placing, fetching or tracking a stored file failed."""


class RepairPeerError(StorageError):
    """A node's repair service did not answer in time, refused a request, or sent a malformed reply."""


class SandboxError(KuraError):
    """A WebAssembly task could not be loaded or does not export what kura needs."""


class TaskError(KuraError):
    """A compute task has no usable result: not accepted (yet), or its output bytes are missing or wrong."""


class ConsensusError(KuraError, ValueError):
    """Credibility or consensus inputs are out of range (a credibility above 1, too many results)."""


class SimulationError(KuraError, ValueError):
    """Simulator parameters are inconsistent or out of range."""
