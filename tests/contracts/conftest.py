"""The contract tests drive the chain's clock by hand (``anvil_mine``, ``evm_increaseTime``): they test the
contracts' timing rules block by block, so they get a private Anvil that mines only on transactions and on
request, instead of the session devnet, whose chain makes blocks on its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kura.chain.client import Chain
from kura.chain.deploy import deploy_all
from kura.chain.deployments import Deployment
from kura.demo.state import private_state
from kura.devtools.scratch import scratch_chain


@pytest.fixture(scope="session")
def chain() -> Iterator[Chain]:
    """A hand-mined Anvil with the development accounts, for every contract test of the session."""
    with scratch_chain(block_time=None) as hand_mined:
        yield hand_mined


@pytest.fixture(scope="session")
def deployment(chain: Chain) -> Deployment:
    """kura's contracts deployed once on the scratch chain, recorded in a state folder of their own: the session's
    ``deployment`` (on the devnet, for the integration tests) must not be this one, nor its deployments file."""
    with private_state():
        return deploy_all(chain, chain.account(0))
