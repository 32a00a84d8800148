"""The sandbox: every outcome, the ABI checks, determinism and the commitment layout."""

from __future__ import annotations

import struct

import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from wasmtime import wat2wasm

from kura.compute.sandbox import (
    WASM_PAGE,
    Sandbox,
    SandboxLimits,
    TaskOutcome,
    TaskStatus,
    module_hash,
)
from kura.errors import ConfigError, SandboxError

LIMITS = SandboxLimits(fuel=200_000, memory_bytes=4 * WASM_PAGE, output_bytes=64)
ECHO_LIMITS = SandboxLimits(fuel=200_000, memory_bytes=4 * WASM_PAGE, output_bytes=4096)
ECHO = "(i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32)) (i64.extend_i32_u (local.get $n)))"


def task(run_body: str, *, alloc: str = "(i32.const 1024)", memory: str = "1", extra: str = "") -> bytes:
    """A module following the ABI: one memory, ``alloc`` returning ``alloc``, ``run`` doing ``run_body``."""
    return bytes(
        wat2wasm(
            f"""(module
          (memory (export "memory") {memory})
          (func (export "alloc") (param $len i32) (result i32) {alloc})
          (func (export "run") (param $p i32) (param $n i32) (result i64) {run_body})
          {extra})"""
        )
    )


@pytest.fixture(scope="module")
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return Sandbox(getattr(request, "param", LIMITS))


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=4096))
@pytest.mark.parametrize("sandbox", [ECHO_LIMITS], indirect=True)
def test_echo_returns_the_input_and_its_hash(sandbox: Sandbox, data: bytes) -> None:
    outcome = sandbox.run(task(ECHO), data)
    assert outcome.status is TaskStatus.OK and outcome.output == data
    assert outcome.result_hash == keccak(data)
    assert outcome.commitment_bytes() == b"\x01\x00" + keccak(data)
    assert outcome.commitment_hash == keccak(outcome.commitment_bytes())


def test_infinite_loop_runs_out_of_fuel(sandbox: Sandbox) -> None:
    outcome = sandbox.run(task("(loop $l (br $l)) (i64.const 0)"), b"x", fuel=12_345)
    assert outcome.status is TaskStatus.OUT_OF_FUEL
    assert outcome.fuel_used == outcome.limit == 12_345
    assert outcome.commitment_bytes() == b"\x01\x01" + (12_345).to_bytes(8, "big")


def test_unreachable_is_a_trap_committed_by_code_not_message(sandbox: Sandbox) -> None:
    outcome = sandbox.run(task("unreachable"), b"")
    assert outcome.status is TaskStatus.TRAP and outcome.code == "UNREACHABLE"
    assert "unreachable" in outcome.detail
    assert outcome.commitment_bytes() == b"\x01\x02UNREACHABLE"


def test_division_by_zero_is_a_trap(sandbox: Sandbox) -> None:
    outcome = sandbox.run(task("(i64.div_u (i64.const 1) (i64.extend_i32_u (local.get $n)))"), b"")
    assert (outcome.status, outcome.code) == (TaskStatus.TRAP, "INTEGER_DIVISION_BY_ZERO")


def test_deep_recursion_is_a_stack_overflow_trap(sandbox: Sandbox) -> None:
    module = task(
        "(call $down (i64.const 0))",
        extra="(func $down (param i64) (result i64) (call $down (i64.add (local.get 0) (i64.const 1))))",
    )
    first, second = sandbox.run(module, b"", fuel=10**8), Sandbox(LIMITS).run(module, b"", fuel=10**8)
    assert (first.status, first.code) == (TaskStatus.TRAP, "STACK_OVERFLOW")
    assert first == second


def test_a_trapping_start_function_is_a_trap(sandbox: Sandbox) -> None:
    outcome = sandbox.run(task("(i64.const 0)", extra="(func $boom unreachable) (start $boom)"), b"")
    assert (outcome.status, outcome.code) == (TaskStatus.TRAP, "UNREACHABLE")


def test_output_longer_than_the_limit(sandbox: Sandbox) -> None:
    outcome = sandbox.run(task("(i64.const 65)"), b"")
    assert outcome.status is TaskStatus.OUTPUT_TOO_LARGE and outcome.limit == 64
    assert outcome.commitment_bytes() == b"\x01\x03" + (64).to_bytes(8, "big")
    assert sandbox.run(task("(i64.const 64)"), b"").output == bytes(64)


@pytest.mark.parametrize(
    "packed",
    [(WASM_PAGE - 4) << 32 | 8, 0xFFFF_FFF0 << 32 | 0x20],
    ids=["ends-past-memory", "32-bit-wrap-around"],
)
def test_guest_output_ranges_outside_memory_are_abi_violations(sandbox: Sandbox, packed: int) -> None:
    outcome = sandbox.run(task(f"(i64.const {packed})"), b"")
    assert (outcome.status, outcome.code) == (TaskStatus.ABI_VIOLATION, "output_out_of_bounds")
    assert outcome.commitment_bytes() == b"\x01\x06output_out_of_bounds"


