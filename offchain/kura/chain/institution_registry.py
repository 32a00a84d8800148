"""Typed client for the ``InstitutionRegistry`` contract: the consortium of institutions, its votes and policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.receipts import first_emitted
from kura.compute.sealing import account_public_key
from kura.errors import ChainValueError


class Standing(IntEnum):
    """``IInstitutionRegistry.Standing``."""

    NONE = 0
    APPLICANT = 1
    MEMBER = 2
    EXPELLED = 3
    WITHDRAWN = 4


class MotionKind(IntEnum):
    """``IInstitutionRegistry.MotionKind``."""

    ADMIT = 0
    EXPEL = 1
    SET_POLICY = 2


@dataclass(frozen=True)
class Policy:
    """The consortium's de-identification policy (see ``IInstitutionRegistry.Policy``)."""

    min_k: int
    min_l: int
    min_cell_count: int

    def to_abi(self) -> tuple[int, int, int]:
        """The ``Policy`` struct as the contract takes it."""
        return self.min_k, self.min_l, self.min_cell_count


@dataclass(frozen=True)
class Institution:
    """An institution as the registry records it (see ``IInstitutionRegistry.Institution``)."""

    institution_id: int
    account: str
    standing: Standing
    since: int
    payout: str
    pending_account: str
    pending_until: int
    sealing_key: bytes
    name: str


@dataclass(frozen=True)
class Motion:
    """A motion the members vote on (see ``IInstitutionRegistry.Motion``)."""

    motion_id: int
    kind: MotionKind
    executed: bool
    subject: int
    expires_at: int
    policy: Policy
    approvers: tuple[int, ...]


@dataclass(frozen=True)
class Founder:
    """A founding member to seed: its account, sealing key (the account's public key), payout and name."""

    account: str
    sealing_key: bytes
    payout: str
    name: str

    @classmethod
    def of(cls, account: LocalAccount, name: str, payout: str | None = None) -> Founder:
        """The founder acting through ``account``, paid at ``payout`` (the account itself by default)."""
        return cls(account.address, account_public_key(account.key), payout or account.address, name)


def key_words(public_key: bytes) -> list[bytes]:
    """A raw 64-byte public key as the contracts' ``bytes32[2]``.

    Raises:
        ChainValueError: if it is not 64 bytes.
    """
    if len(public_key) != 64:
        raise ChainValueError(f"a public key is 64 raw bytes (x ‖ y), not {len(public_key)}")
    return [public_key[:32], public_key[32:]]


