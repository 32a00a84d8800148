"""Fixtures shared by every test.

The session gets its own ``KURA_STATE`` folder, so tests never touch a devnet
or deployments file of the developer's. Services (Anvil, Kubo) start only when
an integration or contract test asks for them, once per session, on random
loopback ports, and are stopped even when tests fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# A SIGTERM (a CI time limit, `timeout`) is turned into Ctrl-C, so pytest still tears the session
# fixtures down and no Anvil or Kubo process outlives the run.
signal.signal(signal.SIGTERM, signal.default_int_handler)

_ROOT = Path(__file__).resolve().parent.parent
# pymultihash (eth-ape → ethpm-types → py-cid) installs a top-level `tests` package into site-packages. pytest puts
# the checkout first on sys.path (pyproject: pythonpath = ["."]), so `tests` here is this project's helpers; the
# processes tests start get the checkout first on PYTHONPATH, so theirs is too, whatever their working folder.
_INHERITED = os.environ.get("PYTHONPATH", "").split(os.pathsep)
os.environ["PYTHONPATH"] = os.pathsep.join([str(_ROOT), *filter(None, _INHERITED)])

_SESSION_STATE = Path(tempfile.mkdtemp(prefix="kura-test-state-"))
os.environ["KURA_STATE"] = str(_SESSION_STATE)
for _variable in ("KURA_NETWORK", "KURA_RPC_URL", "KURA_IPFS_APIS", "KURA_PRIVATE_KEYS", "KURA_CONFIG"):
    os.environ.pop(_variable, None)

from kura.chain.client import Chain  # noqa: E402 - after KURA_STATE is set
from kura.chain.deploy import deploy_all  # noqa: E402
from kura.chain.deployments import Deployment  # noqa: E402
from kura.config import resolve_network  # noqa: E402
from kura.devnet import manager  # noqa: E402
from kura.devnet.state import DevnetState  # noqa: E402

_TESTS = Path(__file__).parent

pytest_plugins = ["tests.integration.storage_fixtures", "tests.integration.ganache_fixtures"]
"""Fixtures several integration modules share: storage clients on the devnet, and a Ganache node."""

collect_ignore = ["ape"]
"""tests/ape is ape's suite (ape's fixtures, ape's compiler): `ape test tests/ape` runs it, and so does
tests/integration/test_ape_compile.py; pytest collects it only when named on the command line."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by folder: integration/ and contracts/ need the real services."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(_TESTS).parts
        if parts and parts[0] in {"integration", "contracts"}:
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the session's state folder, after pytest's own hook tore the fixtures down.

    On an interrupted run the session fixtures are torn down in ``pytest_sessionfinish`` itself, so this
    must run last: the devnet fixture needs the state folder to find the processes it stops.
    """
    shutil.rmtree(_SESSION_STATE, ignore_errors=True)


@pytest.fixture(scope="session")
def devnet() -> Iterator[DevnetState]:
    """A running devnet: one Anvil and six peered Kubo nodes."""
    state = manager.up(manager.DEFAULT_KUBO_NODES)
    try:
        yield state
    finally:
        manager.down()


@pytest.fixture(scope="session")
def chain(devnet: DevnetState) -> Chain:
    """A connection to the devnet's chain with its development accounts."""
    return Chain.connect(resolve_network("devnet"))


@pytest.fixture(scope="session")
def deployment(chain: Chain) -> Deployment:
    """The kura contracts, deployed once on the devnet."""
    return deploy_all(chain, chain.account(0))
