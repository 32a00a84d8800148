// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInstitutionRegistry} from "./interfaces/IInstitutionRegistry.sol";
import {IKuraErrors} from "./interfaces/IKuraErrors.sol";

/// @title InstitutionRegistry
/// @notice The consortium of medical institutions that trade data through kura: each member has an id,
/// a name, one account that acts for it, a sealing public key (the account's own secp256k1 key, so data
/// sealed to an institution needs no second key pair), and a payout address that every payment owed to
/// it is credited to.
///
/// Trust assumption. The consortium decides membership, not an operator: once founding is closed, an
/// applicant is admitted, a member expelled or the policy changed only when a strict majority of the
/// current members approve the motion before it expires. Approvals are counted over the institutions
/// that are members when the count is taken, so an expelled member's earlier approvals stop counting.
/// A majority of colluding members can admit whom they like; nothing on chain can prevent that.
///
/// Founding. The deployer seeds the founding members (`found`) and then closes founding for good. While
/// founding is open the deployer could add members at will, so the registry refuses every motion and
/// `memberIdOf` (which every market contract authorises through) refuses to name a member: nobody
/// trades in a consortium one operator still controls. Founding cannot close without a member.
///
/// Policy. The de-identification policy (minimum k and ℓ of a listed dataset's certificate, minimum cell
/// count of released aggregates) is registry-wide, so no seller can lower the bar for its own listings;
/// the DataMarket checks it at listing and again at every sale.
///
/// Public key change (two steps). A member's current account proposes a new account; the new account
/// accepts, naming its public key, which proves it holds that key (it signed the transaction, and the
/// key must hash to its address). From then on the institution's id maps to the new account only: the
/// old account is no member account anywhere, and the other market contracts authorise through
/// `accountOf(id)` / `memberIdOf(account)`, so it can do nothing there either. An institution paid at its
/// own account is paid at the new account from then on (payments follow the key, or a retired or stolen
/// key would keep collecting them); one paid at a separate payout address keeps it (the new account may
/// move it with `setPayout`). A proposal names one account and lasts `motionLifetime` seconds: a new
/// proposal replaces it, zero cancels it, acceptance uses it up, an expulsion drops it, and a forgotten one
/// expires, so no old proposal can be accepted later.
contract InstitutionRegistry is IInstitutionRegistry {
    /// @notice Most members the consortium holds (bounds the approval count's loop).
    uint256 public constant MAX_MEMBERS = 64;

    /// @notice The account that seeds founding members and closes founding.
    address public immutable deployer;
    /// @notice Seconds a motion stays open for approvals (and a proposed account change for acceptance).
    uint64 public immutable motionLifetime;
    /// @notice True until the deployer closes founding.
    bool public foundingOpen = true;
    /// @notice Members now.
    uint32 public memberCount;
    /// @notice Institutions (of any standing) ever created; ids run from 1.
    uint32 public institutionCount;
    /// @notice Motions ever opened; ids run from 1.
    uint256 public motionCount;

    Policy private _policy;
    mapping(uint32 id => Institution institution) private _institutions;
    mapping(address account => uint32 id) private _idOf;
    mapping(uint256 motionId => Motion motion) private _motions;
    mapping(uint256 motionId => mapping(uint32 member => bool approved)) private _approved;

    /// @notice Deploy with the consortium's first policy; the deployer then seeds the founding members.
    /// @param policy_ The initial de-identification policy (see `Policy`).
    /// @param motionLifetime_ See `motionLifetime` (> 0).
    constructor(Policy memory policy_, uint64 motionLifetime_) {
        if (motionLifetime_ == 0) revert IKuraErrors.BadParameter("motionLifetime");
        _checkPolicy(policy_);
        deployer = msg.sender;
        motionLifetime = motionLifetime_;
        _policy = policy_;
        emit PolicyChanged(policy_);
    }

    // ------------------------------------------------------------------ founding

    /// @inheritdoc IInstitutionRegistry
    function found(address account, address payout, bytes32[2] calldata sealingKey, string calldata name)
        external
        returns (uint32 id)
    {
        _onlyFounder();
        if (memberCount >= MAX_MEMBERS) revert TooManyMembers(memberCount);
        id = _create(account, payout, sealingKey, name, Standing.Member);
        ++memberCount;
        emit InstitutionFounded(id, account, payout, sealingKey, name);
    }

    /// @inheritdoc IInstitutionRegistry
    function closeFounding() external {
        _onlyFounder();
        if (memberCount == 0) revert NoFounders();
        foundingOpen = false;
        emit FoundingClosed(memberCount);
    }

    // ------------------------------------------------------------------ applications and motions

    /// @inheritdoc IInstitutionRegistry
    function applyForMembership(address payout, bytes32[2] calldata sealingKey, string calldata name)
        external
        returns (uint32 id, uint256 motionId)
    {
        if (foundingOpen) revert FoundingStillOpen();
        id = _create(msg.sender, payout, sealingKey, name, Standing.Applicant);
        motionId = _open(MotionKind.Admit, id, Policy(0, 0, 0));
        emit InstitutionApplied(id, msg.sender, payout, sealingKey, name, motionId);
    }

    /// @inheritdoc IInstitutionRegistry
    function withdrawApplication() external {
        uint32 id = _idOf[msg.sender];
        Institution storage inst = _known(id);
        if (inst.standing != Standing.Applicant) revert WrongStanding(id, inst.standing);
        inst.standing = Standing.Withdrawn;
        delete _idOf[msg.sender];
        emit ApplicationWithdrawn(id);
    }

    /// @inheritdoc IInstitutionRegistry
    function proposeAdmission(uint32 id) external returns (uint256 motionId) {
        uint32 member = memberIdOf(msg.sender);
        _requireStanding(id, Standing.Applicant);
        motionId = _open(MotionKind.Admit, id, Policy(0, 0, 0));
        _approve(motionId, member);
    }

    /// @inheritdoc IInstitutionRegistry
    function proposeExpulsion(uint32 id) external returns (uint256 motionId) {
        uint32 member = memberIdOf(msg.sender);
        _requireStanding(id, Standing.Member);
        motionId = _open(MotionKind.Expel, id, Policy(0, 0, 0));
        _approve(motionId, member);
    }

    /// @inheritdoc IInstitutionRegistry
    function proposePolicy(Policy calldata policy_) external returns (uint256 motionId) {
        uint32 member = memberIdOf(msg.sender);
        _checkPolicy(policy_);
        motionId = _open(MotionKind.SetPolicy, 0, policy_);
        _approve(motionId, member);
    }

    /// @inheritdoc IInstitutionRegistry
    function approve(uint256 motionId) external {
        _approve(motionId, memberIdOf(msg.sender));
    }

    // ------------------------------------------------------------------ a member's own settings

    /// @inheritdoc IInstitutionRegistry
    function proposeAccountChange(address newAccount) external {
        uint32 id = memberIdOf(msg.sender);
        if (newAccount != address(0)) {
            uint32 holder = _idOf[newAccount];
            if (holder != 0) revert AccountTaken(newAccount, holder);
        }
        uint64 expiresAt = newAccount == address(0) ? 0 : uint64(block.timestamp) + motionLifetime;
        Institution storage inst = _institutions[id];
        inst.pendingAccount = newAccount;
        inst.pendingUntil = expiresAt;
        emit AccountChangeProposed(id, msg.sender, newAccount, expiresAt);
    }

    /// @inheritdoc IInstitutionRegistry
    function acceptAccountChange(uint32 id, bytes32[2] calldata sealingKey) external {
        Institution storage inst = _requireStanding(id, Standing.Member);
        if (msg.sender != inst.pendingAccount) revert NotPendingAccount(id, msg.sender);
        if (block.timestamp > inst.pendingUntil) revert AccountChangeExpired(id, inst.pendingUntil);
        _checkKey(msg.sender, sealingKey);
        uint32 holder = _idOf[msg.sender];
        if (holder != 0) revert AccountTaken(msg.sender, holder);
        address old = inst.account;
        delete _idOf[old];
        _idOf[msg.sender] = id;
        inst.account = msg.sender;
        inst.sealingKey = sealingKey;
        inst.pendingAccount = address(0);
        inst.pendingUntil = 0;
        emit AccountChanged(id, old, msg.sender, sealingKey);
        if (inst.payout == old) {
            inst.payout = msg.sender;
            emit PayoutChanged(id, msg.sender);
        }
    }

    /// @inheritdoc IInstitutionRegistry
    function setPayout(address payout) external {
        uint32 id = memberIdOf(msg.sender);
        if (payout == address(0)) revert ZeroPayout();
        _institutions[id].payout = payout;
        emit PayoutChanged(id, payout);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IInstitutionRegistry
    function institutionOf(uint32 id) external view returns (Institution memory) {
        return _known(id);
    }

    /// @inheritdoc IInstitutionRegistry
    function accountOf(uint32 id) external view returns (address) {
        return _known(id).account;
    }

    /// @inheritdoc IInstitutionRegistry
    function payoutOf(uint32 id) external view returns (address) {
        return _known(id).payout;
    }

    /// @inheritdoc IInstitutionRegistry
    function isMember(uint32 id) external view returns (bool) {
        return _institutions[id].standing == Standing.Member;
    }

    /// @inheritdoc IInstitutionRegistry
    function policy() external view returns (Policy memory) {
        return _policy;
    }

    /// @inheritdoc IInstitutionRegistry
    function motionOf(uint256 motionId) external view returns (Motion memory) {
        return _knownMotion(motionId);
    }

    /// @inheritdoc IInstitutionRegistry
    function approvalsOf(uint256 motionId) external view returns (uint256) {
        return _countApprovals(_knownMotion(motionId));
    }

    /// @inheritdoc IInstitutionRegistry
    function memberIdOf(address account) public view returns (uint32 id) {
        if (foundingOpen) revert FoundingStillOpen();
        id = _idOf[account];
        if (id == 0 || _institutions[id].standing != Standing.Member) revert NotMemberAccount(account);
    }

    // ------------------------------------------------------------------ internals

    function _create(
        address account,
        address payout,
        bytes32[2] calldata sealingKey,
        string calldata name,
        Standing standing
    ) private returns (uint32 id) {
        _checkKey(account, sealingKey);
        uint32 holder = _idOf[account];
        if (holder != 0) revert AccountTaken(account, holder);
        if (payout == address(0)) revert ZeroPayout();
        if (bytes(name).length == 0) revert EmptyName();
        id = ++institutionCount;
        _idOf[account] = id;
        Institution storage inst = _institutions[id];
        inst.account = account;
        inst.standing = standing;
        inst.since = uint64(block.timestamp);
        inst.payout = payout;
        inst.sealingKey = sealingKey;
        inst.name = name;
    }

    function _open(MotionKind kind, uint32 subject, Policy memory policy_) private returns (uint256 motionId) {
        motionId = ++motionCount;
        Motion storage motion = _motions[motionId];
        motion.kind = kind;
        motion.subject = subject;
        motion.policy = policy_;
        uint64 expiresAt = uint64(block.timestamp) + motionLifetime;
        motion.expiresAt = expiresAt;
        emit MotionProposed(motionId, kind, subject, policy_, expiresAt);
    }

    function _approve(uint256 motionId, uint32 member) private {
        Motion storage motion = _knownMotion(motionId);
        if (motion.executed) revert MotionAlreadyExecuted(motionId);
        if (block.timestamp > motion.expiresAt) revert MotionExpired(motionId, motion.expiresAt);
        if (_approved[motionId][member]) revert AlreadyApproved(motionId, member);
        if (motion.kind == MotionKind.Admit) _requireStanding(motion.subject, Standing.Applicant);
        if (motion.kind == MotionKind.Expel) _requireStanding(motion.subject, Standing.Member);
        _approved[motionId][member] = true;
        motion.approvers.push(member);
        uint256 approvals = _countApprovals(motion);
        emit MotionApproved(motionId, member, approvals, memberCount);
        if (approvals * 2 > memberCount) _execute(motionId, motion);
    }

    function _execute(uint256 motionId, Motion storage motion) private {
        motion.executed = true;
        uint32 subject = motion.subject;
        if (motion.kind == MotionKind.Admit) {
            if (memberCount >= MAX_MEMBERS) revert TooManyMembers(memberCount);
            Institution storage inst = _institutions[subject];
            inst.standing = Standing.Member;
            inst.since = uint64(block.timestamp);
            ++memberCount;
            emit InstitutionAdmitted(subject, inst.account);
        } else if (motion.kind == MotionKind.Expel) {
            if (memberCount == 1) revert LastMember(subject);
            Institution storage inst = _institutions[subject];
            inst.standing = Standing.Expelled;
            inst.pendingAccount = address(0);
            inst.pendingUntil = 0;
            --memberCount;
            emit InstitutionExpelled(subject, inst.account);
        } else {
            _policy = motion.policy;
            emit PolicyChanged(motion.policy);
        }
        emit MotionExecuted(motionId);
    }

    function _onlyFounder() private view {
        if (msg.sender != deployer) revert NotFounder(msg.sender);
        if (!foundingOpen) revert FoundingClosedAlready();
    }

    function _known(uint32 id) private view returns (Institution storage inst) {
        inst = _institutions[id];
        if (inst.standing == Standing.None) revert UnknownInstitution(id);
    }

    function _requireStanding(uint32 id, Standing standing) private view returns (Institution storage inst) {
        inst = _known(id);
        if (inst.standing != standing) revert WrongStanding(id, inst.standing);
    }

    function _knownMotion(uint256 motionId) private view returns (Motion storage motion) {
        if (motionId == 0 || motionId > motionCount) revert UnknownMotion(motionId);
        return _motions[motionId];
    }

    /// @dev Approvals by institutions that are members now (an expelled approver no longer counts).
    function _countApprovals(Motion storage motion) private view returns (uint256 approvals) {
        uint32[] storage approvers = motion.approvers;
        for (uint256 i = 0; i < approvers.length; ++i) {
            if (_institutions[approvers[i]].standing == Standing.Member) ++approvals;
        }
    }

    /// @dev An Ethereum address is the last 20 bytes of keccak256 of its raw 64-byte public key.
    function _checkKey(address account, bytes32[2] calldata key) private pure {
        if (address(uint160(uint256(keccak256(abi.encodePacked(key))))) != account) {
            revert SealingKeyMismatch(account, key);
        }
    }

    function _checkPolicy(Policy memory p) private pure {
        if (p.minK < 2 || p.minL < 1 || p.minCellCount < 1) revert BadPolicy(p);
    }
}
