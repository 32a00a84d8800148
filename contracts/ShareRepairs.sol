// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFileRegistry} from "./interfaces/IFileRegistry.sol";
import {IKuraErrors} from "./interfaces/IKuraErrors.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IShareRepairs} from "./interfaces/IShareRepairs.sol";
import {IStorageAudits} from "./interfaces/IStorageAudits.sol";
import {ShareMerkle} from "./libraries/ShareMerkle.sol";

/// @title ShareRepairs
/// @notice Commits kura's autonomous repairs. A share counts as lost when its holder failed an audit
/// of it (`StorageAudits.isShareLost`) or is no longer Active (jailed, exiting, exited, under-staked).
/// Any Active node may then rebuild it (MSR repair from d helpers, or decode-and-re-encode of the
/// ciphertext), place it on another Active node and commit here: the contract checks the loss, checks
/// the old leaf against `FileRegistry.sharesRoot`, computes the new root from the same proof with the
/// new holder in the leaf, and pays the repairer `repairReward` (or what the pool holds) from the
/// NodeRegistry's repair pool, which slashed stakes fill.
/// @dev This contract is the FileRegistry's `repairer` and a judge of the NodeRegistry.
contract ShareRepairs is IShareRepairs {
    /// @notice Nodes, stakes and the repair pool.
    INodeRegistry public immutable registry;
    /// @notice Where lost shares are recorded.
    IStorageAudits public immutable audits;
    /// @notice Where shares commitments live.
    IFileRegistry public immutable files;
    /// @notice Wei paid per committed repair (capped by the repair pool).
    uint256 public immutable repairReward;

    /// @notice Deploy against the three contracts it reads and writes, paying `repairReward_` per repair.
    /// @param registry_ The NodeRegistry (this contract must be one of its judges).
    /// @param audits_ The StorageAudits.
    /// @param files_ The FileRegistry (this contract must be its repairer).
    /// @param repairReward_ See `repairReward`.
    constructor(INodeRegistry registry_, IStorageAudits audits_, IFileRegistry files_, uint256 repairReward_) {
        registry = registry_;
        audits = audits_;
        files = files_;
        repairReward = repairReward_;
    }

    /// @inheritdoc IShareRepairs
    function publishTable(bytes32 fileId, bytes32 tableDigest) external {
        IFileRegistry.FileRecord memory file = files.fileOf(fileId);
        if (file.owner != msg.sender) revert IKuraErrors.NotFileOwner(fileId, msg.sender, file.owner);
        if (tableDigest == bytes32(0)) revert EmptyTable();
        emit ShareTablePublished(fileId, tableDigest, file.sharesRoot);
    }

    /// @inheritdoc IShareRepairs
    function commitRepair(Repair calldata repair, bytes32[] calldata proof) external returns (bytes32 sharesRoot) {
        if (!registry.isActive(msg.sender)) revert IKuraErrors.NotRepairer(msg.sender);
        if (repair.tableDigest == bytes32(0)) revert EmptyTable();
        if (repair.newNode == repair.oldNode) revert SameNode(repair.newNode);
        if (!registry.isActive(repair.newNode)) revert NewNodeNotActive(repair.newNode);
        if (!audits.isShareLost(repair.fileId, repair.index, repair.oldNode) && registry.isActive(repair.oldNode)) {
            revert ShareNotLost(repair.fileId, repair.index, repair.oldNode);
        }
        bytes32 current = files.fileOf(repair.fileId).sharesRoot;
        bytes32 oldLeaf = _leaf(repair, repair.oldNode);
        if (!ShareMerkle.verify(current, oldLeaf, repair.index, proof)) {
            revert IKuraErrors.ShareNotCommitted(repair.fileId, repair.index, repair.oldNode);
        }
        sharesRoot = ShareMerkle.rootFrom(_leaf(repair, repair.newNode), repair.index, proof);
        files.repairShares(repair.fileId, current, sharesRoot);
        uint256 pool = registry.repairPool();
        uint256 paid = repairReward < pool ? repairReward : pool;
        emit ShareRepaired(
            repair.fileId,
            repair.index,
            repair.oldNode,
            repair.newNode,
            msg.sender,
            sharesRoot,
            repair.tableDigest,
            paid
        );
        if (paid != 0) registry.payFromRepairPool(msg.sender, paid, repair.fileId);
    }

    function _leaf(Repair calldata repair, address node) private pure returns (bytes32) {
        return ShareMerkle.leafHash(abi.encodePacked(repair.index, node, repair.chunkCount, repair.shareRoot));
    }
}