def test_an_empty_output_at_the_end_of_memory_is_fine(sandbox: Sandbox) -> None:
    outcome = sandbox.run(task(f"(i64.const {WASM_PAGE << 32})"), b"")
    assert outcome.status is TaskStatus.OK and outcome.output == b""


def test_alloc_returning_a_bad_pointer_is_an_abi_violation(sandbox: Sandbox) -> None:
    outcome = sandbox.run(task(ECHO, alloc="(i32.const -16)"), b"0123456789abcdef0")
    assert (outcome.status, outcome.code) == (TaskStatus.ABI_VIOLATION, "input_out_of_bounds")


def test_growing_memory_to_the_limit_then_trapping_is_memory_limit(sandbox: Sandbox) -> None:
    grow_until_refused = "(loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable"
    outcome = sandbox.run(task(grow_until_refused), b"")
    assert outcome.status is TaskStatus.MEMORY_LIMIT and outcome.limit == 4 * WASM_PAGE
    assert outcome.commitment_bytes() == b"\x01\x04" + (4 * WASM_PAGE).to_bytes(8, "big")


def test_a_refused_grow_the_guest_handles_is_not_an_outcome(sandbox: Sandbox) -> None:
    # memory.grow(100) is refused (-1); the guest reports that value as 4 output bytes at address 0.
    outcome = sandbox.run(task("(i32.store (i32.const 0) (memory.grow (i32.const 100))) (i64.const 4)"), b"")
    assert outcome.status is TaskStatus.OK and outcome.output == b"\xff\xff\xff\xff"


def test_initial_memory_above_the_limit_is_memory_limit(sandbox: Sandbox) -> None:
    assert sandbox.run(task("(i64.const 0)", memory="5"), b"").status is TaskStatus.MEMORY_LIMIT


def test_input_larger_than_memory_is_memory_limit(sandbox: Sandbox) -> None:
    outcome = sandbox.run(task(ECHO), bytes(4 * WASM_PAGE + 1))
    assert outcome.status is TaskStatus.MEMORY_LIMIT and outcome.fuel_used == 0


@pytest.mark.parametrize(
    ("module", "reason"),
    [
        (
            wat2wasm(
                '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))))'
            ),
            "imports wasi_snapshot_preview1.fd_write",
        ),
        (wat2wasm('(module (import "env" "mem" (memory 1)))'), "imports env.mem"),
        (b"\x00asm\x01\x00\x00\x00\xff", "not a valid WebAssembly module"),
        (b"", "not a valid WebAssembly module"),
        (wat2wasm('(module (func (export "run") (param i32 i32) (result i64) (i64.const 0)))'), "'memory'"),
        (
            wat2wasm(
                '(module (memory (export "memory") 1) (func (export "run") (param i32 i32) (result i64) (i64.const 0)))'
            ),
            "'alloc'",
        ),
        (task("(i64.const 0)").replace(b"run", b"go!"), "'run'"),
        (
            wat2wasm(
                '(module (memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) '
                '(i32.const 0)) (func (export "run") (param i32 i32) (result i32) (i32.const 0)))'
            ),
            "i64",
        ),
        (wat2wasm('(module (memory (export "memory") 1 1 shared))'), "not a valid WebAssembly module"),
        (
            wat2wasm(
                "(module (func (result v128) (f32x4.relaxed_madd (v128.const i64x2 0 0) "
                "(v128.const i64x2 0 0) (v128.const i64x2 0 0))))"
            ),
            "not a valid WebAssembly module",
        ),
    ],
    ids=[
        "wasi-import",
        "memory-import",
        "garbage",
        "empty",
        "no-memory",
        "no-alloc",
        "no-entry",
        "wrong-signature",
        "threads",
        "relaxed-simd",
    ],
)
def test_modules_kura_cannot_run_are_invalid_outcomes(sandbox: Sandbox, module: bytes, reason: str) -> None:
    outcome = sandbox.run(module, b"input")
    assert outcome.status is TaskStatus.INVALID_MODULE and reason in outcome.detail
    assert outcome.commitment_bytes() == b"\x01\x05"
    with pytest.raises(SandboxError, match=reason.replace("(", r"\(")):
        sandbox.compile(module)


def test_another_entry_function_can_be_named(sandbox: Sandbox) -> None:
    module = task("unreachable", extra=f'(func (export "echo") (param $p i32) (param $n i32) (result i64) {ECHO})')
    assert sandbox.run(module, b"hi", entry="echo").output == b"hi"
    assert sandbox.run(module, b"hi", entry="missing").status is TaskStatus.INVALID_MODULE


