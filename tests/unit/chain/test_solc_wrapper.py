"""tools/solc as py-solc-x (and so ape-solidity) drives it: version, options, and native solc's file loading."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import solcx
from packaging.version import Version
from solcx.exceptions import SolcError, UnknownOption

from kura.paths import project_root

WRAPPER = project_root() / "tools" / "solc"
HEADER = "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n"


def _pinned_version() -> str:
    return str(json.loads((project_root() / "node_modules" / "solc" / "package.json").read_text())["version"])


def _input(sources: dict[str, str]) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": HEADER + body} for name, body in sources.items()},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }


def test_version_is_the_pinned_solc_js_as_py_solc_x_reads_it() -> None:
    version = solcx.wrapper.get_solc_version(WRAPPER, with_commit_hash=True)
    assert Version(version.base_version) == Version(_pinned_version())
    assert version.local and version.local.startswith("commit.")


def test_unknown_options_are_refused_in_the_words_py_solc_x_understands() -> None:
    with pytest.raises(UnknownOption, match="--combined-json"):
        solcx.wrapper.solc_wrapper(solc_binary=WRAPPER, combined_json="abi")


def test_imports_resolve_under_the_base_path_then_the_include_paths(tmp_path: Path) -> None:
    base, include = tmp_path / "project", tmp_path / "packages"
    (base / "lib").mkdir(parents=True)
    (include / "pkg").mkdir(parents=True)
    (include / "lib").mkdir(parents=True)
    (base / "lib" / "Local.sol").write_text(HEADER + "contract Local {}")
    (include / "lib" / "Local.sol").write_text(HEADER + "contract NotTheBasePathOne {}")
    (include / "pkg" / "Shared.sol").write_text(HEADER + "contract Shared {}")
    source = 'import "lib/Local.sol";\nimport "pkg/Shared.sol";\ncontract A is Local, Shared {}'
    output = _compile(_input({"A.sol": source}), "--base-path", str(base), "--include-path", str(include))
    assert set(output["sources"]) == {"A.sol", "lib/Local.sol", "pkg/Shared.sol"}
    assert "A" in output["contracts"]["A.sol"]


def test_files_outside_the_allowed_directories_are_not_read(tmp_path: Path) -> None:
    base, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    base.mkdir()
    elsewhere.mkdir()
    (elsewhere / "Outside.sol").write_text(HEADER + "contract Outside {}")
    request = _input({"A.sol": f'import "{elsewhere / "Outside.sol"}";\ncontract A is Outside {{}}'})
    with pytest.raises(SolcError, match="outside the allowed directories"):
        solcx.compile_standard(request, base_path=base, solc_binary=WRAPPER)
    output = solcx.compile_standard(request, base_path=base, allow_paths=[elsewhere], solc_binary=WRAPPER)
    assert "A" in output["contracts"]["A.sol"]


def test_a_missing_import_is_a_compiler_error_naming_where_it_looked(tmp_path: Path) -> None:
    request = _input({"A.sol": 'import "missing/Gone.sol";\ncontract A {}'})
    with pytest.raises(SolcError, match=rf"File not found: missing/Gone\.sol \(tried {tmp_path}/missing/Gone\.sol\)"):
        solcx.compile_standard(request, base_path=tmp_path, solc_binary=WRAPPER)


def test_input_files_and_a_missing_base_path_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SolcError, match="input files are not supported"):
        solcx.wrapper.solc_wrapper(solc_binary=WRAPPER, source_files=[tmp_path / "A.sol"])
    with pytest.raises(SolcError, match="--include-path option requires a non-empty base path"):
        solcx.wrapper.solc_wrapper(solc_binary=WRAPPER, stdin="{}", standard_json=True, include_path=tmp_path)


def _compile(request: dict[str, Any], *args: str) -> dict[str, Any]:
    """Standard JSON through the wrapper with native solc's options, asserting stdout is only the output JSON."""
    done = subprocess.run(
        [str(WRAPPER), "--standard-json", *args], input=json.dumps(request), capture_output=True, text=True, check=True
    )
    output: dict[str, Any] = json.loads(done.stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"], output["errors"]
    return output