class InstitutionRegistryClient:
    """Calls to the deployed ``InstitutionRegistry``; reverts surface as ``ContractRevertError``."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("InstitutionRegistry", deployment.address("InstitutionRegistry"))

    # ---------------------------------------------------------------- founding

    def found(self, founder: Founder, *, deployer: LocalAccount) -> int:
        """Seed ``founder`` as a member (the deployer, while founding is open) and return its id.

        Raises:
            ContractRevertError: ``NotFounder``, ``FoundingClosedAlready``, ``SealingKeyMismatch``,
                ``AccountTaken``, ``ZeroPayout``, ``EmptyName`` or ``TooManyMembers``.
        """
        key = key_words(founder.sealing_key)
        call = self.contract.functions.found(founder.account, founder.payout, key, founder.name)
        receipt = self.chain.transact(call, sender=deployer)
        return int(first_emitted(self.contract, "InstitutionFounded", receipt)["id"])

    def close_founding(self, *, deployer: LocalAccount) -> TxReceipt:
        """End founding for good: from now on only the members admit, expel and set the policy.

        Raises:
            ContractRevertError: ``NotFounder``, ``FoundingClosedAlready`` or ``NoFounders``.
        """
        return self.chain.transact(self.contract.functions.closeFounding(), sender=deployer)

    def seed(self, founders: Sequence[Founder], *, deployer: LocalAccount) -> list[int]:
        """Seed every founder, then close founding; return their ids in order (how a demo starts a consortium).

        Raises:
            ContractRevertError: as :meth:`found` and :meth:`close_founding`.
        """
        ids = [self.found(founder, deployer=deployer) for founder in founders]
        self.close_founding(deployer=deployer)
        return ids

    # ---------------------------------------------------------------- applications and motions

    def apply(self, name: str, *, account: LocalAccount, payout: str | None = None) -> tuple[int, int]:
        """Apply for membership as ``account`` (its public key becomes the sealing key).

        Returns:
            The applicant's institution id and the Admit motion the members vote on.

        Raises:
            ContractRevertError: ``FoundingStillOpen``, ``AccountTaken``, ``ZeroPayout`` or ``EmptyName``.
        """
        key = key_words(account_public_key(account.key))
        call = self.contract.functions.applyForMembership(payout or account.address, key, name)
        args = first_emitted(self.contract, "InstitutionApplied", self.chain.transact(call, sender=account))
        return int(args["id"]), int(args["motionId"])

    def withdraw_application(self, *, account: LocalAccount) -> TxReceipt:
        """Withdraw ``account``'s pending application.

        Raises:
            ContractRevertError: ``UnknownInstitution`` or ``WrongStanding``.
        """
        return self.chain.transact(self.contract.functions.withdrawApplication(), sender=account)

    def propose_admission(self, institution_id: int, *, member: LocalAccount) -> int:
        """Open a new Admit motion for applicant ``institution_id`` (with ``member``'s approval); return its id.

        Raises:
            ContractRevertError: ``NotMemberAccount``, ``FoundingStillOpen`` or ``WrongStanding``.
        """
        return self._motion(self.contract.functions.proposeAdmission(institution_id), member)

    def propose_expulsion(self, institution_id: int, *, member: LocalAccount) -> int:
        """Open an Expel motion against member ``institution_id`` (with ``member``'s approval); return its id.

        Raises:
            ContractRevertError: ``NotMemberAccount``, ``WrongStanding`` or ``LastMember``.
        """
        return self._motion(self.contract.functions.proposeExpulsion(institution_id), member)

    def propose_policy(self, policy: Policy, *, member: LocalAccount) -> int:
        """Open a SetPolicy motion (with ``member``'s approval); return its id.

        Raises:
            ContractRevertError: ``NotMemberAccount`` or ``BadPolicy``.
        """
        return self._motion(self.contract.functions.proposePolicy(policy.to_abi()), member)

    def approve(self, motion_id: int, *, member: LocalAccount) -> TxReceipt:
        """Approve ``motion_id`` as ``member``'s institution (it takes effect on a strict majority).

        Raises:
            ContractRevertError: ``NotMemberAccount``, ``UnknownMotion``, ``MotionAlreadyExecuted``,
                ``MotionExpired``, ``AlreadyApproved``, ``WrongStanding``, ``LastMember`` or ``TooManyMembers``.
        """
        return self.chain.transact(self.contract.functions.approve(motion_id), sender=member)

    # ---------------------------------------------------------------- a member's own settings

    def propose_account_change(self, new_account: str, *, member: LocalAccount) -> TxReceipt:
        """Start moving ``member``'s institution to ``new_account``, which must accept within the registry's
        motion lifetime (the zero address cancels).

        Raises:
            ContractRevertError: ``NotMemberAccount`` or ``AccountTaken``.
        """
        return self.chain.transact(self.contract.functions.proposeAccountChange(new_account), sender=member)

    def accept_account_change(self, institution_id: int, *, new_account: LocalAccount) -> TxReceipt:
        """Accept the move of ``institution_id`` as ``new_account``; its public key becomes the sealing key.

        Raises:
            ContractRevertError: ``NotPendingAccount``, ``AccountChangeExpired``, ``WrongStanding`` or
                ``AccountTaken``.
        """
        key = key_words(account_public_key(new_account.key))
        call = self.contract.functions.acceptAccountChange(institution_id, key)
        return self.chain.transact(call, sender=new_account)

    def set_payout(self, payout: str, *, member: LocalAccount) -> TxReceipt:
        """Credit ``member``'s institution's future payments to ``payout``.

        Raises:
            ContractRevertError: ``NotMemberAccount`` or ``ZeroPayout``.
        """
        return self.chain.transact(self.contract.functions.setPayout(payout), sender=member)

    # ---------------------------------------------------------------- views

    def institution_of(self, institution_id: int) -> Institution:
        """The record of ``institution_id``.

        Raises:
            ContractRevertError: ``UnknownInstitution``.
        """
        account, standing, since, payout, pending, until, key, name = self.chain.call(
            self.contract.functions.institutionOf(institution_id)
        )
        return Institution(
            institution_id,
            account,
            Standing(standing),
            since,
            payout,
            pending,
            until,
            bytes(key[0]) + bytes(key[1]),
            name,
        )

    def account_of(self, institution_id: int) -> str:
        """The current account of ``institution_id``."""
        return str(self.chain.call(self.contract.functions.accountOf(institution_id)))

    def payout_of(self, institution_id: int) -> str:
        """Where ``institution_id``'s payments are credited."""
        return str(self.chain.call(self.contract.functions.payoutOf(institution_id)))

    def is_member(self, institution_id: int) -> bool:
        """True iff ``institution_id`` is a member now."""
        return bool(self.chain.call(self.contract.functions.isMember(institution_id)))

    def member_id_of(self, account: str) -> int:
        """The id of the member acting through ``account``.

        Raises:
            ContractRevertError: ``NotMemberAccount`` or ``FoundingStillOpen``.
        """
        return int(self.chain.call(self.contract.functions.memberIdOf(account)))

    def policy(self) -> Policy:
        """The consortium's de-identification policy."""
        return Policy(*self.chain.call(self.contract.functions.policy()))

    def motion_of(self, motion_id: int) -> Motion:
        """The motion ``motion_id``.

        Raises:
            ContractRevertError: ``UnknownMotion``.
        """
        kind, executed, subject, expires_at, policy, approvers = self.chain.call(
            self.contract.functions.motionOf(motion_id)
        )
        return Motion(motion_id, MotionKind(kind), executed, subject, expires_at, Policy(*policy), tuple(approvers))

    def approvals_of(self, motion_id: int) -> int:
        """How many current members approve ``motion_id``."""
        return int(self.chain.call(self.contract.functions.approvalsOf(motion_id)))

    def founding_open(self) -> bool:
        """True until the deployer closed founding."""
        return bool(self.chain.call(self.contract.functions.foundingOpen()))

    def member_count(self) -> int:
        """Members now."""
        return int(self.chain.call(self.contract.functions.memberCount()))

    def _motion(self, call: ContractFunction, member: LocalAccount) -> int:
        receipt = self.chain.transact(call, sender=member)
        return int(first_emitted(self.contract, "MotionProposed", receipt)["motionId"])
