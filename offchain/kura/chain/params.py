"""The deployment parameters of the kura contracts: what ``kura deploy`` passes, and what the clients read back.

One frozen dataclass per contract holds its constructor parameters after the addresses of the contracts it
uses, in constructor order, named after the contract's public getters (``min_stake`` is ``minStake()``).
The defaults are kura's production values. :class:`DeployParams` gathers them for ``deploy_all``; a test
that needs other values derives them with :func:`dataclasses.replace`::

    quick = replace(DeployParams(), audits=replace(StorageAuditsParams(), response_window=600))

A client's ``params()`` returns the same class, read from the deployed contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, Self

from kura.units import WAD


def _getter(field_name: str) -> str:
    head, *rest = field_name.split("_")
    return head + "".join(word.capitalize() for word in rest)


class HasArgs(Protocol):
    """Parameters that give their contract's constructor arguments (after the addresses it takes)."""

    def args(self) -> tuple[Any, ...]:
        """The constructor arguments, in order."""
        ...


@dataclass(frozen=True)
class ContractParams:
    """Constructor parameters of one contract (subclasses list them in constructor order)."""

    def args(self) -> tuple[Any, ...]:
        """The constructor arguments, in order (a tuple field is passed as an array)."""
        return tuple(
            list(value) if isinstance(value, tuple) else value
            for value in (getattr(self, f.name) for f in fields(self))
        )

    @classmethod
    def read(cls, getter: Callable[[str], Any]) -> Self:
        """The parameters a deployed contract holds, ``getter(name)`` calling its public getter ``name``."""
        return cls(*(getter(_getter(f.name)) for f in fields(cls)))


@dataclass(frozen=True)
class FileRegistryParams(ContractParams):
    """``FileRegistry`` parameters: what a file costs its owner.

    Attributes:
        min_deposit: Wei a file's owner locks at ``register``, credited back when the file is removed
            (0.001 ETH).
        difficulty_bits: Leading zero bits of the hashcash stamp that replaces the deposit for a client that
            locks no funds (20: about 2^20 ≈ 1.05 M keccak hashes); 0 refuses stamps.
    """

    min_deposit: int = 10**15
    difficulty_bits: int = 20


@dataclass(frozen=True)
class NodeRegistryParams(ContractParams):
    """``NodeRegistry`` parameters: stake, jailing and promotion.

    Attributes:
        min_stake: Wei a node bonds to register, and below which it stops being active (1 ETH).
        unbonding_delay: Seconds between ``announceExit`` and ``withdrawStake`` (3 days).
        jail_threshold: Failed storage audits counted at once that jail a node (3).
        failure_decay: Seconds without a failure that forgive one counted failure (3 days: a node failing
            every other day is jailed at its third failure; passes never wash failures away, so a node cannot
            dodge jail by challenging itself).
        audit_penalty: Reputation points a failed audit costs; a pass earns 1 (10).
        promotion_bar: Passed spot-checks an auditor needs before ``promote``:
            ``promotion_bar_wad(saboteur_fraction, 0.99)`` = ⌈f / (1 − θ)⌉ = 25 for the market's f = 0.25, the
            least count whose credibility ``1 − f/k`` reaches θ = 0.99.
        max_compute_nodes: Most nodes holding the Compute role at once (16).
        genesis_compute: The first compute nodes of a new network, named at deployment: each may be promoted
            once without the bar (a network needs a compute node before anyone can pass a spot-check). Empty by
            default: whoever deploys a network names its own.
    """

    min_stake: int = 10**18
    unbonding_delay: int = 3 * 24 * 3600
    jail_threshold: int = 3
    failure_decay: int = 3 * 24 * 3600
    audit_penalty: int = 10
    promotion_bar: int = 25
    max_compute_nodes: int = 16
    genesis_compute: tuple[str, ...] = ()


