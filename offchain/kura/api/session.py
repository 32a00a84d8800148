"""The entry point of the public API: :func:`connect` returns a :class:`Kura`, one connection to a network.

A :class:`Kura` holds the chain connection, the deployment, the signing account and the typed contract
clients (``.contracts``), and wires the domain operations onto them::

    import kura

    with kura.connect() as k:                       # the devnet, account 0, storage nodes chosen automatically
        stored = k.storage.put("scan.dcm", k=3, n=5)
        k.storage.get(stored.file_id, "copy.dcm")
        task = k.tasks.submit("textstats", b"some text", reward="0.01")
        print(k.tasks.wait(task.task_id).state)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Self

from kura.chain.client import Chain
from kura.chain.contracts import Contracts
from kura.chain.deployments import Deployment, load
from kura.config import NetworkConfig, NodeSource, resolve_network
from kura.errors import AlreadyDeployedError, NotDeployedError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from kura.api.audits import Audits
    from kura.api.clock import ChainClock
    from kura.api.consent import Consent
    from kura.api.institutions import Institutions
    from kura.api.market import Market
    from kura.api.nodes import Nodes
    from kura.api.repair import Repair
    from kura.api.storage import Storage
    from kura.api.tasks import Tasks


class Kura:
    """One connection to a kura network, signing as one account.

    Use :func:`connect`. Close it (or use it as a context manager) to release the storage nodes' connections.
    Each domain (and each contract client of ``.contracts``) is imported on first use, so a program that only
    stores files never loads the market, compute-to-data or the task sandbox.

    Attributes:
        network: The network's endpoints and keys.
        chain: The chain connection (every transaction goes through it).
        deployment: Where the kura contracts are.
        account_index: Which of the network's accounts signs.
        account: The signing account.
        node_source: Where storage operations take their nodes from.
        contracts: Typed clients of every kura contract (``.files``, ``.nodes``, ``.audits``, ``.repairs``,
            ``.tasks``, ``.institutions``, ``.consent``, ``.market``).
    """

    def __init__(
        self,
        network: NetworkConfig,
        chain: Chain,
        deployment: Deployment,
        account_index: int = 0,
        *,
        node_source: NodeSource = NodeSource.AUTO,
        contracts: Contracts | None = None,
    ) -> None:
        self.network = network
        self.chain = chain
        self.deployment = deployment
        self.account_index = account_index
        self.account: LocalAccount = chain.account(account_index)
        self.node_source = node_source
        self.contracts = contracts or Contracts(chain, deployment)

    @property
    def address(self) -> str:
        """The signing account's address."""
        return str(self.account.address)

    @cached_property
    def clock(self) -> ChainClock:
        """The chain's time (deadlines are block timestamps)."""
        from kura.api.clock import ChainClock

        return ChainClock(self.chain)

    @cached_property
    def storage(self) -> Storage:
        """Confidential files: put, get, info, ls, rotate, rm, enroll."""
        from kura.api.storage import Storage

        return Storage(self)

    @cached_property
    def tasks(self) -> Tasks:
        """Compute tasks: submit, status, wait, result."""
        from kura.api.tasks import Tasks

        return Tasks(self)

    @cached_property
    def audits(self) -> Audits:
        """Proof-of-storage audits: challenge, timeout, status."""
        from kura.api.audits import Audits

        return Audits(self)

    @cached_property
    def repair(self) -> Repair:
        """The repairer: one round, or an agent to run."""
        from kura.api.repair import Repair

        return Repair(self)

    @cached_property
    def consent(self) -> Consent:
        """Consent snapshots, revocations and the patient's transparency query."""
        from kura.api.consent import Consent

        return Consent(self)

    @cached_property
    def institutions(self) -> Institutions:
        """This account's institution's own settings: the public key change."""
        from kura.api.institutions import Institutions

        return Institutions(self)

    @cached_property
    def market(self) -> Market:
        """The data exchange: institutions, listings, purchases, deliveries, disputes, the access log."""
        from kura.api.market import Market

        return Market(self)

    @cached_property
    def nodes(self) -> Nodes:
        """Nodes in the shared registry: status, register, top up, promote, and their agents."""
        from kura.api.nodes import Nodes

        return Nodes(self)

    def as_account(self, index: int) -> Kura:
        """The same connection signing as account ``index`` (shares the chain and contract clients).

        Raises:
            ConfigError: if the network has no such account.
        """
        return Kura(
            self.network, self.chain, self.deployment, index, node_source=self.node_source, contracts=self.contracts
        )

    def close(self) -> None:
        """Close the connections to the storage and IPFS nodes (the chain connection is shared and kept)."""
        for part in ("storage", "tasks"):
            if part in self.__dict__:
                self.__dict__[part].close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Kura network={self.network.name!r} chain={self.chain.chain_id} account={self.address}>"


