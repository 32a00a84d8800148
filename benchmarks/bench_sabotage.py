"""Sabotage simulator speed: microseconds per simulated task, per mechanism, as replicas grow.

Run:  .venv/bin/python benchmarks/bench_sabotage.py [--quick]

The reference is the per-turn Python voting engine (Sarmenta's credibility voting) measured in the
same run; the audit markets (``kura``, ``sampled``, ``boinc``) run their replicas side by side as numpy
rows, so their cost per task falls as replicas are added until the arrays, not the Python steps,
dominate. ``sampled`` also runs a node's un-audited tasks in chunks.
"""

from __future__ import annotations

import argparse

from kura.sim.sabotage import Mechanism, SabotageConfig, Strategy, simulate_sabotage

PER_REPLICA = {Mechanism.KURA: 2_000, Mechanism.SAMPLED: 50_000, Mechanism.BOINC: 50_000}
COMMON = dict(strategy=Strategy.PATIENT, f=0.2, acceptable_error=1e-4, seed=1)
MARKET = dict(workers=80, compute_fraction=0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer replicas, a few seconds per row")
    args = parser.parse_args()
    replicas = (1, 4, 16) if args.quick else (1, 10, 50, 200)
    reference = simulate_sabotage(SabotageConfig(mechanism=Mechanism.CREDIBILITY, tasks=5_000, **COMMON))  # type: ignore[arg-type]
    per_task = reference.runtime_seconds / reference.config.tasks * 1e6
    print(f"{'mechanism':>12} {'replicas':>9} {'tasks':>10} {'seconds':>9} {'us/task':>9} {'x ref':>7}")
    print(
        f"{'credibility':>12} {1:>9} {reference.config.tasks:>10} {reference.runtime_seconds:>9.2f} "
        f"{per_task:>9.2f} {1.0:>7.2f}"
    )
    for mechanism, length in PER_REPLICA.items():
        for count in replicas:
            extra = MARKET if mechanism is not Mechanism.KURA else {}
            config = SabotageConfig(
                mechanism=mechanism,
                replicas=count,
                tasks=count * length,  # type: ignore[arg-type]
                **COMMON,
                **extra,
            )
            result = simulate_sabotage(config)
            micros = result.runtime_seconds / config.tasks * 1e6
            print(
                f"{mechanism.value:>12} {count:>9} {config.tasks:>10} {result.runtime_seconds:>9.2f} "
                f"{micros:>9.2f} {micros / per_task:>7.2f}"
            )


if __name__ == "__main__":
    main()
