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
/// Storage. A challenge's terms are emitted in `ChallengeOpened` and kept on chain only as their hash (one
/// slot, cleared when it is judged or voided): `respond`, `claimTimeout` and `reseed` are given the terms
/// back and check them against it, so none of them can be altered, and a closed challenge matches no terms.
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
    mapping(uint256 challengeId => bytes32 termsHash) private _terms;
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
        Challenge memory terms = Challenge({
            challenger: msg.sender,
            bond: msg.value.toUint96(),
            node: node,
            seedBlock: uint64(block.number) + seedDelay,
            chunkCount: chunkCount,
            deadline: uint64(block.timestamp) + responseWindow,
            index: index,
            fileId: fileId,
            shareRoot: shareRoot,
            sharesRoot: sharesRoot
        });
        _terms[challengeId] = keccak256(abi.encode(terms));
        _open[fileId][index] = challengeId;
        emit ChallengeOpened(challengeId, fileId, node, terms);
    }

    /// @inheritdoc IStorageAudits
    function respond(uint256 challengeId, Challenge calldata terms, bytes calldata chunk, bytes32[] calldata proof)
        external
        returns (bool passed)
    {
        _checkOpen(challengeId, terms);
        address node = terms.node;
        if (msg.sender != node) revert NotChallengedNode(challengeId, msg.sender, node);
        if (block.timestamp > terms.deadline) revert DeadlinePassed(challengeId, terms.deadline);
        uint32 chunkIndex = _chunkIndex(challengeId, terms);
        uint32 chunkCount = terms.chunkCount;
        passed = (chunk.length != 0 || chunkCount == 1) && chunk.length <= ShareMerkle.CHUNK_SIZE
            && proof.length == ShareMerkle.depth(chunkCount)
            && ShareMerkle.verify(terms.shareRoot, ShareMerkle.leafHashCalldata(chunk), chunkIndex, proof);
        if (passed) {
            _pass(challengeId, terms, chunkIndex);
        } else {
            _fail(challengeId, terms, AUDIT_BAD_PROOF);
        }
    }

    /// @inheritdoc IStorageAudits
    function claimTimeout(uint256 challengeId, Challenge calldata terms) external {
        _checkOpen(challengeId, terms);
        if (block.timestamp <= terms.deadline) revert DeadlineNotReached(challengeId, terms.deadline);
        if (block.number <= terms.seedBlock) {
            _void(challengeId, terms, SEED_NOT_MINED);
        } else if (_commitmentChanged(terms)) {
            _void(challengeId, terms, COMMITMENT_CHANGED);
        } else {
            _fail(challengeId, terms, AUDIT_TIMEOUT);
        }
    }

    /// @inheritdoc IStorageAudits
    function reseed(uint256 challengeId, Challenge calldata terms) external {
        _checkOpen(challengeId, terms);
        if (block.timestamp > terms.deadline) revert DeadlinePassed(challengeId, terms.deadline);
        if (block.number <= terms.seedBlock + BLOCKHASH_WINDOW) {
            revert SeedStillFresh(challengeId, terms.seedBlock);
        }
        Challenge memory moved = terms;
        moved.seedBlock = uint64(block.number) + seedDelay;
        _terms[challengeId] = keccak256(abi.encode(moved));
        emit ChallengeReseeded(challengeId, moved.seedBlock);
    }

    /// @inheritdoc IStorageAudits
    function isOpen(uint256 challengeId) external view returns (bool) {
        if (challengeId == 0 || challengeId > _lastId) revert UnknownChallenge(challengeId);
        return _terms[challengeId] != 0;
    }

    /// @inheritdoc IStorageAudits
    function chunkIndexOf(uint256 challengeId, Challenge calldata terms) external view returns (uint32) {
        _checkOpen(challengeId, terms);
        return _chunkIndex(challengeId, terms);
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

    /// @dev Clearing both slots refunds most of their cost, and leaves no terms a replay could match.
    function _close(uint256 challengeId, Challenge calldata terms) private {
        delete _terms[challengeId];
        delete _open[terms.fileId][terms.index];
    }

    function _pass(uint256 challengeId, Challenge calldata terms, uint32 chunkIndex) private {
        _close(challengeId, terms);
        address node = terms.node;
        emit ChallengePassed(challengeId, node, chunkIndex);
        _credit(node, terms.bond);
        if (terms.challenger != node) registry.recordAudit(node, true);
    }

    function _fail(uint256 challengeId, Challenge calldata terms, bytes32 reason) private {
        _close(challengeId, terms);
        (bytes32 fileId, uint8 index, address node, address challenger) =
            (terms.fileId, terms.index, terms.node, terms.challenger);
        _lost[fileId][index][node] = true;
        emit ShareLost(fileId, index, node);
        _credit(challenger, terms.bond);
        uint256 slashed = registry.slash(node, slashBps, reason, bytes32(challengeId));
        registry.recordAudit(node, false);
        uint256 reward = slashed * rewardBps / BPS;
        if (reward != 0) registry.payFromRepairPool(challenger, reward, bytes32(challengeId));
        emit ChallengeFailed(challengeId, node, reason, slashed, reward);
    }

    function _void(uint256 challengeId, Challenge calldata terms, bytes32 reason) private {
        _close(challengeId, terms);
        emit ChallengeVoided(challengeId, reason);
        _credit(terms.challenger, terms.bond);
    }

    /// @dev Reverts unless `challengeId` is open and `terms` are exactly its terms.
    function _checkOpen(uint256 challengeId, Challenge calldata terms) private view {
        bytes32 stored = _terms[challengeId];
        if (stored == keccak256(abi.encode(terms))) return;
        if (stored != 0) revert WrongTerms(challengeId);
        if (challengeId == 0 || challengeId > _lastId) revert UnknownChallenge(challengeId);
        revert ChallengeClosed(challengeId);
    }

    function _chunkIndex(uint256 challengeId, Challenge calldata terms) private view returns (uint32) {
        uint64 seedBlock = terms.seedBlock;
        if (block.number <= seedBlock) revert IKuraErrors.SeedNotYetAvailable(challengeId, seedBlock);
        if (block.number > seedBlock + BLOCKHASH_WINDOW) revert SeedExpired(challengeId, seedBlock);
        bytes32 seed = blockhash(seedBlock);
        // The modulus is below 2^32, so the cast keeps every bit.
        return uint32(uint256(keccak256(abi.encode(seed, challengeId))) % terms.chunkCount);
    }

    function _commitmentChanged(Challenge calldata terms) private view returns (bool) {
        try files.fileOf(terms.fileId) returns (IFileRegistry.FileRecord memory record) {
            return record.sharesRoot != terms.sharesRoot;
        } catch {
            return true; // deleted since the challenge was opened
        }
    }
}
