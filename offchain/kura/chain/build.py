"""Compile ``contracts/**/*.sol`` with the npm ``solc`` (standard JSON through its JS API).

Artifacts (ABI, creation and runtime bytecode, source hash) are written to
``build/contracts/<Name>.json``. A build is skipped when neither a source, the
compiler version nor the settings changed since the last one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kura.errors import BuildError, SetupError
from kura.paths import build_dir, project_root

EVM_VERSION = "shanghai"
"""Ganache 7.9 stops at Shanghai, and kura must run on it too: no Cancun opcodes (TSTORE, MCOPY)."""

OPTIMIZER_RUNS = 200
_STAMP = ".build-stamp"


@dataclass(frozen=True)
class BuildResult:
    """What a build did.

    Attributes:
        compiled: False when the artifacts were already up to date.
        contracts: Names of the contracts with artifacts.
        warnings: Compiler warnings, one ``file:line: message`` each.
    """

    compiled: bool
    contracts: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def _sources(root: Path) -> dict[str, str]:
    contracts = root / "contracts"
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(contracts.rglob("*.sol"))
        if ".cache" not in path.parts
    }


def _settings() -> dict[str, Any]:
    return {
        "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
        "evmVersion": EVM_VERSION,
        "outputSelection": {
            "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "devdoc", "userdoc"]}
        },
    }


def _run_solc(args: list[str], stdin: str | None = None) -> str:
    node = shutil.which("node")
    if node is None:
        raise SetupError("node is not on PATH: install Node.js 20 and run `make setup`")
    script = project_root() / "tools" / "solc-compile.cjs"
    if not (project_root() / "node_modules" / "solc").is_dir():
        raise SetupError("the npm solc package is missing (node_modules/solc): run `make setup`")
    done = subprocess.run(
        [node, str(script), *args], input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BuildError(f"solc-js failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


def solc_version() -> str:
    """The version string of the npm solc the project pins."""
    return _run_solc(["--version"]).strip()


def _location(error: dict[str, Any], sources: dict[str, str]) -> str:
    """``file:line:column`` of a compiler message, followed by the offending source line."""
    where = error.get("sourceLocation")
    if not where:
        return "<solc>"
    text = sources.get(where["file"], "")
    start = max(where.get("start", 0), 0)
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    code = text[line_start : line_end if line_end >= 0 else len(text)].strip()
    line = text.count("\n", 0, start) + 1
    return f"{where['file']}:{line}:{start - line_start + 1}" + (f" ({code})" if code else "")


def _fingerprint(sources: dict[str, str], version: str) -> str:
    digest = hashlib.sha256()
    digest.update(version.encode())
    digest.update(json.dumps(_settings(), sort_keys=True).encode())
    for name, text in sources.items():
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def build(force: bool = False) -> BuildResult:
    """Compile the contracts if anything changed, and write their artifacts.

    Args:
        force: Compile even when the stamp says the artifacts are current.

    Returns:
        What was built.

    Raises:
        BuildError: with one ``file:line: message`` per compiler error.
        SetupError: if node or the npm solc package is missing.
    """
    root = project_root()
    sources = _sources(root)
    if not sources:
        raise BuildError(f"no Solidity sources under {root / 'contracts'}")
    version = solc_version()
    fingerprint = _fingerprint(sources, version)
    out = build_dir()
    stamp = out / _STAMP
    if not force and stamp.exists() and stamp.read_text() == fingerprint:
        return BuildResult(compiled=False, contracts=tuple(sorted(p.stem for p in out.glob("*.json"))))

    request = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": _settings(),
    }
    output = json.loads(_run_solc([], stdin=json.dumps(request)))
    problems = output.get("errors", [])
    errors = [f"{_location(e, sources)}: {e['message']}" for e in problems if e["severity"] == "error"]
    if errors:
        raise BuildError("compilation failed:\n" + "\n".join(errors))
    warnings = tuple(
        f"{_location(e, sources)}: {e['message']}" for e in problems if e["severity"] == "warning"
    )

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    names: list[str] = []
    for source_name, contracts in output.get("contracts", {}).items():
        if source_name not in sources:
            continue
        source_hash = hashlib.sha256(sources[source_name].encode()).hexdigest()
        for name, compiled in contracts.items():
            artifact = {
                "contractName": name,
                "sourceName": source_name,
                "sourceHash": source_hash,
                "compiler": {"version": version, "settings": _settings()},
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "devdoc": compiled.get("devdoc", {}),
                "userdoc": compiled.get("userdoc", {}),
            }
            (out / f"{name}.json").write_text(json.dumps(artifact, indent=1))
            names.append(name)
    stamp.write_text(fingerprint)
    return BuildResult(compiled=True, contracts=tuple(sorted(names)), warnings=warnings)
