"""The Solidity sources: linted clean by solhint, and what is deployed is pinned to kura's compiler.

``.solhint.json`` takes ``solhint:recommended`` and adds what kura wants: lines of at most 120 characters,
custom errors only (``gas-custom-errors`` as an error, so no ``require`` with a string), complete NatSpec
(``use-natspec`` as an error), named mapping parameters, no unused private functions, imports and members
in the style guide's order. It departs from the recommended set where the rule is wrong for kura:

- ``compiler-version`` admits ``^0.8.20``: interfaces and libraries may keep a range; what is deployed is
  pinned to the exact compiler by the test below.
- ``use-natspec`` without ``@author``: authorship is in the git history, not in each file.
- ``immutable-vars-naming`` lets immutables be mixedCase: they are deployment parameters whose public
  getters (``minStake()``) are the ABI that clients and the other contracts call.
- ``func-visibility`` ignores constructors, which have no visibility since Solidity 0.7.
- ``reason-string`` off: a reason string is already refused by ``gas-custom-errors``.
- ``gas-indexed-events`` off: events index what clients filter by (ids, addresses, reasons); amounts,
  deadlines and digests stay in the data, since a topic costs gas on every emission and an event has three.
- ``gas-strict-inequalities`` off: bounds are written the way the rules state them (``stake >= minStake``);
  the rewrite it asks for saves 3 gas and hides the bound.

Single lines are exempted in the source, each with its reason beside it: inline assembly that shortens a
memory array or hashes through the SHA-256 precompile, private functions passed as function pointers (the
linter does not follow them), the node and purchase records whose packing the linter misjudges (see
``test_storage_layout``), the market's offer (calldata only, never stored), and the test attackers' complex
``receive`` and arbitrary nested call. No file is left out.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from kura.devtools.contracts import build, solc_version
from kura.paths import build_dir, project_root

_PRAGMA = re.compile(r"^pragma solidity ([^;]+);$", re.MULTILINE)


def solhint(*files: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the project's solhint with the project's configuration, failing on any warning."""
    root = project_root()
    binary = root / "node_modules" / ".bin" / "solhint"
    assert binary.exists(), "solhint is not installed: run `npm ci` (or `make setup`)"
    return subprocess.run(
        [
            str(binary),
            "--disc",
            "--noPoster",
            "--max-warnings",
            "0",
            "-f",
            "unix",
            "-c",
            str(root / ".solhint.json"),
            *files,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_solhint_finds_nothing_in_the_contracts() -> None:
    done = solhint("contracts/**/*.sol", cwd=project_root())
    findings = [line for line in done.stdout.splitlines() if line.strip()]
    assert (done.returncode, findings) == (0, []), done.stderr


def test_solhint_refuses_a_require_string_a_long_line_and_missing_natspec(tmp_path: Path) -> None:
    (tmp_path / "Bad.sol").write_text(
        "// SPDX-License-Identifier: MIT\n"
        "pragma solidity 0.8.30;\n\n"
        "/// @title Bad\n/// @notice Breaks three of kura's rules.\n"
        "contract Bad {\n"
        "    function f(uint256 x) external pure returns (uint256) {\n"
        f'        require(x > 0, "x must be positive"); // {"padding " * 12}\n'
        "        return x;\n"
        "    }\n"
        "}\n"
    )
    done = solhint("Bad.sol", cwd=tmp_path)
    assert done.returncode != 0
    for rule in ("gas-custom-errors", "max-line-length", "use-natspec"):
        assert rule in done.stdout


def test_every_deployable_contract_is_pinned_to_the_compiler_kura_builds_with() -> None:
    build()
    version = solc_version().split("+")[0]
    pinned: dict[str, str] = {}
    for path in sorted(build_dir().glob("*.json")):
        artifact = json.loads(path.read_text())
        source = artifact["sourceName"]
        if artifact["bytecode"] == "0x" or source.startswith("contracts/libraries/"):
            continue  # interfaces, abstract contracts and libraries are compiled into a contract, not deployed
        (pragma,) = _PRAGMA.findall((project_root() / source).read_text())
        pinned[artifact["contractName"]] = pragma
    assert {"FileRegistry", "NodeRegistry", "StorageAudits", "ShareRepairs", "TaskMarket"} <= pinned.keys()
    assert {name: pragma for name, pragma in pinned.items() if pragma != version} == {}
