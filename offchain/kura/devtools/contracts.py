"""Compile ``contracts/**/*.sol`` with the npm ``solc`` (solc-js), through ``tools/solc``.

Artifacts (ABI, creation and runtime bytecode, source hash) are written to
``build/contracts/<Name>.json``, and those of the contracts kura deploys also into the package
(``kura/chain/artifacts/``, shipped as package data). A build is skipped when neither a source, the
compiler version nor the settings changed since the last one.

``tools/solc`` is also the compiler ``ape compile`` runs (ape-solidity finds it in
``~/.solcx``), and the standard-JSON input built here is the one ape-solidity builds from
``ape-config.yaml``: the same settings, and OpenZeppelin under the source unit names of
ape's dependency layout (``contracts/.cache/openzeppelin/<version>/...``, remapped from
``@openzeppelin/contracts``). So both front doors produce the same bytecode, metadata hash
included (``tests/integration/test_ape_compile.py`` checks it).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kura.errors import BuildError, SetupError
from kura.paths import build_dir, package_artifacts_dir, project_root

EVM_VERSION = "shanghai"
"""Ganache 7.9 stops at Shanghai, and kura must run on it too: no Cancun opcodes (TSTORE, MCOPY)."""

OPTIMIZER_RUNS = 200
OPENZEPPELIN_IMPORT = "@openzeppelin/contracts"
"""The import prefix of OpenZeppelin's contracts (the npm package ``node_modules/@openzeppelin/contracts``)."""

OPENZEPPELIN_DEPENDENCY = "openzeppelin"
"""The name ``ape-config.yaml`` gives the OpenZeppelin dependency: ape-solidity unpacks it to
``contracts/.cache/<name>/<version>``."""

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


def _openzeppelin_source_root(root: Path) -> str:
    """Where OpenZeppelin's sources are in the standard-JSON input: ape-solidity's place for the
    ``openzeppelin`` dependency, ``contracts/.cache/openzeppelin/<version>``, filled with the npm package's
    ``.sol`` files unless ape unpacked the package there already.

    It is a copy, as ape's own is: ape-solidity resolves symbolic links, and through a link it would also
    compile the files under their ``node_modules`` names.

    Raises:
        SetupError: if the npm package is missing.
    """
    package = root / "node_modules" / OPENZEPPELIN_IMPORT
    try:
        version = json.loads((package / "package.json").read_text())["version"]
    except FileNotFoundError:
        raise SetupError(f"OpenZeppelin is not installed ({package} is missing): run `make setup`") from None
    source_root = Path("contracts") / ".cache" / OPENZEPPELIN_DEPENDENCY / version
    target = root / source_root
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)  # a file or a dangling link in the way
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            partial = Path(scratch) / version
            shutil.copytree(package, partial, ignore=_all_but_solidity)
            partial.rename(target)  # whole or not at all
    return source_root.as_posix()


def _all_but_solidity(folder: str, names: list[str]) -> set[str]:
    return {name for name in names if not name.endswith(".sol") and not Path(folder, name).is_dir()}


def _settings(openzeppelin: str) -> dict[str, Any]:
    return {
        "remappings": [f"{OPENZEPPELIN_IMPORT}={openzeppelin}"],
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
    root = project_root()
    if not (root / "node_modules" / "solc").is_dir():
        raise SetupError("the npm solc package is missing (node_modules/solc): run `make setup`")
    done = subprocess.run(
        [node, str(root / "tools" / "solc"), *args], input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BuildError(f"solc-js failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


def solc_version() -> str:
    """The full version of the npm solc the project pins (``0.8.30+commit.73712a01.Emscripten.clang``).

    Raises:
        BuildError: if ``tools/solc --version`` prints no version line.
        SetupError: if node or the npm solc package is missing.
    """
    printed = _run_solc(["--version"])
    for line in printed.splitlines():
        if line.startswith("Version: "):
            return line.removeprefix("Version: ").strip()
    raise BuildError(f"tools/solc --version printed no version line: {printed!r}")


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


def _fingerprint(sources: dict[str, str], version: str, settings: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(version.encode())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    for name, text in sources.items():
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def _own_checkout() -> Path | None:
    """The checkout this package lives in, or None when it is installed from a wheel."""
    candidate = package_artifacts_dir().parents[3]
    return candidate if (candidate / "contracts").is_dir() else None


def _ship(out: Path, root: Path) -> None:
    """Copy the ABI and bytecode of every contract kura deploys (the top level of ``contracts/``) into the package,
    replacing what an earlier build put there."""
    shipped = package_artifacts_dir()
    if shipped.exists():
        shutil.rmtree(shipped)
    shipped.mkdir(parents=True)
    deployable = {path.stem for path in (root / "contracts").glob("*.sol")}
    for path in sorted(out.glob("*.json")):
        if path.stem in deployable:
            artifact = json.loads(path.read_text())
            keep = ("contractName", "sourceHash", "abi", "bytecode", "deployedBytecode")
            (shipped / path.name).write_text(json.dumps({key: artifact[key] for key in keep}, indent=1))


def build(force: bool = False) -> BuildResult:
    """Compile the contracts if anything changed, and write their artifacts.

    Args:
        force: Compile even when the stamp says the artifacts are current.

    Returns:
        What was built.

    Raises:
        BuildError: with one ``file:line: message`` per compiler error.
        SetupError: if node, the npm solc package or OpenZeppelin is missing.
    """
    root = project_root()
    sources = _sources(root)
    if not sources:
        raise BuildError(f"no Solidity sources under {root / 'contracts'}")
    version = solc_version()
    settings = _settings(_openzeppelin_source_root(root))
    fingerprint = _fingerprint(sources, version, settings)
    out = build_dir()
    stamp = out / _STAMP
    shipped = root != _own_checkout() or any(package_artifacts_dir().glob("*.json"))
    if not force and shipped and stamp.exists() and stamp.read_text() == fingerprint:
        return BuildResult(compiled=False, contracts=tuple(sorted(p.stem for p in out.glob("*.json"))))

    request = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": settings,
    }
    solc_args = ["--standard-json", "--base-path", str(root), "--include-path", str(root / "node_modules")]
    output = json.loads(_run_solc(solc_args, stdin=json.dumps(request)))
    problems = output.get("errors", [])
    errors = [f"{_location(e, sources)}: {e['message']}" for e in problems if e["severity"] == "error"]
    if errors:
        raise BuildError("compilation failed:\n" + "\n".join(errors))
    warnings = tuple(f"{_location(e, sources)}: {e['message']}" for e in problems if e["severity"] == "warning")

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
                "compiler": {"version": version, "settings": settings},
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "devdoc": compiled.get("devdoc", {}),
                "userdoc": compiled.get("userdoc", {}),
            }
            (out / f"{name}.json").write_text(json.dumps(artifact, indent=1))
            names.append(name)
    if root == _own_checkout():
        _ship(out, root)
    stamp.write_text(fingerprint)
    return BuildResult(compiled=True, contracts=tuple(sorted(names)), warnings=warnings)
