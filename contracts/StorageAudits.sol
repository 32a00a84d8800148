// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IFileRegistry} from "./interfaces/IFileRegistry.sol";
import {IKuraErrors} from "./interfaces/IKuraErrors.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IStorageAudits} from "./interfaces/IStorageAudits.sol";
import {ShareMerkle} from "./libraries/ShareMerkle.sol";
import {BPS, BLOCKHASH_WINDOW} from "./utils/Constants.sol";
import {PullPayments} from "./utils/PullPayments.sol";

/// @title StorageAudits
/// @notice Proof of storage for kura shares, judged on chain.
///
/// Commitment. `FileRegistry.sharesRoot` is a `ShareMerkle` root over one leaf per share, leaf i's
/// bytes being `abi.encodePacked(uint8 index, address node, uint32 chunkCount, bytes32 shareRoot)`
/// (57 bytes), and `shareRoot` is the `ShareMerkle` root over the share's 1024-byte chunks.
///
/// Rules.
///  1. `challenge` (anyone) bonds at least `challengeBond`, names an Active node (one whose slashes left it under
///     the minimum stake too: its shares are still its duty) and proves the share
///     leaf is in the file's commitment. At most one challenge per (file, share index) is open at a
///     time, and a share a node already lost cannot be challenged against that node again.
///  2. The chunk index is `keccak256(abi.encode(blockhash(seedBlock), challengeId)) % chunkCount` with
///     `seedBlock = block.number + seedDelay`: unknown to everyone when the challenge is opened.
///  3. The node answers with `respond` from block `seedBlock + 1` up to `deadline` (opening timestamp
///     + `responseWindow`). A right answer credits the bond to the node and raises its reputation, unless the
///     node challenged itself: its own challenges earn it nothing (and no pass washes failures away, see
///     `NodeRegistry.recordAudit`).
///     A chunk is at most 1024 bytes and empty only when it is the share's only chunk (empty data).
///     A wrong one (bad proof, wrong length, chunk of another share or index) is a failure at once —
///     it never reverts, so a node cannot stall by answering garbage.
///  4. After the deadline anyone may `claimTimeout`: the node failed. A failure slashes `slashBps` of
///     the node's stake into the repair pool (reason AUDIT_TIMEOUT or AUDIT_BAD_PROOF, ref = challenge
///     id), records a failed audit (enough in a row jail the node), marks the share lost, refunds the
///     bond and pays the challenger `rewardBps` of the slashed amount from the repair pool.
///  5. Void instead of judging: if the file's commitment changed (or the file was deleted) before the
///     timeout was claimed, the node may legitimately have dropped the share; if the seed block was
///     still unmined when the timeout was claimed, the node never saw its question. The bond is refunded.
///  6. Block hashes are readable for 256 blocks only. If nobody answered within them, anyone may
///     `reseed` (before the deadline) to draw a new seed block; the deadline does not move, so
///     `responseWindow` should stay below 256 blocks' time and an honest node answers well inside it.
///
/// Bonds and refunds are credited here and withdrawn with `withdrawPayments`; slashed stake and
/// challenger rewards live in the NodeRegistry (withdraw them there).
contract StorageAudits is IStorageAudits, PullPayments {
    using SafeCast for uint256;

    bytes32 private constant AUDIT_TIMEOUT = "AUDIT_TIMEOUT";
    bytes32 private constant AUDIT_BAD_PROOF = "AUDIT_BAD_PROOF";
    bytes32 private constant COMMITMENT_CHANGED = "COMMITMENT_CHANGED";
    bytes32 private constant SEED_NOT_MINED = "SEED_NOT_MINED";

    /// @notice Where nodes, stakes and reputations live.
    INodeRegistry public immutable registry;
    /// @notice Where each file's shares commitment lives.
    IFileRegistry public immutable files;
    /// @notice Smallest bond (wei) a challenge needs.
    uint256 public immutable challengeBond;
    /// @notice Blocks between opening a challenge and its seed block.
    uint64 public immutable seedDelay;
    /// @notice Seconds the node has, from the opening, to answer.
    uint64 public immutable responseWindow;
    /// @notice Share of the node's stake slashed per failed audit, in basis points.
    uint16 public immutable slashBps;
    /// @notice Share of the slashed amount paid to the challenger, in basis points.
    uint16 public immutable rewardBps;

    uint256 private _lastId;
    mapping(uint256 challengeId => Challenge challenge) private _challenges;
    mapping(bytes32 fileId => mapping(uint8 index => uint256 challengeId)) private _open;
    mapping(bytes32 fileId => mapping(uint8 index => mapping(address node => bool lost))) private _lost;

    /// @notice Deploy against the node and file registries with the audit rules.
    /// @param registry_ The NodeRegistry (this contract must be one of its judges).
    /// @param files_ The FileRegistry.
    /// @param challengeBond_ See `challengeBond` (> 0).
    /// @param seedDelay_ See `seedDelay` (1 to 255 blocks).
    /// @param responseWindow_ See `responseWindow` (> 0).
    /// @param slashBps_ See `slashBps` (<= 10 000).
    /// @param rewardBps_ See `rewardBps` (<= 10 000).
    constructor(
        INodeRegistry registry_,
        IFileRegistry files_,
        uint256 challengeBond_,
        uint64 seedDelay_,
        uint64 responseWindow_,
        uint16 slashBps_,
        uint16 rewardBps_
    ) {
        if (challengeBond_ == 0) revert IKuraErrors.BadParameter("challengeBond");
        if (seedDelay_ == 0 || seedDelay_ >= BLOCKHASH_WINDOW) revert IKuraErrors.BadParameter("seedDelay");
        if (responseWindow_ == 0) revert IKuraErrors.BadParameter("responseWindow");
        if (slashBps_ > BPS) revert IKuraErrors.BadParameter("slashBps");
        if (rewardBps_ > BPS) revert IKuraErrors.BadParameter("rewardBps");
        registry = registry_;
        files = files_;
        challengeBond = challengeBond_;
        seedDelay = seedDelay_;
        responseWindow = responseWindow_;
        slashBps = slashBps_;
        rewardBps = rewardBps_;
    }

    /// @inheritdoc IStorageAudits
    function challenge(
        bytes32 fileId,
        uint8 index,
        address node,
        uint32 chunkCount,
        bytes32 shareRoot,
        bytes32[] calldata sharesProof
    ) external payable returns (uint256 challengeId) {
        if (msg.value < challengeBond) revert BondTooLow(msg.value, challengeBond);
        if (chunkCount == 0) revert EmptyShare();
        uint256 open = _open[fileId][index];
        if (open != 0) revert ChallengeAlreadyOpen(fileId, index, open);
        if (_lost[fileId][index][node]) revert ShareAlreadyLost(fileId, index, node);
        if (registry.standingOf(node).status != INodeRegistry.NodeStatus.Active) {
            revert IKuraErrors.NodeNotActive(node);
        }
        bytes32 sharesRoot = files.fileOf(fileId).sharesRoot;
        bytes32 leaf = ShareMerkle.leafHash(abi.encodePacked(index, node, chunkCount, shareRoot));
        if (!ShareMerkle.verify(sharesRoot, leaf, index, sharesProof)) {
            revert IKuraErrors.ShareNotCommitted(fileId, index, node);
        }

        unchecked {
            // One id per transaction: 2^256 challenges are out of reach.
            challengeId = ++_lastId;
        }
        uint64 seedBlock = uint64(block.number) + seedDelay;
        uint64 deadline = uint64(block.timestamp) + responseWindow;
        _challenges[challengeId] = Challenge({
            challenger: msg.sender,
            bond: msg.value.toUint96(),
            node: node,
            seedBlock: seedBlock,
            chunkCount: chunkCount,
            deadline: deadline,
            index: index,
            status: ChallengeStatus.Open,
            fileId: fileId,
            shareRoot: shareRoot,
            sharesRoot: sharesRoot
        });
        _open[fileId][index] = challengeId;
        emit ChallengeOpened(challengeId, fileId, node, index, msg.sender, msg.value, seedBlock, deadline);
    }

    /// @inheritdoc IStorageAudits
    function respond(uint256 challengeId, bytes calldata chunk, bytes32[] calldata proof)
        external
        returns (bool passed)
    {
        Challenge storage c = _openChallenge(challengeId);
        if (msg.sender != c.node) revert NotChallengedNode(challengeId, msg.sender, c.node);
        if (block.timestamp > c.deadline) revert DeadlinePassed(challengeId, c.deadline);
        uint32 chunkIndex = _chunkIndex(challengeId, c);
        passed = (chunk.length != 0 || c.chunkCount == 1) && chunk.length <= ShareMerkle.CHUNK_SIZE
            && proof.length == ShareMerkle.depth(c.chunkCount)
            && ShareMerkle.verify(c.shareRoot, ShareMerkle.leafHash(chunk), chunkIndex, proof);
        if (passed) {
            _pass(challengeId, c, chunkIndex);
        } else {
            _fail(challengeId, c, AUDIT_BAD_PROOF);
        }
    }

    /// @inheritdoc IStorageAudits
    function claimTimeout(uint256 challengeId) external {
        Challenge storage c = _openChallenge(challengeId);
        if (block.timestamp <= c.deadline) revert DeadlineNotReached(challengeId, c.deadline);
        if (block.number <= c.seedBlock) {
            _void(challengeId, c, SEED_NOT_MINED);
        } else if (_commitmentChanged(c)) {
            _void(challengeId, c, COMMITMENT_CHANGED);
        } else {
            _fail(challengeId, c, AUDIT_TIMEOUT);
        }
    }

    /// @inheritdoc IStorageAudits
    function reseed(uint256 challengeId) external {
        Challenge storage c = _openChallenge(challengeId);
        if (block.timestamp > c.deadline) revert DeadlinePassed(challengeId, c.deadline);
        if (block.number <= c.seedBlock + BLOCKHASH_WINDOW) revert SeedStillFresh(challengeId, c.seedBlock);
        uint64 seedBlock = uint64(block.number) + seedDelay;
        c.seedBlock = seedBlock;
        emit ChallengeReseeded(challengeId, seedBlock);
    }

    /// @inheritdoc IStorageAudits
    function challengeOf(uint256 challengeId) external view returns (Challenge memory) {
        return _known(challengeId);
    }

    /// @inheritdoc IStorageAudits
    function chunkIndexOf(uint256 challengeId) external view returns (uint32) {
        return _chunkIndex(challengeId, _known(challengeId));
    }

    /// @inheritdoc IStorageAudits
    function openChallengeOf(bytes32 fileId, uint8 index) external view returns (uint256) {
        return _open[fileId][index];
    }

    /// @inheritdoc IStorageAudits
    function isShareLost(bytes32 fileId, uint8 index, address node) external view returns (bool) {
        return _lost[fileId][index][node];
    }

    // ------------------------------------------------------------------ internals

    function _close(Challenge storage c, ChallengeStatus status) private {
        c.status = status;
        delete _open[c.fileId][c.index];
    }

    function _pass(uint256 challengeId, Challenge storage c, uint32 chunkIndex) private {
        _close(c, ChallengeStatus.Passed);
        address node = c.node;
        emit ChallengePassed(challengeId, node, chunkIndex);
        _credit(node, c.bond);
        if (c.challenger != node) registry.recordAudit(node, true);
    }

    function _fail(uint256 challengeId, Challenge storage c, bytes32 reason) private {
        _close(c, ChallengeStatus.Failed);
        (bytes32 fileId, uint8 index, address node, address challenger) = (c.fileId, c.index, c.node, c.challenger);
        _lost[fileId][index][node] = true;
        emit ShareLost(fileId, index, node);
        _credit(challenger, c.bond);
        uint256 slashed = registry.slash(node, slashBps, reason, bytes32(challengeId));
        registry.recordAudit(node, false);
        uint256 reward = slashed * rewardBps / BPS;
        if (reward != 0) registry.payFromRepairPool(challenger, reward, bytes32(challengeId));
        emit ChallengeFailed(challengeId, node, reason, slashed, reward);
    }

    function _void(uint256 challengeId, Challenge storage c, bytes32 reason) private {
        _close(c, ChallengeStatus.Voided);
        emit ChallengeVoided(challengeId, reason);
        _credit(c.challenger, c.bond);
    }

    function _known(uint256 challengeId) private view returns (Challenge storage c) {
        c = _challenges[challengeId];
        if (c.status == ChallengeStatus.None) revert UnknownChallenge(challengeId);
    }

    function _openChallenge(uint256 challengeId) private view returns (Challenge storage c) {
        c = _known(challengeId);
        if (c.status != ChallengeStatus.Open) revert ChallengeClosed(challengeId, c.status);
    }

    function _chunkIndex(uint256 challengeId, Challenge storage c) private view returns (uint32) {
        uint64 seedBlock = c.seedBlock;
        if (block.number <= seedBlock) revert IKuraErrors.SeedNotYetAvailable(challengeId, seedBlock);
        if (block.number > seedBlock + BLOCKHASH_WINDOW) revert SeedExpired(challengeId, seedBlock);
        bytes32 seed = blockhash(seedBlock);
        // The modulus is below 2^32, so the cast keeps every bit.
        return uint32(uint256(keccak256(abi.encode(seed, challengeId))) % c.chunkCount);
    }

    function _commitmentChanged(Challenge storage c) private view returns (bool) {
        try files.fileOf(c.fileId) returns (IFileRegistry.FileRecord memory record) {
            return record.sharesRoot != c.sharesRoot;
        } catch {
            return true; // deleted since the challenge was opened
        }
    }
}
