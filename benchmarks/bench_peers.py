"""kura side by side with Tahoe-LAFS, its closest peer: put, get and repair traffic on two loopback grids.

    .venv/bin/python benchmarks/bench_peers.py [--quick]

Tahoe-LAFS is a benchmark dependency only (``pip install -e '.[peers]'``, or any ``tahoe`` named by
``KURA_TAHOE``); kura never imports it. Both grids run on this machine:

- Tahoe: an introducer, 5 storage nodes and a client node (shares.needed 3, happy 5, total 5).
- kura: a private devnet of 5 Kubo nodes and Anvil, files stored MSR 3-of-5.

Put and get of 1, 16 and 64 MiB (``--quick``: 1 and 16) are timed in interleaved repeats, so both
systems see the machine in the same state: from the command line (the whole process: ``tahoe put`` /
``tahoe get`` against ``kura store put`` / ``kura store get``) and through each one's API from this
process (Tahoe's web API, ``PUT /uri`` and ``GET /uri/$CAP``, against kura's ``StorageClient``). The
figures are medians and the ratio is kura / Tahoe (below 1: kura is faster).

Repair traffic of one lost share of a 16 MiB file. Tahoe: one share file is deleted from a storage
node and ``tahoe check --repair`` runs; the bytes the client node reads and writes meanwhile
(``/proc/<pid>/io``: all its sockets, as it stores nothing) are what the repair moved. kura: the MSR
repair of the same share of a file of the same size, counted as in ``bench_repair.py`` (d helpers send
beta symbols per stripe) plus the rebuilt share's upload to its new node.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median
from typing import TypeVar

import httpx

from kura.chain.client import Chain
from kura.chain.contracts import Contracts
from kura.chain.deploy import deploy_all
from kura.codes.msr import ProductMatrixMSR
from kura.codes.params import CodeParams, Scheme
from kura.config import resolve_network
from kura.crypto import aead
from kura.crypto.share import HEADER_SIZE
from kura.demo import private_state
from kura.devnet import manager
from kura.storage.client.files import StorageClient
from kura.storage.shared.nodes import NodePool, nodes_of

MIB = 1 << 20
K, N = 3, 5
REPEATS = 5
REPAIR_SIZE = 16 * MIB
T = TypeVar("T")


def tahoe_binary() -> str:
    """The ``tahoe`` to run: ``KURA_TAHOE``, else the one on PATH, else the one beside this Python."""
    beside_python = str(Path(sys.executable).with_name("tahoe"))
    for candidate in (os.environ.get("KURA_TAHOE"), shutil.which("tahoe"), beside_python):
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("bench_peers needs Tahoe-LAFS: `.venv/bin/pip install -e '.[peers]'` (or set KURA_TAHOE)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TahoeGrid:
    """A running loopback Tahoe grid: introducer, 5 storage nodes, one client node."""

    def __init__(self, root: Path, tahoe: str) -> None:
        self.root = root
        self.tahoe = tahoe
        self.processes: list[subprocess.Popen[bytes]] = []
        self.storage_processes: list[subprocess.Popen[bytes]] = []
        self.client_dir = root / "client"
        self.web_port = free_port()
        self.storage_dirs = [root / f"storage{i}" for i in range(N)]

    def run(self, *args: str) -> str:
        done = subprocess.run([self.tahoe, *args], capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"tahoe {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout.strip()

    def _listen(self) -> list[str]:
        port = free_port()
        return [f"--port=tcp:{port}:interface=127.0.0.1", f"--location=tcp:127.0.0.1:{port}"]

    def _start(self, folder: Path) -> subprocess.Popen[bytes]:
        # A node stops when its standard input closes: the pipe stays open until down() ends it.
        process = subprocess.Popen(
            [self.tahoe, "run", str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def up(self) -> None:
        introducer = self.root / "introducer"
        self.run("create-introducer", *self._listen(), str(introducer))
        self._start(introducer)
        furl_file = introducer / "private" / "introducer.furl"
        wait_for(furl_file.exists, "the introducer's FURL")
        furl = furl_file.read_text().strip()
        for i, folder in enumerate(self.storage_dirs):
            self.run(
                "create-node",
                *self._listen(),
                f"--introducer={furl}",
                f"--nickname=storage{i}",
                f"--webport=tcp:{free_port()}:interface=127.0.0.1",
                str(folder),
            )
            self.storage_processes.append(self._start(folder))
        self.run(
            "create-client",
            f"--introducer={furl}",
            f"--shares-needed={K}",
            f"--shares-happy={N}",
            f"--shares-total={N}",
            f"--webport=tcp:{self.web_port}:interface=127.0.0.1",
            str(self.client_dir),
        )
        self.client = self._start(self.client_dir)
        wait_for(lambda: self.connected_servers() >= N, f"{N} Tahoe storage servers to connect")

    def connected_servers(self) -> int:
        try:
            welcome = httpx.get(f"{self.url}/?t=json", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return 0
        statuses = [server.get("connection_status", "").lower() for server in welcome.get("servers", [])]
        return sum(1 for status in statuses if status.startswith("connected"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def down(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def api_put(self, path: Path) -> str:
        with open(path, "rb") as body:
            response = httpx.put(f"{self.url}/uri", content=body, timeout=600)
        response.raise_for_status()
        return response.text.strip()

    def api_get(self, cap: str, target: Path) -> None:
        with httpx.stream("GET", f"{self.url}/uri/{cap}", timeout=600) as response, open(target, "wb") as out:
            response.raise_for_status()
            out.writelines(response.iter_bytes(1 << 20))

    def cli_put(self, path: Path) -> str:
        return self.run("-d", str(self.client_dir), "put", str(path)).splitlines()[-1]

    def cli_get(self, cap: str, target: Path) -> None:
        self.run("-d", str(self.client_dir), "get", cap, str(target))

    def storage_io(self) -> int:
        """Bytes the storage nodes have read from and written to their files so far: what they served and
        stored (socket traffic is not in ``/proc/<pid>/io``, but every byte a repair moves is a share byte
        one of them read or wrote)."""
        total = 0
        for process in self.storage_processes:
            fields = dict(line.split(": ") for line in Path(f"/proc/{process.pid}/io").read_text().splitlines())
            total += int(fields["rchar"]) + int(fields["wchar"])
        return total

    def lose_one_share(self, cap: str) -> None:
        """Delete one share of the file ``cap`` names from the first storage node that holds one."""
        dump = self.run("debug", "dump-cap", cap)
        index = next(line.split(":", 1)[1].strip() for line in dump.splitlines() if "storage index" in line)
        for folder in self.storage_dirs:
            shares = sorted((folder / "storage" / "shares" / index[:2] / index).glob("[0-9]*"))
            if shares:
                shares[0].unlink()
                return
        raise RuntimeError(f"no share of storage index {index} found to delete")


def wait_for(ready: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


@contextmanager
def tahoe_grid(root: Path) -> Iterator[TahoeGrid]:
    root.mkdir(parents=True, exist_ok=True)
    grid = TahoeGrid(root, tahoe_binary())
    try:
        grid.up()
        yield grid
    finally:
        grid.down()


def kura_cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kura", *args, "--json", "--account", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kura {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def check(back: Path, source: Path) -> None:
    if back.read_bytes() != source.read_bytes():
        raise RuntimeError(f"a get returned other bytes than {source.name}")


class Stopwatch:
    """Runs a call, keeps its seconds under a name, and returns what it returned."""

    def __init__(self, times: dict[str, list[float]]) -> None:
        self.times = times

    def __call__(self, name: str, work: Callable[..., T], *args: object) -> T:
        started = time.perf_counter()
        result = work(*args)
        self.times.setdefault(name, []).append(time.perf_counter() - started)
        return result


def kura_repair_bytes(size: int) -> tuple[int, int]:
    """(helper bytes, helper bytes + the rebuilt share's upload) of kura's MSR repair of one share of a
    ``size``-byte file, measured on the codec as ``bench_repair.py`` does."""
    code = ProductMatrixMSR(K, N)
    sealed = os.urandom(aead.ciphertext_size(size, aead.DEFAULT_SEGMENT_SIZE))
    shares = code.encode(sealed)
    lost = N - 1
    helpers = list(range(code.params.d))
    symbols = {h: code.repair_symbols(h, shares[h], lost) for h in helpers}
    rebuilt = code.repair(lost, symbols)
    assert rebuilt.tobytes() == shares[lost].tobytes()
    moved = sum(s.nbytes for s in symbols.values())
    return moved, moved + HEADER_SIZE + rebuilt.nbytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 and 16 MiB, 3 repeats")
    args = parser.parse_args()
    sizes = [1 * MIB, 16 * MIB] if args.quick else [1 * MIB, 16 * MIB, 64 * MIB]
    repeats = 3 if args.quick else REPEATS
    params = CodeParams(Scheme.MSR, K, N)
    with tempfile.TemporaryDirectory(prefix="kura-peers-") as folder, private_state():
        root = Path(folder)
        manager.up(N)
        try:
            chain = Chain.connect(resolve_network("devnet"))
            deployment = deploy_all(chain, chain.account(0))
            with tahoe_grid(root / "tahoe") as grid, NodePool(nodes_of(resolve_network("devnet"))) as pool:
                client = StorageClient(Contracts(chain, deployment), pool, chain.account(2))
                print(
                    f"{'size':>6} {'how':>4} {'kura put':>9} {'tahoe put':>10} {'put k/t':>8} "
                    f"{'kura get':>9} {'tahoe get':>10} {'get k/t':>8}"
                )
                for size in sizes:
                    source = root / f"file-{size}"
                    source.write_bytes(os.urandom(size))
                    back = root / "back"
                    times: dict[str, list[float]] = {}
                    keep = Stopwatch(times)

                    client.put(source, params)  # warm-up both
                    grid.api_put(source)
                    for _ in range(repeats):
                        stored = keep("kura api put", client.put, source, params)
                        cap = keep("tahoe api put", grid.api_put, source)
                        keep("kura api get", client.get, stored.file_id, back)
                        check(back, source)
                        keep("tahoe api get", grid.api_get, cap, back)
                        check(back, source)
                        file_id = json.loads(keep("kura cli put", kura_cli, "store", "put", str(source)))["file_id"]
                        cap = keep("tahoe cli put", grid.cli_put, source)
                        keep("kura cli get", kura_cli, "store", "get", file_id, "-o", str(back))
                        check(back, source)
                        keep("tahoe cli get", grid.cli_get, cap, back)
                        check(back, source)
                    for how in ("cli", "api"):
                        kp, tp = median(times[f"kura {how} put"]), median(times[f"tahoe {how} put"])
                        kg, tg = median(times[f"kura {how} get"]), median(times[f"tahoe {how} get"])
                        print(
                            f"{size // MIB:>4}Mi {how:>4} {kp:>9.3f} {tp:>10.3f} {kp / tp:>8.2f} "
                            f"{kg:>9.3f} {tg:>10.3f} {kg / tg:>8.2f}",
                            flush=True,
                        )
                repair_source = root / "repair"
                repair_source.write_bytes(os.urandom(REPAIR_SIZE))
                cap = grid.api_put(repair_source)
                grid.lose_one_share(cap)
                before = grid.storage_io()
                grid.run("-d", str(grid.client_dir), "check", "--repair", cap)
                tahoe_bytes = grid.storage_io() - before
                helpers, with_upload = kura_repair_bytes(REPAIR_SIZE)
                floor = (K + 1) * REPAIR_SIZE / K  # Tahoe's repairer downloads k shares and uploads the lost one
                print(
                    f"\nrepair of one lost share of {REPAIR_SIZE // MIB} MiB: Tahoe's storage nodes read and wrote "
                    f"{tahoe_bytes / MIB:.1f} MiB (its design moves at least {floor / MIB:.1f} MiB: k shares down, "
                    f"one up); kura MSR {helpers / MIB:.1f} MiB from the helpers, {with_upload / MIB:.1f} MiB "
                    f"with the rebuilt share's upload: {with_upload / tahoe_bytes:.2f}x Tahoe's measured, "
                    f"{with_upload / floor:.2f}x its floor (target <= 0.7x)"
                )
        finally:
            manager.down()


if __name__ == "__main__":
    main()
