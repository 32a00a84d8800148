"""Deterministic WebAssembly sandbox for kura compute tasks.

A task is a WebAssembly module, an entry function, input bytes and a fuel limit.
:class:`Sandbox` runs it under wasmtime with fuel metering, no imports at all
(so no WASI, no clock, no randomness, no files, no network) and bounded memory,
and returns a :class:`TaskOutcome`: never an exception for anything the guest
does. The host–guest ABI is described in :mod:`kura.compute._abi`; the
commitment layout in :mod:`kura.compute.outcome`.

Every engine setting below exists so that two honest nodes running the same
wasmtime version on the same architecture get the same bytes and the same fuel
use (see :func:`deterministic_config`). One source of divergence remains across
versions or architectures: the recursion depth at which STACK_OVERFLOW traps
depends on native frame sizes, so nodes should pin the wasmtime version.

A run can also be stopped from outside, which fuel alone cannot do: at a
wall-clock limit (``run(..., wall_clock=s)``, so a node never misses a deadline
inside the guest) and at Ctrl-C. The guest runs in a helper thread while the
caller's thread waits; either event bumps the engine's epoch, which traps the
guest at its next loop header or call. Such a run has no answer (it raises
:class:`~kura.errors.RunInterrupted`, or lets the ``KeyboardInterrupt`` go on),
so it never reaches a commitment and cannot make honest nodes disagree.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import wasmtime
from eth_utils import keccak

from kura.compute import _abi
from kura.compute.limits import DEFAULT_FUEL
from kura.compute.outcome import COMMITMENT_VERSION, TaskOutcome, TaskStatus
from kura.errors import ConfigError, RunInterrupted, SandboxError

__all__ = [
    "COMMITMENT_VERSION",
    "DEFAULT_FUEL",
    "WASM_PAGE",
    "Sandbox",
    "SandboxLimits",
    "TaskOutcome",
    "TaskStatus",
    "deterministic_config",
    "module_hash",
]

WASM_PAGE = 65536
"""Bytes in a WebAssembly page; memory limits are whole pages."""
MAX_WASM_STACK = 512 * 1024
"""Native stack for guest code, fixed so the overflow depth does not follow the host's default."""
_MAX_MEMORY = 2**31
_COMPILE_CACHE_SIZE = 32
_POLL = 0.05
"""Seconds between two looks of the waiting thread at the wall clock."""
_LOOP = bytes(
    wasmtime.wat2wasm("""(module (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "run") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0)))""")
)
"""A module that loops until its fuel runs out: what :meth:`Sandbox.fuel_rate` times."""


@dataclass(frozen=True)
class SandboxLimits:
    """The resources one task run may use.

    Attributes:
        fuel: Fuel for a run when the caller gives none (about one unit per instruction).
        memory_bytes: Maximum linear memory, a whole number of 64 KiB pages, at most 2 GiB.
        output_bytes: Maximum output length.
        table_elements: Maximum elements in the module's table (function pointers).

    Raises:
        ConfigError: if a limit is not positive, or memory is not whole pages or above 2 GiB.
    """

    fuel: int = DEFAULT_FUEL
    memory_bytes: int = 64 * 2**20
    output_bytes: int = 2**20
    table_elements: int = 10_000

    def __post_init__(self) -> None:
        _check_fuel(self.fuel)
        if not 0 < self.memory_bytes <= _MAX_MEMORY or self.memory_bytes % WASM_PAGE:
            raise ConfigError(
                f"memory_bytes={self.memory_bytes}: use a positive multiple of {WASM_PAGE} (one wasm page) "
                f"no larger than {_MAX_MEMORY}"
            )
        if self.output_bytes <= 0 or self.table_elements <= 0:
            raise ConfigError(
                f"output_bytes={self.output_bytes} and table_elements={self.table_elements} must both be positive"
            )


def _check_fuel(fuel: int) -> None:
    if not 0 < fuel < 2**63:
        raise ConfigError(f"fuel={fuel}: give a positive fuel limit below 2^63")


