"""What a sabotage experiment is: the defence, the attack, the population and the money.

Shared by the voting simulators (:mod:`kura.sim.sabotage`) and the vectorised
audit-market engine (:mod:`kura.sim.market`); the public names are re-exported
by :mod:`kura.sim.sabotage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kura.compute.credibility import MAX_RESULTS, collusion_bar, fresh_quorum
from kura.compute.sampling import floor_record
from kura.errors import SimulationError


class Mechanism(str, Enum):
    """How results are checked."""

    MAJORITY = "majority"
    """m-first voting: accept the first answer given ``replication`` times."""
    CREDIBILITY = "credibility"
    """Sarmenta: spot-checks, blacklisting, credibility-weighted voting to ``theta``."""
    BOINC = "boinc"
    """Adaptive replication: trust a host after ``trust_after`` consecutive valid
    results, then replicate only ``replicate_rate`` of its work; quorum 2."""
    KURA = "kura"
    """Audit every task: auditors' credibility consensus decides, a wrong compute node is slashed."""
    SAMPLED = "sampled"
    """Audit a credibility-adapted sample: ``q(record)``, challenge window, slash."""


class Strategy(str, Enum):
    """How saboteurs cheat."""

    ALWAYS = "always"
    """Every result wrong (each saboteur its own wrong answer unless ``collude=True``)."""
    RANDOM = "random"
    """Wrong with probability ``sabotage_rate``."""
    COLLUDE = "collude"
    """Always wrong, every saboteur the same wrong answer."""
    PATIENT = "patient"
    """Honest until trusted, then always wrong, colluding (behave-then-cheat)."""
    HONEST = "honest"
    """Never wrong: the saboteurs' counterfactual, to measure what cheating gained them."""


ENGINE_MECHANISMS = frozenset({Mechanism.BOINC, Mechanism.KURA, Mechanism.SAMPLED})
"""Mechanisms run by the vectorised audit-market engine (:mod:`kura.sim.market`)."""


