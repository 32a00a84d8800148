"""``kura sim``: the reliability and sabotage simulators, the designer and the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import typer

from kura.cli._output import console, emit
from kura.codes.params import Scheme

app = typer.Typer(help="Reliability and sabotage simulators.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")

# The values of kura.sim's enums, spelt out: their modules load numpy and scipy, which no --help needs (the
# simulators are imported inside the commands; tests/unit/cli holds these equal to the enums).
LifetimeChoice = Literal["exponential", "weibull"]
""":class:`kura.sim.storage.Lifetime`."""
MechanismChoice = Literal["majority", "credibility", "boinc", "kura", "sampled"]
""":class:`kura.sim.sabotage_config.Mechanism`."""
StrategyChoice = Literal["always", "random", "collude", "patient", "honest"]
""":class:`kura.sim.sabotage_config.Strategy`."""


@app.command()
def storage(
    scheme: Scheme = typer.Option(Scheme.MSR, help="Share scheme."),
    k: int = typer.Option(4, help="Shares needed to rebuild."),
    n: int = typer.Option(8, help="Shares stored."),
    threshold: int = typer.Option(None, help="Repair at or below this many shares (default n-1)."),
    files: int = typer.Option(10_000, help="Files stored."),
    nodes: int = typer.Option(1_000, help="Node population."),
    years: float = typer.Option(1.0, help="Simulated time."),
    lifetime: LifetimeChoice = typer.Option("exponential", help="Node lifetime distribution."),
    mean_lifetime_days: float = typer.Option(365.0, help="Mean node lifetime."),
    weibull_shape: float = typer.Option(0.7, help="Weibull shape (with --lifetime weibull)."),
    mean_uptime_days: float = typer.Option(None, help="Mean online spell (enables transient outages)."),
    mean_downtime_days: float = typer.Option(0.5, help="Mean offline spell."),
    eviction_timeout_days: float = typer.Option(3.0, help="Offline longer than this = shares written off."),
    audit_interval_days: float = typer.Option(
        7.0, help="Mean time until a lost share is noticed and repaired (every scheme alike)."
    ),
    bandwidth_gib_per_day: float = typer.Option(
        None, help="Repair traffic per node per day, each direction (repairs then take time)."
    ),
    file_mib: float = typer.Option(64.0, help="File size."),
    mass_failure_fraction: float = typer.Option(0.0, help="Fraction of nodes lost at once."),
    mass_failure_day: float = typer.Option(None, help="Day of the mass failure."),
    seed: int = typer.Option(0, help="Random seed."),
    as_json: bool = JSON,
) -> None:
    """Simulate files on churning nodes: P(loss) with a 95 % interval, repair traffic and CPU."""
    from kura.sim.storage import Lifetime, StorageConfig, simulate_storage

    config = StorageConfig(
        scheme=scheme,
        k=k,
        n=n,
        threshold=threshold,
        files=files,
        nodes=nodes,
        years=years,
        lifetime=Lifetime(lifetime),
        mean_lifetime_days=mean_lifetime_days,
        weibull_shape=weibull_shape,
        mean_uptime_days=mean_uptime_days,
        mean_downtime_days=mean_downtime_days,
        eviction_timeout_days=eviction_timeout_days,
        audit_interval_days=audit_interval_days,
        bandwidth_bytes_per_day=None if bandwidth_gib_per_day is None else bandwidth_gib_per_day * 2**30,
        file_bytes=file_mib * 2**20,
        mass_failure_fraction=mass_failure_fraction,
        mass_failure_day=mass_failure_day,
        seed=seed,
    )
    with console.status("simulating storage..."):
        result = simulate_storage(config)
    data = {
        "files_lost": result.files_lost,
        "p_loss": result.p_loss,
        "p_loss_ci95": list(result.p_loss_ci),
        "shares_rebuilt": result.shares_rebuilt,
        "network_per_stored_byte_year": result.network_per_stored_byte_year,
        "cpu_seconds_per_stored_gb_year": result.cpu_seconds_per_stored_gb_year,
        "final_full_redundancy_fraction": float(result.timeline.full_fraction[-1]),
        "runtime_seconds": result.runtime_seconds,
    }
    low, high = result.p_loss_ci
    emit(
        data,
        as_json=as_json,
        text=(
            f"{scheme.value}({k},{n}): {result.files_lost}/{files} files lost, P(loss) = {result.p_loss:.3g} "
            f"[95 % CI {low:.3g}, {high:.3g}]\nrepair traffic {result.network_per_stored_byte_year:.3g} B per "
            f"stored B per year, CPU {result.cpu_seconds_per_stored_gb_year:.3g} s per GB per year, "
            f"{result.runtime_seconds:.1f} s"
        ),
    )


@app.command()
def design(
    target: float = typer.Option(1e-9, help="Largest acceptable P(file lost) over the horizon."),
    years: float = typer.Option(10.0, help="Horizon."),
    mean_lifetime_days: float = typer.Option(365.0, help="Mean node lifetime."),
    audit_interval_days: float = typer.Option(7.0, help="Mean time between audits of a file."),
    max_k: int = typer.Option(16, help="Largest k to consider."),
    max_n: int = typer.Option(48, help="Largest n to consider."),
    top: int = typer.Option(5, help="How many answers to show."),
    as_json: bool = JSON,
) -> None:
    """Find the cheapest (scheme, k, n, repair threshold) that meets a durability target."""
    from kura.sim.design import design as run_design

    designs = run_design(
        target,
        years,
        share_loss_rate=1 / mean_lifetime_days,
        notice_rate=1 / audit_interval_days,
        max_k=max_k,
        max_n=max_n,
    )[:top]
    rows = [
        {
            "scheme": d.scheme.value,
            "k": d.k,
            "n": d.n,
            "threshold": d.threshold,
            "p_loss": d.p_loss,
            "storage_overhead": d.storage_overhead,
            "repair_traffic_per_year": d.repair_traffic_per_year,
            "cost_per_tb_year": d.cost_per_tb_year,
        }
        for d in designs
    ]
    text = (
        "\n".join(
            f"{r['scheme']}({r['k']},{r['n']}) repair at <= {r['threshold']}: P(loss) {r['p_loss']:.2g}, "
            f"overhead {r['storage_overhead']:.2f}, {r['cost_per_tb_year']:.1f} USD/TB-year"
            for r in rows
        )
        or f"no (k, n) up to k={max_k}, n={max_n} reaches {target}: raise --max-n or audit more often"
    )
    emit(rows, as_json=as_json, text=text)


@app.command()
def compute(
    mechanism: MechanismChoice = typer.Option("kura", help="Defence."),
    strategy: StrategyChoice = typer.Option("collude", help="Saboteur strategy."),
    f: list[float] = typer.Option([0.0, 0.1, 0.2, 0.3, 0.4, 0.5], "--f", "-f", help="Saboteur fractions (repeatable)."),
    sabotage_rate: float = typer.Option(0.3, help="s for the random strategy."),
    collude: bool = typer.Option(
        None, "--collude/--no-collude", help="Whether wrong answers agree (default: by strategy)."
    ),
    tasks: int = typer.Option(5_000, help="Tasks in all (split over the replicas)."),
    replicas: int = typer.Option(1, help="Independent populations (kura, sampled, boinc run them side by side)."),
    workers: int = typer.Option(200, help="Volunteers per replica."),
    replication: int = typer.Option(2, help="m for majority voting."),
    spot_check_rate: float = typer.Option(0.1, help="q for credibility voting."),
    acceptable_error: float = typer.Option(1e-3, help="1 - theta."),
    rounds: int = typer.Option(15, help="kura, sampled: most audit rounds (two auditors each) per task."),
    compute_fraction: float = typer.Option(0.2, help="kura, sampled: share of workers holding a compute slot."),
    q_min: float = typer.Option(1 / 128, help="sampled: floor of the audit probability."),
    half_life: int = typer.Option(40, help="sampled: passed audits per halving of the audit probability."),
    window: int = typer.Option(2000, help="sampled: a node's later tasks during which a result stays provisional."),
    stake: float = typer.Option(150.0, help="kura, sampled: stake slashed from a caught compute node (rewards)."),
    seed: int = typer.Option(0, help="Random seed."),
    as_json: bool = JSON,
) -> None:
    """Simulate saboteurs against a defence: error rate with its 95 % interval, work ratio, attacker profit."""
    from kura.sim.sabotage import Mechanism, SabotageConfig, Strategy, simulate_sabotage

    rows: list[dict[str, Any]] = []
    for fraction in f:
        result = simulate_sabotage(
            SabotageConfig(
                mechanism=Mechanism(mechanism),
                strategy=Strategy(strategy),
                f=fraction,
                sabotage_rate=sabotage_rate,
                collude=collude,
                tasks=tasks,
                replicas=replicas,
                workers=workers,
                replication=replication,
                spot_check_rate=spot_check_rate,
                acceptable_error=acceptable_error,
                rounds=rounds,
                compute_fraction=compute_fraction,
                q_min=q_min,
                half_life=half_life,
                challenge_window=window,
                stake=stake,
                seed=seed,
            )
        )
        rows.append(
            {
                "f": fraction,
                "error_rate": result.error_rate,
                "error_ci95": list(result.error_ci),
                "work_ratio": result.redundancy,
                "steady_work_ratio": result.steady_redundancy,
                "throughput": result.throughput,
                "attacker_profit": result.attacker_profit,
                "honest_profit": result.honest_profit,
                "caught": result.caught,
                "undecided": result.undecided,
                "seconds": result.runtime_seconds,
            }
        )
    text = "\n".join(
        f"f={r['f']:.2f}: error {r['error_rate']:.3g} [95 % CI {r['error_ci95'][0]:.2g}, {r['error_ci95'][1]:.2g}], "
        f"work {r['work_ratio']:.3f}, attacker profit {r['attacker_profit']:.1f}, caught {r['caught']}, "
        f"undecided {r['undecided']}"
        for r in rows
    )
    emit(rows, as_json=as_json, text=text)


@app.command()
def report(
    out: Path = typer.Option(Path("results/sim"), help="Results folder."),
    quick: bool = typer.Option(False, "--quick", help="Small runs (seconds)."),
) -> None:
    """Run every experiment and write a markdown report with PNG plots."""
    from kura.sim.report import write_report

    path = write_report(out, quick=quick, progress=lambda line: console.print(f"[dim]{line}[/]"))
    emit({"report": str(path)}, as_json=False, text=f"report written to {path}")