def deterministic_config() -> wasmtime.Config:
    """The wasmtime configuration kura runs every task with.

    - ``consume_fuel``: work is bounded by an instruction budget, the same on every
      machine (wall-clock limits such as epoch interruption would not be).
    - ``cranelift_nan_canonicalization``: WebAssembly lets a NaN result carry any
      payload; canonicalising makes float results bit-identical across CPUs.
    - ``wasm_threads`` / ``shared_memory`` off: no shared memory or atomics, hence
      no scheduling-dependent results.
    - ``wasm_relaxed_simd`` off: relaxed SIMD results are implementation-defined
      per CPU. Plain SIMD stays on: with canonical NaNs it is deterministic.
    - ``wasm_memory64`` / ``wasm_multi_memory`` / ``wasm_custom_page_sizes`` off:
      one 32-bit memory of 64 KiB pages, which is what the ABI and the limits assume.
    - ``wasm_gc`` / ``wasm_exceptions`` / ``wasm_function_references`` /
      ``wasm_stack_switching`` / ``wasm_component_model`` off: features whose
      resource use is not covered by the store limits and that no task needs.
    - ``max_wasm_stack`` fixed: the depth at which deep recursion traps does not
      depend on the host's default.
    - ``epoch_interruption`` on: the host can stop a run (wall clock, Ctrl-C).
      It changes neither fuel use nor any answer; a stopped run has no answer.

    Returns:
        A fresh ``wasmtime.Config``; an ``Engine`` takes ownership of it.
    """
    config = wasmtime.Config()
    config.consume_fuel = True
    config.cranelift_nan_canonicalization = True
    config.wasm_threads = False
    config.shared_memory = False
    config.wasm_relaxed_simd = False
    config.wasm_memory64 = False
    config.wasm_multi_memory = False
    config.wasm_custom_page_sizes = False
    config.wasm_gc = False
    config.wasm_exceptions = False
    config.wasm_function_references = False
    config.wasm_stack_switching = False
    config.wasm_component_model = False
    config.max_wasm_stack = MAX_WASM_STACK
    config.epoch_interruption = True
    return config


def module_hash(module: bytes) -> bytes:
    """keccak256 of a module's bytes: how a task names its program on chain."""
    return keccak(module)


