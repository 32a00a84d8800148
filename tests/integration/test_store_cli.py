"""`kura store` as a user runs it: JSON output for scripts, one-line errors, bounded memory on big files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kura.devtools.process_usage import measure
from kura.ipfs import KuboClient

MIB = 1 << 20


@pytest.fixture(autouse=True)
def _network(fresh_network: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in fresh_network.items():
        monkeypatch.setenv(name, value)


def kura_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "kura", *args]


def kura(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        kura_command(*args),
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )


def ok_json(*args: str) -> object:
    done = kura(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_put_ls_info_get_rotate_rm(tmp_path: Path) -> None:
    source = tmp_path / "report.pdf"
    source.write_bytes(os.urandom(300_000))
    stored = ok_json("store", "put", str(source), "--k", "2", "--n", "4", "--account", "6")
    file_id = stored["file_id"]
    assert len(stored["placements"]) == 4 and len({s["node"]["name"] for s in stored["placements"]}) == 4
    assert file_id in {row["file_id"] for row in ok_json("store", "ls", "--account", "6")}
    info = ok_json("store", "info", file_id, "--account", "6")
    assert (info["name"], info["size"], info["k"], info["n"], info["version"]) == ("report.pdf", 300_000, 2, 4, 1)
    assert info["deposit"] > 0
    ok_json("store", "get", file_id, "-o", str(tmp_path / "back.pdf"), "--account", "6")
    assert (tmp_path / "back.pdf").read_bytes() == source.read_bytes()
    (rotated,) = ok_json("store", "rotate", file_id, "--account", "6")
    assert rotated["version"] == 2
    removed = ok_json("store", "rm", file_id, "--account", "6")
    assert removed["refunded"] > 0 and removed["gas"] > 0
    assert file_id not in {row["file_id"] for row in ok_json("store", "ls", "--account", "6")}


def test_a_folder_is_stored_in_one_batch_and_each_file_read_and_removed_alone(tmp_path: Path) -> None:
    folder = tmp_path / "fhir"
    (folder / "Patient").mkdir(parents=True)
    sources = [folder / "Patient" / f"p{i}.json" for i in range(4)] + [folder / "Bundle.json"]
    for source in sources:
        source.write_bytes(os.urandom(4_000))
    stored = ok_json("store", "put", str(folder), "--account", "6")
    (only,) = stored["batches"]
    by_path = {Path(file["path"]): file["file_id"] for file in only["files"]}
    assert set(by_path) == set(sources) and only["register_gas"] > 0
    for source, file_id in by_path.items():
        ok_json("store", "get", file_id, "-o", str(tmp_path / "back"), "--account", "6")
        assert (tmp_path / "back").read_bytes() == source.read_bytes()
    removed = ok_json("store", "rm", by_path[sources[0]], "--account", "6")
    assert removed["refunded"] > 0
    assert ok_json("store", "info", by_path[sources[1]], "--account", "6")["name"] == "p1.json"
    done = kura("store", "put", str(folder), "--stamp", "--account", "6")
    assert done.returncode != 0 and "Traceback" not in done.stderr and "drop --stamp" in done.stderr, done.stderr


def test_a_stamped_put_locks_no_deposit(tmp_path: Path) -> None:
    source = tmp_path / "note.txt"
    source.write_bytes(os.urandom(5_000))
    stored = ok_json("store", "put", str(source), "--stamp", "--account", "6")
    assert ok_json("store", "info", stored["file_id"], "--account", "6")["deposit"] == 0
    assert ok_json("store", "rm", stored["file_id"], "--account", "6")["refunded"] == 0


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    source = tmp_path / "small.bin"
    source.write_bytes(os.urandom(2_000))
    file_id = ok_json("store", "put", str(source), "--account", "6")["file_id"]
    (tmp_path / "taken").mkdir()
    poor = "0x" + "77" * 32  # an account that holds no ether
    for args, fragment in [
        (("store", "get", "0x" + "ab" * 32, "-o", str(tmp_path / "x")), "unknown file 0x" + "ab" * 32),
        (("store", "get", file_id, "-o", str(tmp_path / "missing" / "x"), "--account", "6"), "does not exist"),
        (("store", "get", file_id, "-o", str(tmp_path / "taken"), "--account", "6"), "is a directory"),
        (("store", "get", file_id, "-o", "/proc/kura-cannot-be-here", "--account", "6"), "cannot write"),
        (("store", "info", "not-an-id"), "is not a file id"),
        (("store", "put", str(tmp_path / "missing.bin")), "does not exist"),
        (("store", "put", __file__, "--k", "3", "--n", "9"), "need 9 distinct live storage nodes"),
        (("store", "put", __file__, "--k", "4", "--n", "5"), "n >= 2k - 1"),
    ]:
        done = kura(*args)
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        assert fragment in done.stderr, done.stderr
        assert done.stderr.startswith("error: ") or "Usage:" in done.stderr, done.stderr
    assert not list(tmp_path.glob("kura-get-*")) and not (tmp_path / "missing").exists()
    broke = subprocess.run(
        kura_command("store", "put", str(source)),
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200", "KURA_PRIVATE_KEYS": poor},
    )
    assert broke.returncode == 1 and "Traceback" not in broke.stderr, broke.stderr
    [line] = broke.stderr.strip().splitlines()
    assert "cannot pay for this transaction: it holds 0 ETH" in line and "{" not in line, line


def test_a_large_file_is_streamed_with_bounded_memory(tmp_path: Path) -> None:
    size = 256 * MIB
    source, back = tmp_path / "big.bin", tmp_path / "back.bin"
    with open(source, "wb") as out:
        for _ in range(size // (16 * MIB)):
            out.write(os.urandom(16 * MIB))
    try:
        put = measure(
            kura_command("store", "put", str(source), "--account", "7", "--json"), env=os.environ, timeout=600
        )
        assert put.returncode == 0, put.stderr
        file_id = json.loads(put.stdout)["file_id"]
        get = measure(
            kura_command("store", "get", file_id, "-o", str(back), "--account", "7"), env=os.environ, timeout=600
        )
        assert get.returncode == 0, get.stderr
        for verb, measured in (("put", put), ("get", get)):
            peak = measured.peak_bytes
            assert peak <= 2 * size, f"{verb}: peak RSS {peak / MIB:.0f} MiB for a {size // MIB} MiB file"
        assert sha256_of(back) == sha256_of(source)
        ok_json("store", "rm", file_id, "--account", "7")
    finally:
        source.unlink(missing_ok=True)
        back.unlink(missing_ok=True)
        for api in os.environ["KURA_IPFS_APIS"].split(","):
            with KuboClient(api) as node:
                node.gc()


def sha256_of(path: Path) -> bytes:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(16 * MIB):
            digest.update(block)
    return digest.digest()
