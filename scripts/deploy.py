"""``ape run deploy``: deploy the kura contracts on ape's selected network.

    ape run deploy --network ethereum:local:foundry

It goes through the same ``deploy_all`` as ``kura deploy`` (same artifacts, same order and
wiring), over ape's provider, signing with ape's first test account.
"""

import click
from ape import accounts, networks

from kura.chain.client import AccountSource, Chain
from kura.chain.deploy import deploy_all


def main() -> None:
    """Deploy every kura contract and print the addresses."""
    deployer = accounts.test_accounts[0]
    chain = Chain(networks.provider.web3, AccountSource([deployer.private_key]))
    click.echo(f"deploying on {networks.provider.network.name} (chain id {chain.chain_id})")
    deployment = deploy_all(chain, chain.account(0), progress=click.echo)
    click.echo(f"recorded {len(deployment.contracts)} contract(s) for chain id {deployment.chain_id}")
