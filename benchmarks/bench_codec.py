"""Throughput of kura's file codec, as ratios against AES-GCM alone and zfec in the same run.

Encode = read + AES-256-GCM (STREAM) + MSR erasure code + Shamir-shared key +
each share's Merkle root (its one hash pass), written to null sinks. Decode =
verify k shares (header, Merkle root against the manifest's) + MSR decode +
authenticated decryption.
References, measured on the same data: AES-GCM sealing alone, and zfec (a C
Reed–Solomon) encode/decode at the same (k, n) with the last k shares
(parity-heavy, the slow case for both).

Peak memory of a 256 MiB encode is measured in a child process that streams a
file from disk into null sinks: its RSS high-water mark (VmHWM), reset after the
imports (``/proc/self/clear_refs``) so that it shows the encode's own peak.

Run: ``.venv/bin/python benchmarks/bench_codec.py [--quick]``.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import zfec

from kura.codes.params import CodeParams, Scheme
from kura.crypto import aead, codec

MiB = 1 << 20
SHAPES = [(3, 5), (4, 8), (8, 16)]
SMALL_RUNS = 20
SMALL_RUNS_MIB = 64


class NullSink(io.RawIOBase):
    """Counts and drops what is written."""

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        return memoryview(data).nbytes  # type: ignore[arg-type]


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of ``runs`` timings, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def seal_only(data: bytes) -> None:
    sealer = aead.StreamSealer(aead.new_key(), aead.new_nonce_prefix(), b"f" * 32)
    for _ in aead.encrypt_stream(io.BytesIO(data), len(data), sealer):
        pass


def runs_for(mib: int, base_runs: int) -> int:
    """Best-of runs for a size: more for small files, whose single timings are noisy (a few ms)."""
    return max(base_runs, min(SMALL_RUNS, SMALL_RUNS_MIB // mib))


def measure(k: int, n: int, size: int, runs: int) -> dict[str, float]:
    """Seconds for each operation on ``size`` random bytes."""
    data = os.urandom(size)
    params = CodeParams(Scheme.MSR, k, n)
    part = -(-size // k)
    blocks = [data[i * part : (i + 1) * part].ljust(part, b"\0") for i in range(k)]
    encoder, decoder = zfec.Encoder(k, n), zfec.Decoder(k, n)
    coded = encoder.encode(blocks)
    last = list(range(n - k, n))
    sinks = [io.BytesIO() for _ in range(n)]
    encoded = codec.encode_file(io.BytesIO(data), params, sinks)
    shares = {i: sinks[i].getvalue() for i in last}

    def decode() -> None:
        codec.decode_file({i: io.BytesIO(blob) for i, blob in shares.items()}, NullSink(), encoded)

    work = {
        "aes": lambda: seal_only(data),
        "zfec_enc": lambda: encoder.encode(blocks),
        "zfec_dec": lambda: decoder.decode([coded[i] for i in last], last),
        "enc": lambda: codec.encode_file(io.BytesIO(data), params, [NullSink() for _ in range(n)]),
        "dec": decode,
    }
    best = {name: float("inf") for name in work}
    for _ in range(runs):  # interleaved, so a busy moment of a shared machine hits every operation alike
        for name, operation in work.items():
            best[name] = min(best[name], best_of(1, operation))
    return best


def peak_memory(size: int, k: int, n: int) -> tuple[float, float]:
    """(peak RSS, RSS added by the encode) of a child encoding a ``size``-byte file, in bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file"
        with path.open("wb") as out:
            for _ in range(size // MiB):
                out.write(os.urandom(MiB))
        result = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(path), str(k), str(n)],
            check=True,
            capture_output=True,
            text=True,
        )
    before, after = (float(value) for value in result.stdout.split())
    return after, after - before


def _status(field: str) -> int:
    """A memory figure of this process from ``/proc/self/status``, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(path: str, k: int, n: int) -> None:
    """Encode ``path`` into null sinks; print the RSS before and its high-water mark during the encode (bytes)."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    with open(path, "rb") as src:
        codec.encode_file(src, CodeParams(Scheme.MSR, k, n), [NullSink() for _ in range(n)])
    print(before, _status("VmHWM"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 16 MiB only, fewer runs")
    parser.add_argument("--memory-child", nargs=3, metavar=("PATH", "K", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        path, k, n = args.memory_child
        memory_child(path, int(k), int(n))
        return
    sizes = [1, 16] if args.quick else [1, 16, 64, 256]
    base_runs = 1 if args.quick else 3
    print(
        f"{'(k,n)':>7} {'MiB':>5} {'enc MB/s':>9} {'dec MB/s':>9} {'enc/zfec':>9} {'dec/zfec':>9} "
        f"{'enc/AES':>8} {'dec/AES':>8} {'zfec enc':>9} {'zfec dec':>9}"
    )
    for k, n in SHAPES:
        for mib in sizes:
            t = measure(k, n, mib * MiB, runs_for(mib, base_runs))
            rate = {name: mib * MiB / 1e6 / seconds for name, seconds in t.items()}
            print(
                f"{f'({k},{n})':>7} {mib:>5} {rate['enc']:>9.0f} {rate['dec']:>9.0f} "
                f"{t['zfec_enc'] / t['enc']:>9.2f} {t['zfec_dec'] / t['dec']:>9.2f} "
                f"{t['aes'] / t['enc']:>8.3f} {t['aes'] / t['dec']:>8.3f} "
                f"{rate['zfec_enc']:>9.0f} {rate['zfec_dec']:>9.0f}"
            )
    memory_size = (16 if args.quick else 256) * MiB
    peak, added = peak_memory(memory_size, 4, 8)
    print(
        f"\nencode of {memory_size // MiB} MiB at (4,8): peak RSS {peak / MiB:.0f} MiB "
        f"= {peak / memory_size:.2f}x the file (the encode itself added {added / MiB:.0f} MiB "
        f"= {added / memory_size:.2f}x)"
    )


if __name__ == "__main__":
    main()
