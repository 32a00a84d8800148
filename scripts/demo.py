"""``ape run demo``: the medical data exchange demo, the same as ``kura demo``.

    ape run demo                      # about three minutes; the report goes to results/demo-<timestamp>/
    ape run demo --patients 800 --out /tmp/demo

The demo needs more than a chain: Kubo nodes, storage agents, compute agents, auditors and a repairer running as
processes. So it starts its own private devnet (Anvil and Kubo, in a state folder of its own) and stops it at the
end, whatever network ape is configured for.
"""

from pathlib import Path

import click
from rich.console import Console

from kura.api.ape import reported
from kura.demo.cast import DemoConfig
from kura.demo.run import run_demo


@click.command()
@click.option(
    "--patients", default=2000, show_default=True, type=click.IntRange(min=100), help="Synthetic patients per hospital."
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Report folder (default results/demo-<timestamp>)."
)
def cli(patients: int, out: Path | None) -> None:
    """Run the kura medical data exchange demo on a private devnet and write its report."""
    with reported():
        facts = run_demo(DemoConfig(patients=patients, out=out), Console())
    click.echo(f"demo finished in {facts['seconds']} s: {facts['report']}")
