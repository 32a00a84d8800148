"""One compiler, two front doors: ``ape compile`` builds exactly what ``kura build`` builds, ``ape console`` holds
the contracts, and ``ape test tests/ape`` runs ape's suite with ape's fixtures.

ape runs in a copy of the project as a fresh clone has it after ``make setup``: contracts built by ``kura build``
(which fills contracts/.cache/openzeppelin/<version> from node_modules), tools/solc linked by tools/link-solc.sh
(here into a private py-solc-x folder), and a private ape data folder, so neither the checkout nor ~/.ape and
~/.solcx change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kura.devtools.contracts import build, solc_version
from kura.paths import build_dir, project_root

APE = Path(sys.executable).parent / "ape"


@dataclass(frozen=True)
class ApeProject:
    """A compiled copy of the project and the environment ape runs in."""

    path: Path
    env: dict[str, str]

    def ape(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(APE), *args],
            cwd=self.path,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )


@pytest.fixture(scope="module")
def ape_project(tmp_path_factory: pytest.TempPathFactory) -> ApeProject:
    build()
    root = project_root()
    scratch = tmp_path_factory.mktemp("ape")
    copy = scratch / "kura"
    copy.mkdir()
    shutil.copy(root / "ape-config.yaml", copy)
    shutil.copytree(root / "contracts", copy / "contracts")
    shutil.copytree(root / "tests" / "ape", copy / "tests" / "ape")
    (copy / "node_modules").symlink_to(root / "node_modules")
    env = {
        **os.environ,
        "SOLCX_BINARY_PATH": str(scratch / "solcx"),
        "APE_DATA_FOLDER": str(scratch / "ape-data"),
        "PATH": f"{root / 'node_modules' / '.bin'}:{os.environ['PATH']}",
    }
    linked = subprocess.run(
        ["bash", str(root / "tools" / "link-solc.sh")], env=env, capture_output=True, text=True, check=False
    )
    assert linked.returncode == 0, linked.stdout + linked.stderr
    project = ApeProject(copy, env)
    compiled = project.ape("compile")
    output = compiled.stdout + compiled.stderr
    assert compiled.returncode == 0 and "SUCCESS" in output, output
    return project


def _without_output_selection(settings: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in settings.items() if key != "outputSelection"}


def test_ape_compile_builds_byte_for_byte_what_kura_build_builds(ape_project: ApeProject) -> None:
    manifest = json.loads((ape_project.path / ".build" / "__local__.json").read_text())
    ours = {path.stem: json.loads(path.read_text()) for path in sorted(build_dir().glob("*.json"))}
    [compiler] = manifest["compilers"]
    assert all(source.startswith("contracts/") for source in compiler["settings"]["outputSelection"])
    kura_settings = next(iter(ours.values()))["compiler"]["settings"]
    release, build_info = solc_version().split("+")  # 0.8.30, commit.73712a01.Emscripten.clang
    assert compiler["version"] == release + "+" + ".".join(build_info.split(".")[:2])
    assert _without_output_selection(compiler["settings"]) == _without_output_selection(kura_settings)
    ape_types = manifest["contractTypes"]
    assert sorted(ape_types) == sorted(ours)
    for name, artifact in ours.items():
        assert ape_types[name]["deploymentBytecode"]["bytecode"] == artifact["bytecode"], name
        assert ape_types[name]["runtimeBytecode"]["bytecode"] == artifact["deployedBytecode"], name
        assert ape_types[name]["abi"] == artifact["abi"], name


def test_ape_console_holds_each_contract_as_a_contract_container(ape_project: ApeProject) -> None:
    console = ape_project.ape(
        "console",
        stdin="print('KIND', type(project.FileRegistry).__name__, project.FileRegistry.contract_type.name)\nexit\n",
    )
    assert "KIND ContractContainer FileRegistry" in console.stdout, console.stdout + console.stderr


def test_ape_test_runs_the_ape_suite_with_apes_fixtures(ape_project: ApeProject) -> None:
    suite = sorted((ape_project.path / "tests" / "ape").glob("test_*.py"))
    expected = sum(len(re.findall(r"^def test_", path.read_text(), re.MULTILINE)) for path in suite)
    run = ape_project.ape("test", "tests/ape")
    assert run.returncode == 0, run.stdout + run.stderr
    assert expected >= 5 and re.search(rf"\b{expected} passed\b", run.stdout), run.stdout