def connect(
    network: str | NetworkConfig | None = None,
    account: int = 0,
    nodes: str | NodeSource = "auto",
    *,
    chain: Chain | None = None,
) -> Kura:
    """Connect to a kura network.

    Args:
        network: A network name (``"devnet"``, or one from ``kura.toml``), a :class:`NetworkConfig`, or None for
            ``KURA_NETWORK`` or else the devnet.
        account: Index of the signing account among the network's keys.
        nodes: Storage nodes: ``"registry"`` (the NodeRegistry's active nodes), ``"config"`` (the network's
            configured IPFS APIs), or ``"auto"`` (the registry's as soon as any node is registered).
        chain: A chain connection to use (with its accounts) instead of connecting to the network's RPC URL and
            keys, e.g. ape's (:mod:`kura.api.ape`).

    Raises:
        ConfigError: unknown network or account, or an unknown ``nodes`` value.
        DevnetError: the devnet is asked for and none is recorded.
        RpcUnreachableError: nothing answers at the network's RPC URL.
        NotDeployedError: kura is not deployed on that chain.
    """
    config = network if isinstance(network, NetworkConfig) else resolve_network(network)
    chain = chain or Chain.connect(config)
    return Kura(config, chain, load(chain), account, node_source=NodeSource.parse(nodes))


def deploy(
    network: str | NetworkConfig | None = None,
    account: int = 0,
    *,
    force: bool = False,
    founders: Mapping[int, str] | None = None,
    genesis_compute: Sequence[int] = (),
    sampled: bool = False,
    progress: Callable[[str], None] = lambda _: None,
    chain: Chain | None = None,
) -> Kura:
    """Deploy the kura contracts on ``network``'s chain, record where they went, and connect to them.

    Args:
        network: As for :func:`connect`.
        account: Index of the deployer account.
        force: Deploy even if a live deployment is recorded for this chain (it is replaced: files and nodes
            registered with the old contracts stay there, out of this client's sight).
        founders: The consortium's founding institutions, as account index → name (each paid at its own
            account); founding is closed after them, so later members are admitted by the members' vote. Without
            founders the registry's founding stays open for the deployer to seed.
        genesis_compute: Account indices named as the network's first compute nodes: each may be promoted once
            without the spot-check bar (``NodeRegistryParams.genesis_compute``; a new network has no other way to
            get its first compute node). Nobody else can skip the probation.
        sampled: Audit only a credibility-adapted sample of open tasks (``SampledAuditsParams.sampled``:
            docs/trust-layer.md, section 3) instead of every task; gated (compute-to-data) tasks are always audited.
        progress: Called with one line per contract deployed.
        chain: As for :func:`connect`.

    Raises:
        AlreadyDeployedError: if kura is deployed on this chain already and ``force`` is not set.
        ContractRevertError: if a constructor or wiring transaction reverts.
    """
    from kura.chain.deploy import deploy_all
    from kura.chain.institution_registry import Founder
    from kura.chain.params import DeployParams, NodeRegistryParams, SampledAuditsParams

    config = network if isinstance(network, NetworkConfig) else resolve_network(network)
    chain = chain or Chain.connect(config)
    if not force:
        try:
            existing = load(chain)
        except NotDeployedError:
            pass
        else:
            raise AlreadyDeployedError(
                f"kura is already deployed on chain {existing.chain_id} (FileRegistry at "
                f"{existing.address('FileRegistry')}): deploying again orphans its files and nodes; pass --force "
                "(force=True) to replace it"
            )
    seeded = [Founder.of(chain.account(index), name) for index, name in (founders or {}).items()]
    genesis = tuple(chain.account(index).address for index in genesis_compute)
    sampling = SampledAuditsParams.sampled() if sampled else SampledAuditsParams()
    params = DeployParams(nodes=NodeRegistryParams(genesis_compute=genesis), sampling=sampling)
    deployment = deploy_all(chain, chain.account(account), params, progress=progress, founders=seeded)
    return Kura(config, chain, deployment, account)
