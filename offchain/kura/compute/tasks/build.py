"""Rebuild the shipped tasks' ``.wasm`` from their WAT sources.

Usage (from the repository root)::

    .venv/bin/python -m kura.compute.tasks.build          # rewrite the .wasm files
    .venv/bin/python -m kura.compute.tasks.build --check  # exit 1 if any differs

Each module is ``(module <runtime.wat> <task>.wat)`` assembled by
``wasmtime.wat2wasm``, so the toolchain is the pinned Python dependency itself.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import wasmtime

from kura.compute import tasks

RUNTIME = "runtime.wat"


def module_text(name: str) -> str:
    """The full WAT text of a shipped task: the shared runtime, then the task's own code."""
    runtime = resources.files(tasks.__name__).joinpath(RUNTIME).read_text(encoding="utf-8")
    return f"(module\n{runtime}\n{tasks.source(name)})\n"


def compile_task(name: str) -> bytes:
    """Assemble one shipped task from source.

    Raises:
        SandboxError: if there is no such task.
        wasmtime.WasmtimeError: if the WAT does not assemble.
    """
    return bytes(wasmtime.wat2wasm(module_text(name)))


def main(argv: list[str]) -> int:
    """Rebuild every task (or, with ``--check``, report which differ); return the exit code."""
    check = "--check" in argv
    folder = Path(tasks.__file__).parent
    stale = []
    for name in sorted(tasks.TASKS):
        built = compile_task(name)
        target = folder / f"{name}.wasm"
        if check:
            if not target.exists() or target.read_bytes() != built:
                stale.append(name)
        else:
            target.write_bytes(built)
        print(f"{name}: {len(built)} bytes{' (differs)' if name in stale else ''}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
