// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IFileRegistry
/// @notice Events, errors and views of kura's registry of stored files. The chain holds only
/// what is needed to find and verify a file: a pointer to its *encrypted* manifest and a
/// commitment to its shares' Merkle roots. File ids are random and reveal neither owner nor file.
interface IFileRegistry {
    /// @notice A file as the chain knows it.
    /// @param owner Who may rotate, update or delete it.
    /// @param version Manifest version, starting at 1 and bumped by every rotation.
    /// @param createdAt Block timestamp of registration.
    /// @param updatedAt Block timestamp of the last change.
    /// @param manifestDigest SHA-256 digest of the encrypted manifest: its IPFS CID is CIDv1(raw, sha2-256, digest).
    /// @param sharesRoot Commitment (Merkle root) to the per-share Merkle roots.
    struct FileRecord {
        address owner;
        uint32 version;
        uint32 createdAt;
        uint32 updatedAt;
        bytes32 manifestDigest;
        bytes32 sharesRoot;
    }

    /// @notice A file was registered.
    event FileRegistered(bytes32 indexed fileId, address indexed owner, bytes32 manifestDigest, bytes32 sharesRoot);

    /// @notice The manifest pointer of a file was rotated; `version - 1` and older are void.
    event ManifestRotated(bytes32 indexed fileId, uint32 version, bytes32 manifestDigest, bytes32 previousDigest);

    /// @notice The shares of a file changed (a share was repaired or moved).
    event SharesUpdated(bytes32 indexed fileId, uint32 version, bytes32 sharesRoot);

    /// @notice A file was deleted; its id can never be registered again.
    event FileDeleted(bytes32 indexed fileId, address indexed owner);

    /// @notice `fileId` is already taken (by a live or a deleted file); pick a fresh random id.
    error FileAlreadyExists(bytes32 fileId);

    /// @notice No file was ever registered under `fileId`.
    error UnknownFile(bytes32 fileId);

    /// @notice `fileId` was deleted.
    error FileIsDeleted(bytes32 fileId);

    /// @notice Only the file's owner may do this.
    error NotFileOwner(bytes32 fileId, address caller, address owner);

    /// @notice A manifest digest or shares root of zero is not a valid pointer.
    error EmptyPointer();

    /// @notice The caller expected another version: re-read the file and retry.
    error VersionMismatch(bytes32 fileId, uint32 expected, uint32 current);

    /// @notice `requested` is an old version of `fileId`; only `current` resolves.
    error SupersededVersion(bytes32 fileId, uint32 requested, uint32 current);

    /// @notice `owner` paid `amount` wei for `fileId`, refunded (credited to the owner) when the file is removed.
    event DepositPaid(bytes32 indexed fileId, address indexed owner, uint256 amount);

    /// @notice `fileId` was registered without a deposit, on a proof-of-work stamp with this `nonce`.
    event StampAccepted(bytes32 indexed fileId, address indexed owner, uint256 nonce);

    /// @notice The deposit of `fileId` was `sent` wei, below the `required` minimum.
    error DepositTooLow(bytes32 fileId, uint256 sent, uint256 required);

    /// @notice `keccak256(sender, fileId, nonce)` has fewer than the `required` leading zero bits; mint
    /// the stamp for this very sender and file.
    error StampTooWeak(address sender, bytes32 fileId, uint256 nonce, uint8 required);

    /// @notice This registry was deployed with `difficultyBits == 0`: it takes no stamps, only deposits.
    error StampsDisabled();

    /// @notice The repair contract was named.
    event RepairerSet(address indexed repairer);

    /// @notice Only the deployer may name the repairer, not `caller`.
    error NotDeployer(address caller);

    /// @notice The repairer is already `repairer`; it is set once.
    error RepairerAlreadySet(address repairer);

    /// @notice Only the repair contract may repair shares, not `caller`.
    error NotRepairer(address caller);

    /// @notice The shares commitment of `fileId` is `current`, not the `expected` the repair was proved against.
    error SharesChanged(bytes32 fileId, bytes32 expected, bytes32 current);

    /// @notice Replace the shares commitment of `fileId` after a repair (the repair contract only).
    /// @param fileId The file.
    /// @param expectedRoot The commitment the repair was proved against.
    /// @param sharesRoot The commitment with the rebuilt share's leaf.
    function repairShares(bytes32 fileId, bytes32 expectedRoot, bytes32 sharesRoot) external;

    /// @notice The record of a live file.
    function fileOf(bytes32 fileId) external view returns (FileRecord memory);

    /// @notice The manifest digest of `fileId` at `version`; reverts for superseded versions.
    function manifestOf(bytes32 fileId, uint32 version) external view returns (bytes32);
}
