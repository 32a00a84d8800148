"""``kura sim``: the reliability and sabotage simulators, the designer and the report."""

from __future__ import annotations

from pathlib import Path

import typer

from kura.cli._output import console, emit
from kura.crypto.params import Scheme
from kura.sim.design import design as run_design
from kura.sim.report import write_report
from kura.sim.sabotage import Mechanism, SabotageConfig, Strategy, simulate_sabotage
from kura.sim.storage import Lifetime, StorageConfig, simulate_storage

app = typer.Typer(help="Reliability and sabotage simulators.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")


@app.command()
def storage(
    scheme: Scheme = typer.Option(Scheme.MSR, help="Share scheme."),
    k: int = typer.Option(4, help="Shares needed to rebuild."),
    n: int = typer.Option(8, help="Shares stored."),
    threshold: int = typer.Option(None, help="Repair at or below this many shares (default n-1)."),
    files: int = typer.Option(10_000, help="Files stored."),
    nodes: int = typer.Option(1_000, help="Node population."),
    years: float = typer.Option(1.0, help="Simulated time."),
    lifetime: Lifetime = typer.Option(Lifetime.EXPONENTIAL, help="Node lifetime distribution."),
    mean_lifetime_days: float = typer.Option(365.0, help="Mean node lifetime."),
    weibull_shape: float = typer.Option(0.7, help="Weibull shape (with --lifetime weibull)."),
    mean_uptime_days: float = typer.Option(None, help="Mean online spell (enables transient outages)."),
    mean_downtime_days: float = typer.Option(0.5, help="Mean offline spell."),
    eviction_timeout_days: float = typer.Option(3.0, help="Offline longer than this = shares written off."),
    audit_interval_days: float = typer.Option(7.0, help="Mean time between audits of a file."),
    owner_repair_days: float = typer.Option(None, help="Shamir: mean time between owner repairs (default never)."),
    bandwidth_gib_per_day: float = typer.Option(None, help="Repair download limit per node."),
    file_mib: float = typer.Option(64.0, help="File size."),
    mass_failure_fraction: float = typer.Option(0.0, help="Fraction of nodes lost at once."),
    mass_failure_day: float = typer.Option(None, help="Day of the mass failure."),
    seed: int = typer.Option(0, help="Random seed."),
    as_json: bool = JSON,
) -> None:
    """Simulate files on churning nodes: P(loss) with a 95 % interval, repair traffic and CPU."""
    config = StorageConfig(
        scheme=scheme, k=k, n=n, threshold=threshold, files=files, nodes=nodes, years=years, lifetime=lifetime,
        mean_lifetime_days=mean_lifetime_days, weibull_shape=weibull_shape, mean_uptime_days=mean_uptime_days,
        mean_downtime_days=mean_downtime_days, eviction_timeout_days=eviction_timeout_days,
        audit_interval_days=audit_interval_days, owner_repair_days=owner_repair_days,
        bandwidth_bytes_per_day=None if bandwidth_gib_per_day is None else bandwidth_gib_per_day * 2**30,
        file_bytes=file_mib * 2**20, mass_failure_fraction=mass_failure_fraction,
        mass_failure_day=mass_failure_day, seed=seed,
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
    designs = run_design(
        target, years, share_loss_rate=1 / mean_lifetime_days, notice_rate=1 / audit_interval_days,
        max_k=max_k, max_n=max_n,
    )[:top]
    rows = [
        {
            "scheme": d.scheme.value, "k": d.k, "n": d.n, "threshold": d.threshold, "p_loss": d.p_loss,
            "storage_overhead": d.storage_overhead, "repair_traffic_per_year": d.repair_traffic_per_year,
            "cost_per_tb_year": d.cost_per_tb_year,
        }
        for d in designs
    ]
    text = "\n".join(
        f"{r['scheme']}({r['k']},{r['n']}) repair at <= {r['threshold']}: P(loss) {r['p_loss']:.2g}, "
        f"overhead {r['storage_overhead']:.2f}, {r['cost_per_tb_year']:.1f} USD/TB-year"
        for r in rows
    ) or f"no (k, n) up to k={max_k}, n={max_n} reaches {target}: raise --max-n or audit more often"
    emit(rows, as_json=as_json, text=text)


@app.command()
def compute(
    mechanism: Mechanism = typer.Option(Mechanism.KURA, help="Defence."),
    strategy: Strategy = typer.Option(Strategy.COLLUDE, help="Saboteur strategy."),
    f: list[float] = typer.Option([0.0, 0.1, 0.2, 0.3, 0.4, 0.5], "--f", "-f", help="Saboteur fractions (repeatable)."),
    sabotage_rate: float = typer.Option(0.3, help="s for the random strategy."),
    tasks: int = typer.Option(5_000, help="Tasks in the batch."),
    workers: int = typer.Option(200, help="Volunteers."),
    replication: int = typer.Option(2, help="m for majority voting."),
    spot_check_rate: float = typer.Option(0.1, help="q for credibility voting."),
    acceptable_error: float = typer.Option(1e-3, help="1 - theta."),
    seed: int = typer.Option(0, help="Random seed."),
    as_json: bool = JSON,
) -> None:
    """Simulate saboteurs against a defence: error rate, redundancy, throughput, attacker profit."""
    rows = []
    for fraction in f:
        result = simulate_sabotage(
            SabotageConfig(
                mechanism=mechanism, strategy=strategy, f=fraction, sabotage_rate=sabotage_rate, tasks=tasks,
                workers=workers, replication=replication, spot_check_rate=spot_check_rate,
                acceptable_error=acceptable_error, seed=seed,
            )
        )
        rows.append(
            {
                "f": fraction, "error_rate": result.error_rate, "error_ci95": list(result.error_ci),
                "redundancy": result.redundancy, "throughput": result.throughput,
                "attacker_profit": result.attacker_profit, "caught": result.caught,
            }
        )
    text = "\n".join(
        f"f={r['f']:.2f}: error {r['error_rate']:.3g}, redundancy {r['redundancy']:.2f}, "
        f"throughput {r['throughput']:.3f}, attacker profit {r['attacker_profit']:.1f}, caught {r['caught']}"
        for r in rows
    )
    emit(rows, as_json=as_json, text=text)


@app.command()
def report(
    out: Path = typer.Option(Path("results/sim"), help="Results folder."),
    quick: bool = typer.Option(False, "--quick", help="Small runs (seconds)."),
) -> None:
    """Run every experiment and write a markdown report with PNG plots."""
    path = write_report(out, quick=quick, progress=lambda line: console.print(f"[dim]{line}[/]"))
    emit({"report": str(path)}, as_json=False, text=f"report written to {path}")
