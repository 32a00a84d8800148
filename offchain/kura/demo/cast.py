"""Who is in the demo, with which account, and the settings of one run."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from pathlib import Path

from kura.chain.params import DeployParams
from kura.devtools.soak import FIRST_OPERATOR, REPAIRER

DEPLOYER = 0
"""Deploys the contracts and owns the NodeRegistry (the consortium's operator)."""
HOSPITALS = {1: "Granite General Hospital", 2: "Great Basin Medical Center"}
"""Account → name of the two hospitals (each sells one dataset)."""
INSTITUTE = (3, "Institute for Metabolic Research")
"""The research institute that buys."""
WORKER, LIAR = 20, 21
"""Compute nodes: an honest one and one that lies (``--malicious always-wrong``)."""
AUDITORS = (22, 23, 24)
"""Newcomer nodes in the audit pool."""
STORAGE_OPERATORS = FIRST_OPERATOR
"""Storage node ``i`` is run by account ``STORAGE_OPERATORS + i``."""
REPAIR_ACCOUNT = REPAIRER
"""The repairer's account."""
AS_OF = date(2025, 1, 1)
"""The day the hospitals extract their records."""

_KURA = DeployParams()
DEMO_PARAMS = replace(
    _KURA,
    audits=replace(_KURA.audits, response_window=20),
    tasks=replace(_KURA.tasks, commit_window=20, reveal_window=20),
)
"""kura's parameters with answer windows of 20 s (not 30 and 2 minutes), so the demo's audits and jobs end in
seconds of wall-clock time without moving the chain's clock."""


@dataclass(frozen=True)
class DemoConfig:
    """One demo run.

    Attributes:
        patients: Synthetic patients per hospital.
        kubo_nodes: Kubo nodes (each with its storage agent).
        seed: Seed of the synthetic records (each hospital adds its number).
        out: Folder of the report (default ``results/demo-<timestamp>``).
        epsilon: ε of each compute-to-data job.
        dataset_epsilon: ε all buyers together may spend on the computed-on dataset.
        buyer_epsilon: ε one buyer may spend on it.
        heal_timeout: Seconds the repair may take before the demo gives up.
        job_timeout: Seconds a job may take.
        dashboard: Leave the dashboard running at the end (if the dashboard is installed).
    """

    patients: int = 2000
    kubo_nodes: int = 6
    seed: int = 12
    out: Path | None = None
    epsilon: Fraction = Fraction(2)
    dataset_epsilon: Fraction = Fraction(10)
    buyer_epsilon: Fraction = Fraction(5)
    heal_timeout: float = 240.0
    job_timeout: float = 240.0
    dashboard: bool = False
