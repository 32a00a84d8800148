"""Every error kura raises, in one tree.

Each error says what went wrong and what to do next. Errors that are also a
builtin kind (a bad value, a missing file) inherit from that builtin too, so
callers can catch them by domain or by type::

    KuraError
    ├── ConfigError (ValueError)          bad settings, unknown network name
    ├── AmountError (ValueError)          an amount of ether or a fraction that is not exact
    ├── AddressError (ValueError)         not an Ethereum address
    ├── SetupError                        a tool kura needs is missing
    ├── DevnetError                       the local devnet cannot start or stop
    │   ├── PortInUseError
    │   └── StaleDevnetError
    ├── BuildError                        Solidity compilation failed
    ├── ChainError                        talking to the chain failed
    │   ├── RpcUnreachableError
    │   ├── NotDeployedError
    │   ├── AlreadyDeployedError          deploying again would orphan a live deployment
    │   ├── ChainValueError (ValueError)  a value does not fit a contract type
    │   └── ContractRevertError           carries the custom error's name and args
    ├── IpfsError                         a Kubo node failed or refused
    ├── CodecError (ValueError)           encoding or decoding shares failed
    │   ├── ShareIntegrityError           a share is corrupt, truncated or swapped
    │   ├── NotEnoughSharesError          fewer than k usable shares
    │   └── DecryptionError               wrong key or tampered ciphertext
    ├── StorageError                      placing or fetching a file failed
    │   ├── RepairPeerError               a node's repair service is down, slow or refused
    │   │   └── HelperFailedError         a newcomer could not pull a helper's repair data
    │   └── NotRepairerError              the repairer's account cannot commit repairs
    ├── SandboxError                      a task could not be loaded into the sandbox
    │   └── RunInterrupted                a run was stopped at its wall-clock limit: it has no answer
    ├── TaskError                         a compute task has no usable result (yet)
    │   └── InputRefusedError             a task's posted parameters make no input (every honest node agrees)
    ├── ConsensusError (ValueError)       credibility or consensus inputs out of range
    ├── KeyExchangeError (ValueError)     a data-sale key, point or delivery is malformed
    ├── SimulationError (ValueError)      simulator parameters are impossible
    ├── FhirError (ValueError)            a FHIR resource is malformed (a bad date, no patient reference)
    ├── ConsentError (ValueError)         a pseudonym salt, patient key or consent snapshot is malformed
    ├── DeidentificationError (ValueError) records cannot be de-identified as asked
    │   ├── AnonymityError                k-anonymity or l-diversity cannot be reached; lists the small classes
    │   └── CertificateError              a de-identified table does not match its certificate
    ├── ComputeToDataError (ValueError)   a compute-to-data query, input or result is malformed
    ├── MarketError                       a market step cannot proceed (not a member, nothing delivered yet, ...)
    └── DashboardError                    the dashboard cannot start or refuses a request (token, host, assets)
"""

from __future__ import annotations

from typing import Any


class KuraError(Exception):
    """Base of every error kura raises on purpose."""


class ConfigError(KuraError, ValueError):
    """A setting is missing or invalid; the message names it and its source."""


class AmountError(KuraError, ValueError):
    """An amount is not a non-negative decimal that fits its unit exactly (floats are refused)."""


class AddressError(KuraError, ValueError):
    """A value given as an Ethereum address is not one (or fails its mixed-case checksum)."""


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


class AlreadyDeployedError(ChainError):
    """kura is already deployed on this chain; deploying again needs ``force`` (``kura deploy --force``)."""


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


class HelperFailedError(RepairPeerError):
    """A newcomer could not pull one helper's repair data (down, refusing, or sending too little or bad data).

    Attributes:
        index: The share the helper holds.
        operator: The helper's registry address.
    """

    def __init__(self, index: int, operator: str, reason: str) -> None:
        self.index = index
        self.operator = operator
        super().__init__(f"helper {operator} (share {index}) failed: {reason}")


class NotRepairerError(StorageError):
    """The repairer's account is not an Active registered node, so ``ShareRepairs`` refuses its commits."""


class SandboxError(KuraError):
    """A WebAssembly task could not be loaded or does not export what kura needs."""


class RunInterrupted(SandboxError):
    """A run was stopped before it ended (its wall-clock limit passed): it has no answer, so commit none."""


class TaskError(KuraError):
    """A compute task has no usable result: not accepted (yet), or its output bytes are missing or wrong."""


class InputRefusedError(TaskError):
    """A task's posted parameters cannot make an input, and every honest node refuses them alike (a data job
    whose query spends another ε than the chain debited, say); the agent answers ``INVALID_MODULE``."""


class ConsensusError(KuraError, ValueError):
    """Credibility or consensus inputs are out of range (a credibility above 1, too many results)."""


class KeyExchangeError(KuraError, ValueError):
    """A value of the data market's key exchange is malformed: a key of the wrong size, a purchase secret
    out of range, or bytes that are not a secp256k1 point."""


class SimulationError(KuraError, ValueError):
    """Simulator parameters are inconsistent or out of range."""


class FhirError(KuraError, ValueError):
    """A FHIR resource is malformed: a date that is not a FHIR date, a reference that names no patient."""


class ConsentError(KuraError, ValueError):
    """A consent input is malformed: a short pseudonym salt, a bad patient address, a snapshot whose root
    does not match its members, or a proof asked for a pseudonym that is not a member."""


class DeidentificationError(KuraError, ValueError):
    """Records cannot be de-identified as asked: the policy is impossible or inconsistent."""


class AnonymityError(DeidentificationError):
    """No generalisation the policy allows gives k-anonymity and l-diversity within the suppression limit.

    Attributes:
        classes: The equivalence classes that stay too small (or not diverse enough) at the most general
            level the policy allows, as ``(quasi-identifier values, size, distinct sensitive values)``.
    """

    def __init__(self, message: str, classes: tuple[tuple[tuple[str, ...], int, int], ...]) -> None:
        self.classes = classes
        super().__init__(message)


class CertificateError(DeidentificationError):
    """A de-identified table does not match its certificate: another digest, k, l or record count."""


class ComputeToDataError(KuraError, ValueError):
    """A compute-to-data query, module input or result is malformed: parameters out of range, a record
    the module cannot encode, input bytes the module would trap on, or an output that breaks its schema,
    byte cap or minimum cell count."""


class MarketError(KuraError):
    """A data-market step cannot proceed as asked: the account is no member institution, a purchase has no
    delivery yet, a dataset does not match its listing; the message says what to do."""


class DashboardError(KuraError):
    """The institution dashboard cannot start (a bad ``--listen`` address, htmx not vendored, the ``dashboard``
    extra not installed) or refuses a request (no session, a write without its token, a foreign Host)."""


class KeyChangeError(MarketError):
    """An institution's key change cannot start or go on: the new account is the old one, holds no ether
    for gas, or neither account acts for a member institution; the message says what to do."""
