"""The example tasks kura ships, compiled to WebAssembly.

Each task is ``<name>.wat`` (its source, spliced with the shared ``runtime.wat``
by :mod:`kura.compute.tasks.build`) committed next to ``<name>.wasm``. Input and
output formats are documented at the top of each ``.wat`` file.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from kura.errors import SandboxError


@dataclass(frozen=True)
class ShippedTask:
    """A task that comes with kura.

    Attributes:
        name: File stem of its ``.wat`` source and ``.wasm`` binary.
        summary: One line on what it computes.
        entry: The exported entry function.
    """

    name: str
    summary: str
    entry: str = "run"


TASKS: dict[str, ShippedTask] = {
    task.name: task
    for task in (
        ShippedTask("matmul", "integer matrix product modulo 2^32 (numeric kernel)"),
        ShippedTask("textstats", "byte, character, line, word and letter counts of UTF-8 text, as JSON"),
        ShippedTask(
            "medical_aggregate",
            "per-diagnosis count and mean blood pressure and HbA1c, groups under 5 suppressed, as JSON",
        ),
        ShippedTask(
            "dp_cohort_aggregate",
            "HbA1c and blood pressure by age band, sex and condition with exact discrete Laplace noise "
            "(epsilon-DP), minimum cell counts and a dominance rule, as JSON",
        ),
    )
}
"""The shipped tasks by name."""


def _file(name: str, suffix: str) -> bytes:
    if name not in TASKS:
        raise SandboxError(f"no shipped task named {name!r}; choose one of {', '.join(sorted(TASKS))}")
    return resources.files(__name__).joinpath(f"{name}{suffix}").read_bytes()


def load(name: str) -> bytes:
    """The compiled module of a shipped task.

    Args:
        name: A key of :data:`TASKS`.

    Returns:
        The ``.wasm`` bytes, as committed.

    Raises:
        SandboxError: if there is no such task.
    """
    return _file(name, ".wasm")


def source(name: str) -> str:
    """The WAT source of a shipped task (without the shared runtime).

    Raises:
        SandboxError: if there is no such task.
    """
    return _file(name, ".wat").decode("utf-8")
