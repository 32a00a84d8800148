// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IInstitutionRegistry
/// @notice Types, events, errors and functions of kura's consortium of medical institutions: who may
/// sell and buy data, with which account, sealing key and payout address, and under which
/// de-identification policy. Every other market contract authorises an institution through
/// `accountOf` / `memberIdOf`, so a moved identity (see `proposeAccountChange`) is honoured everywhere.
interface IInstitutionRegistry {
    /// @notice Where an institution stands. `None` means no such id.
    /// None → (applyForMembership) Applicant → (Admit motion) Member → (Expel motion) Expelled;
    /// Applicant → (withdrawApplication) Withdrawn; founding members start as Member.
    enum Standing {
        None,
        Applicant,
        Member,
        Expelled,
        Withdrawn
    }

    /// @notice What a motion does once a majority of the current members approved it.
    enum MotionKind {
        Admit,
        Expel,
        SetPolicy
    }

    /// @notice The consortium's de-identification policy.
    /// @param minK Smallest k (k-anonymity) a listed dataset's certificate may declare (at least 2).
    /// @param minL Smallest ℓ (ℓ-diversity of the sensitive attribute) a certificate may declare (at least 1).
    /// @param minCellCount Smallest count any released aggregate cell may hold (compute-to-data outputs).
    struct Policy {
        uint8 minK;
        uint8 minL;
        uint32 minCellCount;
    }

    /// @notice An institution as the registry records it.
    /// @param account The one account that acts for it (its Ethereum key is also its sealing key).
    /// @param standing Applicant, Member, Expelled or Withdrawn.
    /// @param since Timestamp of its application (or founding), then of its admission.
    /// @param payout Where every payment owed to it is credited (pulled with `withdrawPayments`).
    /// @param pendingAccount The account it proposed to move to (zero when none).
    /// @param pendingUntil Last timestamp at which `pendingAccount` may accept (zero when none).
    /// @param sealingKey secp256k1 public key (x, y) of `account`: data is sealed to it.
    /// @param name Human-readable name.
    struct Institution {
        address account;
        Standing standing;
        uint64 since;
        address payout;
        address pendingAccount;
        uint64 pendingUntil;
        bytes32[2] sealingKey;
        string name;
    }

    /// @notice A proposal the members vote on.
    /// @param kind What it does.
    /// @param executed True once it passed and took effect.
    /// @param subject The institution it admits or expels (0 for SetPolicy).
    /// @param expiresAt Last timestamp at which it can still pass.
    /// @param policy The policy it sets (SetPolicy only).
    /// @param approvers Ids of the institutions that approved it, in order.
    struct Motion {
        MotionKind kind;
        bool executed;
        uint32 subject;
        uint64 expiresAt;
        Policy policy;
        uint32[] approvers;
    }

