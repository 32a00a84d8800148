// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title INodeRegistry
/// @notice The trust layer shared by kura's storage and compute halves: every node stakes ETH,
/// carries a status, a storage reputation and a compute role with its credibility record, and can
/// be slashed — always with a reason recorded on chain — by the contracts allowed to judge it.
interface INodeRegistry {
    /// @notice Lifecycle of a node. `None` means never registered.
    enum NodeStatus {
        None,
        Active,
        Jailed,
        Exiting,
        Exited
    }

    /// @notice Compute role (source design 2): newcomers are strays, strays audit, trusted auditors compute.
    enum Role {
        Stray,
        Auditor,
        Compute
    }

    /// @notice Everything the chain keeps about a node.
    /// @param stake Bonded wei.
    /// @param status Lifecycle state.
    /// @param role Compute role.
    /// @param reputation Storage reputation: +1 per passed audit, -penalty per failed one (floored at 0).
    /// @param failures Consecutive failed storage audits (reset by a pass); jailing threshold applies.
    /// @param passed Compute spot-checks passed (Sarmenta's q), the input of the credibility formula.
    /// @param exitAt Timestamp from which the stake can be withdrawn after `announceExit`.
    /// @param peerId The node's libp2p peer id (Kubo).
    /// @param endpoint Where the node's storage API or multiaddr is reachable.
    struct Node {
        uint128 stake;
        NodeStatus status;
        Role role;
        uint32 reputation;
        uint16 failures;
        uint32 passed;
        uint64 exitAt;
        string peerId;
        string endpoint;
    }

    /// @notice A node registered with `stake` wei.
    event NodeRegistered(address indexed node, string peerId, string endpoint, uint256 stake);
    /// @notice A node added stake.
    event StakeAdded(address indexed node, uint256 amount, uint256 total);
    /// @notice A node asked to leave; its stake unlocks at `exitAt`.
    event ExitAnnounced(address indexed node, uint64 exitAt);
    /// @notice A node left and its remaining stake was credited for withdrawal.
    event NodeExited(address indexed node, uint256 stakeReturned);
    /// @notice A node lost `amount` wei of stake to the repair pool, and why.
    event NodeSlashed(address indexed node, uint256 amount, bytes32 indexed reason, bytes32 ref);
    /// @notice A node was jailed (excluded from new placements and tasks).
    event NodeJailed(address indexed node, bytes32 indexed reason);
    /// @notice A node's storage reputation changed.
    event ReputationChanged(address indexed node, uint32 reputation);
    /// @notice A node's compute role changed, and why.
    event RoleChanged(address indexed node, Role from, Role to, bytes32 indexed reason);
    /// @notice A node's count of passed spot-checks changed.
    event CredibilityRecordChanged(address indexed node, uint32 passed);
    /// @notice `amount` wei from the repair pool was credited to `to` for `ref`.
    event RepairPaid(address indexed to, uint256 amount, bytes32 ref);
    /// @notice `judge` was allowed (`allowed = true`) or no longer allowed to judge nodes.
    event JudgeSet(address indexed judge, bool allowed);

    /// @notice The caller is already registered.
    error AlreadyRegistered(address node);
    /// @notice `node` is not a registered node.
    error UnknownNode(address node);
    /// @notice The stake sent is below the minimum.
    error StakeTooLow(uint256 sent, uint256 minimum);
    /// @notice `node` is in `status`, which does not allow this.
    error WrongStatus(address node, NodeStatus status);
    /// @notice The unbonding delay has not passed yet.
    error StillUnbonding(address node, uint64 exitAt);
    /// @notice The caller is not a contract allowed to judge nodes.
    error NotJudge(address caller);
    /// @notice The repair pool holds less than asked.
    error RepairPoolTooSmall(uint256 available, uint256 requested);
    /// @notice `node` cannot be promoted now (wrong role, below the bar, or no free compute slot).
    error NotPromotable(address node, Role role, uint32 passed, uint256 computeNodes);
    /// @notice A slash fraction above 10 000 basis points (100 %).
    error BadFraction(uint16 fractionBps);
    /// @notice A slash or role change without a reason: every judgement must say why.
    error MissingReason();
    /// @notice Every compute slot is taken (`maxComputeNodes`); demote one first.
    error NoComputeSlot(uint256 computeNodes, uint256 maxComputeNodes);
    /// @notice A parameter given at deployment is unusable; `what` names it.
    error BadParameter(bytes32 what);

    /// @notice Register the caller as a node, bonding `msg.value` wei (at least `minStake`).
    /// The node starts Active with role Stray. An address registers once: an exited node's record
    /// (and its reputation) stays on chain and the address cannot register again.
    /// @param peerId The node's libp2p peer id.
    /// @param endpoint Its storage API URL or multiaddr.
    function register(string calldata peerId, string calldata endpoint) external payable;

    /// @notice Add `msg.value` wei to the caller's stake (Active or Jailed nodes), e.g. to climb back
    /// above `minStake` after a slash.
    function topUp() external payable;

    /// @notice Start leaving: the node stops being Active at once (no new placements, challenges or
    /// tasks, and a compute slot it holds is freed) but stays slashable until `exitAt`.
    function announceExit() external;

    /// @notice After `exitAt`, credit the caller's remaining stake for `withdrawPayments` and mark it Exited.
    function withdrawStake() external;

    /// @notice Make `node` a compute node. Anyone may call it: it succeeds exactly when `node` is an
    /// Active Auditor whose passed spot-checks reach `promotionBar` and a compute slot is free.
    function promote(address node) external;

    /// @notice Allow or disallow `judge` to slash, record results, set roles and pay repairs (owner only).
    function setJudge(address judge, bool allowed) external;

    /// @notice The record of `node`.
    function nodeOf(address node) external view returns (Node memory);

    /// @notice True if `node` is Active (not jailed, exiting or exited) and its stake is at least `minStake`.
    function isActive(address node) external view returns (bool);

    /// @notice True if `judge` may judge nodes.
    function isJudge(address judge) external view returns (bool);

    /// @notice Wei slashed from nodes and not yet paid out for repairs.
    function repairPool() external view returns (uint256);

    /// @notice How many nodes hold the Compute role now.
    function computeNodes() external view returns (uint256);

    /// @notice Slash `fractionBps` basis points of `node`'s stake into the repair pool (judges only).
    /// @return amount The wei taken.
    function slash(address node, uint16 fractionBps, bytes32 reason, bytes32 ref) external returns (uint256 amount);

    /// @notice Record a storage audit result for `node` (judges only): pass raises reputation,
    /// fail lowers it and counts towards jailing.
    function recordAudit(address node, bool passed) external;

    /// @notice Record a compute spot-check result for `node` (judges only). A pass adds one to
    /// `passed` and turns a Stray into an Auditor (its first audit work); a failure resets `passed`
    /// to 0, so the promotion bar must be earned again from scratch.
    function recordSpotCheck(address node, bool passed) external;

    /// @notice Set `node`'s compute role (judges only), e.g. demote a caught compute node to Stray
    /// (which frees its compute slot). Setting the role it already has changes nothing.
    function setRole(address node, Role role, bytes32 reason) external;

    /// @notice Credit `amount` wei from the repair pool to `to` (judges only), for `ref`.
    function payFromRepairPool(address to, uint256 amount, bytes32 ref) external;
}
