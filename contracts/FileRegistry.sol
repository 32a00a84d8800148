// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IFileRegistry} from "./interfaces/IFileRegistry.sol";

/// @title FileRegistry
/// @notice Records, per stored file, the owner, the pointer to the current encrypted manifest, a
/// commitment to the share roots and the manifest version. Rotation replaces the pointer and
/// voids every older version, so a leaked old manifest never resolves through kura again.
///
/// Repair. One contract, the `repairer` (kura's ShareRepairs), may swap a lost share's commitment
/// leaf for its rebuilt copy's without the owner: it checks that the share was lost and proves the
/// leaf, and calls `repairShares` with the root it read, so a concurrent change makes it revert.
/// The deployer names the repairer once (`setRepairer`), since it is deployed after this registry.
contract FileRegistry is IFileRegistry {
    /// @notice The account that may name the `repairer`, once.
    address public immutable deployer;
    /// @notice The contract allowed to call `repairShares` (zero until set).
    address public repairer;

    mapping(bytes32 fileId => FileRecord) private _files;

    constructor() {
        deployer = msg.sender;
    }

    /// @notice Name the repair contract (the deployer only, once).
    /// @param repairer_ The ShareRepairs contract.
    function setRepairer(address repairer_) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (repairer != address(0)) revert RepairerAlreadySet(repairer);
        if (repairer_ == address(0)) revert EmptyPointer();
        repairer = repairer_;
        emit RepairerSet(repairer_);
    }

    /// @inheritdoc IFileRegistry
    function repairShares(bytes32 fileId, bytes32 expectedRoot, bytes32 sharesRoot) external {
        if (msg.sender != repairer) revert NotRepairer(msg.sender);
        FileRecord storage file = _live(fileId);
        if (file.sharesRoot != expectedRoot) revert SharesChanged(fileId, expectedRoot, file.sharesRoot);
        if (sharesRoot == bytes32(0)) revert EmptyPointer();
        file.sharesRoot = sharesRoot;
        file.updatedAt = uint32(block.timestamp);
        emit SharesUpdated(fileId, file.version, sharesRoot);
    }

    /// @notice Register a new file.
    /// @param fileId A fresh random id (it must not be derived from the owner or the content).
    /// @param manifestDigest SHA-256 digest of the encrypted manifest stored on IPFS.
    /// @param sharesRoot Commitment to the Merkle roots of the file's shares.
    function register(bytes32 fileId, bytes32 manifestDigest, bytes32 sharesRoot) external {
        if (_files[fileId].owner != address(0)) revert FileAlreadyExists(fileId);
        if (manifestDigest == bytes32(0) || sharesRoot == bytes32(0)) revert EmptyPointer();
        uint32 nowTs = uint32(block.timestamp);
        _files[fileId] = FileRecord({
            owner: msg.sender,
            version: 1,
            createdAt: nowTs,
            updatedAt: nowTs,
            manifestDigest: manifestDigest,
            sharesRoot: sharesRoot
        });
        emit FileRegistered(fileId, msg.sender, manifestDigest, sharesRoot);
    }

    /// @notice Point `fileId` at a freshly encrypted manifest and void the current version.
    /// @param fileId The file.
    /// @param expectedVersion The version the caller read; guards against a concurrent rotation.
    /// @param manifestDigest Digest of the re-encrypted manifest.
    function rotate(bytes32 fileId, uint32 expectedVersion, bytes32 manifestDigest) external {
        FileRecord storage file = _ownedLive(fileId);
        if (manifestDigest == bytes32(0)) revert EmptyPointer();
        uint32 current = file.version;
        if (current != expectedVersion) revert VersionMismatch(fileId, expectedVersion, current);
        bytes32 previous = file.manifestDigest;
        unchecked {
            // A version bump per transaction cannot reach 2^32 before block.timestamp does.
            file.version = current + 1;
        }
        file.updatedAt = uint32(block.timestamp);
        file.manifestDigest = manifestDigest;
        emit ManifestRotated(fileId, current + 1, manifestDigest, previous);
    }

    /// @notice Replace the shares commitment of `fileId` (after its shares moved or were repaired).
    /// @param fileId The file.
    /// @param sharesRoot The new commitment.
    function updateShares(bytes32 fileId, bytes32 sharesRoot) external {
        FileRecord storage file = _ownedLive(fileId);
        if (sharesRoot == bytes32(0)) revert EmptyPointer();
        file.sharesRoot = sharesRoot;
        file.updatedAt = uint32(block.timestamp);
        emit SharesUpdated(fileId, file.version, sharesRoot);
    }

    /// @notice Delete `fileId`: its pointers are cleared and the id is never reusable.
    /// @param fileId The file.
    function remove(bytes32 fileId) external {
        FileRecord storage file = _ownedLive(fileId);
        file.manifestDigest = bytes32(0);
        file.sharesRoot = bytes32(0);
        file.updatedAt = uint32(block.timestamp);
        emit FileDeleted(fileId, msg.sender);
    }

    /// @inheritdoc IFileRegistry
    function fileOf(bytes32 fileId) external view returns (FileRecord memory) {
        return _live(fileId);
    }

    /// @inheritdoc IFileRegistry
    function manifestOf(bytes32 fileId, uint32 version) external view returns (bytes32) {
        FileRecord storage file = _live(fileId);
        if (version != file.version) revert SupersededVersion(fileId, version, file.version);
        return file.manifestDigest;
    }

    function _live(bytes32 fileId) private view returns (FileRecord storage file) {
        file = _files[fileId];
        if (file.owner == address(0)) revert UnknownFile(fileId);
        if (file.manifestDigest == bytes32(0)) revert FileIsDeleted(fileId);
    }

    function _ownedLive(bytes32 fileId) private view returns (FileRecord storage file) {
        file = _live(fileId);
        if (file.owner != msg.sender) revert NotFileOwner(fileId, msg.sender, file.owner);
    }
}