    /// @notice The deployer seeded founding member `id` (before founding closed).
    /// @param id The new institution's id.
    /// @param account The account that acts for it.
    /// @param payout Where its payments are credited.
    /// @param sealingKey The secp256k1 public key (x, y) of `account`.
    /// @param name Its name.
    event InstitutionFounded(
        uint32 indexed id, address indexed account, address payout, bytes32[2] sealingKey, string name
    );
    /// @notice The deployer closed founding; from now on only the members admit and expel.
    /// @param members How many founding members the consortium starts with.
    event FoundingClosed(uint256 members);
    /// @notice `account` applied for membership as institution `id`; motion `motionId` admits it.
    /// @param id The applicant's new institution id.
    /// @param account The account that applied and will act for it.
    /// @param payout Where its payments will be credited.
    /// @param sealingKey The secp256k1 public key (x, y) of `account`.
    /// @param name Its name.
    /// @param motionId The Admit motion the members vote on.
    event InstitutionApplied(
        uint32 indexed id, address indexed account, address payout, bytes32[2] sealingKey, string name, uint256 motionId
    );
    /// @notice Applicant `id` withdrew its application.
    /// @param id The former applicant.
    event ApplicationWithdrawn(uint32 indexed id);
    /// @notice Motion `motionId` of `kind` about `subject` was opened, open until `expiresAt`.
    /// @param motionId The new motion.
    /// @param kind What it does once passed.
    /// @param subject The institution it admits or expels (0 for SetPolicy).
    /// @param policy The policy it sets (SetPolicy only; zeros otherwise).
    /// @param expiresAt Last timestamp at which it can still pass.
    event MotionProposed(
        uint256 indexed motionId, MotionKind kind, uint32 indexed subject, Policy policy, uint64 expiresAt
    );
    /// @notice Member `member` approved motion `motionId`; `approvals` current members approve it now.
    /// @param motionId The motion.
    /// @param member The approving institution.
    /// @param approvals Current members that approve it, this approval included.
    /// @param members Members now (the motion passes once `approvals` is more than half of it).
    event MotionApproved(uint256 indexed motionId, uint32 indexed member, uint256 approvals, uint256 members);
    /// @notice Motion `motionId` reached a majority and took effect.
    /// @param motionId The motion.
    event MotionExecuted(uint256 indexed motionId);
    /// @notice Institution `id` became a member.
    /// @param id The new member.
    /// @param account The account that acts for it.
    event InstitutionAdmitted(uint32 indexed id, address indexed account);
    /// @notice Member `id` was expelled.
    /// @param id The former member.
    /// @param account The account that acted for it.
    event InstitutionExpelled(uint32 indexed id, address indexed account);
    /// @notice The consortium's policy is now `policy`.
    /// @param policy The policy in force from now on.
    event PolicyChanged(Policy policy);
    /// @notice Member `id` proposed to move to `newAccount` (which must accept by `expiresAt`).
    /// @param id The member.
    /// @param oldAccount Its current account, which proposed the move.
    /// @param newAccount The account it proposes to move to (zero: the proposal is cancelled).
    /// @param expiresAt Last timestamp at which `newAccount` may accept (zero when cancelled).
    event AccountChangeProposed(
        uint32 indexed id, address indexed oldAccount, address indexed newAccount, uint64 expiresAt
    );
    /// @notice Member `id` now acts through `newAccount` with `sealingKey`; `oldAccount` can do nothing more.
    /// @param id The member.
    /// @param oldAccount The account it acted through until now.
    /// @param newAccount The account it acts through from now on.
    /// @param sealingKey The secp256k1 public key (x, y) of `newAccount`.
    event AccountChanged(
        uint32 indexed id, address indexed oldAccount, address indexed newAccount, bytes32[2] sealingKey
    );
    /// @notice Member `id` now receives its payments at `payout`.
    /// @param id The member.
    /// @param payout Where its payments are credited from now on.
    event PayoutChanged(uint32 indexed id, address payout);

    /// @notice Only the deployer may seed founding members or close founding, not `caller`.
    error NotFounder(address caller);
    /// @notice Founding is closed: members are admitted by a majority vote now.
    error FoundingClosedAlready();
    /// @notice Founding is still open (the deployer could still add members): the consortium is not yet
    /// self-governing, so no motion may open and no member may act in the market.
    error FoundingStillOpen();
    /// @notice `key` is not the secp256k1 public key of `account` (keccak256(key) must end with the address).
    error SealingKeyMismatch(address account, bytes32[2] key);
    /// @notice `account` already acts for institution `id` (as a member or an applicant).
    error AccountTaken(address account, uint32 id);
    /// @notice A payout address of zero would burn payments.
    error ZeroPayout();
    /// @notice An institution needs a name.
    error EmptyName();
    /// @notice The registry holds `members` members, its maximum.
    error TooManyMembers(uint256 members);
    /// @notice No institution has id `id`.
    error UnknownInstitution(uint32 id);
    /// @notice Institution `id` is `standing`, which does not allow this.
    error WrongStanding(uint32 id, Standing standing);
    /// @notice `account` is not the current account of any member institution.
    error NotMemberAccount(address account);
    /// @notice No motion has id `motionId`.
    error UnknownMotion(uint256 motionId);
    /// @notice Motion `motionId` already took effect.
    error MotionAlreadyExecuted(uint256 motionId);
    /// @notice Motion `motionId` expired at `expiresAt` without a majority.
    error MotionExpired(uint256 motionId, uint64 expiresAt);
    /// @notice Member `member` already approved motion `motionId`.
    error AlreadyApproved(uint256 motionId, uint32 member);
    /// @notice The last member cannot be expelled: the consortium would have nobody to admit anyone.
    error LastMember(uint32 id);
    /// @notice `policy` is unusable (k below 2, ℓ or the minimum cell count below 1).
    error BadPolicy(Policy policy);
    /// @notice `caller` is not the account institution `id` proposed to move to.
    error NotPendingAccount(uint32 id, address caller);
    /// @notice Institution `id`'s proposal to move expired at `expiresAt`: its current account proposes again.
    error AccountChangeExpired(uint32 id, uint64 expiresAt);
    /// @notice Founding cannot close without a single member: nobody could ever admit anyone.
    error NoFounders();

