"""The host–guest ABI of kura tasks.

A task module imports nothing and exports:

- ``memory``: its one 32-bit, non-shared linear memory;
- ``alloc(len: i32) -> i32``: reserve ``len`` bytes and return their address;
- an entry function (``run`` by default) ``(ptr: i32, len: i32) -> i64``: read the
  input at ``[ptr, ptr + len)`` and return ``(out_ptr << 32) | out_len``.

The host calls ``alloc(len(input))``, copies the input to the returned address,
calls the entry function, checks the returned range against the output limit
and the memory bounds, and copies the output out. Addresses and lengths are
unsigned 32-bit values even though WebAssembly types them as ``i32``.
"""

from __future__ import annotations

import wasmtime

from kura.errors import SandboxError

MEMORY_EXPORT = "memory"
ALLOC_EXPORT = "alloc"
DEFAULT_ENTRY = "run"

_U32 = 0xFFFF_FFFF
_U64 = 0xFFFF_FFFF_FFFF_FFFF

_I32 = wasmtime.ValType.i32()
_I64 = wasmtime.ValType.i64()
_SIGNATURES: dict[str, tuple[list[wasmtime.ValType], list[wasmtime.ValType]]] = {
    ALLOC_EXPORT: ([_I32], [_I32]),
}
_ENTRY_SIGNATURE = ([_I32, _I32], [_I64])


def check_module_shape(module: wasmtime.Module, entry: str) -> None:
    """Check that a compiled module follows the ABI.

    Args:
        module: The compiled module.
        entry: Name of the entry function.

    Raises:
        SandboxError: naming the first import, missing export or wrong signature found.
    """
    imports = module.imports
    if imports:
        imported = imports[0]
        raise SandboxError(
            f"module imports {imported.module}.{imported.name}: kura tasks may import nothing "
            "(no WASI, no host functions); compile the task without a libc or WASI target"
        )
    exports = {export.name: export.type for export in module.exports}
    memory = exports.get(MEMORY_EXPORT)
    if not isinstance(memory, wasmtime.MemoryType):
        raise SandboxError(f"module must export its linear memory as {MEMORY_EXPORT!r}")
    if memory.is_64 or memory.is_shared:
        raise SandboxError("the exported memory must be 32-bit and not shared")
    wanted = {**_SIGNATURES, entry: _ENTRY_SIGNATURE}
    for name, (params, results) in wanted.items():
        func = exports.get(name)
        if not isinstance(func, wasmtime.FuncType):
            raise SandboxError(f"module must export a function {name!r} ({_render(params, results)})")
        if func.params != params or func.results != results:
            raise SandboxError(
                f"export {name!r} has type ({_render(func.params, func.results)}), "
                f"the ABI needs ({_render(params, results)})"
            )


def _render(params: list[wasmtime.ValType], results: list[wasmtime.ValType]) -> str:
    return f"{', '.join(map(str, params))}) -> ({', '.join(map(str, results))}"


def to_i32(value: int) -> int:
    """Turn an unsigned 32-bit address or length into the signed value wasmtime passes as ``i32``."""
    value &= _U32
    return value - (1 << 32) if value >= 1 << 31 else value


def to_u32(value: int) -> int:
    """Read an ``i32`` returned by the guest as an unsigned address."""
    return value & _U32


def unpack_output(packed: int) -> tuple[int, int]:
    """Split the entry function's ``i64`` into ``(out_ptr, out_len)``, both unsigned."""
    packed &= _U64
    return packed >> 32, packed & _U32


def in_bounds(ptr: int, length: int, memory_len: int) -> bool:
    """Whether ``[ptr, ptr + length)`` lies inside a memory of ``memory_len`` bytes."""
    return ptr + length <= memory_len
