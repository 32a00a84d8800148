"""The command line imports only what the command being run needs.

Each case runs in a fresh interpreter and lists the heavy libraries in ``sys.modules`` afterwards: ``kura --help``
and ``kura store --help`` must stay light (the 0.25 s / 60 MB budget of issue 17), and no group's ``--help`` may load
numpy, scipy, matplotlib, web3 and the like, which only some commands use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kura.cli import COMMANDS

NEVER_FOR_HELP = (
    "numpy",
    "scipy",
    "matplotlib",
    "web3",
    "eth_account",
    "eth_abi",
    "eth_keys",
    "cryptography",
    "wasmtime",
    "fhir",
    "pyeclib",
    "aiohttp",
    "requests",
)
"""Libraries only a command's body may load (the simulators, chain, crypto, sandbox, FHIR and erasure codes)."""
NOT_FOR_TOP_HELP = (
    *NEVER_FOR_HELP,
    "httpx",
    "eth_utils",
    "pydantic",
    "kura.api",
    "kura.chain",
    "kura.storage",
    "kura.cli.store",
    "kura.cli.sim",
)
"""``kura --help`` and ``kura store --help`` load no chain, IPFS or HTTP client at all, and no other group."""

_PROBE = """
import json, sys
from kura.cli import main
sys.argv = ["kura", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stderr.write("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules)}) + "\\n")
"""


def loaded_by(*args: str) -> tuple[int, set[str]]:
    """Run ``kura ARGS`` in a fresh interpreter: its exit code and every module it had imported at the end."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "120"},
    )
    report = json.loads(done.stderr.rsplit("MODULES ", 1)[1])
    return report["code"], set(report["modules"])


def heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The ``names`` (packages, with their submodules) present in ``modules``."""
    return sorted(name for name in names if any(m == name or m.startswith(name + ".") for m in modules))


def test_importing_the_cli_loads_no_command_group() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import json, sys, kura.cli; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules = set(json.loads(done.stdout))
    assert heavy(modules, NOT_FOR_TOP_HELP) == []
    assert not {f"kura.cli.{name}" for name in COMMANDS} & modules


@pytest.mark.parametrize("args", [("--help",), (), ("store", "--help"), ("store",)])
def test_top_level_and_store_help_stay_light(args: tuple[str, ...]) -> None:
    code, modules = loaded_by(*args)
    assert code in (0, 2)  # --help exits 0; a group without a command prints its help and exits 2
    allowed = {"kura.cli.store"} if args[:1] == ("store",) else set()
    assert [name for name in heavy(modules, NOT_FOR_TOP_HELP) if name not in allowed] == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_no_group_help_loads_what_only_its_commands_use(name: str) -> None:
    code, modules = loaded_by(name, "--help")
    assert code == 0
    assert heavy(modules, NEVER_FOR_HELP) == []
    assert heavy(modules, tuple(f"kura.cli.{other}" for other in COMMANDS if other != name)) == []


def test_the_probe_sees_what_a_command_imports() -> None:
    """The check can fail: a command that does use the simulators shows numpy and scipy in its modules."""
    code, modules = loaded_by("sim", "design", "--max-k", "2", "--max-n", "3", "--top", "1", "--json")
    assert code == 0
    assert heavy(modules, ("numpy", "scipy")) == ["numpy", "scipy"]