    /// @notice Seed a founding member (the deployer only, while founding is open).
    /// @param account The institution's account; `sealingKey` must be its public key.
    /// @param payout Where its payments are credited.
    /// @param sealingKey The secp256k1 public key (x, y) of `account`.
    /// @param name Its name.
    /// @return id The new institution's id.
    function found(address account, address payout, bytes32[2] calldata sealingKey, string calldata name)
        external
        returns (uint32 id);

    /// @notice End founding for good (the deployer only): from now on only majority votes admit and expel.
    function closeFounding() external;

    /// @notice Apply for membership with the caller as the institution's account; opens an Admit motion.
    /// @param payout Where its payments will be credited.
    /// @param sealingKey The caller's own secp256k1 public key (x, y).
    /// @param name Its name.
    /// @return id The applicant's institution id.
    /// @return motionId The Admit motion the members vote on.
    function applyForMembership(address payout, bytes32[2] calldata sealingKey, string calldata name)
        external
        returns (uint32 id, uint256 motionId);

    /// @notice Withdraw the caller's pending application (frees its account).
    function withdrawApplication() external;

    /// @notice Propose to admit applicant `id` again (after its first motion expired); counts as the caller's
    /// approval.
    /// @param id The applicant.
    /// @return motionId The new motion.
    function proposeAdmission(uint32 id) external returns (uint256 motionId);

    /// @notice Propose to expel member `id`; counts as the caller's approval.
    /// @param id The member to expel.
    /// @return motionId The new motion.
    function proposeExpulsion(uint32 id) external returns (uint256 motionId);

    /// @notice Propose a new de-identification policy; counts as the caller's approval.
    /// @param policy The policy to set (k at least 2, ℓ and the minimum cell count at least 1).
    /// @return motionId The new motion.
    function proposePolicy(Policy calldata policy) external returns (uint256 motionId);

    /// @notice Approve motion `motionId` as the caller's institution; it takes effect as soon as a strict
    /// majority of the current members approve it before it expires.
    /// @param motionId The motion.
    function approve(uint256 motionId) external;

    /// @notice Start moving the caller's institution to `newAccount`, which must accept within `motionLifetime`
    /// seconds. A new proposal replaces an earlier one; zero cancels it.
    /// @param newAccount The account to move to (one that acts for no institution), or zero.
    function proposeAccountChange(address newAccount) external;

    /// @notice Accept the move proposed for institution `id`, as the new account, naming its public key.
    /// From now on the old account can do nothing for `id` anywhere in the market; if `id` was paid at the
    /// old account, it is paid at the new one (`PayoutChanged`).
    /// @param id The member that proposed the move to the caller.
    /// @param sealingKey The caller's own secp256k1 public key (x, y).
    function acceptAccountChange(uint32 id, bytes32[2] calldata sealingKey) external;

    /// @notice Credit the caller's institution's future payments to `payout`.
    /// @param payout The new payout address (not zero).
    function setPayout(address payout) external;

    /// @notice The institution `id`.
    /// @param id The institution (any standing but None).
    /// @return institution Everything the registry records about it.
    function institutionOf(uint32 id) external view returns (Institution memory institution);

    /// @notice The current account of institution `id` (any standing but None).
    /// @param id The institution.
    /// @return account The one account that acts for it.
    function accountOf(uint32 id) external view returns (address account);

    /// @notice The payout address of institution `id`.
    /// @param id The institution (any standing but None).
    /// @return payout Where its payments are credited.
    function payoutOf(uint32 id) external view returns (address payout);

    /// @notice True iff `id` is a member now.
    /// @param id The institution.
    /// @return member Whether it is a member (false for an unknown id).
    function isMember(uint32 id) external view returns (bool member);

    /// @notice The id of the member institution whose current account is `account`; reverts unless there
    /// is one and founding is closed.
    /// @param account The account.
    /// @return id The member it acts for.
    function memberIdOf(address account) external view returns (uint32 id);

    /// @notice The consortium's de-identification policy.
    /// @return current The policy in force.
    function policy() external view returns (Policy memory current);

    /// @notice The motion `motionId`.
    /// @param motionId The motion.
    /// @return motion Its kind, subject, policy, expiry, approvers and whether it took effect.
    function motionOf(uint256 motionId) external view returns (Motion memory motion);

    /// @notice How many current members approve motion `motionId`.
    /// @param motionId The motion.
    /// @return approvals Approvers that are members now (an expelled approver no longer counts).
    function approvalsOf(uint256 motionId) external view returns (uint256 approvals);
}
