// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IKuraErrors} from "./interfaces/IKuraErrors.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {BPS} from "./utils/Constants.sol";
import {PullPayments} from "./utils/PullPayments.sol";

/// @title NodeRegistry
/// @notice The one registry and the one stake behind kura's storage and compute halves. Nodes bond
/// ETH to join, are judged only by contracts the owner lists as judges (StorageAudits, TaskMarket),
/// and every slash lands in a repair pool that pays the nodes who heal the network. Stakes, repair
/// payouts and refunds all leave through `withdrawPayments` (pull payments).
/// @dev Lifecycle: None → Active ⇄ (stake < minStake: Active but not `isActive`, `StakeBelowMinimum` emitted
/// when a slash crosses the line, `topUp` climbs back) → Jailed (once `jailThreshold` failed audits are counted
/// at the same time; one counted failure is forgiven per whole `failureDecay` seconds since the last failure, and
/// passes do not reset the count) → Exiting (`announceExit`, from Active or Jailed) → Exited (`withdrawStake` after
/// `unbondingDelay`). Jailing is final for an address: a jailed node can only leave. Compute roles: Stray →
/// Auditor on the first passed spot-check → Compute by the public `promote` (at `promotionBar` passed checks,
/// or once for a genesis node named at deployment); jailing, exit or a judge's `setRole` moves a compute node
/// back to Stray.
contract NodeRegistry is INodeRegistry, Ownable, PullPayments {
    using SafeCast for uint256;

    bytes32 private constant JAIL_REASON = "AUDIT_FAILURES";
    bytes32 private constant PROMOTED = "PROMOTED";
    bytes32 private constant GENESIS = "GENESIS";
    bytes32 private constant FIRST_SPOT_CHECK = "FIRST_SPOT_CHECK";
    bytes32 private constant JAILED = "JAILED";
    bytes32 private constant EXIT = "EXIT";

    /// @notice Smallest stake (wei) a node may register with, and below which it is not `isActive`.
    uint256 public immutable minStake;
    /// @notice Seconds between `announceExit` and the earliest `withdrawStake`.
    uint64 public immutable unbondingDelay;
    /// @notice Failed storage audits counted at once that jail an Active node.
    uint16 public immutable jailThreshold;
    /// @notice Seconds without a failure that forgive one counted failure.
    uint64 public immutable failureDecay;
    /// @notice Reputation lost per failed storage audit (a pass gains 1).
    uint32 public immutable auditPenalty;
    /// @notice Passed spot-checks an Auditor needs before `promote` accepts it.
    uint32 public immutable promotionBar;
    /// @notice Most nodes that may hold the Compute role at once.
    uint256 public immutable maxComputeNodes;

    /// @inheritdoc INodeRegistry
    uint256 public repairPool;
    /// @inheritdoc INodeRegistry
    uint256 public computeNodes;

    mapping(address node => Node record) private _nodes;
    mapping(address judge => bool allowed) private _judges;
    mapping(address node => bool unused) private _genesis;
    address[] private _genesisList;

    modifier onlyJudge() {
        if (!_judges[msg.sender]) revert NotJudge(msg.sender);
        _;
    }

    /// @notice Deploy with the stake, jailing and promotion rules; the deployer owns the judge list.
    /// @param minStake_ See `minStake` (must be > 0).
    /// @param unbondingDelay_ See `unbondingDelay`.
    /// @param jailThreshold_ See `jailThreshold` (must be > 0).
    /// @param failureDecay_ See `failureDecay` (must be > 0).
    /// @param auditPenalty_ See `auditPenalty`.
    /// @param promotionBar_ See `promotionBar`.
    /// @param maxComputeNodes_ See `maxComputeNodes`.
    /// @param genesisCompute_ The network's first compute nodes (see `promote`): distinct, nonzero, at most
    /// `maxComputeNodes` of them.
    constructor(
        uint256 minStake_,
        uint64 unbondingDelay_,
        uint16 jailThreshold_,
        uint64 failureDecay_,
        uint32 auditPenalty_,
        uint32 promotionBar_,
        uint256 maxComputeNodes_,
        address[] memory genesisCompute_
    ) Ownable(msg.sender) {
        if (minStake_ == 0) revert IKuraErrors.BadParameter("minStake");
        if (jailThreshold_ == 0) revert IKuraErrors.BadParameter("jailThreshold");
        if (failureDecay_ == 0) revert IKuraErrors.BadParameter("failureDecay");
        if (genesisCompute_.length > maxComputeNodes_) revert IKuraErrors.BadParameter("genesisCompute");
        minStake = minStake_;
        unbondingDelay = unbondingDelay_;
        jailThreshold = jailThreshold_;
        failureDecay = failureDecay_;
        auditPenalty = auditPenalty_;
        promotionBar = promotionBar_;
        maxComputeNodes = maxComputeNodes_;
        for (uint256 i = 0; i < genesisCompute_.length; ++i) {
            address node = genesisCompute_[i];
            if (node == address(0) || _genesis[node]) revert IKuraErrors.BadParameter("genesisCompute");
            _genesis[node] = true;
            emit GenesisComputeNamed(node);
        }
        _genesisList = genesisCompute_;
    }

    // ------------------------------------------------------------------ node actions

    /// @inheritdoc INodeRegistry
    function register(string calldata peerId, string calldata endpoint) external payable {
        Node storage node = _nodes[msg.sender];
        if (node.status != NodeStatus.None) revert AlreadyRegistered(msg.sender);
        if (msg.value < minStake) revert StakeTooLow(msg.value, minStake);
        node.stake = msg.value.toUint96();
        node.status = NodeStatus.Active;
        node.peerId = peerId;
        node.endpoint = endpoint;
        emit NodeRegistered(msg.sender, peerId, endpoint, msg.value);
    }

    /// @inheritdoc INodeRegistry
    function topUp() external payable {
        Node storage node = _registered(msg.sender);
        if (node.status != NodeStatus.Active && node.status != NodeStatus.Jailed) {
            revert WrongStatus(msg.sender, node.status);
        }
        uint256 total = node.stake + msg.value;
        node.stake = total.toUint96();
        emit StakeAdded(msg.sender, msg.value, total);
    }

    /// @inheritdoc INodeRegistry
    function announceExit() external {
        Node storage node = _registered(msg.sender);
        if (node.status != NodeStatus.Active && node.status != NodeStatus.Jailed) {
            revert WrongStatus(msg.sender, node.status);
        }
        uint64 exitAt = uint64(block.timestamp) + unbondingDelay;
        node.status = NodeStatus.Exiting;
        node.exitAt = exitAt;
        emit ExitAnnounced(msg.sender, exitAt);
        _leaveCompute(msg.sender, node, EXIT);
    }

    /// @inheritdoc INodeRegistry
    function withdrawStake() external {
        Node storage node = _registered(msg.sender);
        if (node.status != NodeStatus.Exiting) revert WrongStatus(msg.sender, node.status);
        if (block.timestamp < node.exitAt) revert StillUnbonding(msg.sender, node.exitAt);
        uint256 amount = node.stake;
        node.stake = 0;
        node.status = NodeStatus.Exited;
        emit NodeExited(msg.sender, amount);
        if (amount > 0) _credit(msg.sender, amount);
    }

    /// @inheritdoc INodeRegistry
    function promote(address nodeAddress) external {
        Node storage node = _registered(nodeAddress);
        bool genesis = _genesis[nodeAddress];
        bool earned = node.role == Role.Auditor && node.passed >= promotionBar;
        if (node.role == Role.Compute || !_isActive(node) || !(earned || genesis) || computeNodes >= maxComputeNodes) {
            revert NotPromotable(nodeAddress, node.role, node.passed, computeNodes);
        }
        if (genesis) delete _genesis[nodeAddress];
        _setRole(nodeAddress, node, Role.Compute, genesis ? GENESIS : PROMOTED);
    }

    // ------------------------------------------------------------------ judges

    /// @inheritdoc INodeRegistry
    function setJudge(address judge, bool allowed) external onlyOwner {
        _judges[judge] = allowed;
        emit JudgeSet(judge, allowed);
    }

    /// @inheritdoc INodeRegistry
    function slash(address nodeAddress, uint16 fractionBps, bytes32 reason, bytes32 ref)
        external
        onlyJudge
        returns (uint256 amount)
    {
        if (fractionBps > BPS) revert BadFraction(fractionBps);
        if (reason == bytes32(0)) revert MissingReason();
        Node storage node = _registered(nodeAddress);
        uint256 stake = node.stake;
        amount = stake * fractionBps / BPS;
        uint256 left;
        unchecked {
            // amount <= stake because fractionBps <= BPS.
            left = stake - amount;
        }
        node.stake = uint96(left);
        repairPool += amount;
        emit NodeSlashed(nodeAddress, amount, reason, ref);
        if (stake >= minStake && left < minStake) emit StakeBelowMinimum(nodeAddress, left, minStake);
    }

    /// @inheritdoc INodeRegistry
    function recordAudit(address nodeAddress, bool passed) external onlyJudge {
        Node storage node = _registered(nodeAddress);
        uint32 reputation = node.reputation;
        if (passed) {
            unchecked {
                // One pass per audit transaction: 2^32 passes are out of reach.
                ++reputation;
            }
        } else {
            reputation = reputation > auditPenalty ? reputation - auditPenalty : 0;
            uint16 failures = _countedFailures(node);
            if (failures < type(uint16).max) ++failures;
            node.failures = failures;
            node.failedAt = uint40(block.timestamp);
            emit FailureCounted(nodeAddress, failures);
            if (failures >= jailThreshold && node.status == NodeStatus.Active) {
                node.status = NodeStatus.Jailed;
                emit NodeJailed(nodeAddress, JAIL_REASON);
                _leaveCompute(nodeAddress, node, JAILED);
            }
        }
        node.reputation = reputation;
        emit ReputationChanged(nodeAddress, reputation);
    }

    /// @inheritdoc INodeRegistry
    function recordSpotCheck(address nodeAddress, bool passed) external onlyJudge {
        Node storage node = _registered(nodeAddress);
        uint32 count = 0;
        if (passed) {
            unchecked {
                // One pass per spot-check transaction: 2^32 passes are out of reach.
                count = node.passed + 1;
            }
        }
        node.passed = count;
        emit CredibilityRecordChanged(nodeAddress, count);
        if (passed && node.role == Role.Stray) _setRole(nodeAddress, node, Role.Auditor, FIRST_SPOT_CHECK);
    }

    /// @inheritdoc INodeRegistry
    function recordComputeAudit(address nodeAddress) external onlyJudge {
        Node storage node = _registered(nodeAddress);
        if (node.role != Role.Compute) return;
        uint32 record;
        unchecked {
            // One audited task per transaction: 2^32 are out of reach.
            record = node.computeRecord + 1;
        }
        node.computeRecord = record;
        emit ComputeRecordChanged(nodeAddress, record);
    }

    /// @inheritdoc INodeRegistry
    function setRole(address nodeAddress, Role role, bytes32 reason) external onlyJudge {
        if (reason == bytes32(0)) revert MissingReason();
        Node storage node = _registered(nodeAddress);
        if (node.role != role) _setRole(nodeAddress, node, role, reason);
    }

    /// @inheritdoc INodeRegistry
    function payFromRepairPool(address to, uint256 amount, bytes32 ref) external onlyJudge {
        uint256 available = repairPool;
        if (amount > available) revert RepairPoolTooSmall(available, amount);
        unchecked {
            // Checked just above.
            repairPool = available - amount;
        }
        emit RepairPaid(to, amount, ref);
        _credit(to, amount);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc INodeRegistry
    function nodeOf(address nodeAddress) external view returns (Node memory record) {
        Node storage node = _registered(nodeAddress);
        record = node;
        record.failures = _countedFailures(node);
    }

    /// @inheritdoc INodeRegistry
    function computeRecordOf(address nodeAddress) external view returns (uint32) {
        return _nodes[nodeAddress].computeRecord;
    }

    /// @inheritdoc INodeRegistry
    function standingOf(address nodeAddress) external view returns (Standing memory) {
        Node storage node = _nodes[nodeAddress];
        return Standing(node.stake, node.passed, node.status, node.role, _isActive(node));
    }

    /// @inheritdoc INodeRegistry
    function genesisCompute() external view returns (address[] memory) {
        return _genesisList;
    }

    /// @inheritdoc INodeRegistry
    function isActive(address nodeAddress) external view returns (bool) {
        return _isActive(_nodes[nodeAddress]);
    }

    /// @inheritdoc INodeRegistry
    function isJudge(address judge) external view returns (bool) {
        return _judges[judge];
    }

    // ------------------------------------------------------------------ internals

    /// @dev The one place a role changes: keeps `computeNodes` equal to the number of Compute nodes.
    function _setRole(address nodeAddress, Node storage node, Role to, bytes32 reason) private {
        Role from = node.role;
        if (to == Role.Compute) {
            uint256 taken = computeNodes;
            if (taken >= maxComputeNodes) revert NoComputeSlot(taken, maxComputeNodes);
            computeNodes = taken + 1;
        } else if (from == Role.Compute) {
            --computeNodes;
            // Only a compute node's record grows, so leaving the role is the one reset it needs.
            if (node.computeRecord != 0) node.computeRecord = 0;
        }
        node.role = to;
        emit RoleChanged(nodeAddress, from, to, reason);
    }

    function _leaveCompute(address nodeAddress, Node storage node, bytes32 reason) private {
        if (node.role == Role.Compute) _setRole(nodeAddress, node, Role.Stray, reason);
    }

    function _registered(address nodeAddress) private view returns (Node storage node) {
        node = _nodes[nodeAddress];
        if (node.status == NodeStatus.None) revert UnknownNode(nodeAddress);
    }

    /// @dev The failures still counted now: the recorded count less one per whole `failureDecay` since the last.
    function _countedFailures(Node storage node) private view returns (uint16) {
        uint256 forgiven = (block.timestamp - node.failedAt) / failureDecay;
        uint16 failures = node.failures;
        return forgiven >= failures ? 0 : uint16(failures - forgiven);
    }

    function _isActive(Node storage node) private view returns (bool) {
        return node.status == NodeStatus.Active && node.stake >= minStake;
    }
}
