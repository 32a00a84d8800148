// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title INodeRegistry
/// @notice The trust layer shared by kura's storage and compute halves: every node stakes ETH,
/// carries a status, a storage reputation and a compute role with its credibility record, and can
/// be slashed — always with a reason recorded on chain — by the contracts allowed to judge it.
/// Errors it shares with other kura contracts are declared once, in `IKuraErrors`.
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

    /// @notice Everything the chain keeps about a node. The fixed-size fields a judgement touches fill one storage
    /// slot (12 + 1 + 1 + 4 + 2 + 5 + 4 = 29 bytes), so judging a node reads and writes one slot; `exitAt` takes the
    /// next and the strings the two after it (checked against solc's storageLayout in
    /// tests/unit/chain/test_storage_layout.py).
    /// @param stake Bonded wei (uint96 holds 79 billion ETH).
    /// @param status Lifecycle state.
    /// @param role Compute role.
    /// @param reputation Storage reputation: +1 per passed audit, -penalty per failed one (floored at 0).
    /// @param failures Failed storage audits still counted: each failure adds one, and every `failureDecay`
    /// seconds without a failure forgive one (`nodeOf` returns the count as of now). Passes do not reset it.
    /// @param failedAt Timestamp of the last failed storage audit (when the count above was last updated).
    /// @param passed Compute spot-checks passed (Sarmenta's k) since the node was last caught, the input of the
    /// credibility formula.
    /// @param exitAt Timestamp from which the stake can be withdrawn after `announceExit`.
    /// @param computeRecord Audited tasks the node passed as a compute node since it last changed role (0 on every
    /// promotion and demotion): the record a sampling market reads to set its audit probability.
    /// @param peerId The node's libp2p peer id (Kubo).
    /// @param endpoint Where the node's storage API or multiaddr is reachable.
    // The linter's packing estimate ignores that the strings start slots of their own; the fixed fields fill
    // two slots (see the notice above).
    // solhint-disable-next-line gas-struct-packing
    struct Node {
        uint96 stake;
        NodeStatus status;
        Role role;
        uint32 reputation;
        uint16 failures;
        uint40 failedAt;
        uint32 passed;
        uint64 exitAt;
        uint32 computeRecord;
        string peerId;
        string endpoint;
    }

    /// @notice What a market reads about a node to let it work and to weigh its answers: one storage slot.
    /// @param stake Bonded wei.
    /// @param passed Compute spot-checks passed since the node was last caught.
    /// @param status Lifecycle state.
    /// @param role Compute role.
    /// @param active Whether it may take new work (`isActive`).
    // Never stored (a view's return value, read from one `Node` slot), so its packing costs nothing.
    // solhint-disable-next-line gas-struct-packing
    struct Standing {
        uint96 stake;
        uint32 passed;
        NodeStatus status;
        Role role;
        bool active;
    }

    /// @notice A node registered with `stake` wei.
    /// @param node The node's operator address.
    /// @param peerId Its libp2p peer id.
    /// @param endpoint Its storage API URL or multiaddr.
    /// @param stake Wei bonded.
    event NodeRegistered(address indexed node, string peerId, string endpoint, uint256 stake);
    /// @notice A node added stake.
    /// @param node The node.
    /// @param amount Wei added.
    /// @param total Its stake now.
    event StakeAdded(address indexed node, uint256 amount, uint256 total);
    /// @notice A node asked to leave; its stake unlocks at `exitAt`.
    /// @param node The node.
    /// @param exitAt Timestamp from which `withdrawStake` succeeds.
    event ExitAnnounced(address indexed node, uint64 exitAt);
    /// @notice A node left and its remaining stake was credited for withdrawal.
    /// @param node The node.
    /// @param stakeReturned Wei credited to it.
    event NodeExited(address indexed node, uint256 stakeReturned);
    /// @notice A node lost `amount` wei of stake to the repair pool, and why.
    /// @param node The node.
    /// @param amount Wei taken.
    /// @param reason Short ASCII tag of the judgement (AUDIT_TIMEOUT, COMPUTE_WRONG_RESULT, ...).
    /// @param ref What was judged: a challenge or task id.
    event NodeSlashed(address indexed node, uint256 amount, bytes32 indexed reason, bytes32 ref);
    /// @notice A slash left `node` with `stake` wei, under `minStake`: it takes no new work until it tops up
    /// (see `topUp` for what it may still do).
    /// @param node The node.
    /// @param stake Its stake now.
    /// @param minStake The minimum it must climb back to.
    event StakeBelowMinimum(address indexed node, uint256 stake, uint256 minStake);
    /// @notice A failed storage audit was counted against `node`; `failures` are counted now (jailing at
    /// `jailThreshold`).
    /// @param node The node.
    /// @param failures Its failures counted now.
    event FailureCounted(address indexed node, uint16 failures);
    /// @notice `node` was named at deployment as one of the first compute nodes of the network.
    /// @param node The node's address.
    event GenesisComputeNamed(address indexed node);
    /// @notice A node was jailed (excluded from new placements and tasks).
    /// @param node The node.
    /// @param reason Why (AUDIT_FAILURES).
    event NodeJailed(address indexed node, bytes32 indexed reason);
    /// @notice A node's storage reputation changed.
    /// @param node The node.
    /// @param reputation Its reputation now.
    event ReputationChanged(address indexed node, uint32 reputation);
    /// @notice A node's compute role changed, and why.
    /// @param node The node.
    /// @param from Its role before.
    /// @param to Its role now.
    /// @param reason Why (PROMOTED, GENESIS, FIRST_SPOT_CHECK, JAILED, EXIT, or a judge's reason).
    event RoleChanged(address indexed node, Role from, Role to, bytes32 indexed reason);
    /// @notice A compute node passed an audited task; its record is now `computeRecord`.
    /// @param node The node.
    /// @param computeRecord Audited tasks passed since it became a compute node.
    event ComputeRecordChanged(address indexed node, uint32 computeRecord);
    /// @notice A node's count of passed spot-checks changed.
    /// @param node The node.
    /// @param passed Its count now.
    event CredibilityRecordChanged(address indexed node, uint32 passed);
    /// @notice `amount` wei from the repair pool was credited to `to` for `ref`.
    /// @param to The payee.
    /// @param amount Wei credited.
    /// @param ref What it pays for (a file or challenge id).
    event RepairPaid(address indexed to, uint256 amount, bytes32 ref);
    /// @notice `judge` was allowed (`allowed = true`) or no longer allowed to judge nodes.
    /// @param judge The contract (or account) concerned.
    /// @param allowed Whether it may judge now.
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
    /// @notice `node` cannot be promoted now (not active, wrong role, below the bar and not an unused genesis node,
    /// or no free compute slot).
    error NotPromotable(address node, Role role, uint32 passed, uint256 computeNodes);
    /// @notice A slash fraction above 10 000 basis points (100 %).
    error BadFraction(uint16 fractionBps);
    /// @notice A slash or role change without a reason: every judgement must say why.
    error MissingReason();
    /// @notice Every compute slot is taken (`maxComputeNodes`); demote one first.
    error NoComputeSlot(uint256 computeNodes, uint256 maxComputeNodes);

    /// @notice Register the caller as a node, bonding `msg.value` wei (at least `minStake`).
    /// The node starts Active with role Stray. An address registers once: an exited node's record
    /// (and its reputation) stays on chain and the address cannot register again.
    /// @param peerId The node's libp2p peer id.
    /// @param endpoint Its storage API URL or multiaddr.
    function register(string calldata peerId, string calldata endpoint) external payable;

    /// @notice Add `msg.value` wei to the caller's stake (Active or Jailed nodes), e.g. to climb back
    /// above `minStake` after a slash. Meanwhile (stake under `minStake`, `StakeBelowMinimum` emitted) an Active
    /// node is not `isActive`: it claims no task, is not drawn as an auditor, cannot join the audit pool or be
    /// promoted and gets no new shares; it may still answer open storage challenges (and be challenged: its
    /// shares are still its duty), finish the tasks it is part of, top up, announce its exit and withdraw.
    function topUp() external payable;

    /// @notice Start leaving: the node stops being Active at once (no new placements, challenges or
    /// tasks, and a compute slot it holds is freed) but stays slashable until `exitAt`.
    function announceExit() external;

    /// @notice After `exitAt`, credit the caller's remaining stake for `withdrawPayments` and mark it Exited.
    function withdrawStake() external;

    /// @notice Make `node` a compute node. Anyone may call it: it succeeds exactly when `node` is active, a
    /// compute slot is free, and either it is an Auditor whose passed spot-checks reach `promotionBar`, or it is
    /// one of the genesis compute nodes named at deployment and has not used that yet (once only: a genesis node
    /// that is demoted climbs back like anyone). That is how a new network gets its first compute nodes, since
    /// passing spot-checks needs tasks and tasks need a compute node; nobody else can skip the probation, and a
    /// genesis node's tasks are judged like any other (a caught one loses its stake and the role).
    /// @param node The node to promote.
    function promote(address node) external;

    /// @notice Allow or disallow `judge` to slash, record results, set roles and pay repairs (owner only).
    /// @param judge The contract (or account) concerned.
    /// @param allowed Whether it may judge.
    function setJudge(address judge, bool allowed) external;

    /// @notice Slash `fractionBps` basis points of `node`'s stake into the repair pool (judges only).
    /// @param node The node judged.
    /// @param fractionBps Share of its stake to take, in basis points (at most 10 000).
    /// @param reason Short ASCII tag saying why (never zero).
    /// @param ref What was judged (a challenge or task id).
    /// @return amount The wei taken.
    function slash(address node, uint16 fractionBps, bytes32 reason, bytes32 ref) external returns (uint256 amount);

    /// @notice Record a storage audit result for `node` (judges only): a pass raises reputation; a failure
    /// lowers it and is counted, and `jailThreshold` failures counted at once jail the node. A pass does not
    /// wash failures away (a node could otherwise dodge jail by passing challenges it opened itself): only time
    /// does, one failure per `failureDecay` seconds without a failure.
    /// @param node The node audited.
    /// @param passed Whether it passed.
    function recordAudit(address node, bool passed) external;

    /// @notice Record a compute spot-check result for `node` (judges only). A pass adds one to
    /// `passed` and turns a Stray into an Auditor (its first audit work); a failure resets `passed`
    /// to 0, so the promotion bar must be earned again from scratch.
    /// @param node The node checked.
    /// @param passed Whether its answer was the decided one.
    function recordSpotCheck(address node, bool passed) external;

    /// @notice Count one audited task `node` passed as a compute node (judges only); nothing for a node that does
    /// not hold the Compute role. The record starts at 0 at every role change.
    /// @param node The compute node.
    function recordComputeAudit(address node) external;

    /// @notice Set `node`'s compute role (judges only), e.g. demote a caught compute node to Stray
    /// (which frees its compute slot). Setting the role it already has changes nothing.
    /// @param node The node.
    /// @param role Its new role.
    /// @param reason Short ASCII tag saying why (never zero).
    function setRole(address node, Role role, bytes32 reason) external;

    /// @notice Credit `amount` wei from the repair pool to `to` (judges only), for `ref`.
    /// @param to The payee.
    /// @param amount Wei to credit (at most the pool).
    /// @param ref What it pays for.
    function payFromRepairPool(address to, uint256 amount, bytes32 ref) external;

    /// @notice The record of `node`.
    /// @param node The node.
    /// @return record Everything the chain keeps about it.
    function nodeOf(address node) external view returns (Node memory record);

    /// @notice The fields of `node` a market needs, from one storage slot (`nodeOf` also copies the strings).
    /// @param node The node.
    /// @return standing Its stake, passed spot-checks, status, role and whether it is active.
    function standingOf(address node) external view returns (Standing memory standing);

    /// @notice Audited tasks `node` passed as a compute node since it last changed role.
    /// @param node The node.
    /// @return record Its compute record (0 for a node that is not a compute node or is unknown).
    function computeRecordOf(address node) external view returns (uint32 record);

    /// @notice The genesis compute nodes named at deployment (see `promote`).
    /// @return nodes Their addresses.
    function genesisCompute() external view returns (address[] memory nodes);

    /// @notice True if `node` is Active (not jailed, exiting or exited) and its stake is at least `minStake`.
    /// @param node The node.
    /// @return active Whether it may take new work.
    function isActive(address node) external view returns (bool active);

    /// @notice True if `judge` may judge nodes.
    /// @param judge The contract (or account).
    /// @return allowed Whether it may.
    function isJudge(address judge) external view returns (bool allowed);

    /// @notice Wei slashed from nodes and not yet paid out for repairs.
    /// @return pool The wei in the pool.
    function repairPool() external view returns (uint256 pool);

    /// @notice How many nodes hold the Compute role now.
    /// @return count The number of compute nodes.
    function computeNodes() external view returns (uint256 count);
}
