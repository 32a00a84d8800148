"""The public names of ``kura``: pinned, importable, lazy, and the result types' JSON form."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from pathlib import Path

import pytest

import kura
from kura.codes.params import Scheme
from kura.results import Result, jsonable

PUBLIC = [
    "AuditState",
    "CodeParams",
    "FileEntry",
    "FileInfo",
    "Judged",
    "Kura",
    "KuraError",
    "NetworkConfig",
    "NodeSource",
    "NodeStanding",
    "OpenedChallenge",
    "Promoted",
    "Removed",
    "RepairOutcome",
    "RepairPath",
    "RepairReport",
    "Result",
    "Retrieved",
    "Rotated",
    "Scheme",
    "ShareHealth",
    "ShareState",
    "StoredFile",
    "TaskReport",
    "__version__",
    "connect",
    "deploy",
    "format_units",
    "from_wei",
    "to_wei",
]


def test_public_names_are_pinned_and_all_resolve() -> None:
    assert kura.__all__ == PUBLIC
    for name in kura.__all__:
        assert getattr(kura, name) is not None, name
    assert set(dir(kura)) >= set(PUBLIC)


def test_version_is_the_packages() -> None:
    from importlib.metadata import version

    assert kura.__version__ == version("kura")


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        kura.nonexistent  # noqa: B018 - the attribute access is what must raise


def test_importing_kura_loads_no_chain_or_numeric_code() -> None:
    code = "import sys, kura; print(sorted(m for m in ('web3', 'numpy', 'wasmtime', 'httpx') if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parent
    )
    assert done.stdout.strip() == "[]"


class Phase(IntEnum):
    OPEN = 0
    DONE = 1


@dataclass(frozen=True)
class Inner(Result):
    data: bytes
    amount: Decimal


@dataclass(frozen=True)
class Outer(Result):
    scheme: Scheme
    phase: Phase
    inner: tuple[Inner, ...]
    path: Path
    by_node: dict[str, int]
    secret: bytes = field(default=b"key", repr=False)


def test_results_turn_into_json_the_same_way_everywhere() -> None:
    outer = Outer(Scheme.MSR, Phase.DONE, (Inner(b"\x00\xff", Decimal("0.05")),), Path("/tmp/x"), {"node-1": 2})
    expected = {
        "scheme": "msr",
        "phase": "DONE",
        "inner": [{"data": "0x00ff", "amount": "0.05"}],
        "path": "/tmp/x",
        "by_node": {"node-1": 2},
    }
    assert outer.to_dict() == expected
    assert json.loads(outer.to_json()) == expected
    assert "key" not in outer.to_json() and "secret" not in outer.to_json()
    assert jsonable([outer]) == [expected]


def test_a_value_without_json_form_is_refused() -> None:
    with pytest.raises(TypeError, match="object has no JSON form"):
        jsonable(object())


def test_the_projects_test_helpers_are_its_own_whatever_the_environment_holds() -> None:
    root = Path(__file__).parents[2]
    done = subprocess.run(
        [sys.executable, "-c", "import tests.contracts.trust_layer as t; print(t.__file__)"],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(root / "tests")