def test_nan_results_are_canonical() -> None:
    # 0x7fc00001 is a quiet NaN with a payload; hardware propagates it, canonicalisation must not.
    body = (
        "(i32.store (i32.const 0) (i32.reinterpret_f32 (f32.add (f32.reinterpret_i32 "
        "(i32.const 0x7fc00001)) (f32.const 1)))) (i64.const 4)"
    )
    outcome = Sandbox(LIMITS).run(task(body), b"")
    assert struct.unpack("<I", outcome.output)[0] == 0x7FC0_0000


PROGRAMS = {
    "sum-of-bytes": task(
        "(local $i i32) (local $acc i64) "
        "(block $done (loop $l (br_if $done (i32.ge_u (local.get $i) (local.get $n))) "
        "(local.set $acc (i64.add (local.get $acc) (i64.load8_u (i32.add (local.get $p) (local.get $i))))) "
        "(local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l))) "
        "(i64.store (i32.const 0) (local.get $acc)) (i64.const 8)"
    ),
    "out-of-fuel": task("(loop $l (br $l)) (i64.const 0)"),
    "trap": task("(i32.load (i32.const 0x7fffffff)) drop (i64.const 0)"),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_runs_are_identical_across_runs_and_fresh_engines(name: str) -> None:
    data = bytes(range(256)) * 40
    first = Sandbox(LIMITS).run(PROGRAMS[name], data)
    again = [Sandbox(LIMITS).run(PROGRAMS[name], data) for _ in range(2)]
    shared = Sandbox(LIMITS)
    cached = [shared.run(PROGRAMS[name], data) for _ in range(2)]
    assert all(outcome == first for outcome in again + cached)
    assert first.fuel_used > 0
    assert len({outcome.commitment_hash for outcome in again + cached + [first]}) == 1


def test_fuel_use_grows_with_the_work() -> None:
    sandbox = Sandbox(LIMITS)
    short, long = (sandbox.run(PROGRAMS["sum-of-bytes"], bytes(size)) for size in (10, 1000))
    assert short.output == long.output == bytes(8)
    assert long.fuel_used > short.fuel_used + 990 * 5


def test_compilation_is_cached_by_module_hash(sandbox: Sandbox) -> None:
    module = task(ECHO)
    assert sandbox.compile(module) is sandbox.compile(bytes(module))
    assert module_hash(module) == keccak(module)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fuel": 0},
        {"memory_bytes": WASM_PAGE + 1},
        {"memory_bytes": 0},
        {"memory_bytes": 2**31 + WASM_PAGE},
        {"output_bytes": 0},
        {"table_elements": -1},
    ],
)
def test_impossible_limits_are_rejected(kwargs: dict[str, int]) -> None:
    with pytest.raises(ConfigError):
        SandboxLimits(**kwargs)


def test_a_bad_fuel_argument_is_a_caller_error(sandbox: Sandbox) -> None:
    with pytest.raises(ConfigError, match="fuel"):
        sandbox.run(task(ECHO), b"", fuel=-5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": TaskStatus.TRAP, "output": b"x", "code": "UNREACHABLE"},
        {"status": TaskStatus.OUT_OF_FUEL},
        {"status": TaskStatus.OK, "limit": 3},
        {"status": TaskStatus.TRAP},
        {"status": TaskStatus.ABI_VIOLATION, "code": "naïve"},
        {"status": TaskStatus.OK, "fuel_used": -1},
    ],
)
def test_contradictory_outcomes_cannot_be_built(kwargs: dict[str, object]) -> None:
    with pytest.raises(SandboxError):
        TaskOutcome(**kwargs)  # type: ignore[arg-type]


def test_a_failed_run_has_no_result_hash() -> None:
    with pytest.raises(SandboxError, match="no result"):
        _ = TaskOutcome(TaskStatus.INVALID_MODULE).result_hash


def test_every_status_commits_to_distinct_bytes() -> None:
    outcomes = [
        TaskOutcome(TaskStatus.OK, output=b""),
        TaskOutcome(TaskStatus.OUT_OF_FUEL, limit=1),
        TaskOutcome(TaskStatus.TRAP, code="UNREACHABLE"),
        TaskOutcome(TaskStatus.OUTPUT_TOO_LARGE, limit=1),
        TaskOutcome(TaskStatus.MEMORY_LIMIT, limit=1),
        TaskOutcome(TaskStatus.INVALID_MODULE),
        TaskOutcome(TaskStatus.ABI_VIOLATION, code="output_out_of_bounds"),
    ]
    assert {o.status for o in outcomes} == set(TaskStatus)
    assert len({o.commitment_bytes() for o in outcomes}) == len(outcomes)
    assert (
        TaskOutcome(TaskStatus.OUT_OF_FUEL, limit=1).commitment_bytes()
        != TaskOutcome(TaskStatus.OUT_OF_FUEL, limit=2).commitment_bytes()
    )
