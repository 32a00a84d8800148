"""Reading compiled contract artifacts, and the table of every custom error they declare."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_utils import function_signature_to_4byte_selector

from kura.errors import BuildError
from kura.paths import build_dir


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


def _type_string(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_type_string(c) for c in param["components"])
        return f"({inner}){kind[len('tuple'):]}"
    return kind


def load_artifact(name: str, folder: Path | None = None) -> Artifact:
    """The artifact of contract ``name``.

    Raises:
        BuildError: if it was not built (run ``kura build``).
    """
    path = (folder or build_dir()) / f"{name}.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise BuildError(f"no artifact for {name} at {path}: run `kura build`") from exc
    return Artifact(
        name=data["contractName"], abi=data["abi"], bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"], source_hash=data["sourceHash"],
    )


@cache
def error_table(folder: Path | None = None) -> dict[bytes, ErrorSpec]:
    """Every custom error declared in any artifact, by its 4-byte selector."""
    table: dict[bytes, ErrorSpec] = {}
    for path in sorted((folder or build_dir()).glob("*.json")):
        for entry in json.loads(path.read_text())["abi"]:
            if entry["type"] != "error":
                continue
            types = [_type_string(p) for p in entry["inputs"]]
            selector = function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})")
            table[selector] = ErrorSpec(
                name=entry["name"], inputs=tuple((p["name"], t) for p, t in zip(entry["inputs"], types))
            )
    return table
