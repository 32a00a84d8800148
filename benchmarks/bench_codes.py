"""Encode/decode throughput of kura's MSR and Reed–Solomon codes, as ratios to zfec and to a memory copy.

For each (k, n) in (3,5), (4,8), (8,16) and each input size, the script times
(best of a few runs, single thread, all in this run):

* kura's ``ProductMatrixMSR`` and ``ReedSolomon``: ``encode_into`` and ``decode_into``
  preallocated buffers (the codec's hot path), decoding from the ``k``
  highest-numbered shares (parity only);
* zfec's ``Encoder.encode`` of the same bytes cut into ``k`` blocks, and
  ``Decoder.decode`` from its ``k`` highest-numbered blocks;
* a numpy copy of the same bytes.

Throughput is input bytes per second. Run::

    .venv/bin/python benchmarks/bench_codes.py [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import zfec

from kura.codes import gf256
from kura.codes.msr import ProductMatrixMSR
from kura.codes.rs import ReedSolomon

MiB = 1 << 20
PARAMETERS = [(3, 5), (4, 8), (8, 16)]


def best_seconds(run: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` timed calls (after one warm-up call)."""
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def zfec_rates(k: int, n: int, data: np.ndarray, repeats: int) -> tuple[float, float]:
    """zfec's encode and decode rates in bytes per second."""
    block = -(-data.size // k)
    padded = np.zeros(block * k, dtype=np.uint8)
    padded[: data.size] = data
    blocks = [padded[i * block : (i + 1) * block].data for i in range(k)]
    encoder = zfec.Encoder(k, n)
    coded = encoder.encode(blocks)
    numbers = list(range(n - k, n))
    decoder = zfec.Decoder(k, n)
    encode = best_seconds(lambda: encoder.encode(blocks), repeats)
    decode = best_seconds(lambda: decoder.decode([coded[i] for i in numbers], numbers), repeats)
    return data.size / encode, data.size / decode


def kura_rates(code: ProductMatrixMSR | ReedSolomon, data: np.ndarray, repeats: int) -> tuple[float, float]:
    """kura's encode and decode rates in bytes per second."""
    n, k = code.params.n, code.params.k
    out = np.empty((n, code.share_size(data.size)), dtype=np.uint8)
    code.encode_into(data, out)
    parity = {index: out[index] for index in range(n - k, n)}
    decoded = np.empty_like(data)
    code.decode_into(parity, decoded)
    assert np.array_equal(decoded, data), "decode gave wrong bytes"
    encode = best_seconds(lambda: code.encode_into(data, out), repeats)
    decode = best_seconds(lambda: code.decode_into(parity, decoded), repeats)
    return data.size / encode, data.size / decode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 MiB and 4 MiB only, fewer repetitions")
    args = parser.parse_args()
    sizes = [1 * MiB, 4 * MiB] if args.quick else [1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB]
    repeats = 3 if args.quick else 5
    rng = np.random.default_rng(0)
    print(f"GF(2^8) kernel: {gf256.KERNEL}; rates in MB/s of input; ratios against zfec and numpy copy")
    header = (
        f"{'code':<4} {'k,n':>5} {'size':>7} {'op':<6} {'kura':>8} {'zfec':>8} {'copy':>8} {'x zfec':>7} {'x copy':>7}"
    )
    print(header)
    print("-" * len(header))
    for size in sizes:
        data = rng.integers(0, 256, size=size, dtype=np.uint8)
        target = np.empty_like(data)
        copy_rate = size / best_seconds(lambda target=target, data=data: np.copyto(target, data), repeats)
        for k, n in PARAMETERS:
            zfec_encode, zfec_decode = zfec_rates(k, n, data, repeats)
            for name, code in (("MSR", ProductMatrixMSR(k, n)), ("RS", ReedSolomon(k, n))):
                kura_encode, kura_decode = kura_rates(code, data, repeats)
                for op, mine, theirs in (("encode", kura_encode, zfec_encode), ("decode", kura_decode, zfec_decode)):
                    print(
                        f"{name:<4} {f'{k},{n}':>5} {size // MiB:>4}MiB {op:<6} {mine / 1e6:>8.0f} "
                        f"{theirs / 1e6:>8.0f} {copy_rate / 1e6:>8.0f} {mine / theirs:>7.2f} {mine / copy_rate:>7.3f}"
                    )


if __name__ == "__main__":
    main()
