"""``ape run deploy``: deploy the kura contracts on ape's selected network.

    ape run deploy --network ethereum:local:foundry
"""

import click
from ape import accounts, networks

from kura.chain.ape import container
from kura.chain.deploy import CONTRACTS


def main() -> None:
    """Deploy every kura contract from ape's first test account and print the addresses."""
    deployer = accounts.test_accounts[0]
    click.echo(f"deploying on {networks.provider.network.name} (chain id {networks.provider.chain_id})")
    for name in CONTRACTS:
        instance = deployer.deploy(container(name))
        click.echo(f"{name} {instance.address}")
