"""``ape run deploy``: deploy the kura contracts on ape's selected network.

    ape run deploy --network ethereum:local:foundry [--force]

The same deployment as ``kura deploy`` (kura.deploy: the build in build/contracts, which ``ape compile`` matches
byte for byte, in the same order and wiring, recorded in the deployments file), over ape's provider, signed by
ape's first test account.
"""

import click
from ape.cli import ConnectedProviderCommand

import kura
from kura.api.ape import ape_chain, ape_network, reported


@click.command(cls=ConnectedProviderCommand)
@click.option("--force", is_flag=True, help="Deploy even if kura is deployed on this chain already (replaces it).")
def cli(force: bool) -> None:
    """Deploy every kura contract, wire them together, and print the addresses."""
    with reported():
        network = ape_network()
        click.echo(f"deploying on {network.name}")
        deployed = kura.deploy(network, force=force, progress=click.echo, chain=ape_chain())
    click.echo(f"recorded {len(deployed.deployment.contracts)} contract(s) for chain id {deployed.chain.chain_id}")
