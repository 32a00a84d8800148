"""Start-up of the ``kura`` command, and CLI put/get against the in-process API, on a private devnet.

    .venv/bin/python benchmarks/bench_cli.py [--quick] [--running]

Start-up: ``kura --help``, ``kura store --help`` and ``kura store ls`` (on a devnet with a few files) beside
``python -c pass``, each a fresh interpreter; the repeats are interleaved (one of each, then again) so every
command sees the machine in the same state. Wall time and CPU time are medians, peak RSS the largest; the last
columns are the ratios to ``python -c pass``. Targets (issue 17): each of the three <= 0.25 s and <= 60 MB.
Each command is measured on its own by :func:`kura.devtools.process_usage.measure` (a child's peak RSS counts
its parent's pages until ``exec``, so this process, holding web3, cannot measure them directly).

Put/get: a 1 MiB file (3-of-5 MSR) stored and fetched through ``kura store put/get --json`` (a process each)
and through ``kura.connect().storage.put/get`` in this process, interleaved, a fresh file each repeat.
Target: CLI <= 1.2x the API at 1 MiB.

The devnet is started and stopped here, in a temporary state folder, with the helpers the tests' session
fixtures use (``kura.devnet.manager``); ``--running`` uses the devnet ``kura devnet up`` started instead
(deploying kura on it first if needed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from statistics import median

from kura.devtools.process_usage import Measured, measure

MIB = 1 << 20
BUDGET_SECONDS = 0.25
BUDGET_MB = 60.0
CLI_OVER_API = 1.2


def run(command: Sequence[str]) -> Measured:
    """Run ``command`` to its end and measure it (its own usage: :func:`kura.devtools.process_usage.measure`).

    Raises:
        RuntimeError: if it fails.
    """
    measured = measure(command)
    if measured.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {measured.returncode}: {measured.stderr.strip()}")
    return measured


def kura_command(*args: str) -> list[str]:
    """``python -m kura ARGS`` with this interpreter."""
    return [sys.executable, "-m", "kura", *args]


def startup(repeats: int) -> None:
    """Print the start-up table: each command's medians beside ``python -c pass``."""
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "kura --help": kura_command("--help"),
        "kura store --help": kura_command("store", "--help"),
        "kura store ls": kura_command("store", "ls"),
    }
    for command in cases.values():  # warm the file cache and the byte-code caches
        run(command)
    runs: dict[str, list[Measured]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, command in cases.items():
            runs[name].append(run(command))
    base = runs["python -c pass"]
    base_wall, base_cpu = median(r.wall for r in base), median(r.cpu for r in base)
    print(
        f"{'command':<20} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'wall/pass':>10} {'cpu/pass':>9}  "
        f"target <= {BUDGET_SECONDS} s, {BUDGET_MB:.0f} MB"
    )
    for name, measured in runs.items():
        wall, cpu, peak = (
            median(r.wall for r in measured),
            median(r.cpu for r in measured),
            max(r.peak_bytes for r in measured) / MIB,
        )
        verdict = (
            ""
            if name == "python -c pass"
            else (
                "met"
                if wall <= BUDGET_SECONDS and peak <= BUDGET_MB
                else f"{'time ' if wall > BUDGET_SECONDS else ''}{'memory ' if peak > BUDGET_MB else ''}over"
            )
        )
        print(
            f"{name:<20} {wall:>8.3f} {cpu:>8.3f} {peak:>8.1f} {wall / base_wall:>10.1f} {cpu / base_cpu:>9.1f}  "
            f"{verdict}"
        )


def put_get(repeats: int, folder: Path) -> None:
    """Print CLI put and get against the API at 1 MiB, interleaved, each repeat a new file."""
    import kura

    timings: dict[str, list[float]] = {"api put": [], "cli put": [], "api get": [], "cli get": []}
    with kura.connect(None, 0, "config") as k:
        for repeat in range(repeats + 1):  # the first round warms connections and caches, and is not counted
            via_api, via_cli = folder / f"api-{repeat}", folder / f"cli-{repeat}"
            via_api.write_bytes(os.urandom(MIB))
            via_cli.write_bytes(os.urandom(MIB))
            started = time.perf_counter()
            stored = k.storage.put(via_api, k=3, n=5)
            api_put = time.perf_counter() - started
            started = time.perf_counter()
            done = subprocess.run(
                kura_command("store", "put", str(via_cli), "--k", "3", "--n", "5", "--nodes", "config", "--json"),
                capture_output=True,
                text=True,
                check=True,
            )
            cli_put = time.perf_counter() - started
            file_id = json.loads(done.stdout)["file_id"]
            started = time.perf_counter()
            k.storage.get(stored.file_id, folder / f"api-back-{repeat}")
            api_get = time.perf_counter() - started
            started = time.perf_counter()
            subprocess.run(
                kura_command(
                    "store", "get", file_id, "-o", str(folder / f"cli-back-{repeat}"), "--nodes", "config", "--json"
                ),
                capture_output=True,
                check=True,
            )
            cli_get = time.perf_counter() - started
            if repeat:
                for name, value in zip(timings, (api_put, cli_put, api_get, cli_get), strict=True):
                    timings[name].append(value)
    put_ratio = median(c / a for c, a in zip(timings["cli put"], timings["api put"], strict=True))
    get_ratio = median(c / a for c, a in zip(timings["cli get"], timings["api get"], strict=True))
    print(f"\n1 MiB, 3-of-5 MSR, {repeats} repeats   api s   cli s  cli-api s  cli/api  target <= {CLI_OVER_API}")
    for verb, ratio in (("put", put_ratio), ("get", get_ratio)):
        api, via_cli = median(timings["api " + verb]), median(timings["cli " + verb])
        print(
            f"{verb:<35} {api:>5.3f} {via_cli:>7.3f} {via_cli - api:>10.3f} {ratio:>8.2f}  "
            f"{'met' if ratio <= CLI_OVER_API else 'not met'}"
        )


@contextmanager
def devnet(running: bool) -> Iterator[None]:
    """A devnet with kura deployed: a private one started and stopped here, or the running one."""
    import kura
    from kura.demo import private_state
    from kura.devnet import manager
    from kura.errors import AlreadyDeployedError

    with ExitStack() as stack:
        if not running:
            stack.enter_context(private_state())
            manager.up(manager.DEFAULT_KUBO_NODES)
            stack.callback(manager.down)
        with contextlib.suppress(AlreadyDeployedError):
            kura.deploy().close()
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--running", action="store_true", help="use the devnet `kura devnet up` started")
    args = parser.parse_args()
    import kura

    with devnet(args.running), tempfile.TemporaryDirectory() as folder:
        with kura.connect(None, 0, "config") as k:  # a few files, so `kura store ls` lists something
            for i in range(3):
                (Path(folder) / f"listed-{i}").write_bytes(os.urandom(4096))
                k.storage.put(Path(folder) / f"listed-{i}", k=2, n=3)
        startup(5 if args.quick else 15)
        put_get(3 if args.quick else 9, Path(folder))


if __name__ == "__main__":
    main()