@dataclass(frozen=True)
class StorageAuditsParams(ContractParams):
    """``StorageAudits`` parameters, after the NodeRegistry and FileRegistry addresses.

    Attributes:
        challenge_bond: Least wei a challenger bonds (0.01 ETH).
        seed_delay: Blocks from a challenge to the block whose hash picks the chunk (2).
        response_window: Seconds the node has to answer (30 minutes: under 256 blocks at 12 s, so the seed's
            hash stays readable).
        slash_bps: Share of the node's stake slashed per failed audit, in basis points (1,000 = 10 %).
        reward_bps: Share of the slashed amount paid to the challenger, in basis points (1,000 = 10 %).
    """

    challenge_bond: int = 10**16
    seed_delay: int = 2
    response_window: int = 30 * 60
    slash_bps: int = 1_000
    reward_bps: int = 1_000


@dataclass(frozen=True)
class ShareRepairsParams(ContractParams):
    """``ShareRepairs`` parameters, after the NodeRegistry, StorageAudits and FileRegistry addresses.

    Attributes:
        repair_reward: Wei from the repair pool per committed repair, capped by the pool (0.02 ETH).
    """

    repair_reward: int = 2 * 10**16


@dataclass(frozen=True)
class TaskMarketParams(ContractParams):
    """``TaskMarket`` parameters, after the NodeRegistry address (one ``ITaskMarket.Config`` struct).

    Attributes:
        commit_window: Seconds a commit phase lasts beyond the time its fuel takes (2 minutes).
        reveal_window: Seconds from the commit deadline to the reveal deadline (2 minutes).
        seed_delay: Blocks from the worker's commitment (or an inconclusive round) to the block whose hash draws
            the auditors (1).
        max_rounds: Most audit rounds per task (3).
        max_auditors: Most auditors per round (10; rounds × auditors stays within the 32 results one
            consensus weighs).
        slash_bps: Share of a caught worker's stake slashed, in basis points (10,000: all of it, so that
            cheating loses money at every audit rate, see ``kura.compute.sampling.min_stake``).
        miss_bps: Share of a silent auditor's stake, or of a worker's that never committed, slashed, in basis
            points (500 = 5 %).
        saboteur_fraction: The f of Sarmenta's credibility ``1 − f/k``, WAD: a bound on the saboteurs' share of
            the *voters*, the audit pool, which caught compute nodes join while honest ones stay out of it: f·N/(N − C)
            for a fraction f of N nodes and C compute slots, 0.25 for f = 0.2 with a fifth of the nodes computing
            (docs/trust-layer.md, section 1).
        max_fuel: Most fuel a task may ask for (10^10: about 10 s on one core of the machines kura was measured on,
            100 s at ``fuel_rate``).
        fuel_rate: Fuel per second the slowest honest node is assumed to run (10^8: a tight loop runs at about
            1.3 × 10^9 on the machines kura was measured on, so even a node 13 times slower finishes in time). Every
            phase in which a node runs the task lasts ``commit_window + ⌈fuel / fuel_rate⌉`` seconds.
        min_fuel_price: Least wei per unit of fuel each run is paid, the reward and every audit fee alike (10: a
            second of one core, 10^9 fuel, earns at least 10^10 wei).
    """

    commit_window: int = 120
    reveal_window: int = 120
    seed_delay: int = 1
    max_rounds: int = 3
    max_auditors: int = 10
    slash_bps: int = 10_000
    miss_bps: int = 500
    saboteur_fraction: int = WAD // 4
    max_fuel: int = 10**10
    fuel_rate: int = 10**8
    min_fuel_price: int = 10

    def args(self) -> tuple[Any, ...]:
        """The constructor arguments after the registry: the ``Config`` struct."""
        return (super().args(),)

    def window(self, fuel: int) -> int:
        """Seconds a node is given to run ``fuel`` and commit (``TaskMarket.fuelWindow``)."""
        return self.commit_window + -(-fuel // self.fuel_rate)

    def min_payment(self, fuel: int) -> int:
        """Least wei a run of ``fuel`` must be paid: the reward's and each audit fee's minimum."""
        return fuel * self.min_fuel_price


@dataclass(frozen=True)
class SampledAuditsParams(ContractParams):
    """``SampledAudits`` parameters, after the NodeRegistry address (one ``ISampledAudits.Terms`` struct): how the
    TaskMarket audits only a credibility-adapted sample of tasks (docs/trust-layer.md, section 3).

    The defaults audit every task (``q_min = WAD``); :meth:`sampled` gives the section's constants.

    Attributes:
        q_min: Floor of a task's audit probability, WAD; WAD audits every task.
        full_record: A compute node is audited on every task until it passed this many audited tasks.
        half_life: Passed audits per halving of the audit probability after that.
        window: Provisional results a worker holds before its oldest becomes final.
        hold_time: Seconds after which a provisional result may be made final anyway.
        clean_run: Re-audits in a row that must confirm a caught worker before its other results stand.
    """

    q_min: int = WAD
    full_record: int = 10
    half_life: int = 40
    window: int = 2000
    hold_time: int = 30 * 24 * 3600
    clean_run: int = 16

    @classmethod
    def sampled(cls) -> SampledAuditsParams:
        """Section 3's constants: audits at 1/128 at the floor (reached after 290 passed audits), results
        provisional for 2,000 newer tasks or 30 days, 16 clean re-audits after a catch."""
        return cls(q_min=WAD // 128)

    @property
    def sampling(self) -> bool:
        """Whether some tasks go unaudited."""
        return self.q_min < WAD

    def args(self) -> tuple[Any, ...]:
        """The constructor arguments after the registry: the ``Terms`` struct."""
        return (super().args(),)

    def min_stake(self, reward: int) -> int:
        """The least stake that may claim a task of ``reward`` wei (``SampledAudits.claimTerms``; 0 when every task
        is audited)."""
        # Imported here: the sampling rules bring numpy, which reading deployment parameters does not need.
        from kura.compute.sampling import min_stake_wad

        return min_stake_wad(reward, self.q_min) if self.sampling else 0


@dataclass(frozen=True)
class InstitutionRegistryParams:
    """``InstitutionRegistry`` parameters: the consortium's first policy and how long a motion stays open.

    Attributes:
        min_k: Least k-anonymity a listed dataset's de-identification certificate must show (5).
        min_l: Least distinct l-diversity it must show (2).
        min_cell_count: Fewest patients in a released aggregate cell (10).
        motion_lifetime: Seconds a motion has to reach a majority of the members, and a proposed account change to
            be accepted (7 days).
    """

    min_k: int = 5
    min_l: int = 2
    min_cell_count: int = 10
    motion_lifetime: int = 7 * 24 * 3600

    def args(self) -> tuple[tuple[int, int, int], int]:
        """The constructor arguments: the ``Policy`` struct, then the motion lifetime."""
        return (self.min_k, self.min_l, self.min_cell_count), self.motion_lifetime


@dataclass(frozen=True)
class DataMarketParams(ContractParams):
    """``DataMarket`` parameters, after the InstitutionRegistry, ConsentRegistry and FileRegistry addresses.

    Attributes:
        delivery_window: Seconds the seller has to deliver the dataset key after a purchase (3 days).
        dispute_window: Seconds after delivery in which the buyer may prove a wrong key (7 days).
    """

    delivery_window: int = 3 * 24 * 3600
    dispute_window: int = 7 * 24 * 3600


@dataclass(frozen=True)
class DeployParams:
    """The parameters of every contract ``deploy_all`` deploys (each defaults to kura's values)."""

    files: FileRegistryParams = field(default_factory=FileRegistryParams)
    nodes: NodeRegistryParams = field(default_factory=NodeRegistryParams)
    audits: StorageAuditsParams = field(default_factory=StorageAuditsParams)
    repairs: ShareRepairsParams = field(default_factory=ShareRepairsParams)
    sampling: SampledAuditsParams = field(default_factory=SampledAuditsParams)
    tasks: TaskMarketParams = field(default_factory=TaskMarketParams)
    institutions: InstitutionRegistryParams = field(default_factory=InstitutionRegistryParams)
    data_market: DataMarketParams = field(default_factory=DataMarketParams)
