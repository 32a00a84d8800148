"""Sandbox overhead: the matmul task in wasmtime vs the same kernel in Python and numpy.

Run:  .venv/bin/python benchmarks/bench_sandbox.py [--quick]

For each n, one n x n u32 matrix product is timed (best of several runs) as
- wasm:   a full ``Sandbox.run`` (fresh store and instance, input copy-in, fuel
          metering, output copy-out; the module is compiled once beforehand),
- python: ``kura.compute.tasks.reference.matmul``, the plain-Python reference,
- numpy:  ``a @ b`` on uint32 arrays (what a native BLAS-free kernel costs).
All three outputs are checked equal. Ratios > 1 mean wasm is slower.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from kura.compute import tasks
from kura.compute.sandbox import Sandbox, TaskStatus
from kura.compute.tasks import reference


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """Fastest wall-clock time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only, finishes in about a second")
    args = parser.parse_args()
    sizes = (8, 32) if args.quick else (16, 64, 128, 256)
    repeats = 3 if args.quick else 5

    sandbox = Sandbox()
    module = tasks.load("matmul")
    start = time.perf_counter()
    sandbox.compile(module)
    print(f"compile matmul.wasm ({len(module)} bytes): {(time.perf_counter() - start) * 1e3:.1f} ms (cached after)")
    print(
        f"{'n':>5} {'fuel':>12} {'wasm ms':>10} {'python ms':>10} {'numpy ms':>10} "
        f"{'python/wasm':>12} {'wasm/numpy':>11}"
    )
    rng = np.random.default_rng(0)
    for n in sizes:
        a, b = (rng.integers(0, 2**32, size=(n, n), dtype=np.uint64).astype(np.uint32) for _ in range(2))
        data = reference.matmul_input(a.tolist(), b.tolist())
        outcome = sandbox.run(module, data)
        assert outcome.status is TaskStatus.OK, outcome.detail
        assert outcome.output == reference.matmul(data) == (a @ b).astype("<u4").tobytes()
        wasm = best_of(repeats, lambda data=data: sandbox.run(module, data))
        python = best_of(1 if n >= 128 else repeats, lambda data=data: reference.matmul(data))
        numpy = best_of(repeats, lambda a=a, b=b: a @ b)
        print(
            f"{n:>5} {outcome.fuel_used:>12,} {wasm * 1e3:>10.2f} {python * 1e3:>10.2f} {numpy * 1e3:>10.3f} "
            f"{python / wasm:>12.1f} {wasm / numpy:>11.1f}"
        )


if __name__ == "__main__":
    main()
