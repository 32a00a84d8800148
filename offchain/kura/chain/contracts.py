"""Typed clients of one deployment's contracts, each built once: what every layer above the chain uses.

:class:`Contracts` is the only place a typed contract client is constructed; storage clients, agents,
the repairer and the public API (``kura.connect().contracts``) all take it instead of a chain and a
deployment, so two parts of one program never hold two clients of one contract.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from kura.chain.client import Chain
from kura.chain.deployments import Deployment

if TYPE_CHECKING:
    from kura.chain.consent_registry import ConsentRegistryClient
    from kura.chain.data_jobs import DataJobsClient
    from kura.chain.data_market import DataMarketClient
    from kura.chain.file_registry import FileRegistryClient
    from kura.chain.institution_registry import InstitutionRegistryClient
    from kura.chain.node_registry import NodeRegistryClient
    from kura.chain.sampled_audits import SampledAuditsClient
    from kura.chain.share_repairs import ShareRepairsClient
    from kura.chain.storage_audits import StorageAuditsClient
    from kura.chain.task_market import TaskMarketClient


class Contracts:
    """The kura contracts of ``deployment`` on ``chain``.

    Attributes:
        chain: The connection every client sends through.
        deployment: Where the contracts are.
    """

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.deployment = deployment

    def first_block(self, name: str) -> int:
        """The block contract ``name`` was deployed in (where event scans start).

        Raises:
            NotDeployedError: if it is not part of the deployment.
        """
        self.deployment.address(name)
        return self.deployment.contracts[name].block

    @cached_property
    def files(self) -> FileRegistryClient:
        """``FileRegistry``: files, their manifest pointers and versions, deposits."""
        from kura.chain.file_registry import FileRegistryClient

        return FileRegistryClient(self.chain, self.deployment)

    @cached_property
    def nodes(self) -> NodeRegistryClient:
        """``NodeRegistry``: stake, status, reputation, roles and the repair pool."""
        from kura.chain.node_registry import NodeRegistryClient

        return NodeRegistryClient(self.chain, self.deployment)

    @cached_property
    def audits(self) -> StorageAuditsClient:
        """``StorageAudits``: proof-of-storage challenges."""
        from kura.chain.storage_audits import StorageAuditsClient

        return StorageAuditsClient(self.chain, self.deployment)

    @cached_property
    def repairs(self) -> ShareRepairsClient:
        """``ShareRepairs``: public share tables and committed repairs."""
        from kura.chain.share_repairs import ShareRepairsClient

        return ShareRepairsClient(self.chain, self.deployment)

    @cached_property
    def tasks(self) -> TaskMarketClient:
        """``TaskMarket``: compute tasks, auditors, credibility."""
        from kura.chain.task_market import TaskMarketClient

        return TaskMarketClient(self.chain, self.deployment)

    @cached_property
    def sampler(self) -> SampledAuditsClient:
        """``SampledAudits``: audit probabilities, held rewards of unaudited results, re-audits after a catch."""
        from kura.chain.sampled_audits import SampledAuditsClient

        return SampledAuditsClient(self.chain, self.deployment)

    @cached_property
    def institutions(self) -> InstitutionRegistryClient:
        """``InstitutionRegistry``: member institutions, their keys and payouts, the consortium's policy."""
        from kura.chain.institution_registry import InstitutionRegistryClient

        return InstitutionRegistryClient(self.chain, self.deployment)

    @cached_property
    def consent(self) -> ConsentRegistryClient:
        """``ConsentRegistry``: consent snapshots per institution and purpose, and revocations."""
        from kura.chain.consent_registry import ConsentRegistryClient

        return ConsentRegistryClient(self.chain, self.deployment)

    @cached_property
    def market(self) -> DataMarketClient:
        """``DataMarket``: dataset listings, purchases, key deliveries, disputes, compute access and ε budgets."""
        from kura.chain.data_market import DataMarketClient

        return DataMarketClient(self.chain, self.deployment)

    @cached_property
    def jobs(self) -> DataJobsClient:
        """``DataJobs``: compute-to-data jobs over DataMarket listings, gated TaskMarket tasks."""
        from kura.chain.data_jobs import DataJobsClient

        return DataJobsClient(self.chain, self.deployment)
