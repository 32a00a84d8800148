"""Typed client for the ``SampledAudits`` contract: audit probabilities, held rewards of unaudited results, and the
re-audits that follow a catch (docs/trust-layer.md, section 3)."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.params import SampledAuditsParams
from kura.chain.pull_payments import PullPaymentsClient


@dataclass(frozen=True)
class Ledger:
    """A worker's held results (see ``ISampledAudits.Ledger``).

    Attributes:
        head: Index of its oldest held entry.
        tail: Index its next entry takes.
        reauditing: Re-audits started and not closed yet.
        clean_run: Re-audits in a row that confirmed it since its catch.
        caught: True until its catch is processed (it claims no task meanwhile).
        forfeit: True if the catch was slashed: every held reward goes back to its requester.
        caught_at: Block of its last catch (0 if never caught): a result of a task claimed by then and revealed later
            is held for re-audit too.
        slashed_at: Whether that last catch was slashed.
    """

    head: int
    tail: int
    reauditing: int
    clean_run: int
    caught: bool
    forfeit: bool
    caught_at: int
    slashed_at: bool

    @property
    def held(self) -> int:
        """Provisional results held."""
        return self.tail - self.head


@dataclass(frozen=True)
class HeldEntry:
    """One held result (``ISampledAudits.Entry``): its task, when it may be released, and its reward."""

    task_id: int
    final_at: int
    reward: int


class SampledAuditsClient(PullPaymentsClient):
    """Calls to the deployed ``SampledAudits``; reverts surface as ``ContractRevertError``."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("SampledAudits", deployment.address("SampledAudits"))
        self.first_block = deployment.contracts["SampledAudits"].block
        """The block the ledger was deployed in (where its event scans start)."""
        self._terms: SampledAuditsParams | None = None

    def reaudit(self, worker: str, count: int, *, sender: LocalAccount) -> TxReceipt:
        """Process up to ``count`` of a caught ``worker``'s held results, newest first (anyone).

        Raises:
            ContractRevertError: ``NothingToReaudit``.
        """
        return self.chain.transact(self.contract.functions.reaudit(worker, count), sender=sender)

    def release(self, worker: str, count: int, *, sender: LocalAccount) -> TxReceipt:
        """Make final up to ``count`` of ``worker``'s held results whose hold time has passed (anyone).

        Raises:
            ContractRevertError: ``NothingToRelease``.
        """
        return self.chain.transact(self.contract.functions.release(worker, count), sender=sender)

    def ledger_of(self, worker: str) -> Ledger:
        """``worker``'s ledger."""
        return Ledger(*self.chain.call(self.contract.functions.ledgerOf(worker)))

    def entry_at(self, worker: str, index: int) -> HeldEntry:
        """``worker``'s held entry ``index`` (all zero once it is no longer held)."""
        return HeldEntry(*self.chain.call(self.contract.functions.entryAt(worker, index)))

    def audit_probability_of(self, worker: str) -> int:
        """The chance (WAD) that a task ``worker`` claims now is audited."""
        return int(self.chain.call(self.contract.functions.auditProbabilityOf(worker)))

    def caught_workers(self, from_block: int, to_block: int) -> list[str]:
        """Workers caught holding results between the two blocks (``ReauditsDue`` events), in chain order."""
        logs = self.contract.events.ReauditsDue().get_logs(from_block=from_block, to_block=to_block)
        return list(dict.fromkeys(log.args.worker for log in logs))

    def reaudits_started(self, from_block: int, to_block: int) -> list[int]:
        """Tasks reopened for a re-audit between the two blocks (``ReauditStarted`` events)."""
        logs = self.contract.events.ReauditStarted().get_logs(from_block=from_block, to_block=to_block)
        return [int(log.args.taskId) for log in logs]

    def params(self) -> SampledAuditsParams:
        """The sampling terms (read once: they are immutable)."""
        if self._terms is None:
            self._terms = SampledAuditsParams(*self.chain.call(self.contract.functions.terms()))
        return self._terms
