"""Reliability simulator run time as files, nodes and years grow.

Run:  .venv/bin/python benchmarks/bench_sim.py [--quick]

Each row is one ``simulate_storage`` run of MSR (4, 8) with eager repair and
one-year mean node lifetimes; the reference is the first (smallest) row,
measured in the same run. Ratios show how run time grows: roughly linear in
files x years (per-step work is over files and over departing nodes' shares).
The full run is the issue's target: 100,000 files on 10,000 nodes for 10 years.
"""

from __future__ import annotations

import argparse

from kura.codes.params import Scheme
from kura.sim.storage import StorageConfig, simulate_storage

FULL = [
    (10_000, 1_000, 1.0),
    (10_000, 10_000, 1.0),
    (100_000, 1_000, 1.0),
    (100_000, 10_000, 1.0),
    (100_000, 10_000, 10.0),
]
QUICK = [(2_000, 500, 0.5), (2_000, 2_000, 0.5), (8_000, 500, 0.5), (8_000, 2_000, 0.5)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    args = parser.parse_args()
    print(f"{'files':>8} {'nodes':>7} {'years':>6} {'seconds':>9} {'x ref':>8} {'lost':>6}")
    reference = None
    for files, nodes, years in QUICK if args.quick else FULL:
        config = StorageConfig(
            scheme=Scheme.MSR,
            k=4,
            n=8,
            threshold=7,
            files=files,
            nodes=nodes,
            years=years,
            mean_lifetime_days=365.0,
            audit_interval_days=7.0,
        )
        result = simulate_storage(config)
        reference = reference or result.runtime_seconds
        print(
            f"{files:>8} {nodes:>7} {years:>6} {result.runtime_seconds:>9.2f} "
            f"{result.runtime_seconds / reference:>8.2f} {result.files_lost:>6}"
        )


if __name__ == "__main__":
    main()
