"""Contract build: artifacts, the unchanged-source stamp, and readable compile errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kura.devtools.contracts import EVM_VERSION, build
from kura.errors import BuildError
from kura.paths import build_dir, project_root


def test_build_writes_artifacts_with_abi_bytecode_and_source_hash() -> None:
    build()
    artifact = json.loads((build_dir() / "FileRegistry.json").read_text())
    assert artifact["bytecode"].startswith("0x60") and len(artifact["bytecode"]) > 100
    assert artifact["deployedBytecode"].startswith("0x") and len(artifact["deployedBytecode"]) > 100
    assert len(artifact["sourceHash"]) == 64
    assert artifact["compiler"]["settings"]["optimizer"]["enabled"] is True
    assert artifact["compiler"]["settings"]["evmVersion"] == EVM_VERSION
    names = {entry.get("name") for entry in artifact["abi"]}
    assert {"register", "rotate", "NotFileOwner", "ManifestRotated"} <= names


def test_second_build_is_skipped_until_a_source_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _scratch_project(tmp_path, "contract A { function f() external pure returns (uint256) { return 1; } }")
    monkeypatch.setenv("KURA_PROJECT", str(project))
    assert build().compiled is True
    assert build().compiled is False
    (project / "contracts" / "A.sol").write_text(
        _source("contract A { function f() external pure returns (uint256) { return 2; } }")
    )
    assert build().compiled is True


def test_compile_error_names_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _scratch_project(tmp_path, "contract B {\n  function f() external { undefinedThing(); }\n}")
    monkeypatch.setenv("KURA_PROJECT", str(project))
    with pytest.raises(BuildError, match=r"contracts/B\.sol:4:\d+ .*undefinedThing.*: Undeclared identifier"):
        build()


def test_openzeppelin_imports_resolve_from_node_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = 'import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";\ncontract C is Ownable(msg.sender) {}'
    project = _scratch_project(tmp_path, body)
    package = project / "node_modules" / "@openzeppelin" / "contracts"
    version = json.loads((package / "package.json").read_text())["version"]
    cached = project / "contracts" / ".cache" / "openzeppelin" / version  # where ape-solidity unpacks it
    cached.parent.mkdir(parents=True)
    cached.symlink_to(tmp_path / "moved-away")
    monkeypatch.setenv("KURA_PROJECT", str(project))
    assert "C" in build().contracts
    artifact = json.loads((build_dir() / "C.json").read_text())
    remapping = f"@openzeppelin/contracts=contracts/.cache/openzeppelin/{version}"
    assert artifact["compiler"]["settings"]["remappings"] == [remapping]
    assert not cached.is_symlink() and not list(cached.parent.glob("tmp*"))
    ownable = Path("access", "Ownable.sol")
    assert (cached / ownable).read_bytes() == (package / ownable).read_bytes()
    assert {p.suffix for p in cached.rglob("*") if p.is_file()} == {".sol"}


def _source(body: str) -> str:
    return f"// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n{body}\n"


def _scratch_project(tmp_path: Path, body: str) -> Path:
    real = project_root()
    project = tmp_path / "project"
    (project / "contracts").mkdir(parents=True)
    os.symlink(real / "tools", project / "tools")
    os.symlink(real / "node_modules", project / "node_modules")
    name = "B" if "contract B" in body else "A" if "contract A" in body else "C"
    (project / "contracts" / f"{name}.sol").write_text(_source(body))
    return project
