"""What a sandboxed task run ended with, and the bytes a node commits to.

Every run ends in exactly one :class:`TaskStatus`. A worker or auditor does not
commit to the raw output but to :meth:`TaskOutcome.commitment_bytes`, so that
failures are answers too: two honest nodes that run the same task with the
same fuel limit commit to the same bytes whether the task succeeded, ran out of
fuel or trapped. Human-readable text (trap messages, parser errors) never enters
the commitment, because its wording depends on the wasmtime version.

Commitment layout (version 1)::

    0x01 ‖ status (1 byte) ‖ payload

    status              payload
    OK                  keccak256(output)                 32 bytes
    OUT_OF_FUEL         fuel limit                        uint64 big-endian
    TRAP                trap code name, ASCII             e.g. b"UNREACHABLE"
    OUTPUT_TOO_LARGE    output limit in bytes             uint64 big-endian
    MEMORY_LIMIT        memory limit in bytes             uint64 big-endian
    INVALID_MODULE      (empty)
    ABI_VIOLATION       violation code, ASCII             e.g. b"output_out_of_bounds"

``fuel_used`` is informational and stays out of the OK commitment: the answer is
the output, not what it cost to compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_utils import keccak

from kura.errors import SandboxError

COMMITMENT_VERSION = 1
"""First byte of every commitment; bump it if the layout ever changes."""


class TaskStatus(IntEnum):
    """How a run ended. The integer value is the status byte of the commitment."""

    OK = 0
    """The entry function returned an in-bounds output no larger than the limit."""
    OUT_OF_FUEL = 1
    """The fuel limit was spent before the task finished."""
    TRAP = 2
    """The guest trapped (``unreachable``, out-of-bounds access, division by zero, ...)."""
    OUTPUT_TOO_LARGE = 3
    """The guest returned an output longer than the output limit."""
    MEMORY_LIMIT = 4
    """The task needed more memory than the limit (see ``Sandbox.run`` for the exact rule)."""
    INVALID_MODULE = 5
    """The bytes are not a WebAssembly module kura can run (bad binary, imports, wrong ABI)."""
    ABI_VIOLATION = 6
    """The guest broke the host ABI at run time (e.g. returned an output range outside its memory)."""


_LIMITED = {TaskStatus.OUT_OF_FUEL, TaskStatus.OUTPUT_TOO_LARGE, TaskStatus.MEMORY_LIMIT}
_CODED = {TaskStatus.TRAP, TaskStatus.ABI_VIOLATION}


@dataclass(frozen=True)
class TaskOutcome:
    """The result of one sandboxed run.

    Attributes:
        status: How the run ended.
        output: The output bytes; empty unless ``status`` is OK.
        fuel_used: Fuel the run consumed (alloc, copy-in and the entry call).
        code: Machine-readable, version-stable cause for TRAP (the wasmtime trap
            code name) and ABI_VIOLATION (a kura code); empty otherwise.
        limit: The limit that was hit for OUT_OF_FUEL, OUTPUT_TOO_LARGE and
            MEMORY_LIMIT; 0 otherwise.
        detail: Human-readable explanation (trap message, parser error). Never
            part of the commitment.

    Raises:
        SandboxError: if the fields contradict the status (e.g. output on a failure).
    """

    status: TaskStatus
    output: bytes = b""
    fuel_used: int = 0
    code: str = ""
    limit: int = 0
    detail: str = ""

    def __post_init__(self) -> None:
        if self.output and self.status is not TaskStatus.OK:
            raise SandboxError(f"a {self.status.name} outcome carries no output; got {len(self.output)} bytes")
        if (self.status in _LIMITED) != (self.limit > 0):
            raise SandboxError(
                f"a {self.status.name} outcome has limit={self.limit}: "
                f"only {', '.join(s.name for s in _LIMITED)} carry a positive limit"
            )
        if (self.status in _CODED) != bool(self.code) or not self.code.isascii():
            raise SandboxError(
                f"a {self.status.name} outcome has code={self.code!r}: only TRAP and ABI_VIOLATION carry an ASCII code"
            )
        if not 0 <= self.fuel_used < 2**64:
            raise SandboxError(f"fuel_used={self.fuel_used} is outside 0..2^64-1")

    @property
    def ok(self) -> bool:
        """Whether the task produced an output."""
        return self.status is TaskStatus.OK

    @property
    def result_hash(self) -> bytes:
        """keccak256 of the output bytes (what a requester checks fetched results against).

        Raises:
            SandboxError: if the run produced no output (status is not OK).
        """
        if not self.ok:
            raise SandboxError(f"a {self.status.name} outcome has no result; use commitment_hash instead")
        return keccak(self.output)

    def commitment_bytes(self) -> bytes:
        """The canonical bytes a node commits to for this outcome (layout in the module docstring).

        Returns:
            ``version ‖ status ‖ payload``, equal on every honest node for the same task and limits.
        """
        if self.status is TaskStatus.OK:
            payload = keccak(self.output)
        elif self.status in _LIMITED:
            payload = self.limit.to_bytes(8, "big")
        else:
            payload = self.code.encode("ascii")
        return bytes([COMMITMENT_VERSION, int(self.status)]) + payload

    @property
    def commitment_hash(self) -> bytes:
        """keccak256 of :meth:`commitment_bytes`: the 32-byte result a node commits and reveals."""
        return keccak(self.commitment_bytes())