@dataclass(frozen=True)
class SabotageConfig:
    """One sabotage experiment.

    ``tasks`` are split evenly over ``replicas`` independent populations of
    ``workers`` each (the engine mechanisms run the replicas side by side as
    numpy arrays; the voting mechanisms one after the other).

    Raises:
        SimulationError: if the parameters are impossible.
    """

    mechanism: Mechanism = Mechanism.CREDIBILITY
    strategy: Strategy = Strategy.COLLUDE
    f: float = 0.2
    sabotage_rate: float = 1.0
    collude: bool | None = None
    """Whether wrong answers agree; default: yes for ``collude`` and ``patient``."""
    workers: int = 200
    tasks: int = 10_000
    replicas: int = 1
    replication: int = 2
    """m of m-first majority voting."""
    spot_check_rate: float = 0.1
    """Sarmenta's spot-check rate q (``credibility``)."""
    acceptable_error: float = 1e-4
    """``1 - theta`` of every credibility decision."""
    blacklisting: bool | None = None
    """Use Sarmenta's with-blacklisting credibility bound; default: only for ``credibility``
    (which blacklists caught saboteurs). ``True`` under ``kura`` reproduces issue 14's
    finding: the bound of a scheme kura does not run."""
    assumed_f: float | None = None
    """The f the credibility formulas use. Default: the true f, except under ``kura`` and ``sampled``,
    where the voters are the audit pool and caught cheaters are demoted into it while honest nodes keep
    their compute slots, so the saboteurs' share of the voters can reach ``f * workers / auditor_pool``
    (:attr:`pool_f`): that bound is the default there."""
    auditors: int = 2
    """Auditors drawn per round (``kura``, ``sampled``)."""
    rounds: int = 15
    """Most audit rounds per task before it ends undecided (``auditors * rounds <= 31``)."""
    compute_fraction: float = 0.2
    """Share of the workers that hold a compute slot (``kura``, ``sampled``)."""
    promotion_bar: int = 10
    """Passed checks an auditor needs before it may take a free compute slot."""
    patience: int | None = None
    """Passed checks after which a ``patient`` auditor (or, under ``credibility``, any
    worker) starts lying; default: :func:`kura.compute.credibility.collusion_bar`, the
    worst count for the mechanism."""
    q_min: float = 1 / 128
    """``sampled``: the floor of the audit probability."""
    full_record: int = 10
    """``sampled``: a compute node is audited on every task until its record reaches this."""
    half_life: int = 40
    """``sampled``: passed audits per halving of the audit probability."""
    challenge_window: int = 2000
    """``sampled``: an un-audited result stays provisional until its node has run this many more
    tasks: its payment is held, and it is re-audited if its node is caught meanwhile."""
    clean_run: int = 16
    """``sampled``: a caught node's provisional results are re-audited newest first until this many
    in a row confirm it (0: all of them). A continuous cheater's wrong results sit just before
    its catch, so the first clean run marks where its cheating began."""
    trust_after: int = 10
    """``boinc``: consecutive valid results after which a host is trusted."""
    replicate_rate: float = 0.05
    """``boinc``: share of a trusted host's tasks still replicated."""
    reward: float = 1.0
    compute_cost: float = 0.5
    audit_fee: float = 1.0
    """Paid to each auditor that agrees with an accepted answer (``kura``, ``sampled``)."""
    stake: float = 150.0
    """Slashed from a caught compute node (``kura``, ``sampled``)."""
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.f <= 0.5:
            raise SimulationError(f"the saboteur fraction f must be in [0, 0.5], got {self.f}")
        if not 0.0 <= self.sabotage_rate <= 1.0 or not 0.0 <= self.spot_check_rate < 1.0:
            raise SimulationError("sabotage_rate must be in [0, 1] and spot_check_rate in [0, 1)")
        if not 0.0 < self.acceptable_error < 0.5:
            raise SimulationError(f"acceptable_error must be in (0, 1/2), got {self.acceptable_error}")
        if self.workers < 2 * MAX_RESULTS or self.tasks < 1 or not 1 <= self.replication <= MAX_RESULTS // 2:
            raise SimulationError(
                f"need at least {2 * MAX_RESULTS} workers, one task and replication in [1, {MAX_RESULTS // 2}]"
            )
        if self.replicas < 1 or self.tasks % self.replicas:
            raise SimulationError(f"tasks ({self.tasks}) must split evenly over replicas ({self.replicas})")
        if self.auditors < 1 or self.rounds < 1 or self.auditors * self.rounds >= MAX_RESULTS:
            raise SimulationError(f"need auditors >= 1, rounds >= 1 and auditors * rounds < {MAX_RESULTS}")
        if not 0.0 < self.compute_fraction < 1.0:
            raise SimulationError(f"compute_fraction must be in (0, 1), got {self.compute_fraction}")
        if self.mechanism in (Mechanism.KURA, Mechanism.SAMPLED) and self.auditor_pool <= MAX_RESULTS:
            raise SimulationError(
                f"only {self.auditor_pool} auditors outside the compute slots: need more than {MAX_RESULTS} "
                "(raise workers or lower compute_fraction)"
            )
        audit_market = self.mechanism in (Mechanism.KURA, Mechanism.SAMPLED)
        if audit_market and self.credibility_f >= 0.5:
            raise SimulationError(
                f"saboteurs could be {self.credibility_f:.2f} of the audit pool: no vote can be trusted "
                "(lower f or compute_fraction)"
            )
        if (
            audit_market
            and self.credibility_f > 0.0
            and self.auditors * self.rounds < fresh_quorum(self.credibility_f, self.theta)
        ):
            raise SimulationError(
                f"{self.auditors * self.rounds} auditors per task can never decide: "
                f"{fresh_quorum(self.credibility_f, self.theta)} agreeing fresh auditors are needed to reach "
                f"theta = {self.theta} at f = {self.credibility_f} (raise rounds or acceptable_error)"
            )
        if not 0.0 < self.q_min <= 1.0 or self.full_record < 0 or self.half_life < 1 or self.challenge_window < 0:
            raise SimulationError("need q_min in (0, 1], full_record >= 0, half_life >= 1 and challenge_window >= 0")
        if self.clean_run < 0 or self.trust_after < 0 or not 0.0 <= self.replicate_rate <= 1.0:
            raise SimulationError("need clean_run >= 0, trust_after >= 0 and replicate_rate in [0, 1]")
        if min(self.reward, self.compute_cost, self.audit_fee, self.stake) < 0 or self.promotion_bar < 0:
            raise SimulationError("money amounts and the promotion bar must be >= 0")

    @property
    def theta(self) -> float:
        """The acceptance threshold ``1 - acceptable_error``."""
        return 1.0 - self.acceptable_error

    @property
    def colluding(self) -> bool:
        """Whether saboteurs' wrong answers agree."""
        if self.collude is not None:
            return self.collude
        return self.strategy in (Strategy.COLLUDE, Strategy.PATIENT)

    @property
    def credibility_f(self) -> float:
        """The saboteur fraction the credibility formulas assume (see :attr:`assumed_f`)."""
        if self.assumed_f is not None:
            return self.assumed_f
        return self.pool_f if self.mechanism in (Mechanism.KURA, Mechanism.SAMPLED) else self.f

    @property
    def pool_f(self) -> float:
        """The most the saboteurs can be of the audit pool: all of them there, honest nodes in every slot."""
        return min(1.0, round(self.f * self.workers) / self.auditor_pool)

    @property
    def uses_blacklisting_bound(self) -> bool:
        """Whether credibilities use Sarmenta's with-blacklisting bound."""
        if self.blacklisting is not None:
            return self.blacklisting
        return self.mechanism is Mechanism.CREDIBILITY

    @property
    def trust_bar(self) -> int:
        """Passed checks after which a ``patient`` auditor lies (see :attr:`patience`)."""
        if self.patience is not None:
            return self.patience
        return collusion_bar(self.credibility_f, self.theta, blacklisting=self.uses_blacklisting_bound)

    @property
    def floor_record(self) -> int:
        """``sampled``: the record at which a node is audited only at ``q_min``."""
        return floor_record(self.q_min, self.full_record, self.half_life)

    @property
    def compute_slots(self) -> int:
        """Compute slots per replica (``kura``, ``sampled``)."""
        return max(1, round(self.compute_fraction * self.workers))

    @property
    def auditor_pool(self) -> int:
        """Workers outside the compute slots."""
        return self.workers - self.compute_slots

    @property
    def tasks_per_replica(self) -> int:
        """Tasks each replica runs."""
        return self.tasks // self.replicas
