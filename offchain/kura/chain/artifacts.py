"""Reading compiled contract artifacts, and the custom errors they declare.

An error is known by its 4-byte selector, which hashes its name and parameter types but not the
parameter names: two declarations ``E(uint256 taskId)`` and ``E(uint256 challengeId)`` share a
selector. kura declares each error once (``contracts/interfaces/IKuraErrors.sol`` for the shared ones),
and ``error_declarations`` lets a test check that no selector has two declarations across the artifacts.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_utils import function_signature_to_4byte_selector

from kura.errors import BuildError, SetupError
from kura.paths import build_dir, package_artifacts_dir


@dataclass(frozen=True)
class Artifact:
    """One compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    source_hash: str


@dataclass(frozen=True)
class ErrorSpec:
    """A Solidity custom error: its name and parameters (name, type)."""

    name: str
    inputs: tuple[tuple[str, str], ...]

    @property
    def signature(self) -> str:
        """``Name(type,type)``: what the selector hashes."""
        return f"{self.name}({','.join(kind for _, kind in self.inputs)})"

    @property
    def selector(self) -> bytes:
        """The 4-byte selector that starts the revert data."""
        return function_signature_to_4byte_selector(self.signature)

    def __str__(self) -> str:
        return f"{self.name}({', '.join(f'{kind} {name}' for name, kind in self.inputs)})"


def _type_string(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_type_string(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def artifact_folders() -> list[Path]:
    """Where artifacts are read from: the package's own (the contracts kura deploys), then, in a checkout, the
    full build (test harnesses too). ``kura build`` writes both at once."""
    folders = [package_artifacts_dir()]
    with contextlib.suppress(SetupError):
        folders.append(build_dir())
    return folders


def load_artifact(name: str, folder: Path | None = None) -> Artifact:
    """The artifact of contract ``name`` (from ``folder``, or the first of :func:`artifact_folders` that has it).

    Raises:
        BuildError: if it was not built (run ``kura build``).
    """
    candidates = [folder] if folder is not None else artifact_folders()
    path = next(
        (f / f"{name}.json" for f in candidates if (f / f"{name}.json").is_file()), candidates[0] / f"{name}.json"
    )
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise BuildError(f"no artifact for {name} at {path}: run `kura build`") from exc
    return Artifact(
        name=data["contractName"],
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        source_hash=data["sourceHash"],
    )


def errors_of(abi: Iterable[Mapping[str, Any]]) -> dict[bytes, ErrorSpec]:
    """The custom errors declared in one contract's ``abi``, by selector."""
    specs = (
        ErrorSpec(entry["name"], tuple((p["name"], _type_string(p)) for p in entry["inputs"]))
        for entry in abi
        if entry["type"] == "error"
    )
    return {spec.selector: spec for spec in specs}


def _artifact_abis(folder: Path | None) -> Iterable[list[dict[str, Any]]]:
    seen: set[str] = set()
    for each in [folder] if folder is not None else artifact_folders():
        for path in sorted(each.glob("*.json")):
            if path.stem not in seen:
                seen.add(path.stem)
                yield json.loads(path.read_text())["abi"]


def error_declarations(folder: Path | None = None) -> dict[bytes, set[ErrorSpec]]:
    """Every distinct declaration of every custom error in the artifacts, by selector.

    A selector with more than one declaration (same name and types, other parameter names) is a
    defect: a revert cannot tell which one it is.
    """
    declarations: dict[bytes, set[ErrorSpec]] = defaultdict(set)
    for abi in _artifact_abis(folder):
        for selector, spec in errors_of(abi).items():
            declarations[selector].add(spec)
    return dict(declarations)


@cache
def error_table(folder: Path | None = None) -> dict[bytes, ErrorSpec]:
    """Every custom error declared in any artifact, by selector (the first artifact by name wins a tie)."""
    table: dict[bytes, ErrorSpec] = {}
    for abi in _artifact_abis(folder):
        for selector, spec in errors_of(abi).items():
            table.setdefault(selector, spec)
    return table
