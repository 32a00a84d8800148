// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IShareRepairs
/// @notice Events, errors and functions of kura's repair commitments: a registered node that rebuilt
/// a lost share onto a fresh node swaps the share's commitment leaf, proving both that the old holder
/// lost it and where the leaf sits, and is paid from the repair pool.
/// Errors it shares with other kura contracts are declared once, in `IKuraErrors`.
interface IShareRepairs {
    /// @notice What a repair changes: the share, who lost it, who holds it now, and the new table.
    /// @param fileId The file.
    /// @param index The share index.
    /// @param oldNode The node that lost it (failed an audit, or no longer Active).
    /// @param newNode The Active node that now holds the rebuilt share.
    /// @param chunkCount Chunks of the share (unchanged: the rebuilt share is bit-identical).
    /// @param shareRoot Merkle root of the share's chunks (unchanged for the same reason).
    /// @param tableDigest SHA-256 of the updated share table on IPFS.
    struct Repair {
        bytes32 fileId;
        uint8 index;
        address oldNode;
        address newNode;
        uint32 chunkCount;
        bytes32 shareRoot;
        bytes32 tableDigest;
    }

    /// @notice The owner of `fileId` published the public share table (leaves and locations) with
    /// SHA-256 `tableDigest`, which repairers and auditors read from IPFS.
    /// @param fileId The file.
    /// @param tableDigest SHA-256 digest of the share table.
    /// @param sharesRoot The file's shares commitment the table describes.
    event ShareTablePublished(bytes32 indexed fileId, bytes32 tableDigest, bytes32 sharesRoot);
    /// @notice Share `index` of `fileId` moved from the `oldNode` that lost it to `newNode`, rebuilt by
    /// `repairer`; `sharesRoot` is the new commitment and `tableDigest` the updated share table.
    /// @param fileId The file.
    /// @param index The share index.
    /// @param oldNode The node that lost it.
    /// @param newNode The node that holds it now.
    /// @param repairer The node that rebuilt it and committed the repair.
    /// @param sharesRoot The file's new shares commitment.
    /// @param tableDigest SHA-256 digest of the updated share table.
    /// @param paid Wei credited to `repairer` from the repair pool.
    event ShareRepaired(
        bytes32 indexed fileId,
        uint8 index,
        address indexed oldNode,
        address indexed newNode,
        address repairer,
        bytes32 sharesRoot,
        bytes32 tableDigest,
        uint256 paid
    );

    /// @notice The node picked to hold the rebuilt share is not Active.
    error NewNodeNotActive(address node);
    /// @notice A share cannot be repaired onto the node that lost it.
    error SameNode(address node);
    /// @notice `node` neither failed an audit of share `index` of `fileId` nor left the network.
    error ShareNotLost(bytes32 fileId, uint8 index, address node);
    /// @notice A share table digest of zero.
    error EmptyTable();

    /// @notice Publish the share table of a file (its owner only), so anyone can audit and repair it.
    /// @param fileId The file.
    /// @param tableDigest SHA-256 digest of the share table on IPFS.
    function publishTable(bytes32 fileId, bytes32 tableDigest) external;

    /// @notice Commit a repair (an Active registered node only). The new leaf keeps `chunkCount` and
    /// `shareRoot`, so the new holder is audited against the very share that was committed at upload.
    /// @param repair What changes.
    /// @param proof Siblings of the old leaf in the file's current shares commitment.
    /// @return sharesRoot The new commitment.
    function commitRepair(Repair calldata repair, bytes32[] calldata proof) external returns (bytes32 sharesRoot);
}