class Sandbox:
    """Runs kura tasks; compiled modules are cached by their keccak256.

    One ``Sandbox`` holds one wasmtime engine; every run gets a fresh store, so no
    state leaks from one task to the next. Not thread-safe: use one per thread.
    """

    def __init__(self, limits: SandboxLimits | None = None) -> None:
        """Create a sandbox.

        Args:
            limits: Resource limits; ``SandboxLimits()`` when omitted.
        """
        self.limits = limits or SandboxLimits()
        self._engine = wasmtime.Engine(deterministic_config())
        self._modules: OrderedDict[bytes, wasmtime.Module] = OrderedDict()

    def compile(self, module: bytes, *, entry: str = _abi.DEFAULT_ENTRY) -> wasmtime.Module:
        """Compile a module (or take it from the cache) and check it follows the ABI.

        Args:
            module: WebAssembly binary.
            entry: Name of the entry function the run will call.

        Returns:
            The compiled module.

        Raises:
            SandboxError: if the bytes are not valid WebAssembly for kura's feature set,
                the module imports anything, or it lacks ``memory``/``alloc``/the entry.
        """
        key = module_hash(module)
        compiled = self._modules.get(key)
        if compiled is None:
            try:
                compiled = wasmtime.Module(self._engine, module)
            except wasmtime.WasmtimeError as exc:
                raise SandboxError(f"not a valid WebAssembly module for kura: {_describe(exc)}") from exc
            self._modules[key] = compiled
            if len(self._modules) > _COMPILE_CACHE_SIZE:
                self._modules.popitem(last=False)
        else:
            self._modules.move_to_end(key)
        _abi.check_module_shape(compiled, entry)
        return compiled

    def run(
        self,
        module: bytes,
        input: bytes,
        *,
        entry: str = _abi.DEFAULT_ENTRY,
        fuel: int | None = None,
        wall_clock: float | None = None,
    ) -> TaskOutcome:
        """Run a task and report how it ended.

        Memory rule: MEMORY_LIMIT is reported when the input is larger than the
        memory limit, when instantiation needs more memory or table elements
        than the limits allow, or when the guest traps while its memory is at
        the limit (it cannot grow by one more page). A refused ``memory.grow``
        by itself is not an outcome: WebAssembly defines it to return -1 and the
        guest may carry on.

        Fuel rule: wasmtime charges each straight-line block up front but checks
        the budget only at function entries and loop headers, so the last block
        of a run may overdraw a little and still end OK, with ``fuel_used``
        capped at ``fuel``. Both are deterministic for a given fuel limit.

        Args:
            module: WebAssembly binary following the ABI of :mod:`kura.compute._abi`.
            input: Input bytes handed to the entry function.
            entry: Name of the exported entry function.
            fuel: Fuel for this run; ``limits.fuel`` when omitted.
            wall_clock: Seconds after which the run is stopped whatever its fuel (None: no limit). Ctrl-C
                stops it in any case.

        Returns:
            The outcome; every guest failure is an outcome, not an exception.

        Raises:
            ConfigError: if ``fuel`` is not a positive integer below 2^63 (a caller bug).
            RunInterrupted: if ``wall_clock`` seconds passed first (the run has no answer).
            KeyboardInterrupt: on Ctrl-C, once the guest is stopped.
        """
        fuel = self.limits.fuel if fuel is None else fuel
        _check_fuel(fuel)
        if len(input) > self.limits.memory_bytes:
            return self._memory_limit(0, f"input of {len(input)} bytes cannot fit in the memory limit")
        try:
            compiled = self.compile(module, entry=entry)
        except SandboxError as exc:
            return TaskOutcome(TaskStatus.INVALID_MODULE, detail=str(exc))
        return self._stoppable(lambda: self._execute(compiled, input, entry, fuel), wall_clock)

    def fuel_rate(self, fuel: int = 10**8, tries: int = 3) -> float:
        """Fuel this machine burns per second in a tight loop (a node's speed, to compare with a market's).

        The loop is compiled before the clock starts, and the fastest of ``tries`` runs counts: compiling, or a
        moment when other processes hold the cores, says nothing of the speed a task gets.

        Args:
            fuel: Fuel to time per run (10^8 takes about a tenth of a second on a current core).
            tries: Runs timed.

        Returns:
            Fuel per second.
        """
        self.compile(_LOOP)
        fastest = float("inf")
        for _ in range(tries):
            started = time.perf_counter()
            self.run(_LOOP, b"", fuel=fuel)
            fastest = min(fastest, time.perf_counter() - started)
        return fuel / max(fastest, 1e-9)

    def _stoppable(self, work: Callable[[], TaskOutcome], wall_clock: float | None) -> TaskOutcome:
        """Run ``work`` in a helper thread; stop the guest at ``wall_clock`` seconds or at Ctrl-C."""
        done: list[TaskOutcome | BaseException] = []

        def target() -> None:
            try:
                done.append(work())
            except BaseException as exc:  # handed to the waiting thread, which raises it
                done.append(exc)

        helper = threading.Thread(target=target, name="kura-sandbox", daemon=True)
        deadline = None if wall_clock is None else time.monotonic() + wall_clock
        helper.start()
        try:
            while helper.is_alive():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    self._stop(helper)
                    raise RunInterrupted(
                        f"the run was stopped at its wall-clock limit of {wall_clock:g} s: it has "
                        "no answer (this node is too slow for the task's window)"
                    )
                helper.join(_POLL if left is None else min(_POLL, left))
        except KeyboardInterrupt:
            self._stop(helper)
            raise
        (result,) = done
        if isinstance(result, BaseException):
            raise result
        return result

    def _stop(self, helper: threading.Thread) -> None:
        self._engine.increment_epoch()
        helper.join()

    def _execute(self, compiled: wasmtime.Module, input: bytes, entry: str, fuel: int) -> TaskOutcome:
        store = self._new_store(fuel)
        try:
            instance = wasmtime.Instance(store, compiled, [])
        except wasmtime.Trap as trap:
            return self._trap(trap, fuel, _fuel_used(store, fuel), memory_full=False)
        except wasmtime.WasmtimeError as exc:
            return self._memory_limit(_fuel_used(store, fuel), f"instantiation exceeds the limits: {_describe(exc)}")
        return self._call(store, instance, input, entry, fuel)

    def _new_store(self, fuel: int) -> wasmtime.Store:
        store = wasmtime.Store(self._engine)
        store.set_limits(
            memory_size=self.limits.memory_bytes,
            table_elements=self.limits.table_elements,
            instances=1,
            tables=1,
            memories=1,
        )
        store.set_fuel(fuel)
        store.set_epoch_deadline(1)
        return store

    def _call(
        self, store: wasmtime.Store, instance: wasmtime.Instance, input: bytes, entry: str, fuel: int
    ) -> TaskOutcome:
        exports = instance.exports(store)
        memory = exports[_abi.MEMORY_EXPORT]
        alloc = exports[_abi.ALLOC_EXPORT]
        run = exports[entry]
        assert isinstance(memory, wasmtime.Memory)
        assert isinstance(alloc, wasmtime.Func) and isinstance(run, wasmtime.Func)
        try:
            in_ptr = _abi.to_u32(alloc(store, _abi.to_i32(len(input))))
            if not _abi.in_bounds(in_ptr, len(input), memory.data_len(store)):
                return self._abi_violation(
                    store,
                    fuel,
                    "input_out_of_bounds",
                    f"alloc({len(input)}) returned {in_ptr}, outside the guest's memory",
                )
            memory.write(store, input, in_ptr)
            packed = run(store, _abi.to_i32(in_ptr), _abi.to_i32(len(input)))
        except wasmtime.Trap as trap:
            full = memory.data_len(store) + WASM_PAGE > self.limits.memory_bytes
            return self._trap(trap, fuel, _fuel_used(store, fuel), memory_full=full)
        out_ptr, out_len = _abi.unpack_output(packed)
        if out_len > self.limits.output_bytes:
            return TaskOutcome(
                TaskStatus.OUTPUT_TOO_LARGE,
                fuel_used=_fuel_used(store, fuel),
                limit=self.limits.output_bytes,
                detail=f"output of {out_len} bytes exceeds the limit of {self.limits.output_bytes}",
            )
        if not _abi.in_bounds(out_ptr, out_len, memory.data_len(store)):
            return self._abi_violation(
                store,
                fuel,
                "output_out_of_bounds",
                f"output range [{out_ptr}, {out_ptr + out_len}) is outside the guest's "
                f"{memory.data_len(store)}-byte memory",
            )
        output = bytes(memory.read(store, out_ptr, out_ptr + out_len))
        return TaskOutcome(TaskStatus.OK, output=output, fuel_used=_fuel_used(store, fuel))

    def _trap(self, trap: wasmtime.Trap, fuel: int, fuel_used: int, *, memory_full: bool) -> TaskOutcome:
        code = trap.trap_code
        if code is wasmtime.TrapCode.OUT_OF_FUEL:
            return TaskOutcome(TaskStatus.OUT_OF_FUEL, fuel_used=fuel, limit=fuel, detail=f"spent all {fuel} fuel")
        if code is wasmtime.TrapCode.INTERRUPT:
            raise RunInterrupted("the run was stopped from outside: it has no answer")
        message = _describe(trap)
        if memory_full:
            return self._memory_limit(fuel_used, f"trapped with memory at the limit: {message}")
        name = code.name if code is not None else "UNKNOWN"
        return TaskOutcome(TaskStatus.TRAP, fuel_used=fuel_used, code=name, detail=message)

    def _memory_limit(self, fuel_used: int, detail: str) -> TaskOutcome:
        return TaskOutcome(TaskStatus.MEMORY_LIMIT, fuel_used=fuel_used, limit=self.limits.memory_bytes, detail=detail)

    @staticmethod
    def _abi_violation(store: wasmtime.Store, fuel: int, code: str, detail: str) -> TaskOutcome:
        return TaskOutcome(TaskStatus.ABI_VIOLATION, fuel_used=_fuel_used(store, fuel), code=code, detail=detail)


def _fuel_used(store: wasmtime.Store, fuel: int) -> int:
    return fuel - store.get_fuel()


def _describe(exc: Exception) -> str:
    """One line from a wasmtime error: its headline and causes, without the backtrace."""
    head, _, cause = str(exc).partition("Caused by:")
    lines = head.strip().splitlines()
    parts = [] if not lines or lines[0].startswith("error while executing") else [lines[0].strip()]
    parts += [line.strip() for line in cause.splitlines() if line.strip()]
    return ": ".join(parts) or type(exc).__name__
